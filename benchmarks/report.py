"""The whole benchmark report in one command: every workload, this project against PyTorch
CPU in the same run (same threads, float32, medians after warm-up), and NumPy's own matmul
throughput as the machine's reference.

    python benchmarks/report.py            # writes benchmarks/RESULTS.md and the README's table
    python benchmarks/report.py --quick    # fewer steps, for a smoke run

Absolute times drift on shared machines; the ratios taken in one run are the figures to read.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import pathlib
import platform
import re
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import bench_coldstart  # noqa: E402
import bench_overhead  # noqa: E402
import bench_rnn  # noqa: E402
import bench_training  # noqa: E402

import autograd_core as ag  # noqa: E402

THREADS = bench_training.THREADS


def _median_s(fn, runs: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def numpy_gemm_gflops(n: int = 1024, runs: int = 20) -> float:
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((n, n)).astype(np.float32)
    return 2 * n**3 / _median_s(lambda: a @ b, runs) / 1e9


def _matmul_row(m: int, k: int, n: int, runs: int) -> dict:
    rng = np.random.default_rng(0)
    a0 = rng.standard_normal((m, k)).astype(np.float32)
    b0 = rng.standard_normal((k, n)).astype(np.float32)
    g0 = np.ones((m, n), dtype=np.float32)
    a, b = ag.tensor(a0, requires_grad=True), ag.tensor(b0, requires_grad=True)

    def ours():
        (a @ b).backward(g0)
        a.grad = b.grad = None

    def numpy_only():
        a0 @ b0
        g0 @ b0.T
        a0.T @ g0

    # Alternate the two so that drift of a shared host hits both alike.
    for _ in range(3):
        ours()
        numpy_only()
    ours_t, np_t = [], []
    for _ in range(runs):
        for fn, times in ((ours, ours_t), (numpy_only, np_t)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    flops = 3 * 2 * m * k * n
    ours_s, np_s = statistics.median(ours_t), statistics.median(np_t)
    return {"shape": f"({m},{k})@({k},{n})", "ours_gflops": flops / ours_s / 1e9,
            "numpy_gflops": flops / np_s / 1e9, "fraction": np_s / ours_s}


def matmul_efficiency(runs: int) -> list[dict]:
    """The library's matmul forward + backward against the same three GEMMs in NumPy."""
    shapes = ((128, 784, 256), (1024, 784, 256), (1024, 256, 128))
    return [_matmul_row(m, k, n, 3 * runs) for m, k, n in shapes]


def backward_forward_ratio(steps: int) -> dict:
    """Backward time / forward time of a training step (MLP b128, CNN), each engine in
    its own process like the step times."""
    rows = bench_training.run(["mlp_b128", "cnn"], steps, ratios=True)
    return {name: {"ours": r["autograd_core"], "torch": r["torch"]} for name, r in rows.items()}


RNN_VARIANTS = ("autograd-core nn.RNN", "torch loop (matmuls)", "torch nn.RNN (fused)")


def rnn_variant_ms(name: str, steps: int) -> float:
    """One RNN variant's median ms per training step, timed in this process."""
    x0, y0 = bench_rnn.data()
    if name.startswith("torch"):
        import torch

        torch.set_num_threads(THREADS)
        _, matmul_loop, fused = bench_rnn.torch_steps(x0, y0)
        step = matmul_loop if "matmuls" in name else fused
    else:
        step = bench_rnn.ours_rnn(x0, y0)
    return bench_rnn.run({name: step}, steps)[name][0]


def rnn_in_children(steps: int, rounds: int = 3) -> dict:
    """Each variant in its own process (as bench_training does, and for the same reason)."""
    has_torch = importlib.util.find_spec("torch") is not None
    out = {}
    for name in RNN_VARIANTS:
        if name.startswith("torch") and not has_torch:
            continue
        cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--rnn-variant", name,
               "--steps", str(steps)]
        runs = [float(subprocess.run(cmd, capture_output=True, text=True, check=True,
                                     env=bench_training.CHILD_ENV).stdout.split()[-1])
                for _ in range(rounds)]
        out[name] = (min(runs),)
    return out


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for mod in ("numba", "torch"):
        try:
            versions[mod] = __import__(mod).__version__
        except ImportError:
            versions[mod] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "threads": THREADS, "versions": versions,
            "date": datetime.date.today().isoformat()}


def ratio(a, b) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "-"


