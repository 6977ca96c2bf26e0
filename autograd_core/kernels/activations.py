"""Elementwise activations and their derivatives, on float32/float64 arrays of any shape.

Each function is one fused pass over the flattened data: a `prange` loop, run serially (`sized`)
below `PARALLEL_MIN_*` elements. Where an exponential is needed, NumPy's SIMD exp is faster than
Numba's call to libm per element, so those kernels take exp(-|x|) from NumPy and finish in one Numba
pass. Choices, measured float32, 1e3..1e6 elements, 2 threads (benchmarks/bench_kernels.py):

    relu, leaky_relu, every backward but gelu's/softplus's   Numba, one pass (NumPy: 2-3 and temporaries)
    sigmoid, softplus and its backward                      NumPy exp(-|x|), then one Numba pass
    gelu and its backward                                   Numba (NumPy has no erf)
    tanh                                                    NumPy's SIMD tanh

The rules follow PyTorch, NaN included: relu(NaN) = NaN, and relu' is 0 where x <= 0.

    >>> relu_forward(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import PARALLEL_MIN_CHEAP, PARALLEL_MIN_MATH, float_array, njit, prange, same_shape, sized

_SQRT1_2 = 0.7071067811865476  # 1/sqrt(2)
_INV_SQRT_2PI = 0.3989422804014327  # 1/sqrt(2 pi)


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


@njit(cache=True, parallel=True)
def _sigmoid_from_exp(x, e, one):
    """Turns e[i] = exp(-|x[i]|) into sigmoid(x[i]) in place: 1/(1+e) for x >= 0, e/(1+e) below.

    `one` has the arrays' dtype, so float32 divides in float32 (vectorised; a float64 literal would
    promote every division to a scalar float64 one, 7x slower)."""
    for i in prange(x.size):
        numerator = e[i] if x[i] < 0 else one
        e[i] = numerator / (one + e[i])


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
    for i in prange(x.size):
        out[i] = 0.5 * x[i] * math.erfc(-x[i] * _SQRT1_2)  # erfc: Phi stays accurate in the left tail


@njit(cache=True, parallel=True)
def _gelu_grad(x, g, out):
    for i in prange(x.size):
        v = x[i]
        cdf = 0.5 * math.erfc(-v * _SQRT1_2)
        pdf = math.exp(-0.5 * v * v) * _INV_SQRT_2PI
        out[i] = g[i] * (cdf + v * pdf)


@njit(cache=True, parallel=True)
def _softplus_from_exp(x, e, beta, threshold):
    """Turns e[i] = exp(-|beta x[i]|) into softplus(x[i]) in place: log(1 + e^z) = max(z, 0) + log1p(e)."""
    for i in prange(x.size):
        z = beta * x[i]
        e[i] = x[i] if z > threshold else (max(z, 0.0) + math.log1p(e[i])) / beta


@njit(cache=True, parallel=True)
def _softplus_grad_from_exp(x, g, e, beta, threshold, one):
    """Turns e[i] = exp(-|beta x[i]|) into g[i] * sigmoid(beta x[i]) in place (g[i] above the threshold)."""
    for i in prange(x.size):
        z = beta * x[i]
        numerator = e[i] if z < 0 else one
        sigmoid = numerator / (one + e[i])  # computed on both paths, so the choice below is a select
        e[i] = g[i] if z > threshold else g[i] * sigmoid


# ---- the public kernels ----------------------------------------------------------------------------


def _exp_minus_abs(x, scale):
    """exp(-|scale x|) in (0, 1], never overflowing, by NumPy's SIMD exp: Numba calls libm once per
    element, about 3x slower on 1e4..1e5 float32 elements."""
    e = np.empty_like(x)
    np.abs(x, out=e)
    np.multiply(e, -abs(scale), out=e)
    np.exp(e, out=e)
    return e


def _forward(kernel, loop, threshold, x, *params):
    x = float_array(x, kernel)
    out = np.empty_like(x)
    sized(loop, x.size, threshold)(x.reshape(-1), out.reshape(-1), *params)
    return out


def _backward(kernel, loop, threshold, a, g, a_name, *params):
    a = float_array(a, kernel, a_name)
    g = same_shape(g, a, kernel, "g", a_name)
    out = np.empty_like(a)
    sized(loop, a.size, threshold)(a.reshape(-1), g.reshape(-1), out.reshape(-1), *params)
    return out


def relu_forward(x: np.ndarray) -> np.ndarray:
    """y = max(x, 0), NaN kept.

    >>> relu_forward(np.array([-1.0, 3.0]))
    array([0., 3.])
    """
    return _forward("relu_forward", _relu, PARALLEL_MIN_CHEAP, x)


def relu_backward(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """dx = g where x > 0, else 0 (0 at x == 0, as PyTorch).

    >>> relu_backward(np.array([-1.0, 0.0, 2.0]), np.array([5.0, 5.0, 5.0]))
    array([0., 0., 5.])
    """
    return _backward("relu_backward", _relu_grad, PARALLEL_MIN_CHEAP, x, g, "x")


def leaky_relu_forward(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """y = x where x > 0, else slope * x.

    >>> leaky_relu_forward(np.array([-2.0, 3.0]), 0.5)
    array([-1.,  3.])
    """
    return _forward("leaky_relu_forward", _leaky_relu, PARALLEL_MIN_CHEAP, x, float(slope))


def leaky_relu_backward(x: np.ndarray, g: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """dx = g where x > 0, else slope * g.

    >>> leaky_relu_backward(np.array([-2.0, 3.0]), np.array([1.0, 1.0]), 0.5)
    array([0.5, 1. ])
    """
    return _backward("leaky_relu_backward", _leaky_relu_grad, PARALLEL_MIN_CHEAP, x, g, "x", float(slope))


def sigmoid_forward(x: np.ndarray) -> np.ndarray:
    """y = 1 / (1 + e) where x >= 0 and e / (1 + e) where x < 0, with e = exp(-|x|): nothing overflows,
    and the limits are exactly 0 and 1. e comes from NumPy's SIMD exp, the rest from one Numba pass.

    >>> sigmoid_forward(np.array([-1e4, 0.0, 1e4]))
    array([0. , 0.5, 1. ])
    """
    x = float_array(x, "sigmoid_forward")
    e = _exp_minus_abs(x, 1.0)
    sized(_sigmoid_from_exp, x.size, PARALLEL_MIN_CHEAP)(x.reshape(-1), e.reshape(-1), x.dtype.type(1))
    return e


def sigmoid_backward(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """dx = g * y * (1 - y), from the forward's output y.

    >>> sigmoid_backward(np.array([0.5]), np.array([1.0]))
    array([0.25])
    """
    return _backward("sigmoid_backward", _sigmoid_grad, PARALLEL_MIN_CHEAP, y, g, "y")


def tanh_forward(x: np.ndarray) -> np.ndarray:
    """y = tanh(x), by NumPy's SIMD tanh.

    >>> tanh_forward(np.array([0.0]))
    array([0.])
    """
    return np.tanh(float_array(x, "tanh_forward"))


def tanh_backward(y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """dx = g * (1 - y^2), from the forward's output y.

    >>> tanh_backward(np.array([0.0]), np.array([2.0]))
    array([2.])
    """
    return _backward("tanh_backward", _tanh_grad, PARALLEL_MIN_CHEAP, y, g, "y")


def gelu_forward(x: np.ndarray) -> np.ndarray:
    """y = x * Phi(x) = x/2 * erfc(-x / sqrt 2): PyTorch's exact GELU (approximate='none').

    >>> gelu_forward(np.array([0.0, 1.0]))
    array([0.        , 0.84134475])
    """
    return _forward("gelu_forward", _gelu, PARALLEL_MIN_MATH, x)


def gelu_backward(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """dx = g * (Phi(x) + x * phi(x)), phi the standard normal density.

    >>> gelu_backward(np.array([0.0]), np.array([1.0]))
    array([0.5])
    """
    return _backward("gelu_backward", _gelu_grad, PARALLEL_MIN_MATH, x, g, "x")


def _beta(kernel, beta):
    if beta == 0:
        raise ValueError(f"{kernel}: beta must be non-zero")
    return float(beta)


def softplus_forward(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold (PyTorch's rule).

    >>> softplus_forward(np.array([0.0, 30.0]))
    array([ 0.69314718, 30.        ])
    """
    beta = _beta("softplus_forward", beta)
    x = float_array(x, "softplus_forward")
    e = _exp_minus_abs(x, beta)
    loop = sized(_softplus_from_exp, x.size, PARALLEL_MIN_MATH)
    loop(x.reshape(-1), e.reshape(-1), x.dtype.type(beta), x.dtype.type(threshold))
    return e


def softplus_backward(x: np.ndarray, g: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """dx = g * sigmoid(beta x), and dx = g where beta x > threshold.

    >>> softplus_backward(np.array([0.0, 30.0]), np.array([1.0, 1.0]))
    array([0.5, 1. ])
    """
    beta = _beta("softplus_backward", beta)
    x = float_array(x, "softplus_backward")
    g = same_shape(g, x, "softplus_backward", "g")
    e = _exp_minus_abs(x, beta)
    loop = sized(_softplus_grad_from_exp, x.size, PARALLEL_MIN_CHEAP)
    typed = x.dtype.type  # float32 arrays keep float32 arithmetic, which vectorises
    loop(x.reshape(-1), g.reshape(-1), e.reshape(-1), typed(beta), typed(threshold), typed(1))
    return e
