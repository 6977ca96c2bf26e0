"""`autograd_core.nn.modules`: where PyTorch programs import the classes they subclass
(`torch.nn.modules.Module`, `torch.nn.modules.loss`, ...); the same objects as `nn`'s."""

from nn import *  # noqa: F403
from nn import __all__  # noqa: F401

from . import activation, container, conv, linear, loss, module  # noqa: F401
