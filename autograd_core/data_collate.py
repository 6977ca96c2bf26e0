"""Turning samples into batches (`default_collate`) and converting unbatched samples
(`default_convert`), with `torch.utils.data`'s rules.

    >>> import autograd_core as ag
    >>> batch = default_collate([{"x": ag.ones(2), "y": 1}, {"x": ag.zeros(2), "y": 0}])
    >>> batch["x"].shape, batch["y"]
    ((2, 2), tensor([1, 0]))
"""

from __future__ import annotations

import collections.abc
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["default_collate", "default_convert"]


def _is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_fields")


def _rebuild_mapping(like: collections.abc.Mapping, items: dict) -> Any:
    """A mapping of `like`'s type holding `items` (a plain dict when that type cannot be built so)."""
    if type(like) is dict:
        return items
    try:
        return type(like)(items)
    except TypeError:
        return items


def _numeric_array(owner: str, array: np.ndarray) -> None:
    if array.dtype.kind in "SUOV":  # strings and objects cannot become Tensors
        raise TypeError(f"{owner}: batch must contain tensors, numpy arrays, numbers, dicts or lists; found "
                        f"an array of dtype {array.dtype}")


def default_collate(batch: Sequence[Any]) -> Any:
    """Collate a list of samples into a batch, as PyTorch's `default_collate`:

    - Tensors and NumPy arrays → one Tensor stacked along a new first dim (shapes must agree);
    - NumPy scalars → a Tensor of their dtype; Python floats → float64, ints → int64, bools → bool;
    - strings and bytes → the list as it is;
    - dicts (mappings) → the same keys, each value collated; namedtuples → the same type;
    - tuples and lists → a list with each position collated (all samples the same length).

        >>> import autograd_core as ag
        >>> x, y = default_collate([(ag.ones(2), 0), (ag.zeros(2), 1)])
        >>> x.shape, y
        ((2, 2), tensor([0, 1]))
    """
    if len(batch) == 0:
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        shapes = {tuple(s.shape) for s in batch}
        if len(shapes) != 1:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, but got shapes "
                               f"{sorted(shapes)}")
        return Tensor._make(np.stack([s._data for s in batch]), None)
    if isinstance(elem, np.ndarray):
        _numeric_array("default_collate", elem)
        return default_collate([Tensor._make(np.asarray(s), None) for s in batch])
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        return Tensor._make(np.array(batch), None)
    if isinstance(elem, bool):
        return Tensor._make(np.array(batch, dtype=np.bool_), None)
    if isinstance(elem, float):
        return Tensor._make(np.array(batch, dtype=np.float64), None)
    if isinstance(elem, numbers.Integral):
        return Tensor._make(np.array(batch, dtype=np.int64), None)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: default_collate([s[key] for s in batch]) for key in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(s) != len(elem) for s in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of equal size")
        return [default_collate(field) for field in zip(*batch)]  # fields stay tuples, as in torch
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found "
                    f"{type(elem).__name__}")


def default_convert(data: Any) -> Any:
    """Convert one unbatched sample: NumPy arrays (and scalars) become Tensors, containers
    are converted element by element, everything else is left as it is (used by the
    DataLoader when `batch_size=None`).

        >>> default_convert({"x": np.zeros(2), "name": "a"})
        {'x': tensor([0., 0.], dtype=float64), 'name': 'a'}
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        if data.dtype.kind in "SUOV":
            return data
        return Tensor._make(data, None)
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return Tensor._make(np.asarray(data), None)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(value) for key, value in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
