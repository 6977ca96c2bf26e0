"""Adagrad (Duchi et al. 2011) and Adadelta (Zeiler 2012), PyTorch's rules exactly.

    >>> import autograd_core as ag
    >>> from optim import Adagrad
    >>> w = ag.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w._data.round(4)           # the first Adagrad step moves each weight by lr
    array([ 0.9, -1.9], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd_core import Tensor

from .optimizer import Optimizer, check_non_negative

__all__ = ["Adadelta", "Adagrad", "adadelta_update", "adagrad_update"]


def adagrad_update(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    state_sums: list[np.ndarray],
    steps: list[int],
    *,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
) -> None:
    """One Adagrad step on raw arrays: `params` and `state_sums` change in place and
    `steps[i]` is incremented. The gradients are never modified.

        >>> p, g, s = np.array([1.0]), np.array([2.0]), np.zeros(1)
        >>> adagrad_update([p], [g], [s], [0], lr=0.1, lr_decay=0.0, weight_decay=0.0, eps=0.0,
        ...                maximize=False)
        >>> p, s
        (array([0.9]), array([4.]))
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        if maximize:
            g = np.negative(g)
        if weight_decay != 0:
            g = g + weight_decay * p
        steps[i] += 1
        clr = lr / (1 + (steps[i] - 1) * lr_decay)
        state_sums[i] += g * g                 # G ← G + g²
        scratch = np.sqrt(state_sums[i])
        scratch += eps
        np.divide(g, scratch, out=scratch)
        scratch *= clr
        p -= scratch                           # p ← p − clr · g / (sqrt(G) + eps)


class Adagrad(Optimizer):
    """Adagrad, PyTorch's `torch.optim.Adagrad` rule to the letter.

    For each parameter p with gradient g at step t = 1, 2, ... (G starts at
    `initial_accumulator_value`)::

        g ← −g                                  if maximize
        g ← g + weight_decay · p                if weight_decay ≠ 0
        clr ← lr / (1 + (t − 1) · lr_decay)
        G ← G + g²
        p ← p − clr · g / (sqrt(G) + eps)

    Args:
        params: Tensors, or dicts of per-group options (see `Optimizer`).
        lr: learning rate (>= 0).
        lr_decay: the rate's decay per step (>= 0).
        weight_decay: L2 penalty (>= 0).
        initial_accumulator_value: starting value of G (>= 0).
        eps: added to the denominator for stability (>= 0).
        maximize: ascend the objective instead of descending it.

        >>> import autograd_core as ag
        >>> Adagrad([ag.zeros(1, requires_grad=True)], lr_decay=-1.0)
        Traceback (most recent call last):
        ...
        ValueError: Adagrad: invalid lr_decay=-1.0 (it must be >= 0)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        # Like PyTorch, the accumulators exist from construction (so state_dict() shows them).
        super().add_param_group(param_group)
        for p in self.param_groups[-1]["params"]:
            self._init_state(p, self.param_groups[-1])

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> None:
        state = self.state[p]
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p._data, group["initial_accumulator_value"])

    def _validate_group(self, group: dict[str, Any]) -> None:
        check_non_negative(self._name, group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value",
                           "eps")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns `closure()` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            for p in params:
                self._init_state(p, group)
            states = [self.state[p] for p in params]
            steps = [int(s["step"]) for s in states]
            adagrad_update([p._data for p in params], [p.grad._data for p in params],
                           [s["sum"] for s in states], steps, lr=float(group["lr"]),
                           lr_decay=float(group["lr_decay"]), weight_decay=float(group["weight_decay"]),
                           eps=float(group["eps"]), maximize=bool(group["maximize"]))
            for s, step in zip(states, steps):
                s["step"] = step
        return loss


def adadelta_update(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    square_avgs: list[np.ndarray],
    acc_deltas: list[np.ndarray],
    steps: list[int],
    *,
    lr: float,
    rho: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
) -> None:
    """One Adadelta step on raw arrays: `params`, `square_avgs` and `acc_deltas` change in
    place and `steps[i]` is incremented. The gradients are never modified.

        >>> p, g = np.array([1.0]), np.array([2.0])
        >>> adadelta_update([p], [g], [np.zeros(1)], [np.zeros(1)], [0], lr=1.0, rho=0.9, eps=1e-6,
        ...                 weight_decay=0.0, maximize=False)
        >>> p.round(5)                # Δ = sqrt(1e-6) / sqrt(0.4 + 1e-6) · 2
        array([0.99684])
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        square_avg, acc_delta = square_avgs[i], acc_deltas[i]
        if maximize:
            g = np.negative(g)
        if weight_decay != 0:
            g = g + weight_decay * p
        steps[i] += 1
        square_avg *= rho
        square_avg += (1 - rho) * (g * g)      # E[g²] ← ρ·E[g²] + (1 − ρ)·g²
        delta = np.sqrt(acc_delta + eps)
        delta /= np.sqrt(square_avg + eps)
        delta *= g                             # Δ ← sqrt(E[Δ²] + eps) / sqrt(E[g²] + eps) · g
        acc_delta *= rho
        acc_delta += (1 - rho) * (delta * delta)
        delta *= lr
        p -= delta


class Adadelta(Optimizer):
    """Adadelta, PyTorch's `torch.optim.Adadelta` rule to the letter.

    For each parameter p with gradient g (E[g²] and E[Δ²] start at 0)::

        g ← −g                                   if maximize
        g ← g + weight_decay · p                 if weight_decay ≠ 0
        E[g²] ← ρ · E[g²] + (1 − ρ) · g²
        Δ ← sqrt(E[Δ²] + eps) / sqrt(E[g²] + eps) · g
        E[Δ²] ← ρ · E[Δ²] + (1 − ρ) · Δ²
        p ← p − lr · Δ

    Args:
        params: Tensors, or dicts of per-group options (see `Optimizer`).
        lr: scales the update (>= 0; 1.0 is Zeiler's rule).
        rho: decay of the running averages, in [0, 1].
        eps: added inside the square roots (>= 0).
        weight_decay: L2 penalty (>= 0).
        maximize: ascend the objective instead of descending it.

        >>> import autograd_core as ag
        >>> Adadelta([ag.zeros(1, requires_grad=True)], rho=1.5)
        Traceback (most recent call last):
        ...
        ValueError: Adadelta: invalid rho=1.5 (it must be in [0, 1])
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        check_non_negative(self._name, group, "lr", "eps", "weight_decay")
        if not 0.0 <= float(group["rho"]) <= 1.0:
            raise ValueError(f"{self._name}: invalid rho={group['rho']!r} (it must be in [0, 1])")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns `closure()` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = np.zeros_like(p._data)
                    state["acc_delta"] = np.zeros_like(p._data)
            states = [self.state[p] for p in params]
            steps = [int(s["step"]) for s in states]
            adadelta_update([p._data for p in params], [p.grad._data for p in params],
                            [s["square_avg"] for s in states], [s["acc_delta"] for s in states], steps,
                            lr=float(group["lr"]), rho=float(group["rho"]), eps=float(group["eps"]),
                            weight_decay=float(group["weight_decay"]), maximize=bool(group["maximize"]))
            for s, step in zip(states, steps):
                s["step"] = step
        return loss
