"""Sliding windows over N spatial dims: im2col (`Im2Col`) and its adjoint col2im
(`Col2Im`), and the functionals built on them (`F.unfold`, `F.fold`).

Each op is the other's backward, so gradients of any order stay in the graph. The
loops run once per kernel offset (K strided slices of the whole batch), never per
output element. `conv3d`, `conv_transpose*` and the extended pools are compositions
of these two ops with matmul/reductions.

Layouts: `im2col(x)` maps (N, C, *spatial) to (N, C, K, L) with K = prod(kernel) window
offsets (row-major) and L = prod(out) window positions (row-major), as F.unfold's
(N, C·K, L) once reshaped.

    >>> import autograd_core as ag
    >>> unfold(ag.arange(16.0).reshape(1, 1, 4, 4), 2, stride=2)[0, :, 0]
    tensor([0., 1., 4., 5.])
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..function import Op, ShapeError


def apply_raw(op, *args):
    """Run `op` on Tensors through the graph, or its forward directly on ndarrays.

    A backward calls its adjoint op this way: plain arrays in first-order backward,
    Tensors when the engine re-runs it for higher-order gradients."""
    from ..tensor import Tensor

    if any(isinstance(a, Tensor) for a in args):
        return op.apply(*args)
    return op.forward(op(), *args)


def out_sizes(sizes, kernel, dilation, padding, stride) -> tuple:
    """Number of window positions per dim; `padding` holds (lo, hi) pairs."""
    return tuple(
        (n + lo + hi - d * (k - 1) - 1) // s + 1
        for n, k, d, (lo, hi), s in zip(sizes, kernel, dilation, padding, stride)
    )


def _windows(kernel, dilation, stride, out):
    """For each kernel offset, the strided slice of the padded input it reads."""
    for offs in itertools.product(*(range(k) for k in kernel)):
        yield tuple(
            slice(o * d, o * d + s * (n - 1) + 1, s) for o, d, s, n in zip(offs, dilation, stride, out)
        )


class Im2Col(Op):
    """(N, C, *spatial) -> (N, C, K, L): every window of the (lo, hi)-padded input."""

    @staticmethod
    def forward(ctx, x, kernel, dilation, padding, stride, pad_value):
        ctx.params = (x.shape[2:], kernel, dilation, padding, stride)
        spatial = x.shape[2:]
        out = out_sizes(spatial, kernel, dilation, padding, stride)
        if any(o <= 0 for o in out):
            raise ShapeError(
                f"im2col: kernel {kernel} (dilation {dilation}) does not fit the padded "
                f"input of spatial size {tuple(spatial)} with padding {padding}"
            )
        if any(lo or hi for lo, hi in padding):
            xp = np.pad(x, ((0, 0), (0, 0)) + tuple(padding), constant_values=pad_value)
        else:
            xp = x
        n, c = x.shape[:2]
        cols = np.empty((n, c, math.prod(kernel), math.prod(out)), dtype=x.dtype)
        for i, window in enumerate(_windows(kernel, dilation, stride, out)):
            cols[:, :, i] = xp[(slice(None), slice(None)) + window].reshape(n, c, cols.shape[3])
        return cols

    @staticmethod
    def backward(ctx, g):
        spatial, kernel, dilation, padding, stride = ctx.params
        return apply_raw(Col2Im, g, spatial, kernel, dilation, padding, stride), None, None, None, None, None


class Col2Im(Op):
    """(N, C, K, L) -> (N, C, *spatial): sum every window back into place (the adjoint of
    Im2Col with zero padding), then crop the padding."""

    @staticmethod
    def forward(ctx, cols, spatial, kernel, dilation, padding, stride):
        ctx.params = (kernel, dilation, padding, stride)
        out = out_sizes(spatial, kernel, dilation, padding, stride)
        n, c, k, length = cols.shape
        if k != math.prod(kernel) or length != math.prod(out):
            raise ShapeError(
                f"col2im: columns of shape {cols.shape} do not match kernel {kernel} with "
                f"{out} window positions (output spatial size {tuple(spatial)})"
            )
        padded = tuple(s + lo + hi for s, (lo, hi) in zip(spatial, padding))
        xp = np.zeros((n, c) + padded, dtype=cols.dtype)
        for i, window in enumerate(_windows(kernel, dilation, stride, out)):
            xp[(slice(None), slice(None)) + window] += cols[:, :, i].reshape((n, c) + out)
        crop = tuple(slice(lo, lo + s) for s, (lo, _) in zip(spatial, padding))
        return xp[(slice(None), slice(None)) + crop]

    @staticmethod
    def backward(ctx, g):
        kernel, dilation, padding, stride = ctx.params
        return apply_raw(Im2Col, g, kernel, dilation, padding, stride, 0.0), None, None, None, None, None


def ntuple(value, n: int, name: str, op: str) -> tuple:
    """An int or a sequence of n ints as a tuple of n ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    try:
        out = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}") from None
    if len(out) == 1:
        out = out * n
    if len(out) != n:
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return out


