"""Stochastic weight averaging (Izmailov et al. 2018) and EMA models, as `torch.optim.swa_utils`.

`AveragedModel` keeps a running average of a model's parameters, `SWALR` anneals each
group's rate to a constant SWA rate, and `update_bn` recomputes batch-norm statistics
for the averaged weights with one pass over the data.

    >>> import autograd_core as ag
    >>> import nn
    >>> from optim import SGD
    >>> model = nn.Linear(2, 1)
    >>> swa = AveragedModel(model)
    >>> opt = SGD(model.parameters(), lr=0.1)
    >>> sched = SWALR(opt, swa_lr=0.05, anneal_epochs=2)
    >>> for epoch in range(3):
    ...     opt.zero_grad(); model(ag.ones(4, 2)).sum().backward(); opt.step()
    ...     swa.update_parameters(model); sched.step()
    >>> int(swa.n_averaged.item()), swa(ag.ones(1, 2)).shape
    (3, (1, 1))
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import nn
from autograd_core import Tensor, no_grad

from .lr_scheduler import LRScheduler
from .optimizer import Optimizer

__all__ = ["SWALR", "AveragedModel", "get_ema_avg_fn", "get_ema_multi_avg_fn", "get_swa_avg_fn",
           "get_swa_multi_avg_fn", "update_bn"]

AvgFn = Callable[[Tensor, Tensor, Any], Tensor]
MultiAvgFn = Callable[[list[Tensor], list[Tensor], Any], None]


def _check_decay(decay: float) -> None:
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"invalid decay value {decay}: it must be in [0, 1]")


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    """`avg_fn` of an exponential moving average: decay · average + (1 − decay) · current."""
    _check_decay(decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> AvgFn:
    """`avg_fn` of the equal-weight average: average + (current − average) / (n + 1)."""

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    """`multi_avg_fn` of an exponential moving average, updating the averages in place."""
    _check_decay(decay)

    def ema_update(ema_params: list[Tensor], current_params: list[Tensor], num_averaged: Any) -> None:
        for average, current in zip(ema_params, current_params):
            average._data += (1 - decay) * (current._data - average._data)   # lerp(average, current, 1 − decay)

    return ema_update


def get_swa_multi_avg_fn() -> MultiAvgFn:
    """`multi_avg_fn` of the equal-weight average, updating the averages in place."""

    def swa_update(averaged_params: list[Tensor], current_params: list[Tensor], num_averaged: Any) -> None:
        weight = 1.0 / (float(num_averaged) + 1)
        for average, current in zip(averaged_params, current_params):
            average._data += (current._data - average._data) * weight

    return swa_update


class AveragedModel(nn.Module):
    """A deep copy of `model` whose parameters (and, with `use_buffers`, buffers) hold a
    running average of `model`'s, updated by `update_parameters(model)`.

    The first update copies the weights; later ones apply `avg_fn(average, current, n)`
    (a new Tensor per parameter) or `multi_avg_fn(averages, currents, n)` (in place);
    the default is the equal-weight SWA average. Without `use_buffers` the buffers are
    copied from `model` instead (recompute batch-norm statistics with `update_bn`).
    `n_averaged` is a buffer, so it is in `state_dict()`. `device` is accepted for
    PyTorch compatibility (the CPU is the only device).

        >>> import autograd_core as ag
        >>> model = nn.Linear(1, 1, bias=False)
        >>> ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.5))
        >>> for w in [1.0, 3.0, 5.0]:
        ...     model.weight._data[...] = w; ema.update_parameters(model)
        >>> ema.module.weight.item()              # 1, then (1 + 3) / 2 = 2, then (2 + 5) / 2
        3.5
    """

    def __init__(self, model: nn.Module, device: Any = None, avg_fn: AvgFn | None = None,
                 multi_avg_fn: MultiAvgFn | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel: give only one of avg_fn and multi_avg_fn")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", Tensor(np.array(0, dtype=np.int64)))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: nn.Module) -> None:
        """Fold `model`'s current weights into the average (in place)."""
        if self.use_buffers:
            averaged = list(itertools.chain(self.module.parameters(), self.module.buffers()))
            current = list(itertools.chain(model.parameters(), model.buffers()))
        else:
            averaged, current = list(self.parameters()), list(model.parameters())
        n = int(self.n_averaged._data)
        with no_grad():
            if n == 0:
                for average, value in zip(averaged, current):
                    np.copyto(average._data, value._data, casting="unsafe")
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn(averaged, current, self.n_averaged.detach())
            else:
                avg_fn = self.avg_fn or get_swa_avg_fn()
                for average, value in zip(averaged, current):
                    result = avg_fn(average.detach(), value.detach(), self.n_averaged.detach())
                    # unsafe casting truncates averages of integer buffers, as torch's copy_ does
                    np.copyto(average._data, np.asarray(result._data if isinstance(result, Tensor) else result),
                              casting="unsafe")
            if not self.use_buffers:
                for mine, theirs in zip(self.module.buffers(), model.buffers()):
                    np.copyto(mine._data, theirs._data, casting="unsafe")
        self.n_averaged._data += 1


def update_bn(loader: Iterable[Any], model: nn.Module, device: Any = None) -> None:
    """Recompute every batch-norm layer's running mean and variance with one pass over
    `loader` (a batch, or a tuple/list whose first item is the input), as a cumulative
    average; the model's training mode is restored afterwards.

        >>> import autograd_core as ag
        >>> model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
        >>> update_bn([ag.randn(8, 2), ag.randn(8, 2)], model)
        >>> int(model[1].num_batches_tracked.item())
        2
    """
    from nn.normalization import _BatchNorm

    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None  # cumulative average over the whole pass
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's rate from its current value to `swa_lr` over `anneal_epochs`
    epochs ('cos' or 'linear'), then hold it, as `torch.optim.swa_utils.SWALR`.

        >>> import autograd_core as ag
        >>> from optim import SGD
        >>> opt = SGD([ag.zeros(1, requires_grad=True)], lr=1.0)
        >>> s = SWALR(opt, swa_lr=0.1, anneal_epochs=2, anneal_strategy="linear")
        >>> [round((opt.step(), s.step(), s.get_last_lr()[0])[2], 4) for _ in range(3)]
        [0.55, 0.1, 0.1]
    """

    def __init__(self, optimizer: Optimizer, swa_lr: float | list[float], anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        n = len(optimizer.param_groups)
        swa_lrs = list(swa_lr) if isinstance(swa_lr, (list, tuple)) else [swa_lr] * n
        if len(swa_lrs) != n:
            raise ValueError(f"SWALR: expected {n} values for swa_lr (one per group), got {len(swa_lrs)}")
        for value, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = value
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"SWALR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"SWALR: anneal_epochs must be an int >= 0, got {anneal_epochs!r}")
        self._anneal_strategy = anneal_strategy
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _anneal(self, t: float) -> float:
        return t if self._anneal_strategy == "linear" else (1 - math.cos(math.pi * t)) / 2

    def get_lr(self) -> list[float]:
        # The rate is recovered from the previous one, so a rate changed by hand also anneals.
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self._anneal(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        alpha = self._anneal(max(0, min(1, step / max(1, self.anneal_epochs))))
        lrs = []
        for group in self.optimizer.param_groups:
            lr, swa = group["lr"], group["swa_lr"]
            start = swa if prev_alpha == 1 else (lr - prev_alpha * swa) / (1 - prev_alpha)
            lrs.append(swa * alpha + start * (1 - alpha))
        return lrs
