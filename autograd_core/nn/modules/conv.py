"""`autograd_core.nn.modules.conv`: the classes of `nn.conv`."""

from nn.conv import *  # noqa: F403
