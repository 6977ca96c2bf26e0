"""`autograd_core.nn.init` is PyTorch's `torch.nn.init` (the `nn.init` module)."""

from nn.init import *  # noqa: F403
from nn.init import __all__  # noqa: F401
