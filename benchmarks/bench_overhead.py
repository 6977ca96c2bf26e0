"""Per-op overhead: a chain of elementwise ops on a (4, 4) tensor, forward + backward.

On tensors this small the arithmetic is free and what is measured is the Python path of
one operation: creating the output Tensor, recording its node, and in backward running
the node and routing its gradient. The same chain runs on PyTorch CPU (same threads)
when torch is importable, and as hand-written NumPy with no graph at all (the floor).

    python benchmarks/bench_overhead.py               # 1,000-op chain, table of µs/op
    python benchmarks/bench_overhead.py --million     # also a 1,000,000-op chain
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

SHAPE = (4, 4)


def chain_autograd(n: int, x0: np.ndarray, w0: np.ndarray) -> float:
    """Forward + backward of the n-op chain; returns seconds."""
    t0 = time.perf_counter()
    x = ag.tensor(x0, requires_grad=True)
    w = ag.tensor(w0, requires_grad=True)
    y = x
    for i in range(n):
        k = i % 4
        if k == 0:
            y = y * 1.001
        elif k == 1:
            y = y + 0.01
        elif k == 2:
            y = y.tanh()
        else:
            y = y * w
    y.sum().backward()
    return time.perf_counter() - t0


def chain_torch(n: int, x0: np.ndarray, w0: np.ndarray) -> float:
    import torch

    t0 = time.perf_counter()
    x = torch.tensor(x0, requires_grad=True)
    w = torch.tensor(w0, requires_grad=True)
    y = x
    for i in range(n):
        k = i % 4
        if k == 0:
            y = y * 1.001
        elif k == 1:
            y = y + 0.01
        elif k == 2:
            y = y.tanh()
        else:
            y = y * w
    y.sum().backward()
    return time.perf_counter() - t0


def chain_numpy(n: int, x0: np.ndarray, w0: np.ndarray) -> float:
    """The same chain written by hand: forward keeps what backward needs, no graph."""
    t0 = time.perf_counter()
    y = x0
    saved = []
    for i in range(n):
        k = i % 4
        if k == 0:
            y = y * 1.001
        elif k == 1:
            y = y + 0.01
        elif k == 2:
            y = np.tanh(y)
            saved.append(y)
        else:
            saved.append(y)
            y = y * w0
    g = np.ones_like(y)
    gw = np.zeros_like(w0)
    for i in reversed(range(n)):
        k = i % 4
        if k == 0:
            g = g * 1.001
        elif k == 2:
            t = saved.pop()
            g = g * (1 - t * t)
        elif k == 3:
            gw = gw + g * saved.pop()
            g = g * w0
    return time.perf_counter() - t0


def interleaved_us_per_op(fns: dict, n: int, repeats: int, blocks: int = 4) -> dict:
    """Median µs/op of each engine. The engines take turns in `blocks` blocks of repeats, so
    that a change in the machine's load falls on all of them alike; each block starts with an
    untimed warm-up run, so that no engine is timed on caches the other one just filled (a
    program runs one engine at a time: alternating every run cost both ~10%)."""
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(SHAPE).astype(np.float32)
    w0 = rng.standard_normal(SHAPE).astype(np.float32)
    times = {name: [] for name in fns}
    per_block = max(1, repeats // blocks)
    for _ in range(blocks):
        for name, fn in fns.items():
            fn(n, x0, w0)  # warm-up
            times[name].extend(fn(n, x0, w0) for _ in range(per_block))
    return {name: statistics.median(t) / n * 1e6 for name, t in times.items()}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--million", action="store_true", help="also time a 1,000,000-op chain")
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args(argv)

    fns = {"autograd_core": chain_autograd, "numpy by hand": chain_numpy}
    if not args.no_torch:
        try:
            import torch

            torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
            fns["torch " + torch.__version__] = chain_torch
        except ImportError:
            pass
    rows = interleaved_us_per_op(fns, args.ops, args.repeats)
    base = rows["autograd_core"]
    torch_key = next((k for k in rows if k.startswith("torch")), None)
    print(f"chain of {args.ops} elementwise ops on {SHAPE}, forward + backward, median of {args.repeats} "
          "(the engines take turns in blocks)")
    print(f"{'engine':<22}{'µs/op':>10}{'vs torch':>10}")
    for name, us in rows.items():
        ratio = f"{us / rows[torch_key]:.2f}x" if torch_key else "-"
        print(f"{name:<22}{us:>10.2f}{ratio:>10}")
    result = {"us_per_op": rows, "ratio_vs_torch": base / rows[torch_key] if torch_key else None}
    if args.million:
        rng = np.random.default_rng(0)
        x0 = rng.standard_normal(SHAPE).astype(np.float32)
        secs = chain_autograd(1_000_000, x0, x0)
        print(f"1,000,000-op chain, forward + backward: {secs:.2f} s")
        result["million_s"] = secs
    return result


if __name__ == "__main__":
    main()
