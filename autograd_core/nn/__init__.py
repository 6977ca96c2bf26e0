"""`autograd_core.nn` is PyTorch's `torch.nn`: the top-level `nn` package, re-exported
(the same objects), so `import autograd_core.nn as nn` and `import nn` are one thing."""

from nn import *  # noqa: F403
from nn import (  # noqa: F401
    __all__,  # noqa: F401
    functional,
    init,
    utils,
)

from . import modules, parallel, parameter  # noqa: F401
