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
    if isinstance(data, (list, tuple)):
        data = _nested_to_array(data, dtype)
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
    return _new(_arange_values(start, end, step, resolve_dtype(dtype)), requires_grad, device)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad: bool = False,
             **_layout) -> Tensor:
    """`steps` evenly spaced values from `start` to `end` inclusive, as torch.linspace
    (integer dtypes truncate toward zero).

        >>> import autograd_core as ag
        >>> ag.linspace(-5, 5, 7, dtype=ag.int64)
        tensor([-5, -3, -1,  0,  1,  3,  5])
    """
    dtype = _float(dtype)
    if dtype.kind == "b":
        raise RuntimeError("linspace: not implemented for dtype bool")
    if int(steps) < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    return _new(_linspace_values(start, end, steps, dtype), requires_grad, device)


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


def _arange_values(start, end, step, dtype: np.dtype) -> np.ndarray:
    """torch.arange's values: the length ceil((end - start) / step) in double precision,
    element i = start + i * step computed in double and rounded once (PyTorch's vectorised
    loop may differ in the last bit); integer dtypes cast the bounds first."""
    if dtype.kind in "iub":  # integer dtypes: the bounds are cast first, as PyTorch
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise ValueError(
            f"arange: upper bound {end} and lower bound {start} inconsistent with step sign {step}"
        )
    if dtype.kind in "iub":
        return np.arange(start, end, step, dtype=np.int64).astype(dtype)
    n = int(np.ceil((float(end) - float(start)) / float(step)))
    return (float(start) + np.arange(max(n, 0), dtype=np.float64) * float(step)).astype(dtype)


def _linspace_values(start, end, steps: int, dtype: np.dtype) -> np.ndarray:
    """torch.linspace's values: computed in the target float type from both ends
    (start + i·step for the first half, end - (steps-1-i)·step for the rest)."""
    steps = int(steps)
    if steps < 0:
        raise ValueError(f"linspace: number of steps must be non-negative, got {steps}")
    work = dtype if dtype.kind == "f" else np.dtype(np.float64)
    if steps == 0:
        return np.zeros(0, dtype=dtype)
    if steps == 1:
        return np.array([start], dtype=work).astype(dtype)
    a, b = work.type(start), work.type(end)
    step = (b - a) / work.type(steps - 1)
    i = np.arange(steps)
    half = steps // 2
    out = np.where(i < half, a + step * i.astype(work), b - step * (steps - 1 - i).astype(work))
    return out.astype(dtype)


def logspace(start, end, steps: int, base: float = 10.0, dtype=None, requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps).

    >>> logspace(0, 2, 3).tolist()
    [1.0, 10.0, 100.0]
    """
    dt = _float(dtype)
    work = dt if dt.kind == "f" else np.dtype(np.float64)
    exps = _linspace_values(start, end, steps, work)
    return _new(np.power(work.type(base), exps).astype(dt), requires_grad)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None) -> Tensor:
    """(2, N) row and column indices of the lower triangle of a row x col matrix, row by row.

    >>> tril_indices(2, 2).tolist()
    [[0, 1, 1], [0, 0, 1]]
    """
    r, c = np.tril_indices(int(row), int(offset), int(col))
    return Tensor._make(np.stack([r, c]).astype(resolve_dtype(dtype) or np.int64), None)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None) -> Tensor:
    """(2, N) row and column indices of the upper triangle of a row x col matrix, row by row."""
    r, c = np.triu_indices(int(row), int(offset), int(col))
    return Tensor._make(np.stack([r, c]).astype(resolve_dtype(dtype) or np.int64), None)


def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D (or 0-d) tensors; indexing 'ij' (matrix, the default) or
    'xy' (Cartesian: the first two dims swapped). Differentiable (the grids are expanded views).

    >>> [g.shape for g in meshgrid(arange(2), arange(3))]
    [(2, 3), (2, 3)]
    """
    from .ops.shape import expand, reshape

    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for t in tensors:
        if t.ndim > 1:
            raise ValueError(f"meshgrid: expects 0-d or 1-D tensors, got shape {t.shape}")
    sizes = [t.numel() for t in tensors]
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for k, t in enumerate(tensors):
        pos = (1 - k if k < 2 else k) if swap else k
        shape = [1] * len(tensors)
        shape[pos] = t.numel()
        grids.append(expand(reshape(t, tuple(shape)), tuple(sizes)))
    return tuple(grids)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """`data` as a Tensor, sharing memory when it is an ndarray (or Tensor) of that dtype."""
    want = resolve_dtype(dtype)
    if isinstance(data, Tensor):
        return data if want is None or want == data.dtype else data.to(want)
    if isinstance(data, np.ndarray) and (want is None or want == data.dtype):
        return Tensor._make(data, None)
    return tensor(data, dtype=dtype)


def _nested_to_array(data, dtype=None) -> np.ndarray:
    """A nested list of numbers, 0-d Tensors and NumPy scalars as one array, with PyTorch's
    dtype inference: Python floats count as float32, ints as int64, the others as their
    dtype; floats beat integers, which beat bools, and the widest of a kind wins."""
    if _plain_leaf(data, 0) and _plain_leaf(data, -1):
        # Python numbers at both ends: taken as a plain list (walking a long list in Python
        # costs 30x NumPy's conversion)
        return data
    kinds = {"b": [], "i": [], "f": [], "c": []}
    unknown = []  # anything else is left for as_array to judge (and refuse)

    def walk(x):
        if isinstance(x, (list, tuple)):
            return [walk(v) for v in x]
        if isinstance(x, Tensor):
            if x.ndim:
                raise ValueError(
                    f"tensor: only one-element tensors can sit in a nested list, got shape {x.shape}"
                )
            kinds[_kind_of(x.dtype)].append(x.dtype)
            return x._data.item()
        if isinstance(x, np.ndarray):
            kinds[_kind_of(x.dtype)].append(x.dtype)
            return x.tolist() if x.ndim else x.item()
        if isinstance(x, np.generic):
            kinds[_kind_of(x.dtype)].append(x.dtype)
            return x.item()
        if isinstance(x, bool):
            kinds["b"].append(np.dtype(np.bool_))
        elif isinstance(x, int):
            kinds["i"].append(np.dtype(np.int64))
        elif isinstance(x, float):
            kinds["f"].append(np.dtype(dtypes.default_float))
        elif isinstance(x, complex):
            kinds["c"].append(np.dtype(np.complex64))
        else:
            unknown.append(x)
        return x

    values = walk(data)
    if unknown:
        return data
    if dtype is not None:
        return np.array(values, dtype=resolve_dtype(dtype))
    for kind in ("c", "f", "i", "b"):
        if kinds[kind]:
            target = np.result_type(*kinds[kind])
            if kind == "c" and kinds["f"] and max(d.itemsize for d in kinds["f"]) > 4:
                target = np.dtype(np.complex128)
            return np.array(values, dtype=target)
    return np.array(values, dtype=dtypes.default_float)  # an empty list: float32, as torch


def _plain_leaf(data, end: int) -> bool:
    """Is the first (end=0) or last (end=-1) leaf of a nested list a Python number?"""
    while isinstance(data, (list, tuple)):
        if not data:
            return True
        data = data[end]
    return type(data) in (bool, int, float, complex)  # np.float64 subclasses float: not plain


def _kind_of(dtype: np.dtype) -> str:
    return {"b": "b", "i": "i", "u": "i", "f": "f", "c": "c"}[dtype.kind]
