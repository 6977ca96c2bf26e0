"""Logical, bitwise and floating-point predicates, and closeness tests. None has a
gradient: every result is bool (or integer for the bitwise ops on integers).

    >>> import autograd_core as ag
    >>> (ag.tensor([True, False]) & ag.tensor([True, True])).tolist()
    [True, False]
"""

from __future__ import annotations

import numpy as np


def _T():
    from ..tensor import Tensor

    return Tensor


def _raw(x):
    return x._data if isinstance(x, _T()) else np.asarray(x) if isinstance(x, (list, tuple)) else x


def _wrap(arr):
    return _T()._make(np.asarray(arr), None)


def logical_and(input, other):
    """True where both are non-zero."""
    return _wrap(np.logical_and(_raw(input), _raw(other)))


def logical_or(input, other):
    """True where either is non-zero."""
    return _wrap(np.logical_or(_raw(input), _raw(other)))


def logical_xor(input, other):
    """True where exactly one is non-zero."""
    return _wrap(np.logical_xor(_raw(input), _raw(other)))


def logical_not(input):
    """True where input is zero."""
    return _wrap(np.logical_not(_raw(input)))


def _integral(name, *xs):
    for x in xs:
        raw = _raw(x)
        kind = (
            raw.dtype.kind
            if hasattr(raw, "dtype")
            else ("b" if isinstance(raw, bool) else "i" if isinstance(raw, int) else "f")
        )
        if kind not in "biu":
            got = getattr(raw, "dtype", type(raw).__name__)
            raise TypeError(f"{name}: only integer and bool tensors are supported, got {got}")


def _bitwise(name, ufunc):
    def fn(input, other):
        _integral(name, input, other)
        return _wrap(ufunc(_raw(input), _raw(other)))

    fn.__name__ = name
    fn.__doc__ = f"{name}(input, other) on integer or bool tensors."
    return fn


bitwise_and = _bitwise("bitwise_and", np.bitwise_and)
bitwise_or = _bitwise("bitwise_or", np.bitwise_or)
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor)
bitwise_left_shift = _bitwise("bitwise_left_shift", np.left_shift)
bitwise_right_shift = _bitwise("bitwise_right_shift", np.right_shift)


def bitwise_not(input):
    """~input: logical not on bools, two's-complement not on integers."""
    _integral("bitwise_not", input)
    return _wrap(np.invert(_raw(input)))


def _predicate(name, fn):
    def pred(input):
        raw = _raw(input)
        if raw.dtype.kind not in "fc":  # integers are always finite, never NaN
            return _wrap(np.full(raw.shape, name == "isfinite"))
        return _wrap(fn(raw))

    pred.__name__ = name
    pred.__doc__ = f"{name}(input): a bool tensor."
    return pred


isnan = _predicate("isnan", np.isnan)
isinf = _predicate("isinf", np.isinf)
isposinf = _predicate("isposinf", np.isposinf)
isneginf = _predicate("isneginf", np.isneginf)
isfinite = _predicate("isfinite", np.isfinite)


def isreal(input):
    """True everywhere for real tensors."""
    raw = _raw(input)
    return _wrap(np.isreal(raw))


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """|input - other| <= atol + rtol * |other| elementwise (infinities close only to
    themselves; NaNs close to each other with equal_nan)."""
    a, b = _raw(input), _raw(other)
    if isinstance(input, _T()) and isinstance(other, _T()) and a.dtype != b.dtype:
        raise RuntimeError(f"isclose: {a.dtype} and {b.dtype} tensors must have the same dtype")
    if rtol < 0 or atol < 0:
        raise RuntimeError(f"isclose: rtol and atol must be non-negative, got {rtol} and {atol}")
    if np.asarray(a).dtype == np.bool_ and np.asarray(b).dtype == np.bool_:
        return _wrap(np.asarray(a) == np.asarray(b))
    return _wrap(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """True when isclose holds everywhere (shapes broadcasting)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def equal(input, other) -> bool:
    """True when both have the same shape and the same values."""
    a, b = _raw(input), _raw(other)
    return bool(np.shape(a) == np.shape(b) and np.array_equal(a, b))


def _rand(self, other):
    """`other & self` with a Python int or bool on the left."""
    return bitwise_and(other, self)


def _ror(self, other):
    """`other | self` with a Python int or bool on the left."""
    return bitwise_or(other, self)


def _rxor(self, other):
    """`other ^ self` with a Python int or bool on the left."""
    return bitwise_xor(other, self)


def _rlshift(self, other):
    """`other << self` with a Python int on the left."""
    return bitwise_left_shift(other, self)


def _rrshift(self, other):
    """`other >> self` with a Python int on the left."""
    return bitwise_right_shift(other, self)


TENSOR_METHODS = {
    "logical_and": logical_and,
    "logical_or": logical_or,
    "logical_xor": logical_xor,
    "logical_not": logical_not,
    "bitwise_and": bitwise_and,
    "bitwise_or": bitwise_or,
    "bitwise_xor": bitwise_xor,
    "bitwise_not": bitwise_not,
    "bitwise_left_shift": bitwise_left_shift,
    "bitwise_right_shift": bitwise_right_shift,
    "isnan": isnan,
    "isinf": isinf,
    "isposinf": isposinf,
    "isneginf": isneginf,
    "isfinite": isfinite,
    "isreal": isreal,
    "isclose": isclose,
    "allclose": allclose,
    "equal": equal,
    # `&`, `|`, `^`, `~`: bitwise on integers, logical on bools (the same thing there), as PyTorch
    "__and__": bitwise_and,
    "__rand__": _rand,
    "__or__": bitwise_or,
    "__ror__": _ror,
    "__xor__": bitwise_xor,
    "__rxor__": _rxor,
    "__invert__": bitwise_not,
    "__lshift__": bitwise_left_shift,
    "__rlshift__": _rlshift,
    "__rshift__": bitwise_right_shift,
    "__rrshift__": _rrshift,
}
