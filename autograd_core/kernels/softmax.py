"""softmax, log_softmax and cross-entropy along the LAST axis (the caller moves the axis there).

Every row is one fused loop: find the max m, then sum exp(x - m), then write the output, so logits of
magnitude 1e4 neither overflow nor lose the answer. exp and log come from `_vmath`, vectorised: on
float32 rows the exps run in float32 arithmetic (16 lanes) with x - m's rounding error carried into
exp's reduced argument, the max is an integer max of the float bits (`_row_max32`: numba's float max
does not vectorise), and each row's sum stays a float64 SIMD reduction (`_row_sum`), so results are
within 2 ulp of float64; float64 rows compute in float64; float16 rows in float32. Rows run in
parallel from `PARALLEL_MIN_*` elements on (`sized`). Rules (row vectors; y = softmax(x), lp = log_softmax(x)):

    softmax        y = exp(x - m) / S,  S = sum exp(x - m)        dx = y * (g - sum(g * y))
    log_softmax    lp = (x - m) - log S                         dx = g - exp(lp) * sum(g)
    cross_entropy  loss = -sum(q * lp),  q = (1 - ls) * target + ls / C      dx = exp(lp) * sum(q) - q

where `target` is a one-hot row for class-index targets or the given probabilities.

    >>> log_softmax_forward(np.array([1e4, 0.0]))
    array([     0., -10000.])
"""

from __future__ import annotations

import numpy as np

from ._jit import (
    CONTRACT,
    FASTMATH,
    PARALLEL_MIN_CHEAP,
    float_array,
    half_in_float32,
    njit,
    prange,
    same_shape,
    sized,
)
from ._vmath import bits_to_float32 as _bits_to_float32
from ._vmath import exp as _vexp
from ._vmath import exp32_finite as _exp32
from ._vmath import exp32x_finite as _exp32x
from ._vmath import log as _vlog
from ._vmath import two_diff32 as _two_diff32

# A float32 softmax costs ~0.5 ns an element (max, exp, sum, scale): from 65536 elements the rows
# split over the cores (a launch costs 2-20 us, see `_jit`; `_threads` keeps a busy machine serial).
PARALLEL_MIN_ROWS = 1 << 16
# float32 cross-entropy rows of at most SHORT_ROW classes below PARALLEL_MIN_ROWS elements take their
# exps in one flat loop over the array (`_ce_index_probs32_short`).
SHORT_ROW = 32

# ---- one row at a time ---------------------------------------------------------------------------


@njit(cache=True, fastmath={"nnan"})
def _row_max(x):
    """max(x), as a SIMD reduction: `nnan` lets LLVM vectorise it. A NaN in the row may then be
    missed here, but exp(NaN - m) is NaN whatever m is, so the row's sum and outputs are NaN."""
    m = x[0]
    for j in range(1, x.size):
        m = max(m, x[j])
    return m


@njit(cache=True)
def _row_max32(x):
    """max of a float32 row, vectorised where `_row_max` is not: as integers, the bits of a float32
    with the sign bit set are ordered backwards, and flipping the other 31 bits of those makes
    integer order float order (-0.0 < 0.0, inf and a positive NaN on top), and LLVM vectorises an
    integer max. A NaN in the row makes every output NaN however it sorts (exp(NaN - m) is NaN)."""
    bits = x.view(np.int32)
    m = np.int32(-2147483648)
    for j in range(bits.size):
        i = bits[j]
        m = max(m, i ^ ((i >> 31) & 0x7FFFFFFF))
    return _bits_to_float32(m ^ ((m >> 31) & 0x7FFFFFFF))


