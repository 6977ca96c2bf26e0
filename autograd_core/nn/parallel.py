"""`autograd_core.nn.parallel`: PyTorch's `torch.nn.parallel` (DistributedDataParallel on MPI)."""

from nn.parallel import DistributedDataParallel  # noqa: F401
