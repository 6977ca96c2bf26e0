"""`DistributedSampler`: each rank iterates over its own, equally long share of a dataset.

PyTorch's assignment: pad the (optionally shuffled) index list by wrapping around until it
divides evenly (or, with drop_last, cut the tail), then rank r takes every num_replicas-th
index starting at r. The shuffle is a permutation seeded by seed + epoch, the same on every
rank (NumPy's generator, so the order differs from PyTorch's own).

    >>> sampler = DistributedSampler(range(10), num_replicas=3, rank=1, shuffle=False)
    >>> list(sampler)
    [1, 4, 7, 0]
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

import numpy as np


class DistributedSampler:
    """Indices of this rank's share of `dataset`; call set_epoch(e) each epoch to reshuffle."""

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from .process_group import current, is_initialized

            if not is_initialized():
                raise RuntimeError("DistributedSampler: pass num_replicas and rank, or call "
                                   "autograd_core.distributed.init_process_group() first")
            num_replicas = current().size if num_replicas is None else num_replicas
            rank = current().rank if rank is None else rank
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be at least 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[: self.total_size]
        elif indices:
            missing = self.total_size - len(indices)
            indices += (indices * math.ceil(missing / len(indices)))[:missing]
        return iter(indices[self.rank: self.total_size: self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle for `epoch`: every rank must pass the same number, so the shares stay disjoint."""
        self.epoch = epoch
