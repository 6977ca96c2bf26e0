"""Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019), PyTorch's formulas exactly.

    >>> import autograd_core as ag
    >>> from optim import Adam
    >>> w = ag.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w._data.round(4)        # the first Adam step moves each weight by about lr
    array([ 0.9, -0.9], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd_core import Tensor

from .optimizer import Optimizer, check_non_negative

__all__ = ["Adam", "AdamW", "adam_update"]


def adam_update(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    exp_avgs: list[np.ndarray],
    exp_avg_sqs: list[np.ndarray],
    max_exp_avg_sqs: list[np.ndarray | None],
    steps: list[int],
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool,
) -> None:
    """One Adam step on raw arrays. `params` and the moment arrays change in place;
    `steps[i]` (the list entry) is incremented. Uses one scratch array per parameter
    (and a second for coupled weight decay); the gradients are never modified.

        >>> p, g = np.array([1.0]), np.array([2.0])
        >>> m, v, steps = np.zeros(1), np.zeros(1), [0]
        >>> adam_update([p], [g], [m], [v], [None], steps, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8,
        ...             weight_decay=0.0, amsgrad=False, maximize=False, decoupled_weight_decay=False)
        >>> p.round(6), steps
        (array([0.9]), [1])
    """
    for i, (p, g) in enumerate(zip(params, grads)):
        m, v = exp_avgs[i], exp_avg_sqs[i]
        if maximize:
            g = np.negative(g)
        if weight_decay != 0:
            if decoupled_weight_decay:
                p *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * p
        steps[i] += 1
        step = steps[i]
        scratch = np.subtract(g, m)
        scratch *= 1 - beta1
        m += scratch                          # m ← lerp(m, g, 1 − β1) = β1·m + (1 − β1)·g
        np.multiply(g, g, out=scratch)
        scratch *= 1 - beta2
        v *= beta2
        v += scratch                          # v ← β2·v + (1 − β2)·g²
        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        step_size = lr / bias_correction1
        if amsgrad:
            np.maximum(max_exp_avg_sqs[i], v, out=max_exp_avg_sqs[i])
            np.sqrt(max_exp_avg_sqs[i], out=scratch)
        else:
            np.sqrt(v, out=scratch)
        scratch /= bias_correction2_sqrt
        scratch += eps                        # denom = sqrt(v) / sqrt(1 − β2^t) + eps
        np.divide(m, scratch, out=scratch)
        scratch *= step_size
        p -= scratch                          # p ← p − lr / (1 − β1^t) · m / denom


class Adam(Optimizer):
    """Adam, PyTorch's `torch.optim.Adam` rule to the letter.

    For each parameter p with gradient g, at step t = 1, 2, ... (m, v, v_max start at 0)::

        g ← −g                                   if maximize
        p ← p · (1 − lr · weight_decay)          if weight_decay ≠ 0 and decoupled (AdamW)
        g ← g + weight_decay · p                 if weight_decay ≠ 0 and not decoupled
        m ← β1 · m + (1 − β1) · g
        v ← β2 · v + (1 − β2) · g²
        v_max ← max(v_max, v)  and use v_max for v below        if amsgrad
        denom ← sqrt(v) / sqrt(1 − β2^t) + eps    (eps added after the square root)
        p ← p − lr / (1 − β1^t) · m / denom

    Args:
        params: Tensors, or dicts of per-group options (see `Optimizer`).
        lr: learning rate (>= 0).
        betas: decay rates (β1, β2) of the moment estimates, each in [0, 1).
        eps: added to the denominator for stability (>= 0).
        weight_decay: L2 penalty (coupled: added to the gradient) (>= 0).
        amsgrad: use the running maximum of v (Reddi et al. 2018).
        maximize: ascend the objective instead of descending it.
        decoupled_weight_decay: decay the weights directly, as AdamW does.

        >>> import autograd_core as ag
        >>> Adam([ag.zeros(1, requires_grad=True)], betas=(0.9, 1.0))
        Traceback (most recent call last):
        ...
        ValueError: Adam: invalid betas[1]=1.0 (each beta must be in [0, 1))
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        check_non_negative(self._name, group, "lr", "eps", "weight_decay")
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"{self._name}: betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            if not 0.0 <= float(beta) < 1.0:
                raise ValueError(f"{self._name}: invalid betas[{i}]={beta!r} (each beta must be in [0, 1))")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns `closure()` when given."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            amsgrad = bool(group["amsgrad"])
            for p in params:
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(p._data)
                    state["exp_avg_sq"] = np.zeros_like(p._data)
                if amsgrad and "max_exp_avg_sq" not in state:
                    state["max_exp_avg_sq"] = np.zeros_like(p._data)
            states = [self.state[p] for p in params]
            steps = [int(s["step"]) for s in states]
            beta1, beta2 = group["betas"]
            adam_update(
                [p._data for p in params],
                [p.grad._data for p in params],
                [s["exp_avg"] for s in states],
                [s["exp_avg_sq"] for s in states],
                [s.get("max_exp_avg_sq") for s in states],
                steps,
                lr=float(group["lr"]),
                beta1=float(beta1),
                beta2=float(beta2),
                eps=float(group["eps"]),
                weight_decay=float(group["weight_decay"]),
                amsgrad=amsgrad,
                maximize=bool(group["maximize"]),
                decoupled_weight_decay=bool(group["decoupled_weight_decay"]),
            )
            for s, step in zip(states, steps):
                s["step"] = step
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay: `p ← p·(1 − lr·weight_decay)` before the Adam
    step, instead of adding `weight_decay·p` to the gradient (see `Adam` for the rule).
    PyTorch's `torch.optim.AdamW`, default `weight_decay=1e-2`.

        >>> import autograd_core as ag
        >>> w = ag.tensor([1.0], requires_grad=True)
        >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = ag.zeros(1); opt.step(); w      # zero gradient: only the decay acts
        tensor([0.95], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, decoupled_weight_decay=True)
