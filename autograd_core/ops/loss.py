"""Loss functions with `reduction='mean'|'sum'|'none'`, as torch.nn.functional.

Fused where fusing buys stability: cross-entropy works from log-softmax (never from
softmax then log), BCE-with-logits uses max(x, 0) - x·t + log(1 + e^{-|x|}), and BCE
clamps its logs at -100 like PyTorch. MSE, L1 and NLL are compositions.

    >>> import autograd_core as ag
    >>> ag.functional.cross_entropy(ag.tensor([[1e4, 0.0]]), ag.tensor([0]))
    tensor(0.)
"""

from __future__ import annotations

import numpy as np

from .. import function
from ..function import Op, ShapeError
from ..kernels import softmax as K
from .index import gather
from .reduce import sum as sum_

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _same_shape(name, input, target):
    if input.shape != target.shape:
        raise ShapeError(f"{name}: input shape {input.shape} and target shape {target.shape} differ")


class CrossEntropy(Op):
    """Fused log-softmax + negative log-likelihood over rows of (N, C) logits."""

    @staticmethod
    def forward(ctx, logits, target, label_smoothing, ignore_index, reduction):
        # cross_entropy() below checked the class indices (IndexError, as PyTorch). With class
        # indices the kernel keeps softmax(logits), and the backward is softmax - q, with no exp.
        indices = target.ndim == 1
        rows, kept = K.cross_entropy_forward(logits, target, label_smoothing, ignore_index, checked=True,
                                             probs=indices)
        if indices:
            count = int(np.count_nonzero(target != ignore_index))
        else:
            count = logits.shape[0]
        ctx.saved = (kept, target)  # probabilities (class indices) or log-probabilities
        ctx.info = (label_smoothing, ignore_index, reduction, count)
        if reduction == "none":
            return rows
        total = rows.sum()
        if reduction == "sum":
            return total
        return total / count if count else total + np.nan  # a mean over nothing is nan, as torch

    @staticmethod
    def backward(ctx, g):
        kept, target = ctx.saved
        label_smoothing, ignore_index, reduction, count = ctx.info
        n = kept.shape[0]
        if reduction == "none":
            rows = g
        else:
            scale = (g / count if count else g * 0) if reduction == "mean" else g
            rows = np.full(n, scale, dtype=kept.dtype)
        dlogits = K.cross_entropy_backward(kept, target, label_smoothing, rows, ignore_index, checked=True,
                                           from_probs=target.ndim == 1)
        dtarget = None
        if ctx.next[1] is not None:  # probability targets: d/dp of -Σ ((1-ε)p + ε/C) log q
            dtarget = -(1 - label_smoothing) * kept * np.asarray(rows)[:, None]
        return dlogits, dtarget, None, None, None

    @staticmethod
    def composite(ctx, logits, target, label_smoothing, ignore_index, reduction):
        """The same loss from differentiable ops, for the recorded backward."""
        from .index import getitem
        from .softmax import log_softmax

        count = ctx.info[3]
        log_probs = log_softmax(logits, 1)
        n, c = logits.shape
        raw_target = target._data if hasattr(target, "_data") else target
        if raw_target.ndim == 1:  # class indices
            valid = raw_target != ignore_index
            safe = np.where(valid, raw_target, 0)
            picked = getitem(log_probs, (np.arange(n), safe))
            rows = -((1 - label_smoothing) * picked + label_smoothing * log_probs.mean(dim=1)) * valid
        else:  # class probabilities (target may itself require grad)
            rows = -((target * (1 - label_smoothing) + label_smoothing / c) * log_probs).sum(dim=1)
        if reduction == "none":
            return rows
        total = rows.sum()
        return total / count if reduction == "mean" else total


def cross_entropy(input, target, reduction: str = "mean", label_smoothing: float = 0.0,
                  ignore_index: int = -100):
    """Cross-entropy between logits `input` (N, C, ...) and class indices (N, ...) or
    class probabilities (same shape as input), optionally with label smoothing."""
    Tensor = function.Tensor  # bound by tensor.py (an import here costs ~0.6 us a call)

    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    probs = t.dtype.kind == "f"
    if input.ndim == 1:  # unbatched (C,)
        # A probability target that requires grad goes through reshape, so it stays in the graph.
        batched = target.reshape(1, -1) if probs and isinstance(target, Tensor) and target.requires_grad \
            else Tensor._make(t[None], None)
        out = cross_entropy(input.reshape(1, -1), batched, reduction, label_smoothing, ignore_index)
        return out.reshape(()) if reduction == "none" else out
    if input.ndim < 1 or (probs and t.shape != input.shape) or (
        not probs and t.shape != input.shape[:1] + input.shape[2:]
    ):
        raise ShapeError(
            f"cross_entropy: logits of shape {input.shape} need class-index targets of shape "
            f"{input.shape[:1] + input.shape[2:]} or probabilities of shape {input.shape}, got {t.shape}"
        )
    n_classes = input.shape[1]
    if not probs:
        if t.dtype.kind not in "iu":
            raise TypeError(f"cross_entropy: class-index targets must be integers, got {t.dtype}")
        if t.size and (t.min() < 0 or t.max() >= n_classes):  # two cheap passes, then the details
            bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
            if bad.any():
                raise IndexError(
                    f"cross_entropy: target {int(t[bad].flat[0])} is out of bounds for {n_classes} classes"
                )
    if probs and isinstance(target, Tensor) and target.requires_grad:
        t = target  # keep it in the graph: probability targets get a gradient too
    logits = input
    extra = input.shape[2:]
    if extra:  # (N, C, d1, ...) -> (N·d1·..., C)
        to_rows = (0, *range(2, input.ndim), 1)
        logits = input.permute(*to_rows).reshape(-1, n_classes)
        if probs:
            t = t.permute(*to_rows).reshape(-1, n_classes) if isinstance(t, Tensor) else \
                np.transpose(t, to_rows).reshape(-1, n_classes)
        else:
            t = t.reshape(-1)
    loss = CrossEntropy.apply(logits, t, float(label_smoothing), int(ignore_index), reduction)
    if reduction == "none" and extra:
        loss = loss.reshape(input.shape[:1] + extra)
    return loss


