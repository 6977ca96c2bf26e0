"""L-BFGS with an optional strong-Wolfe line search: PyTorch's `torch.optim.LBFGS`, step for step.

L-BFGS needs the loss several times per `step`, so `step(closure)` takes a closure that
clears the gradients, recomputes the loss, calls `backward()` and returns the loss.
The parameters are handled as one flat vector (their concatenation), as in PyTorch.

    >>> import autograd_core as ag
    >>> from optim import LBFGS
    >>> w = ag.tensor([3.0, -1.0], dtype=ag.float64, requires_grad=True)
    >>> opt = LBFGS([w], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad(); loss = ((w - 1) ** 2).sum() + (w[0] - w[1]) ** 2; loss.backward(); return loss
    >>> _ = opt.step(closure); w.detach().numpy().round(6)
    array([1., 1.])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from autograd_core import Tensor, enable_grad, no_grad

from .optimizer import Optimizer, check_non_negative

__all__ = ["LBFGS", "cubic_interpolate", "strong_wolfe"]


def cubic_interpolate(x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
                      bounds: tuple[float, float] | None = None) -> float:
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2,
    clamped to `bounds` (default: the interval between x1 and x2); the interval's midpoint
    when the cubic has no real minimiser.

        >>> cubic_interpolate(0.0, 1.0, -2.0, 2.0, 1.0, 2.0)     # the parabola (x - 1)² reaches 0 at 1
        1.0
    """
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = float(np.sqrt(d2_square))
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return float(min(max(min_pos, lo), hi))


def strong_wolfe(
    obj_func: Callable[[float], tuple[float, np.ndarray]],
    t: float,
    d: np.ndarray,
    f: float,
    g: np.ndarray,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, float, int]:
    """Find a step t along d satisfying the strong Wolfe conditions (Nocedal & Wright,
    algorithms 3.5 and 3.6, with cubic interpolation), as PyTorch's `_strong_wolfe`.

    `obj_func(t)` returns (loss, flat gradient) at x + t·d; f, g, gtd are the loss, the
    gradient and the directional derivative g·d at t = 0. Returns (loss, gradient, t,
    number of evaluations).

        >>> obj = lambda t: ((t - 3.0) ** 2, np.array([2 * (t - 3.0)]))
        >>> f, g, t, evals = strong_wolfe(obj, 1.0, np.array([1.0]), 9.0, np.array([-6.0]), -6.0, c2=0.1)
        >>> round(t, 6)
        3.0
    """
    d_norm = float(np.abs(d).max())
    f_new, g_new = obj_func(t)
    evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g.copy(), gtd
    done = False
    ls_iter = 0
    # Bracketing phase: grow t until an interval is known to hold a good step.
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        min_step, max_step = t + 0.01 * (t - t_prev), t * 10
        previous = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = previous, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:  # out of evaluations: keep the better of t = 0 and the last t
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]

    # Zoom phase: shrink the bracket until a point satisfies both conditions.
    insufficient_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1],
                              bracket_gtd[1])
        # Keep t away from the bracket's ends unless the last step made enough progress.
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insufficient_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = obj_func(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = t, f_new, g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low] = t, f_new, g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


