"""Creation functions, with PyTorch's names and dtype rules (float32 by default).

>>> import autograd_core as ag
>>> ag.zeros(2, 3).shape, ag.arange(5).dtype
((2, 3), dtype('int64'))
"""

from __future__ import annotations

import numpy as np

from . import dtypes
from . import random as _random
from .devices import check_device
from .dtypes import resolve_dtype
from .tensor import Tensor


def _shape(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _new(data: np.ndarray, requires_grad: bool, device=None) -> Tensor:
    check_device(device)
    t = Tensor._make(data, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float(dtype):
    return resolve_dtype(dtype) or dtypes.default_float


def tensor(data, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new Tensor holding a copy of `data` (nested lists, numbers, arrays or tensors)."""
    check_device(device)
    if isinstance(data, (list, tuple)) and any(isinstance(v, Tensor) for v in data):
        data = [v._data if isinstance(v, Tensor) else v for v in data]
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A Tensor sharing memory with `arr`."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(arr).__name__}")
    return Tensor._make(arr, None)


def zeros(*shape, dtype=None, device=None, requires_grad: bool = False, **_layout) -> Tensor:
    """A tensor of zeros (float32 unless `dtype` says otherwise)."""
    return _new(np.zeros(_shape(shape), dtype=_float(dtype)), requires_grad, device)


def ones(*shape, dtype=None, device=None, requires_grad: bool = False, **_layout) -> Tensor:
    """A tensor of ones."""
    return _new(np.ones(_shape(shape), dtype=_float(dtype)), requires_grad, device)


def empty(*shape, dtype=None, device=None, requires_grad: bool = False, **_layout) -> Tensor:
    """An uninitialised tensor (zeros here: never garbage)."""
    return _new(np.zeros(_shape(shape), dtype=_float(dtype)), requires_grad, device)


def full(shape, fill_value, dtype=None, device=None, requires_grad: bool = False, **_layout) -> Tensor:
    """A tensor filled with `fill_value`; its dtype follows the value (bool, int64 or float)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = np.bool_ if isinstance(fill_value, (bool, np.bool_)) else (
            np.int64 if isinstance(fill_value, (int, np.integer)) else dtypes.default_float
        )
    return _new(np.full(shape, fill_value, dtype=resolve_dtype(dtype)), requires_grad, device)


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False, **_layout) -> Tensor:
    return _new(np.zeros(t.shape, dtype=resolve_dtype(dtype) or t.dtype), requires_grad, device)


def ones_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False, **_layout) -> Tensor:
    return _new(np.ones(t.shape, dtype=resolve_dtype(dtype) or t.dtype), requires_grad, device)


def empty_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False, **_layout) -> Tensor:
    return _new(np.zeros(t.shape, dtype=resolve_dtype(dtype) or t.dtype), requires_grad, device)


def full_like(t: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False,
              **_layout) -> Tensor:
    return _new(np.full(t.shape, fill_value, dtype=resolve_dtype(dtype) or t.dtype), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False,
           **_layout) -> Tensor:
    """Like torch.arange: int64 for integer arguments, the default float otherwise."""
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else dtypes.default_float
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    n = max(int(np.ceil((end - start) / step)), 0)
    values = start + step * np.arange(n, dtype=np.float64 if not isinstance(step, int) or not isinstance(
        start, int) else np.int64)
    return _new(values.astype(resolve_dtype(dtype)), requires_grad, device)


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


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False,
        **_layout) -> Tensor:
    """The identity matrix (n × m)."""
    return _new(np.eye(n, m, dtype=_float(dtype)), requires_grad, device)


def randn(*shape, generator=None, dtype=None, device=None, requires_grad: bool = False,
          **_layout) -> Tensor:
    """Standard normal samples (from `generator`, or the default one)."""
    data = _random.numpy_generator(generator).standard_normal(_shape(shape))
    return _new(data.astype(_float(dtype), copy=False), requires_grad, device)


def rand(*shape, generator=None, dtype=None, device=None, requires_grad: bool = False,
         **_layout) -> Tensor:
    """Uniform [0, 1) samples (from `generator`, or the default one)."""
    data = _random.numpy_generator(generator).random(_shape(shape))
    return _new(data.astype(_float(dtype), copy=False), requires_grad, device)


def randint(low: int = 0, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad: bool = False, **_layout) -> Tensor:
    """Integers in [low, high): `randint(high, size)` or `randint(low, high, size)`."""
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing the required argument 'size'")
    size = (size,) if isinstance(size, int) else tuple(size)
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    data = _random.numpy_generator(generator).integers(low, high, size=size)
    return _new(np.asarray(data, dtype=resolve_dtype(dtype) or np.int64), requires_grad, device)


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False,
             **_layout) -> Tensor:
    """A random permutation of 0..n-1."""
    data = _random.numpy_generator(generator).permutation(n).astype(resolve_dtype(dtype) or np.int64)
    return _new(data, requires_grad, device)


def rand_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False, **_layout) -> Tensor:
    return rand(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def randn_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False, **_layout) -> Tensor:
    return randn(t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def randint_like(t: Tensor, low: int = 0, high=None, dtype=None, device=None,
                 requires_grad: bool = False, **_layout) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, t.shape, dtype=dtype or t.dtype, device=device, requires_grad=requires_grad)


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:  # noqa: A002
    """0/1 draws with probabilities `input` (or `p`), in input's dtype."""
    probs = input._data if p is None else np.broadcast_to(p, input.shape)
    data = _random.numpy_generator(generator).random(input.shape) < probs
    return Tensor._make(data.astype(input.dtype), None)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Normal draws: tensors `mean`/`std` (broadcast), or numbers with `size`."""
    check_device(device)
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = tuple(size) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    out = _random.numpy_generator(generator).normal(m, s, shape)
    return _new(out.astype(resolve_dtype(dtype) or (like.dtype if like is not None else _float(None))),
                requires_grad)


def poisson(input: Tensor, generator=None) -> Tensor:  # noqa: A002
    """Poisson draws with rates `input`."""
    return Tensor._make(_random.numpy_generator(generator).poisson(input._data).astype(input.dtype), None)
