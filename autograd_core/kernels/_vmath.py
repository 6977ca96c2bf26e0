"""exp, log and log1p that LLVM can vectorise, for the activation and softmax kernels.

Numba compiles `math.exp` and friends to a call into libm per element, which no loop can
vectorise (and this machine has no SVML for numba to use instead): GELU at 1e5 float32 elements
took 40x PyTorch's time. These functions are branch-free float64 arithmetic: a range reduction,
a polynomial, and the exponent put together with an integer <-> float bitcast (an LLVM intrinsic,
see `_jit.LazyIntrinsic`; exp32 uses `scale32`, one `vscalefps` on AVX-512), so a loop that calls
them becomes SIMD code (AVX-512: 8 lanes, 16 for exp32). They are inlined into the caller by
numba (`inline="always"`): left to LLVM, a call stayed a call and the loop scalar. `_vmath32`
builds the float32-accurate GELU/softplus pieces on them.

Accuracy (measured against float64 libm over 1e6 arguments):

    exp      <= 1 ulp of float64 (subnormal results included), 0 and inf beyond the range
    log      <= 1 ulp of float64; log(0) = -inf, log(x < 0) = nan
    log1p    <= 2 ulp of float64, full relative accuracy for tiny x
    exp32    <= 1 ulp of float32, in float32 arithmetic; exp32x takes (hi, lo) arguments
    exp32_pair   e**v as hi + lo, both float32: <= 0.2 ulp of float32 (for SiLU's derivative)

NaN propagates through all of them; the kernels calling them are compiled with error_model="numpy"
so that divisions carry no zero-check branch.

    >>> round(float(exp(1.0)), 12), float(log1p(1e-20))
    (2.718281828459, 1e-20)
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import LazyIntrinsic, njit

# ---- bitcasts between int64 and float64 ------------------------------------------------------------


def _make_bitcast(to_float: bool, width: int = 64):
    def make(numba):
        from llvmlite import ir
        from numba import types
        from numba.extending import intrinsic

        if width == 32:
            @intrinsic
            def bits_to_float32(typingctx, i):
                if not isinstance(i, types.Integer):
                    return None

                def codegen(context, builder, sig, args):
                    value = context.cast(builder, args[0], sig.args[0], types.int32)
                    return builder.bitcast(value, ir.FloatType())

                return types.float32(i), codegen

            return bits_to_float32

        if to_float:
            @intrinsic
            def bits_to_float(typingctx, i):
                if not isinstance(i, types.Integer):
                    return None

                def codegen(context, builder, sig, args):
                    value = context.cast(builder, args[0], sig.args[0], types.int64)
                    return builder.bitcast(value, ir.DoubleType())

                return types.float64(i), codegen

            return bits_to_float

        @intrinsic
        def float_to_bits(typingctx, x):
            if not isinstance(x, types.Float):
                return None

            def codegen(context, builder, sig, args):
                value = context.cast(builder, args[0], sig.args[0], types.float64)
                return builder.bitcast(value, ir.IntType(64))

            return types.int64(x), codegen

        return float_to_bits

    return make


def _bits_to_float_py(i):
    """The float64 whose bits are the int64 i."""
    return float(np.array(i, np.int64).view(np.float64))


def _float_to_bits_py(x):
    """The bits of the float64 x as an int64."""
    return int(np.array(x, np.float64).view(np.int64))


def _bits_to_float32_py(i):
    """The float32 whose bits are the int32 i."""
    return np.array(i, np.int32).view(np.float32)[()]


def compiled_for_avx512(context) -> bool:
    """True when the kernels are compiled for AVX-512F (numba's target features: the host's, or
    NUMBA_CPU_FEATURES): there LLVM makes a vector `llvm.ldexp` one `vscalefps` (elsewhere a libm
    call per element, and `scale32` builds 2**k from bits), and `tiles` has its 32 zmm registers.
    The features are numba's own attribute: a numba without it gets False, never an error."""
    features = getattr(context.codegen(), "_tm_features", "")
    return isinstance(features, str) and "+avx512f" in features.split(",")


