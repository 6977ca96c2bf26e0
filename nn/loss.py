"""The regression losses MSELoss and L1Loss: each stores its options and calls the matching
`autograd_core.functional` loss, with `reduction='mean'|'sum'|'none'` keyword-only (so a
positional argument meant for one of PyTorch's legacy parameters fails loudly instead of
being misread). The other losses, with PyTorch's full signatures, are in loss_ext.py.

    >>> import autograd_core as ag
    >>> import nn
    >>> nn.MSELoss()(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 4.0])).item()
    2.0
"""

from __future__ import annotations

import autograd_core.functional as F
from autograd_core import Tensor

from .module import Module

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be one of {_REDUCTIONS}, got {reduction!r}"
            )
        self.reduction = reduction


class MSELoss(_Loss):
    """Mean squared error: mean((input - target)²)."""

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction)

    def forward(self, input: Tensor, target) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: mean(|input - target|)."""

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction)

    def forward(self, input: Tensor, target) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)
