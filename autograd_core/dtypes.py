"""Dtype aliases and the rules for turning Python data into arrays.

PyTorch's creation rules: Python floats (and lists of them) give float32, Python ints
give int64, bools give bool, and a NumPy array keeps its own dtype.
"""

from __future__ import annotations

import builtins

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

default_float = float32


def resolve_dtype(dtype) -> np.dtype | None:
    """Accept None, a NumPy dtype, a NumPy scalar type or a dtype name; return a np.dtype."""
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype.startswith("torch."):
        dtype = dtype[6:]
    if isinstance(dtype, str) and dtype in _BY_NAME:
        return _BY_NAME[dtype]
    if dtype is builtins.float:
        return default_float
    if dtype is builtins.int:
        return int64
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype (use e.g. ag.float32 or ag.int64)") from None


def is_floating(dtype: np.dtype) -> bool:
    """True for dtypes that can carry gradients."""
    return dtype.kind in "fc"


def as_array(data, dtype=None) -> np.ndarray:
    """Convert `data` to an ndarray following PyTorch's creation rules.

    >>> as_array([1.0, 2.0]).dtype
    dtype('float32')
    >>> as_array(3).dtype
    dtype('int64')
    """
    if dtype is not None:
        return np.array(data, dtype=dtype)
    if isinstance(data, np.ndarray):
        return np.array(data)
    if isinstance(data, np.generic):
        return np.array(data)
    arr = np.array(data)
    if arr.dtype == np.float64:
        # Python floats become the default dtype (float32), like torch.tensor([1.0]).
        arr = arr.astype(default_float)
    elif arr.dtype.kind in "iu" and arr.dtype != np.int64:
        arr = arr.astype(np.int64)
    elif arr.dtype == object:
        raise TypeError(f"cannot build a Tensor from {type(data).__name__} data: {data!r:.80}")
    return arr


# -- more dtypes; PyTorch's other spellings (ag.float, ag.long, ...) are bound in __init__ ----
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
uint8 = np.dtype(np.uint8)
complex64 = np.dtype(np.complex64)
complex128 = np.dtype(np.complex128)

_BY_NAME = {
    "float": float32, "float32": float32, "double": float64, "float64": float64,
    "half": float16, "float16": float16, "int8": int8, "int16": int16, "short": int16,
    "int": int32, "int32": int32, "long": int64, "int64": int64, "uint8": uint8,
    "bool": bool_, "complex64": complex64, "complex128": complex128,
}


def get_default_dtype() -> np.dtype:
    """The floating dtype that Python floats become (float32 unless changed).

    >>> import autograd_core as ag
    >>> ag.get_default_dtype()
    dtype('float32')
    """
    return default_float


def set_default_dtype(d) -> None:
    """Make `d` (float16, float32 or float64) the default floating dtype, as
    torch.set_default_dtype."""
    global default_float
    d = resolve_dtype(d)
    if d is None or d.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the default type, got {d}")
    default_float = d


def _category(dtype) -> int:
    """bool < integer < floating < complex, as PyTorch's promotion categories."""
    kind = dtype.kind
    return 0 if kind == "b" else 1 if kind in "iu" else 2 if kind == "f" else 3


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's torch.promote_types: a floating type wins over any integer type
    (NumPy would make int64 + float16 float64; PyTorch keeps float16)."""
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        hi, lo = (a, b) if ca > cb else (b, a)
        if ca + cb == 5:  # complex with floating: keep the wider precision
            return np.promote_types(hi, lo)
        return hi
    return np.promote_types(a, b)


def scalar_dtype(x) -> np.dtype:
    """The dtype a Python scalar stands for in promotion (PyTorch's wrapped numbers)."""
    if isinstance(x, (builtins.bool, np.bool_)):
        return bool_
    if isinstance(x, (builtins.int, np.integer)):
        return int64
    if isinstance(x, builtins.complex):
        return complex64 if default_float == float32 else complex128
    return default_float


def result_type(*operands) -> np.dtype:
    """PyTorch's torch.result_type over arrays (n-d and 0-d) and Python scalars: the
    highest category wins, and within a category 0-d arrays and scalars do not raise
    the dtype of n-d arrays (float32 + 0-d float64 stays float32; int64 + 2.5 is float32).

    >>> result_type(np.zeros(2, np.int64), 2.5)
    dtype('float32')
    """
    dim = zero = wrapped = None
    for x in operands:
        if isinstance(x, np.ndarray):
            if x.ndim:
                dim = x.dtype if dim is None else promote_types(dim, x.dtype)
            else:
                zero = x.dtype if zero is None else promote_types(zero, x.dtype)
        elif x is not None:
            d = scalar_dtype(x)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


def _combine(higher, lower):
    if higher is None:
        return lower
    if lower is None:
        return higher
    ch, cl = _category(higher), _category(lower)
    if ch >= 2 and ch >= cl:
        return higher
    if ch == 0 or cl > ch:
        return promote_types(higher, lower)
    return higher


def promote_operands(args: tuple, positions: tuple, to_float: bool = False) -> tuple:
    """Cast the Tensors at `positions` of an op's arguments to their PyTorch result type
    (through the differentiable cast, so gradients come back in each input's dtype).
    `to_float`: integer results become the default float (true division).

    Op.apply answers the common cases (same dtypes; a float tensor with a Python number)
    before calling this."""
    from .ops.elementwise import cast
    from .tensor import Tensor

    ops = [args[i] for i in positions]
    raws = [a._data if isinstance(a, Tensor) else a for a in ops]
    target = result_type(*raws)
    if to_float and target.kind in "biu":
        target = default_float
    out = list(args)
    for i in positions:
        a = args[i]
        if isinstance(a, Tensor):
            if a._data.dtype != target:
                out[i] = cast(a, target)
        elif isinstance(a, np.ndarray):
            out[i] = a.astype(target)
        # Python scalars stay as they are: NumPy treats them as weak, like PyTorch does.
    return tuple(out)
