"""Batched execution for `func.vmap`: run a function once on tensors that carry the batch.

* batched.py: `BatchedTensor`, a Tensor whose values live in a plain "core" Tensor with one
  leading dim per active vmap level, and whose `shape`, `ndim` and `dtype` are one example's.
* execute.py: the batched run. While it lasts `Op.apply` is swapped for a dispatching version
  that sends ops on batched values to their batching rule; nothing changes outside a run.
* rules.py: the batching rules of the ops; losses.py: those of cross_entropy and nll_loss.
* grads.py: `func.grad`/`vjp`/`jvp`/`jacrev` inside a run, one gradient per example.

A step without a rule raises `NoBatchRule`, and vmap reruns the whole call example by
example, so the results are always those of the per-example loop.

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
