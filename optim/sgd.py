"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

    >>> import autograd_core as ag
    >>> from optim import SGD
    >>> w = ag.tensor([1.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 4)       # 1 - 0.1*2 = 0.8, then 0.8 - 0.1*(0.9*2 + 1.6) = 0.46
    0.46
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd_core import Tensor

from .optimizer import Optimizer, check_non_negative

__all__ = ["SGD", "sgd_update"]


def sgd_update(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    momentum_buffers: list[np.ndarray | None],
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> None:
    """One SGD step on raw arrays: `params` change in place; `momentum_buffers[i]` is
    created on the first step (a copy of the gradient) and updated in place afterwards.
    The gradients are never modified.

        >>> p, g, bufs = np.array([1.0]), np.array([2.0]), [None]
        >>> sgd_update([p], [g], bufs, lr=0.1, momentum=0.9, dampening=0.0,
        ...            weight_decay=0.0, nesterov=False, maximize=False)
        >>> p, bufs
        (array([0.8]), [array([2.])])
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        if maximize:
            g = np.negative(g)
        if weight_decay != 0:
            g = g + weight_decay * p
        if momentum != 0:
            buf = momentum_buffers[i]
            if buf is None:
                buf = momentum_buffers[i] = np.array(g, copy=True)
            else:
                buf *= momentum
                buf += g if dampening == 0 else (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p -= lr * g


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's `torch.optim.SGD` rule to the letter.

    For each parameter p with gradient g, every step::

        g ← −g                                        if maximize
        g ← g + weight_decay · p                      if weight_decay ≠ 0
        if momentum ≠ 0:
            b ← g  (a copy)                           on the first step
            b ← momentum · b + (1 − dampening) · g    on later steps
            g ← g + momentum · b                      if nesterov
            g ← b                                     otherwise
        p ← p − lr · g

    Args:
        params: Tensors, or dicts of per-group options (see `Optimizer`).
        lr: learning rate (>= 0).
        momentum: momentum factor (>= 0).
        dampening: dampening of the momentum (0 for Nesterov).
        weight_decay: L2 penalty (>= 0), the gradient of (weight_decay/2)·‖p‖².
        nesterov: Nesterov momentum (needs momentum > 0 and dampening = 0).
        maximize: ascend the objective instead of descending it.

        >>> import autograd_core as ag
        >>> w = ag.tensor([1.0], requires_grad=True)
        >>> SGD([w], lr=0.1, nesterov=True)   # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: SGD: Nesterov momentum requires a momentum and zero dampening (got ...)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        check_non_negative("SGD", group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires a momentum and zero dampening "
                f"(got momentum={group['momentum']}, dampening={group['dampening']})"
            )

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns `closure()` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            uses_momentum = group["momentum"] != 0
            buffers = [self.state[p].get("momentum_buffer") if uses_momentum else None for p in params]
            sgd_update(
                [p._data for p in params],
                [p.grad._data for p in params],
                buffers,
                lr=float(group["lr"]),
                momentum=float(group["momentum"]),
                dampening=float(group["dampening"]),
                weight_decay=float(group["weight_decay"]),
                nesterov=bool(group["nesterov"]),
                maximize=bool(group["maximize"]),
            )
            if uses_momentum:
                for p, buf in zip(params, buffers):
                    self.state[p]["momentum_buffer"] = buf
        return loss
