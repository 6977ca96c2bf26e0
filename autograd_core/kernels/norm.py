"""Layer normalisation over the LAST axis (the caller flattens the normalised dims into it).

For each row x of length D, with m = mean(x), v = mean((x - m)^2) (biased, as PyTorch), r = 1/sqrt(v + eps)
and xhat = (x - m) r:

    y      = xhat * weight + bias                       (weight, bias of shape (D,), or None)
    dx     = r * (gw - mean(gw) - xhat * mean(gw * xhat)),   gw = g * weight
    dweight = sum over rows of g * xhat,    dbias = sum over rows of g

One fused pass per row forward, two backward (the row's two sums, four rows at a time, then dx),
rows in parallel from `PARALLEL_MIN_NORM` elements on. The statistics are float64: float64 rows
take two passes (the mean, then the squares about it, so that a large mean does not cancel the
variance away); float32 rows take one, sums of x - x[0] and its squares (|x[0] - m| <= sqrt(D) std,
so float64 keeps the variance to ~D 1e-16). A float32 row's output is float32 arithmetic from xhat
rounded once (one float64 FMA, x r - m r): y within 1.5 ulp of its larger term |xhat w| or |b|, 16
SIMD lanes instead of 8. The backward's sums are float64 arithmetic, the products g w exact from
float32 data, so that the two means in dx carry no float32 rounding of each product; a float32
row's dx is then float32 arithmetic with the float64 constants in two parts (dx within 2 ulp of
the larger of r|g w|, r mean|g w| and r|xhat| mean|g w xhat|; PyTorch's float32 sums reach ~5). It sums
dweight and dbias in the same pass, one float64 partial sum per block of rows, added up in the
kernel. The forward also returns m and r per row, which the backward takes instead of recomputing
them. float16 rows are computed in float32.

    >>> y, mean, rstd = layer_norm_forward(np.array([[1.0, 3.0]]), None, None)
    >>> y
    array([[-0.999995,  0.999995]])
"""

from __future__ import annotations

import math

import numpy as np

from . import _threads
from ._jit import CONTRACT, FASTMATH, float_array, half_in_float32, njit, prange, same_shape, sized
from ._vmath import fma32 as _fma
from .sums import _add_parts

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


@njit(cache=True, fastmath=CONTRACT)
def _scale_row32(row, out, weight, bias, inv, m_inv):
    """out = xhat w + b for a float32 row, xhat = x r - m r in one float64 FMA rounded to float32:
    its own flags (no reassociation), so that the FMA stays one rounding."""
    for j in range(row.shape[0]):
        xhat = np.float32(np.float64(row[j]) * inv - m_inv)
        out[j] = xhat * weight[j] + bias[j]


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def _forward32(x, weight, bias, eps, y, mean, rstd):
    rows, d = x.shape
    for r in prange(rows):
        row = x[r]
        k = np.float64(row[0])  # the shift: sums of x - k and (x - k)^2 in one pass
        s = 0.0
        q = 0.0
        for j in range(d):
            c = row[j] - k
            s += c
            q += c * c
        mc = s / d
        m = k + mc
        inv = 1.0 / math.sqrt(max(q / d - mc * mc, 0.0) + eps)
        _scale_row32(row, y[r], weight, bias, inv, m * inv)
        mean[r] = m
        rstd[r] = inv


@njit(cache=True, fastmath=FASTMATH)
def _sums4(g, x, r, w64, mean, rstd, dw, db, ab):
    """Rows r..r+3 at once: ab[0, k] = sum of g w and ab[1, k] = sum of g w xhat over row r + k, and
    each column's sums of g xhat and g over the four rows added into dw and db. Products in float64
    from float32 data are exact. Four rows a pass: eight independent sums where one row had two
    (each add waited for the last), and dw, db read and written once per four rows, not per row."""
    g0, g1, g2, g3 = g[r], g[r + 1], g[r + 2], g[r + 3]
    x0, x1, x2, x3 = x[r], x[r + 1], x[r + 2], x[r + 3]
    m0, m1, m2, m3 = mean[r], mean[r + 1], mean[r + 2], mean[r + 3]
    i0, i1, i2, i3 = rstd[r], rstd[r + 1], rstd[r + 2], rstd[r + 3]
    a0 = a1 = a2 = a3 = 0.0
    b0 = b1 = b2 = b3 = 0.0
    for j in range(x0.size):
        w = w64[j]
        h0, h1, h2, h3 = (x0[j] - m0) * i0, (x1[j] - m1) * i1, (x2[j] - m2) * i2, (x3[j] - m3) * i3
        q0, q1, q2, q3 = np.float64(g0[j]), np.float64(g1[j]), np.float64(g2[j]), np.float64(g3[j])
        a0 += q0 * w
        a1 += q1 * w
        a2 += q2 * w
        a3 += q3 * w
        b0 += q0 * w * h0
        b1 += q1 * w * h1
        b2 += q2 * w * h2
        b3 += q3 * w * h3
        dw[j] += (q0 * h0 + q1 * h1) + (q2 * h2 + q3 * h3)
        db[j] += (q0 + q1) + (q2 + q3)
    ab[0, 0], ab[0, 1], ab[0, 2], ab[0, 3] = a0, a1, a2, a3
    ab[1, 0], ab[1, 1], ab[1, 2], ab[1, 3] = b0, b1, b2, b3