def nll_loss(input, target, reduction: str = "mean", ignore_index: int = -100):
    """Negative log-likelihood of log-probabilities `input` (N, C) at class indices `target` (N,)."""
    Tensor = function.Tensor  # bound by tensor.py (an import here costs ~0.6 us a call)

    _check_reduction("nll_loss", reduction)
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    if input.ndim != 2 or t.shape != input.shape[:1]:
        raise ShapeError(f"nll_loss: input must be (N, C) and target (N,), got {input.shape} and {t.shape}")
    keep = t != ignore_index
    bad = keep & ((t < 0) | (t >= input.shape[1]))
    if bad.any():
        raise IndexError(f"nll_loss: target {int(t[bad][0])} is out of bounds for {input.shape[1]} classes")
    safe = np.where(keep, t, 0).astype(np.int64)
    picked = -gather(input, 1, safe[:, None]).reshape(-1)
    if not keep.all():
        picked = picked * keep.astype(input.dtype)
    if reduction == "none":
        return picked
    total = sum_(picked)
    if reduction == "sum":
        return total
    count = int(keep.sum())
    if count == 0:
        # The mean over zero elements (an empty batch, or every target ignored) is nan, as torch;
        # adding the constant keeps the inputs' gradients at 0, as torch's.
        return total + float("nan")
    return total * (1.0 / count)


def mse_loss(input, target, reduction: str = "mean"):
    """Mean squared error (input - target)²."""
    _check_reduction("mse_loss", reduction)
    _same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, reduction: str = "mean"):
    """Mean absolute error |input - target|."""
    _check_reduction("l1_loss", reduction)
    _same_shape("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


class BinaryCrossEntropy(Op):
    """-(t log p + (1 - t) log(1 - p)) with logs clamped at -100, as PyTorch."""

    @staticmethod
    def forward(ctx, p, t):
        if p.size and (p.min() < 0 or p.max() > 1):
            raise ValueError("binary_cross_entropy: input probabilities must lie in [0, 1]")
        ctx.saved = (p, t)
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100)
            log_q = np.maximum(np.log1p(-p), -100)
        return -(t * log_p + (1 - t) * log_q)

    @staticmethod
    def backward(ctx, g):
        p, t = ctx.saved
        # PyTorch's rule: (p - t) / max(p(1 - p), 1e-12)
        gp = g * (p - t) / np.maximum(p * (1 - p), 1e-12)
        gt = None
        if ctx.next[1] is not None:
            with np.errstate(divide="ignore"):
                gt = -g * (np.maximum(np.log(p), -100) - np.maximum(np.log1p(-p), -100))
        return gp, gt


class BCEWithLogits(Op):
    """(1 - t)·x + L·softplus(-x) with L = 1 + (pos_weight - 1)·t, computed stably;
    d/dx = (1 - t) - L·σ(-x)."""

    @staticmethod
    def forward(ctx, x, t, pos_weight):
        ctx.saved = (x, t, pos_weight)
        softplus_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
        scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        return (1 - t) * x + scale * softplus_neg

    @staticmethod
    def backward(ctx, g):
        x, t, pos_weight = ctx.saved
        sig_neg = 0.5 * (1 - np.tanh(0.5 * x))  # σ(-x) without overflow
        scale = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        gx = g * ((1 - t) - scale * sig_neg)
        gt = None
        if ctx.next[1] is not None:
            softplus_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
            pw = 1 if pos_weight is None else pos_weight
            gt = g * (-x + (pw - 1) * softplus_neg)
        return gx, gt, None


def binary_cross_entropy(input, target, reduction: str = "mean"):
    """BCE on probabilities `input` in [0, 1]."""
    _check_reduction("binary_cross_entropy", reduction)
    _same_shape("binary_cross_entropy", input, target)
    return _reduce(BinaryCrossEntropy.apply(input, target), reduction)


def binary_cross_entropy_with_logits(input, target, reduction: str = "mean", pos_weight=None):
    """BCE on logits, stable for any magnitude; `pos_weight` weighs the positive class."""
    Tensor = function.Tensor  # bound by tensor.py (an import here costs ~0.6 us a call)

    _check_reduction("binary_cross_entropy_with_logits", reduction)
    _same_shape("binary_cross_entropy_with_logits", input, target)
    pw = pos_weight._data if isinstance(pos_weight, Tensor) else pos_weight
    return _reduce(BCEWithLogits.apply(input, target, pw), reduction)
