"""More activation functions, each a pointwise op with its derivative next to it.

Every op here is a `_Pointwise`: `f(x, *params)` computes the value and `df(x, *params)`
its derivative, written with operators, comparisons, `np.where` and `np.<ufunc>` calls
only (masks become `np.where(cond, 1 + 0·x, 0·x)`, which keeps x's dtype), so the same
`backward` (g · f'(x)) runs on ndarrays now and on Tensors for double backward. Only
the input is saved; constants (alpha, lambd, bounds) pass as plain floats.

Activations that are cheap compositions of existing ops (softmin, glu, prelu, rrelu)
are written as compositions.

    >>> import autograd_core as ag
    >>> from autograd_core.ops.activation_ext import hardtanh
    >>> hardtanh(ag.tensor([-2.0, 0.5, 3.0]))
    tensor([-1. ,  0.5,  1. ])
"""

from __future__ import annotations

import numpy as np

from .. import random as _random
from ..function import Op, ShapeError
from .activation import gelu as gelu_op
from .activation import silu as silu_op
from .elementwise import where
from .shape import chunk
from .softmax import softmax

# SELU's constants (Klambauer et al. 2017), the values PyTorch uses.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid(x):
    # 1/(1+e^-x) through tanh: no overflow for large |x|.
    return 0.5 * (1 + np.tanh(0.5 * x))


def _softplus(x):
    # log(1 + e^x) without overflow.
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class _Pointwise(Op):
    """y = f(x, *params); dy/dx = df(x, *params). Subclasses define `f` and `df`."""

    @staticmethod
    def f(x, *params):
        raise TypeError("a _Pointwise subclass defines f")

    @staticmethod
    def df(x, *params):
        raise TypeError("a _Pointwise subclass defines df")

    @classmethod
    def forward(cls, ctx, x, *params):
        ctx.saved = (x,)
        ctx.params = params
        with np.errstate(over="ignore"):
            return cls.f(x, *params)

    @classmethod
    def backward(cls, ctx, g):
        (x,) = ctx.saved
        with np.errstate(over="ignore", invalid="ignore"):
            grad = g * cls.df(x, *ctx.params)
        return (grad,) + (None,) * len(ctx.params)


class Mish(_Pointwise):
    f = staticmethod(lambda x: x * np.tanh(_softplus(x)))

    @staticmethod
    def df(x):
        t = np.tanh(_softplus(x))
        return t + x * (1 - t * t) * _sigmoid(x)


class Elu(_Pointwise):
    """scale·(x if x > 0 else alpha·(eˣ - 1)) with `input_scale` on the exponent (SELU, CELU)."""

    @staticmethod
    def f(x, alpha, scale, input_scale):
        return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) * input_scale))

    @staticmethod
    def df(x, alpha, scale, input_scale):
        return scale * np.where(x > 0, 1, alpha * input_scale * np.exp(np.minimum(x, 0) * input_scale))


class Hardtanh(_Pointwise):
    f = staticmethod(lambda x, lo, hi: np.clip(x, lo, hi))
    # PyTorch passes the gradient only strictly inside (lo, hi).
    df = staticmethod(lambda x, lo, hi: np.where(x > lo, np.where(x < hi, 1 + 0 * x, 0 * x), 0 * x))


class Hardswish(_Pointwise):
    f = staticmethod(lambda x: x * np.clip(x + 3, 0, 6) / 6)
    df = staticmethod(lambda x: np.where(x < -3, 0 * x, np.where(x <= 3, x / 3 + 0.5, 1 + 0 * x)))


class Hardsigmoid(_Pointwise):
    f = staticmethod(lambda x: np.clip(x + 3, 0, 6) / 6)
    df = staticmethod(lambda x: np.where(x > -3, np.where(x < 3, 1 / 6 + 0 * x, 0 * x), 0 * x))


class Logsigmoid(_Pointwise):
    f = staticmethod(lambda x: np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))))
    df = staticmethod(lambda x: _sigmoid(-x))


class Softsign(_Pointwise):
    f = staticmethod(lambda x: x / (1 + np.abs(x)))
    df = staticmethod(lambda x: 1 / ((1 + np.abs(x)) * (1 + np.abs(x))))


class Tanhshrink(_Pointwise):
    f = staticmethod(lambda x: x - np.tanh(x))
    df = staticmethod(lambda x: np.tanh(x) * np.tanh(x))


class Softshrink(_Pointwise):
    f = staticmethod(lambda x, lambd: np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, 0 * x)))
    df = staticmethod(lambda x, lambd: np.where(np.abs(x) > lambd, 1 + 0 * x, 0 * x))


class Hardshrink(_Pointwise):
    f = staticmethod(lambda x, lambd: np.where(np.abs(x) > lambd, x, 0 * x))
    df = staticmethod(lambda x, lambd: np.where(np.abs(x) > lambd, 1 + 0 * x, 0 * x))


class Threshold(_Pointwise):
    f = staticmethod(lambda x, threshold, value: np.where(x > threshold, x, value + 0 * x))
    df = staticmethod(lambda x, threshold, value: np.where(x > threshold, 1 + 0 * x, 0 * x))


def _float(name, value, what):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: {what} must be a number, got {type(value).__name__}") from None


def silu(input, inplace: bool = False):
    """x·σ(x). `inplace` is accepted; the result is a new Tensor.

    >>> import autograd_core as ag
    >>> silu(ag.tensor([0.0]))
    tensor([0.])
    """
    return silu_op(input)


def mish(input, inplace: bool = False):
    """x·tanh(softplus(x))."""
    return Mish.apply(input)