def _make_scale32(numba):
    """`scale32(p, k)`: p * 2**k for a float32 p and an int k in [-252, 254], with one rounding,
    subnormal results included. On AVX-512 it is LLVM's ldexp, one `vscalefps`: sigmoid's float32
    kernel at 1e5 took 14.3 us with the bit construction, 12.9 with it. (For float64 `vscalefpd`
    measured slower than the bits, GELU's kernel 43 -> 48 us, so `exp` keeps them.) Elsewhere 2**k
    is two factors built from bits, 2**(k >> 1) and 2**(k - (k >> 1)), each a normal number, so
    that only the second product rounds."""
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def scale32(typingctx, p, k):
        if not isinstance(k, types.Integer):
            return None

        def codegen(context, builder, sig, args):
            f32, i32 = ir.FloatType(), ir.IntType(32)
            x = context.cast(builder, args[0], sig.args[0], types.float32)
            n = context.cast(builder, args[1], sig.args[1], types.int32)
            if compiled_for_avx512(context):
                ldexp = cgutils.get_or_insert_function(builder.module, ir.FunctionType(f32, [f32, i32]),
                                                       "llvm.ldexp.f32.i32")
                return builder.call(ldexp, [x, n])
            half = builder.ashr(n, ir.Constant(i32, 1))

            def power(e):  # 2**e for a normal exponent e, from its bits
                return builder.bitcast(builder.shl(builder.add(e, ir.Constant(i32, 127)), ir.Constant(i32, 23)), f32)

            return builder.fmul(builder.fmul(x, power(half)), power(builder.sub(n, half)))

        return types.float32(p, k), codegen

    return scale32


def _make_fma32(numba):
    """`fma32(a, b, c)`: a * b + c for float32 values with one rounding (LLVM's fma, one vfmadd).
    Left to `fastmath={"contract"}`, LLVM fuses a product and a sum where it chooses, and it chose
    differently in a loop's vector body and its scalar remainder: a kernel whose accuracy rests on
    a fused residual (1 - q * (1/q) exactly) spells it out, and gives the same bits either way."""
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def fma32(typingctx, a, b, c):
        def codegen(context, builder, sig, args):
            f32 = ir.FloatType()
            vals = [context.cast(builder, v, t, types.float32) for v, t in zip(args, sig.args)]
            fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(f32, [f32] * 3), "llvm.fma.f32")
            return builder.call(fma, vals)

        return types.float32(a, b, c), codegen

    return fma32


def _fma32_py(a, b, c):
    """a * b + c in float32: the float32 product is exact in float64, then one float64 sum rounded
    to float32 (a double rounding, off by one ulp in rare ties)."""
    return np.float32(np.float64(np.float32(a)) * np.float64(np.float32(b)) + np.float64(np.float32(c)))


def _scale32_py(p, k):
    """p * 2**k in float32 (one rounding)."""
    return np.ldexp(np.float32(p), int(k))


bits_to_float = LazyIntrinsic(_make_bitcast(True), _bits_to_float_py)
bits_to_float32 = LazyIntrinsic(_make_bitcast(True, 32), _bits_to_float32_py)
float_to_bits = LazyIntrinsic(_make_bitcast(False), _float_to_bits_py)
scale32 = LazyIntrinsic(_make_scale32, _scale32_py)
fma32 = LazyIntrinsic(_make_fma32, _fma32_py)

# ---- constants -------------------------------------------------------------------------------------

_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 in 32 bits: n * _LN2_HI is exact for |n| < 2**20
_LN2_LO = 1.9082149292705877e-10
_SQRT2 = 1.4142135623730951
_EXP_MAX = 709.782712893384  # log of the largest float64
_EXP_MIN = -745.1332191019412  # log of the smallest subnormal float64
_CONTRACT = {"contract"}  # fused multiply-adds; nothing that changes NaN/inf handling
_INF = math.inf
_NAN = math.nan

# 1/k! for k = 13 .. 2 (Horner, highest first)
_E13, _E12, _E11, _E10 = 1 / 6227020800, 1 / 479001600, 1 / 39916800, 1 / 3628800
_E9, _E8, _E7, _E6, _E5 = 1 / 362880, 1 / 40320, 1 / 5040, 1 / 720, 1 / 120
_E4, _E3, _E2 = 1 / 24, 1 / 6, 0.5

