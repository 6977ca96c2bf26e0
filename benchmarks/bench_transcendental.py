"""Transcendental kernels, forward + backward through each engine's autograd, against PyTorch.

sigmoid, tanh, GELU (exact and tanh), softplus, SiLU on flat float32 arrays, and softmax,
log_softmax, cross-entropy and layer_norm (with weight and bias) on rows of 1,000 (100 rows at 1e5
elements), at 1e3, 1e5 and 1e6
elements. Each engine runs in its own fresh process (as bench_training), the two alternate over
`--rounds` rounds, and each figure is a median of repeated calls after a warm-up; compare the
engines within a round (`round_ratios`).

    python benchmarks/bench_transcendental.py                 # table: ratio min / median / max
    python benchmarks/bench_transcendental.py --rounds 3 --sizes 1e5
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench_training import CHILD_ENV, THREADS, round_ratios  # noqa: E402

NAMES = ["sigmoid", "tanh", "gelu", "gelu_tanh", "softplus", "silu", "softmax", "log_softmax",
         "cross_entropy", "layer_norm"]
SIZES = [1_000, 100_000, 1_000_000]


def _cases(engine: str, n: int):
    """name -> a callable running forward + backward once."""
    rng = np.random.default_rng(0)
    x0 = (rng.standard_normal(n) * 3).astype(np.float32)
    cols = min(n, 1000)
    rows0 = x0.reshape(-1, cols)
    target0 = rng.integers(0, cols, rows0.shape[0])
    if engine == "torch":
        import torch
        import torch.nn.functional as F

        torch.set_num_threads(THREADS)
        make = torch.tensor
    else:
        import autograd_core as ag

        F = ag.functional
        make = ag.tensor
    x, rows = make(x0, requires_grad=True), make(rows0, requires_grad=True)
    weight, bias = make(np.ones(cols, np.float32), requires_grad=True), make(np.zeros(cols, np.float32),
                                                                          requires_grad=True)
    g, grow, target = make(np.ones_like(x0)), make(np.ones_like(rows0)), make(target0)

    def flat(fn):
        def run():
            fn(x).backward(g)
            x.grad = None
        return run

    def on_rows(fn):
        def run():
            fn(rows).backward(grow)
            rows.grad = None
        return run

    def ce():
        F.cross_entropy(rows, target).backward()
        rows.grad = None

    def layer_norm():
        F.layer_norm(rows, (cols,), weight, bias).backward(grow)
        rows.grad = weight.grad = bias.grad = None

    cases = {
        "sigmoid": flat(F.sigmoid), "tanh": flat(F.tanh), "gelu": flat(F.gelu),
        "gelu_tanh": flat(lambda t: F.gelu(t, approximate="tanh")), "softplus": flat(F.softplus),
        "softmax": on_rows(lambda t: F.softmax(t, dim=-1)),
        "log_softmax": on_rows(lambda t: F.log_softmax(t, dim=-1)),
        "cross_entropy": ce, "layer_norm": layer_norm, "silu": flat(F.silu),
    }
    return cases


def _median_us(fn, budget_s: float = 0.15, min_runs: int = 5, max_runs: int = 500) -> float:
    fn()
    times, start = [], time.perf_counter()
    while len(times) < min_runs or (len(times) < max_runs and time.perf_counter() - start < budget_s):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def time_here(engine: str, sizes) -> dict:
    out = {}
    for n in sizes:
        for name, fn in _cases(engine, n).items():
            out[f"{name}@{n}"] = _median_us(fn)
    return out


def _child(engine: str, sizes) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--engine", engine, "--sizes", *map(str, sizes)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=CHILD_ENV)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(sizes=SIZES, rounds: int = 5) -> dict:
    """{"name@size": {"autograd_core": [us per round], "torch": [...]}}, engines alternating."""
    engines = ["autograd_core"] + (["torch"] if importlib.util.find_spec("torch") else [])
    per_round = {e: [] for e in engines}
    for r in range(rounds):
        for engine in (engines if r % 2 == 0 else engines[::-1]):
            per_round[engine].append(_child(engine, sizes))
    keys = per_round["autograd_core"][0].keys()
    return {k: {e: [rd[k] for rd in per_round[e]] for e in engines} for k in keys}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", nargs="*", type=lambda s: int(float(s)), default=SIZES)
    parser.add_argument("--engine", choices=["autograd_core", "torch"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.engine:
        print(json.dumps(time_here(args.engine, args.sizes)))
        return {}
    results = run(args.sizes, args.rounds)
    print(f"forward + backward, float32, {THREADS} threads, {args.rounds} rounds; ratio = ours / torch")
    print(f"{'kernel@elements':<24}{'ours us':>10}{'torch us':>10}{'ratio min/median/max':>24}")
    for key, r in results.items():
        line = f"{key:<24}{statistics.median(r['autograd_core']):>10.1f}"
        if "torch" in r:
            q = round_ratios(r["autograd_core"], r["torch"])
            line += f"{statistics.median(r['torch']):>10.1f}"
            line += f"{q['min']:>12.2f}/{q['median']:.2f}/{q['max']:.2f}"
        print(line)
    return results


if __name__ == "__main__":
    main()
