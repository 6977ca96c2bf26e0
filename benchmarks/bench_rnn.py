"""Elman RNN training step: this project's nn.RNN against PyTorch CPU.

Workload (float32): input size 32, hidden size 128, 50 time steps, batch 32. One training
step = forward over the sequence, loss = MSE between the last output and a fixed random
target, backward, and a plain SGD update of every parameter written by hand.

Variants:
  autograd-core nn.RNN        input projection in one linear, one graph node per step
  autograd-core nn.RNNCell    the same model as a Python loop over cells (for reference)
  torch loop (RNNCell)        torch.nn.RNNCell called once per step
  torch loop (matmuls)        x_t W_ihᵀ + b_ih + h W_hhᵀ + b_hh, tanh, per step
  torch nn.RNN                PyTorch's fused RNN

Each variant runs a warm-up, then `--steps` timed steps in 6 interleaved rounds (so that
load from other processes hits all variants alike); the table shows the median over all
steps and the lowest per-round median. PyTorch runs with torch.set_num_threads(2).

    python benchmarks/bench_rnn.py              # 60 timed steps per variant
    python benchmarks/bench_rnn.py --steps 100
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import autograd_core as ag  # noqa: E402
import nn  # noqa: E402

T, B, N_IN, N_HID = 50, 32, 32, 128
LR = 0.01


def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, N_IN)).astype(np.float32)
    y = rng.standard_normal((B, N_HID)).astype(np.float32)
    return x, y


def ours_rnn(x0, y0):
    ag.manual_seed(0)
    model = nn.RNN(N_IN, N_HID)
    x, y = ag.tensor(x0), ag.tensor(y0)
    params = list(model.parameters())

    def step():
        out, _ = model(x)
        loss = ((out[-1] - y) ** 2).mean()
        loss.backward()
        for p in params:
            p._data -= LR * p.grad._data
            p.grad = None

    return step


def ours_cell_loop(x0, y0):
    ag.manual_seed(0)
    cell = nn.RNNCell(N_IN, N_HID)
    xs = [ag.tensor(x0[t]) for t in range(T)]
    y = ag.tensor(y0)
    params = list(cell.parameters())

    def step():
        h = None
        for t in range(T):
            h = cell(xs[t], h)
        loss = ((h - y) ** 2).mean()
        loss.backward()
        for p in params:
            p._data -= LR * p.grad._data
            p.grad = None

    return step


def torch_steps(x0, y0):
    import torch

    torch.manual_seed(0)
    x, y = torch.from_numpy(x0), torch.from_numpy(y0)

    def sgd(params):
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None

    cell = torch.nn.RNNCell(N_IN, N_HID)
    cell_params = list(cell.parameters())

    def cell_loop():
        h = torch.zeros(B, N_HID)
        for t in range(T):
            h = cell(x[t], h)
        ((h - y) ** 2).mean().backward()
        sgd(cell_params)

    w_ih, w_hh, b_ih, b_hh = [p.detach().clone().requires_grad_() for p in cell_params]

    def matmul_loop():
        h = torch.zeros(B, N_HID)
        for t in range(T):
            h = torch.tanh(x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
        ((h - y) ** 2).mean().backward()
        sgd([w_ih, w_hh, b_ih, b_hh])

    rnn = torch.nn.RNN(N_IN, N_HID)
    rnn_params = list(rnn.parameters())

    def fused():
        out, _ = rnn(x)
        ((out[-1] - y) ** 2).mean().backward()
        sgd(rnn_params)

    return cell_loop, matmul_loop, fused


def run(variants: dict, steps: int, rounds: int = 6, warmup: int = 5) -> dict:
    """name -> (median ms over all timed steps, lowest per-round median ms)."""
    for fn in variants.values():
        for _ in range(warmup):
            fn()
    times = {name: [[] for _ in range(rounds)] for name in variants}
    per_round = max(1, -(-steps // rounds))
    for r in range(rounds):
        for name, fn in variants.items():
            for _ in range(per_round):
                t0 = time.perf_counter()
                fn()
                times[name][r].append(time.perf_counter() - t0)
    return {name: (1e3 * statistics.median([t for ts in rs for t in ts]),
                   1e3 * min(statistics.median(ts) for ts in rs))
            for name, rs in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=60, help="timed training steps per variant (>= 20)")
    args = parser.parse_args()
    x0, y0 = data()
    variants = {"autograd-core nn.RNN": ours_rnn(x0, y0),
                "autograd-core nn.RNNCell loop": ours_cell_loop(x0, y0)}
    try:
        import torch

        torch.set_num_threads(2)
        cell_loop, matmul_loop, fused = torch_steps(x0, y0)
        variants.update({"torch loop (RNNCell)": cell_loop, "torch loop (matmuls)": matmul_loop,
                         "torch nn.RNN (fused)": fused})
    except ImportError:
        print("torch is not installed: timing autograd-core only")
    steps = max(args.steps, 20)
    ms = run(variants, steps)
    ours, ours_best = ms["autograd-core nn.RNN"]
    print(f"Elman RNN training step: T={T}, batch={B}, input={N_IN}, hidden={N_HID}, float32, "
          f"{steps} timed steps per variant")
    print("median: over all steps; best round: the lowest median of the 6 interleaved rounds "
          "(the least disturbed by other load)")
    print(f"{'variant':<32}{'median ms':>10}{'nn.RNN / this':>15}{'best round':>12}{'nn.RNN / this':>15}")
    for name, (t, best) in ms.items():
        print(f"{name:<32}{t:>10.2f}{ours / t:>15.2f}{best:>12.2f}{ours_best / best:>15.2f}")


if __name__ == "__main__":
    main()
