"""`autograd_core.utils.data.distributed`: PyTorch's `torch.utils.data.distributed`."""

from autograd_core.distributed.sampler import DistributedSampler  # noqa: F401
