"""Batched execution for `func.vmap`: run a function once on tensors that carry the batch.

Inside a batched run, each mapped input becomes a `BatchedTensor` (batched.py): a Tensor
whose values live in a plain "core" Tensor with one leading dim per active vmap level and
whose `shape`, `ndim` and `dtype` are those of one example. Library ops reach their
batching rule (rules.py) through `Op.apply`, which the run swaps for a dispatching version
while it lasts (nothing changes outside a batched run). A step without a rule raises
`NoBatchRule`, and vmap reruns the whole call example by example, so results are always
those of the per-example loop.

This module stays import-light: the loss functions check `ACTIVE` before anything else.
"""

from __future__ import annotations

# How many batched runs are in progress (any thread): a cheap test before looking closer.
ACTIVE = [0]


def is_batched(*values) -> bool:
    """True when any of `values` is a BatchedTensor (only possible while ACTIVE)."""
    from .batched import BatchedTensor

    return any(isinstance(v, BatchedTensor) for v in values)


def batched_loss(name: str, *args, **kwargs):
    """The batching rule of loss function `name` (losses.py)."""
    from . import losses

    return getattr(losses, name)(*args, **kwargs)
