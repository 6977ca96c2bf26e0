"""`autograd_core.nn.parameter`: PyTorch's `torch.nn.parameter`."""

from nn.parameter import Parameter  # noqa: F401
