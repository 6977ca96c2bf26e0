"""exp, log1p and the normal tail to float32 accuracy at about half the cost of `_vmath`'s float64 ones.

The float32 activation kernels need results good to ~1 ulp of float32 where the function is well
conditioned, but the exponent of a Gaussian or a tanh-approximate GELU (-x^2/2, -2 sqrt(2/pi) (x +
0.044715 x^3)) is large and must be exact to float64 first: rounded to float32, -x^2/2 = -40 is off
by 2e-6, and e**-40 by 32 ulp. So these functions take and return float64, keep the exact steps
(argument reduction, the final assembly) in float64 and evaluate the polynomials, where float32's
relative error is harmless, in float32: 16 SIMD lanes instead of 8 for most of the arithmetic.
`_vmath.exp` spends 12 float64 multiply-adds on its polynomial, `exp_mixed` 5 float32 ones.

Accuracy against float64 libm, relative (2**-24 is half an ulp of float32 at worst):

    exp_mixed(a)     <= 2**-26 for a <= 0 (the only use), 0 below -708
    log1p_unit(a)    <= 2**-26 for a in [0, 1]
    normal_tail(x)   Phi(-|x|) to <= 1.0 * 2**-24 and e**(-x^2/2) as exp_mixed

normal_tail writes Phi(-u) = e**(-u^2/2) t Q(t), t = 3 / (3 + u), with Q a degree-9 polynomial fitted
here to 0.5 erfcx(u / sqrt 2) / t over u in [0, 14.5] (Chebyshev-weighted relative least squares,
turned into monomials); its top seven coefficients run in float32, the last three in float64.

    >>> round(float(exp_mixed(-1.0)), 7), round(float(normal_tail(0.0)[0]), 7)
    (0.3678794, 0.5)
"""

from __future__ import annotations

import numpy as np

from ._jit import njit
from ._vmath import bits_to_float

_F = np.float32
_CONTRACT = {"contract"}

_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # n * _LN2_HI is exact for |n| < 2**20
_LN2_LO = 1.9082149292705877e-10
_EXP_MIN = -708.0  # 2**n stays a normal float64 above; below, e**a is 0 in float32 by far

# e**r = 1 + r + r^2 P(r), P(r) = sum r^k / (k + 2)!, k = 0..5, in float32: |r| <= ln2/2 makes the
# truncation 4e-8 of P and r^2 P's share of the result < 0.07, so ~3e-9 of e**r
_C7, _C6, _C5, _C4, _C3, _C2 = _F(1 / 5040), _F(1 / 720), _F(1 / 120), _F(1 / 24), _F(1 / 6), _F(0.5)

# log1p(a) = 2 atanh(s) = 2s + 2s z Q(z), s = a / (2 + a), z = s^2 <= 1/9, Q = sum z^k / (2k + 3),
# k = 0..7: the next term is z^8/19 < 1.5e-9 of Q
_L17, _L15, _L13, _L11 = _F(1 / 17), _F(1 / 15), _F(1 / 13), _F(1 / 11)
_L9, _L7, _L5, _L3 = _F(1 / 9), _F(1 / 7), _F(1 / 5), _F(1 / 3)

# normal_tail's Q(t), lowest degree first
_Q0, _Q1, _Q2 = 0.1329680270008916, 0.1332843938743481, 0.11514187609257742
_Q3, _Q4, _Q5 = _F(0.10571775026678434), _F(-0.00792998675437707), _F(0.1261528263814688)
_Q6, _Q7, _Q8 = _F(-0.15002737388640236), _F(0.03158458992186658), _F(0.02183958400619965)
_Q9 = _F(-0.008731696204677921)


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def exp_mixed(a):
    """e**a as float64 for a float64 a <= 0, to float32 accuracy with room to spare; 0 below -708
    (where float32 results are 0 anyway), NaN passes through."""
    x = np.float64(a)
    c = x if x > _EXP_MIN else _EXP_MIN
    n = np.floor(c * _LOG2E + 0.5)
    r = (c - n * _LN2_HI) - n * _LN2_LO  # exact reduction, |r| <= ln2/2
    r32 = np.float32(r)
    p = _C7
    p = p * r32 + _C6
    p = p * r32 + _C5
    p = p * r32 + _C4
    p = p * r32 + _C3
    p = p * r32 + _C2
    y = (1.0 + (r + r * r * np.float64(p))) * bits_to_float((np.int64(n) + 1023) << 52)
    y = 0.0 if x < _EXP_MIN else y
    return x if x != x else y


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def log1p_unit(a):
    """log(1 + a) as float64 for a float64 a in [0, 1] (softplus's log1p(e^-|z|)), to float32
    accuracy: 2 atanh(s), s = a / (2 + a) <= 1/3, so no range reduction; NaN passes through."""
    x = np.float64(a)
    s = x / (2.0 + x)
    z = np.float32(s * s)
    q = _L17
    q = q * z + _L15
    q = q * z + _L13
    q = q * z + _L11
    q = q * z + _L9
    q = q * z + _L7
    q = q * z + _L5
    q = q * z + _L3
    return 2.0 * s + 2.0 * s * np.float64(z) * np.float64(q)


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def normal_tail(x):
    """(Phi(-|x|), e**(-x^2/2)) as float64 for a float32 or float64 x: the standard normal's tail
    to <= 2**-24 relative and the unnormalised density (Phi(x) = 1 - Phi(-x) for x > 0)."""
    u = abs(np.float64(x))
    e = exp_mixed(-0.5 * u * u)  # u^2 is exact in float64 for a float32 u
    t = 3.0 / (3.0 + u)
    t32 = np.float32(t)
    p = _Q9
    p = p * t32 + _Q8
    p = p * t32 + _Q7
    p = p * t32 + _Q6
    p = p * t32 + _Q5
    p = p * t32 + _Q4
    p = p * t32 + _Q3
    q = ((np.float64(p) * t + _Q2) * t + _Q1) * t + _Q0
    return q * t * e, e
