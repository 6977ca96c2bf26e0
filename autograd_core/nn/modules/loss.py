"""`autograd_core.nn.modules.loss`: the classes of `nn.loss`."""

from nn.loss import *  # noqa: F403
