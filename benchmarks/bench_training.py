"""Training-step benchmarks against PyTorch CPU, in one run, same threads, float32.

Workloads (one SGD training step each: forward, cross-entropy, backward, update):
  mlp_b128   MLP 784-256-128-10, ReLU, batch 128
  mlp_b1024  the same MLP, batch 1024
  cnn        (64,1,28,28): Conv2d(1,8,3,p=1)-ReLU-MaxPool2d(2)-Conv2d(8,16,3,p=1)-ReLU-
             MaxPool2d(2)-Flatten-Linear(784,10)
  conv1d     (32,4,256): Conv1d(4,16,5,p=2)-ReLU-MaxPool1d(2)-Conv1d(16,32,5,p=2)-ReLU-
             mean over length-Linear(32,2)
  mobile     (32,3,32,32): Conv2d(3,16,3,s=2,p=1)-ReLU-depthwise Conv2d(16,16,3,p=1,groups=16)-ReLU-
             Conv2d(16,32,1)-ReLU-mean over H,W-Linear(32,10): stride 2, depthwise and grouped work
  gpt        a 2-layer GPT (vocab 64, context 64, width 128, 4 heads, GELU MLP 4x, pre-LayerNorm) on
             a batch of 16 sequences, next-token cross-entropy: batched matmuls, softmax, GELU

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
# The environment as it was before any kernel ran: without the tbb package the kernels set
# OMP_WAIT_POLICY for their own process, and a child timing torch must not inherit that.
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

    mob = {"c1": _init(rng, 16, 3, 3, 3), "cb1": _init(rng, 16), "dw": _init(rng, 16, 1, 3, 3),
           "dwb": _init(rng, 16), "pw": _init(rng, 32, 16, 1, 1), "pwb": _init(rng, 32),
           "w": _init(rng, 10, 32), "b": _init(rng, 10)}

    def mobile_forward(F, p, x):
        h = F.relu(F.conv2d(x, p["c1"], p["cb1"], stride=2, padding=1))
        h = F.relu(F.conv2d(h, p["dw"], p["dwb"], padding=1, groups=16))
        h = F.relu(F.conv2d(h, p["pw"], p["pwb"]))
        return F.linear(h.mean(3).mean(2), p["w"], p["b"])

    work["mobile"] = (mob, rng.standard_normal((32, 3, 32, 32)).astype(np.float32), rng.integers(0, 10, 32),
                      mobile_forward)
    work["gpt"] = _gpt_workload(rng)
    return work


GPT = {"vocab": 64, "context": 64, "width": 128, "heads": 4, "layers": 2, "batch": 16}


def _gpt_workload(rng):
    """A 2-layer GPT from primitives both engines share (linear, matmul, softmax, gelu, reshape,
    transpose, mean); tokens arrive one-hot so that the embedding is a matmul, and the causal mask
    is an additive constant that travels with the input."""
    v, t, c, layers, b = GPT["vocab"], GPT["context"], GPT["width"], GPT["layers"], GPT["batch"]

    def normal(*shape):
        return (0.02 * rng.standard_normal(shape)).astype(np.float32)

    p = {"wte": normal(v, c), "wpe": normal(t, c), "lnfg": np.ones(c, np.float32),
         "lnfb": np.zeros(c, np.float32), "whead": normal(v, c), "bhead": np.zeros(v, np.float32)}
    for i in range(layers):
        p.update({f"ln1g{i}": np.ones(c, np.float32), f"ln1b{i}": np.zeros(c, np.float32),
                  f"ln2g{i}": np.ones(c, np.float32), f"ln2b{i}": np.zeros(c, np.float32),
                  f"wqkv{i}": normal(3 * c, c), f"bqkv{i}": np.zeros(3 * c, np.float32),
                  f"wo{i}": normal(c, c), f"bo{i}": np.zeros(c, np.float32),
                  f"w1{i}": normal(4 * c, c), f"b1{i}": np.zeros(4 * c, np.float32),
                  f"w2{i}": normal(c, 4 * c), f"b2{i}": np.zeros(c, np.float32)})
    tokens = rng.integers(0, v, (b, t + 1))
    onehot = np.eye(v, dtype=np.float32)[tokens[:, :-1].reshape(-1)]
    mask = np.triu(np.full((t, t), -1e9, np.float32), 1)
    return p, (onehot, mask), tokens[:, 1:].reshape(-1), gpt_forward


def gpt_forward(F, p, inputs):
    onehot, mask = inputs
    t, c, heads, b = GPT["context"], GPT["width"], GPT["heads"], GPT["batch"]
    hd = c // heads

    def layer_norm(h, g, beta):
        mu = h.mean(-1, keepdim=True)
        centred = h - mu
        return centred / ((centred * centred).mean(-1, keepdim=True) + 1e-5) ** 0.5 * g + beta

    def split(a):
        return a.reshape(b, t, heads, hd).transpose(1, 2)

    h = (onehot @ p["wte"]).reshape(b, t, c) + p["wpe"]
    for i in range(GPT["layers"]):
        a = layer_norm(h, p[f"ln1g{i}"], p[f"ln1b{i}"])
        qkv = F.linear(a, p[f"wqkv{i}"], p[f"bqkv{i}"])
        q, k, v = split(qkv[:, :, :c]), split(qkv[:, :, c:2 * c]), split(qkv[:, :, 2 * c:])
        att = F.softmax((q @ k.transpose(-2, -1)) * hd ** -0.5 + mask, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        h = h + F.linear(y, p[f"wo{i}"], p[f"bo{i}"])
        m = layer_norm(h, p[f"ln2g{i}"], p[f"ln2b{i}"])
        h = h + F.linear(F.gelu(F.linear(m, p[f"w1{i}"], p[f"b1{i}"])), p[f"w2{i}"], p[f"b2{i}"])
    h = layer_norm(h, p["lnfg"], p["lnfb"])
    return F.linear(h, p["whead"], p["bhead"]).reshape(b * t, GPT["vocab"])


def _inputs(make, x):
    """The input as the engine's tensor(s): a workload's input may be a tuple of arrays."""
    return tuple(make(a) for a in x) if isinstance(x, tuple) else make(x)


def step_autograd(weights, x, y, forward):
    import autograd_core as ag

    F = ag.functional
    params = {k: ag.tensor(v, requires_grad=True) for k, v in weights.items()}
    xt, yt = _inputs(ag.tensor, x), ag.tensor(y)

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
    xt, yt = _inputs(torch.tensor, x), torch.tensor(y)

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


ENGINES = ("autograd_core", "autograd_core_torch", "torch")
# The other order: this project's kernels first, `torch` imported after (`--torch-after`).
TORCH_AFTER = "autograd_core_torch_after"


def _child(engine: str, names, steps: int, ratios: bool = False) -> dict:
    """Time one engine's workloads in a fresh process.

    `autograd_core_torch` is this project with `torch` imported first, as in a notebook that
    compares the two: torch brings its own OpenMP runtime, which Numba's OpenMP layer would share
    (6-8x slower before the kernels chose their threading layer for themselves, 1.2-1.8x with the
    workqueue layer; the same speed with the tbb layer, kernels/_threads.py). The other two never
    import the other engine.
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
        xt, yt = _inputs(torch.tensor, x), torch.tensor(y)
    else:
        import autograd_core as ag

        F = ag.functional
        params = {k: ag.tensor(v, requires_grad=True) for k, v in weights.items()}
        xt, yt = _inputs(ag.tensor, x), ag.tensor(y)

    def both():
        F.cross_entropy(forward(F, params, xt), yt).backward()
        for p in params.values():
            p.grad = None

    fwd = median_ms(lambda: F.cross_entropy(forward(F, params, xt), yt), steps)
    return (median_ms(both, steps) - fwd) / fwd


