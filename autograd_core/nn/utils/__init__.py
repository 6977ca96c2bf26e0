"""`autograd_core.nn.utils` is PyTorch's `torch.nn.utils` (the `nn.utils` module)."""

from nn.utils import *  # noqa: F403
from nn.utils import __all__  # noqa: F401
