"""`autograd_core.optim.lr_scheduler` is PyTorch's `torch.optim.lr_scheduler`."""

from optim.lr_scheduler import *  # noqa: F403
from optim.lr_scheduler import __all__  # noqa: F401