def elu(input, alpha: float = 1.0, inplace: bool = False):
    """x for x > 0, alpha·(eˣ - 1) otherwise."""
    return Elu.apply(input, _float("elu", alpha, "alpha"), 1.0, 1.0)


def selu(input, inplace: bool = False):
    """scale·elu(x, alpha) with SELU's fixed alpha and scale."""
    return Elu.apply(input, SELU_ALPHA, SELU_SCALE, 1.0)


def celu(input, alpha: float = 1.0, inplace: bool = False):
    """max(0, x) + min(0, alpha·(e^{x/alpha} - 1)); alpha must be non-zero."""
    alpha = _float("celu", alpha, "alpha")
    if alpha == 0:
        raise ValueError("celu: ZeroDivisionError, alpha must not be 0")
    return Elu.apply(input, alpha, 1.0, 1.0 / alpha)


def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
    """Clamp to [min_val, max_val]."""
    min_val, max_val = _float("hardtanh", min_val, "min_val"), _float("hardtanh", max_val, "max_val")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} cannot be greater than max_val {max_val}")
    return Hardtanh.apply(input, min_val, max_val)


def relu6(input, inplace: bool = False):
    """min(max(x, 0), 6)."""
    return Hardtanh.apply(input, 0.0, 6.0)


def hardswish(input, inplace: bool = False):
    """x·relu6(x + 3)/6."""
    return Hardswish.apply(input)


def hardsigmoid(input, inplace: bool = False):
    """relu6(x + 3)/6."""
    return Hardsigmoid.apply(input)


def logsigmoid(input):
    """log σ(x), stable for large |x|."""
    return Logsigmoid.apply(input)


def softsign(input):
    """x / (1 + |x|)."""
    return Softsign.apply(input)


def tanhshrink(input):
    """x - tanh(x)."""
    return Tanhshrink.apply(input)


def softshrink(input, lambd: float = 0.5):
    """x ∓ lambd outside [-lambd, lambd], 0 inside; lambd must be >= 0."""
    lambd = _float("softshrink", lambd, "lambd")
    if lambd < 0:
        raise ValueError(f"softshrink: lambda must be greater or equal to 0, but found to be {lambd}")
    return Softshrink.apply(input, lambd)


def hardshrink(input, lambd: float = 0.5):
    """x outside [-lambd, lambd], 0 inside."""
    return Hardshrink.apply(input, _float("hardshrink", lambd, "lambd"))


def threshold(input, threshold: float, value: float, inplace: bool = False):
    """x where x > threshold, `value` elsewhere."""
    return Threshold.apply(
        input, _float("threshold", threshold, "threshold"), _float("threshold", value, "value")
    )


def gelu(input, approximate: str = "none"):
    """x·Φ(x); approximate='tanh' uses the tanh approximation (its own op here)."""
    return gelu_op(input, approximate)


def softmin(input, dim: int | None = None, _stacklevel: int = 3, dtype=None):
    """softmax(-x) along `dim`."""
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit choice
    if dtype is not None:
        input = input.astype(dtype)
    return softmax(-input, dim)


def glu(input, dim: int = -1):
    """a·σ(b) where (a, b) are the two halves of `input` along `dim`."""
    if input.ndim == 0:
        raise ShapeError("glu: does not support scalars because halving size must be even")
    if input.shape[dim] % 2:
        raise ShapeError(
            f"glu: halving dimension must be even, but dimension {dim} is size {input.shape[dim]}"
        )
    a, b = chunk(input, 2, dim)
    return a * b.sigmoid()


def prelu(input, weight):
    """x where x >= 0, weight·x elsewhere; `weight` has 1 element or one per channel (dim 1)."""
    n = weight.numel()
    if weight.ndim > 1:
        raise ShapeError(f"prelu: weight must be 0-D or 1-D, got shape {weight.shape}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if n != 1 and n != channels:
        raise ShapeError(
            f"prelu: mismatch of parameter numbers and input channel size. Found parameter numbers = "
            f"{n} and channel size = {channels} (input shape {input.shape})"
        )
    w = weight.reshape((n,) + (1,) * (input.ndim - 2)) if input.ndim >= 2 and n > 1 else weight.reshape(())
    return where(input._data > 0, input, w * input)


def rrelu(
    input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False, inplace: bool = False
):
    """Leaky ReLU with slope drawn from U(lower, upper) per element while training and
    (lower + upper)/2 in evaluation."""
    lower, upper = _float("rrelu", lower, "lower"), _float("rrelu", upper, "upper")
    if lower > upper:
        raise ValueError(f"rrelu: lower bound {lower} must be <= upper bound {upper}")
    if training:
        slope = _random.generator().uniform(lower, upper, input.shape).astype(input.dtype)
    else:
        slope = np.asarray((lower + upper) / 2, dtype=input.dtype)
    return where(input._data >= 0, input, input * slope)


def gumbel_softmax(logits, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim: int = -1):
    """Samples from the Gumbel-softmax distribution: softmax((logits + g) / tau) with
    g ~ Gumbel(0, 1); `hard` returns one-hot vectors whose gradient is the soft sample's
    (the straight-through estimator)."""
    if tau <= 0:
        raise ValueError(f"gumbel_softmax: tau must be positive, got {tau}")
    gumbels = -np.log(_random.generator().exponential(size=logits.shape)).astype(logits.dtype)
    soft = softmax((logits + gumbels) * (1.0 / tau), dim)
    if not hard:
        return soft
    axis = dim % logits.ndim
    one_hot = np.zeros(logits.shape, dtype=logits.dtype)
    np.put_along_axis(one_hot, np.argmax(soft._data, axis=axis)[(slice(None),) * axis + (None,)], 1.0, axis)
    return soft - soft.detach() + one_hot