@njit(cache=True, fastmath=FASTMATH)
def _row_sum(v):
    """sum(v) in float64; reassoc lets LLVM split it over SIMD lanes."""
    s = np.float64(0.0)  # not 0.0: in Python (NUMBA_DISABLE_JIT) 0.0 + float32 stays float32
    for j in range(v.size):
        s += v[j]
    return s


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _softmax_row(x, out):
    m = np.float64(_row_max(x))  # x - m in float64 is exact for float32 x: no rounding before exp
    for j in range(x.size):
        out[j] = _vexp(x[j] - m)
    inv = 1.0 / _row_sum(out)
    for j in range(x.size):
        out[j] = out[j] * inv


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _log_softmax_row(x, out):
    m = np.float64(_row_max(x))
    for j in range(x.size):
        out[j] = _vexp(x[j] - m)
    log_s = _vlog(_row_sum(out))
    for j in range(x.size):
        out[j] = (x[j] - m) - log_s


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _exp_shifted32(x, m, out):
    """out = e**(x - m) for a float32 row, in float32 arithmetic (16 SIMD lanes): x - m is rounded
    to float32 but its rounding error goes into exp's reduced argument, so each value keeps
    <= 1 ulp."""
    for j in range(x.size):
        d, e = _two_diff32(x[j], m)
        out[j] = _exp32x(d, e)


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _softmax_row32(x, out):
    _exp_shifted32(x, _row_max32(x), out)
    inv = 1.0 / _row_sum(out)
    for j in range(x.size):
        out[j] = out[j] * inv  # float32 * float64, rounded once


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _log_softmax_row32(x, out):
    m = _row_max32(x)
    _exp_shifted32(x, m, out)
    shift = np.float64(m) + _vlog(_row_sum(out))
    for j in range(x.size):
        out[j] = np.float64(x[j]) - shift  # one rounding to float32


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _softmax_grad_row(y, g, out):
    for j in range(y.size):
        out[j] = g[j] * y[j]
    dot = _row_sum(out)
    for j in range(y.size):
        out[j] = y[j] * (g[j] - dot)


@njit(cache=True, fastmath=FASTMATH)
def _row_dot(a, b):
    """sum(a * b) with float64 products and sum (reassoc: split over SIMD lanes)."""
    s = np.float64(0.0)
    for j in range(a.size):
        s += np.float64(a[j]) * np.float64(b[j])
    return s


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _softmax_grad_row32(y, g, out):
    """`_softmax_grad_row` for float32 rows: the dot product in float64 without an array of
    products, then one float32 pass (16 lanes; g - dot cancels as in any float32 softmax)."""
    dot = np.float32(_row_dot(g, y))
    for j in range(y.size):
        out[j] = y[j] * (g[j] - dot)


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _log_softmax_grad_row(lp, g, out):
    s = _row_sum(g)
    for j in range(lp.size):
        out[j] = g[j] - _vexp(lp[j]) * s


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _ce_index_probs_row32(x, t, smoothing, ignore_index, p):
    """softmax of the float32 row x into p, and the row's loss from x itself: lp_j = x_j - lse with
    lse = m + log S in float64, so no log-probability array is written."""
    m = _row_max32(x)
    _exp_shifted32(x, m, p)
    return _ce_from_exps32(x, m, t, smoothing, ignore_index, p)


@njit(cache=True, error_model="numpy", fastmath=CONTRACT, inline="always")
def _ce_from_exps32(x, m, t, smoothing, ignore_index, p):
    """`_ce_index_probs_row32` once p holds e**(x - m)."""
    total = _row_sum(p)
    inv = 1.0 / total
    for j in range(x.size):
        p[j] = p[j] * inv
    if t == ignore_index:
        return 0.0
    lse = np.float64(m) + _vlog(total)
    loss = -(1.0 - smoothing) * (np.float64(x[t]) - lse)
    if smoothing > 0:
        loss -= smoothing / x.size * (_row_sum(x) - x.size * lse)
    return loss


@njit(cache=True)
def _ce_index_grad_probs_row(p, t, smoothing, ignore_index, grad, out):
    """grad * (p - q) for a smoothed one-hot q (which sums to 1): no exp at all."""
    if t == ignore_index:
        for j in range(p.size):
            out[j] = 0.0
        return
    uniform = smoothing / p.size
    for j in range(p.size):
        out[j] = grad * (p[j] - uniform)
    out[t] -= grad * (1.0 - smoothing)


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _log_softmax_probs_row32(x, out, p):
    """log_softmax of the float32 row x into out and softmax into p, from the same exps."""
    m = _row_max32(x)
    _exp_shifted32(x, m, p)
    total = _row_sum(p)
    shift = np.float64(m) + _vlog(total)
    inv = 1.0 / total
    for j in range(x.size):
        out[j] = np.float64(x[j]) - shift
        p[j] = p[j] * inv


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _log_softmax_grad_probs_row32(p, g, out):
    s = np.float32(_row_sum(g))
    for j in range(p.size):
        out[j] = g[j] - p[j] * s


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _log_softmax_grad_row32(lp, g, out):
    s = np.float32(_row_sum(g))  # the sum in float64, the loop in float32 arithmetic
    for j in range(lp.size):
        out[j] = g[j] - _exp32(lp[j]) * s


