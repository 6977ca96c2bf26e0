"""exp, log1p and the normal tail to float32 accuracy, at about half the cost of `_vmath`'s float64 ones.

The float32 activation kernels need results good to ~1 ulp of float32 where the function is well
conditioned, but the exponent of a Gaussian or a tanh-approximate GELU (-x^2/2, -2 sqrt(2/pi) (x +
0.044715 x^3)) is large and must be exact first: rounded to float32, -x^2/2 = -40 is off by 2e-6,
and e**-40 by 32 ulp. So these functions compute in float64 (the exponent, the reduction and the
assembly exact), with polynomials cut to float32 accuracy: `_vmath.exp` spends 12 multiply-adds on
its polynomial, `exp_neg` 6. Measured on AVX-512, float64 arithmetic throughout beat a mix of
float64 and float32 polynomials (16 lanes, but two conversions of 16 lanes at each change of width)
by 10% and came out more accurate.

Accuracy against float64 libm, relative (2**-24 is half an ulp of float32 at worst):

    exp_neg(a)       <= 2**-27 for a <= 0, 0 below -708 (where float32 results are 0 by far)
    log1p_unit(a)    <= 2**-28 for a in [0, 1]
    normal_tail(x)   Phi(-|x|) to <= 0.9 * 2**-24, and e**(-x^2/2) as exp_neg

normal_tail writes Phi(-u) = e**(-u^2/2) t Q(t), t = 3 / (3 + u), with Q a degree-9 polynomial fitted
here to 0.5 erfcx(u / sqrt 2) / t over u in [0, 14.5] (Chebyshev-weighted relative least squares,
turned into monomials).

    >>> round(float(exp_neg(-1.0)), 7), round(float(normal_tail(0.0)[0]), 7)
    (0.3678794, 0.5)
"""

from __future__ import annotations

import numpy as np

from ._jit import njit
from ._vmath import bits_to_float

_CONTRACT = {"contract"}

_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # n * _LN2_HI is exact for |n| < 2**20
_LN2_LO = 1.9082149292705877e-10
_EXP_MIN = -708.0  # 2**n stays a normal float64 above; below, e**a is 0 in float32 by far

# e**r = 1 + r + r^2 P(r), P(r) = sum r^k / (k + 2)!, k = 0..6: |r| <= ln2/2 makes the truncation
# r^9/9! < 2**-31
_E8, _E7, _E6, _E5 = 1 / 40320, 1 / 5040, 1 / 720, 1 / 120
_E4, _E3, _E2 = 1 / 24, 1 / 6, 0.5

# log1p(a) = 2 atanh(s) = 2s + 2s z Q(z), s = a / (2 + a), z = s^2 <= 1/9, Q = sum z^k / (2k + 3),
# k = 0..7: the next term is z^8/19 < 1.5e-9 of Q
_L17, _L15, _L13, _L11 = 1 / 17, 1 / 15, 1 / 13, 1 / 11
_L9, _L7, _L5, _L3 = 1 / 9, 1 / 7, 1 / 5, 1 / 3

# normal_tail's Q(t), lowest degree first
_Q0, _Q1, _Q2 = 0.1329680270008916, 0.1332843938743481, 0.11514187609257742
_Q3, _Q4, _Q5 = 0.10571775026678434, -0.00792998675437707, 0.1261528263814688
_Q6, _Q7, _Q8 = -0.15002737388640236, 0.03158458992186658, 0.02183958400619965
_Q9 = -0.008731696204677921


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def exp_neg(a):
    """e**a as float64 for a float64 a <= 0, to float32 accuracy with room to spare; 0 below -708,
    NaN passes through."""
    x = np.float64(a)
    c = x if x > _EXP_MIN else _EXP_MIN  # a comparison: NaN becomes a finite c (replaced below)
    n = np.floor(c * _LOG2E + 0.5)
    r = (c - n * _LN2_HI) - n * _LN2_LO  # exact reduction, |r| <= ln2/2
    p = _E8
    p = p * r + _E7
    p = p * r + _E6
    p = p * r + _E5
    p = p * r + _E4
    p = p * r + _E3
    p = p * r + _E2
    y = (1.0 + (r + r * r * p)) * bits_to_float((np.int64(n) + 1023) << 52)
    y = 0.0 if x < _EXP_MIN else y
    return x if x != x else y


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def log1p_unit(a):
    """log(1 + a) as float64 for a float64 a in [0, 1] (softplus's log1p(e^-|z|)), to float32
    accuracy: 2 atanh(s), s = a / (2 + a) <= 1/3, so no range reduction; NaN passes through."""
    x = np.float64(a)
    s = x / (2.0 + x)
    z = s * s
    q = _L17
    q = q * z + _L15
    q = q * z + _L13
    q = q * z + _L11
    q = q * z + _L9
    q = q * z + _L7
    q = q * z + _L5
    q = q * z + _L3
    return 2.0 * s + 2.0 * s * z * q


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def normal_tail(x):
    """(Phi(-|x|), e**(-x^2/2)) as float64 for a float32 or float64 x: the standard normal's tail
    to <= 2**-24 relative and the unnormalised density (Phi(x) = 1 - Phi(-x) for x > 0)."""
    u = abs(np.float64(x))
    e = exp_neg(-0.5 * u * u)  # u^2 is exact in float64 for a float32 u
    t = 3.0 / (3.0 + u)
    q = _Q9
    q = q * t + _Q8
    q = q * t + _Q7
    q = q * t + _Q6
    q = q * t + _Q5
    q = q * t + _Q4
    q = q * t + _Q3
    q = q * t + _Q2
    q = q * t + _Q1
    q = q * t + _Q0
    return q * t * e, e
