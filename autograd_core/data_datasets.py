"""Datasets for `autograd_core.data` (= `torch.utils.data`): map-style and iterable
datasets, and the ways to combine and split them.

    >>> import autograd_core as ag
    >>> from autograd_core.data import ConcatDataset, TensorDataset, random_split
    >>> ds = ConcatDataset([TensorDataset(ag.arange(3)), TensorDataset(ag.arange(10, 12))])
    >>> len(ds), ds[3][0].item()
    (5, 10)
    >>> train, val = random_split(ds, [0.6, 0.4], generator=np.random.default_rng(0))
    >>> len(train), len(val)
    (3, 2)
"""

from __future__ import annotations

import abc
import bisect
import math
import numbers
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from . import random as _random
from .tensor import Tensor

__all__ = ["ChainDataset", "ConcatDataset", "Dataset", "IterableDataset", "Subset", "TensorDataset",
           "as_numpy_generator", "random_split"]


def as_numpy_generator(generator: Any = None) -> np.random.Generator:
    """The NumPy generator behind a `generator=` argument: None means the shared generator
    (reseeded by `ag.manual_seed`); a `numpy.random.Generator`, or any object offering its
    interface (`permutation`, `integers`, `choice`, `random`), is used as it is; an object
    wrapping one as `.numpy_generator()` or `._generator` is unwrapped.

        >>> rng = np.random.default_rng(0)
        >>> as_numpy_generator(rng) is rng
        True
    """
    if generator is None:
        return _random.generator()  # re-read: ag.manual_seed replaces it
    if all(hasattr(generator, name) for name in ("permutation", "integers", "choice", "random")):
        return generator
    unwrap = getattr(generator, "numpy_generator", None)
    if callable(unwrap):
        return unwrap()
    inner = getattr(generator, "_generator", None)
    if inner is not None:
        return as_numpy_generator(inner)
    raise TypeError(f"generator must be a random generator (e.g. numpy.random.Generator), got "
                    f"{type(generator).__name__}")


class Dataset(abc.ABC):
    """A map-style dataset: subclasses define `__getitem__(index)` and usually `__len__()`.
    A subclass may also define `__getitems__(indices)`, returning the list of samples at
    `indices` in one call; the DataLoader uses it to fetch a batch. `a + b` concatenates.

        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return float(i), float(i * i)
        >>> len(Squares() + Squares())
        8
    """

    @abc.abstractmethod
    def __getitem__(self, index: int) -> Any:
        """The sample at `index` (a Tensor, array, number, or a tuple/dict of them)."""

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses define `__iter__()`. With worker processes
    every worker iterates its own copy; use `get_worker_info()` in `__iter__` to split the
    stream between them. `a + b` chains two streams.

        >>> class Count(IterableDataset):
        ...     def __iter__(self):
        ...         return iter(range(3))
        >>> list(Count() + Count())
        [0, 1, 2, 0, 1, 2]
    """

    @abc.abstractmethod
    def __iter__(self) -> Iterator[Any]:
        """The samples, in order."""

    def __getitem__(self, index: int) -> Any:
        raise TypeError(f"{type(self).__name__} is an IterableDataset: it is iterated, not indexed")

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


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

    def take(self, indices: np.ndarray) -> list[Tensor]:
        """The collated batch of the samples at `indices`: one fancy index per tensor
        (copies, like stacking), a list as `default_collate` gives."""
        return [Tensor._make(a[indices], None) for a in self.arrays]


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order: `subset[i] = dataset[indices[i]]`.

        >>> import autograd_core as ag
        >>> s = Subset(TensorDataset(ag.arange(10)), [7, 2])
        >>> len(s), s[0][0].item()
        (2, 7)
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list[Any]:
        mapped = [self.indices[i] for i in indices]
        fetch = getattr(self.dataset, "__getitems__", None)
        if callable(fetch):
            return fetch(mapped)
        return [self.dataset[i] for i in mapped]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several map-style datasets one after another (indices run through them in order).

        >>> import autograd_core as ag
        >>> ds = ConcatDataset([TensorDataset(ag.arange(2)), TensorDataset(ag.arange(5, 8))])
        >>> ds.cumulative_sizes, ds[-1][0].item()
        ([2, 5], 7)
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset (use ChainDataset)")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError(f"ConcatDataset: absolute value of index {idx} should not exceed dataset length {n}")
            idx += n
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        offset = idx if which == 0 else idx - self.cumulative_sizes[which - 1]
        return self.datasets[which][offset]


class ChainDataset(IterableDataset):
    """Several iterable datasets chained into one stream.

        >>> class Letters(IterableDataset):
        ...     def __init__(self, s): self.s = s
        ...     def __iter__(self): return iter(self.s)
        ...     def __len__(self): return len(self.s)
        >>> ds = ChainDataset([Letters("ab"), Letters("c")])
        >>> list(ds), len(ds)
        (['a', 'b', 'c'], 3)
    """

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, got {type(d).__name__}")
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


def _split_lengths(n: int, lengths: Sequence[float]) -> list[int]:
    """Fractions summing to 1 become counts (floor, then one more to the first splits)."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1")
        counts = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this might result in an "
                              "empty dataset", UserWarning, stacklevel=3)
        return counts
    if not all(isinstance(length, numbers.Integral) for length in lengths):
        raise ValueError(f"random_split: lengths must be ints summing to the dataset's length ({n}) or "
                         f"fractions summing to 1, got {list(lengths)}")
    return [int(length) for length in lengths]


def random_split(dataset: Dataset, lengths: Sequence[float], generator: Any = None) -> list[Subset]:
    """Split `dataset` at random into non-overlapping `Subset`s of the given lengths (ints
    summing to `len(dataset)`, or fractions summing to 1). `generator` fixes the split
    (default: the shared generator, reseeded by `ag.manual_seed`).

        >>> import autograd_core as ag
        >>> a, b = random_split(TensorDataset(ag.arange(5)), [3, 2], generator=np.random.default_rng(1))
        >>> sorted(a.indices + b.indices)
        [0, 1, 2, 3, 4]
    """
    n = len(dataset)
    counts = _split_lengths(n, lengths)
    if sum(counts) != n:
        raise ValueError(f"random_split: sum of input lengths ({sum(counts)}) does not equal the length of "
                         f"the input dataset ({n})")
    order = as_numpy_generator(generator).permutation(n).tolist()
    ends = np.cumsum(counts).tolist()
    return [Subset(dataset, order[end - count:end]) for count, end in zip(counts, ends)]
