"""Dtype aliases and the rules for turning Python data into arrays.

PyTorch's creation rules: Python floats (and lists of them) give float32, Python ints
give int64, bools give bool, and a NumPy array keeps its own dtype.
"""

from __future__ import annotations

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
    return np.dtype(dtype)


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
        # Python floats become float32, like torch.tensor([1.0]).
        arr = arr.astype(np.float32)
    elif arr.dtype.kind in "iu" and arr.dtype != np.int64:
        arr = arr.astype(np.int64)
    elif arr.dtype == object:
        raise TypeError(f"cannot build a Tensor from {type(data).__name__} data: {data!r:.80}")
    return arr
