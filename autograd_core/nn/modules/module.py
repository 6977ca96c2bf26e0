"""`autograd_core.nn.modules.module`: the classes of `nn.module`."""

from nn.module import *  # noqa: F403
