"""Inverted dropout: zero each element with probability p and scale the rest by
1/(1-p), so the expected activation is unchanged and evaluation needs no rescaling.

    >>> import autograd_core as ag
    >>> ag.functional.dropout(ag.ones(4), p=0.5, training=False)
    tensor([1., 1., 1., 1.])
"""

from __future__ import annotations

from .. import random as _random
from ..function import Op
from ..kernels import dropout as K


class Dropout(Op):
    @staticmethod
    def forward(ctx, x, p):
        y, mask = K.dropout_forward(x, p, _random.generator())
        ctx.saved = (mask,)
        return y

    @staticmethod
    def backward(ctx, g):
        return K.dropout_backward(g, ctx.saved[0]), None


def dropout(x, p: float = 0.5, training: bool = True):
    """Inverted dropout; the identity when not training or p == 0."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    return Dropout.apply(x, p)
