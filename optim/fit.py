"""`fit`: the training loop every example would otherwise write by hand, and its `History`.

    >>> import autograd_core as ag, nn, optim
    >>> from autograd_core.data import DataLoader, TensorDataset
    >>> _ = ag.manual_seed(0)
    >>> x = ag.randn(64, 3); y = x @ ag.tensor([[1.0], [-2.0], [0.5]])
    >>> model = nn.Linear(3, 1)
    >>> loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    >>> history = optim.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader,
    ...                     epochs=5, progress=False)
    >>> history.epochs, history.train_loss[-1] < 0.01 * history.train_loss[0]
    (5, True)
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd_core import Tensor, no_grad

from .early_stopping import EarlyStopping
from .lr_scheduler import LRScheduler, ReduceLROnPlateau
from .optimizer import Optimizer

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["History", "accuracy", "evaluate", "fit"]

MetricFn = Callable[[Tensor, Tensor], float]


class History:
    """What `fit` recorded, one entry per epoch run.

    Attributes:
        train_loss: mean training loss of each epoch (weighted by batch size).
        val_loss: mean validation loss of each epoch (empty without a validation loader).
        metrics: 'train_<name>' and 'val_<name>' → per-epoch values.
        lr: learning rate of the first parameter group during each epoch.
        epochs: how many epochs ran.
        stopped_early: whether early stopping ended the run.
    """

    def __init__(self) -> None:
        self.train_loss: list[float] = []
        self.val_loss: list[float] = []
        self.metrics: dict[str, list[float]] = {}
        self.lr: list[float] = []
        self.epochs = 0
        self.stopped_early = False

    def plot(self, figsize: tuple[float, float] | None = None) -> Figure:
        """A matplotlib figure: the loss curves, then one panel per metric (train and validation).
        `figsize` defaults to 4.5 × 3.5 inches per panel.

            >>> fig = history.plot()              # doctest: +SKIP
            >>> fig.savefig("curves.png")         # doctest: +SKIP
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError(
                "History.plot() needs matplotlib: install it with `pip install matplotlib`"
            ) from exc
        names = sorted({key.split("_", 1)[1] for key in self.metrics})
        panels = [("loss", self.train_loss, self.val_loss)]
        panels += [(name, self.metrics.get(f"train_{name}", []), self.metrics.get(f"val_{name}", []))
                   for name in names]
        figsize = figsize or (4.5 * len(panels), 3.5)
        fig, axes = plt.subplots(1, len(panels), figsize=figsize, squeeze=False)
        for ax, (title, train, val) in zip(axes[0], panels):
            for label, values in (("train", train), ("validation", val)):
                if values:
                    ax.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=label)
            ax.set_title(title)
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
            ax.legend()
        fig.tight_layout()
        return fig

    def __repr__(self) -> str:
        last = f", train_loss={self.train_loss[-1]:.4g}" if self.train_loss else ""
        if self.val_loss:
            last += f", val_loss={self.val_loss[-1]:.4g}"
        return f"History(epochs={self.epochs}{last}, metrics={sorted(self.metrics)})"


def accuracy(output: Tensor, target: Tensor, threshold: float | None = None) -> float:
    """Fraction of correct predictions.

    Several outputs per sample (dim 1): the argmax over dim 1 against integer class
    targets (or against the argmax of one-hot targets). One output per sample (binary):
    `output > threshold` against `target > 0.5`; by default the threshold is 0.5 when every
    output lies in [0, 1] (probabilities) and 0 otherwise (logits).

        >>> import autograd_core as ag
        >>> accuracy(ag.tensor([[2.0, 1.0], [0.0, 3.0]]), ag.tensor([0, 0]))
        0.5
        >>> accuracy(ag.tensor([-1.5, 2.0, 0.3]), ag.tensor([0.0, 1.0, 0.0]))   # logits
        0.6666666666666666
    """
    out = np.asarray(output._data if isinstance(output, Tensor) else output)
    tgt = np.asarray(target._data if isinstance(target, Tensor) else target)
    if out.ndim >= 2 and out.shape[1] > 1:
        pred = out.argmax(axis=1)
        if tgt.shape == out.shape:
            tgt = tgt.argmax(axis=1)
        return float(np.mean(pred == tgt.reshape(pred.shape)))
    scores = out.reshape(-1)
    if threshold is None:
        threshold = 0.5 if scores.size and scores.min() >= 0 and scores.max() <= 1 else 0.0
    return float(np.mean((scores > threshold) == (tgt.reshape(-1) > 0.5)))


BUILTIN_METRICS: dict[str, MetricFn] = {"accuracy": accuracy}


