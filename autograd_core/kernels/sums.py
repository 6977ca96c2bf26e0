"""Sums of float32/float64 arrays (and of products of two) over their trailing or their leading
axes, split over the cores.

NumPy sums a contiguous last axis of 64-128 elements at ~0.25 ns an element on one core (30 us for
the (16,64,128) statistics of a layer norm, 87 us for the (16,4,64,64) rows of attention) and leading
axes (bias and LayerNorm weight gradients) on one core too. These loops run rows in parallel (8 and
11 us for those two) and accumulate in float64, rounded once to the input's dtype: at least as
accurate as NumPy's pairwise float32 sum. Any other layout, dtype or size goes to NumPy's `sum`.
`product_sum_to` sums a product the same way without making the product array: the gradient of a
broadcast factor (a LayerNorm weight's g * xhat, a divisor's (g / b) * a).

    >>> total(np.ones((2, 3, 4096), np.float32), (2,), False)[0]
    array([4096., 4096., 4096.], dtype=float32)
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import FASTMATH, FLOAT_DTYPES, njit, prange, sized

# Below SMALL elements NumPy's call costs less than a kernel's checks; from PARALLEL_MIN the rows
# split over the cores (PyTorch's grain size).
SMALL = 1 << 13
PARALLEL_MIN = 1 << 15
_BLOCKS = 4  # row blocks of a leading-axes sum: each sums into its own float64 row


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def _row_sums(x, out):
    """out[r] = sum(x[r]); reassoc lets LLVM split each sum over SIMD lanes."""
    for r in prange(x.shape[0]):
        row = x[r]
        s = np.float64(-0.0)  # the identity of +: a row of -0.0 sums to -0.0, as in NumPy
        for j in range(row.size):
            s += row[j]
        out[r] = s


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def _column_sums(x, parts, out):
    """out[j] = sum_i x[i, j]: block b of the rows sums into parts[b], then the parts add up."""
    n, m = x.shape
    blocks = parts.shape[0]
    step = (n + blocks - 1) // blocks
    for b in prange(blocks):
        acc = parts[b]
        for j in range(m):
            acc[j] = -0.0
        for i in range(b * step, min(n, (b + 1) * step)):
            row = x[i]
            for j in range(m):
                acc[j] += row[j]
    _add_parts(parts, out)


@njit(cache=True)
def _add_parts(parts, out):
    """out[j] = sum over p of parts[p, j], in order (the blocks of a column sum); parts[0] is used
    as the accumulator and left holding the sum. The parts add into it a row at a time, so that
    every loop runs along j in SIMD lanes: with the loop over p inside the loop over j, 2 parts of
    1000 took 0.55 us, now 0.1."""
    first = parts[0]
    for p in range(1, parts.shape[0]):
        row = parts[p]
        for j in range(first.size):
            first[j] += row[j]
    for j in range(out.size):
        out[j] = first[j]


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def _row_dots(a, b, out):
    """out[r] = sum(a[r] * b[r]), products and sum in float64."""
    for r in prange(a.shape[0]):
        x, y = a[r], b[r]
        s = np.float64(-0.0)
        for j in range(x.size):
            s += np.float64(x[j]) * np.float64(y[j])
        out[r] = s


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def _column_dots(a, b, parts, out):
    """out[j] = sum_i a[i, j] * b[i, j], by blocks of rows as `_column_sums`."""
    n, m = a.shape
    blocks = parts.shape[0]
    step = (n + blocks - 1) // blocks
    for p in prange(blocks):
        acc = parts[p]
        for j in range(m):
            acc[j] = -0.0
        for i in range(p * step, min(n, (p + 1) * step)):
            x, y = a[i], b[i]
            for j in range(m):
                acc[j] += np.float64(x[j]) * np.float64(y[j])
    _add_parts(parts, out)


def total(a: np.ndarray, axes, keepdims: bool = False) -> np.ndarray:
    """`a.sum(axis=axes, keepdims=keepdims)`, by the loops above when `axes` are the trailing or the
    leading axes of a C-contiguous float32/float64 array of at least `SMALL` elements. Anything else
