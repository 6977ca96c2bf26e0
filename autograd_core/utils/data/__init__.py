"""`autograd_core.utils.data` is PyTorch's `torch.utils.data` (= `autograd_core.data`)."""

from autograd_core.data import *  # noqa: F403
from autograd_core.data import __all__  # noqa: F401
