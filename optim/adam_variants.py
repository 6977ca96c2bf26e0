"""Adam's relatives: Adamax (infinity norm), NAdam (Nesterov momentum, Dozat 2016) and
RAdam (rectified variance, Liu et al. 2020), PyTorch's rules exactly.

    >>> import autograd_core as ag
    >>> from optim import NAdam
    >>> w = ag.tensor([1.0], requires_grad=True)
    >>> opt = NAdam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); bool(w.item() < 1.0)
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd_core import Tensor

from .optimizer import Optimizer, check_non_negative

__all__ = ["Adamax", "NAdam", "RAdam", "adamax_update", "nadam_update", "radam_update"]


def _check_betas(owner: str, group: dict[str, Any]) -> None:
    betas = group["betas"]
    if len(betas) != 2:
        raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        if not 0.0 <= float(beta) < 1.0:
            raise ValueError(f"{owner}: invalid betas[{i}]={beta!r} (each beta must be in [0, 1))")


def _decayed_gradient(p: np.ndarray, g: np.ndarray, lr: float, weight_decay: float, decoupled: bool,
                      maximize: bool) -> np.ndarray:
    """Apply maximize and weight decay: decoupled decay shrinks p in place, coupled adds to g."""
    if maximize:
        g = np.negative(g)
    if weight_decay != 0:
        if decoupled:
            p *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * p
    return g


def adamax_update(
    params: list[np.ndarray], grads: list[np.ndarray], exp_avgs: list[np.ndarray], exp_infs: list[np.ndarray],
    steps: list[int], *, lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
    maximize: bool,
) -> None:
    """One Adamax step on raw arrays (params, moments change in place; steps incremented).

        >>> p, g = np.array([1.0]), np.array([2.0])
        >>> adamax_update([p], [g], [np.zeros(1)], [np.zeros(1)], [0], lr=0.1, beta1=0.9, beta2=0.999,
        ...               eps=0.0, weight_decay=0.0, maximize=False)
        >>> p.round(6)
        array([0.9])
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        m, u = exp_avgs[i], exp_infs[i]
        g = _decayed_gradient(p, g, lr, weight_decay, False, maximize)
        steps[i] += 1
        m += (1 - beta1) * (g - m)               # m ← lerp(m, g, 1 − β1)
        u *= beta2
        np.maximum(u, np.abs(g) + eps, out=u)    # u ← max(β2·u, |g| + eps)
        p -= lr / (1 - beta1 ** steps[i]) * (m / u)


class Adamax(Optimizer):
    """Adamax, PyTorch's `torch.optim.Adamax` rule to the letter.

    For each parameter p with gradient g at step t = 1, 2, ... (m, u start at 0)::

        g ← −g                          if maximize
        g ← g + weight_decay · p        if weight_decay ≠ 0
        m ← β1 · m + (1 − β1) · g
        u ← max(β2 · u, |g| + eps)
        p ← p − lr / (1 − β1^t) · m / u

        >>> import autograd_core as ag
        >>> Adamax([ag.zeros(1, requires_grad=True)], betas=(1.0, 0.9))
        Traceback (most recent call last):
        ...
        ValueError: Adamax: invalid betas[0]=1.0 (each beta must be in [0, 1))
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _validate_group(self, group: dict[str, Any]) -> None:
        check_non_negative(self._name, group, "lr", "eps", "weight_decay")
        _check_betas(self._name, group)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns `closure()` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params, states, steps = _gather(self, group, ("exp_avg", "exp_inf"))
            beta1, beta2 = group["betas"]
            adamax_update([p._data for p in params], [p.grad._data for p in params],
                          [s["exp_avg"] for s in states], [s["exp_inf"] for s in states], steps,
                          lr=float(group["lr"]), beta1=float(beta1), beta2=float(beta2), eps=float(group["eps"]),
                          weight_decay=float(group["weight_decay"]), maximize=bool(group["maximize"]))
            _store_steps(states, steps)
        return loss


def nadam_update(
    params: list[np.ndarray], grads: list[np.ndarray], exp_avgs: list[np.ndarray],
    exp_avg_sqs: list[np.ndarray], mu_products: list[float], steps: list[int], *, lr: float, beta1: float,
    beta2: float, eps: float, weight_decay: float, momentum_decay: float, decoupled_weight_decay: bool,
    maximize: bool,
) -> None:
    """One NAdam step on raw arrays; `mu_products[i]` and `steps[i]` (list entries) advance.

        >>> p, g = np.array([1.0]), np.array([2.0])
        >>> nadam_update([p], [g], [np.zeros(1)], [np.zeros(1)], [1.0], [0], lr=0.1, beta1=0.9, beta2=0.999,
        ...              eps=1e-8, weight_decay=0.0, momentum_decay=4e-3, decoupled_weight_decay=False,
        ...              maximize=False)
        >>> bool(p[0] < 1.0)
        True
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        m, v = exp_avgs[i], exp_avg_sqs[i]
        steps[i] += 1
        t = steps[i]
        g = _decayed_gradient(p, g, lr, weight_decay, decoupled_weight_decay, maximize)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_products[i] *= mu
        mu_product_next = mu_products[i] * mu_next
        m += (1 - beta1) * (g - m)
        v *= beta2
        v += (1 - beta2) * (g * g)
        denom = np.sqrt(v / (1 - beta2**t))
        denom += eps
        p -= lr * (1.0 - mu) / (1.0 - mu_products[i]) * (g / denom)
        p -= lr * mu_next / (1.0 - mu_product_next) * (m / denom)


