"""More losses, with torch.nn.functional's signatures (including the legacy
`size_average`/`reduce` arguments), composed from differentiable ops so that gradients
of any order come from the engine.

Also here: `nll_loss` on (N, C, d1, ...) with `weight=` and `ignore_index=`, and the
`weight=` forms of `cross_entropy`, `binary_cross_entropy` and
`binary_cross_entropy_with_logits`; without a weight they use the fused ops of
`ops/loss.py`.

    >>> import autograd_core as ag
    >>> huber_loss(ag.tensor([0.0, 3.0]), ag.tensor([0.5, 0.0]), delta=1.0)
    tensor(1.3125)
"""

from __future__ import annotations

import math

import numpy as np

from .. import _vmap
from ..function import ShapeError
from . import loss as fused
from .activation import relu, softplus
from .activation_ext import logsigmoid
from .elementwise import log, minimum, where
from .index import gather
from .norm import pairwise_distance
from .softmax import log_softmax

_REDUCTIONS = ("mean", "sum", "none")


def _raw(x):
    """The array behind a Tensor, array or number (None stays None)."""
    if x is None:
        return None
    return x._data if hasattr(x, "_data") else np.asarray(x)


def _reduction(name, size_average, reduce, reduction, allowed=_REDUCTIONS):
    # PyTorch's legacy rule: either legacy flag given overrides `reduction`.
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    if reduction not in allowed:
        raise ValueError(
            f"{name}: {reduction!r} is not a valid value for reduction (expected one of {allowed})"
        )
    return reduction


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _same_shape(name, a, b):
    if tuple(a.shape) != tuple(b.shape):
        raise ShapeError(f"{name}: input shape {tuple(a.shape)} and target shape {tuple(b.shape)} differ")


def _tensor(x, like):
    """A constant Tensor from an array/number (targets given as arrays)."""
    from ..tensor import Tensor

    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x, dtype=like.dtype), None)


