"""Datasets, samplers and the `DataLoader` (`ag.data`, = `torch.utils.data`).

A map-style `Dataset` answers `len(ds)` and `ds[i]`; an `IterableDataset` is a stream.
A `DataLoader` walks either in batches, in this process or in worker processes. The
pieces live in `data_datasets.py`, `data_sampler.py`, `data_collate.py` and
`data_loader.py`; this module gathers their names.

    >>> import autograd_core as ag
    >>> from autograd_core.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(ag.arange(10).reshape(5, 2), ag.arange(5))
    >>> loader = DataLoader(ds, batch_size=2)
    >>> len(loader), [y.tolist() for _, y in loader]
    (3, [[0, 1], [2, 3], [4]])
"""

from .data_collate import default_collate, default_convert
from .data_datasets import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    as_numpy_generator,
    random_split,
)
from .data_loader import DataLoader, WorkerInfo, get_worker_info
from .data_sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset", "RandomSampler",
    "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler",
    "WorkerInfo", "as_numpy_generator", "default_collate", "default_convert", "get_worker_info", "random_split",
]
