"""Creation functions, with PyTorch's names and dtype rules (float32 by default).

>>> import autograd_core as ag
>>> ag.zeros(2, 3).shape, ag.arange(5).dtype
((2, 3), dtype('int64'))
"""

from __future__ import annotations

import numpy as np

from . import random as _random
from .dtypes import default_float, resolve_dtype
from .tensor import Tensor


def _shape(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _new(data: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(data, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float(dtype):
    return resolve_dtype(dtype) or default_float


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """A new Tensor holding a copy of `data` (same as Tensor(...))."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A Tensor sharing memory with `arr`."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(arr).__name__}")
    return Tensor._make(arr, None)


def zeros(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(_shape(shape), dtype=_float(dtype)), requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(_shape(shape), dtype=_float(dtype)), requires_grad)


def empty(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.empty(_shape(shape), dtype=_float(dtype)), requires_grad)


def full(shape, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if dtype is None:
        dtype = np.bool_ if isinstance(fill_value, bool) else (
            np.int64 if isinstance(fill_value, int) else default_float
        )
    return _new(np.full(shape, fill_value, dtype=resolve_dtype(dtype)), requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(t.shape, dtype=resolve_dtype(dtype) or t.dtype), requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(t.shape, dtype=resolve_dtype(dtype) or t.dtype), requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.full(t.shape, fill_value, dtype=resolve_dtype(dtype) or t.dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Like torch.arange: int64 for integer arguments, float32 otherwise."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else default_float
    return _new(np.arange(start, end, step, dtype=resolve_dtype(dtype)), requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from `start` to `end` inclusive; integer dtypes truncate
    toward zero, as torch.linspace (NumPy would round down).

        >>> import autograd_core as ag
        >>> ag.linspace(-5, 5, 7, dtype=ag.int64)
        tensor([-5, -3, -1,  0,  1,  3,  5])
    """
    dtype = _float(dtype)
    if dtype.kind == "b":
        raise RuntimeError("linspace: not implemented for dtype bool")
    if int(steps) < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    values = np.linspace(start, end, int(steps), dtype=np.float64 if dtype.kind in "iu" else dtype)
    if dtype.kind in "iu":
        values = np.trunc(values).astype(dtype)
    return _new(values, requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.eye(n, m, dtype=_float(dtype)), requires_grad)


def randn(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the shared seeded generator."""
    data = _random.generator().standard_normal(_shape(shape)).astype(_float(dtype), copy=False)
    return _new(data, requires_grad)


def rand(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples from the shared seeded generator."""
    data = _random.generator().random(_shape(shape)).astype(_float(dtype), copy=False)
    return _new(data, requires_grad)


def randint(low: int, high: int | None = None, size=(), dtype=None) -> Tensor:
    """Integers in [low, high) (int64), like torch.randint(low, high, size)."""
    if high is None:
        low, high = 0, low
    size = (size,) if isinstance(size, int) else tuple(size)
    data = _random.generator().integers(low, high, size=size)
    return Tensor._make(np.asarray(data, dtype=resolve_dtype(dtype) or np.int64), None)


def randperm(n: int) -> Tensor:
    return Tensor._make(_random.generator().permutation(n).astype(np.int64), None)
