"""The demo's data-parallel mode: `mpiexec -n 2 python -m autograd_core.demo` trains the same CNN
with DistributedDataParallel, each rank on its share of every epoch's shuffled digits.

The global batch stays the demo's 32 (16 per rank on 2 ranks), so N ranks follow the same
optimisation as one process while each computes 1/N of every step.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

import numpy as np

import autograd_core as ag
from autograd_core.distributed.sampler import DistributedSampler


def launched_by_mpiexec() -> bool:
    """True when an MPI launcher started this process as one of several (MPICH's or Open MPI's)."""
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS"):
        if int(os.environ.get(name, "1") or 1) > 1:
            return True
    return False


class ShardLoader:
    """Batches of this rank's share of (x, y): a DistributedSampler's indices, which `fit`
    reshuffles every epoch through `sampler.set_epoch`."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int = 0) -> None:
        self.x, self.y, self.batch_size = x, y, batch_size
        self.sampler = DistributedSampler(range(len(y)), shuffle=True, seed=seed)

    def __iter__(self) -> Iterator[tuple[ag.Tensor, ag.Tensor]]:
        indices = np.fromiter(self.sampler, dtype=np.int64)
        for start in range(0, len(indices), self.batch_size):
            chunk = indices[start: start + self.batch_size]
            yield ag.tensor(self.x[chunk]), ag.tensor(self.y[chunk])

    def __len__(self) -> int:
        return math.ceil(len(self.sampler) / self.batch_size)


def start(model, x_train: np.ndarray, y_train: np.ndarray, batch_size: int, seed: int):
    """Join the process group; return (DDP model, this rank's loader, rank, world size)."""
    import autograd_core.distributed as dist
    from nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    world = dist.get_world_size()
    loader = ShardLoader(x_train, y_train, max(1, batch_size // world), seed)
    return DistributedDataParallel(model), loader, dist.get_rank(), world
