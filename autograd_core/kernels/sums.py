"""Sums of float32/float64 arrays over their trailing or their leading axes, split over the cores.

NumPy sums a contiguous last axis of 64-128 elements at ~0.25 ns an element on one core (30 us for
the (16,64,128) statistics of a layer norm, 87 us for the (16,4,64,64) rows of attention) and leading
axes (bias and LayerNorm weight gradients) on one core too. These loops run rows in parallel (8 and
11 us for those two) and accumulate in float64, rounded once to the input's dtype: at least as
accurate as NumPy's pairwise float32 sum. Any other layout, dtype or size goes to NumPy's `sum`.

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
    for j in range(m):
        s = parts[0, j]
        for b in range(1, blocks):
            s += parts[b, j]
        out[j] = s


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
