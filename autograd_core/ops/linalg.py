"""matmul with numpy.matmul's semantics: 1-D vectors, 2-D matrices, batched stacks.

For C = A @ B: dA = G @ Bᵀ and dB = Aᵀ @ G on the last two dims; a 1-D operand is
treated as a row (left) or column (right) vector and the extra dim removed again;
batch dims that were broadcast are summed back by the engine.

    >>> import autograd_core as ag
    >>> (ag.ones(2, 3) @ ag.ones(3)).shape
    (2,)
"""

from __future__ import annotations

import numpy as np

from ..function import Op, ShapeError


def _swap(x):
    return np.swapaxes(x, -1, -2)


class MatMul(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        try:
            return np.matmul(a, b)
        except ValueError:
            raise ShapeError(f"matmul: shapes {np.shape(a)} and {np.shape(b)} are not aligned") from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        need_a, need_b = ctx.next
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if need_a is not None else None), (g * a if need_b is not None else None)
        if a.ndim == 1:  # (k) @ (..., k, n) -> (..., n)
            g2 = g[..., None, :]
            if need_a is not None:
                ga = (g2 @ _swap(b))[..., 0, :]
            if need_b is not None:
                gb = a[:, None] * g2
            return ga, gb
        if b.ndim == 1:  # (..., m, k) @ (k) -> (..., m)
            g2 = g[..., :, None]
            if need_a is not None:
                ga = g2 * b
            if need_b is not None:
                gb = (_swap(a) @ g2)[..., 0]
            return ga, gb
        if need_a is not None:
            ga = g @ _swap(b)
        if need_b is not None:
            gb = _swap(a) @ g
        return ga, gb


def matmul(a, b):
    """Matrix product with numpy.matmul's broadcasting rules."""
    return MatMul.apply(a, b)


class Linear(Op):
    """y = x Wᵀ + b fused into one node: one BLAS call forward, two backward.

    dx = g W,  dW = gᵀ x (batch dims flattened),  db = Σ g over batch dims.
    """

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.saved = (x, w)
        try:
            out = np.matmul(x, w.T)
        except ValueError:
            raise ShapeError(
                f"linear: input of shape {x.shape} does not fit weight of shape {w.shape} "
                f"(expected last dim {w.shape[-1]})"
            ) from None
        if b is not None:
            out += b  # the matmul result is fresh: add the bias in place
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        need_x, need_w, need_b = ctx.next
        gx = gw = gb = None
        if need_x is not None:
            gx = g @ w
        if need_w is not None or need_b is not None:
            g2 = g.reshape(-1, g.shape[-1])
            if need_w is not None:
                gw = g2.T @ x.reshape(-1, x.shape[-1])
            if need_b is not None:
                gb = g2.sum(axis=0)
        return gx, gw, gb


def linear(x, weight, bias=None):
    """x @ weight.T + bias, with PyTorch's weight layout (out_features, in_features)."""
    if weight.ndim != 2:
        raise ShapeError(f"linear: weight must be 2-D (out, in), got shape {weight.shape}")
    return Linear.apply(x, weight, bias)