@njit(cache=True)
def _ce_index_loss_row(lp, t, smoothing, ignore_index):
    """The loss of one row from its log-probabilities lp (0 for an ignored row)."""
    if t == ignore_index:
        return 0.0
    loss = -(1.0 - smoothing) * lp[t]
    if smoothing > 0:
        loss -= smoothing / lp.size * _row_sum(lp)
    return loss


@njit(cache=True)
def _ce_prob_loss_row(lp, p, smoothing):
    uniform = smoothing / lp.size
    loss = 0.0
    for j in range(lp.size):
        loss -= ((1.0 - smoothing) * p[j] + uniform) * lp[j]
    return loss


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _ce_index_grad_row(lp, t, smoothing, ignore_index, grad, out):
    if t == ignore_index:
        for j in range(lp.size):
            out[j] = 0.0
        return
    uniform = smoothing / lp.size
    for j in range(lp.size):
        out[j] = grad * (_vexp(lp[j]) - uniform)  # sum(q) = 1 for a smoothed one-hot q
    out[t] -= grad * (1.0 - smoothing)


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _ce_index_grad_row32(lp, t, smoothing, ignore_index, grad, out):
    """`_ce_index_grad_row` for float32 rows: exp in float32 arithmetic."""
    if t == ignore_index:
        for j in range(lp.size):
            out[j] = 0.0
        return
    uniform = np.float32(smoothing / lp.size)
    scale = np.float32(grad)
    for j in range(lp.size):
        out[j] = scale * (_exp32(lp[j]) - uniform)
    out[t] -= grad * (1.0 - smoothing)


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _ce_prob_grad_row(lp, p, smoothing, grad, out):
    uniform = smoothing / lp.size
    total = smoothing + (1.0 - smoothing) * _row_sum(p)  # sum(q); probabilities need not sum to 1
    for j in range(lp.size):
        out[j] = grad * (_vexp(lp[j]) * total - ((1.0 - smoothing) * p[j] + uniform))


# ---- loops over rows; iteration r writes row r only ------------------------------------------------


@njit(cache=True, parallel=True)
def _softmax(x, out):
    for r in prange(x.shape[0]):
        _softmax_row(x[r], out[r])


@njit(cache=True, parallel=True)
def _log_softmax(x, out):
    for r in prange(x.shape[0]):
        _log_softmax_row(x[r], out[r])


@njit(cache=True, parallel=True)
def _softmax_grad(y, g, out):
    for r in prange(y.shape[0]):
        _softmax_grad_row(y[r], g[r], out[r])


@njit(cache=True, parallel=True)
def _softmax_grad32(y, g, out):
    for r in prange(y.shape[0]):
        _softmax_grad_row32(y[r], g[r], out[r])


@njit(cache=True, parallel=True)
def _log_softmax_grad(lp, g, out):
    for r in prange(lp.shape[0]):
        _log_softmax_grad_row(lp[r], g[r], out[r])


@njit(cache=True, parallel=True)
def _log_softmax32(x, out):
    for r in prange(x.shape[0]):
        _log_softmax_row32(x[r], out[r])


@njit(cache=True, parallel=True)
def _log_softmax_probs32(x, out, p):
    for r in prange(x.shape[0]):
        _log_softmax_probs_row32(x[r], out[r], p[r])


@njit(cache=True, parallel=True)
def _log_softmax_grad_probs32(p, g, out):
    for r in prange(p.shape[0]):
        _log_softmax_grad_probs_row32(p[r], g[r], out[r])


@njit(cache=True, parallel=True)
def _softmax32(x, out):
    for r in prange(x.shape[0]):
        _softmax_row32(x[r], out[r])


@njit(cache=True, parallel=True)
def _log_softmax_grad32(lp, g, out):
    for r in prange(lp.shape[0]):
        _log_softmax_grad_row32(lp[r], g[r], out[r])


