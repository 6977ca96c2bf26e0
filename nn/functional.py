"""`nn.functional`: the functional neural-network operations of `autograd_core.functional`,
under PyTorch's module name.

    >>> import autograd_core as ag
    >>> import nn.functional as F
    >>> F.relu(ag.tensor([-1.0, 1.0]))
    tensor([0., 1.])
"""

from autograd_core.functional import *  # noqa: F403
from autograd_core.functional import __all__  # noqa: F401
