"""`EarlyStopping`: stop training when a validation metric has stopped improving.

    >>> stopper = EarlyStopping(patience=2, restore_best=False)
    >>> [stopper.step(loss) for loss in [1.0, 0.5, 0.6, 0.7]]
    [False, False, False, True]
    >>> stopper.best, stopper.best_epoch
    (0.5, 1)
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from autograd_core import Tensor

__all__ = ["EarlyStopping"]


class EarlyStopping:
    """Watch one metric per epoch and say when to stop.

    An epoch *improves* when its metric is below `best − min_delta` (above
    `best + min_delta` with `mode='max'`); the first finite metric always improves.
    `step(metric, model)` returns True once `patience` epochs in a row have not improved.
    With `restore_best`, each improving epoch takes a deep copy of `model.state_dict()`,
    and the call that returns True loads that copy back with `model.load_state_dict`.

    Attributes:
        best: the best metric so far (None before the first step).
        best_epoch: index (0-based, counting `step` calls) of the epoch that set `best`.
        num_bad_epochs: epochs in a row without improvement.
        stopped: whether `step` has returned True.

    Args:
        patience: how many epochs without improvement to tolerate (>= 1).
        min_delta: how much better than `best` a metric must be to count (>= 0).
        mode: 'min' (a loss) or 'max' (an accuracy).
        restore_best: restore the best epoch's weights into the model when stopping.

        >>> stopper = EarlyStopping(patience=1, mode="max", min_delta=0.01, restore_best=False)
        >>> [stopper.step(acc) for acc in [0.80, 0.805]]   # +0.005 is not an improvement
        [False, True]
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, mode: str = "min",
                 restore_best: bool = True) -> None:
        if isinstance(patience, bool) or int(patience) != patience or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be a positive int, got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = mode
        self.restore_best = bool(restore_best)
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.num_bad_epochs = 0
        self.epochs_seen = 0
        self.stopped = False
        self.best_state: Any = None

    def is_improvement(self, metric: float) -> bool:
        """Whether `metric` would improve on the best so far."""
        if math.isnan(metric):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta

    def step(self, metric: float, model: Any = None) -> bool:
        """Record this epoch's metric (a float or one-element Tensor); True means stop.

        `model` (anything with `state_dict()`/`load_state_dict()`) is required when
        `restore_best` is on.
        """
        if self.restore_best and model is None:
            raise ValueError("EarlyStopping.step: pass the model (restore_best=True needs it to copy and "
                             "restore the best weights), or construct with restore_best=False")
        value = float(metric)
        epoch = self.epochs_seen
        self.epochs_seen += 1
        if self.is_improvement(value):
            self.best, self.best_epoch, self.num_bad_epochs = value, epoch, 0
            if self.restore_best:
                self.best_state = _snapshot(model.state_dict())
        else:
            self.num_bad_epochs += 1
        if self.num_bad_epochs < self.patience:
            return False
        self.stopped = True
        if self.restore_best and self.best_state is not None:
            # A fresh copy, so that training on after the restore cannot alter best_state.
            model.load_state_dict(_snapshot(self.best_state))
        return True

    def reset(self) -> None:
        """Forget everything seen so far (e.g. before another training run)."""
        self.__init__(self.patience, self.min_delta, self.mode, self.restore_best)

    def state_dict(self) -> dict[str, Any]:
        """The counters, the best metric and (with restore_best) the best weights."""
        state = {k: v for k, v in self.__dict__.items() if k != "best_state"}
        state["best_state"] = _snapshot(self.best_state)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict()` returned."""
        unknown = set(state_dict) - set(self.__dict__)
        if unknown:
            raise ValueError(f"EarlyStopping.load_state_dict: unexpected keys {sorted(unknown)}")
        state = dict(state_dict)
        state["best_state"] = _snapshot(state.get("best_state"))
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, mode={self.mode!r}, "
                f"restore_best={self.restore_best}, best={self.best}, best_epoch={self.best_epoch})")


def _snapshot(obj: Any) -> Any:
    """A deep copy of a state dict whose Tensors are detached copies (no grad, no graph)."""
    if isinstance(obj, Tensor):
        return Tensor._make(np.array(obj._data, copy=True), None)
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, dict):
        return type(obj)((k, _snapshot(v)) for k, v in obj.items())
    if isinstance(obj, list):
        return [_snapshot(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_snapshot(v) for v in obj)
    return copy.deepcopy(obj)