with a `sum` method (a Tensor while a backward is recorded) is summed by that method.

    >>> total(np.arange(6.0).reshape(2, 3), (0,), True)
    array([[3., 5., 7.]])
    """
    if (type(a) is not np.ndarray or axes is None or a.size < SMALL or a.dtype not in FLOAT_DTYPES
            or not a.flags.c_contiguous):
        return a.sum(axis=axes, keepdims=keepdims)
    nd = a.ndim
    axes = sorted(ax % nd for ax in axes)
    k = len(axes)
    if k and axes == list(range(nd - k, nd)):
        cols = math.prod(a.shape[nd - k:])
        if cols >= 8:
            rows = a.size // cols
            out = np.empty(rows, a.dtype)
            sized(_row_sums, a.size, PARALLEL_MIN)(a.reshape(rows, cols), out)
            return out.reshape(a.shape[:nd - k] + ((1,) * k if keepdims else ()))
    elif k and axes == list(range(k)):
        rows = math.prod(a.shape[:k])
        if rows >= 16 and a.size // rows >= 8:
            cols = a.size // rows
            parallel = a.size >= PARALLEL_MIN
            parts = np.empty((_BLOCKS if parallel else 1, cols), np.float64)
            out = np.empty(cols, a.dtype)
            sized(_column_sums, a.size, PARALLEL_MIN)(a.reshape(rows, cols), parts, out)
            return out.reshape(((1,) * k if keepdims else ()) + a.shape[k:])
    return a.sum(axis=tuple(axes), keepdims=keepdims)


def product_sum_to(a: np.ndarray, b: np.ndarray, shape: tuple) -> np.ndarray | None:
    """(a * b) summed down to the broadcast shape `shape` (what the engine's unbroadcast does to a
    gradient), without the product array, when the summed axes are trailing or leading ones of two
    C-contiguous float32/float64 arrays of one shape and dtype, at least `SMALL` elements; None
    otherwise (the caller multiplies and sums).

    >>> product_sum_to(np.full((4, 4096), 2.0), np.full((4, 4096), 3.0), (4, 1))[:, 0]
    array([24576., 24576., 24576., 24576.])
    """
    if (type(a) is not np.ndarray or type(b) is not np.ndarray or a.shape != b.shape or a.dtype != b.dtype
            or a.size < SMALL or a.dtype not in FLOAT_DTYPES or not a.flags.c_contiguous
            or not b.flags.c_contiguous):
        return None
    nd, extra = a.ndim, a.ndim - len(shape)
    if extra < 0:
        return None
    axes = list(range(extra)) + [extra + i for i, n in enumerate(shape) if n == 1 and a.shape[extra + i] != 1]
    k = len(axes)
    if not k or math.prod(shape) * math.prod(a.shape[i] for i in axes) != a.size:
        return None  # nothing to sum, or shapes that do not broadcast (unbroadcast says so)
    if axes == list(range(nd - k, nd)):
        cols = math.prod(a.shape[nd - k:])
        if cols < 8:
            return None
        out = np.empty(a.size // cols, a.dtype)
        sized(_row_dots, a.size, PARALLEL_MIN)(a.reshape(-1, cols), b.reshape(-1, cols), out)
    elif axes == list(range(k)):
        rows = math.prod(a.shape[:k])
        if rows < 16 or a.size // rows < 8:
            return None
        parts = np.empty((_BLOCKS if a.size >= PARALLEL_MIN else 1, a.size // rows), np.float64)
        out = np.empty(a.size // rows, a.dtype)
        sized(_column_dots, a.size, PARALLEL_MIN)(a.reshape(rows, -1), b.reshape(rows, -1), parts, out)
    else:
        return None
    return out.reshape(shape)
