"""Layer normalisation over the LAST axis (the caller flattens the normalised dims into it).

For each row x of length D, with m = mean(x), v = mean((x - m)^2) (biased, as PyTorch), r = 1/sqrt(v + eps)
and xhat = (x - m) r:

    y      = xhat * weight + bias                       (weight, bias of shape (D,), or None)
    dx     = r * (gw - mean(gw) - xhat * mean(gw * xhat)),   gw = g * weight
    dweight = sum over rows of g * xhat,    dbias = sum over rows of g

One fused pass per row in each direction (mean and variance in float64, two passes over the row so
that a large mean does not cancel the variance away), rows in parallel from `PARALLEL_MIN_NORM`
elements on; the backward also sums dweight and dbias in the same pass, one partial sum per block
of rows. The forward also returns m and r per row, which the backward takes instead of
recomputing them. float16 rows are computed in float32.

    >>> y, mean, rstd = layer_norm_forward(np.array([[1.0, 3.0]]), None, None)
    >>> y
    array([[-0.999995,  0.999995]])
"""

from __future__ import annotations

import math

import numpy as np

from . import _threads
from ._jit import FASTMATH, float_array, half_in_float32, njit, prange, same_shape, sized

# Rows split over the cores from here: each element costs ~3 passes of float64 arithmetic, and
# measured at (100, 1000) float32 the parallel pair took 77 us forward + backward against 92 serial.
PARALLEL_MIN_NORM = 1 << 15


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def _forward(x, weight, bias, eps, y, mean, rstd):
    rows, d = x.shape
    for r in prange(rows):
        row = x[r]
        s = 0.0
        for j in range(d):
            s += row[j]
        m = s / d
        q = 0.0
        for j in range(d):
            c = row[j] - m
            q += c * c
        inv = 1.0 / math.sqrt(q / d + eps)
        out = y[r]
        for j in range(d):
            out[j] = (row[j] - m) * inv * weight[j] + bias[j]
        mean[r] = m
        rstd[r] = inv


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def _backward(g, x, weight, mean, rstd, dx, dweight, dbias):
    """dx row by row, and each block of rows' sums of g * xhat and g into its own row of dweight
    and dbias (parts x d, float64), which the caller adds up: one pass over g and x, split over
    the cores without two threads writing the same sum."""
    rows, d = x.shape
    parts = dweight.shape[0]
    for p in prange(parts):
        dw, db = dweight[p], dbias[p]
        for r in range(rows * p // parts, rows * (p + 1) // parts):
            gr, xr, out = g[r], x[r], dx[r]
            m, inv = mean[r], rstd[r]
            a = 0.0  # sum(g w)
            b = 0.0  # sum(g w xhat)
            for j in range(d):
                xhat = (xr[j] - m) * inv
                gw = gr[j] * weight[j]
                a += gw
                b += gw * xhat
                dw[j] += gr[j] * xhat
                db[j] += gr[j]
            a /= d
            b /= d
            for j in range(d):
                xhat = (xr[j] - m) * inv
                out[j] = inv * (gr[j] * weight[j] - a - xhat * b)


def _affine(kernel, p, d, dtype, fill, name):
    if p is None:
        return np.full(d, fill, dtype)
    p = float_array(p, kernel, name)
    if p.shape != (d,):
        raise ValueError(f"{kernel}: {name} must have shape ({d},), got {p.shape}")
    return p.astype(dtype, copy=False)


@half_in_float32
def layer_norm_forward(x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                       eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y, mean, rstd): y normalised over the last axis, mean and rstd of shape x.shape[:-1] (float64)."""
    kernel = "layer_norm_forward"
    x = float_array(x, kernel)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"{kernel}: x needs a non-empty last axis, got shape {x.shape}")
    if not eps >= 0:
        raise ValueError(f"{kernel}: eps must be >= 0, got {eps}")
    d = x.shape[-1]
    w, b = _affine(kernel, weight, d, x.dtype, 1.0, "weight"), _affine(kernel, bias, d, x.dtype, 0.0, "bias")
    rows = x.reshape(-1, d)
    y = np.empty_like(rows)
    mean, rstd = np.empty(rows.shape[0]), np.empty(rows.shape[0])
    sized(_forward, x.size, PARALLEL_MIN_NORM)(rows, w, b, float(eps), y, mean, rstd)
    return y.reshape(x.shape), mean.reshape(x.shape[:-1]), rstd.reshape(x.shape[:-1])


@half_in_float32
def layer_norm_backward(g: np.ndarray, x: np.ndarray, weight: np.ndarray | None, mean: np.ndarray,
                        rstd: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dweight, dbias) for the output gradient g, from the forward's mean and rstd."""
    kernel = "layer_norm_backward"
    x = float_array(x, kernel)
    g = same_shape(g, x, kernel, "g")
    d = x.shape[-1]
    w = _affine(kernel, weight, d, x.dtype, 1.0, "weight")
    rows, grows = x.reshape(-1, d), g.reshape(-1, d)
    mean = np.ascontiguousarray(mean, np.float64).reshape(-1)
    rstd = np.ascontiguousarray(rstd, np.float64).reshape(-1)
    if mean.shape != (rows.shape[0],) or rstd.shape != (rows.shape[0],):
        raise ValueError(f"{kernel}: mean and rstd must have shape {x.shape[:-1]}")
    dx = np.empty_like(rows)
    parts = min(_threads.cores(), rows.shape[0]) if x.size >= PARALLEL_MIN_NORM else 1
    dweight, dbias = np.zeros((parts, d)), np.zeros((parts, d))
    sized(_backward, x.size, PARALLEL_MIN_NORM)(grows, rows, w, mean, rstd, dx, dweight, dbias)
    if parts > 1:
        dweight, dbias = dweight.sum(axis=0), dbias.sum(axis=0)
    return dx.reshape(x.shape), dweight.reshape(d).astype(x.dtype), dbias.reshape(d).astype(x.dtype)
