"""Loss modules: each stores its options and calls the matching `autograd_core.functional`
loss. All take `reduction='mean'|'sum'|'none'` (keyword-only, so a positional argument
meant for one of PyTorch's legacy parameters fails loudly instead of being misread).

    >>> import autograd_core as ag
    >>> import nn
    >>> nn.CrossEntropyLoss()(ag.tensor([[2.0, 0.0]]), ag.tensor([0])).item() < 0.2
    True
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


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities in [0, 1] (logs clamped at -100, as PyTorch)."""

    def __init__(self, *, reduction: str = "mean"):
        super().__init__(reduction)

    def forward(self, input: Tensor, target) -> Tensor:
        return F.binary_cross_entropy(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one stable step; `pos_weight` weighs positives."""

    def __init__(self, *, reduction: str = "mean", pos_weight: Tensor | None = None):
        super().__init__(reduction)
        self.pos_weight = pos_weight

    def forward(self, input: Tensor, target) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class CrossEntropyLoss(_Loss):
    """Cross-entropy from logits (N, C) or (N, C, d...) to class ids or class probabilities,
    with optional label smoothing; targets equal to `ignore_index` are skipped.

        >>> import autograd_core as ag
        >>> loss = CrossEntropyLoss(label_smoothing=0.1)
        >>> loss(ag.zeros(4, 3), ag.tensor([0, 1, 2, 0])).shape
        ()
    """

    def __init__(self, *, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {label_smoothing}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target) -> Tensor:
        return F.cross_entropy(input, target, reduction=self.reduction, label_smoothing=self.label_smoothing,
                               ignore_index=self.ignore_index)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (N, C) at class ids (N,)."""

    def __init__(self, *, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target) -> Tensor:
        return F.nll_loss(input, target, reduction=self.reduction, ignore_index=self.ignore_index)
