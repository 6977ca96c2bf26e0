"""Elementwise math beyond the basics: rounding, division modes, trigonometric and
hyperbolic functions, exp/log variants, special functions, and small composites
(lerp, addcmul, xlogy, logit, ...).

Each unary op is one row of `UNARY`: its forward on arrays and its derivative written
with operators and NumPy ufuncs on (g, x, out), so the same line serves first- and
higher-order gradients. Integer and bool inputs of a floating function are computed
in float32, as PyTorch's default dtype.

    >>> import autograd_core as ag
    >>> remainder(ag.tensor([5, -5]), 3).tolist()
    [2, 1]
"""

from __future__ import annotations

import math

import numpy as np

from ..dtypes import default_float
from ..function import Op
from ..kernels import special as SP
from .flat import is_raw

LN2, LN10 = math.log(2.0), math.log(10.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _T():
    from ..tensor import Tensor

    return Tensor


def _floating(x):
    """Integers and bools become float32 (PyTorch's default dtype) for a float function."""
    from .elementwise import cast

    if not isinstance(x, _T()):
        x = _T()(x)
    return cast(x, np.dtype(default_float)) if x.dtype.kind in "biu" else x


def _dual(op_function, raw_function):
    """Call raw_function on arrays (first-order backward), op_function on Tensors."""

    def call(*args):
        return raw_function(*args) if is_raw(args[-1]) else op_function(*args)

    return call


def _unary(name: str, forward, derivative, floating: bool = True):
    """An Op class computing `forward(x)` whose backward is `derivative(g, x, out)`."""

    def fwd(ctx, a):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # an array even for 0-d input (NumPy gives a scalar): the saved output must be
            # the output array itself for higher-order gradients
            out = np.asarray(forward(a))
        ctx.saved = (a, out)
        return out

    def bwd(ctx, g):
        a, out = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return derivative(g, a, out)

    cls = type(name, (Op,), {"forward": staticmethod(fwd), "backward": staticmethod(bwd)})
    cls.floating = floating

    def apply(input):
        x = _floating(input) if floating else input
        return cls.apply(x)

    apply.__name__ = name.lower()
    apply.__doc__ = f"{name.lower()}(input), elementwise."
    return cls, apply


def _zero(g, x, out):
    return g * 0  # a step function: zero gradient almost everywhere (PyTorch's convention)


def _digamma_call(x):
    return _dual(digamma, SP.digamma)(x)


def _polygamma_call(n, x):
    return _dual(lambda v: polygamma(n, v), lambda v: SP.polygamma(n, v))(x)


UNARY = {  # name: (forward on arrays, derivative from (g, x, out), float-only)
    "Floor": (np.floor, _zero, False),
    "Ceil": (np.ceil, _zero, False),
    "Trunc": (np.trunc, _zero, False),
    "Frac": (lambda x: x - np.trunc(x), lambda g, x, out: g, True),
    "Sign": (np.sign, _zero, False),
    "Reciprocal": (lambda x: 1 / x, lambda g, x, out: -g * out * out, True),
    "Rsqrt": (lambda x: 1 / np.sqrt(x), lambda g, x, out: -0.5 * g * out * out * out, True),
    "Square": (np.square, lambda g, x, out: 2 * g * x, False),
    "Exp2": (np.exp2, lambda g, x, out: g * out * LN2, True),
    "Expm1": (np.expm1, lambda g, x, out: g * (out + 1), True),
    "Log2": (np.log2, lambda g, x, out: g / (x * LN2), True),
    "Log10": (np.log10, lambda g, x, out: g / (x * LN10), True),
    "Tan": (np.tan, lambda g, x, out: g * (1 + out * out), True),
    "Asin": (np.arcsin, lambda g, x, out: g / np.sqrt(1 - x * x), True),
    "Acos": (np.arccos, lambda g, x, out: -g / np.sqrt(1 - x * x), True),
    "Atan": (np.arctan, lambda g, x, out: g / (1 + x * x), True),
    "Sinh": (np.sinh, lambda g, x, out: g * np.cosh(x), True),
    "Cosh": (np.cosh, lambda g, x, out: g * np.sinh(x), True),
    "Asinh": (np.arcsinh, lambda g, x, out: g / np.sqrt(x * x + 1), True),
    "Acosh": (np.arccosh, lambda g, x, out: g / np.sqrt(x * x - 1), True),
    "Atanh": (np.arctanh, lambda g, x, out: g / (1 - x * x), True),
    "Erf": (SP.erf, lambda g, x, out: g * TWO_OVER_SQRT_PI * np.exp(-x * x), True),
    "Erfc": (SP.erfc, lambda g, x, out: -g * TWO_OVER_SQRT_PI * np.exp(-x * x), True),
    "Erfinv": (SP.erfinv, lambda g, x, out: g * (math.sqrt(math.pi) / 2) * np.exp(out * out), True),
    "Lgamma": (SP.lgamma, lambda g, x, out: g * _digamma_call(x), True),
    "Digamma": (SP.digamma, lambda g, x, out: g * _polygamma_call(1, x), True),
    "Sinc": (
        np.sinc,
        lambda g, x, out: g * np.where(x == 0, 0.0, (np.cos(np.pi * x) - out) / np.where(x == 0, 1.0, x)),
        True,
    ),
}

_OPS = {name: _unary(name, *spec) for name, spec in UNARY.items()}
floor, ceil, trunc, frac, sign = (_OPS[n][1] for n in ("Floor", "Ceil", "Trunc", "Frac", "Sign"))
reciprocal, rsqrt, square = (_OPS[n][1] for n in ("Reciprocal", "Rsqrt", "Square"))
exp2, expm1, log2, log10 = (_OPS[n][1] for n in ("Exp2", "Expm1", "Log2", "Log10"))
tan, asin, acos, atan = (_OPS[n][1] for n in ("Tan", "Asin", "Acos", "Atan"))
sinh, cosh, asinh, acosh, atanh = (_OPS[n][1] for n in ("Sinh", "Cosh", "Asinh", "Acosh", "Atanh"))
erf, erfc, erfinv, lgamma, digamma, sinc = (
    _OPS[n][1] for n in ("Erf", "Erfc", "Erfinv", "Lgamma", "Digamma", "Sinc")
)
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
sgn = sign  # equal on real tensors
fix = trunc


class Polygamma(Op):
    @staticmethod
    def forward(ctx, x, n):
        ctx.saved = (x,)
        ctx.n = n
        return SP.polygamma(n, x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g * _polygamma_call(ctx.n + 1, x), None


def polygamma(n: int, input):
    """The n-th derivative of digamma."""
    if n < 0:
        raise ValueError(f"polygamma: n must be non-negative, got {n}")
    return digamma(input) if n == 0 else Polygamma.apply(_floating(input), int(n))


class Round(Op):
    @staticmethod
    def forward(ctx, a, decimals):
        return np.round(a, decimals)  # half to even, as PyTorch

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


def round(input, *, decimals: int = 0):  # noqa: A001 - PyTorch's name
    """Round half to even, to `decimals` places."""
    return Round.apply(input, int(decimals))


# -- division modes --------------------------------------------------------------------------
def _check_int_zero(a, b, name):
    """Integer division by zero raises (as PyTorch's ZeroDivisionError); two bools are refused."""
    ra = a._data if isinstance(a, _T()) else np.asarray(a)
    rb = b._data if isinstance(b, _T()) else np.asarray(b)
    if ra.dtype.kind == "b" and rb.dtype.kind == "b":
        raise RuntimeError(f"{name}: not implemented for 'Bool'")
    if ra.dtype.kind in "iub" and rb.dtype.kind in "iub" and np.any(rb == 0):
        raise RuntimeError(f"{name}: ZeroDivisionError (integer division by zero)")


class Remainder(Op):
    """a - floor(a / b) * b (the divisor's sign); d/da = 1, d/db = -floor(a / b)."""

    promote = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        return np.remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        gb = -g * np.floor(a / b) if ctx.next[1] is not None else None
        return g, gb


class Fmod(Op):
    """a - trunc(a / b) * b (the dividend's sign); d/da = 1, d/db = -trunc(a / b)."""

    promote = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        return np.fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        gb = -g * np.trunc(a / b) if ctx.next[1] is not None else None
        return g, gb


def remainder(input, other):
    """Python's modulus: the result has the divisor's sign (the `%` operator)."""
    _check_int_zero(input, other, "remainder")
    if not isinstance(input, _T()):  # remainder(scalar, tensor)
        input = _T()(np.asarray(input, dtype=other.dtype if isinstance(other, _T()) else None))
    return Remainder.apply(input, other)


def fmod(input, other):
    """C's fmod: the result has the dividend's sign."""
    _check_int_zero(input, other, "fmod")
    return Fmod.apply(input, other)


def _rounded_div(a, b, mode):
    with np.errstate(divide="ignore", invalid="ignore"):
        if a.dtype.kind in "iub" and np.asarray(b).dtype.kind in "iub":
            q = np.floor_divide(a, b)
            if mode == "trunc":
                q = q + ((np.remainder(a, b) != 0) & ((a < 0) != (np.asarray(b) < 0)))
            return q
        q = np.true_divide(a, b)
        return np.floor(q) if mode == "floor" else np.trunc(q)


class RoundedDiv(Op):
    """a / b rounded toward -inf ('floor') or 0 ('trunc'); zero gradient, as PyTorch."""

    promote = (0, 1)

    @staticmethod
    def forward(ctx, a, b, mode):
        return _rounded_div(a, b, mode)

    @staticmethod
    def backward(ctx, g):
        return g * 0, (g * 0 if ctx.next[1] is not None else None), None


def div(input, other, *, rounding_mode=None):
    """input / other; rounding_mode 'trunc' or 'floor' rounds the quotient (integers stay
    integers then; true division of integers gives float32)."""
    from .elementwise import Div

    if rounding_mode is None:
        a, b = input, other
        if _kind(a) in "iub" and _kind(b) in "iub":
            a = _floating(a)
        return Div.apply(a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
    _check_int_zero(input, other, "div")
    return RoundedDiv.apply(input, other, rounding_mode)


divide = true_divide = div


def _kind(x) -> str:
    if isinstance(x, _T()):
        return x.dtype.kind
    return (
        "f"
        if isinstance(x, float)
        else ("i" if isinstance(x, (int, np.integer)) else np.asarray(x).dtype.kind)
    )


def floor_divide(input, other):
    """input // other, rounding toward -inf (the `//` operator); no gradient (PyTorch has none)."""
    _check_int_zero(input, other, "floor_divide")
    from ..dtypes import promote_operands

    input, other = promote_operands((input, other), (0, 1))
    Tensor = _T()
    a = input._data if isinstance(input, Tensor) else input
    b = other._data if isinstance(other, Tensor) else other
    if not isinstance(input, Tensor):
        a = np.asarray(a, dtype=b.dtype if isinstance(b, np.ndarray) and isinstance(a, int) else None)
    return Tensor._make(np.asarray(_rounded_div(np.asarray(a), b, "floor")), None)


# -- binary functions -----------------------------------------------------------------------------
class Atan2(Op):
    promote = (0, 1)

    @staticmethod
    def forward(ctx, y, x):
        ctx.saved = (y, x)
        return np.arctan2(y, x)

    @staticmethod
    def backward(ctx, g):
        y, x = ctx.saved
        r2 = x * x + y * y
        return g * x / r2, -g * y / r2


class Hypot(Op):
    promote = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        out = np.asarray(np.hypot(a, b))
        ctx.saved = (a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved
        return g * a / out, g * b / out


class LogAddExp(Op):
    """log(e^a + e^b) (base 2 with `base2`); da = g·e^(a-out), db = g·e^(b-out)."""

    promote = (0, 1)

    @staticmethod
    def forward(ctx, a, b, base2):
        out = np.asarray(np.logaddexp2(a, b) if base2 else np.logaddexp(a, b))
        ctx.saved = (a, b, out)
        ctx.base2 = base2
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved
        pow_ = np.exp2 if ctx.base2 else np.exp
        return g * pow_(a - out), g * pow_(b - out), None


class CopySign(Op):
    """|a| with b's sign; da = g·out/a (0 at a == 0), no gradient for b."""

    promote = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        out = np.asarray(np.copysign(a, b))
        ctx.saved = (a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved
        ratio = np.where(a == 0, 0.0, out / np.where(a == 0, 1.0, a))
        return g * ratio, (g * 0 if ctx.next[1] is not None else None)


class XLogY(Op):
    """x·log(y), 0 where x == 0 (even for y == 0); NaN y gives NaN. d/dx = log(y), except
    0 where x == 0 and y <= 0 (PyTorch's rule)."""

    promote = (0, 1)

    @staticmethod
    def forward(ctx, x, y):
        ctx.saved = (x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(np.asarray(x) == 0, 0.0, x * np.log(y))
            return np.where(np.isnan(y), np.nan, out).astype(np.result_type(x, y), copy=False)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved
        live = (x != 0) | (y > 0)
        gx = g * np.where(live, np.log(np.where(live, y, 1.0)), 0.0) if ctx.next[0] is not None else None
        gy = g * x / y if ctx.next[1] is not None else None
        return gx, gy


class NanToNum(Op):
    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        ctx.saved = (np.isfinite(a),)
        info = np.finfo(a.dtype)
        return np.nan_to_num(
            a,
            nan=nan,
            posinf=info.max if posinf is None else posinf,
            neginf=info.min if neginf is None else neginf,
        )

    @staticmethod
    def backward(ctx, g):
        (finite,) = ctx.saved
        return g * finite, None, None, None


def _binary_float(a, b):
    """Promote integer pairs to float32 for functions that are always floating."""
    if _kind(a) in "iub" and _kind(b) in "iub":
        return _floating(a), (_floating(b) if isinstance(b, _T()) else b)
    return a, b


def atan2(input, other):
    """The angle of (other, input) in (-π, π]."""
    return Atan2.apply(*_binary_float(input, other))


arctan2 = atan2


def hypot(input, other):
    """sqrt(input² + other²) without overflow."""
    return Hypot.apply(input, other)


def logaddexp(input, other):
    """log(exp(input) + exp(other)), stably."""
    return LogAddExp.apply(input, other, False)


def logaddexp2(input, other):
    """log2(2^input + 2^other), stably."""
    return LogAddExp.apply(input, other, True)


def copysign(input, other):
    """|input| with the sign of other (integers give float32)."""
    return CopySign.apply(*_binary_float(input, other))


def xlogy(input, other):
    """input * log(other), 0 where input == 0."""
    return XLogY.apply(*_binary_float(input, other))


def nan_to_num(input, nan: float = 0.0, posinf=None, neginf=None):
    """NaN -> nan, +inf -> posinf (default the dtype's max), -inf -> neginf (its min)."""
    if input.dtype.kind not in "fc":
        from .elementwise import clone

        return clone(input)
    return NanToNum.apply(input, nan, posinf, neginf)


def heaviside(input, values):
    """0 below zero, 1 above, `values` at zero (no gradient, as PyTorch)."""
    Tensor = _T()
    v = values._data if isinstance(values, Tensor) else values
    return Tensor._make(np.asarray(np.heaviside(input._data, v)), None)


# -- composites -------------------------------------------------------------------------------------
def lerp(input, end, weight):
    """input + weight * (end - input)."""
    return input + weight * (end - input)


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    prod = tensor1 * tensor2
    return input + (prod if value == 1 else value * prod)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2."""
    quot = tensor1 / tensor2
    return input + (quot if value == 1 else value * quot)


def clamp_min(input, min):  # noqa: A002
    """max(input, min) elementwise."""
    from .elementwise import clamp

    return clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002
    """min(input, max) elementwise."""
    from .elementwise import clamp

    return clamp(input, max=max)


def logit(input, eps=None):
    """log(p / (1 - p)); with eps, p is first clamped to [eps, 1 - eps]."""
    from .elementwise import clamp, log

    p = _floating(input)
    if eps is not None:
        p = clamp(p, eps, 1 - eps)
    return log(p / (1 - p))


def softsign(input):
    """input / (1 + |input|)."""
    from .elementwise import abs as abs_

    return input / (1 + abs_(input))


def deg2rad(input):
    """Degrees to radians."""
    return _floating(input) * (math.pi / 180.0)


def rad2deg(input):
    """Radians to degrees."""
    return _floating(input) * (180.0 / math.pi)


def float_power(input, exponent):
    """input ** exponent computed in float64."""
    from .elementwise import pow as pow_

    Tensor = _T()
    a = input.double() if isinstance(input, Tensor) else Tensor(np.asarray(input, dtype=np.float64))
    e = exponent.double() if isinstance(exponent, Tensor) else exponent
    return pow_(a, e)


def signbit(input):
    """True where the sign bit is set (including -0.0)."""
    return _T()._make(np.signbit(input._data), None)


def _polygamma_method(self, n):
    """The n-th derivative of the digamma function, elementwise (`x.polygamma(n)`)."""
    return polygamma(n, self)


def _rmod(self, other):
    """`other % self` (Python's sign rule) with a number on the left."""
    return remainder(other, self)


def _rfloordiv(self, other):
    """`other // self` (rounding toward minus infinity) with a number on the left."""
    return floor_divide(other, self)


TENSOR_METHODS = {
    "floor": floor,
    "ceil": ceil,
    "trunc": trunc,
    "fix": trunc,
    "frac": frac,
    "round": round,
    "sign": sign,
    "sgn": sign,
    "signbit": signbit,
    "reciprocal": reciprocal,
    "rsqrt": rsqrt,
    "square": square,
    "exp2": exp2,
    "expm1": expm1,
    "log2": log2,
    "log10": log10,
    "tan": tan,
    "asin": asin,
    "acos": acos,
    "atan": atan,
    "arcsin": asin,
    "arccos": acos,
    "arctan": atan,
    "sinh": sinh,
    "cosh": cosh,
    "asinh": asinh,
    "acosh": acosh,
    "atanh": atanh,
    "arcsinh": asinh,
    "arccosh": acosh,
    "arctanh": atanh,
    "erf": erf,
    "erfc": erfc,
    "erfinv": erfinv,
    "lgamma": lgamma,
    "digamma": digamma,
    "polygamma": _polygamma_method,
    "sinc": sinc,
    "remainder": remainder,
    "fmod": fmod,
    "div": div,
    "divide": div,
    "true_divide": div,
    "floor_divide": floor_divide,
    "atan2": atan2,
    "arctan2": atan2,
    "hypot": hypot,
    "logaddexp": logaddexp,
    "logaddexp2": logaddexp2,
    "copysign": copysign,
    "xlogy": xlogy,
    "nan_to_num": nan_to_num,
    "heaviside": heaviside,
    "lerp": lerp,
    "addcmul": addcmul,
    "addcdiv": addcdiv,
    "clamp_min": clamp_min,
    "clamp_max": clamp_max,
    "logit": logit,
    "deg2rad": deg2rad,
    "rad2deg": rad2deg,
    "float_power": float_power,
    "__mod__": remainder,
    "__rmod__": _rmod,
    "__floordiv__": floor_divide,
    "__rfloordiv__": _rfloordiv,
}
