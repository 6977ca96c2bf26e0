"""The main job: train a small CNN on the handwritten digits that ship with scikit-learn.

    python -m autograd_core.demo                 # writes into ./autograd_core_demo/
    python -m autograd_core.demo --out results --epochs 20
    mpiexec -n 2 python -m autograd_core.demo    # data-parallel on 2 processes (DDP)

It trains with a progress bar, prints the test accuracy, and writes into the output folder
  training_curves.png  train/validation loss and accuracy per epoch
  backward_graph.dot   the backward graph of one training step, drawn by ag.viz (Graphviz source)
  backward_graph.svg   the same graph rendered, when Graphviz's `dot` program is installed
Without `dot` the run still completes and says how to render the .dot file later.
The digits (1,797 8×8 images) come with scikit-learn, so nothing is downloaded.
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import time

import numpy as np

import autograd_core as ag


def load_digits_split(seed: int = 0, test_fraction: float = 0.25):
    """Digits as (N, 1, 8, 8) float32 in [0, 1] and int64 labels, split with a fixed seed."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise ImportError(
            "the demo needs scikit-learn for its bundled digits: pip install scikit-learn "
            '(or pip install -e ".[extras]")'
        ) from exc
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(test_fraction * len(y)))
    test, train = order[:n_test], order[n_test:]
    return (x[train], y[train]), (x[test], y[test])


def build_cnn():
    """Conv(1→16)-ReLU-MaxPool-Conv(16→32)-ReLU-MaxPool-Flatten-Linear(128→10)."""
    import nn

    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10),
    )


def main(argv=None) -> dict:
    import nn
    import optim
    from autograd_core.data import DataLoader, TensorDataset

    parser = argparse.ArgumentParser(description="Train a small CNN on scikit-learn's digits.")
    parser.add_argument("--out", default="autograd_core_demo", help="folder for the SVG and PNG")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--distributed", action="store_true",
                        help="train data-parallel (automatic under mpiexec -n N with N > 1)")
    args = parser.parse_args(argv)
    from autograd_core import demo_distributed

    distributed = args.distributed or demo_distributed.launched_by_mpiexec()

    start = time.perf_counter()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ag.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_digits_split(args.seed)
    train = DataLoader(TensorDataset(ag.tensor(x_train), ag.tensor(y_train)), batch_size=32, shuffle=True)
    test = DataLoader(TensorDataset(ag.tensor(x_test), ag.tensor(y_test)), batch_size=256)

    model, rank, world = build_cnn(), 0, 1
    if distributed:  # every rank trains on its share; rank 0 prints and writes the files
        model, train, rank, world = demo_distributed.start(model, x_train, y_train, 32, args.seed)
    say = print if rank == 0 else (lambda *a, **k: None)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    say(f"training {type(model).__name__} with {nn.utils.count_parameters(model):,} parameters "
        f"on {len(y_train)} digits, testing on {len(y_test)}" + (f", on {world} ranks" if world > 1 else ""))
    history = optim.fit(model, loss_fn, optimizer, train, val_loader=test, epochs=args.epochs,
                        scheduler=scheduler, progress=not args.no_progress, metrics=["accuracy"])
    accuracy = history.metrics["val_accuracy"][-1]
    elapsed = time.perf_counter() - start
    say(f"test accuracy: {accuracy:.2%}  ({elapsed:.1f} s)")  # first: nothing below can lose it

    if rank != 0:
        return {"accuracy": accuracy, "seconds": elapsed}
    model = getattr(model, "module", model)  # the drawing step below runs on rank 0 alone

    figure = history.plot()
    curves_path = out / "training_curves.png"
    figure.savefig(curves_path, dpi=120, bbox_inches="tight")

    # One more training step, kept alive so its backward graph can be drawn.
    model.train()
    xb, yb = ag.tensor(x_train[:8]), ag.tensor(y_train[:8])
    loss = loss_fn(model(xb), yb)
    loss.backward(retain_graph=True)
    source_path = ag.viz.save_graph(loss, out / "backward_graph.dot")  # text: needs no Graphviz
    graph_path = _render(loss, out / "backward_graph.svg", source_path)
    optimizer.zero_grad()

    print(f"wrote {curves_path}, {source_path}" + (f" and {graph_path}" if graph_path else ""))
    return {"accuracy": accuracy, "seconds": elapsed, "graph": graph_path or source_path,
            "graph_source": source_path, "curves": curves_path}


def _render(loss, svg_path: pathlib.Path, source_path: pathlib.Path) -> pathlib.Path | None:
    """The SVG drawing when Graphviz's `dot` is installed; otherwise None, after saying how to
    render the source later (the README calls Graphviz optional)."""
    if shutil.which("dot") is not None:
        try:
            return ag.viz.save_graph(loss, svg_path)
        except RuntimeError as exc:  # dot present but failing: keep the run's results
            print(f"could not render the backward graph ({exc})")
    print(f"Graphviz's `dot` program is not installed, so the backward graph was written as source only: "
          f"{source_path}\nTo draw it, install Graphviz (apt-get install graphviz, brew install graphviz or "
          f"conda install graphviz) and run:  dot -Tsvg {source_path} -o {svg_path}")
    return None


if __name__ == "__main__":
    main()
