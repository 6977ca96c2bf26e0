"""`autograd_core.nn.modules.activation`: the activation classes of `nn` and MultiheadAttention
(where PyTorch keeps it)."""

from nn.activation import *  # noqa: F403
from nn.activation_ext import *  # noqa: F403
from nn.attention import MultiheadAttention  # noqa: F401
