"""Train a small character-level GPT on the Python standard library's own source code.

A decoder-only Transformer (token + position embeddings, pre-LayerNorm blocks of causal
self-attention and a GELU MLP, output head tied to the token embedding), trained with
AdamW, a linear warm-up then cosine learning-rate schedule and gradient clipping. It
prints samples before and after training and compares the validation loss with the
unigram baseline (predicting each character from its frequency alone).

    python examples/char_gpt.py                    # 1,000 steps: a few CPU minutes
    python examples/char_gpt.py --steps 300 --plot loss.png

Everything uses PyTorch's names: with `import torch as ag`, `torch.nn as nn` and
`torch.optim as optim` the same script runs on PyTorch.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import sysconfig
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import autograd_core as ag  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402

F = nn.functional


# -- data ---------------------------------------------------------------------------------------
def load_corpus(max_chars: int = 1_500_000) -> str:
    """The top-level .py files of the standard library, in name order, as one text.
    Characters outside printable ASCII (and tab/newline) become '?' to keep the vocabulary small."""
    stdlib = sysconfig.get_paths()["stdlib"]
    parts, total = [], 0
    for name in sorted(os.listdir(stdlib)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(stdlib, name), encoding="utf-8", errors="replace") as f:
            text = f.read()
        parts.append(text)
        total += len(text)
        if total >= max_chars:
            break
    text = "".join(parts)[:max_chars]
    return "".join(c if (32 <= ord(c) < 127 or c in "\n\t") else "?" for c in text)


class CharData:
    """Encode the corpus as int64 ids; 90 % train, the last 10 % validation."""

    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}
        ids = np.array([self.stoi[c] for c in text], dtype=np.int64)
        split = int(0.9 * len(ids))
        self.train, self.val = ids[:split], ids[split:]

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, s: str) -> list[int]:
        return [self.stoi.get(c, self.stoi.get("?", 0)) for c in s]

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids)

    def batch(self, split: str, batch_size: int, context: int, rng: np.random.Generator):
        """Random windows: inputs x[t] and targets y[t] = x[t + 1]."""
        ids = self.train if split == "train" else self.val
        starts = rng.integers(0, len(ids) - context - 1, batch_size)
        x = np.stack([ids[s:s + context] for s in starts])
        y = np.stack([ids[s + 1:s + context + 1] for s in starts])
        return ag.tensor(x), ag.tensor(y)

    def unigram_loss(self) -> float:
        """Cross-entropy (nats/char) on validation of the character frequencies of training."""
        counts = np.bincount(self.train, minlength=self.vocab_size) + 1.0  # add-one: no log(0)
        logp = np.log(counts / counts.sum())
        return float(-logp[self.val].mean())


# -- model --------------------------------------------------------------------------------------
class CausalSelfAttention(nn.Module):
    def __init__(self, d_model: int, n_head: int):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(d_model, 3 * d_model)      # queries, keys, values in one matmul
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        q, k, v = (z.reshape(b, t, self.n_head, d // self.n_head).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)   # (b, heads, t, d/heads)
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    """x + attention(LN(x)), then x + MLP(LN(x)): pre-LayerNorm with residual connections."""

    def __init__(self, d_model: int, n_head: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_head)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, vocab_size: int, context: int, d_model: int = 128, n_head: int = 4, n_layer: int = 2):
        super().__init__()
        self.context = context
        self.tok_emb = nn.Embedding(vocab_size, d_model)
        self.pos_emb = nn.Embedding(context, d_model)
        self.blocks = nn.Sequential(*[Block(d_model, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight          # weight tying: one matrix reads and writes tokens
        self.apply(self._init)

    @staticmethod
    def _init(module):
        # GPT-2's scheme: small normal weights, zero biases.
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, 0.0, 0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.tok_emb(idx) + self.pos_emb(ag.arange(t))
        return self.head(self.ln_f(self.blocks(x)))


@ag.no_grad()
def generate(model: GPT, idx, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None):
    """Append `max_new_tokens` sampled tokens: softmax(logits / temperature) restricted to the top k."""
    for _ in range(max_new_tokens):
        logits = model(idx[:, -model.context:])[:, -1, :] / temperature
        if top_k is not None:
            kth = logits.topk(min(top_k, logits.shape[-1])).values[:, -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        probs = F.softmax(logits, dim=-1)
        idx = ag.cat([idx, probs.multinomial(1)], dim=1)
    return idx


def warmup_cosine(warmup: int, total: int, floor: float = 0.1):
    """lr multiplier: linear from 0 to 1 over `warmup` steps, then a cosine down to `floor`."""
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
    return factor


@ag.no_grad()
def estimate_loss(model: GPT, data: CharData, split: str, batches: int, batch_size: int,
                  seed: int = 123) -> float:
    model.eval()
    rng = np.random.default_rng(seed)  # the same windows at every evaluation
    losses = []
    for _ in range(batches):
        x, y = data.batch(split, batch_size, model.context, rng)
        logits = model(x)
        losses.append(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).item())
    model.train()
    return float(np.mean(losses))


def train(model, data, steps, batch_size, lr, warmup, eval_every, seed=0, progress=True):
    """AdamW (weight decay on matrices only), warm-up + cosine, clipping at norm 1."""
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    opt = optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                      lr=lr, betas=(0.9, 0.95))
    sched = optim.lr_scheduler.LambdaLR(opt, warmup_cosine(warmup, steps))
    rng = np.random.default_rng(seed)
    history = {"step": [], "train": [], "val_step": [], "val": []}
    bar = range(steps)
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(bar, desc="training", unit="step")
    for step in bar:
        x, y = data.batch("train", batch_size, model.context, rng)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        history["step"].append(step)
        history["train"].append(loss.item())
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            history["val_step"].append(step + 1)
            history["val"].append(estimate_loss(model, data, "val", 8, 64))
            if progress:
                bar.set_postfix(train=f"{history['train'][-1]:.3f}", val=f"{history['val'][-1]:.3f}")
    return history


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--chars", type=int, default=1_500_000, help="corpus size")
    parser.add_argument("--plot", help="save the loss curve to this image file")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    ag.manual_seed(0)
    data = CharData(load_corpus(args.chars))
    model = GPT(data.vocab_size, args.context, args.d_model, args.heads, args.layers)
    print(f"corpus: {len(data.train):,} train / {len(data.val):,} validation characters, "
          f"vocabulary {data.vocab_size}; model: {nn.utils.count_parameters(model):,} parameters")
    prompt = ag.tensor([data.encode("def ")])
    ag.manual_seed(1)
    print("sample before training:\n" + data.decode(generate(model, prompt, 120, 0.8, 10)[0].tolist()))
    unigram = data.unigram_loss()
    start_val = estimate_loss(model, data, "val", 8, 64)
    t0, cpu0 = time.perf_counter(), time.process_time()
    history = train(model, data, args.steps, args.batch_size, args.lr, warmup=max(1, args.steps // 20),
                    eval_every=max(1, args.steps // 10), progress=not args.no_progress)
    minutes = (time.perf_counter() - t0) / 60
    cpu_minutes = (time.process_time() - cpu0) / 60  # the honest figure on a shared machine
    print(f"validation loss: {start_val:.3f} at the start -> {history['val'][-1]:.3f} "
          f"after {args.steps} steps ({minutes:.1f} min wall, {cpu_minutes:.1f} min CPU); "
          f"unigram baseline {unigram:.3f} nats/char")
    print("sample after training:\n" + data.decode(generate(model, prompt, 300, 0.8, 10)[0].tolist()))
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.plot(history["step"], history["train"], lw=0.8, alpha=0.6, label="train (batch)")
        ax.plot(history["val_step"], history["val"], marker="o", label="validation")
        ax.axhline(unigram, color="gray", ls="--", label="unigram baseline")
        ax.set_xlabel("step")
        ax.set_ylabel("cross-entropy (nats/char)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
    return {"unigram": unigram, "val_start": start_val, "val_end": history["val"][-1], "minutes": minutes,
            "cpu_minutes": cpu_minutes}


if __name__ == "__main__":
    main()
