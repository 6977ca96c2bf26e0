"""In-place operations with PyTorch's semantics, written once for every op.

An in-place method `t.op_(...)` is the out-of-place op followed by a write into `t`'s
storage, so each op's math (and derivative) still lives in one place, in `ops/`:

* with recording off, or when nothing involved requires grad, the result is written into
  the same storage: `t` stays the same object (a leaf stays a leaf, `.grad` is kept) and
  views of it see the change;
* with recording on, a leaf that requires grad refuses (PyTorch's error), and so does a
  view of one;
* with recording on, a non-leaf's history is *rebased*: `t.grad_fn` becomes the op's node,
  whose input is `t`'s previous history. For a view, the base's history is rebased
  through `SetView` (PyTorch's CopySlices), and the view is re-derived from the new base.

Every write bumps the storage's version counter (version.py), so a node that saved the
old values refuses to run backward with the new ones.

    >>> import autograd_core as ag
    >>> w = ag.ones(2, requires_grad=True)
    >>> with ag.no_grad():
    ...     w -= 0.5
    >>> w, w.is_leaf
    (tensor([0.5, 0.5], requires_grad=True), True)
"""

from __future__ import annotations

import numpy as np

from . import version
from .function import Op
from .grad_mode import no_grad, state


def _tensor():
    from .tensor import Tensor

    return Tensor


def apply_inplace(t, name: str, compute, *args, **kwargs):
    """Run `compute(t, *args, **kwargs)` (an out-of-place op) and write its result into `t`."""
    Tensor = _tensor()
    recording = state.grad_enabled and (
        t.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
    )
    if recording and t.requires_grad:
        if t.grad_fn is None and t._view is None:
            raise RuntimeError(
                f"{name}: a leaf Variable that requires grad is being used in an in-place operation. "
                "Wrap the update in `with ag.no_grad():` (as optimizers do) or work on a clone."
            )
        if t._view is not None and t._view[0].requires_grad and t._view[0].grad_fn is None:
            raise RuntimeError(
                f"{name}: a view of a leaf Variable that requires grad is being used in an in-place "
                "operation. Wrap the update in `with ag.no_grad():` or work on a clone."
            )
    if not recording:
        ufunc = _UFUNCS.get(name)
        if ufunc is not None and not kwargs and _ufunc_into(t, ufunc, args, Tensor):
            return t
        with no_grad():
            result = compute(t, *args, **kwargs)
        _write(t, result._data, name)
        return t
    snapshot = Tensor._make(t._data, t.grad_fn)
    snapshot.requires_grad = t.requires_grad
    result = compute(snapshot, *args, **kwargs)
    _protect_saved(result.grad_fn, t._data, snapshot)
    _write(t, result._data, name)
    if t._view is None:
        t.grad_fn = result.grad_fn
        t.requires_grad = result.requires_grad
    else:
        _rebase_view(t, result)
    return t


# The updates hand-written training loops make under no_grad (`w -= lr * w.grad`): with the
# same float dtype on both sides (or a Python number), NumPy writes the result straight into
# the storage instead of computing a temporary and copying it (same values, one array less).
_UFUNCS = {"add_": np.add, "__iadd__": np.add, "sub_": np.subtract, "__isub__": np.subtract,
           "mul_": np.multiply, "__imul__": np.multiply, "div_": np.true_divide,
           "__itruediv__": np.true_divide}


def _ufunc_into(t, ufunc, args: tuple, Tensor) -> bool:
    """Apply `ufunc(t, other)` into `t`'s storage when the types and shapes make that the
    same as the general path; False (nothing written) otherwise."""
    if len(args) != 1:
        return False
    dst = t._data
    other = args[0]
    if dst.dtype.kind != "f":
        return False
    if isinstance(other, Tensor):
        src = other._data
        if src.dtype != dst.dtype:
            return False
        if src.shape != dst.shape:
            try:
                if np.broadcast_shapes(src.shape, dst.shape) != dst.shape:
                    return False
            except ValueError:  # the general path raises PyTorch's error
                return False
    elif type(other) is float or (type(other) is int and -(2**53) < other < 2**53):
        src = other
    else:
        return False
    version.note_inplace(t)
    ufunc(dst, src, out=dst)
    version.bump(t)
    return True


