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
    """A new Tensor holding a copy of `data` (same as Tensor(...)); nested lists may hold
    0-d Tensors and NumPy scalars, whose dtypes take part in the inference."""
    if isinstance(data, (list, tuple)):
        data = _nested_to_array(data, dtype)
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
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else default_float
    return _new(_arange_values(start, end, step, resolve_dtype(dtype)), requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(_linspace_values(start, end, steps, _float(dtype)), requires_grad)


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


# -- PyTorch's rounding and inference rules, and more creation functions ------------------------
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


def empty_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor with t's shape and dtype."""
    return _new(np.empty(t.shape, dtype=resolve_dtype(dtype) or t.dtype), requires_grad)


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
            kinds["f"].append(np.dtype(default_float))
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
    return np.array(values, dtype=default_float)  # an empty list: float32, as torch


def _plain_leaf(data, end: int) -> bool:
    """Is the first (end=0) or last (end=-1) leaf of a nested list a Python number?"""
    while isinstance(data, (list, tuple)):
        if not data:
            return True
        data = data[end]
    return type(data) in (bool, int, float, complex)  # np.float64 subclasses float: not plain


def _kind_of(dtype: np.dtype) -> str:
    return {"b": "b", "i": "i", "u": "i", "f": "f", "c": "c"}[dtype.kind]


def randn_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples with t's shape (and dtype, unless given)."""
    dt = resolve_dtype(dtype) or t.dtype
    if dt.kind != "f":
        raise TypeError(f"randn_like: needs a floating dtype, got {dt}")
    return _new(_random.generator().standard_normal(t.shape).astype(dt, copy=False), requires_grad)


def rand_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform [0, 1) samples with t's shape (and dtype, unless given)."""
    dt = resolve_dtype(dtype) or t.dtype
    if dt.kind != "f":
        raise TypeError(f"rand_like: needs a floating dtype, got {dt}")
    return _new(_random.generator().random(t.shape).astype(dt, copy=False), requires_grad)


def randint_like(t: Tensor, low: int, high: int | None = None, dtype=None) -> Tensor:
    """Integers in [low, high) with t's shape (and dtype, unless given)."""
    if high is None:
        low, high = 0, low
    data = _random.generator().integers(low, high, size=t.shape)
    return Tensor._make(np.asarray(data, dtype=resolve_dtype(dtype) or t.dtype), None)


def normal(
    mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, requires_grad: bool = False
) -> Tensor:
    """Normal samples: elementwise from Tensor mean/std (broadcast together), or `size`
    samples from float mean and std.

    >>> normal(2.0, 0.0, size=(2,)).tolist()
    [2.0, 2.0]
    """
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if np.any(np.asarray(s) < 0):
        raise ValueError("normal: std must be non-negative")
    if size is not None:
        if isinstance(mean, Tensor) or isinstance(std, Tensor):
            raise TypeError("normal: size= goes with float mean and std, not tensors")
        shape = _shape((size,) if isinstance(size, int) else tuple(size))
    else:
        if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
            raise TypeError("normal: give a Tensor mean or std, or size=")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    like = [x.dtype for x in (mean, std) if isinstance(x, Tensor)]
    dt = resolve_dtype(dtype) or (np.result_type(*like) if like else default_float)
    data = m + s * _random.generator().standard_normal(shape)
    return _new(np.asarray(data, dtype=dt), requires_grad)