def render(r: dict) -> str:
    m = r["machine"]
    v = m["versions"]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores), {m['threads']} threads for both "
        f"engines; Python {v['python']}, NumPy {v['numpy']}, Numba {v['numba']}, PyTorch {v['torch']} "
        "(CPU). float32; medians after warm-up; ratio = autograd-core / PyTorch (lower is better).",
        "",
        f"NumPy sgemm 1024³: **{r['gemm']:.0f} GFLOP/s** (the machine's reference).",
        "",
        "| workload | autograd-core | PyTorch | ratio |",
        "|---|---:|---:|---:|",
    ]
    ov = r["overhead"]
    torch_key = next((k for k in ov if k.startswith("torch")), None)
    lines.append(f"| per-op overhead, 1,000-op chain on (4,4), fwd+bwd (µs/op) | "
                 f"{ov['autograd_core']:.2f} | {ov[torch_key]:.2f} | "
                 f"{ratio(ov['autograd_core'], ov[torch_key])} |" if torch_key else
                 f"| per-op overhead (µs/op) | {ov['autograd_core']:.2f} | - | - |")
    labels = {"mlp_b128": "MLP 784-256-128-10, batch 128 (ms/step)",
              "mlp_b1024": "MLP 784-256-128-10, batch 1024 (ms/step)",
              "cnn": "CNN on (64,1,28,28) (ms/step)", "conv1d": "Conv1d net on (32,4,256) (ms/step)"}
    for name, row in r["training"].items():
        t = f"{row['torch']:.2f}" if row["torch"] else "-"
        lines.append(f"| {labels[name]} | {row['autograd_core']:.2f} | {t} | "
                     f"{ratio(row['autograd_core'], row['torch'])} |")
    rnn = r["rnn"]
    ours = rnn["autograd-core nn.RNN"][0]
    pairs = (("torch loop (matmuls)", "hand-unrolled loop"), ("torch nn.RNN (fused)", "fused nn.RNN"))
    for key, label in pairs:
        if key in rnn:
            lines.append(f"| Elman RNN 32→128, 50 steps, batch 32 vs torch {label} (ms/step) | "
                         f"{ours:.2f} | {rnn[key][0]:.2f} | {ratio(ours, rnn[key][0])} |")
    for name, row in r["bwd_fwd"].items():
        t = f"{row['torch']:.2f}" if row["torch"] is not None else "-"
        lines.append(f"| backward / forward time, {name} | {row['ours']:.2f} | {t} | "
                     f"{ratio(row['ours'], row['torch'])} |")
    cs = r["cold"]
    ti = f"{cs['torch_import_s']:.2f}" if cs.get("torch_import_s") else "-"
    lines += [
        f"| import autograd_core, nn, optim / import torch (s) | {cs['import_s']:.2f} | {ti} | "
        f"{ratio(cs['import_s'], cs.get('torch_import_s'))} |",
        f"| first CNN step, empty kernel cache (s) | {cs['first_step_cold_s']:.2f} | - | - |",
        f"| first CNN step, warm kernel cache (s) | {cs['first_step_warm_s']:.2f} | - | - |",
        "",
        "Matmul forward + backward (three GEMMs) against the same GEMMs in NumPy:",
        "",
        "| shape | autograd-core GFLOP/s | NumPy GFLOP/s | fraction of NumPy |",
        "|---|---:|---:|---:|",
    ]
    for row in r["matmul"]:
        lines.append(f"| {row['shape']} | {row['ours_gflops']:.1f} | {row['numpy_gflops']:.1f} | "
                     f"{row['fraction']:.0%} |")
    lines += ["", "Re-run with `python benchmarks/report.py`."]
    return "\n".join(lines) + "\n"


def update_readme(table: str) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    block = "<!-- bench:start -->\n" + table + "<!-- bench:end -->"
    if "<!-- bench:start -->" in text:
        text = re.sub(r"<!-- bench:start -->.*?<!-- bench:end -->", lambda _: block, text, flags=re.S)
        readme.write_text(text)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    parser.add_argument("--no-readme", action="store_true", help="leave README.md alone")
    parser.add_argument("--rnn-variant", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=30, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rnn_variant:  # a child process started by rnn_in_children()
        print(rnn_variant_ms(args.rnn_variant, args.steps))
        return {}
    steps = 8 if args.quick else 30
    # torch is imported only where it is timed (children, the overhead chain), so that it
    # does not share this process's thread pools while the matmul figures are taken.
    results = {"machine": machine()}
    print("numpy gemm ...", flush=True)
    results["gemm"] = numpy_gemm_gflops(runs=5 if args.quick else 20)
    print("matmul efficiency ...", flush=True)
    results["matmul"] = matmul_efficiency(steps)
    print("per-op overhead ...", flush=True)
    results["overhead"] = bench_overhead.main(["--repeats", str(max(5, steps))])["us_per_op"]
    print("training steps ...", flush=True)
    results["training"] = bench_training.run(steps=max(20, steps))
    print("RNN ...", flush=True)
    results["rnn"] = rnn_in_children(max(20, steps))
    print("backward / forward ratio ...", flush=True)
    results["bwd_fwd"] = backward_forward_ratio(max(20, steps))
    print("cold start ...", flush=True)
    results["cold"] = bench_coldstart.main(["--repeats", "3" if args.quick else "5"])

    text = render(results)
    (HERE / "RESULTS.md").write_text(text)
    if not args.no_readme:
        update_readme(text.split("\n", 2)[2])  # the README has its own heading
    print(text)
    return results


if __name__ == "__main__":
    main()
