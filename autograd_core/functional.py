"""Functional neural-network operations (re-exported as `nn.functional`).

>>> import autograd_core as ag
>>> F = ag.functional
>>> F.relu(ag.tensor([-1.0, 1.0]))
tensor([0., 1.])
"""

from .ops.activation import gelu, leaky_relu, relu, sigmoid, softplus, tanh
from .ops.attention import scaled_dot_product_attention
from .ops.conv import conv1d, conv2d
from .ops.dropout import dropout
from .ops.encoding import one_hot
from .ops.linalg import linear
from .ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from .ops.pool import avg_pool2d, max_pool1d, max_pool2d
from .ops.shape import pad
from .ops.softmax import log_softmax, softmax

__all__ = [
    "avg_pool2d", "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv1d", "conv2d",
    "cross_entropy", "dropout", "gelu", "l1_loss", "leaky_relu", "linear", "log_softmax",
    "max_pool1d", "max_pool2d", "mse_loss", "nll_loss", "pad", "relu", "sigmoid", "softmax",
    "softplus", "tanh",
    "one_hot", "scaled_dot_product_attention",
]
