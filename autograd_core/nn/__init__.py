"""`autograd_core.nn` is PyTorch's `torch.nn`: the top-level `nn` package, re-exported
(the same objects), so `import autograd_core.nn as nn` and `import nn` are one thing."""

from nn import *  # noqa: F403
from nn import __all__  # noqa: F401
from nn import functional, init, utils  # noqa: F401

from . import modules, parallel, parameter  # noqa: F401
