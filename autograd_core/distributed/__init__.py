"""`autograd_core.distributed`: PyTorch's torch.distributed names, on MPI (through mpi4py).

Start N processes with `mpiexec -n N python train.py`; each calls `init_process_group()` and
then uses collectives that operate in place on Tensors. Install MPI with the optional extra:
pip install "autograd-core[distributed]". Importing this package never starts MPI.
`DistributedDataParallel` is in `nn.parallel`, `DistributedSampler` in `.sampler` (PyTorch's
`torch.utils.data.distributed`).

    >>> import autograd_core as ag
    >>> import autograd_core.distributed as dist
    >>> dist.init_process_group("mpi")                                # doctest: +SKIP
    >>> t = ag.tensor([float(dist.get_rank() + 1)])                    # doctest: +SKIP
    >>> dist.all_reduce(t, op=dist.ReduceOp.SUM)                       # doctest: +SKIP
"""

from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    gather,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
)
from .objects import all_gather_object, broadcast_object_list
from .p2p import irecv, isend, recv, send
from .process_group import (
    DistBackendError,
    DistError,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
)

__all__ = [
    "DistBackendError", "DistError", "ReduceOp", "Work", "all_gather",
    "all_gather_into_tensor", "all_gather_object", "all_reduce", "barrier", "broadcast",
    "broadcast_object_list", "destroy_process_group", "gather", "get_backend", "get_rank",
    "get_world_size", "group", "init_process_group", "irecv", "is_available", "is_initialized",
    "is_mpi_available", "isend", "recv", "reduce", "reduce_scatter", "reduce_scatter_tensor", "scatter",
    "send",
]
