"""RMSprop (Hinton's lecture 6e; centered variant from Graves 2013), PyTorch's rule exactly.

    >>> import autograd_core as ag
    >>> from optim import RMSprop
    >>> w = ag.tensor([1.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 4)             # 1 - 0.01 · 2 / sqrt(0.01 · 4) = 0.9
    0.9
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd_core import Tensor

from .optimizer import Optimizer, check_non_negative

__all__ = ["RMSprop", "rmsprop_update"]


def rmsprop_update(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    square_avgs: list[np.ndarray],
    grad_avgs: list[np.ndarray | None],
    momentum_buffers: list[np.ndarray | None],
    steps: list[int],
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
) -> None:
    """One RMSprop step on raw arrays: `params` and the running averages change in place,
    `steps[i]` is incremented. One scratch array per parameter; gradients are not modified.

        >>> p, g, sq = np.array([1.0]), np.array([2.0]), np.zeros(1)
        >>> rmsprop_update([p], [g], [sq], [None], [None], [0], lr=0.01, alpha=0.99, eps=0.0,
        ...                weight_decay=0.0, momentum=0.0, centered=False, maximize=False)
        >>> p.round(6), sq
        (array([0.9]), array([0.04]))
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        square_avg = square_avgs[i]
        if maximize:
            g = np.negative(g)
        if weight_decay != 0:
            g = g + weight_decay * p
        steps[i] += 1
        scratch = np.multiply(g, g)
        scratch *= 1 - alpha
        square_avg *= alpha
        square_avg += scratch                 # s ← α·s + (1 − α)·g²
        if centered:
            grad_avg = grad_avgs[i]
            np.subtract(g, grad_avg, out=scratch)
            scratch *= 1 - alpha
            grad_avg += scratch               # ḡ ← lerp(ḡ, g, 1 − α)
            np.multiply(grad_avg, grad_avg, out=scratch)
            np.subtract(square_avg, scratch, out=scratch)
            np.sqrt(scratch, out=scratch)     # avg = sqrt(s − ḡ²)
        else:
            np.sqrt(square_avg, out=scratch)  # avg = sqrt(s)
        scratch += eps
        np.divide(g, scratch, out=scratch)    # g / (avg + eps)
        if momentum > 0:
            buf = momentum_buffers[i]
            buf *= momentum
            buf += scratch                    # b ← μ·b + g / (avg + eps)
            np.multiply(buf, lr, out=scratch)
        else:
            scratch *= lr
        p -= scratch


class RMSprop(Optimizer):
    """RMSprop, PyTorch's `torch.optim.RMSprop` rule to the letter.

    For each parameter p with gradient g (s, ḡ, b start at 0)::

        g ← −g                                   if maximize
        g ← g + weight_decay · p                 if weight_decay ≠ 0
        s ← α · s + (1 − α) · g²
        if centered:  ḡ ← α · ḡ + (1 − α) · g;   avg ← sqrt(s − ḡ²)
        else:                                    avg ← sqrt(s)
        if momentum > 0:  b ← momentum · b + g / (avg + eps);   p ← p − lr · b
        else:             p ← p − lr · g / (avg + eps)

    Args:
        params: Tensors, or dicts of per-group options (see `Optimizer`).
        lr: learning rate (>= 0).
        alpha: smoothing constant of the squared-gradient average (>= 0).
        eps: added to the denominator for stability (>= 0).
        weight_decay: L2 penalty (>= 0).
        momentum: momentum factor (>= 0).
        centered: normalise by an estimate of the gradient's variance instead.
        maximize: ascend the objective instead of descending it.

        >>> import autograd_core as ag
        >>> RMSprop([ag.zeros(1, requires_grad=True)], alpha=-0.5)
        Traceback (most recent call last):
        ...
        ValueError: RMSprop: invalid alpha=-0.5 (it must be >= 0)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        check_non_negative("RMSprop", group, "lr", "eps", "momentum", "weight_decay", "alpha")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns `closure()` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            momentum, centered = float(group["momentum"]), bool(group["centered"])
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = np.zeros_like(p._data)
                if momentum > 0 and "momentum_buffer" not in state:
                    state["momentum_buffer"] = np.zeros_like(p._data)
                if centered and "grad_avg" not in state:
                    state["grad_avg"] = np.zeros_like(p._data)
            states = [self.state[p] for p in params]
            steps = [int(s["step"]) for s in states]
            rmsprop_update(
                [p._data for p in params],
                [p.grad._data for p in params],
                [s["square_avg"] for s in states],
                [s.get("grad_avg") for s in states],
                [s.get("momentum_buffer") for s in states],
                steps,
                lr=float(group["lr"]),
                alpha=float(group["alpha"]),
                eps=float(group["eps"]),
                weight_decay=float(group["weight_decay"]),
                momentum=momentum,
                centered=centered,
                maximize=bool(group["maximize"]),
            )
            for s, step in zip(states, steps):
                s["step"] = step
        return loss