@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def exp(v):
    """e**v as float64 (v of any float type); see the module docstring for the accuracy."""
    x = np.float64(v)
    # comparisons, not min/max: NaN becomes a finite c here (its result is replaced below), in
    # Python too. Below _EXP_MIN the result is 0, and c = 0 rather than _EXP_MIN: a subnormal
    # intermediate costs a microcode assist per lane, and masked softmax rows are full of -inf.
    c = x if x > _EXP_MIN else 0.0
    c = c if c < _EXP_MAX else _EXP_MAX
    n = math.floor(c * _LOG2E + 0.5)
    r = (c - n * _LN2_HI) - n * _LN2_LO  # |r| <= ln2 / 2
    p = _E13
    p = p * r + _E12
    p = p * r + _E11
    p = p * r + _E10
    p = p * r + _E9
    p = p * r + _E8
    p = p * r + _E7
    p = p * r + _E6
    p = p * r + _E5
    p = p * r + _E4
    p = p * r + _E3
    p = p * r + _E2
    p = p * r * r + r + 1.0
    k = np.int64(n)
    half = k >> 1  # 2**n as two factors, so that subnormal and near-overflow results stay exact
    y = p * bits_to_float((half + 1023) << 52) * bits_to_float((k - half + 1023) << 52)
    y = _INF if x > _EXP_MAX else y
    y = y if x > _EXP_MIN else 0.0  # the same test as c's: x == _EXP_MIN too
    return x if x != x else y


