"""GPT training-step benchmark against PyTorch CPU, in one run, same threads, float32.

The workload: a character-level decoder-only Transformer, 2 blocks, d_model 128, 4 heads,
context 64, batch 16, vocabulary 65 (token + position embeddings, pre-LayerNorm blocks,
GELU MLP of width 512, tied output head); one step = forward, cross-entropy, backward,
AdamW update. Two builds per engine, the same code for both engines:

  gpt_modules     nn.Embedding + nn.TransformerEncoderLayer(norm_first=True, activation='gelu')
  gpt_primitives  a dict of weights and functional ops: linear, matmul, masked_fill, softmax,
                  layer norm from mean/var, gelu

Each engine runs in its own fresh process (see bench_training._child for why), alternating
over `--rounds`; the lower median of the rounds is kept.

    python benchmarks/bench_gpt.py                  # table of medians, ms per step
    python benchmarks/bench_gpt.py --profile        # where our step spends its time
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
CHILD_ENV = dict(os.environ)
VOCAB, D, HEADS, LAYERS, CONTEXT, BATCH = 65, 128, 4, 2, 64, 16


def _libs(engine: str):
    """(lib, nn, optim, F) for the engine: torch or autograd_core under the same names."""
    if engine == "torch":
        import torch

        return torch, torch.nn, torch.optim, torch.nn.functional
    import autograd_core as ag
    import nn
    import optim

    return ag, nn, optim, ag.functional


def build_modules(lib, nn):
    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(VOCAB, D)
            self.pos = nn.Embedding(CONTEXT, D)
            self.blocks = nn.ModuleList([
                nn.TransformerEncoderLayer(D, HEADS, 4 * D, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True) for _ in range(LAYERS)])
            self.ln_f = nn.LayerNorm(D)
            self.head = nn.Linear(D, VOCAB, bias=False)
            self.head.weight = self.tok.weight

        def forward(self, idx):
            t = idx.shape[1]
            x = self.tok(idx) + self.pos(lib.arange(t))
            mask = nn.Transformer.generate_square_subsequent_mask(t)
            for block in self.blocks:
                x = block(x, src_mask=mask, is_causal=True)
            return self.head(self.ln_f(x))

    return GPT()


def primitive_weights(rng) -> dict:
    def u(*shape):
        bound = 1.0 / math.sqrt(shape[-1])
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    w = {"tok": (0.02 * rng.standard_normal((VOCAB, D))).astype(np.float32),
         "pos": (0.02 * rng.standard_normal((CONTEXT, D))).astype(np.float32),
         "lnf_w": np.ones(D, np.float32), "lnf_b": np.zeros(D, np.float32)}
    for i in range(LAYERS):
        w.update({f"{i}.ln1_w": np.ones(D, np.float32), f"{i}.ln1_b": np.zeros(D, np.float32),
                  f"{i}.qkv_w": u(3 * D, D), f"{i}.qkv_b": np.zeros(3 * D, np.float32),
                  f"{i}.proj_w": u(D, D), f"{i}.proj_b": np.zeros(D, np.float32),
                  f"{i}.ln2_w": np.ones(D, np.float32), f"{i}.ln2_b": np.zeros(D, np.float32),
                  f"{i}.fc_w": u(4 * D, D), f"{i}.fc_b": np.zeros(4 * D, np.float32),
                  f"{i}.out_w": u(D, 4 * D), f"{i}.out_b": np.zeros(D, np.float32)})
    return w


def primitive_forward(lib, F, p, idx, blocked):
    """The same network from functional ops only; `blocked` is the bool mask above the diagonal."""
    def layer_norm(x, w, b):
        mu = x.mean(-1, keepdim=True)
        xc = x - mu
        return xc * ((xc * xc).mean(-1, keepdim=True) + 1e-5) ** -0.5 * w + b

    n, t = idx.shape
    hd = D // HEADS
    x = p["tok"][idx] + p["pos"][:t]
    for i in range(LAYERS):
        h = F.linear(layer_norm(x, p[f"{i}.ln1_w"], p[f"{i}.ln1_b"]), p[f"{i}.qkv_w"], p[f"{i}.qkv_b"])
        q, k, v = (a.reshape(n, t, HEADS, hd).permute(0, 2, 1, 3) for a in h.split(D, dim=-1))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        att = F.softmax(att.masked_fill(blocked, float("-inf")), dim=-1)
        y = (att @ v).permute(0, 2, 1, 3).reshape(n, t, D)
        x = x + F.linear(y, p[f"{i}.proj_w"], p[f"{i}.proj_b"])
        h = F.gelu(F.linear(layer_norm(x, p[f"{i}.ln2_w"], p[f"{i}.ln2_b"]), p[f"{i}.fc_w"], p[f"{i}.fc_b"]))
        x = x + F.linear(h, p[f"{i}.out_w"], p[f"{i}.out_b"])
    return F.linear(layer_norm(x, p["lnf_w"], p["lnf_b"]), p["tok"])


def make_step(engine: str, variant: str):
    lib, nn, optim, F = _libs(engine)
    rng = np.random.default_rng(0)
    data = rng.integers(0, VOCAB, (BATCH, CONTEXT + 1))
    x, y = lib.tensor(data[:, :-1]), lib.tensor(data[:, 1:].reshape(-1))
    lib.manual_seed(0)
    if variant == "gpt_modules":
        model = build_modules(lib, nn)
        params = list(model.parameters())

        def forward():
            return model(x)
    else:
        weights = {k: lib.tensor(v, requires_grad=True) for k, v in primitive_weights(rng).items()}
        params = list(weights.values())
        blocked = lib.tensor(np.triu(np.ones((CONTEXT, CONTEXT), dtype=bool), 1))

        def forward():
            return primitive_forward(lib, F, weights, x, blocked)

    opt = optim.AdamW(params, lr=3e-4, weight_decay=0.1)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(forward().reshape(-1, VOCAB), y)
        loss.backward()
        opt.step()
        return loss

    return step


def median_ms(step, steps: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


VARIANTS = ("gpt_modules", "gpt_primitives")


def _time_here(engine: str, steps: int) -> dict:
    if engine == "torch":
        import torch

        torch.set_num_threads(THREADS)
    return {v: median_ms(make_step(engine, v), steps) for v in VARIANTS}


def _child(engine: str, steps: int) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--engine", engine, "--steps", str(steps), "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=CHILD_ENV)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(steps: int = 20, rounds: int = 3) -> dict:
    """{variant: {"autograd_core": ms, "torch": ms or None}}, engines alternating per round."""
    has_torch = importlib.util.find_spec("torch") is not None
    best: dict = {v: {"autograd_core": math.inf, "torch": math.inf if has_torch else None} for v in VARIANTS}
    for _ in range(rounds):
        for engine in (("autograd_core", "torch") if has_torch else ("autograd_core",)):
            for v, ms in _child(engine, steps).items():
                best[v][engine] = min(best[v][engine], ms)
    return best


def profile(steps: int = 10) -> None:
    """cProfile of our gpt_modules step, top functions by own time."""
    import cProfile
    import pstats

    step = make_step("autograd_core", "gpt_modules")
    for _ in range(3):
        step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(18)


def main(argv=None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", choices=("autograd_core", "torch"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    if args.profile:
        profile(args.steps)
        return None
    if args.engine:
        result = _time_here(args.engine, args.steps)
        print(json.dumps(result) if args.json else result)
        return result
    result = run(args.steps, args.rounds)
    print(f"GPT training step (ms, median; {THREADS} threads; "
          f"{LAYERS} layers, d_model {D}, {HEADS} heads, context {CONTEXT}, batch {BATCH}, vocab {VOCAB})")
    print(f"{'workload':16s} {'autograd_core':>14s} {'torch':>10s} {'ratio':>7s}")
    for v, r in result.items():
        t = r["torch"]
        ratio = f"{r['autograd_core'] / t:.2f}x" if t else "-"
        print(f"{v:16s} {r['autograd_core']:14.1f} {t if t is not None else float('nan'):10.1f} {ratio:>7s}")
    return result


if __name__ == "__main__":
    main()
