"""Cold start: import time, and the first training step in a fresh process with an empty
Numba cache (everything compiles) and with a warm one (compiled kernels load from disk).

Each figure is measured inside a new Python process; the kernel cache is pointed at a
fresh temporary folder with NUMBA_CACHE_DIR so "cold" really starts empty.

    python benchmarks/bench_coldstart.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

IMPORT_SNIPPET = """
import json, time
t0 = time.perf_counter()
import autograd_core, nn, optim
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""

TORCH_IMPORT_SNIPPET = """
import json, time
t0 = time.perf_counter()
import torch
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""

FIRST_STEP_SNIPPET = """
import json, sys, time
sys.path.insert(0, {bench!r})
t0 = time.perf_counter()
import autograd_core
import bench_training
weights, x, y, forward = bench_training.make_workloads()[{workload!r}]
step = bench_training.step_autograd(weights, x, y, forward)
step()
print(json.dumps({{"seconds": time.perf_counter() - t0}}))
"""


def run_child(code: str, env: dict | None = None) -> float:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, **(env or {})}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workload", default="cnn", help="bench_training workload for the first step")
    args = parser.parse_args(argv)

    results = {"import_s": statistics.median(run_child(IMPORT_SNIPPET) for _ in range(args.repeats))}
    try:
        results["torch_import_s"] = statistics.median(
            run_child(TORCH_IMPORT_SNIPPET) for _ in range(args.repeats))
    except subprocess.CalledProcessError:
        results["torch_import_s"] = None
    snippet = FIRST_STEP_SNIPPET.format(bench=os.path.join(ROOT, "benchmarks"), workload=args.workload)
    colds, warms = [], []
    for _ in range(max(1, args.repeats // 2)):
        with tempfile.TemporaryDirectory() as cache:
            env = {"NUMBA_CACHE_DIR": cache}
            colds.append(run_child(snippet, env))   # empty cache: compiles every kernel
            warms.append(run_child(snippet, env))   # same cache, new process: loads them
    results["first_step_cold_s"] = statistics.median(colds)
    results["first_step_warm_s"] = statistics.median(warms)

    print(f"cold start (medians, fresh processes; first step = {args.workload} training step)")
    print(f"  import autograd_core, nn, optim   {results['import_s']:.3f} s")
    if results["torch_import_s"] is not None:
        print(f"  import torch (reference)          {results['torch_import_s']:.3f} s")
    print(f"  first step, empty kernel cache    {results['first_step_cold_s']:.2f} s")
    print(f"  first step, warm kernel cache     {results['first_step_warm_s']:.2f} s")
    return results


if __name__ == "__main__":
    main()
