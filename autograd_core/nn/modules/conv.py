"""`autograd_core.nn.modules.conv`: the convolution classes of `nn`."""

from nn.conv import *  # noqa: F403
from nn.conv_ext import *  # noqa: F403
