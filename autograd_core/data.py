"""Datasets and the `DataLoader` that cuts them into shuffled mini-batches (`ag.data`).

A `Dataset` answers `len(ds)` and `ds[i]`; a `DataLoader` walks one in batches. For a
`TensorDataset` each batch is cut with one fancy index per tensor (no per-sample work);
any other dataset is read sample by sample and the samples are stacked with NumPy.
Shuffling draws a fresh permutation every epoch from the shared generator, so
`ag.manual_seed` makes the whole sequence of epochs reproducible.

    >>> import autograd_core as ag
    >>> from autograd_core.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(ag.arange(10).reshape(5, 2), ag.arange(5))
    >>> loader = DataLoader(ds, batch_size=2)
    >>> len(loader), [y.tolist() for _, y in loader]
    (3, [[0, 1], [2, 3], [4]])
"""

from __future__ import annotations

import abc
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import random as _random
from .tensor import Tensor

__all__ = ["DataLoader", "Dataset", "TensorDataset", "default_collate"]


class Dataset(abc.ABC):
    """A map-style dataset: subclasses define `__getitem__(index)` and `__len__()`.

        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return float(i), float(i * i)
        >>> next(iter(DataLoader(Squares(), batch_size=4)))[1]
        tensor([0., 1., 4., 9.])
    """

    @abc.abstractmethod
    def __getitem__(self, index: int) -> Any:
        """The sample at `index` (a Tensor, array, number, or a tuple/dict of them)."""

    @abc.abstractmethod
    def __len__(self) -> int:
        """The number of samples."""


class TensorDataset(Dataset):
    """Samples are the rows of several tensors sharing their first dimension.

    `ds[i]` is the tuple `(t[i] for t in tensors)`.

        >>> import autograd_core as ag
        >>> ds = TensorDataset(ag.zeros(3, 2), ag.arange(3))
        >>> len(ds), ds[1][1]
        (3, tensor(1))
    """

    def __init__(self, *tensors: Tensor | np.ndarray) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        wrapped = []
        for i, t in enumerate(tensors):
            if isinstance(t, np.ndarray):
                t = Tensor._make(t, None)
            elif not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, expected a Tensor")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is 0-dimensional; samples run along dim 0")
            wrapped.append(t)
        arrays = [t._data for t in wrapped]
        sizes = [len(a) for a in arrays]
        if len(set(sizes)) != 1:
            raise ValueError(
                f"TensorDataset: all tensors must have the same size in dim 0, got sizes {sizes} "
                f"(shapes {[a.shape for a in arrays]})"
            )
        self.tensors = tuple(wrapped)
        self.arrays = arrays

    def __getitem__(self, index) -> tuple[Tensor, ...]:
        return tuple(Tensor._make(np.asarray(a[index]), None) for a in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def take(self, indices: np.ndarray) -> tuple[Tensor, ...]:
        """The batch of samples at `indices`: one fancy index per tensor (copies, like stacking)."""
        return tuple(Tensor._make(a[indices], None) for a in self.arrays)


def default_collate(samples: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch: Tensors, arrays and numbers become one Tensor
    with a new leading dimension; tuples/lists and dicts are collated field by field.

        >>> import autograd_core as ag
        >>> x, y = default_collate([(ag.ones(2), 0), (ag.zeros(2), 1)])
        >>> x.shape, y
        ((2, 2), tensor([0, 1]))
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError("default_collate: samples have different numbers of fields")
        return tuple(default_collate(field) for field in zip(*samples))
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, Tensor):
        return Tensor._make(np.stack([s._data for s in samples]), None)
    if isinstance(first, (np.ndarray, np.generic)):
        return Tensor._make(np.stack([np.asarray(s) for s in samples]), None)
    if isinstance(first, numbers.Number):
        return Tensor(list(samples))  # Python floats -> float32, ints -> int64, bools -> bool
    if isinstance(first, str):
        return list(samples)
    raise TypeError(
        f"default_collate: cannot batch samples of type {type(first).__name__}; a dataset should "
        "return Tensors, arrays or numbers, or tuples/lists/dicts of them"
    )


class DataLoader:
    """Iterate over a dataset in mini-batches.

    Args:
        dataset: a `Dataset` (anything with `__len__` and `__getitem__`).
        batch_size: samples per batch (the last batch may be smaller).
        shuffle: draw a new order every epoch from the shared generator
            (`autograd_core.random.generator()`, reseeded by `ag.manual_seed`), or from
            `generator` when one is given.
        drop_last: drop the last batch when it is smaller than `batch_size`.
        collate_fn: turns a list of samples into a batch (default: `default_collate`).

    Batches from a `TensorDataset` are tuples of Tensors cut by one fancy index each.

        >>> import autograd_core as ag
        >>> _ = ag.manual_seed(0)
        >>> x = ag.arange(6)
        >>> [b.tolist() for (b,) in DataLoader(TensorDataset(x), batch_size=4, shuffle=True)]
        [[3, 2, 5, 4], [0, 1]]
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn: Callable[[list], Any] | None = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = generator

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        # Re-read the shared generator now: ag.manual_seed replaces it.
        rng = self.generator if self.generator is not None else _random.generator()
        return rng.permutation(n)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        stop = len(self) * self.batch_size if self.drop_last else len(order)
        fast = self.collate_fn is None and isinstance(self.dataset, TensorDataset)
        collate = self.collate_fn or default_collate
        for start in range(0, stop, self.batch_size):
            indices = order[start : start + self.batch_size]
            if fast:
                yield self.dataset.take(indices)
            else:
                yield collate([self.dataset[int(i)] for i in indices])

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last})"
        )
