"""Time every kernel: Numba vs its plain-NumPy twin (kernels/reference.py) vs PyTorch.

float32, PyTorch held to Numba's thread count. Each number is the median of repeated runs after a
warm-up call (which compiles, or loads numba's cache); each implementation runs as one block, with a
pause between blocks so that the previous block's spinning OpenMP/BLAS threads go idle first. On a
shared machine another process taking a core stalls a 2-thread parallel region for a whole time
slice (the 8 ms steps you may see), so every row is measured in `--rounds` rounds and the smallest
median is kept. PyTorch's backward is `torch.autograd.grad` on a retained graph, so it includes
autograd's per-call overhead (~10-30 us).

    python benchmarks/bench_kernels.py                 # every family
    python benchmarks/bench_kernels.py conv pool       # some: activations softmax conv pool dropout mix
    python benchmarks/bench_kernels.py --quick         # fewer sizes, shorter budget
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograd_core.kernels import activations, conv, dropout, pool, reference, softmax  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the table then has no torch column
    torch = None

FAMILIES = ["activations", "softmax", "conv", "pool", "dropout", "mix"]


def median_ms(fn, budget_s: float, min_runs: int = 5, max_runs: int = 300) -> float:
    fn()  # warm-up: compiles or loads the cache
    times, start = [], time.perf_counter()
    while len(times) < min_runs or (len(times) < max_runs and time.perf_counter() - start < budget_s):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    time.sleep(0.05)  # let this block's spinning threads go idle before the next block
    return statistics.median(times) * 1e3


def _tensor(a, requires_grad=False):
    return torch.from_numpy(a).requires_grad_(requires_grad)


def _torch_backward(forward, inputs, grad):
    """A callable running only the backward of forward(*inputs), on a retained graph."""
    tensors = [_tensor(a, requires_grad=True) for a in inputs]
    out = forward(*tensors)
    return partial(torch.autograd.grad, out, tensors, _tensor(grad), retain_graph=True)


def _torch_forward_backward(forward, inputs, grad):
    tensors = [_tensor(a, requires_grad=True) for a in inputs]

    def run():
        return torch.autograd.grad(forward(*tensors), tensors, _tensor(grad))

    return run


def _both(first, second):
    def run():
        first()
        second()

    return run


class Table:
    def __init__(self, budget_s: float, rounds: int):
        self.budget_s, self.rounds = budget_s, rounds
        print(f"{'kernel':30s} {'size':>24s} {'numba ms':>10s} {'numpy ms':>10s} {'torch ms':>10s} "
              f"{'numba/torch':>12s}")

    def row(self, name, size, ours, twin=None, theirs=None):
        """Times the three callables (None: not applicable) and prints one line; returns (ours, theirs)."""
        best = [float("inf")] * 3
        for _ in range(self.rounds):
            for k, fn in enumerate((ours, twin, theirs)):
                if fn is not None:
                    best[k] = min(best[k], median_ms(fn, self.budget_s))
        t_ours, t_twin, t_theirs = (t if t != float("inf") else float("nan") for t in best)
        ratio = f"{t_ours / t_theirs:12.2f}" if theirs is not None else ""
        print(f"{name:30s} {size:>24s} {t_ours:10.3f} {t_twin:10.3f} {t_theirs:10.3f} {ratio}", flush=True)
        return t_ours, t_theirs


# ---- families ------------------------------------------------------------------------------------

ACTIVATION_PARAMS = {"leaky_relu": {"slope": 0.01}, "softplus": {"beta": 1.0, "threshold": 20.0}}


def _torch_activation(name):
    return {
        "relu": F.relu, "leaky_relu": partial(F.leaky_relu, negative_slope=0.01), "sigmoid": torch.sigmoid,
        "tanh": torch.tanh, "gelu": F.gelu, "softplus": F.softplus,
    }[name]


def bench_activations(table, sizes):
    rng = np.random.default_rng(0)
    for name in ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softplus"]:
        p = ACTIVATION_PARAMS.get(name, {})
        forward, backward = getattr(activations, f"{name}_forward"), getattr(activations, f"{name}_backward")
        twin_forward = getattr(reference, f"{name}_forward")
        twin_backward = getattr(reference, f"{name}_backward")
        for n in sizes:
            x = (rng.standard_normal(n) * 3).astype(np.float32)
            g = rng.standard_normal(n).astype(np.float32)
            a = forward(x, **p) if name in ("sigmoid", "tanh") else x  # what the backward takes
            theirs_f = theirs_b = None
            if torch is not None:
                theirs_f = partial(_torch_activation(name), _tensor(x))
                theirs_b = _torch_backward(_torch_activation(name), [x], g)
            table.row(f"{name}_forward", f"{n:.0e}", partial(forward, x, **p), partial(twin_forward, x, **p),
                      theirs_f)
            table.row(f"{name}_backward", f"{n:.0e}", partial(backward, a, g, **p),
                      partial(twin_backward, a, g, **p), theirs_b)


def bench_softmax(table, shapes):
    rng = np.random.default_rng(1)
    for rows, cols in shapes:
        x = (rng.standard_normal((rows, cols)) * 3).astype(np.float32)
        g = rng.standard_normal((rows, cols)).astype(np.float32)
        size = f"({rows}, {cols})"
        for name in ["softmax", "log_softmax"]:
            forward, backward = getattr(softmax, f"{name}_forward"), getattr(softmax, f"{name}_backward")
            y = forward(x)
            theirs_f = theirs_b = None
            if torch is not None:
                fn = partial(getattr(torch, name), dim=-1)
                theirs_f, theirs_b = partial(fn, _tensor(x)), _torch_backward(fn, [x], g)
            twin_forward = getattr(reference, f"{name}_forward")
            table.row(f"{name}_forward", size, partial(forward, x), partial(twin_forward, x), theirs_f)
            table.row(f"{name}_backward", size, partial(backward, y, g),
                      partial(getattr(reference, f"{name}_backward"), y, g), theirs_b)
        target = rng.integers(0, cols, rows)
        rows_grad = np.full(rows, 1.0 / rows, np.float32)
        _, log_probs = softmax.cross_entropy_forward(x, target, 0.1)
        theirs_f = theirs_b = None
        if torch is not None:
            fn = partial(F.cross_entropy, target=torch.from_numpy(target), reduction="none",
                         label_smoothing=0.1)
            theirs_f, theirs_b = partial(fn, _tensor(x)), _torch_backward(fn, [x], rows_grad)
        table.row("cross_entropy_forward", size, partial(softmax.cross_entropy_forward, x, target, 0.1),
                  partial(reference.cross_entropy_forward, x, target, 0.1), theirs_f)
        table.row("cross_entropy_backward", size,
                  partial(softmax.cross_entropy_backward, log_probs, target, 0.1, rows_grad),
                  partial(reference.cross_entropy_backward, log_probs, target, 0.1, rows_grad), theirs_b)


CONV_LAYERS = [  # (label, x shape, w shape, stride, padding[, groups])
    ("Conv2d(1->8,3,p=1)", (64, 1, 28, 28), (8, 1, 3, 3), 1, 1),
    ("Conv2d(8->16,3,p=1)", (64, 8, 14, 14), (16, 8, 3, 3), 1, 1),
    ("Conv2d(1->8,3,p=1)", (64, 1, 14, 14), (8, 1, 3, 3), 1, 1),
    ("Conv2d(8->16,3,p=1)", (64, 8, 28, 28), (16, 8, 3, 3), 1, 1),
    ("Conv1d(4->16,5,p=2)", (32, 4, 256), (16, 4, 5), 1, 2),
    ("Conv1d(16->32,5,p=2)", (32, 16, 128), (32, 16, 5), 1, 2),
    ("Conv2d(8->16,3,s=2,p=1)", (64, 8, 28, 28), (16, 8, 3, 3), 2, 1),
    # the layers of bench_training's `mobile` net, and a grouped and a larger depthwise layer
    ("Conv2d(3->16,3,s=2,p=1)", (32, 3, 32, 32), (16, 3, 3, 3), 2, 1),
    ("Conv2d(16,3,p=1,g=16)", (32, 16, 16, 16), (16, 1, 3, 3), 1, 1, 16),
    ("Conv2d(16->32,1)", (32, 16, 16, 16), (32, 16, 1, 1), 1, 0),
    ("Conv2d(16->32,3,p=1,g=4)", (64, 16, 14, 14), (32, 4, 3, 3), 1, 1, 4),
    ("Conv2d(32,3,p=1,g=32)", (64, 32, 28, 28), (32, 1, 3, 3), 1, 1, 32),
]


def bench_conv(table, layers):
    rng = np.random.default_rng(2)
    totals = []
    for label, x_shape, w_shape, stride, padding, *rest in layers:
        groups = rest[0] if rest else 1
        nd = len(x_shape) - 2
        forward, backward = getattr(conv, f"conv{nd}d_forward"), getattr(conv, f"conv{nd}d_backward")
        twin_forward = getattr(reference, f"conv{nd}d_forward")
        twin_backward = getattr(reference, f"conv{nd}d_backward")
        x = rng.standard_normal(x_shape).astype(np.float32)
        w = (rng.standard_normal(w_shape) * 0.1).astype(np.float32)
        b = rng.standard_normal(w_shape[0]).astype(np.float32)
        g = rng.standard_normal(forward(x, w, b, stride, padding, 1, groups).shape).astype(np.float32)
        size = "x" + str(x_shape).replace(" ", "")
        ours_f = partial(forward, x, w, b, stride, padding, 1, groups)
        ours_b = partial(backward, x, w, g, stride, padding, 1, groups=groups)
        twin_f = partial(twin_forward, x, w, b, stride, padding, 1, groups)
        twin_b = partial(twin_backward, x, w, g, stride, padding, 1, groups=groups)
        theirs_f = theirs_b = theirs_fb = None
        if torch is not None:
            fn = partial(getattr(F, f"conv{nd}d"), stride=stride, padding=padding, groups=groups)
            theirs_f = partial(fn, _tensor(x), _tensor(w), _tensor(b))
            theirs_b = _torch_backward(fn, [x, w, b], g)
            theirs_fb = _torch_forward_backward(fn, [x, w, b], g)
        table.row(f"{label} fwd", size, ours_f, twin_f, theirs_f)
        table.row(f"{label} bwd", size, ours_b, twin_b, theirs_b)
        totals.append((label, size, *table.row(f"{label} fwd+bwd", size, _both(ours_f, ours_b),
                                               _both(twin_f, twin_b), theirs_fb)))
    return totals


def bench_pool(table, quick):
    rng = np.random.default_rng(3)
    cases = [((64, 8, 28, 28), 2, None, 0), ((64, 16, 14, 14), 2, None, 0), ((64, 8, 28, 28), 3, 2, 1)]
    for shape, k, s, p in cases[:2] if quick else cases:
        x = rng.standard_normal(shape).astype(np.float32)
        size = f"x{shape} k{k} s{s} p{p}".replace(" ", "")
        y, argmax = pool.max_pool2d_forward(x, k, s, p)
        g = rng.standard_normal(y.shape).astype(np.float32)
        theirs = {}
        if torch is not None:
            # with indices, as a training forward needs them (without, PyTorch takes a SIMD path)
            max_f = partial(F.max_pool2d, kernel_size=k, stride=s, padding=p, return_indices=True)
            max_fn = partial(F.max_pool2d, kernel_size=k, stride=s, padding=p)
            avg_fn = partial(F.avg_pool2d, kernel_size=k, stride=s, padding=p)
            theirs = {"max_f": partial(max_f, _tensor(x)), "max_b": _torch_backward(max_fn, [x], g),
                      "avg_f": partial(avg_fn, _tensor(x)), "avg_b": _torch_backward(avg_fn, [x], g)}
        table.row("max_pool2d_forward", size, partial(pool.max_pool2d_forward, x, k, s, p),
                  partial(reference.max_pool2d_forward, x, k, s, p), theirs.get("max_f"))
        table.row("max_pool2d_backward", size, partial(pool.max_pool2d_backward, g, argmax, x.shape),
                  partial(reference.max_pool2d_backward, g, argmax, x.shape), theirs.get("max_b"))
        table.row("avg_pool2d_forward", size, partial(pool.avg_pool2d_forward, x, k, s, p),
                  partial(reference.avg_pool2d_forward, x, k, s, p), theirs.get("avg_f"))
        table.row("avg_pool2d_backward", size, partial(pool.avg_pool2d_backward, g, x.shape, k, s, p),
                  partial(reference.avg_pool2d_backward, g, x.shape, k, s, p), theirs.get("avg_b"))
    x = rng.standard_normal((32, 16, 256)).astype(np.float32)
    y, argmax = pool.max_pool1d_forward(x, 2)
    g = np.ones_like(y)
    theirs_f = theirs_b = None
    if torch is not None:
        fn = partial(F.max_pool1d, kernel_size=2)
        theirs_f = partial(F.max_pool1d, _tensor(x), kernel_size=2, return_indices=True)
        theirs_b = _torch_backward(fn, [x], g)
    size = "x(32,16,256) k2"
    table.row("max_pool1d_forward", size, partial(pool.max_pool1d_forward, x, 2),
              partial(reference.max_pool1d_forward, x, 2), theirs_f)
    table.row("max_pool1d_backward", size, partial(pool.max_pool1d_backward, g, argmax, x.shape),
              partial(reference.max_pool1d_backward, g, argmax, x.shape), theirs_b)


def bench_dropout(table, sizes):
    rng = np.random.default_rng(4)
    for n in sizes:
        x = rng.standard_normal(n).astype(np.float32)
        _, mask = dropout.dropout_forward(x, 0.5, rng)
        theirs_f = theirs_b = None
        if torch is not None:
            fn = partial(F.dropout, p=0.5, training=True)
            theirs_f, theirs_b = partial(fn, _tensor(x)), _torch_backward(fn, [x], x)
        # the kernel is plain NumPy already (reference re-exports it): no separate numpy column
        ours_f = partial(dropout.dropout_forward, x, 0.5, rng)
        table.row("dropout_forward", f"{n:.0e}", ours_f, None, theirs_f)
        table.row("dropout_backward", f"{n:.0e}", partial(dropout.dropout_backward, x, mask), None, theirs_b)


def bench_mix(budget_s):
    """A parallel kernel followed by a NumPy (OpenBLAS) matmul, as in max_pool -> flatten -> Linear."""
    rng = np.random.default_rng(5)
    h = rng.standard_normal((64, 512)).astype(np.float32)
    w = rng.standard_normal((512, 512)).astype(np.float32)
    x = rng.standard_normal((64, 8, 28, 28)).astype(np.float32)
    matmul, pooling = partial(np.matmul, h, w), partial(pool.max_pool2d_forward, x, 2)
    print("\na parallel Numba kernel, then a BLAS matmul (64x512 @ 512x512), median ms:")
    print(f"  matmul alone {median_ms(matmul, budget_s):.3f}, "
          f"max_pool2d alone {median_ms(pooling, budget_s):.3f}, "
          f"max_pool2d then matmul {median_ms(_both(pooling, matmul), budget_s):.3f} "
          f"(numba threading layer: {_threading_layer()})")


def _threading_layer():
    import numba

    try:
        return numba.threading_layer()
    except ValueError:
        return "not started"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("families", nargs="*", help=f"any of {FAMILIES} (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer sizes, shorter timing budget")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per row; the smallest median is kept")
    args = parser.parse_args()
    unknown = set(args.families) - set(FAMILIES)
    if unknown:
        parser.error(f"unknown families {sorted(unknown)}; choose from {FAMILIES}")
    families = args.families or FAMILIES
    budget_s = 0.1 if args.quick else 0.2

    import numba

    threads = numba.get_num_threads()
    header = f"numba {numba.__version__}, {threads} threads; numpy {np.__version__}"
    if torch is not None:
        torch.set_num_threads(threads)
        header += f"; torch {torch.__version__}, {torch.get_num_threads()} threads"
    print(f"{header}; float32; ms = the smallest of {args.rounds} medians; "
          f"load average {os.getloadavg()[0]:.2f}\n")
    table = Table(budget_s, args.rounds)
    sizes = [1_000, 100_000] if args.quick else [1_000, 10_000, 100_000, 1_000_000]
    if "activations" in families:
        bench_activations(table, sizes)
    if "softmax" in families:
        bench_softmax(table, [(64, 10), (256, 1000)] if args.quick else [(64, 10), (256, 1000), (1024, 1000)])
    totals = bench_conv(table, CONV_LAYERS[:2] if args.quick else CONV_LAYERS) if "conv" in families else []
    if "pool" in families:
        bench_pool(table, args.quick)
    if "dropout" in families:
        bench_dropout(table, sizes)
    if totals and torch is not None:
        print("\nconv layers, forward + backward (dx, dw, db):")
        for label, size, ours, theirs in totals:
            print(f"  {label:24s} {size:16s} numba {ours:7.3f} ms  torch {theirs:7.3f} ms  "
                  f"ratio {ours / theirs:.2f}")
    if "mix" in families:
        bench_mix(budget_s)


if __name__ == "__main__":
    main()
