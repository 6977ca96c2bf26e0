"""`autograd_core.nn.functional` is PyTorch's `torch.nn.functional` (= `autograd_core.functional`)."""

from autograd_core.functional import *  # noqa: F403
from autograd_core.functional import __all__  # noqa: F401
