"""Channel-wise and alpha dropout layers over `autograd_core.ops.dropout_ext`.

>>> import autograd_core as ag
>>> import nn
>>> nn.Dropout2d(0.5).eval()(ag.ones(1, 2, 3, 3)).shape
(1, 2, 3, 3)
"""

from __future__ import annotations

from autograd_core import Tensor
from autograd_core.ops import dropout_ext as D

from .module import Module


class _DropoutNd(Module):
    _f = None

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, x: Tensor) -> Tensor:
        return type(self)._f(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) while training."""

    _f = staticmethod(D.dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) or (C, H, W) while training."""

    _f = staticmethod(D.dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) while training."""

    _f = staticmethod(D.dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks: keeps zero mean and unit variance."""

    _f = staticmethod(D.alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels."""

    _f = staticmethod(D.feature_alpha_dropout)