# float32 constants for exp32: numba keeps a global numpy float32 scalar as float32, so the
# arithmetic below stays float32 (16 lanes of AVX-512 instead of 8)
_F = np.float32
_F_LOG2E, _F_HALF, _F_ONE = _F(1.4426950408889634), _F(0.5), _F(1.0)
_F_LN2_HI, _F_LN2_LO = _F(0.693359375), _F(-2.12194440e-4)  # n * _F_LN2_HI exact for |n| < 2**15
_F_MAX, _F_MIN = _F(88.72283), _F(-103.97208)  # e**x overflows above, is 0 in float32 below
_F_C7, _F_C6, _F_C5, _F_C4 = _F(1 / 5040), _F(1 / 720), _F(1 / 120), _F(1 / 24)
_F_C3 = _F(1 / 6)
_F_C8 = _F(1 / 40320)
# exp32's e**r = 1 + r + r^2 P(r), P of degree 4 fitted to the least relative error on |r| <= ln2/2:
# 0.064 of float32's 2**-24 there, where the degree-7 Taylor series left 0.118, and one FMA fewer
_F_P4, _F_P3, _F_P2 = _F(0.0013814607676937898), _F(0.008368710452057533), _F(0.04166838748384842)
_F_P1, _F_P0 = _F(0.16666520683228486), _F(0.4999999345108154)
_F_INF, _F_ZERO = _F(np.inf), _F(0.0)


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def exp32(v):
    """e**v for a float32 v in float32 arithmetic: within 1 ulp of float32 (0.997, the most over
    4e6 points from -104 to 88; 1.048 with the Taylor polynomial before), subnormals included."""
    return exp32x(np.float32(v), _F_ZERO)


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def exp32_finite(v):
    """`exp32` for a v <= 88.72, where e**v is finite (sigmoid's -|x|, a log-probability)."""
    return exp32x_finite(np.float32(v), _F_ZERO)


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def exp32_pair(v):
    """e**v for a float32 v <= 88.72 as (hi, lo), hi = fl(hi + lo), in float32 arithmetic: the
    reduced argument is kept as two parts and 1 + r is added without rounding it away, so hi + lo
    is within 0.2 ulp of float32 (0.17, the most over 2e4 points from -70 to 88.7) where `exp32`
    is within 1; below -70 lo is subnormal and hi + lo within 0.6. For a difference that cancels,
    such as SiLU's derivative 1 + x(1 - s) near x = -1.28. Below -103.97 both parts are 0; NaN
    gives (0, 0): the caller carries NaN through its own v."""
    x = np.float32(v)
    c = x if x > _F_MIN else _F_ZERO
    n = np.floor(c * _F_LOG2E + _F_HALF)
    rh = c - n * _F_LN2_HI  # exact
    rl = -(n * _F_LN2_LO)
    r = rh + rl
    # (e**r - 1 - r) / r**2 by Estrin's scheme, not Horner's: four dependent steps instead of seven.
    # The loops that call this are bound by the length of that chain, not by the count of operations
    # (SiLU's y and dy/dx: 12% faster; 0.6% of 4.8M results differ from Horner's, and the largest
    # error over them stays 1.80 ulp of dy/dx's larger term and 1.49 ulp of y)
    r2 = r * r
    r4 = r2 * r2
    p = (_F_C8 * r2 + (_F_C7 * r + _F_C6)) * r4 + ((_F_C5 * r + _F_C4) * r2 + (_F_C3 * r + _F_HALF))
    one = _F_ONE + rh
    rest = (rh - (one - _F_ONE)) + (p * r2 + rl)  # 1 + rh's rounding error, and the rest
    hi = one + rest
    lo = rest - (hi - one)
    k = np.int32(n)
    keep = x > _F_MIN
    return (scale32(hi, k) if keep else _F_ZERO), (scale32(lo, k) if keep else _F_ZERO)


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def exp32x(hi, lo):
    """e**(hi + lo) in float32 arithmetic, for a float32 `hi` and a small correction `lo`, |lo| <<
    ulp(hi) (say the rounding error of the float32 `hi`, from `two_diff32`): lo joins the reduced
    argument, so that e**(x - m) keeps float32 accuracy although x - m was rounded. Limits and NaN
    follow `hi` alone."""
    x = np.float32(hi)
    c = x if x > _F_MIN else _F_ZERO  # NaN and -inf become a finite c with a normal result (see exp)
    c = c if c < _F_MAX else _F_MAX
    y = _exp32_within(c, lo)
    y = _F_INF if x > _F_MAX else y
    y = y if x > _F_MIN else _F_ZERO  # the same test as c's: x == _F_MIN too
    return x if x != x else y


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def exp32x_finite(hi, lo):
    """`exp32x` for hi <= 88.72, where e**hi is finite (softmax's x - max <= 0): without the upper
    limit's two selects, sigmoid's float32 kernel runs ~10% faster. NaN passes through."""
    x = np.float32(hi)
    c = x if x > _F_MIN else _F_ZERO
    y = _exp32_within(c, lo) if x > _F_MIN else _F_ZERO
    return x if x != x else y


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def _exp32_within(c, lo):
    """e**(c + lo) for _F_MIN <= c <= _F_MAX: the reduction, the polynomial and 2**n."""
    n = np.floor(c * _F_LOG2E + _F_HALF)
    r = ((c - n * _F_LN2_HI) - n * _F_LN2_LO) + np.float32(lo)
    p = _F_P4
    p = p * r + _F_P3
    p = p * r + _F_P2
    p = p * r + _F_P1
    p = p * r + _F_P0
    p = p * r * r + r + _F_ONE
    return scale32(p, np.int32(n))  # subnormal results stay exact, e**88.72 stays finite


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def two_diff32(a, b):
    """(d, e) with d = fl(a - b) and e the rounding error, a - b = d + e exactly (Knuth's TwoSum:
    six float32 operations, no branch, valid whatever the magnitudes)."""
    d = a - b
    bb = a - d  # the part of b that made it into d
    e = (a - (d + bb)) - (b - bb)
    return d, e


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def log(v):
    """Natural log as float64; log(0) = -inf, log(negative) = nan, log(inf) = inf."""
    x = np.float64(v)
    tiny = x < 2.2250738585072014e-308  # subnormal: scale into the normal range first
    xs = x * 18014398509481984.0 if tiny else x  # 2**54
    bits = float_to_bits(xs)
    e = ((bits >> 52) & 0x7FF) - 1023 - (54 if tiny else 0)
    m = bits_to_float((bits & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000)  # mantissa in [1, 2)
    big = m > _SQRT2
    m = m * 0.5 if big else m  # now in [sqrt(1/2), sqrt(2)]
    ef = np.float64(e + 1 if big else e)
    s = (m - 1.0) / (m + 1.0)  # log m = 2 atanh(s), |s| <= 0.172
    z = s * s
    q = 1 / 23
    q = q * z + 1 / 21
    q = q * z + 1 / 19
    q = q * z + 1 / 17
    q = q * z + 1 / 15
    q = q * z + 1 / 13
    q = q * z + 1 / 11
    q = q * z + 1 / 9
    q = q * z + 1 / 7
    q = q * z + 1 / 5
    q = q * z + 1 / 3
    y = ef * _LN2_HI + (2.0 * s + (2.0 * s * z * q + ef * _LN2_LO))
    y = -_INF if x == 0 else y
    y = _NAN if x < 0 else y
    y = _INF if x == _INF else y
    return x if x != x else y


@njit(cache=True, error_model="numpy", fastmath=_CONTRACT, inline="always")
def log1p(v):
    """log(1 + v) as float64, accurate for tiny v: log(u) * v / (u - 1), u = 1 + v rounded."""
    x = np.float64(v)
    u = 1.0 + x
    d = u - 1.0
    y = log(u) * (x / d) if d != 0 else x
    return _INF if x == _INF else y