class LBFGS(Optimizer):
    """L-BFGS (Nocedal 1980; Liu & Nocedal 1989), PyTorch's `torch.optim.LBFGS` to the letter.
    One parameter group only. Each `step(closure)` runs up to `max_iter` iterations::

        g ← ∇loss (flat);  stop if max|g| ≤ tolerance_grad
        repeat:
            first iteration ever: d ← −g, H ← 1
            otherwise: y ← g − g_prev, s ← t·d; keep (y, s, 1/(y·s)) if y·s > 1e-10 (at most
                history_size pairs; H ← y·s / y·y); d ← −(two-loop recursion) applied to g, scaled by H
            t ← min(1, 1/Σ|g|)·lr on the very first iteration, lr afterwards
            stop if g·d > −tolerance_change
            strong_wolfe: t ← line search along d;  else: p ← p + t·d, re-evaluate
            stop after max_iter iterations, max_eval evaluations, max|g| ≤ tolerance_grad,
            max|t·d| ≤ tolerance_change or |Δloss| < tolerance_change

    Args:
        params: the Tensors to optimise (a single group).
        lr: step length scale (>= 0).
        max_iter: iterations per `step` call.
        max_eval: loss evaluations per `step` call (default max_iter · 5 // 4).
        tolerance_grad, tolerance_change: termination tolerances (see above).
        history_size: how many (y, s) pairs the curvature estimate keeps.
        line_search_fn: None or "strong_wolfe".

        >>> import autograd_core as ag
        >>> LBFGS([ag.zeros(1, requires_grad=True)], line_search_fn="backtracking")
        Traceback (most recent call last):
        ...
        ValueError: LBFGS: line_search_fn must be None or 'strong_wolfe', got 'backtracking'
    """

    _unshaped_state = frozenset({"d", "prev_flat_grad"})

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1.0, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size,
                        line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if getattr(self, "param_groups", None):
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    def _validate_group(self, group: dict[str, Any]) -> None:
        check_non_negative(self._name, group, "lr", "tolerance_grad", "tolerance_change")
        for name in ("max_iter", "max_eval", "history_size"):
            if int(group[name]) < 1:
                raise ValueError(f"{self._name}: {name} must be a positive int, got {group[name]!r}")
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"{self._name}: line_search_fn must be None or 'strong_wolfe', "
                             f"got {group['line_search_fn']!r}")

    # -- the parameters as one flat vector ----------------------------------------------
    def _flat_grad(self) -> np.ndarray:
        return np.concatenate([np.zeros(p._data.size, p._data.dtype) if p.grad is None
                               else p.grad._data.reshape(-1) for p in self._params])

    def _add_step(self, t: float, d: np.ndarray) -> None:
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += t * d[offset:offset + n].reshape(p._data.shape)  # in place: users hold p
            offset += n

    def _set_params(self, values: list[np.ndarray]) -> None:
        for p, value in zip(self._params, values):
            np.copyto(p._data, value)

    def _loss(self, closure: Callable[[], Any]) -> tuple[Any, float]:
        with enable_grad():
            loss = closure()
        return loss, float(loss.item() if isinstance(loss, Tensor) else loss)

    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to `max_iter` L-BFGS iterations; returns the loss `closure()` gave first."""
        if closure is None:
            raise TypeError("LBFGS.step needs a closure that recomputes the loss and calls backward()")
        group = self.param_groups[0]
        lr, max_iter, max_eval = float(group["lr"]), int(group["max_iter"]), int(group["max_eval"])
        tolerance_grad, tolerance_change = float(group["tolerance_grad"]), float(group["tolerance_change"])
        history_size = int(group["history_size"])
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss, loss = self._loss(closure)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag, prev_flat_grad, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        with no_grad():
            while n_iter < max_iter:
                n_iter += 1
                state["n_iter"] += 1
                if state["n_iter"] == 1:
                    d, old_dirs, old_stps, ro, h_diag = -flat_grad, [], [], [], 1.0
                else:
                    y = flat_grad - prev_flat_grad
                    s = d * t
                    ys = float(y @ s)
                    if ys > 1e-10:  # keep only pairs with positive curvature
                        if len(old_dirs) == history_size:
                            old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                        old_dirs.append(y)
                        old_stps.append(s)
                        ro.append(1.0 / ys)
                        h_diag = ys / float(y @ y)
                    al = state.setdefault("al", [None] * history_size)
                    q = -flat_grad
                    for i in range(len(old_dirs) - 1, -1, -1):  # two-loop recursion
                        al[i] = float(old_stps[i] @ q) * ro[i]
                        q -= al[i] * old_dirs[i]
                    d = q * h_diag
                    for i in range(len(old_dirs)):
                        be_i = float(old_dirs[i] @ d) * ro[i]
                        d += (al[i] - be_i) * old_stps[i]
                prev_flat_grad = flat_grad.copy()
                prev_loss = loss
                t = min(1.0, 1.0 / float(np.abs(flat_grad).sum())) * lr if state["n_iter"] == 1 else lr
                gtd = float(flat_grad @ d)
                if gtd > -tolerance_change:  # not a descent direction
                    break

                evals = 0
                if group["line_search_fn"] == "strong_wolfe":
                    x_init = [p._data.copy() for p in self._params]

                    def obj_func(step: float) -> tuple[float, np.ndarray]:
                        self._add_step(step, d)
                        value = self._loss(closure)[1]
                        grad = self._flat_grad()
                        self._set_params(x_init)
                        return value, grad

                    loss, flat_grad, t, evals = strong_wolfe(obj_func, t, d, loss, flat_grad, gtd,
                                                             max_ls=max_eval - current_evals)
                    self._add_step(t, d)
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                else:
                    self._add_step(t, d)
                    opt_cond = False
                    if n_iter != max_iter:  # the last iteration's loss is left to the next step call
                        loss = self._loss(closure)[1]
                        flat_grad = self._flat_grad()
                        opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                        evals = 1
                current_evals += evals
                state["func_evals"] += evals
                if (n_iter == max_iter or current_evals >= max_eval or opt_cond
                        or np.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change):
                    break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss
