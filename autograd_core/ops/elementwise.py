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

from ..engine import unbroadcast
from ..function import Op
from ..kernels.sums import product_sum_to


# -- arithmetic -----------------------------------------------------------------------
class Add(Op):
    promote = (0, 1)
    scalar_operand = True

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Op):
    promote = (0, 1)
    scalar_operand = True

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        nb = ctx.next[1]
        if nb is None:
            return g, None
        if type(g) is np.ndarray and g.shape != nb.shape:  # b broadcast: negate its smaller sum
            return g, np.negative(unbroadcast(g, nb.shape, "sub"))
        return g, -g


class Mul(Op):
    promote = (0, 1)
    scalar_operand = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        next_a, next_b = ctx.next
        if type(g) is not np.ndarray:
            return (g * b if next_a is not None else None), (g * a if next_b is not None else None)
        if a is b and next_a is next_b and next_a is not None:
            # x * x: both edges reach one node, so send it 2·g·x once, not g·x twice to be added
            ga = g * a
            ga += ga
            return ga, None
        return _times(g, b, next_a), _times(g, a, next_b)


def _times(g, other, node):
    """g * other as the gradient for `node` (None when it needs none): summed down to a broadcast
    node's shape without the product array where `kernels.sums` can."""
    if node is None:
        return None
    if g.shape != node.shape:
        summed = product_sum_to(g, other, node.shape)
        if summed is not None:
            return summed
    return g * other


class Div(Op):
    promote = (0, 1)
    scalar_operand = True
    to_float = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        nb = ctx.next[1]
        ga = g / b
        # d(a/b)/db = -a/b² = -(g/b)·a/b
        if nb is None:
            gb = None
        elif type(g) is not np.ndarray:
            gb = -ga * a / b
        else:
            # b broadcast (a layer norm's (N,1) std): sum (g/b)·a down to b's shape before the
            # division by b, which is constant along the summed axes; negate the small result
            gb = np.negative(_times(ga, a, nb) / b)
        return (ga if ctx.next[0] is not None else None), gb


class Pow(Op):
    """a ** b for tensors or scalars; d/da = b·a^(b-1), d/db = a^b·log a."""

    promote = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        a_bool = getattr(a, "dtype", None) == np.bool_
        if a_bool and getattr(b, "dtype", None) == np.bool_:
            raise RuntimeError("pow: not implemented for two bool tensors")
        out = np.power(a, b)
        if a_bool and out.dtype != np.bool_:  # bool ** True stays bool, as PyTorch
            out = out.astype(np.bool_)
        ctx.saved = (a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved
        ga = gb = None
        if ctx.next[0] is not None:
            if isinstance(b, (int, float)):
                # b == 0 has derivative 0 everywhere (torch), not 0·inf = NaN at a == 0
                ga = None if b == 0 else (g * 2 * a if b == 2 else g * b * np.power(a, b - 1))
                if ga is None:
                    ga = g * 0
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    ga = np.where(b == 0, 0, g * b * np.power(a, b - 1))
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
        if lo is None:
            keep = a <= hi
        elif hi is None:
            keep = a >= lo
        else:
            keep = np.logical_and(a >= lo, a <= hi)
        return np.where(keep, g, 0), None, None


class Maximum(Op):
    """Elementwise max; where a == b the gradient is split evenly, as PyTorch."""

    promote = (0, 1)

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

    promote = (0, 1)

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

    promote = (1, 2)

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


def add(a, b, alpha=1):
    """a + alpha * b with broadcasting and PyTorch's type promotion."""
    return Add.apply(a, b if alpha == 1 else Mul.apply(b, alpha))


_BOOL = np.dtype(np.bool_)


def _is_bool(x) -> bool:
    """A bool tensor, array or Python bool (subtraction refuses them, as PyTorch's)."""
    data = getattr(x, "_data", x)  # a Tensor's array, or x itself
    return type(data) is bool or getattr(data, "dtype", None) is _BOOL


def sub(a, b, alpha=1):
    """a - alpha * b with broadcasting and PyTorch's type promotion."""
    if _is_bool(a) or _is_bool(b):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return Sub.apply(a, b if alpha == 1 else Mul.apply(b, alpha))


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


def where(cond, a=None, b=None):
    """Pick from `a` where `cond` is true, else from `b` (all broadcast together);
    `where(cond)` alone is `nonzero(cond, as_tuple=True)`."""
    from ..tensor import Tensor

    if a is None and b is None:
        from .scatter import where_nonzero

        return where_nonzero(cond)
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


class Fill(Op):
    """Every element set to `value` (a number or a 0-d tensor): fill_ and zero_."""

    @staticmethod
    def forward(ctx, a, value):
        return np.full(a.shape, value, dtype=a.dtype)

    @staticmethod
    def backward(ctx, g):
        return None, (g.sum() if ctx.next[1] is not None else None)


class CopyFrom(Op):
    """`src` broadcast to `a`'s shape and cast to its dtype: the out-of-place copy_."""

    @staticmethod
    def forward(ctx, a, src):
        ctx.src_dtype = np.asarray(src).dtype
        out = np.empty(a.shape, dtype=a.dtype)
        try:
            np.copyto(out, np.broadcast_to(src, a.shape), casting="unsafe")
        except ValueError:
            raise RuntimeError(
                f"copy_: the source of shape {np.shape(src)} must be broadcastable to {a.shape}"
            ) from None
        return out

    @staticmethod
    def backward(ctx, g):
        g_src = None
        if ctx.next[1] is not None:
            g_src = g if ctx.src_dtype == g.dtype else g.astype(ctx.src_dtype)
        return None, g_src


def fill(a, value):
    """A tensor of `a`'s shape and dtype full of `value` (fill_ is its in-place form)."""
    return Fill.apply(a, value)


def copy_from(a, src):
    """`src` broadcast and cast to `a` (copy_ is its in-place form)."""
    return CopyFrom.apply(a, src)
