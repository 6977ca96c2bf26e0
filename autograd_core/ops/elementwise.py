"""Elementwise arithmetic and math, each derivative next to its definition.

Broadcasting is handled once, by the engine: a backward may return a gradient in the
broadcast output shape and the engine sums it down to each input's shape.

    >>> import autograd_core as ag
    >>> x = ag.tensor([1.0, 4.0], requires_grad=True)
    >>> ag.sqrt(x).sum().backward(); x.grad
    tensor([0.5 , 0.25])
"""

from __future__ import annotations

import numpy as np

from ..function import Op


# -- arithmetic -----------------------------------------------------------------------
class Add(Op):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Op):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.next[1] is not None else None)


class Mul(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        next_a, next_b = ctx.next
        return (g * b if next_a is not None else None), (g * a if next_b is not None else None)


class Div(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        ga = g / b
        # d(a/b)/db = -a/b² = -(g/b)·a/b
        gb = -ga * a / b if ctx.next[1] is not None else None
        return (ga if ctx.next[0] is not None else None), gb


class Pow(Op):
    """a ** b for tensors or scalars; d/da = b·a^(b-1), d/db = a^b·log a."""

    @staticmethod
    def forward(ctx, a, b):
        out = np.power(a, b)
        ctx.saved = (a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved
        ga = gb = None
        if ctx.next[0] is not None:
            if isinstance(b, (int, float)) and b == 2:
                ga = g * 2 * a  # the common square, without a power call
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    ga = g * b * np.power(a, b - 1)
                # b == 0 has derivative 0 everywhere (torch), not 0·inf = NaN at a == 0
                if np.any(np.asarray(b) == 0):
                    ga = np.where(np.asarray(b) == 0, 0, ga).astype(ga.dtype, copy=False)
        if ctx.next[1] is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                # PyTorch's convention: 0 where a == 0 and b >= 0 (out is 0 or 1 there, log a = -inf);
                # where a == 0 and b < 0, out·log a = inf·(-inf) = -inf, as PyTorch.
                gb = np.where(np.where(a == 0, b >= 0, False), 0, g * (out * np.log(a)))
        return ga, gb


class Neg(Op):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Abs(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.saved = (a,)
        return np.abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved
        return g * np.sign(a)  # sign(0) = 0, as PyTorch


# -- math -----------------------------------------------------------------------------
class Exp(Op):
    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.saved = (out,)
        return out

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved[0]


class Log(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.saved = (a,)
        return np.log(a)

    @staticmethod
    def backward(ctx, g):
        return g / ctx.saved[0]


class Log1p(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.saved = (a,)
        return np.log1p(a)

    @staticmethod
    def backward(ctx, g):
        return g / (1 + ctx.saved[0])


class Sqrt(Op):
    @staticmethod
    def forward(ctx, a):
        out = np.sqrt(a)
        ctx.saved = (out,)
        return out

    @staticmethod
    def backward(ctx, g):
        return g / (2 * ctx.saved[0])


class Sin(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.saved = (a,)
        return np.sin(a)

    @staticmethod
    def backward(ctx, g):
        return g * np.cos(ctx.saved[0])


class Cos(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.saved = (a,)
        return np.cos(a)

    @staticmethod
    def backward(ctx, g):
        return -g * np.sin(ctx.saved[0])


class Clamp(Op):
    """Clip to [min, max]; the gradient passes where min <= a <= max (PyTorch's rule)."""

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.saved = (a,)
        ctx.bounds = (lo, hi)
        return np.clip(a, lo, hi)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved
        lo, hi = ctx.bounds
        keep = np.ones(a.shape, dtype=bool)
        if lo is not None:
            keep &= a >= lo
        if hi is not None:
            keep &= a <= hi
        return g * keep, None, None


class Maximum(Op):
    """Elementwise max; where a == b the gradient is split evenly, as PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        share = ((a > b) + 0.5 * (a == b)).astype(g.dtype, copy=False)
        return g * share, g * (1 - share)


class Minimum(Op):
    """Elementwise min; where a == b the gradient is split evenly, as PyTorch."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        share = ((a < b) + 0.5 * (a == b)).astype(g.dtype, copy=False)
        return g * share, g * (1 - share)


class Where(Op):
    """cond ? a : b; the condition is a constant (a bool array)."""

    @staticmethod
    def forward(ctx, cond, a, b):
        cond = np.asarray(cond, dtype=bool)
        ctx.saved = (cond,)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved
        zero = np.zeros((), dtype=g.dtype)
        return None, np.where(cond, g, zero), np.where(cond, zero, g)


def add(a, b):
    """a + b with broadcasting."""
    return Add.apply(a, b)


def sub(a, b):
    """a - b with broadcasting."""
    return Sub.apply(a, b)


def mul(a, b):
    """a * b with broadcasting."""
    return Mul.apply(a, b)


def div(a, b):
    """a / b with broadcasting."""
    return Div.apply(a, b)


def pow(a, b):  # noqa: A001 - PyTorch's name
    """a ** b with broadcasting."""
    return Pow.apply(a, b)


def neg(a):
    return Neg.apply(a)


def abs(a):  # noqa: A001
    return Abs.apply(a)


def exp(a):
    return Exp.apply(a)


def log(a):
    return Log.apply(a)


def log1p(a):
    return Log1p.apply(a)


def sqrt(a):
    return Sqrt.apply(a)


def sin(a):
    return Sin.apply(a)


def cos(a):
    return Cos.apply(a)


def clamp(a, min=None, max=None):  # noqa: A002
    """Clip values to [min, max] (either may be None)."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    return Clamp.apply(a, min, max)


def maximum(a, b):
    return Maximum.apply(a, b)


def minimum(a, b):
    return Minimum.apply(a, b)


def where(cond, a, b):
    """Pick from `a` where `cond` is true, else from `b` (all broadcast together)."""
    from ..tensor import Tensor

    if isinstance(cond, Tensor):
        cond = cond._data
    return Where.apply(cond, a, b)


class Cast(Op):
    """Change dtype; the gradient is cast back to the input's dtype."""

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.src = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.src, copy=False), None


class Clone(Op):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def cast(a, dtype):
    """A copy of `a` as `dtype`; only floating results stay in the graph."""
    from ..tensor import Tensor

    if dtype.kind not in "fc":
        return Tensor._make(a._data.astype(dtype), None)
    return Cast.apply(a, dtype)


def clone(a):
    """A copy that stays in the graph (its gradient flows back unchanged)."""
    return Clone.apply(a)
