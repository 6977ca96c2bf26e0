"""`autograd_core.nn.modules.loss`: the loss classes of `nn` (PyTorch's torch.nn.modules.loss)."""

from nn.loss import *  # noqa: F403
from nn.loss_ext import *  # noqa: F403
