"""Connectionist temporal classification loss (Graves et al. 2006), F.ctc_loss.

The forward (alpha) recursion over the blank-extended label sequence l' runs in log
space, one step per time frame, each step a handful of Tensor ops over (N, 2S+1), so the
gradient (the beta recursion) and its gradients come from the engine. Unreachable states
hold a large negative finite number instead of -inf, which keeps every logsumexp and its
gradient finite; a loss at that level means "no valid alignment" and becomes inf (or 0
with zero_infinity), as PyTorch.

    >>> import autograd_core as ag
    >>> lp = ag.log_softmax(ag.zeros(3, 1, 2), 2)
    >>> round(ctc_loss(lp, ag.tensor([[1]]), [3], [1], reduction="sum").item(), 4)  # -log(6/8)
    0.2877
"""

from __future__ import annotations

import numpy as np

from ..function import ShapeError
from .elementwise import where
from .index import gather
from .padding import pad
from .reduce import logsumexp
from .shape import stack

_UNREACHABLE = -1e30  # log-probability of an impossible state (finite: no inf - inf)


def _lengths(name, value, n):
    arr = np.asarray(getattr(value, "_data", value)).astype(np.int64).reshape(-1)
    if arr.shape != (n,):
        raise ShapeError(
            f"ctc_loss: {name} must have one entry per batch element ({n}), got shape {arr.shape}"
        )
    return arr


def ctc_loss(
    log_probs,
    targets,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
):
    """CTC loss of log-probabilities (T, N, C) (or (T, C)) against targets (N, S) padded or
    1-D concatenated; 'mean' divides each loss by its target length, then averages."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"ctc_loss: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    batched = log_probs.ndim == 3
    if log_probs.ndim == 2:
        log_probs = log_probs.reshape(log_probs.shape[0], 1, log_probs.shape[1])
    elif log_probs.ndim != 3:
        raise ShapeError(f"ctc_loss: log_probs must be (T, N, C) or (T, C), got shape {log_probs.shape}")
    steps, n, c = log_probs.shape
    if steps == 0:
        raise ShapeError("ctc_loss: log_probs must have at least one time step")
    if not 0 <= blank < c:
        raise ValueError(f"ctc_loss: blank {blank} must be a class index in [0, {c})")
    t_in = _lengths("input_lengths", input_lengths, n)
    t_len = _lengths("target_lengths", target_lengths, n)
    tg = np.asarray(getattr(targets, "_data", targets)).astype(np.int64)
    if not batched and tg.ndim == 1:
        tg = tg.reshape(1, -1)
    if tg.ndim == 1:  # concatenated targets: cut them into padded rows
        if tg.size != t_len.sum():
            raise ShapeError(
                f"ctc_loss: 1-D targets hold {tg.size} labels but target_lengths sum to {t_len.sum()}"
            )
        rows = np.zeros((n, max(int(t_len.max(initial=0)), 1)), dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(t_len)[:-1]])
        for i, (s, k) in enumerate(zip(starts, t_len)):
            rows[i, :k] = tg[s : s + k]
        tg = rows
    if tg.ndim != 2 or tg.shape[0] != n:
        raise ShapeError(f"ctc_loss: targets must be (N, S) or 1-D, got shape {tg.shape} for batch {n}")
    if np.any(t_in > steps) or np.any(t_in < 0) or np.any(t_len < 0) or np.any(t_len > tg.shape[1]):
        raise ValueError(
            f"ctc_loss: lengths out of range (input_lengths {t_in.tolist()} for T={steps}, "
            f"target_lengths {t_len.tolist()} for S={tg.shape[1]})"
        )
    width = 2 * tg.shape[1] + 1
    ext = np.full((n, width), blank, dtype=np.int64)  # l' = blank, l1, blank, l2, ..., blank
    ext[:, 1::2] = tg
    used = np.arange(width)[None, :] < (2 * t_len[:, None] + 1)
    labels = np.where(used, ext, blank)
    if np.any((labels < 0) | (labels >= c)):
        raise IndexError(f"ctc_loss: target labels must lie in [0, {c})")
    skip = np.zeros((n, width), dtype=bool)  # may jump from s-2 (distinct non-blank labels)
    skip[:, 2:] = (labels[:, 2:] != blank) & (labels[:, 2:] != labels[:, :-2])
    dtype = log_probs.dtype
    neg = np.asarray(_UNREACHABLE, dtype=dtype)
    emit = gather(log_probs, 2, np.broadcast_to(labels[None], (steps, n, width)).copy())  # (T, N, 2S+1)
    start = np.zeros((n, width), dtype=bool)
    start[:, 0] = True
    start[:, 1] = t_len > 0
    alpha = emit[0] * start + neg * ~start

    for t in range(1, steps):
        stay = alpha
        step = pad(alpha, (1, 0), value=float(neg))[:, :width]
        jump = where(skip, pad(alpha, (2, 0), value=float(neg))[:, :width], neg)
        new = logsumexp(stack([stay, step, jump]), 0) + emit[t]
        alpha = where((t < t_in)[:, None], new, alpha)  # finished sequences keep their alphas
    last = 2 * t_len
    ends = np.stack([last, np.maximum(last - 1, 0)], axis=1)
    final = gather(alpha, 1, ends)  # (N, 2)
    final = where(np.stack([np.ones(n, bool), t_len > 0], axis=1), final, neg)
    nll = -logsumexp(final, 1)
    impossible = nll._data > -_UNREACHABLE / 2
    # No input frames: an empty target costs nothing, any other is impossible.
    impossible = np.where(t_in == 0, t_len > 0, impossible)
    nll = where(impossible, np.asarray(0.0 if zero_infinity else np.inf, dtype=dtype), nll)
    nll = where((t_in == 0) & (t_len == 0), np.zeros((), dtype=dtype), nll)
    if reduction == "none":
        return nll if batched else nll.reshape(())
    if reduction == "sum":
        return nll.sum()
    return (nll * (1.0 / np.maximum(t_len, 1)).astype(dtype)).mean()
