"""Double backward: one WGAN-GP critic step (a gradient penalty needs the gradient of a
gradient) on an MLP 64-256-256-1, batch 128, float32, against PyTorch in the same run.

    python benchmarks/bench_double_backward.py
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def step_ms(lib, steps: int = 30) -> float:
    """Median ms of one critic step: score gap plus 10·(‖∇ₓ critic(x̂)‖ − 1)², Adam."""
    rng = np.random.default_rng(0)
    model = lib.nn.Sequential(lib.nn.Linear(64, 256), lib.nn.Tanh(), lib.nn.Linear(256, 256), lib.nn.Tanh(),
                              lib.nn.Linear(256, 1))
    opt = lib.optim.Adam(model.parameters(), lr=1e-4)
    real = lib.tensor(rng.standard_normal((128, 64)).astype(np.float32))
    fake = lib.tensor(rng.standard_normal((128, 64)).astype(np.float32))

    def step():
        alpha = lib.rand(128, 1)
        mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        scores = model(mixed)
        (g,) = lib.autograd.grad(scores, mixed, lib.ones_like(scores), create_graph=True)
        loss = model(fake).mean() - model(real).mean() + 10 * ((g.norm(2, dim=1) - 1) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def main() -> dict:
    import autograd_core

    result = {"autograd_core": step_ms(autograd_core)}
    try:
        import torch

        torch.set_num_threads(2)
        result["torch"] = step_ms(torch)
    except ImportError:
        result["torch"] = None
    ours, theirs = result["autograd_core"], result["torch"]
    ratio = f"{ours / theirs:.2f}x" if theirs else "-"
    print(f"gradient-penalty step (double backward): autograd_core {ours:.2f} ms, "
          f"torch {theirs if theirs is None else f'{theirs:.2f}'} ms, ratio {ratio}")
    return result


if __name__ == "__main__":
    main()
