"""Elementwise activations and their derivatives, on float16/32/64 arrays of any shape.

Each function is one fused pass over the flattened data: a `prange` loop, run serially (`sized`)
below `PARALLEL_MIN_*` elements. No loop calls libm per element on float32 data (numba has no SVML
here, and a libm call keeps a loop scalar): exponentials, logs and the normal tail are branch-free
code that LLVM vectorises, from `_vmath` (float32 `exp32`, float64 `exp`) and `_vmath32` (float64 where
an exponent must be exact, float32 polynomials elsewhere). float32 results are within 2 ulp of a
float64 reference wherever the function is well conditioned (GELU's <= 1.1 ulp; PyTorch's float32
GELU is only absolutely accurate, 1 + erf(x) cancelling for x < -3). Choices, float32:

    relu, leaky_relu, every cheap backward        Numba, one pass (NumPy: 2-3 and temporaries)
    sigmoid, silu                                 `exp32`, float32 arithmetic (16 lanes)
    silu', silu's y and dy/dx together           `exp32_pair`, float32 parts (16 lanes), two passes a block
    gelu (both forms), softplus and their
    `forward_and_derivative`                      `_vmath32`, one pass each way, or y and dy/dx in one
    gelu on float64 data                          libm's erfc (float64 accuracy)
    tanh                                          NumPy's SIMD tanh

float16 arrays are computed in float32 and returned as float16 (`half_in_float32`). The rules follow
PyTorch, NaN included: relu(NaN) = NaN, and relu' is 0 where x <= 0.

    >>> relu_forward(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import (
    CONTRACT,
    FLOAT_DTYPES,
    PARALLEL_MIN_CHEAP,
    PARALLEL_MIN_MATH,
    float_array,
    half_in_float32,
    njit,
    prange,
    same_shape,
    sized,
)
from ._vmath import exp as _vexp
from ._vmath import exp32 as _exp32
from ._vmath import exp32_finite as _exp32_finite
from ._vmath import exp32_pair as _exp32_pair
from ._vmath import fma32 as _fma
from ._vmath import log1p as _vlog1p
from ._vmath32 import exp_neg as _exp_neg
from ._vmath32 import log1p_unit as _log1p_unit
from ._vmath32 import normal_tail as _normal_tail

_SQRT1_2 = 0.7071067811865476  # 1/sqrt(2)
_INV_SQRT_2PI = 0.3989422804014327  # 1/sqrt(2 pi)
_TANH_K0 = 0.7978845608028654  # sqrt(2/pi), GELU's tanh approximation
_TANH_K1 = 0.044715

# sigmoid's and SiLU's float32 loops cost ~0.25 ns an element. They split from 32768 elements
# (PyTorch's grain size) since a leaf's gradient is no longer copied on the calling thread: sigmoid
# forward + backward at 1e5 took 48 us serial and takes 36 us split (PyTorch 31); sigmoid's backward
# follows its forward's split so that each core reads the half of y it wrote.
PARALLEL_MIN_VECTOR = 1 << 15
# The `_vmath32` loops (GELU, SiLU's derivative, softplus) cost ~1 ns an element, as libm-calling
# loops do: they split over the cores from 32768 elements (PyTorch's grain size too).
PARALLEL_MIN_HEAVY = 1 << 15


# ---- loops over flat arrays; iteration i writes out[i] only ----------------------------------------


@njit(cache=True, parallel=True)
def _relu(x, out):
    for i in prange(x.size):
        out[i] = 0.0 if x[i] <= 0 else x[i]  # `<=` is False for NaN, which passes through


@njit(cache=True, parallel=True)
def _relu_grad(x, g, out):
    for i in prange(x.size):
        out[i] = 0.0 if x[i] <= 0 else g[i]


@njit(cache=True, parallel=True)
def _leaky_relu(x, out, slope):
    for i in prange(x.size):
        out[i] = x[i] if x[i] > 0 else x[i] * slope


@njit(cache=True, parallel=True)
def _leaky_relu_grad(x, g, out, slope):
    for i in prange(x.size):
        out[i] = g[i] if x[i] > 0 else g[i] * slope


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _sigmoid(x, out):
    for i in prange(x.size):
        out[i] = 1.0 / (1.0 + _vexp(-x[i]))  # exp(inf) = inf gives exactly 0; NaN passes through


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _sigmoid32(x, out):
    """float32 data in float32 arithmetic (16 SIMD lanes): exp's argument is exact, so <= 2 ulp.
    a = e^-|x| never overflows, so sigmoid(-90) is its subnormal value, not 1/inf = 0."""
    one = np.float32(1.0)
    for i in prange(x.size):
        a = _exp32_finite(-abs(x[i]))
        out[i] = (one if x[i] >= 0 else a) / (one + a)


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _silu32(x, out):
    """x / (1 + e^-x) with `exp32`: within 2.4 ulp (e^-x, 1 + e^-x and the quotient each round;
    the most over 2M points in [-87, 90], near x = -17 where e^-x nears 2**24), until e^-x
    overflows (x < -88.7, where x e^x < 1e-36 and the result is -0, as PyTorch's); x e^x with a
    subnormal e^x would be off by up to |x|/2 ulp above. `_silu32_parts`, for a forward that keeps
    its derivative, is within 1.5 ulp, at twice the cost."""
    one = np.float32(1.0)
    for i in prange(x.size):
        out[i] = x[i] / (one + _exp32(-x[i]))


@njit(cache=True, parallel=True)
def _sigmoid_grad(y, g, out):
    for i in prange(y.size):
        out[i] = g[i] * y[i] * (1 - y[i])


@njit(cache=True, parallel=True)
def _tanh_grad(y, g, out):
    for i in prange(y.size):
        out[i] = g[i] * (1 - y[i] * y[i])


@njit(cache=True, parallel=True)
def _gelu(x, out):
    """float64 data: libm's erfc, accurate to float64."""
    for i in prange(x.size):
        out[i] = 0.5 * x[i] * math.erfc(-x[i] * _SQRT1_2)  # erfc: Phi stays accurate in the left tail


@njit(cache=True, parallel=True)
def _gelu_grad(x, g, out):
    for i in prange(x.size):
        v = x[i]
        cdf = 0.5 * math.erfc(-v * _SQRT1_2)
        pdf = math.exp(-0.5 * v * v) * _INV_SQRT_2PI
        out[i] = g[i] * (cdf + v * pdf)


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _gelu32(x, out):
    """float32 data: x Phi(x), Phi from `_vmath32.normal_tail` (Phi(x) = 1 - Phi(-x) for x > 0)."""
    for i in prange(x.size):
        v = np.float64(x[i])
        q, e = _normal_tail(v)
        out[i] = v * (q if v < 0 else 1.0 - q)


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _gelu32_grad(x, g, out):
    for i in prange(x.size):
        v = np.float64(x[i])
        q, e = _normal_tail(v)
        cdf = q if v < 0 else 1.0 - q
        out[i] = g[i] * (cdf + v * e * _INV_SQRT_2PI)


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _gelu_tanh(x, out):
    """x/2 (1 + tanh u) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): no cancellation. The
    exponent is exact in float64 and `exp_neg` takes it as is."""
    for i in prange(x.size):
        v = np.float64(x[i])
        u = _TANH_K0 * (v + _TANH_K1 * v * v * v)
        a = _exp_neg(-2.0 * abs(u))
        out[i] = v * (1.0 if u >= 0 else a) / (1.0 + a)


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _gelu_tanh_grad(x, g, out):
    """d/dx = s + x s (1 - s) 2u', with s = sigmoid(2u) and s (1 - s) = a / (1 + a)^2, a = e^-|2u|."""
    for i in prange(x.size):
        v = np.float64(x[i])
        u = _TANH_K0 * (v + _TANH_K1 * v * v * v)
        a = _exp_neg(-2.0 * abs(u))
        inv = 1.0 / (1.0 + a)
        s = inv if u >= 0 else a * inv
        du = 2.0 * _TANH_K0 * (1.0 + 3.0 * _TANH_K1 * v * v)
        out[i] = g[i] * (s + v * a * inv * inv * du)


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _gelu_tanh64(x, out):
    """`_gelu_tanh` for float64 data, with `_vmath`'s float64 exp."""
    for i in prange(x.size):
        v = x[i]
        u = _TANH_K0 * (v + _TANH_K1 * v * v * v)
        out[i] = v / (1.0 + _vexp(-2.0 * u))


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _gelu_tanh64_grad(x, g, out):
    for i in prange(x.size):
        v = x[i]
        u = _TANH_K0 * (v + _TANH_K1 * v * v * v)
        a = _vexp(-2.0 * abs(u))
        inv = 1.0 / (1.0 + a)
        s = inv if u >= 0 else a * inv
        du = 2.0 * _TANH_K0 * (1.0 + 3.0 * _TANH_K1 * v * v)
        out[i] = g[i] * (s + v * a * inv * inv * du)


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _silu(x, out):
    for i in prange(x.size):
        v = np.float64(x[i])
        out[i] = v / (1.0 + _vexp(-v))


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _silu_grad(x, g, out):
    """d/dx x s(x) = s (1 + x (1 - s)), with s and 1 - s both from a = e^-|x| (no cancellation)."""
    for i in prange(x.size):
        v = np.float64(x[i])
        a = _vexp(-abs(v))
        inv = 1.0 / (1.0 + a)
        s = inv if v >= 0 else a * inv
        rest = a * inv if v >= 0 else inv
        out[i] = g[i] * (s * (1.0 + v * rest))


@njit(cache=True, error_model="numpy", fastmath=CONTRACT, inline="always")
def _silu32_parts(v):
    """(y, dy/dx) of SiLU at a float32 v, in float32 arithmetic (16 lanes): y within 1.5 ulp and
    dy/dx = s (1 + v (1 - s)) within 2 ulp of its larger term (`_silu32_from_exp`)."""
    ah, al = _exp32_pair(-abs(v))
    return _silu32_from_exp(v, ah, al)


@njit(cache=True, error_model="numpy", fastmath=CONTRACT, inline="always")
def _silu32_from_exp(v, ah, al):
    """(y, dy/dx) of SiLU at a float32 v from a = e^-|v| = ah + al (`exp32_pair`). dy/dx cancels
    near v = -1.28, so its pieces stay as two float32 parts: 1/(1 + a) with its rounding error (one
    Newton residual), and s, 1 - s from them; y = v s needs only s rounded once. Below -87.3, where
    a is subnormal, y and dy/dx are ~1e-36 or less and only absolutely accurate. NaN: a = 0, and v
    carries it through."""
    one = np.float32(1.0)
    zero = np.float32(0.0)
    qh = one + ah
    ql = (ah - (qh - one)) + al  # 1 + a = qh + ql exactly
    ih = one / qh
    il = ih * (_fma(-qh, ih, one) - ql * ih)  # 1/(1 + a) = ih + il: the residual is exact
    u = _fma(ah, ih, _fma(al, ih, ah * il))  # a/(1 + a)
    pos = v >= zero
    sh = ih if pos else u  # s = sh + sl
    sl = il if pos else zero
    ch = u if pos else ih  # 1 - s = ch + cl
    cl = zero if pos else il
    t = _fma(v, ch, _fma(v, cl, one))
    y = v * (sh + sl)
    return y, _fma(sh, t, sl * t)


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _silu32_grad(x, g, out):
    """`_silu_grad` for float32 data (`_silu32_parts`)."""
    for i in prange(x.size):
        out[i] = g[i] * _silu32_parts(x[i])[1]


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _softplus32(x, out, beta, threshold):
    """`_softplus` for float32 data, with `_vmath32`'s exp and log1p."""
    for i in prange(x.size):
        v = np.float64(x[i])
        z = beta * v
        stable = (max(z, 0.0) + _log1p_unit(_exp_neg(-abs(z)))) / beta
        out[i] = v if z > threshold else stable


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _softplus32_grad(x, g, out, beta, threshold):
    for i in prange(x.size):
        z = beta * np.float64(x[i])
        a = _exp_neg(-abs(z))
        s = (1.0 if z >= 0 else a) / (1.0 + a)
        out[i] = g[i] if z > threshold else g[i] * s


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _softplus(x, out, beta, threshold):
    """log(1 + e^z) / beta = (max(z, 0) + log1p(e^-|z|)) / beta, z = beta x; x where z > threshold."""
    for i in prange(x.size):
        v = np.float64(x[i])
        z = beta * v
        stable = (max(z, 0.0) + _vlog1p(_vexp(-abs(z)))) / beta
        out[i] = v if z > threshold else stable


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _softplus_grad(x, g, out, beta, threshold):
    """g sigmoid(z), z = beta x (g where z > threshold); sigmoid from a = e^-|z|, never overflowing."""
    for i in prange(x.size):
        z = beta * np.float64(x[i])
        a = _vexp(-abs(z))
        s = (1.0 if z >= 0 else a) / (1.0 + a)
        out[i] = g[i] if z > threshold else g[i] * s


# ---- forward and derivative in one pass (float32): the backward is then g * dydx ------------------


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _gelu32_both(x, out, d):
    for i in prange(x.size):
        v = np.float64(x[i])
        q, e = _normal_tail(v)
        cdf = q if v < 0 else 1.0 - q
        out[i] = v * cdf
        d[i] = cdf + v * e * _INV_SQRT_2PI


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _gelu_tanh32_both(x, out, d):
    for i in prange(x.size):
        v = np.float64(x[i])
        u = _TANH_K0 * (v + _TANH_K1 * v * v * v)
        a = _exp_neg(-2.0 * abs(u))
        inv = 1.0 / (1.0 + a)
        s = inv if u >= 0 else a * inv
        out[i] = v * s
        d[i] = s + v * a * inv * inv * (2.0 * _TANH_K0 * (1.0 + 3.0 * _TANH_K1 * v * v))


# SiLU's y and dy/dx in two passes over each block of 2048 elements (24 KB of x, y and dy/dx: they
# stay in L1): the first writes e^-|x| as two parts into y and dy/dx, the second reads them back and
# overwrites them. In one pass each element is a chain of ~40 dependent operations, and the core
# could not hold enough elements in flight to hide it: one thread took 23 us for 5e4 elements in
# one pass, 18 in two, with the same bits (1e5 on 2 threads: 21 us; 28 before this and exp32_pair's
# shorter polynomial chain).
_SILU_BLOCK = 2048


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _exp_neg_abs_pair(x, hi, lo):
    for i in range(x.size):
        hi[i], lo[i] = _exp32_pair(-abs(x[i]))


@njit(cache=True, error_model="numpy", fastmath=CONTRACT)
def _silu32_from_exp_block(x, out, d):
    """out and d hold e^-|x| as two parts (`_exp_neg_abs_pair`); they become y and dy/dx."""
    for i in range(x.size):
        y, dydx = _silu32_from_exp(x[i], out[i], d[i])
        out[i] = y
        d[i] = dydx


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _silu32_both(x, out, d):
    n = x.size
    for b in prange((n + _SILU_BLOCK - 1) // _SILU_BLOCK):
        start = b * _SILU_BLOCK
        stop = min(start + _SILU_BLOCK, n)
        xs, ys, ds = x[start:stop], out[start:stop], d[start:stop]  # slices: loops from 0 vectorise
        _exp_neg_abs_pair(xs, ys, ds)
        _silu32_from_exp_block(xs, ys, ds)


@njit(cache=True, parallel=True, error_model="numpy", fastmath=CONTRACT)
def _softplus32_both(x, out, d, beta, threshold):
    for i in prange(x.size):
        v = np.float64(x[i])
        z = beta * v
        a = _exp_neg(-abs(z))
        big = z > threshold
        out[i] = v if big else (max(z, 0.0) + _log1p_unit(a)) / beta
        d[i] = 1.0 if big else (1.0 if z >= 0 else a) / (1.0 + a)


# ---- the public kernels ----------------------------------------------------------------------------


def _flat(a: np.ndarray) -> np.ndarray:
    """A C-contiguous array as the 1-D view the loops take: itself when it is 1-D already (a
    reshape costs ~0.15 us of an activation's ~2 us call at small sizes)."""
    return a if a.ndim == 1 else a.reshape(-1)


def _forward(kernel, loop, threshold, x, *params):
    x = float_array(x, kernel)
    out = np.empty_like(x)
    sized(loop, x.size, threshold)(_flat(x), _flat(out), *params)
    return out


def _backward(kernel, loop, threshold, a, g, a_name, *params):
    a = float_array(a, kernel, a_name)
    g = same_shape(g, a, kernel, "g", a_name)
    out = np.empty_like(a)
    sized(loop, a.size, threshold)(_flat(a), _flat(g), _flat(out), *params)
    return out


@half_in_float32
def relu_forward(x: np.ndarray) -> np.ndarray:
    """y = max(x, 0), NaN kept.

    >>> relu_forward(np.array([-1.0, 3.0]))
    array([0., 3.])
    """
    return _forward("relu_forward", _relu, PARALLEL_MIN_CHEAP, x)


@half_in_float32
def relu_backward(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """dx = g where x > 0, else 0 (0 at x == 0, as PyTorch).

    >>> relu_backward(np.array([-1.0, 0.0, 2.0]), np.array([5.0, 5.0, 5.0]))
    array([0., 0., 5.])
    """
    return _backward("relu_backward", _relu_grad, PARALLEL_MIN_CHEAP, x, g, "x")


@half_in_float32
def leaky_relu_forward(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """y = x where x > 0, else slope * x.

    >>> leaky_relu_forward(np.array([-2.0, 3.0]), 0.5)
    array([-1.,  3.])
    """
    return _forward("leaky_relu_forward", _leaky_relu, PARALLEL_MIN_CHEAP, x, float(slope))


@half_in_float32
def leaky_relu_backward(x: np.ndarray, g: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """dx = g where x > 0, else slope * g.

    >>> leaky_relu_backward(np.array([-2.0, 3.0]), np.array([1.0, 1.0]), 0.5)
    array([0.5, 1. ])
    """
    return _backward("leaky_relu_backward", _leaky_relu_grad, PARALLEL_MIN_CHEAP, x, g, "x", float(slope))


@half_in_float32
def sigmoid_forward(x: np.ndarray) -> np.ndarray:
    """y = 1 / (1 + exp(-x)), computed in float64 inside: nothing overflows, and the limits are
    exactly 0 and 1.

    >>> sigmoid_forward(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """
    x = float_array(x, "sigmoid_forward")
    loop = _sigmoid32 if x.dtype == np.float32 else _sigmoid
    return _forward("sigmoid_forward", loop, PARALLEL_MIN_VECTOR, x)


@half_in_float32
def sigmoid_backward(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """dx = g * y * (1 - y), from the forward's output y.

    >>> sigmoid_backward(np.array([0.5]), np.array([1.0]))
    array([0.25])
    """
    return _backward("sigmoid_backward", _sigmoid_grad, PARALLEL_MIN_VECTOR, y, g, "y")


@half_in_float32
def tanh_forward(x: np.ndarray) -> np.ndarray:
    """y = tanh(x), by NumPy's SIMD tanh.

    >>> tanh_forward(np.array([0.0]))
    array([0.])
    """
    return np.tanh(float_array(x, "tanh_forward"))


@half_in_float32
def tanh_backward(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """dx = g * (1 - y^2), from the forward's output y.

    >>> tanh_backward(np.array([0.0]), np.array([2.0]))
    array([2.])
    """
    return _backward("tanh_backward", _tanh_grad, PARALLEL_MIN_CHEAP, y, g, "y")


def _check_approximate(kernel, approximate):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"{kernel}: approximate must be 'none' or 'tanh', got {approximate!r}")


@half_in_float32
def gelu_forward(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """y = x * Phi(x) = x/2 * erfc(-x / sqrt 2): PyTorch's exact GELU (approximate='none'), or
    x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) with approximate='tanh'.

    >>> gelu_forward(np.array([0.0, 1.0]))
    array([0.        , 0.84134475])
    """
    _check_approximate("gelu_forward", approximate)
    x = float_array(x, "gelu_forward")
    if approximate == "tanh":
        loop = _gelu_tanh if x.dtype == np.float32 else _gelu_tanh64
        return _forward("gelu_forward", loop, PARALLEL_MIN_HEAVY, x)
    if x.dtype == np.float64:
        return _forward("gelu_forward", _gelu, PARALLEL_MIN_MATH, x)
    return _forward("gelu_forward", _gelu32, PARALLEL_MIN_HEAVY, x)


@half_in_float32
def gelu_backward(x: np.ndarray, g: np.ndarray, approximate: str = "none") -> np.ndarray:
    """dx = g * (Phi(x) + x * phi(x)), phi the standard normal density (or the derivative of the
    tanh form with approximate='tanh').

    >>> gelu_backward(np.array([0.0]), np.array([1.0]))
    array([0.5])
    """
    _check_approximate("gelu_backward", approximate)
    x = float_array(x, "gelu_backward")
    if approximate == "tanh":
        loop = _gelu_tanh_grad if x.dtype == np.float32 else _gelu_tanh64_grad
        return _backward("gelu_backward", loop, PARALLEL_MIN_HEAVY, x, g, "x")
    if x.dtype == np.float64:
        return _backward("gelu_backward", _gelu_grad, PARALLEL_MIN_MATH, x, g, "x")
    return _backward("gelu_backward", _gelu32_grad, PARALLEL_MIN_HEAVY, x, g, "x")


@half_in_float32
def silu_forward(x: np.ndarray) -> np.ndarray:
    """y = x * sigmoid(x) = x / (1 + exp(-x)) (also called swish).

    >>> silu_forward(np.array([0.0, 1e4]))
    array([    0., 10000.])
    """
    x = float_array(x, "silu_forward")
    return _forward("silu_forward", _silu32 if x.dtype == np.float32 else _silu, PARALLEL_MIN_VECTOR, x)


@half_in_float32
def silu_backward(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """dx = g * s * (1 + x (1 - s)), s = sigmoid(x).

    >>> silu_backward(np.array([0.0]), np.array([1.0]))
    array([0.5])
    """
    x = float_array(x, "silu_backward")
    return _backward("silu_backward", _silu32_grad if x.dtype == np.float32 else _silu_grad,
                     PARALLEL_MIN_HEAVY, x, g, "x")


def _beta(kernel, beta):
    if beta == 0:
        raise ValueError(f"{kernel}: beta must be non-zero")
    return float(beta)


@half_in_float32
def softplus_forward(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold (PyTorch's rule).

    >>> softplus_forward(np.array([0.0, 30.0]))
    array([ 0.69314718, 30.        ])
    """
    beta = _beta("softplus_forward", beta)
    x = float_array(x, "softplus_forward")
    loop = _softplus32 if x.dtype == np.float32 else _softplus
    return _forward("softplus_forward", loop, PARALLEL_MIN_HEAVY, x, beta, float(threshold))


@half_in_float32
def softplus_backward(x: np.ndarray, g: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """dx = g * sigmoid(beta x), and dx = g where beta x > threshold.

    >>> softplus_backward(np.array([0.0, 30.0]), np.array([1.0, 1.0]))
    array([0.5, 1. ])
    """
    beta = _beta("softplus_backward", beta)
    x = float_array(x, "softplus_backward")
    loop = _softplus32_grad if x.dtype == np.float32 else _softplus_grad
    return _backward("softplus_backward", loop, PARALLEL_MIN_HEAVY, x, g, "x", beta, float(threshold))


_BOTH32 = {"gelu": _gelu32_both, "gelu_tanh": _gelu_tanh32_both, "silu": _silu32_both,
           "softplus": _softplus32_both}
_FORWARD_NAMES = {name: f"{name}_forward" for name in _BOTH32}  # for errors, made once


@half_in_float32
def forward_and_derivative(name: str, x: np.ndarray, *params) -> tuple[np.ndarray, np.ndarray]:
    """(y, dy/dx) of the activation `name` ('gelu', 'gelu_tanh', 'silu', 'softplus' with beta and
    threshold), for an op that will need its backward: float32 data computes both in one pass (the
    exponentials are shared), so that the backward is one multiplication, g * dy/dx.

    >>> forward_and_derivative("silu", np.array([0.0], np.float32))
    (array([0.], dtype=float32), array([0.5], dtype=float32))
    """
    loop = _BOTH32.get(name)
    if loop is None:
        raise ValueError(f"forward_and_derivative: no activation {name!r}; one of {sorted(_BOTH32)}")
    if name == "softplus":
        params = (_beta("softplus_forward", params[0]), float(params[1]))
    x = float_array(x, _FORWARD_NAMES[name])
    if x.dtype == np.float64:  # two passes of the float64 kernels
        forward, backward = _PAIRS[name]
        return forward(x, *params), backward(x, np.ones_like(x), *params)
    out, d = np.empty_like(x), np.empty_like(x)
    sized(loop, x.size, PARALLEL_MIN_HEAVY)(_flat(x), _flat(out), _flat(d), *params)
    return out, d


@njit(cache=True, parallel=True)
def _times(g, d, out):
    for i in prange(d.size):
        out[i] = g[i] * d[i]


def times_derivative(g: np.ndarray, d: np.ndarray, into_d: bool = False) -> np.ndarray:
    """g * dy/dx for the dy/dx that `forward_and_derivative` kept, in dy/dx's dtype; with `into_d`,
    written over d itself (for a caller that holds the only reference to d: no new array, and its
    lines are already in cache; SiLU's product at 1e5 float32 took 7.6 us, 5.9 in place). Split over
    the cores from the same size as that forward, so that each core reads the part of dy/dx it wrote
    (a serial NumPy product read the other core's half across: GELU forward + backward at 1e5
    float32 took 63 us, 60 us split; SiLU 57.5 and 54.5 us).

    >>> times_derivative(np.array([2.0, 3.0]), np.array([0.5, 1.0]))
    array([1., 3.])
    """
    g = np.asarray(g)
    if g.shape != d.shape:  # a broadcast g (not from the engine): a new array of the result's shape
        return np.multiply(g, d, dtype=d.dtype)
    out = d if into_d else None
    if (g.dtype == d.dtype and d.dtype in FLOAT_DTYPES and d.size >= PARALLEL_MIN_HEAVY
            and g.flags.c_contiguous and d.flags.c_contiguous):
        out = np.empty_like(d) if out is None else out
        _times(_flat(g), _flat(d), _flat(out))
        return out
    return np.multiply(g, d, out=out, dtype=d.dtype)


_PAIRS = {
    "gelu": (gelu_forward, gelu_backward),
    "gelu_tanh": (lambda x: gelu_forward(x, "tanh"), lambda x, g: gelu_backward(x, g, "tanh")),
    "silu": (silu_forward, silu_backward),
    "softplus": (softplus_forward, softplus_backward),
}