@njit(cache=True, parallel=True)
def _ce_index_probs32(x, target, smoothing, ignore_index, p, loss):
    for r in prange(x.shape[0]):
        loss[r] = _ce_index_probs_row32(x[r], target[r], smoothing, ignore_index, p[r])


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _ce_index_probs32_short(x, target, smoothing, ignore_index, p, loss):
    """`_ce_index_probs32` for short rows (a few classes) on one core: a row of 10 alone runs its
    exps as scalar code (fewer elements than SIMD lanes), so the row maxima come first, then the
    exps of the whole array in one flat, vectorised loop, then each row's sum and loss
    ((128, 10) float32: 11.1 -> 6.2 us, the same results)."""
    n, c = x.shape
    m = np.empty(n, np.float32)
    shift = np.empty(n * c, np.float32)
    for r in range(n):
        m[r] = _row_max32(x[r])
        for j in range(c):
            shift[r * c + j] = m[r]
    xf, pf = x.reshape(-1), p.reshape(-1)
    for i in range(xf.size):
        d, e = _two_diff32(xf[i], shift[i])
        pf[i] = _exp32x(d, e)
    for r in range(n):
        loss[r] = _ce_from_exps32(x[r], m[r], target[r], smoothing, ignore_index, p[r])


@njit(cache=True, parallel=True)
def _ce_index_grad_probs(p, target, smoothing, ignore_index, grad, out):
    for r in prange(p.shape[0]):
        _ce_index_grad_probs_row(p[r], target[r], smoothing, ignore_index, grad[r], out[r])


@njit(cache=True, parallel=True)
def _ce_index_loss(lp, target, smoothing, ignore_index, loss):
    for r in prange(lp.shape[0]):
        loss[r] = _ce_index_loss_row(lp[r], target[r], smoothing, ignore_index)


@njit(cache=True, parallel=True)
def _ce_prob_loss(lp, p, smoothing, loss):
    for r in prange(lp.shape[0]):
        loss[r] = _ce_prob_loss_row(lp[r], p[r], smoothing)


@njit(cache=True, parallel=True)
def _ce_index_grad(lp, target, smoothing, ignore_index, grad, out):
    for r in prange(lp.shape[0]):
        _ce_index_grad_row(lp[r], target[r], smoothing, ignore_index, grad[r], out[r])


@njit(cache=True, parallel=True)
def _ce_index_grad32(lp, target, smoothing, ignore_index, grad, out):
    for r in prange(lp.shape[0]):
        _ce_index_grad_row32(lp[r], target[r], smoothing, ignore_index, grad[r], out[r])


@njit(cache=True, parallel=True)
def _ce_prob_grad(lp, p, smoothing, grad, out):
    for r in prange(lp.shape[0]):
        _ce_prob_grad_row(lp[r], p[r], smoothing, grad[r], out[r])


# ---- the public kernels --------------------------------------------------------------------------


def _log_softmax_rows(x):
    loop = _log_softmax32 if x.dtype == np.float32 else _log_softmax
    return _rows("log_softmax_forward", loop, PARALLEL_MIN_ROWS, (x,))


def _rows(kernel, loop, threshold, arrays):
    """Run a row loop over `arrays` viewed as (rows, last axis); returns the new output array."""
    out = np.empty_like(arrays[0])
    if out.ndim == 0:
        raise ValueError(f"{kernel}: needs at least one axis, got a 0-d array")
    if out.size > 0:
        sized(loop, out.size, threshold)(*[a.reshape(-1, a.shape[-1]) for a in (*arrays, out)])
    return out


@half_in_float32
def softmax_forward(x: np.ndarray) -> np.ndarray:
    """y = exp(x - m) / sum exp(x - m) along the last axis.  `softmax_forward([0., 0.])` -> `[0.5, 0.5]`"""
    x = float_array(x, "softmax_forward")
    return _rows("softmax_forward", _softmax32 if x.dtype == np.float32 else _softmax, PARALLEL_MIN_ROWS, (x,))