def im2col(x, kernel, dilation, padding, stride, pad_value: float = 0.0):
    """Windows of `x` as (N, C, K, L); `padding` holds (lo, hi) per spatial dim."""
    return Im2Col.apply(
        x, tuple(kernel), tuple(dilation), tuple(tuple(p) for p in padding), tuple(stride), pad_value
    )


def col2im(cols, spatial, kernel, dilation, padding, stride):
    """Sum windows (N, C, K, L) back into (N, C, *spatial), the adjoint of im2col."""
    return Col2Im.apply(
        cols, tuple(spatial), tuple(kernel), tuple(dilation), tuple(tuple(p) for p in padding), tuple(stride)
    )


def _check_positive(op, **values):
    for name, v in values.items():
        if any(x <= 0 for x in v):
            raise ValueError(f"{op}: {name} should be greater than zero, but got {name}: {v}")


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding local blocks of (N, C, H, W) as (N, C·kH·kW, L) (im2col).

    >>> import autograd_core as ag
    >>> unfold(ag.zeros(2, 3, 5, 5), 3).shape
    (2, 27, 9)
    """
    batched = input.ndim == 4
    if input.ndim not in (3, 4):
        raise ShapeError(
            f"unfold: expected 3D or 4D input (C, H, W) or (N, C, H, W), got shape {input.shape}"
        )
    x = input if batched else input.reshape((1,) + input.shape)
    k, d = ntuple(kernel_size, 2, "kernel_size", "unfold"), ntuple(dilation, 2, "dilation", "unfold")
    p, s = ntuple(padding, 2, "padding", "unfold"), ntuple(stride, 2, "stride", "unfold")
    _check_positive("unfold", kernel_size=k, dilation=d, stride=s)
    if any(v < 0 for v in p):
        raise ValueError(f"unfold: padding should be non-negative, but got padding: {p}")
    cols = im2col(x, k, d, [(v, v) for v in p], s)
    out = cols.reshape(x.shape[0], x.shape[1] * math.prod(k), cols.shape[3])
    return out if batched else out.reshape(out.shape[1:])


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding local blocks (N, C·kH·kW, L) into (N, C, H, W) (col2im), the adjoint of unfold.

    >>> import autograd_core as ag
    >>> fold(ag.ones(1, 4, 4), (3, 3), 2)[0, 0]
    tensor([[1., 2., 1.],
            [2., 4., 2.],
            [1., 2., 1.]])
    """
    batched = input.ndim == 3
    if input.ndim not in (2, 3):
        raise ShapeError(f"fold: expected 2D or 3D input (C·K, L) or (N, C·K, L), got shape {input.shape}")
    x = input if batched else input.reshape((1,) + input.shape)
    size = ntuple(output_size, 2, "output_size", "fold")
    k, d = ntuple(kernel_size, 2, "kernel_size", "fold"), ntuple(dilation, 2, "dilation", "fold")
    p, s = ntuple(padding, 2, "padding", "fold"), ntuple(stride, 2, "stride", "fold")
    _check_positive("fold", kernel_size=k, dilation=d, stride=s, output_size=size)
    kk = math.prod(k)
    if x.shape[1] % kk:
        raise ShapeError(
            f"fold: expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size={k}"
        )
    blocks = math.prod(out_sizes(size, k, d, [(v, v) for v in p], s))
    if x.shape[2] != blocks:
        raise ShapeError(
            f"fold: given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, "
            f"stride={s}, expected size of input's dimension 2 to match the calculated number "
            f"of sliding blocks {blocks}, but got input.size(2)={x.shape[2]}"
        )
    cols = x.reshape(x.shape[0], x.shape[1] // kk, kk, x.shape[2])
    out = col2im(cols, size, k, d, [(v, v) for v in p], s)
    return out if batched else out.reshape(out.shape[1:])
