"""Inverted dropout: zero each element with probability p and scale the rest by
1/(1-p), so the expected activation is unchanged and evaluation needs no rescaling.

    >>> import autograd_core as ag
    >>> ag.functional.dropout(ag.ones(4), p=0.5, training=False)
    tensor([1., 1., 1., 1.])
"""

from __future__ import annotations

import numpy as np

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
        mask = ctx.saved[0]
        if type(g) is not np.ndarray:  # recorded backward: the mask is a constant
            return (g if mask is None else g * mask), None
        return K.dropout_backward(g, mask), None


def dropout(x, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Inverted dropout; the identity when not training or p == 0."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    if inplace:
        from ..inplace import apply_inplace

        return apply_inplace(x, "dropout_", Dropout.apply, p)
    return Dropout.apply(x, p)