@half_in_float32
def softmax_backward(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """dx = y * (g - sum(g * y)) along the last axis, from the output y.

    >>> softmax_backward(np.array([0.5, 0.5]), np.array([1.0, 0.0]))
    array([ 0.25, -0.25])
    """
    y = float_array(y, "softmax_backward", "y")
    g = same_shape(g, y, "softmax_backward", "g", "y")
    loop = _softmax_grad32 if y.dtype == np.float32 else _softmax_grad
    return _rows("softmax_backward", loop, PARALLEL_MIN_ROWS, (y, g))  # the forward's split


@half_in_float32
def log_softmax_forward(x: np.ndarray, *, probs: bool = False):
    """y = (x - m) - log sum exp(x - m) along the last axis; with `probs=True`, (y, softmax(x)): on
    float32 rows from the same exps, so that `log_softmax_backward(p, g, from_probs=True)` needs none.

    >>> log_softmax_forward(np.array([0.0, 0.0]))
    array([-0.69314718, -0.69314718])
    """
    x = float_array(x, "log_softmax_forward")
    if not probs:
        return _log_softmax_rows(x)
    if x.dtype == np.float32:
        lp, p = np.empty_like(x), np.empty_like(x)
        if x.ndim == 0:
            raise ValueError("log_softmax_forward: needs at least one axis, got a 0-d array")
        if x.size:
            rows = (x.reshape(-1, x.shape[-1]), lp.reshape(-1, x.shape[-1]), p.reshape(-1, x.shape[-1]))
            sized(_log_softmax_probs32, x.size, PARALLEL_MIN_ROWS)(*rows)
        return lp, p
    lp = _log_softmax_rows(x)
    return lp, np.exp(lp)


@half_in_float32
def log_softmax_backward(y: np.ndarray, g: np.ndarray, *, from_probs: bool = False) -> np.ndarray:
    """dx = g - exp(y) * sum(g) along the last axis, y the log-softmax output; with `from_probs=True`,
    y is softmax(x) itself (from `log_softmax_forward(..., probs=True)`): dx = g - y * sum(g).

    >>> log_softmax_backward(np.log([0.5, 0.5]), np.array([1.0, 0.0]))
    array([ 0.5, -0.5])
    """
    y = float_array(y, "log_softmax_backward", "y")
    g = same_shape(g, y, "log_softmax_backward", "g", "y")
    if from_probs:
        if y.dtype == np.float32:
            return _rows("log_softmax_backward", _log_softmax_grad_probs32, PARALLEL_MIN_ROWS, (y, g))
        return g - y * g.sum(axis=-1, keepdims=True)
    loop = _log_softmax_grad32 if y.dtype == np.float32 else _log_softmax_grad
    return _rows("log_softmax_backward", loop, PARALLEL_MIN_ROWS, (y, g))


def _check_target(kernel, target, n, c, ignore_index, dtype, ranges=True):
    """Class indices (N,) checked against [0, C) or ignore_index (unless `ranges` is False: the
    caller checked them), or probabilities (N, C) as `dtype`."""
    target = np.asarray(target)
    if target.ndim == 1:
        if target.shape[0] != n or target.dtype.kind not in "iu":
            raise ValueError(f"{kernel}: class-index target must be integers of shape ({n},), "
                             f"got {target.dtype} with shape {target.shape}")
        target = np.ascontiguousarray(target, dtype=np.int64)
        # min and max first: one cheap pass each, where the mask below makes four arrays
        if ranges and n and (target.min() < 0 or target.max() >= c):
            bad = (target != ignore_index) & ((target < 0) | (target >= c))
            if bad.any():
                raise ValueError(f"{kernel}: target {target[bad][0]} is out of range for {c} classes")
        return target
    if target.shape != (n, c):
        raise ValueError(f"{kernel}: target must be class indices ({n},) or probabilities ({n}, {c}), "
                         f"got shape {target.shape}")
    return np.ascontiguousarray(target, dtype=dtype)


def _check_smoothing(kernel, label_smoothing):
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{kernel}: label_smoothing must be in [0, 1], got {label_smoothing}")
    return float(label_smoothing)


@half_in_float32
def cross_entropy_forward(
    logits: np.ndarray, target: np.ndarray, label_smoothing: float = 0.0, ignore_index: int = -100,
    *, checked: bool = False, probs: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row loss -sum(q * log_softmax(logits)) and the log-probabilities, as PyTorch's
    `F.cross_entropy(..., reduction='none', label_smoothing=ls)`.

    `target` is int class indices (N,) or float probabilities (N, C); q = (1-ls)*onehot(target) + ls/C,
    or (1-ls)*target + ls/C. Rows whose index equals `ignore_index` get loss 0. `checked=True` skips
    the range check of class indices (for a caller that made it, as the cross-entropy op does).
    `probs=True` returns the probabilities softmax(logits) instead of the log-probabilities, for
    `cross_entropy_backward(..., from_probs=True)` (class-index targets only): on float32 logits one
    pass writes them and the loss, and the backward needs no exp.

    >>> loss, lp = cross_entropy_forward(np.array([[0.0, 0.0]]), np.array([1]))
    >>> loss
    array([0.69314718])
    """
    kernel = "cross_entropy_forward"
    logits = float_array(logits, kernel, "logits")
    if logits.ndim != 2:
        raise ValueError(f"{kernel}: logits must be 2-D (N, C), got shape {logits.shape}")
    n, c = logits.shape
    target = _check_target(kernel, target, n, c, ignore_index, logits.dtype, not checked)
    smoothing = _check_smoothing(kernel, label_smoothing)
    if probs and target.ndim != 1:
        raise ValueError(f"{kernel}: probs=True needs class-index targets, got shape {target.shape}")
    if probs and logits.dtype == np.float32:
        p, loss = np.empty_like(logits), np.empty(n, dtype=logits.dtype)
        if n:
            loop = (_ce_index_probs32_short if c <= SHORT_ROW and logits.size < PARALLEL_MIN_ROWS
                    else sized(_ce_index_probs32, logits.size, PARALLEL_MIN_ROWS))
            loop(logits, target, smoothing, int(ignore_index), p, loss)
        return loss, p
    log_probs = _log_softmax_rows(logits) if n > 0 else np.empty_like(logits)
    loss = np.empty(n, dtype=logits.dtype)
    if n == 0:
        pass
    elif target.ndim == 1:
        work = logits.size if smoothing > 0 else n  # without smoothing: one element per row
        sized(_ce_index_loss, work, PARALLEL_MIN_CHEAP)(log_probs, target, smoothing, int(ignore_index), loss)
    else:
        sized(_ce_prob_loss, logits.size, PARALLEL_MIN_CHEAP)(log_probs, target, smoothing, loss)
    return (loss, np.exp(log_probs)) if probs else (loss, log_probs)


@half_in_float32
def cross_entropy_backward(
    log_probs: np.ndarray,
    target: np.ndarray,
    label_smoothing: float,
    grad_rows: np.ndarray,
    ignore_index: int = -100,
    *,
    checked: bool = False,
    from_probs: bool = False,
) -> np.ndarray:
    """d(sum_r grad_rows[r] * loss[r]) / d logits = grad_rows[:, None] * (softmax * sum(q) - q).

    Ignored rows get zero gradient; reductions (mean over the non-ignored rows...) are the caller's.
    `checked=True` skips the range check of class indices, as in `cross_entropy_forward`;
    `from_probs=True` takes the probabilities of `cross_entropy_forward(..., probs=True)` in place of
    `log_probs` (class-index targets only).

    >>> loss, lp = cross_entropy_forward(np.array([[0.0, 0.0]]), np.array([1]))
    >>> cross_entropy_backward(lp, np.array([1]), 0.0, np.ones(1))
    array([[ 0.5, -0.5]])
    """
    kernel = "cross_entropy_backward"
    log_probs = float_array(log_probs, kernel, "log_probs")
    if log_probs.ndim != 2:
        raise ValueError(f"{kernel}: log_probs must be 2-D (N, C), got shape {log_probs.shape}")
    n, c = log_probs.shape
    target = _check_target(kernel, target, n, c, ignore_index, log_probs.dtype, not checked)
    smoothing = _check_smoothing(kernel, label_smoothing)
    grad_rows = np.asarray(grad_rows)
    if grad_rows.shape != (n,):
        raise ValueError(f"{kernel}: grad_rows must have shape ({n},), got {grad_rows.shape}")
    grad_rows = np.ascontiguousarray(grad_rows, dtype=log_probs.dtype)
    out = np.empty_like(log_probs)
    loop_size = log_probs.size
    if from_probs:
        if target.ndim != 1:
            raise ValueError(f"{kernel}: from_probs=True needs class-index targets, got shape {target.shape}")
        loop = sized(_ce_index_grad_probs, loop_size, PARALLEL_MIN_ROWS)  # the forward's split
        loop(log_probs, target, smoothing, int(ignore_index), grad_rows, out)
    elif target.ndim == 1:
        loop = _ce_index_grad32 if log_probs.dtype == np.float32 else _ce_index_grad
        loop = sized(loop, loop_size, PARALLEL_MIN_ROWS)
        loop(log_probs, target, smoothing, int(ignore_index), grad_rows, out)
    else:
        sized(_ce_prob_grad, loop_size, PARALLEL_MIN_CHEAP)(log_probs, target, smoothing, grad_rows, out)
    return out