def _time_here(engine: str, names, steps: int, ratios: bool = False) -> dict:
    if engine in ("torch", "autograd_core_torch"):
        import torch

        torch.set_num_threads(THREADS)
    make = step_torch if engine == "torch" else step_autograd
    out = {}
    for name, (weights, x, y, forward) in make_workloads().items():
        if names and name not in names:
            continue
        if ratios:
            ratio_engine = "torch" if engine == "torch" else "autograd_core"
            out[name] = backward_forward_ratio(ratio_engine, weights, x, y, forward, steps)
        else:
            step = make(weights, x, y, forward)
            if engine == TORCH_AFTER:  # the kernels' threads are running when torch arrives
                step()
                import torch

                torch.set_num_threads(THREADS)
            out[name] = median_ms(step, steps)
    return out


def run(names=None, steps: int = 20, rounds: int = 5, ratios: bool = False, engines=ENGINES) -> dict:
    """{workload: {engine: [ms per round]}}, each figure the median of `steps` steps in a fresh
    process. Rounds are interleaved (every engine once per round, the order rotating), so that the
    drift of a shared machine lands on all engines alike; compare engines within a round. With
    `ratios`, backward/forward time ratios instead of step times."""
    has_torch = importlib.util.find_spec("torch") is not None
    engines = [e for e in engines if has_torch or "torch" not in e]
    results = {}
    # One process per engine and workload: a workload's large GEMMs leave OpenBLAS's
    # thread pool running, which slowed the next workload's parallel kernels (CNN
    # forward 3.0 -> 5.4 ms after the MLP ran). A user trains one model per process.
    for name in [n for n in make_workloads() if not names or n in names]:
        per = {e: [] for e in engines}
        for r in range(rounds):
            order = engines[r % len(engines):] + engines[:r % len(engines)]
            for engine in order:
                per[engine].append(_child(engine, [name], steps, ratios)[name])
        results[name] = per
    return results