def _binary_threshold(loss_fn) -> float | None:
    """The binary-accuracy threshold implied by the loss: probabilities (BCE) or logits."""
    name = getattr(loss_fn, "__name__", type(loss_fn).__name__)
    if name in ("BCELoss", "binary_cross_entropy"):
        return 0.5
    if name in ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits"):
        return 0.0
    return None


def _resolve_metrics(metrics, loss_fn=None) -> dict[str, MetricFn]:
    if metrics is None:
        return {}
    items = [metrics] if isinstance(metrics, (str, dict)) else list(metrics)
    resolved: dict[str, MetricFn] = {}
    for item in items:
        if isinstance(item, dict):
            for name, fn in item.items():
                if not callable(fn):
                    raise TypeError(f"fit: metric {name!r} must be a function fn(output, target) -> float")
                resolved[str(name)] = fn
        elif item in BUILTIN_METRICS:
            fn = BUILTIN_METRICS[item]
            if item == "accuracy":
                threshold = _binary_threshold(loss_fn)
                fn = lambda output, target, t=threshold: accuracy(output, target, t)
            resolved[item] = fn
        else:
            raise ValueError(f"fit: unknown metric {item!r}; built-in metrics are {sorted(BUILTIN_METRICS)}, "
                             "or pass a dict of name -> fn(output, target)")
    return resolved


def _split(batch) -> tuple[Sequence[Any], Any]:
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise TypeError("fit: each batch must be a tuple (inputs..., target), e.g. from "
                        f"DataLoader(TensorDataset(x, y)); got {type(batch).__name__}")
    return batch[:-1], batch[-1]


class _Averages:
    """Running means of the loss and metrics, weighted by batch size."""

    def __init__(self, metric_fns: dict[str, MetricFn]) -> None:
        self.metric_fns = metric_fns
        self.count = 0
        self.sums = dict.fromkeys(["loss", *metric_fns], 0.0)

    def add(self, loss: Tensor | float, output: Tensor, target: Any) -> None:
        n = int(target.shape[0]) if isinstance(target, Tensor) and target.ndim else len(target)
        self.count += n
        self.sums["loss"] += (float(loss.item()) if isinstance(loss, Tensor) else float(loss)) * n
        with no_grad():
            for name, fn in self.metric_fns.items():
                self.sums[name] += float(fn(output, target)) * n

    def means(self) -> dict[str, float]:
        count, sums = self.count, self.sums
        if _process_group()[1] > 1:
            # Under DDP every rank reports, and bases early stopping and schedules on, the same
            # means over all ranks' samples; otherwise ranks could stop at different epochs.
            from autograd_core import distributed

            totals = Tensor(np.array([count, *sums.values()], dtype=np.float64), dtype=np.float64)
            distributed.all_reduce(totals)
            count, sums = totals._data[0], dict(zip(sums, totals._data[1:].tolist()))
        return {k: v / count if count else float("nan") for k, v in sums.items()}


def _process_group() -> tuple[int, int]:
    """(rank, world size) when autograd_core.distributed has a group, else (0, 1); never starts MPI."""
    distributed = sys.modules.get("autograd_core.distributed")
    if distributed is None or not distributed.is_initialized():
        return 0, 1
    return distributed.get_rank(), distributed.get_world_size()


def evaluate(model: Any, loss_fn: Callable[[Tensor, Tensor], Tensor], loader: Iterable,
             metrics: Sequence[str] | dict[str, MetricFn] | None = None) -> dict[str, float]:
    """Mean loss and metrics of `model` over `loader`, in eval mode and without the graph.
    The model's train/eval mode is restored afterwards.

        >>> evaluate(model, nn.MSELoss(), val_loader)   # doctest: +SKIP
        {'loss': 0.0123}
    """
    return _evaluate(model, loss_fn, loader, _resolve_metrics(metrics, loss_fn))


def _evaluate(model, loss_fn, loader, metric_fns) -> dict[str, float]:
    was_training = model.training
    model.eval()
    totals = _Averages(metric_fns)
    try:
        with no_grad():
            for batch in loader:
                inputs, target = _split(batch)
                output = model(*inputs)
                totals.add(loss_fn(output, target), output, target)
    finally:
        model.train(was_training)
    return totals.means()


def _progress_bar(enabled: bool, loader, epoch: int, epochs: int):
    if not enabled or _process_group()[0] != 0:  # one bar per job: rank 0's
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a nicety: train without it
        return None
    try:
        total = len(loader)
    except TypeError:
        total = None
    return tqdm(total=total, desc=f"epoch {epoch + 1}/{epochs}", unit="batch", dynamic_ncols=True)


def _non_finite_loss(value: float, epoch: int, epochs: int, step: int) -> FloatingPointError:
    return FloatingPointError(
        f"fit: the training loss is {value} at epoch {epoch}/{epochs}, step {step} (batch {step} of the "
        "epoch); the weights are those from before this step. To find the operation that first "
        "produced a NaN or inf, run the failing step under `with ag.detect_anomaly():`; lower the "
        "learning rate, check the inputs for NaN, or clip gradients (nn.utils.clip_grad_norm_). "
        "Pass check_finite=False to train on regardless."
    )