# -- regression ---------------------------------------------------------------------------
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
    """0.5·d²/beta where |d| < beta, |d| - 0.5·beta elsewhere (d = input - target)."""
    reduction = _reduction("smooth_l1_loss", size_average, reduce, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    target = _tensor(target, input)
    _same_shape("smooth_l1_loss", input, target)
    d = input - target
    ad = d.abs()
    if beta == 0:
        return _reduce(ad, reduction)
    return _reduce(where(ad._data < beta, d * d * (0.5 / beta), ad - 0.5 * beta), reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None):
    """0.5·d² where |d| < delta, delta·(|d| - 0.5·delta) elsewhere."""
    reduction = _reduction("huber_loss", None, None, reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    target = _tensor(target, input)
    _same_shape("huber_loss", input, target)
    d = input - target
    ad = d.abs()
    loss = where(ad._data < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False):
    """Pointwise KL divergence target·(log target - input), `input` being log-probabilities;
    reduction='batchmean' divides the sum by the batch size (the true KL mean)."""
    reduction = _reduction("kl_div", size_average, reduce, reduction, _REDUCTIONS + ("batchmean",))
    target = _tensor(target, input)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target._data > 0
        safe = where(positive, target, np.ones((), dtype=target.dtype))  # xlogy: 0·log 0 = 0
        loss = target * log(safe) - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


def poisson_nll_loss(
    input,
    target,
    log_input: bool = True,
    full: bool = False,
    size_average=None,
    eps: float = 1e-8,
    reduce=None,
    reduction: str = "mean",
):
    """Negative log-likelihood of target ~ Poisson(rate): exp(input) - target·input for
    log-rates, input - target·log(input + eps) otherwise; `full` adds Stirling's term."""
    reduction = _reduction("poisson_nll_loss", size_average, reduce, reduction)
    target = _tensor(target, input)
    loss = input.exp() - target * input if log_input else input - target * log(input + eps)
    if full:  # Stirling's approximation of log(target!), where target > 1
        big = target._data > 1
        safe = where(big, target, np.ones((), dtype=target.dtype))
        stirling = safe * log(safe) - safe + log(safe * (2 * math.pi)) * 0.5
        loss = loss + where(big, stirling, np.zeros((), dtype=target.dtype))
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
    """0.5·(log var + (input - target)²/var) (+ 0.5·log 2π with `full`), var clamped at eps
    (the clamp passes gradients straight through, as PyTorch's)."""
    reduction = _reduction("gaussian_nll_loss", None, None, reduction)
    target = _tensor(target, input)
    var = _tensor(var, input)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif (
            not (
                input.ndim == var.ndim
                and tuple(input.shape[:-1]) == tuple(var.shape[:-1])
                and var.shape[-1] == 1
            )
            and var.ndim != 0
        ):
            raise ValueError(
                f"gaussian_nll_loss: var of shape {tuple(var.shape)} does not match input of shape "
                f"{tuple(input.shape)}"
            )
    if (var._data < 0).any():
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    lift = np.maximum(var._data, eps) - var._data  # a constant: clamp without blocking the gradient
    v = var + lift.astype(var.dtype)
    loss = (log(v) + (input - target) ** 2 / v) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# -- margins and embeddings --------------------------------------------------------------
def _labels(name, target, shape):
    t = np.asarray(_raw(target))
    if t.shape != tuple(shape):
        raise ShapeError(f"{name}: target of shape {t.shape} must have shape {tuple(shape)}")
    return t


def cosine_embedding_loss(
    input1, input2, target, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
):
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1."""
    reduction = _reduction("cosine_embedding_loss", size_average, reduce, reduction)
    if input1.ndim not in (1, 2) or tuple(input1.shape) != tuple(input2.shape):
        raise ShapeError(
            f"cosine_embedding_loss: inputs must be 1-D or 2-D of the same shape, got "
            f"{tuple(input1.shape)} and {tuple(input2.shape)}"
        )
    t = _labels("cosine_embedding_loss", target, input1.shape[:-1])
    eps = 1e-12  # PyTorch's: keeps the norms away from zero
    dot = (input1 * input2).sum(-1)
    cos = dot / (((input1 * input1).sum(-1) + eps) * ((input2 * input2).sum(-1) + eps)) ** 0.5
    zero = np.zeros((), dtype=input1.dtype)
    loss = where(t == 1, 1 - cos, zero) + where(t == -1, relu(cos - margin), zero)
    return _reduce(loss, reduction)


def margin_ranking_loss(
    input1, input2, target, margin: float = 0.0, size_average=None, reduce=None, reduction: str = "mean"
):
    """max(0, -target·(input1 - input2) + margin)."""
    reduction = _reduction("margin_ranking_loss", size_average, reduce, reduction)
    if not (input1.ndim == input2.ndim == np.ndim(_raw(target))):
        raise ShapeError(
            f"margin_ranking_loss: all inputs must have the same number of dims, got "
            f"{tuple(input1.shape)}, {tuple(input2.shape)} and {np.shape(_raw(target))}"
        )
    y = _tensor(target, input1)
    return _reduce(relu(-y * (input1 - input2) + margin), reduction)


def hinge_embedding_loss(
    input, target, margin: float = 1.0, size_average=None, reduce=None, reduction: str = "mean"
):
    """input where target is 1, max(0, margin - input) where target is -1."""
    reduction = _reduction("hinge_embedding_loss", size_average, reduce, reduction)
    t = np.asarray(_raw(target))
    zero = np.zeros((), dtype=input.dtype)
    loss = where(t != 1, relu(margin - input), zero) + where(t != -1, input, zero)
    return _reduce(loss, reduction)


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) with the p-norm distance;
    `swap` uses min(d(a, n), d(p, n)) as the negative distance."""
    reduction = _reduction("triplet_margin_loss", size_average, reduce, reduction)
    if not (anchor.ndim == positive.ndim == negative.ndim) or anchor.ndim not in (1, 2):
        raise ShapeError(
            f"triplet_margin_loss: anchor, positive and negative must be 1-D or 2-D with the "
            f"same number of dims, got {anchor.shape}, {positive.shape} and {negative.shape}"
        )
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(relu(d_pos - d_neg + margin), reduction)


def multi_margin_loss(
    input,
    target,
    p: int = 1,
    margin: float = 1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
):
    """Σ_{i ≠ y} max(0, margin - x[y] + x[i])^p / C per sample (weighted by weight[y])."""
    reduction = _reduction("multi_margin_loss", size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 are supported, got {p}")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if input.ndim not in (1, 2):
        raise ShapeError(f"multi_margin_loss: input must be 1-D or 2-D, got shape {input.shape}")
    n, c = x.shape
    t = np.asarray(_raw(target)).reshape(-1).astype(np.int64)
    if t.shape != (n,) or (t.size and (t.min() < 0 or t.max() >= c)):
        raise ShapeError(f"multi_margin_loss: target must hold {n} class indices in [0, {c}), got {t}")
    picked = gather(x, 1, t[:, None])
    z = relu(x - picked + margin)
    if p == 2:
        z = z * z
    others = (np.arange(c)[None, :] != t[:, None]).astype(x.dtype)
    if weight is not None:
        others = others * np.asarray(_raw(weight), dtype=x.dtype)[t][:, None]
    loss = (z * others).sum(1) * (1.0 / c)
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    """Σ over target classes j and non-target classes i of max(0, 1 - (x[j] - x[i])) / C per
    sample; each row of `target` lists class indices, ended by the first -1."""
    reduction = _reduction("multilabel_margin_loss", size_average, reduce, reduction)
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if input.ndim not in (1, 2):
        raise ShapeError(f"multilabel_margin_loss: input must be 1-D or 2-D, got shape {input.shape}")
    n, c = x.shape
    t = np.asarray(_raw(target)).astype(np.int64).reshape(n, -1)
    if t.shape != (n, c):
        raise ShapeError(
            f"multilabel_margin_loss: target must have the input's shape {tuple(input.shape)}, "
            f"got {np.shape(_raw(target))}"
        )
    # Count each class's occurrences before the first -1; a class listed twice counts twice.
    valid = np.cumprod(t >= 0, axis=1).astype(bool)
    if np.any(t[valid] >= c):
        raise IndexError(f"multilabel_margin_loss: target class out of range for {c} classes")
    counts = np.zeros((n, c), dtype=x.dtype)
    rows = np.repeat(np.arange(n), c).reshape(n, c)
    np.add.at(counts, (rows[valid], t[valid]), 1.0)
    pair = (counts[:, :, None] * (counts[:, None, :] == 0)).astype(x.dtype)  # (N, j target, i other)
    margins = relu(1 - x.reshape(n, c, 1) + x.reshape(n, 1, c))
    loss = (margins * pair).sum((1, 2)) * (1.0 / c)
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def triplet_margin_with_distance_loss(
    anchor,
    positive,
    negative,
    *,
    distance_function=None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
):
    """max(0, margin + d(a, p) - d(a, n)) with any `distance_function` (pairwise_distance by default)."""
    reduction = _reduction("triplet_margin_with_distance_loss", None, None, reduction)
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: margin must be greater than 0, got {margin}")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, dist(positive, negative))
    return _reduce(relu(d_pos - d_neg + margin), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction: str = "mean"):
    """log(1 + exp(-target·input)) for targets ±1."""
    reduction = _reduction("soft_margin_loss", size_average, reduce, reduction)
    target = _tensor(target, input)
    _same_shape("soft_margin_loss", input, target)
    return _reduce(softplus(-target * input), reduction)


def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean"
):
    """Mean over classes of -(y·log σ(x) + (1 - y)·log σ(-x)) per sample."""
    reduction = _reduction("multilabel_soft_margin_loss", size_average, reduce, reduction)
    target = _tensor(target, input)
    _same_shape("multilabel_soft_margin_loss", input, target)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(-1) * (1.0 / input.shape[-1]) if input.ndim else loss
    return _reduce(loss, reduction)


# -- classification with weights ----------------------------------------------------------
def _class_targets(name, input, target, ignore_index):
    t = np.asarray(_raw(target))
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: class-index targets must be integers, got {t.dtype}")
    want = input.shape[:1] + input.shape[2:]
    if t.shape != want:
        raise ShapeError(
            f"{name}: input of shape {tuple(input.shape)} needs a target of shape {want}, got {t.shape}"
        )
    keep = t != ignore_index
    c = input.shape[1]
    bad = keep & ((t < 0) | (t >= c))
    if bad.any():
        raise IndexError(f"{name}: target {int(t[bad].flat[0])} is out of bounds for {c} classes")
    return np.where(keep, t, 0).astype(np.int64), keep


def _class_weights(name, weight, c, dtype):
    if weight is None:
        return None
    w = np.asarray(_raw(weight), dtype=dtype)
    if w.shape != (c,):
        raise ShapeError(f"{name}: weight must have one entry per class ({c}), got shape {w.shape}")
    return w


def _classes_last(x):
    return x.permute(0, *range(2, x.ndim), 1) if x.ndim > 2 else x


def _weighted_mean(total, weight_sum):
    """total / weight_sum; with nothing counted (all targets ignored) the value is NaN, as
    PyTorch's, while the gradient stays 0 instead of 0/0."""
    if weight_sum == 0:
        return total * 0 + np.asarray(np.nan, dtype=total.dtype)
    return total * (1.0 / float(weight_sum))


def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
):
    """-input[n, target[n], ...] from log-probabilities (N, C, d1, ...) or (C,), weighted by
    weight[target]; the mean divides by the total weight of the targets not ignored."""
    reduction = _reduction("nll_loss", size_average, reduce, reduction)
    if _vmap.ACTIVE[0] and _vmap.is_batched(input, target):  # per-example losses (func.vmap)
        return _vmap.batched_loss("nll_loss", input, target, weight, ignore_index, reduction)
    if input.ndim == 1:  # unbatched (C,) with a 0-d target
        out = nll_loss(
            input.reshape(1, -1),
            np.asarray(_raw(target)).reshape(1),
            weight,
            None,
            ignore_index,
            None,
            reduction,
        )
        return out.reshape(()) if reduction == "none" else out
    if input.ndim < 2:
        raise ShapeError(f"nll_loss: input must be (C,) or (N, C, ...), got shape {input.shape}")
    safe, keep = _class_targets("nll_loss", input, target, ignore_index)
    w = _class_weights("nll_loss", weight, input.shape[1], input.dtype)
    x = _classes_last(input)
    picked = gather(x, x.ndim - 1, safe[..., None]).reshape(safe.shape)
    scale = keep.astype(input.dtype) if w is None else w[safe] * keep
    loss = -picked * scale
    if reduction == "none":
        return loss
    total = loss.sum()
    return total if reduction == "sum" else _weighted_mean(total, scale.sum())


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
):
    """Cross-entropy of logits (N, C, d1, ...) or (C,) against class indices or class
    probabilities, with class weights and label smoothing (PyTorch's formulas)."""
    reduction = _reduction("cross_entropy", size_average, reduce, reduction)
    if _vmap.ACTIVE[0] and _vmap.is_batched(input, target):  # per-example losses (func.vmap)
        return _vmap.batched_loss("cross_entropy", input, target, weight, ignore_index, reduction,
                                  label_smoothing)
    if weight is None:
        return fused.cross_entropy(
            input, target, reduction=reduction, label_smoothing=label_smoothing, ignore_index=ignore_index
        )
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if input.ndim == 1:
        t = (
            target
            if hasattr(target, "_data") and target._data.dtype.kind == "f"
            else np.asarray(_raw(target))
        )
        t = t.reshape((1,) + tuple(t.shape))
        out = cross_entropy(
            input.reshape(1, -1), t, weight, None, ignore_index, None, reduction, label_smoothing
        )
        return out.reshape(()) if reduction == "none" else out
    c = input.shape[1]
    w = _class_weights("cross_entropy", weight, c, input.dtype)
    w_b = w.reshape((1, c) + (1,) * (input.ndim - 2))
    logp = log_softmax(input, 1)
    if np.asarray(_raw(target)).dtype.kind == "f":  # class probabilities
        probs = _tensor(target, input)
        _same_shape("cross_entropy", input, probs)
        if label_smoothing:
            probs = probs * (1 - label_smoothing) + label_smoothing / c
        loss = -(logp * probs * w_b).sum(1)
        return _reduce(loss, reduction)
    nll = nll_loss(logp, target, w, None, ignore_index, None, reduction)
    if not label_smoothing:
        return nll
    safe, keep = _class_targets("cross_entropy", input, target, ignore_index)
    smooth = -(logp * w_b).sum(1) * keep.astype(input.dtype)
    if reduction == "none":
        return nll * (1 - label_smoothing) + smooth * (label_smoothing / c)
    smooth = smooth.sum()
    if reduction == "mean":
        smooth = _weighted_mean(smooth, (w[safe] * keep).sum())
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / c)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
    """BCE on probabilities, each element's loss times `weight` (broadcast)."""
    reduction = _reduction("binary_cross_entropy", size_average, reduce, reduction)
    target = _tensor(target, input)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"binary_cross_entropy: using a target size ({tuple(target.shape)}) that is different "
            f"to the input size ({tuple(input.shape)}) is deprecated. Please ensure they have the "
            f"same size."
        )
    loss = fused.BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None
):
    """BCE on logits (stable for any magnitude); `pos_weight` weighs the positive term
    (broadcast over the last dim), `weight` each element."""
    reduction = _reduction("binary_cross_entropy_with_logits", size_average, reduce, reduction)
    target = _tensor(target, input)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"binary_cross_entropy_with_logits: target size ({tuple(target.shape)}) must be the "
            f"same as input size ({tuple(input.shape)})"
        )
    pw = None if pos_weight is None else np.asarray(_raw(pos_weight), dtype=input.dtype)
    if pw is not None:
        try:
            np.broadcast_shapes(pw.shape, tuple(input.shape))
        except ValueError:
            raise ShapeError(
                f"binary_cross_entropy_with_logits: pos_weight of shape {pw.shape} does not "
                f"broadcast to the input shape {tuple(input.shape)}"
            ) from None
        if pw.shape != tuple(input.shape):
            pw = np.broadcast_to(pw, tuple(input.shape))
    loss = fused.BCEWithLogits.apply(input, target, pw)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cross_entropy",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "margin_ranking_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]
