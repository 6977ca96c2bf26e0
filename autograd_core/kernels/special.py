"""Special functions without SciPy: erf, erfc, lgamma (C's libm through numba loops, with
`*_reference` NumPy twins), and digamma, polygamma, erfinv written with NumPy.

digamma and polygamma shift the argument up by the recurrence ψ(x) = ψ(x+1) - 1/x until
it is at least 10, then use the asymptotic series (error < 1e-16 there); digamma reflects
negative arguments (ψ(1-x) - ψ(x) = π cot(πx)). erfinv starts from Giles' approximation
and polishes it with Halley steps on erf (on erfc near ±1). PyTorch's conventions at the poles: digamma
is -inf at 0 and NaN at negative integers; lgamma is +inf at non-positive integers.

    >>> import numpy as np
    >>> round(float(digamma(np.array(1.0))), 12)      # -γ
    -0.577215664902
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import PARALLEL_MIN_MATH, njit, prange, sized


@njit(cache=True, parallel=True)
def _erf(x, out):
    for i in prange(x.size):
        out[i] = math.erf(x[i])


@njit(cache=True, parallel=True)
def _erfc(x, out):
    for i in prange(x.size):
        out[i] = math.erfc(x[i])


@njit(cache=True, parallel=True)
def _lgamma(x, out):
    for i in prange(x.size):
        v = x[i]
        if v <= 0 and v == math.floor(v):
            out[i] = math.inf  # a pole: log|Γ| = +inf (C's lgamma; Python's raises)
        else:
            out[i] = math.lgamma(v)


def _run(kernel, x):
    flat = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    out = np.empty_like(flat)
    sized(kernel, flat.size, PARALLEL_MIN_MATH)(flat, out)
    return out.reshape(np.shape(x)).astype(np.asarray(x).dtype, copy=False)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise (float32 or float64 in and out)."""
    return _run(_erf, x)


def erfc(x: np.ndarray) -> np.ndarray:
    """1 - erf(x) without cancellation for large x."""
    return _run(_erfc, x)


def lgamma(x: np.ndarray) -> np.ndarray:
    """log|Γ(x)|; +inf at 0, -1, -2, ..."""
    return _run(_lgamma, x)


def _reference(fn, x, pole=None):
    def one(v):
        if pole is not None and v <= 0 and v == math.floor(v):
            return pole
        return fn(v)

    x = np.asarray(x)
    return np.vectorize(one, otypes=[np.float64])(x.astype(np.float64)).astype(x.dtype, copy=False)


def erf_reference(x):
    return _reference(math.erf, x)


def erfc_reference(x):
    return _reference(math.erfc, x)


def lgamma_reference(x):
    return _reference(math.lgamma, x, pole=math.inf)


# Bernoulli numbers B_2k for the asymptotic series
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def _shift_sum(x64: np.ndarray, power: int):
    """(x + K, Σ_{k<K} 1/(x+k)^power) with K elementwise so that x + K >= 10."""
    steps = np.maximum(np.ceil(10.0 - x64), 0.0)
    total = np.zeros_like(x64)
    z = x64.copy()
    for _ in range(int(steps.max()) if steps.size else 0):
        active = z < 10.0
        with np.errstate(divide="ignore", invalid="ignore"):
            total = np.where(active, total + 1.0 / z**power, total)
        z = np.where(active, z + 1.0, z)
    return z, total


def digamma(x: np.ndarray) -> np.ndarray:
    """ψ(x) = d/dx log Γ(x)."""
    x = np.asarray(x)
    x64 = x.astype(np.float64)
    neg = x64 < 0
    # reflection keeps the recurrence short for large negative x
    y = np.where(neg, 1.0 - x64, x64)
    z, total = _shift_sum(y, 1)
    inv2 = 1.0 / (z * z)
    out = np.log(z) - 0.5 / z - _series(inv2, 0) - total
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(neg, out - np.pi / np.tan(np.pi * x64), out)
        out = np.where(x64 == 0, -np.inf, out)
        out = np.where(neg & (x64 == np.floor(x64)), np.nan, out)
    return out.astype(x.dtype if x.dtype.kind == "f" else np.float64, copy=False)


def _series(inv2, n):
    """Σ_k B_2k (2k+n-1)! / ((2k)! z^(2k+n)) over the tabulated k, times z^n (for polygamma n,
    digamma n=0 uses B_2k / (2k z^2k))."""
    total = np.zeros_like(inv2)
    zk = np.ones_like(inv2)
    for k, b in enumerate(_B2K, start=1):
        zk = zk * inv2
        if n == 0:
            total = total + b / (2 * k) * zk
        else:
            total = total + b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) * zk
    return total


def polygamma(n: int, x: np.ndarray) -> np.ndarray:
    """The n-th derivative of digamma (n >= 1) for x > 0 or non-integer x."""
    if n == 0:
        return digamma(x)
    x = np.asarray(x)
    x64 = x.astype(np.float64)
    z, total = _shift_sum(x64, n + 1)
    inv2 = 1.0 / (z * z)
    # ψ^(n)(z) ~ (-1)^(n+1) [(n-1)!/z^n + n!/(2 z^(n+1)) + Σ B_2k (2k+n-1)!/((2k)! z^(2k+n))]
    tail = math.factorial(n - 1) / z**n + math.factorial(n) / (2 * z ** (n + 1)) + _series(inv2, n) / z**n
    sign = 1.0 if n % 2 else -1.0
    out = sign * (tail + math.factorial(n) * total)
    with np.errstate(invalid="ignore"):
        out = np.where((x64 <= 0) & (x64 == np.floor(x64)), np.inf if n % 2 else np.nan, out)
    return out.astype(x.dtype if x.dtype.kind == "f" else np.float64, copy=False)


def erfinv(y: np.ndarray) -> np.ndarray:
    """The inverse of erf on (-1, 1); ±inf at ±1, NaN outside."""
    y = np.asarray(y)
    y64 = y.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1.0 - y64) * (1.0 + y64))
        small = w < 5.0
        ws = w - 2.5
        wl = np.sqrt(w) - 3.0
        ps = 2.81022636e-08
        for c in (
            3.43273939e-07,
            -3.5233877e-06,
            -4.39150654e-06,
            0.00021858087,
            -0.00125372503,
            -0.00417768164,
            0.246640727,
            1.50140941,
        ):
            ps = c + ps * ws
        pl = -0.000200214257
        for c in (
            0.000100950558,
            0.00134934322,
            -0.00367342844,
            0.00573950773,
            -0.0076224613,
            0.00943887047,
            1.00167406,
            2.83297682,
        ):
            pl = c + pl * wl
        x = np.where(small, ps, pl) * y64
        tail = np.abs(y64) > 0.5
        for _ in range(8):  # Halley on erf(x) - y (cubic convergence; f''/f' = -2x)
            # near ±1, erf(x) - y cancels: erfc(|x|) against 1 - |y| (exact there) does not
            err = np.where(tail, np.sign(y64) * ((1.0 - np.abs(y64)) - erfc(np.abs(x))), erf(x) - y64)
            slope = 2.0 / math.sqrt(math.pi) * np.exp(-x * x)
            step = err / slope
            step = np.where(np.isfinite(step), step / (1.0 + x * step), 0.0)
            x = x - step
            if not (np.abs(step) > 1e-15 * np.abs(x)).any():
                break
        x = np.where(y64 == 1.0, np.inf, np.where(y64 == -1.0, -np.inf, x))
        x = np.where(np.abs(y64) > 1.0, np.nan, x)
    return x.astype(y.dtype if y.dtype.kind == "f" else np.float64, copy=False)