@njit(cache=True, fastmath=FASTMATH)
def _sums1(gr, xr, w64, m, inv, dw, db, ab):
    """`_sums4` for one row (the last rows of a block), into ab[:, 0]."""
    a = 0.0
    b = 0.0
    for j in range(xr.size):
        xhat = (xr[j] - m) * inv
        q = np.float64(gr[j])
        gw = q * w64[j]
        a += gw
        b += gw * xhat
        dw[j] += q * xhat
        db[j] += q
    ab[0, 0], ab[1, 0] = a, b


@njit(cache=True, fastmath=FASTMATH)
def _dx_row(gr, xr, w64, m, inv, a, b, out):
    """dx = r (g w - mean(g w) - xhat mean(g w xhat)) for one row, a and b its two means, w64 the
    weight as float64: r g w - (r a + r^2 b (x - m)), two constants a row."""
    c1 = inv * a
    c2 = inv * inv * b
    for j in range(xr.size):
        out[j] = np.float64(gr[j]) * w64[j] * inv - (c1 + c2 * (xr[j] - m))


@njit(cache=True, fastmath=CONTRACT)
def _dx_row32(gr, xr, weight, m, inv, a, b, out):
    """`_dx_row` for float32 data in float32 arithmetic (16 lanes), the float64 constants each as
    two float32 parts and g w with its rounding error, so that only the three fused sums round:
    within 1.7 ulp of dx's scale where float64 arithmetic is within 1.0, ~1 us sooner a 1e5 row
    block (PyTorch's is ~5 ulp off)."""
    mh = np.float32(m)
    ml = np.float32(m - mh)
    ih = np.float32(inv)
    il = np.float32(inv - ih)
    c1 = np.float32(inv * a)
    c2 = inv * inv * b
    c2h = np.float32(c2)
    c2l = np.float32(c2 - c2h)
    for j in range(xr.size):
        p = gr[j] * weight[j]
        e = _fma(gr[j], weight[j], -p)  # g w = p + e exactly
        xc = (xr[j] - mh) - ml
        t = _fma(c2h, xc, _fma(c2l, xc, c1))
        out[j] = _fma(p, ih, _fma(p, il, _fma(e, ih, -t)))


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def _backward(g, x, weight, mean, rstd, dx, partial, dweight, dbias, narrow):
    """dx row by row (`_dx_row32` where `narrow`: float32 data), and each block of rows' sums of
    g * xhat and g into its own row of partial[0] and partial[1] (parts x d, float64): two passes
    over each row (its two sums, then dx), split over the cores without two threads writing the
    same sum. The blocks' sums are then added into dweight and dbias on the calling thread."""
    rows, d = x.shape
    parts = partial.shape[1]
    w64 = np.empty(d)
    for j in range(d):
        w64[j] = weight[j]
    sums = np.empty((parts, 2, 4))
    for p in prange(parts):
        dw, db, ab = partial[0, p], partial[1, p], sums[p]
        for j in range(d):  # zeroed by the thread that sums into them: their lines start in its cache
            dw[j] = 0.0
            db[j] = 0.0
        r, stop = rows * p // parts, rows * (p + 1) // parts
        while r < stop:
            n = 4 if r + 4 <= stop else 1
            if n == 4:
                _sums4(g, x, r, w64, mean, rstd, dw, db, ab)
            else:
                _sums1(g[r], x[r], w64, mean[r], rstd[r], dw, db, ab)
            for k in range(n):
                a, b = ab[0, k] / d, ab[1, k] / d
                if narrow:
                    _dx_row32(g[r + k], x[r + k], weight, mean[r + k], rstd[r + k], a, b, dx[r + k])
                else:
                    _dx_row(g[r + k], x[r + k], w64, mean[r + k], rstd[r + k], a, b, dx[r + k])
            r += n
    _add_parts(partial[0], dweight)
    _add_parts(partial[1], dbias)


def _affine(kernel, p, d, dtype, fill, name):
    if type(p) is np.ndarray and p.dtype == dtype and p.shape == (d,) and p.flags.c_contiguous:
        return p  # what the op passes: nothing to check or convert
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
    flat = x.ndim == 2  # the op's case: no reshape either way (each costs ~0.2 us at this size)
    rows = x if flat else x.reshape(-1, d)
    y = np.empty_like(rows)
    stats = np.empty((2, rows.shape[0]))
    mean, rstd = stats[0], stats[1]
    loop = _forward32 if x.dtype == np.float32 else _forward
    sized(loop, x.size, PARALLEL_MIN_NORM)(rows, w, b, float(eps), y, mean, rstd)
    if flat:
        return y, mean, rstd
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
    flat = x.ndim == 2  # the op's case: no reshape either way
    rows, grows = (x, g) if flat else (x.reshape(-1, d), g.reshape(-1, d))
    mean, rstd = np.ascontiguousarray(mean, np.float64), np.ascontiguousarray(rstd, np.float64)
    if not flat:
        mean, rstd = mean.reshape(-1), rstd.reshape(-1)
    if mean.shape != (rows.shape[0],) or rstd.shape != (rows.shape[0],):
        raise ValueError(f"{kernel}: mean and rstd must have shape {x.shape[:-1]}")
    dx = np.empty_like(rows)
    parts = min(_threads.cores(), rows.shape[0]) if x.size >= PARALLEL_MIN_NORM else 1
    dweight, dbias = np.empty(d, x.dtype), np.empty(d, x.dtype)  # separate: each may become a .grad
    sized(_backward, x.size, PARALLEL_MIN_NORM)(grows, rows, w, mean, rstd, dx, np.empty((2, parts, d)),
                                                dweight, dbias, bool(x.dtype == np.float32))
    return (dx if flat else dx.reshape(x.shape)), dweight, dbias