def spread(values) -> dict:
    """min / median / max of a list of figures."""
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def round_ratios(a, b) -> dict:
    """min / median / max over rounds of a[i] / b[i]."""
    return spread([x / y for x, y in zip(a, b)])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="workload names to run")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--torch-after", action="store_true",
                        help="also time the project with torch imported after its first step")
    parser.add_argument("--engine", choices=ENGINES + (TORCH_AFTER,), help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ratios", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.engine:  # a child process started by run()
        print(json.dumps(_time_here(args.engine, args.only, args.steps, args.ratios)))
        return {}
    results = run(args.only, args.steps, args.rounds, engines=ENGINES + ((TORCH_AFTER,) if args.torch_after else ()))
    print(f"training step, float32, {THREADS} threads, median of {args.steps} steps per process, "
          f"{args.rounds} interleaved rounds: ratio min / median / max over rounds")
    print(f"{'workload':<12}{'ours ms':>9}{'torch ms':>10}{'ours/torch':>22}{'torch-first/solo':>22}"
          + (f"{'torch-after/solo':>22}" if args.torch_after else ""))
    for name, r in results.items():
        ours = statistics.median(r["autograd_core"])
        line = f"{name:<12}{ours:>9.2f}"
        if "torch" in r:
            vs = round_ratios(r["autograd_core"], r["torch"])
            first = round_ratios(r["autograd_core_torch"], r["autograd_core"])
            line += (f"{statistics.median(r['torch']):>10.2f}"
                     f"{vs['min']:>10.2f}/{vs['median']:.2f}/{vs['max']:.2f}"
                     f"{first['min']:>10.2f}/{first['median']:.2f}/{first['max']:.2f}")
        if TORCH_AFTER in r:
            after = round_ratios(r[TORCH_AFTER], r["autograd_core"])
            line += f"{after['min']:>10.2f}/{after['median']:.2f}/{after['max']:.2f}"
        print(line)
    return results


if __name__ == "__main__":
    main()
