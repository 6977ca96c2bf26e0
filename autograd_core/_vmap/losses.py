"""Batching rules of the class-target losses (cross_entropy, nll_loss).

These read their targets' values (checks, ignore_index), so they are batched as functions,
not as ops: the examples' batches are folded into the loss's own batch dim N, the loss is
computed once with reduction='none', and each example's reduction is applied after; the
mean divides by that example's own total weight of the targets not ignored, as PyTorch's.

    >>> import autograd_core as ag
    >>> from autograd_core.func import vmap
    >>> from autograd_core.nn import functional as F
    >>> vmap(F.cross_entropy)(ag.zeros(2, 3), ag.tensor([0, 2])).shape
    (2,)
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .batched import BatchedTensor, NoBatchRule, batched_of, full_core, union


def _folded(fn, input, target, weight, ignore_index, reduction, **extra):
    if batched_of(weight) is not None:
        raise NoBatchRule("batched class weights")
    levels, sizes = union((input, target))
    k = len(levels)
    batch = tuple(sizes[lv] for lv in levels)
    rows = int(np.prod(batch, dtype=np.int64))
    x = full_core(input, levels, sizes)
    probs = target.dtype.kind == "f"
    t = full_core(target if isinstance(target, Tensor) else Tensor._make(np.asarray(target), None),
                  levels, sizes)
    if input.ndim == 1:  # one (C,) row per example, a 0-d target
        c = input.shape[0]
        xf, tf, per_example = x.reshape(rows, c), t.reshape((rows, c) if probs else (rows,)), ()
    else:
        n = input.shape[0]
        xf = x.reshape((rows * n,) + tuple(input.shape[1:]))
        tf = t.reshape((rows * n,) + tuple(target.shape[1:]))
        per_example = (n,) + tuple(input.shape[2:])
    losses = fn(xf, tf, weight, None, ignore_index, None, "none", **extra)
    losses = losses.reshape(batch + per_example)
    if reduction == "none":
        return BatchedTensor.make(losses, levels)
    axes = tuple(range(k, losses.ndim))
    total = losses.sum(axes) if axes else losses
    if reduction == "sum":
        return BatchedTensor.make(total, levels)
    if probs:
        count = int(np.prod(per_example, dtype=np.int64))
        return BatchedTensor.make(total * (1.0 / count if count else float("nan")), levels)
    # Each example's mean divides by its own weight of counted targets; with none counted the
    # value is NaN and the gradient 0, as PyTorch's.
    tr = t._data
    keep = tr != ignore_index
    if weight is None:
        counted = keep.astype(input.dtype)
    else:
        w = np.asarray(weight._data if isinstance(weight, Tensor) else weight, dtype=input.dtype)
        counted = np.where(keep, w[np.where(keep, tr, 0)], 0).astype(input.dtype)
    den = counted.reshape(batch + (-1,)).sum(-1)
    inv = np.where(den == 0, 0, 1 / np.where(den == 0, 1, den)).astype(input.dtype)
    nan = np.where(den == 0, np.nan, 0).astype(input.dtype)
    return BatchedTensor.make(total * inv + nan, levels)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    from ..ops.loss_ext import cross_entropy as fn

    return _folded(fn, input, target, weight, ignore_index, reduction, label_smoothing=label_smoothing)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    from ..ops.loss_ext import nll_loss as fn

    return _folded(fn, input, target, weight, ignore_index, reduction)
