"""Pooling beyond the fast kernels of `ops/pool.py`: max pooling with dilation, ceil_mode
and return_indices; average pooling with ceil_mode, count_include_pad and
divisor_override (1-D and 2-D); max_unpool; adaptive average/max pooling; lp_pool.

Calls that the kernels of `ops/pool.py` serve (no dilation, floor mode, no indices) go
there; the rest are compositions of im2col (`ops/unfold.py`) with a max or sum over each
window. Adaptive average pooling is a product with a constant pooling matrix per dim.

    >>> import autograd_core as ag
    >>> y, idx = max_pool2d(ag.arange(16.0).reshape(1, 1, 4, 4), 2, return_indices=True)
    >>> idx.tolist()
    [[[[5, 7], [13, 15]]]]
"""

from __future__ import annotations

import math

import numpy as np

from ..function import HyperParameterError, Op, ShapeError
from . import pool as fast
from .axis_index import axis_take
from .index import Gather
from .reduce import max as max_
from .unfold import apply_raw, im2col, ntuple


def _batched(name, x, n):
    """(x with a batch dim, whether one was added) for (N, C, *s) or (C, *s) inputs."""
    if x.ndim == n + 2:
        return x, False
    if x.ndim == n + 1:
        return x.reshape((1,) + x.shape), True
    raise ShapeError(f"{name}: expected {n + 1}D or {n + 2}D input, got shape {x.shape}")


def _unbatch(y, added):
    return y.reshape(y.shape[1:]) if added else y


