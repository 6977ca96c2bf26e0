"""Inverted dropout: in training, zero each element with probability p and scale the
rest by 1/(1-p); in evaluation, the identity.

    >>> import autograd_core as ag
    >>> import nn
    >>> nn.Dropout(0.5).eval()(ag.ones(3))
    tensor([1., 1., 1.])
"""

from __future__ import annotations

import autograd_core.functional as F
from autograd_core import Tensor

from . import _checks
from .module import Module


class Dropout(Module):
    """Zero elements with probability `p` while training (masks drawn from the shared
    generator, so `ag.manual_seed` makes them reproducible); `inplace=True` writes the result
    into the input."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        self.p = _checks.probability(type(self).__name__, "dropout", p)
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, inplace=self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
