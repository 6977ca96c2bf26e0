"""`autograd_core.nn.modules.linear`: the classes of `nn.linear`."""

from nn.linear import *  # noqa: F403
