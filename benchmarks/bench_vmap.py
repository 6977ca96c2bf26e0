"""Per-example gradients: `vmap(grad(loss), in_dims=(None, 0, 0))` of an MLP 64-128-10
with cross-entropy, 256 examples, float32, against a Python loop over the examples and
against torch.func.vmap, all in the same process and with the same threads.

    python benchmarks/bench_vmap.py
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

EXAMPLES = 256


def _setup(lib):
    rng = np.random.default_rng(0)
    model = lib.nn.Sequential(lib.nn.Linear(64, 128), lib.nn.ReLU(), lib.nn.Linear(128, 10))
    params = {k: v.detach() for k, v in model.named_parameters()}
    x = lib.tensor(rng.standard_normal((EXAMPLES, 64)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, EXAMPLES))

    def loss(p, xi, yi):
        out = lib.func.functional_call(model, p, (xi.unsqueeze(0),))
        return lib.nn.functional.cross_entropy(out, yi.unsqueeze(0))

    return params, x, y, loss


def _median_ms(fn, rounds: int) -> float:
    fn()  # warm up (kernels compile on first use)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def vmap_ms(lib, rounds: int = 15) -> float:
    params, x, y, loss = _setup(lib)
    per_example = lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))
    return _median_ms(lambda: per_example(params, x, y), rounds)


def loop_ms(lib, rounds: int = 5) -> float:
    """The same gradients one example at a time, stacked: what vmap has to beat."""
    params, x, y, loss = _setup(lib)
    g = lib.func.grad(loss)

    def run():
        grads = [g(params, x[i], y[i]) for i in range(EXAMPLES)]
        return {k: lib.stack([d[k] for d in grads]) for k in params}

    return _median_ms(run, rounds)


def main() -> dict:
    import autograd_core
    from autograd_core._vmap import batched

    before = batched.stats["fallback"]
    result = {"autograd_core": {"vmap": vmap_ms(autograd_core), "loop": loop_ms(autograd_core)}}
    assert batched.stats["fallback"] == before, f"vmap fell back to its loop: {batched.stats['last_reason']}"
    try:
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        result["torch"] = {"vmap": vmap_ms(torch), "loop": loop_ms(torch)}
    except ImportError:
        result["torch"] = None
    ours = result["autograd_core"]
    print(f"per-example gradients, {EXAMPLES} examples, MLP 64-128-10, cross-entropy (median ms)")
    print(f"  autograd_core  vmap {ours['vmap']:7.2f}   loop {ours['loop']:7.2f}   "
          f"loop/vmap {ours['loop'] / ours['vmap']:.1f}x")
    if result["torch"]:
        theirs = result["torch"]
        print(f"  torch          vmap {theirs['vmap']:7.2f}   loop {theirs['loop']:7.2f}   "
              f"loop/vmap {theirs['loop'] / theirs['vmap']:.1f}x")
        print(f"  autograd_core vmap / torch vmap: {ours['vmap'] / theirs['vmap']:.2f}x")
    return result


if __name__ == "__main__":
    main()