class NAdam(Optimizer):
    """NAdam, PyTorch's `torch.optim.NAdam` rule to the letter.

    For each parameter p with gradient g at step t = 1, 2, ... (m, v start at 0, Π_μ at 1)::

        g ← −g                                      if maximize
        p ← p · (1 − lr · weight_decay)             if weight_decay ≠ 0 and decoupled_weight_decay
        g ← g + weight_decay · p                    if weight_decay ≠ 0 otherwise
        μ_t ← β1 · (1 − ½ · 0.96^(t · momentum_decay));   μ_{t+1} likewise
        Π_μ ← Π_μ · μ_t
        m ← β1 · m + (1 − β1) · g;   v ← β2 · v + (1 − β2) · g²
        denom ← sqrt(v / (1 − β2^t)) + eps
        p ← p − lr · (1 − μ_t) / (1 − Π_μ) · g / denom − lr · μ_{t+1} / (1 − Π_μ · μ_{t+1}) · m / denom

        >>> import autograd_core as ag
        >>> NAdam([ag.zeros(1, requires_grad=True)], momentum_decay=-1.0)
        Traceback (most recent call last):
        ...
        ValueError: NAdam: invalid momentum_decay=-1.0 (it must be >= 0)
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize))

    def _validate_group(self, group: dict[str, Any]) -> None:
        check_non_negative(self._name, group, "lr", "eps", "weight_decay", "momentum_decay")
        _check_betas(self._name, group)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns `closure()` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params, states, steps = _gather(self, group, ("exp_avg", "exp_avg_sq"), mu_product=1.0)
            mu_products = [float(s["mu_product"]) for s in states]
            beta1, beta2 = group["betas"]
            nadam_update([p._data for p in params], [p.grad._data for p in params],
                         [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states], mu_products, steps,
                         lr=float(group["lr"]), beta1=float(beta1), beta2=float(beta2), eps=float(group["eps"]),
                         weight_decay=float(group["weight_decay"]),
                         momentum_decay=float(group["momentum_decay"]),
                         decoupled_weight_decay=bool(group["decoupled_weight_decay"]),
                         maximize=bool(group["maximize"]))
            _store_steps(states, steps)
            for s, mu_product in zip(states, mu_products):
                s["mu_product"] = mu_product
        return loss


def radam_update(
    params: list[np.ndarray], grads: list[np.ndarray], exp_avgs: list[np.ndarray],
    exp_avg_sqs: list[np.ndarray], steps: list[int], *, lr: float, beta1: float, beta2: float, eps: float,
    weight_decay: float, decoupled_weight_decay: bool, maximize: bool,
) -> None:
    """One RAdam step on raw arrays (params, moments change in place; steps incremented).

        >>> p, g = np.array([1.0]), np.array([2.0])
        >>> radam_update([p], [g], [np.zeros(1)], [np.zeros(1)], [0], lr=0.1, beta1=0.9, beta2=0.999,
        ...              eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False, maximize=False)
        >>> p.round(6)                  # early steps: plain momentum SGD with bias correction
        array([0.8])
    """
    rho_inf = 2 / (1 - beta2) - 1
    for i, (p, g) in enumerate(zip(params, grads)):
        m, v = exp_avgs[i], exp_avg_sqs[i]
        g = _decayed_gradient(p, g, lr, weight_decay, decoupled_weight_decay, maximize)
        steps[i] += 1
        t = steps[i]
        m += (1 - beta1) * (g - m)
        v *= beta2
        v += (1 - beta2) * (g * g)
        bias_correction2 = 1 - beta2**t
        update = m / (1 - beta1**t) * lr
        rho_t = rho_inf - 2 * t * beta2**t / bias_correction2
        if rho_t > 5.0:  # the variance estimate is trustworthy: rectified adaptive step
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            update *= math.sqrt(bias_correction2) / (np.sqrt(v) + eps)
            update *= rect
        p -= update


class RAdam(Optimizer):
    """RAdam, PyTorch's `torch.optim.RAdam` rule to the letter.

    For each parameter p with gradient g at step t = 1, 2, ... (m, v start at 0)::

        g ← −g; weight decay as in NAdam (coupled, or decoupled when decoupled_weight_decay)
        m ← β1 · m + (1 − β1) · g;   v ← β2 · v + (1 − β2) · g²
        ρ_∞ ← 2 / (1 − β2) − 1;   ρ_t ← ρ_∞ − 2 t β2^t / (1 − β2^t)
        if ρ_t > 5:  r ← sqrt((ρ_t − 4)(ρ_t − 2) ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2) ρ_t))
                     p ← p − lr · m / (1 − β1^t) · r · sqrt(1 − β2^t) / (sqrt(v) + eps)
        else:        p ← p − lr · m / (1 − β1^t)

        >>> import autograd_core as ag
        >>> RAdam([ag.zeros(1, requires_grad=True)], eps=-1.0)
        Traceback (most recent call last):
        ...
        ValueError: RAdam: invalid eps=-1.0 (it must be >= 0)
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize))

    def _validate_group(self, group: dict[str, Any]) -> None:
        check_non_negative(self._name, group, "lr", "eps", "weight_decay")
        _check_betas(self._name, group)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns `closure()` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params, states, steps = _gather(self, group, ("exp_avg", "exp_avg_sq"))
            beta1, beta2 = group["betas"]
            radam_update([p._data for p in params], [p.grad._data for p in params],
                         [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states], steps,
                         lr=float(group["lr"]), beta1=float(beta1), beta2=float(beta2), eps=float(group["eps"]),
                         weight_decay=float(group["weight_decay"]),
                         decoupled_weight_decay=bool(group["decoupled_weight_decay"]),
                         maximize=bool(group["maximize"]))
            _store_steps(states, steps)
        return loss


def _gather(opt: Optimizer, group: dict[str, Any], zero_buffers: tuple[str, ...], **scalars: Any):
    """The group's parameters with a gradient, their state (created on first use: `step` 0,
    zero arrays named by `zero_buffers`, and the given scalars) and their step counts."""
    params = [p for p in group["params"] if p.grad is not None]
    for p in params:
        state = opt.state[p]
        if not state:
            state["step"] = 0
            state.update(scalars)
            for name in zero_buffers:
                state[name] = np.zeros_like(p._data)
    states = [opt.state[p] for p in params]
    return params, states, [int(s["step"]) for s in states]


def _store_steps(states: list[dict[str, Any]], steps: list[int]) -> None:
    for s, step in zip(states, steps):
        s["step"] = step