def _window_args(name, n, kernel_size, stride, padding, dilation=1):
    k = ntuple(kernel_size, n, "kernel_size", name)
    s = (
        k
        if stride is None or (not isinstance(stride, int) and len(stride) == 0)
        else ntuple(stride, n, "stride", name)
    )
    p, d = ntuple(padding, n, "padding", name), ntuple(dilation, n, "dilation", name)
    for what, v in (("kernel_size", k), ("stride", s), ("dilation", d)):
        if any(x <= 0 for x in v):
            raise HyperParameterError(f"{name}: {what} must be greater than zero, got {v}")
    if any(pi < 0 or pi > ki // 2 for pi, ki in zip(p, k)):
        raise HyperParameterError(
            f"{name}: pad should be at most half of effective kernel size, but got pad={p} "
            f"and kernel_size={k}"
        )
    return k, s, p, d


def _plain_window(kernel_size, stride, padding) -> bool:
    """Int kernel/stride/padding that are valid as given (the kernels' own fast case)."""
    return (
        type(kernel_size) is int
        and kernel_size > 0
        and (stride is None or (type(stride) is int and stride > 0))
        and type(padding) is int
        and 0 <= padding <= kernel_size // 2
    )


def _pool_geometry(name, sizes, k, s, p, d, ceil_mode):
    """Output sizes and the (lo, hi) padding that makes every window fit."""
    out, pads = [], []
    for n, ki, si, pi, di in zip(sizes, k, s, p, d):
        span = n + 2 * pi - di * (ki - 1) - 1
        o = (-(-span // si) if ceil_mode else span // si) + 1
        if ceil_mode and (o - 1) * si >= n + pi:  # the last window must start inside the input
            o -= 1
        if o <= 0:
            raise ShapeError(
                f"{name}: output size is too small (input spatial size {tuple(sizes)}, "
                f"kernel {k}, padding {p}, dilation {d})"
            )
        extra = max(0, (o - 1) * si + di * (ki - 1) + 1 - (n + 2 * pi))
        out.append(o)
        pads.append((pi, pi + extra))
    return tuple(out), pads


def _flat_input_index(sizes, k, s, p, d, out):
    """(K, L) table: the flat input position each window offset reads (or -1 in padding)."""
    grids = []
    for ki, si, pi, di, oi in zip(k, s, p, d, out):
        grids.append(np.arange(oi)[None, :] * si - pi + np.arange(ki)[:, None] * di)  # (k, o)
    flat = np.zeros((1, 1), dtype=np.int64)
    for n, g in zip(sizes, grids):
        flat = (flat[:, None, :, None] * n + g[None, :, None, :]).reshape(flat.shape[0] * g.shape[0], -1)
    return flat


def _max_pool(name, n, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    if (
        n in (1, 2)
        and input.ndim == n + 2
        and not ceil_mode
        and not return_indices
        and dilation == 1
        and _plain_window(kernel_size, stride, padding)
    ):  # the common call: straight to the kernels, no argument normalisation
        return (fast.max_pool1d if n == 1 else fast.max_pool2d)(input, kernel_size, stride, padding)
    k, s, p, d = _window_args(name, n, kernel_size, stride, padding, dilation)
    fast_ok = n in (1, 2) and input.ndim == n + 2 and d == (1,) * n
    if fast_ok and not ceil_mode and not return_indices:
        f = fast.max_pool1d if n == 1 else fast.max_pool2d
        return f(input, k[0] if n == 1 else k, s[0] if n == 1 else s, p[0] if n == 1 else p)
    x, added = _batched(name, input, n)
    sizes = x.shape[2:]
    out, pads = _pool_geometry(name, sizes, k, s, p, d, ceil_mode)
    cols = im2col(x, k, d, pads, s, pad_value=-np.inf)
    values, arg = max_(cols, 2)
    y = _unbatch(values.reshape(x.shape[:2] + out), added)
    if not return_indices:
        return y
    table = _flat_input_index(sizes, k, s, p, d, out)
    idx = np.take_along_axis(table[None, None], arg._data[:, :, None, :], axis=2)
    from ..tensor import Tensor

    return y, Tensor._make(_unbatch(idx.reshape(x.shape[:2] + out), added), None)


def max_pool1d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """Max over windows of (N, C, L) or (C, L); with return_indices, also the flat index of
    each max in its input plane."""
    return _max_pool(
        "max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """Max over windows of (N, C, H, W) or (C, H, W); indices are flat over H·W."""
    return _max_pool(
        "max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def _avg_divisor(sizes, k, s, p, out, count_include_pad):
    """Per output position, how many elements its window averages (PyTorch's rule: the
    window clipped to input + padding, or to the input alone)."""
    div = np.ones((), dtype=np.float64)
    for n, ki, si, pi, oi in zip(sizes, k, s, p, out):
        start = np.arange(oi) * si - pi
        end = np.minimum(start + ki, n + pi)
        count = end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0)
        div = np.multiply.outer(div, count)
    return div


def _avg_pool(
    name, n, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override=None
):
    fast_call = (
        n == 2 and input.ndim == 4 and not ceil_mode and count_include_pad and divisor_override is None
    )
    if fast_call and _plain_window(kernel_size, stride, padding):
        return fast.avg_pool2d(input, kernel_size, stride, padding)
    k, s, p, d = _window_args(name, n, kernel_size, stride, padding)
    if divisor_override is not None and divisor_override == 0:
        raise ValueError(f"{name}: divisor must be not zero")
    if fast_call:
        return fast.avg_pool2d(input, k, s, p)
    x, added = _batched(name, input, n)
    sizes = x.shape[2:]
    out, pads = _pool_geometry(name, sizes, k, s, p, d, ceil_mode)
    total = im2col(x, k, d, pads, s).sum(2).reshape(x.shape[:2] + out)
    if divisor_override is not None:
        y = total * (1.0 / divisor_override)
    else:
        y = total * (1.0 / _avg_divisor(sizes, k, s, p, out, count_include_pad)).astype(x.dtype)
    return _unbatch(y, added)


def avg_pool1d(
    input, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True
):
    """Mean over windows of (N, C, L) or (C, L)."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override=None,
):
    """Mean over windows of (N, C, H, W) or (C, H, W)."""
    return _avg_pool(
        "avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


def lp_pool1d(input, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
    """(Σ x^p over each window)^(1/p)."""
    k = ntuple(kernel_size, 1, "kernel_size", "lp_pool1d")
    y = avg_pool1d(input**norm_type, k, stride, 0, ceil_mode)
    return (y * math.prod(k)) ** (1.0 / norm_type)


def lp_pool2d(input, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
    """(Σ x^p over each window)^(1/p) over (N, C, H, W)."""
    k = ntuple(kernel_size, 2, "kernel_size", "lp_pool2d")
    y = avg_pool2d(input**norm_type, k, stride, 0, ceil_mode)
    return (y * math.prod(k)) ** (1.0 / norm_type)


# -- adaptive pooling -------------------------------------------------------------------
def _adaptive_bounds(in_size, out_size):
    i = np.arange(out_size)
    return (i * in_size) // out_size, -((-(i + 1) * in_size) // out_size)


def _out_sizes(name, x, n, output_size):
    sizes = (
        ntuple(output_size, n, "output_size", name)
        if not isinstance(output_size, (list, tuple))
        else tuple(x.shape[-n + i] if v is None else int(v) for i, v in enumerate(output_size))
    )
    if len(sizes) != n or any(v < 0 for v in sizes):
        raise ValueError(f"{name}: output_size must be {n} non-negative ints, got {output_size!r}")
    if x.ndim not in (n + 1, n + 2) or any(v == 0 for v in x.shape[-n:]):
        raise ShapeError(
            f"{name}: expected {n + 1}D or {n + 2}D input with non-zero spatial sizes, got shape {x.shape}"
        )
    return sizes


def adaptive_avg_pool(input, output_size, name: str = "adaptive_avg_pool"):
    """Average pooling to a fixed output size over the trailing len(output_size) dims."""
    n = len(output_size)
    sizes = input.shape[input.ndim - n :]
    if all(o and s % o == 0 for s, o in zip(sizes, output_size)):
        # Equal windows: a reshape and a mean, far cheaper than the pooling matrices.
        lead = input.shape[: input.ndim - n]
        split = sum(((o, s // o) for s, o in zip(sizes, output_size)), ())
        axes = tuple(len(lead) + 2 * i + 1 for i in range(n))
        return input.reshape(lead + split).mean(axes)
    x = input
    for i, o in enumerate(output_size):
        axis = input.ndim - n + i
        size = input.shape[axis]
        start, end = _adaptive_bounds(size, o)
        cols = np.arange(size)
        pool = ((cols >= start[:, None]) & (cols < end[:, None])) / (end - start)[:, None]
        moved = x.transpose(axis, -1)
        x = (moved @ pool.T.astype(input.dtype)).transpose(axis, -1)
    return x


def adaptive_avg_pool1d(input, output_size):
    """Mean over adaptive windows: (N, C, L) -> (N, C, output_size)."""
    return adaptive_avg_pool(
        input, _out_sizes("adaptive_avg_pool1d", input, 1, output_size), "adaptive_avg_pool1d"
    )


def adaptive_avg_pool2d(input, output_size):
    """Mean over adaptive windows: (N, C, H, W) -> (N, C, *output_size); None keeps a size."""
    return adaptive_avg_pool(
        input, _out_sizes("adaptive_avg_pool2d", input, 2, output_size), "adaptive_avg_pool2d"
    )


def _adaptive_max(name, input, n, output_size, return_indices):
    from ..tensor import Tensor

    out = _out_sizes(name, input, n, output_size)
    sizes = input.shape[-n:]
    # Per dim, each output's window as a row of input positions padded by repeating the
    # window's last position (a repeat never changes a max).
    rows = []
    for size, o in zip(sizes, out):
        start, end = _adaptive_bounds(size, o)
        width = int((end - start).max()) if o else 0
        rows.append(np.minimum(start[:, None] + np.arange(width)[None, :], end[:, None] - 1))
    flat = np.zeros((1, 1), dtype=np.int64)
    for size, r in zip(sizes, rows):
        flat = (flat[:, None, :, None] * size + r[None, :, None, :]).reshape(flat.shape[0] * r.shape[0], -1)
    lead = input.shape[:-n]
    plane = input.reshape(lead + (math.prod(sizes),))
    picked = axis_take(plane, plane.ndim - 1, flat.reshape(-1)).reshape(lead + flat.shape)
    values, arg = max_(picked, -1)
    y = values.reshape(lead + out)
    if not return_indices:
        return y
    idx = np.take_along_axis(np.broadcast_to(flat, lead + flat.shape), arg._data[..., None], axis=-1)
    return y, Tensor._make(idx.reshape(lead + out), None)


def adaptive_max_pool1d(input, output_size, return_indices: bool = False):
    """Max over adaptive windows of (N, C, L)."""
    return _adaptive_max("adaptive_max_pool1d", input, 1, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices: bool = False):
    """Max over adaptive windows of (N, C, H, W); indices are flat over H·W."""
    return _adaptive_max("adaptive_max_pool2d", input, 2, output_size, return_indices)


# -- max_unpool -------------------------------------------------------------------------
class MaxUnpool(Op):
    """Scatter x (N, C, L_in) into zeros (N, C, L_out) at `indices`; backward gathers."""

    @staticmethod
    def forward(ctx, x, indices, out_len):
        ctx.saved = (indices,)
        out = np.zeros(x.shape[:2] + (out_len,), dtype=x.dtype)
        np.put_along_axis(out, indices, x, axis=2)
        return out

    @staticmethod
    def backward(ctx, g):
        (indices,) = ctx.saved
        return apply_raw(Gather, g, 2, indices), None, None


def _max_unpool(name, n, input, indices, kernel_size, stride, padding, output_size):
    from ..tensor import Tensor

    k = ntuple(kernel_size, n, "kernel_size", name)
    s = k if stride is None else ntuple(stride, n, "stride", name)
    p = ntuple(padding, n, "padding", name)
    x, added = _batched(name, input, n)
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers, got {idx.dtype}")
    if tuple(idx.shape) != tuple(input.shape):
        raise ShapeError(f"{name}: indices of shape {idx.shape} must match the input {input.shape}")
    if output_size is None:
        out = tuple((i - 1) * si - 2 * pi + ki for i, ki, si, pi in zip(x.shape[2:], k, s, p))
    else:
        out = tuple(int(v) for v in output_size)[-n:]
        if len(out) != n:
            raise ValueError(f"{name}: output_size must have {n} or {n + 2} elements, got {output_size}")
    total = math.prod(out)
    plane = (x.shape[0], x.shape[1], math.prod(x.shape[2:]))
    flat_idx = idx.reshape(plane).astype(np.int64)
    if flat_idx.size and (flat_idx.min() < 0 or flat_idx.max() >= total):
        raise IndexError(f"{name}: found an invalid max index {int(flat_idx.max())} for output size {out}")
    y = MaxUnpool.apply(x.reshape(plane), flat_idx, total)
    return _unbatch(y.reshape(x.shape[:2] + out), added)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d: each value back at its index, zeros elsewhere."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d (indices flat over H·W)."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)