def _write(t, values: np.ndarray, name: str) -> None:
    """Copy `values` into `t`'s storage with PyTorch's casting rule for in-place results."""
    dst = t._data
    if values.dtype != dst.dtype and not _can_cast(values.dtype, dst.dtype):
        raise RuntimeError(
            f"{name}: result type {values.dtype} can't be cast to the desired output type {dst.dtype}"
        )
    if values.shape != dst.shape:
        raise RuntimeError(
            f"{name}: output with shape {list(dst.shape)} doesn't match the broadcast shape "
            f"{list(values.shape)}"
        )
    version.note_inplace(t)
    if values is not dst:
        np.copyto(dst, values, casting="unsafe")
    version.bump(t)


def _can_cast(src: np.dtype, dst: np.dtype) -> bool:
    """PyTorch's torch.can_cast: no float -> integer, no integer -> bool, downcasts within
    a kind are fine."""
    order = "biufc"
    return order.index(src.kind if src.kind in order else "f") <= order.index(
        dst.kind if dst.kind in order else "f") or (src.kind == "u" and dst.kind == "i")


def _protect_saved(node, storage, snapshot) -> None:
    """The op may have saved `t`'s storage (mul_ keeps self for the other input's
    gradient): give it the old values, since the storage is about to change."""
    saved = None if node is None else node.saved
    if not isinstance(saved, tuple) or not any(s is storage for s in saved):
        return
    old = storage.copy()
    node.saved = tuple(old if s is storage else s for s in saved)
    snapshot._data = old


def _rebase_view(view, result) -> None:
    """In-place on a view in grad mode: the base now holds `result` in the view's place."""
    Tensor = _tensor()
    base, chain = view._view
    old_base = Tensor._make(base._data, base.grad_fn)
    old_base.requires_grad = base.requires_grad
    new_base = SetView.apply(old_base, result, chain)
    base.grad_fn = new_base.grad_fn
    base.requires_grad = True
    regenerated = version.replay_view(chain, Tensor._make(base._data, base.grad_fn))
    view.grad_fn = regenerated.grad_fn
    view.requires_grad = True


class SetView(Op):
    """The base after writing `values` into one of its views (PyTorch's CopySlices).
    d base_old = the gradient with the view's place zeroed; d values = the gradient's view."""

    @staticmethod
    def forward(ctx, base, values, chain):
        # The storage already holds the new values (the in-place write); the node only
        # records how gradients split between the old base and the written values.
        ctx.chain = chain
        out = base.copy()
        version.replay_view(chain, out)[...] = values
        return out

    @staticmethod
    def backward(ctx, g):
        chain = ctx.chain
        g_base = SetView.call(g, np.zeros((), dtype=g.dtype), chain)
        g_values = version.replay_view(chain, g)
        return g_base, g_values, None


# -- the in-place methods -----------------------------------------------------------------
# One-line docs (what help(Tensor) shows) for the in-place methods whose meaning is not just
# "the op named without the trailing underscore, written into this tensor".
_INPLACE_DOCS = {
    "fill_": "Set every element to `value`, in place.",
    "zero_": "Set every element to zero, in place.",
    "copy_": "Copy the values of `src` (broadcast and converted to this dtype) into this tensor.",
    "uniform_": "Fill in place with draws from the uniform distribution on [a, b).",
    "normal_": "Fill in place with draws from the normal distribution of the given mean and std.",
    "bernoulli_": "Fill in place with 0/1 draws that are 1 with probability `p`.",
    "exponential_": "Fill in place with draws from the exponential distribution of rate `lambd`.",
    "geometric_": "Fill in place with draws from the geometric distribution of success probability `p`.",
    "cauchy_": "Fill in place with draws from the Cauchy distribution of the given median and sigma.",
    "log_normal_": "Fill in place with draws whose logarithm is normal with the given mean and std.",
    "random_": "Fill in place with integers drawn uniformly from [from, to), or [0, to) given one bound.",
    "t_": "In-place `t()`: a 2-D tensor takes its transposed shape.",
    "__iadd__": "In-place `self += other`, writing into this tensor's storage.",
    "__isub__": "In-place `self -= other`, writing into this tensor's storage.",
    "__imul__": "In-place `self *= other`, writing into this tensor's storage.",
    "__itruediv__": "In-place `self /= other`, writing into this tensor's storage.",
    "__ipow__": "In-place `self **= other`, writing into this tensor's storage.",
    "__ifloordiv__": "In-place `self //= other`, writing into this tensor's storage.",
    "__imod__": "In-place `self %= other`, writing into this tensor's storage.",
    "__imatmul__": "In-place `self @= other`, writing into this tensor's storage.",
}


