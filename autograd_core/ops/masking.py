"""Masking: masked_fill, tril and triu.

Each is a select between the input and a constant under a boolean mask, so the
gradient flows where the input was kept and is zero where it was replaced:

    masked_fill(x, m, v):  dx = g where ~m,  dv = Σ g where m   (v may be a 0-d Tensor)
    tril(x, k) / triu(x, k): dx = g under the same triangle

The masks are constants saved with the node; the backward uses only `np.where`, so it
runs unchanged on Tensors (higher-order gradients).

    >>> import autograd_core as ag
    >>> ag.ones(3, 3).tril()
    tensor([[1., 0., 0.],
            [1., 1., 0.],
            [1., 1., 1.]])
"""

from __future__ import annotations

import numpy as np

from ..function import Op, ShapeError


class MaskedFill(Op):
    """out = value where mask else x, with x, mask (and a 0-d value) broadcast together."""

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.saved = (mask,)
        fill = np.asarray(value, dtype=x.dtype)
        return np.where(mask, fill, x)

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved
        zero = np.zeros((), dtype=g.dtype)
        gx = np.where(mask, zero, g) if ctx.next[0] is not None else None
        gv = np.where(mask, g, zero) if ctx.next[2] is not None else None
        return gx, None, gv


class Triangle(Op):
    """Keep the elements of the last two dims inside a constant triangular mask."""

    @staticmethod
    def forward(ctx, x, keep):
        ctx.saved = (keep,)
        return np.where(keep, x, np.zeros((), dtype=x.dtype))

    @staticmethod
    def backward(ctx, g):
        (keep,) = ctx.saved
        return np.where(keep, g, np.zeros((), dtype=g.dtype)), None


def _raw(t):
    from ..tensor import Tensor

    return t._data if isinstance(t, Tensor) else np.asarray(t)


def masked_fill(input, mask, value):
    """Replace the elements of `input` where the boolean `mask` is True by `value`.

    `mask` broadcasts against `input`; `value` is a number or a 0-d Tensor (which then
    receives the gradient of every filled element).

        >>> import autograd_core as ag
        >>> ag.tensor([1.0, 2.0, 3.0]).masked_fill(ag.tensor([True, False, True]), 0.0)
        tensor([0., 2., 0.])
    """
    from ..tensor import Tensor

    m = _raw(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill only supports boolean masks, but got mask with dtype {m.dtype}")
    x = _raw(input)
    if isinstance(value, Tensor) and value.ndim != 0:
        raise ValueError(
            f"masked_fill only supports a 0-dimensional value tensor, but got one with {value.ndim} dims"
        )
    try:
        np.broadcast_shapes(x.shape, m.shape)
    except ValueError:
        raise ShapeError(
            f"masked_fill: mask of shape {m.shape} does not broadcast to the input of shape {x.shape}"
        ) from None
    if not isinstance(value, Tensor) and x.dtype.kind in "biu" and isinstance(value, float) \
            and not float(value).is_integer():
        raise RuntimeError(f"masked_fill: value {value} cannot be converted to dtype {x.dtype} "
                           "without overflow")
    return MaskedFill.apply(input, m, value)


def _triangle(name, input, diagonal, lower):
    x = _raw(input)
    if x.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions (got shape {x.shape})")
    rows, cols = x.shape[-2:]
    below = np.tri(rows, cols, int(diagonal), dtype=bool)  # True on and below the k-th diagonal
    keep = below if lower else ~np.tri(rows, cols, int(diagonal) - 1, dtype=bool)
    return Triangle.apply(input, keep)


def tril(input, diagonal: int = 0):
    """The lower triangle of the last two dims (elements j <= i + diagonal); the rest zero.

        >>> import autograd_core as ag
        >>> ag.ones(2, 3).tril(1)
        tensor([[1., 1., 0.],
                [1., 1., 1.]])
    """
    return _triangle("tril", input, diagonal, lower=True)


def triu(input, diagonal: int = 0):
    """The upper triangle of the last two dims (elements j >= i + diagonal); the rest zero.

        >>> import autograd_core as ag
        >>> ag.ones(2, 2).triu()
        tensor([[1., 1.],
                [0., 1.]])
    """
    return _triangle("triu", input, diagonal, lower=False)


TENSOR_METHODS = {"masked_fill": masked_fill, "tril": tril, "triu": triu}