def fit(
    model: Any,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: Optimizer,
    train_loader: Iterable,
    val_loader: Iterable | None = None,
    epochs: int = 1,
    scheduler: LRScheduler | None = None,
    early_stopping: EarlyStopping | None = None,
    progress: bool = True,
    metrics: Sequence[str] | dict[str, MetricFn] | None = None,
    check_finite: bool = True,
) -> History:
    """Train `model` for up to `epochs` epochs and return its `History`.

    Each epoch: in train mode, for every batch `(inputs..., target)`: forward, `loss_fn`,
    backward, `optimizer.step()`, `optimizer.zero_grad()`. Then, with `val_loader`, the
    validation loss and metrics in eval mode under `ag.no_grad()`. Then `scheduler.step()`
    (`scheduler.step(val_loss)` for ReduceLROnPlateau, the train loss without validation)
    and `early_stopping.step(val_loss, model)` (train loss without validation), which
    may end the run and restore the best weights. Losses and metrics are means over
    samples (batch means weighted by batch size).

    Args:
        model: an `nn.Module` (anything with `__call__`, `train()`, `eval()`, `.training`).
        loss_fn: `loss_fn(output, target)` → scalar Tensor, e.g. `nn.CrossEntropyLoss()`.
        optimizer: an `optim.Optimizer` over the model's parameters.
        train_loader, val_loader: iterables of batches, e.g. `ag.data.DataLoader`s.
        epochs: maximum number of epochs.
        scheduler: an lr scheduler, stepped once per epoch.
        early_stopping: an `optim.EarlyStopping`.
        progress: show a tqdm bar per epoch with the running loss (silently none when tqdm
            is not installed).
        metrics: built-in names (`'accuracy'`) and/or a dict name → fn(output, target) -> float;
            recorded as `'train_<name>'` and `'val_<name>'`.
        check_finite: stop with a `FloatingPointError` naming the epoch and step as soon as a
            training loss is NaN or infinite, before that step changes the weights (one float
            comparison per step). `False` trains on regardless.

    The model is left in the train/eval mode it had when `fit` was called.

    Under `autograd_core.distributed` (each rank calling `fit` on a DistributedDataParallel
    model with its share of the data) only rank 0 shows the progress bar, the recorded losses
    and metrics are means over every rank's samples (identical on all ranks), and a loader's
    `sampler.set_epoch(epoch)` is called at the start of each epoch.
    """
    if isinstance(epochs, bool) or int(epochs) != epochs or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}")
    metric_fns = _resolve_metrics(metrics, loss_fn)
    history = History()
    for name in metric_fns:
        history.metrics[f"train_{name}"] = []
        if val_loader is not None:
            history.metrics[f"val_{name}"] = []
    was_training = model.training
    optimizer.zero_grad()
    try:
        for epoch in range(int(epochs)):
            history.lr.append(float(optimizer.param_groups[0]["lr"]))
            bar = _progress_bar(progress, train_loader, epoch, int(epochs))
            sampler = getattr(train_loader, "sampler", None)
            if hasattr(sampler, "set_epoch"):  # a DistributedSampler reshuffles per epoch
                sampler.set_epoch(epoch)
            model.train()
            running = _Averages(metric_fns)
            for step, batch in enumerate(train_loader, start=1):
                inputs, target = _split(batch)
                output = model(*inputs)
                loss = loss_fn(output, target)
                value = float(loss.item())
                if check_finite and not math.isfinite(value):
                    raise _non_finite_loss(value, epoch + 1, int(epochs), step)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                running.add(value, output, target)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{running.sums['loss'] / running.count:.4f}", refresh=False)
            train = running.means()
            history.train_loss.append(train["loss"])
            for name in metric_fns:
                history.metrics[f"train_{name}"].append(train[name])
            monitor = train["loss"]
            if val_loader is not None:
                val = _evaluate(model, loss_fn, val_loader, metric_fns)
                history.val_loss.append(val["loss"])
                for name in metric_fns:
                    history.metrics[f"val_{name}"].append(val[name])
                monitor = val["loss"]
            if bar is not None:
                shown = {"loss": train["loss"]} | ({"val_loss": monitor} if val_loader is not None else {})
                bar.set_postfix({k: f"{v:.4f}" for k, v in shown.items()})
                bar.close()
            history.epochs += 1
            if isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step(monitor)
            elif scheduler is not None:
                scheduler.step()
            if early_stopping is not None and early_stopping.step(monitor, model):
                history.stopped_early = True
                break
    finally:
        model.train(was_training)
    return history
