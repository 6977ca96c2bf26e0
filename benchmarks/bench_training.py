"""Training-step benchmarks against PyTorch CPU, in one run, same threads, float32.

Workloads (one SGD training step each: forward, cross-entropy, backward, update):
  mlp_b128   MLP 784-256-128-10, ReLU, batch 128
  mlp_b1024  the same MLP, batch 1024
  cnn        (64,1,28,28): Conv2d(1,8,3,p=1)-ReLU-MaxPool2d(2)-Conv2d(8,16,3,p=1)-ReLU-
             MaxPool2d(2)-Flatten-Linear(784,10)
  conv1d     (32,4,256): Conv1d(4,16,5,p=2)-ReLU-MaxPool1d(2)-Conv1d(16,32,5,p=2)-ReLU-
             mean over length-Linear(32,2)

Each model is built from `ag.functional` and plain parameter updates, and the same
network is built in PyTorch from `torch.nn.functional` with the same weights. Each engine
is timed in its own fresh process (see `_child` for why), alternating, in one run.

    python benchmarks/bench_training.py                 # all workloads, table of medians
    python benchmarks/bench_training.py --only cnn --steps 30
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

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
# The environment as it was before any kernel ran: the kernels set OMP_WAIT_POLICY for
# their own process, and a child timing torch must not inherit that.
CHILD_ENV = dict(os.environ)
LR = 0.01


def _init(rng, *shape):
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def make_workloads():
    """name -> (weights dict, input array, target array, forward(F, params, x) using F=functional)."""
    rng = np.random.default_rng(0)
    work = {}

    mlp = {"w1": _init(rng, 256, 784), "b1": _init(rng, 256), "w2": _init(rng, 128, 256),
           "b2": _init(rng, 128), "w3": _init(rng, 10, 128), "b3": _init(rng, 10)}

    def mlp_forward(F, p, x):
        h = F.relu(F.linear(x, p["w1"], p["b1"]))
        h = F.relu(F.linear(h, p["w2"], p["b2"]))
        return F.linear(h, p["w3"], p["b3"])

    for batch in (128, 1024):
        x = rng.standard_normal((batch, 784)).astype(np.float32)
        y = rng.integers(0, 10, batch)
        work[f"mlp_b{batch}"] = (mlp, x, y, mlp_forward)

    cnn = {"c1": _init(rng, 8, 1, 3, 3), "cb1": _init(rng, 8), "c2": _init(rng, 16, 8, 3, 3),
           "cb2": _init(rng, 16), "w": _init(rng, 10, 784), "b": _init(rng, 10)}

    def cnn_forward(F, p, x):
        h = F.max_pool2d(F.relu(F.conv2d(x, p["c1"], p["cb1"], padding=1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, p["c2"], p["cb2"], padding=1)), 2)
        return F.linear(h.reshape(h.shape[0], -1), p["w"], p["b"])

    work["cnn"] = (cnn, rng.standard_normal((64, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 64),
                   cnn_forward)

    c1d = {"c1": _init(rng, 16, 4, 5), "cb1": _init(rng, 16), "c2": _init(rng, 32, 16, 5),
           "cb2": _init(rng, 32), "w": _init(rng, 2, 32), "b": _init(rng, 2)}

    def conv1d_forward(F, p, x):
        h = F.max_pool1d(F.relu(F.conv1d(x, p["c1"], p["cb1"], padding=2)), 2)
        h = F.relu(F.conv1d(h, p["c2"], p["cb2"], padding=2))
        return F.linear(h.mean(2), p["w"], p["b"])

    work["conv1d"] = (c1d, rng.standard_normal((32, 4, 256)).astype(np.float32), rng.integers(0, 2, 32),
                      conv1d_forward)
    return work


def step_autograd(weights, x, y, forward):
    import autograd_core as ag

    F = ag.functional
    params = {k: ag.tensor(v, requires_grad=True) for k, v in weights.items()}
    xt, yt = ag.tensor(x), ag.tensor(y)

    def step():
        loss = F.cross_entropy(forward(F, params, xt), yt)
        loss.backward()
        for p in params.values():  # plain SGD, in place, outside the graph
            p._data -= LR * p.grad._data
            p.grad = None
        return loss

    return step


def step_torch(weights, x, y, forward):
    import torch
    import torch.nn.functional as F

    params = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
    xt, yt = torch.tensor(x), torch.tensor(y)

    def step():
        loss = F.cross_entropy(forward(F, params, xt), yt)
        loss.backward()
        with torch.no_grad():
            for p in params.values():
                p -= LR * p.grad
                p.grad = None
        return loss

    return step


def median_ms(step, steps: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def _child(engine: str, names, steps: int, ratios: bool = False) -> dict:
    """Time one engine's workloads in a fresh process that never imports the other engine.

    Both engines bring an OpenMP thread pool (torch its own libgomp, the kernels numba's),
    and one process can hold only one wait policy: torch is fastest with spinning threads,
    while spinning threads starve OpenBLAS in this project's steps (measured: MLP batch
    1024 went from 7 to 40 ms with torch merely imported). A user runs one or the other,
    so each is measured in its own process, in the same run, on the same threads.
    """
    cmd = [sys.executable, os.path.abspath(__file__), "--engine", engine, "--steps", str(steps), "--json"]
    if names:
        cmd += ["--only", *names]
    if ratios:
        cmd.append("--ratios")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=CHILD_ENV)
    return json.loads(out.stdout.strip().splitlines()[-1])


def backward_forward_ratio(engine: str, weights, x, y, forward, steps: int) -> float:
    """(time of forward + backward − time of forward) / time of forward, no update."""
    if engine == "torch":
        import torch
        import torch.nn.functional as F

        params = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
        xt, yt = torch.tensor(x), torch.tensor(y)
    else:
        import autograd_core as ag

        F = ag.functional
        params = {k: ag.tensor(v, requires_grad=True) for k, v in weights.items()}
        xt, yt = ag.tensor(x), ag.tensor(y)

    def both():
        F.cross_entropy(forward(F, params, xt), yt).backward()
        for p in params.values():
            p.grad = None

    fwd = median_ms(lambda: F.cross_entropy(forward(F, params, xt), yt), steps)
    return (median_ms(both, steps) - fwd) / fwd


def _time_here(engine: str, names, steps: int, ratios: bool = False) -> dict:
    if engine == "torch":
        import torch

        torch.set_num_threads(THREADS)
    make = step_torch if engine == "torch" else step_autograd
    out = {}
    for name, (weights, x, y, forward) in make_workloads().items():
        if names and name not in names:
            continue
        if ratios:
            out[name] = backward_forward_ratio(engine, weights, x, y, forward, steps)
        else:
            out[name] = median_ms(make(weights, x, y, forward), steps)
    return out


def run(names=None, steps: int = 30, rounds: int = 3, ratios: bool = False) -> dict:
    """{workload: {"autograd_core": ms, "torch": ms or None}}; engines alternate over
    `rounds` child processes each and the lower median of the rounds is kept. With
    `ratios`, the figures are backward/forward time ratios instead of step times."""
    has_torch = importlib.util.find_spec("torch") is not None
    results = {}
    # One process per engine and workload: a workload's large GEMMs leave OpenBLAS's
    # thread pool running, which slowed the next workload's parallel kernels (CNN
    # forward 3.0 -> 5.4 ms after the MLP ran). A user trains one model per process.
    for name in [n for n in make_workloads() if not names or n in names]:
        ours = [_child("autograd_core", [name], steps, ratios)[name] for _ in range(rounds)]
        theirs = [_child("torch", [name], steps, ratios)[name] for _ in range(rounds)] if has_torch else []
        results[name] = {"autograd_core": min(ours), "torch": min(theirs) if theirs else None}
    return results


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="workload names to run")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--engine", choices=["autograd_core", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ratios", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.engine:  # a child process started by run()
        print(json.dumps(_time_here(args.engine, args.only, args.steps, args.ratios)))
        return {}
    results = run(args.only, args.steps)
    print(f"training step, float32, {THREADS} threads, median of {args.steps} steps (ms)")
    print(f"{'workload':<12}{'autograd_core':>15}{'torch':>10}{'ratio':>8}")
    for name, r in results.items():
        torch_ms = f"{r['torch']:.2f}" if r["torch"] else "-"
        ratio = f"{r['autograd_core'] / r['torch']:.2f}x" if r["torch"] else "-"
        print(f"{name:<12}{r['autograd_core']:>15.2f}{torch_ms:>10}{ratio:>8}")
    return results


if __name__ == "__main__":
    main()
