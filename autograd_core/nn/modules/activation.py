"""`autograd_core.nn.modules.activation`: the classes of `nn.activation`."""

from nn.activation import *  # noqa: F403
