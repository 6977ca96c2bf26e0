"""Averaged SGD (Polyak & Juditsky 1992) and Rprop (Riedmiller & Braun 1993), PyTorch's rules exactly.

    >>> import autograd_core as ag
    >>> from optim import Rprop
    >>> w = ag.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = Rprop([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w      # Rprop moves by the step size, whatever |g|
    tensor([ 0.9, -0.9], requires_grad=True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd_core import Tensor

from .adam_variants import _gather, _store_steps
from .optimizer import Optimizer, check_non_negative

__all__ = ["ASGD", "Rprop", "asgd_update", "rprop_update"]


def asgd_update(
    params: list[np.ndarray], grads: list[np.ndarray], axs: list[np.ndarray], etas: list[float],
    mus: list[float], steps: list[int], *, lr: float, lambd: float, alpha: float, t0: float,
    weight_decay: float, maximize: bool,
) -> None:
    """One ASGD step on raw arrays: params and averages `axs` change in place; the list
    entries `etas[i]`, `mus[i]` and `steps[i]` are replaced by their next values.

        >>> p, g, ax = np.array([1.0]), np.array([2.0]), np.zeros(1)
        >>> asgd_update([p], [g], [ax], [0.1], [1.0], [0], lr=0.1, lambd=0.0, alpha=0.75, t0=1e6,
        ...             weight_decay=0.0, maximize=False)
        >>> p, ax
        (array([0.8]), array([0.8]))
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        if maximize:
            g = np.negative(g)
        if weight_decay != 0:
            g = g + weight_decay * p
        steps[i] += 1
        eta, mu, t = etas[i], mus[i], steps[i]
        p *= 1 - lambd * eta                   # decay towards 0
        p -= eta * g
        if mu != 1:
            axs[i] += (p - axs[i]) * mu        # running average of the iterates after t0
        else:
            np.copyto(axs[i], p)
        etas[i] = lr / (1 + lambd * lr * t) ** alpha
        mus[i] = 1 / max(1, t - t0)


class ASGD(Optimizer):
    """Averaged SGD, PyTorch's `torch.optim.ASGD` rule to the letter. The averaged
    parameters are in `optimizer.state[p]['ax']`.

    For each parameter p with gradient g at step t = 1, 2, ... (η starts at lr, μ at 1)::

        g ← −g; g ← g + weight_decay · p      (when set)
        p ← p · (1 − λ · η) − η · g
        ax ← ax + μ · (p − ax)   if μ ≠ 1, else ax ← p
        η ← lr / (1 + λ · lr · t)^α;   μ ← 1 / max(1, t − t0)

        >>> import autograd_core as ag
        >>> ASGD([ag.zeros(1, requires_grad=True)], lr=-0.1)
        Traceback (most recent call last):
        ...
        ValueError: ASGD: invalid lr=-0.1 (it must be >= 0)
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0.0,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      maximize=maximize))

    def _validate_group(self, group: dict[str, Any]) -> None:
        check_non_negative(self._name, group, "lr", "weight_decay")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns `closure()` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params, states, steps = _gather(self, group, ("ax",), eta=float(group["lr"]), mu=1.0)
            etas = [float(s["eta"]) for s in states]
            mus = [float(s["mu"]) for s in states]
            asgd_update([p._data for p in params], [p.grad._data for p in params], [s["ax"] for s in states],
                        etas, mus, steps, lr=float(group["lr"]), lambd=float(group["lambd"]),
                        alpha=float(group["alpha"]), t0=float(group["t0"]),
                        weight_decay=float(group["weight_decay"]), maximize=bool(group["maximize"]))
            _store_steps(states, steps)
            for s, eta, mu in zip(states, etas, mus):
                s["eta"], s["mu"] = eta, mu
        return loss


def rprop_update(
    params: list[np.ndarray], grads: list[np.ndarray], prevs: list[np.ndarray], step_sizes: list[np.ndarray],
    steps: list[int], *, etaminus: float, etaplus: float, step_size_min: float, step_size_max: float,
    maximize: bool,
) -> None:
    """One Rprop step on raw arrays: params, `prevs` and `step_sizes` change in place.

        >>> p, g = np.array([1.0, 1.0]), np.array([2.0, -3.0])
        >>> prev, size = np.array([1.0, 1.0]), np.array([0.1, 0.1])
        >>> rprop_update([p], [g], [prev], [size], [1], etaminus=0.5, etaplus=1.2, step_size_min=1e-6,
        ...              step_size_max=50.0, maximize=False)
        >>> p, size, prev      # same sign: grow and step; sign change: shrink, skip, forget the gradient
        (array([0.88, 1.  ]), array([0.12, 0.05]), array([2., 0.]))
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        if maximize:
            g = np.negative(g)
        steps[i] += 1
        agreement = np.sign(g * prevs[i])
        factor = np.where(agreement > 0, etaplus, np.where(agreement < 0, etaminus, 1.0))
        step_sizes[i] *= factor
        np.clip(step_sizes[i], step_size_min, step_size_max, out=step_sizes[i])
        g = np.where(agreement < 0, 0.0, g).astype(p.dtype, copy=False)
        p -= np.sign(g) * step_sizes[i]
        np.copyto(prevs[i], g)


class Rprop(Optimizer):
    """Rprop, PyTorch's `torch.optim.Rprop` rule to the letter (the variant without
    weight backtracking). Every element keeps its own step size (starting at lr)::

        g ← −g                                  if maximize
        s ← sign(g · g_prev)
        size ← clamp(size · (η+ if s > 0, η− if s < 0, 1 if s = 0), step_sizes)
        g ← 0 where s < 0                       (skip the step after a sign change)
        p ← p − sign(g) · size;   g_prev ← g

        >>> import autograd_core as ag
        >>> Rprop([ag.zeros(1, requires_grad=True)], etas=(1.5, 1.2))
        Traceback (most recent call last):
        ...
        ValueError: Rprop: invalid etas=(1.5, 1.2) (they must satisfy 0 < etaminus < 1 < etaplus)
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2), step_sizes: tuple[float, float] = (1e-6, 50.0), *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), maximize=maximize))

    def _validate_group(self, group: dict[str, Any]) -> None:
        check_non_negative(self._name, group, "lr")
        etaminus, etaplus = group["etas"]
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(f"{self._name}: invalid etas={tuple(group['etas'])!r} "
                             "(they must satisfy 0 < etaminus < 1 < etaplus)")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns `closure()` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params, states, steps = _gather(self, group, ("prev",))
            for p, s in zip(params, states):
                if "step_size" not in s:
                    s["step_size"] = np.full_like(p._data, group["lr"])
            etaminus, etaplus = group["etas"]
            size_min, size_max = group["step_sizes"]
            rprop_update([p._data for p in params], [p.grad._data for p in params], [s["prev"] for s in states],
                         [s["step_size"] for s in states], steps, etaminus=float(etaminus),
                         etaplus=float(etaplus), step_size_min=float(size_min), step_size_max=float(size_max),
                         maximize=bool(group["maximize"]))
            _store_steps(states, steps)
        return loss