def _inplace_method(name: str, fn):
    def method(self, *args, **kwargs):
        return apply_inplace(self, name, fn, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = _INPLACE_DOCS.get(
        name, f"In-place version of `{name[:-1]}()`: writes the result into this tensor."
    )
    return method


def inplace_methods(table: dict) -> dict:
    """{'add_': add, ...} -> Tensor methods that run the op and write the result in place."""
    return {name: _inplace_method(name, fn) for name, fn in table.items()}


def _random_fill(draw):
    """An in-place random method: the tensor's values become `draw(shape, dtype, gen)`."""
    from .ops.elementwise import copy_from

    def fill(t, *args, generator=None, **kwargs):
        from . import random as _random

        gen = _random.numpy_generator(generator)
        values = np.asarray(draw(gen, t.shape, *args, **kwargs)).astype(t.dtype, copy=False)
        return copy_from(t, values)

    return fill


def _shape_inplace(name: str, fn):
    """t_, transpose_, squeeze_, unsqueeze_: the tensor becomes a differently shaped view
    of the same storage (no values change, so no version bump)."""

    def method(self, *args, **kwargs):
        Tensor = _tensor()
        if state.grad_enabled and self.requires_grad:
            snapshot = Tensor._make(self._data, self.grad_fn)
            snapshot.requires_grad = True
            result = fn(snapshot, *args, **kwargs)
            if self.grad_fn is None:
                raise RuntimeError(
                    f"{name}: a leaf Variable that requires grad is being used in an in-place operation."
                )
            self.grad_fn = result.grad_fn
        else:
            with no_grad():
                result = fn(self, *args, **kwargs)
        self._data = result._data
        return self

    method.__name__ = name
    method.__doc__ = _INPLACE_DOCS.get(
        name, f"In-place version of `{name[:-1]}()`: this tensor takes the new shape."
    )
    return method


def _resize_(self, *sizes):
    """Resize the storage to `sizes`, keeping the leading values (new ones are zeros)."""
    from .ops.shape import _shape_arg

    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    shape = _shape_arg(sizes)
    n = int(np.prod(shape)) if shape else 1
    flat = self._data.reshape(-1)
    if n == flat.size:
        new = flat.reshape(shape).copy() if not self._data.flags.c_contiguous else self._data.reshape(shape)
    else:
        new = np.zeros(n, dtype=self._data.dtype)
        k = min(n, flat.size)
        new[:k] = flat[:k]
        new = new.reshape(shape)
    self._data = new
    version.bump(self)
    return self


def tensor_methods() -> dict:
    """The in-place Tensor methods, each the out-of-place op plus a write (bound in tensor.py)."""
    from .ops import activation as A
    from .ops import elementwise as E
    from .ops import linalg as L
    from .ops import shape as S

    def div(a, b, rounding_mode=None):
        if rounding_mode is None:
            return E.div(a, b)
        from .ops.pointwise import div as div_rounding

        return div_rounding(a, b, rounding_mode=rounding_mode)

    def clamp_min(a, m):
        return E.clamp(a, m, None)

    def clamp_max(a, m):
        return E.clamp(a, None, m)

    def floordiv(a, b):
        from .ops.pointwise import floor_divide

        return floor_divide(a, b)

    def mod(a, b):
        from .ops.pointwise import remainder

        return remainder(a, b)

    ops = {
        "add_": E.add, "sub_": E.sub, "mul_": E.mul, "div_": div, "true_divide_": E.div,
        "pow_": E.pow, "neg_": E.neg, "negative_": E.neg, "abs_": E.abs, "absolute_": E.abs,
        "clamp_": E.clamp, "clip_": E.clamp, "clamp_min_": clamp_min, "clamp_max_": clamp_max,
        "exp_": E.exp, "log_": E.log, "log1p_": E.log1p, "sqrt_": E.sqrt, "sin_": E.sin,
        "cos_": E.cos, "sigmoid_": A.sigmoid, "tanh_": A.tanh, "relu_": A.relu,
        "fill_": E.fill, "copy_": E.copy_from, "maximum_": E.maximum, "minimum_": E.minimum,
        "uniform_": _random_fill(lambda g, shape, a=0.0, b=1.0: g.uniform(a, b, shape)),
        "normal_": _random_fill(lambda g, shape, mean=0.0, std=1.0: g.normal(mean, std, shape)),
        "bernoulli_": _random_fill(lambda g, shape, p=0.5: g.random(shape) < (
            p._data if hasattr(p, "_data") else p)),
        "exponential_": _random_fill(lambda g, shape, lambd=1.0: g.exponential(1.0 / lambd, shape)),
        "geometric_": _random_fill(lambda g, shape, p: g.geometric(p, shape)),
        "cauchy_": _random_fill(lambda g, shape, median=0.0, sigma=1.0: median + sigma * g.standard_cauchy(shape)),
        "log_normal_": _random_fill(lambda g, shape, mean=1.0, std=2.0: g.lognormal(mean, std, shape)),
        "random_": _random_fill(lambda g, shape, low=0, high=None: g.integers(
            0 if high is None and low == 0 else (0 if high is None else low),
            (2 ** 24 if high is None and low == 0 else (low if high is None else high)), shape)),
        "__iadd__": E.add, "__isub__": E.sub, "__imul__": E.mul, "__itruediv__": E.div,
        "__ipow__": E.pow, "__ifloordiv__": floordiv, "__imod__": mod, "__imatmul__": L.matmul,
    }
    ops.update(_more_inplace_ops())
    methods = inplace_methods(ops)
    methods["zero_"] = _inplace_method("zero_", lambda a: E.fill(a, 0))
    methods.update({
        "t_": _shape_inplace("t_", lambda a: S.transpose(a, 0, 1) if a.ndim == 2 else a),
        "transpose_": _shape_inplace("transpose_", S.transpose),
        "squeeze_": _shape_inplace("squeeze_", S.squeeze),
        "unsqueeze_": _shape_inplace("unsqueeze_", S.unsqueeze),
        "resize_": _resize_,
    })
    return methods


def _more_inplace_ops() -> dict:
    """In-place forms of the masking, scatter and pointwise families (their out-of-place
    functions take the tensor first, as PyTorch's methods do)."""
    from .ops import masking, pointwise, scatter

    table = {
        "masked_fill_": masking.masked_fill, "index_add_": scatter.index_add,
        "index_copy_": scatter.index_copy, "index_fill_": scatter.index_fill,
        "index_put_": scatter.index_put, "scatter_": scatter.scatter,
        "scatter_add_": scatter.scatter_add, "scatter_reduce_": scatter.scatter_reduce,
        "masked_scatter_": scatter.masked_scatter, "tril_": masking.tril, "triu_": masking.triu,
    }
    for name in ("addcmul", "addcdiv", "lerp", "floor", "ceil", "round", "trunc", "frac", "reciprocal",
                 "rsqrt", "square", "sign", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh",
                 "acosh", "atanh", "erf", "erfc", "erfinv", "expm1", "exp2", "log2", "log10",
                 "fmod", "remainder", "hypot", "atan2", "copysign", "xlogy", "logit", "nan_to_num",
                 "sgn", "digamma", "lgamma", "float_power", "floor_divide", "sinc", "deg2rad", "rad2deg"):
        fn = getattr(pointwise, name, None)
        if fn is not None:
            table[name + "_"] = fn
    return table


def write_out(result, out, name: str):
    """PyTorch's `out=` argument: the result written into `out` (resized when its shape
    differs), which is returned. Not differentiable, as in PyTorch."""
    if out is None:
        return result
    if state.grad_enabled and (result.requires_grad or out.requires_grad):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic differentiation, "
            "but one of the arguments requires grad."
        )
    if tuple(out.shape) != tuple(result.shape):
        out._data = np.empty(result.shape, dtype=out.dtype)
    _write(out, result._data.astype(out.dtype, copy=False), name)
    return out
