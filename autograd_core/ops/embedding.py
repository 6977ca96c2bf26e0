"""F.embedding, F.embedding_bag and F.bilinear, composed from axis_take (a gather whose
backward is a sorted scatter-add) and matmul.

`embedding` with `max_norm` renormalises the referenced rows of the weight in place
(outside the graph, as PyTorch), `padding_idx` keeps gradients away from that row and
`scale_grad_by_freq` divides each row's gradient by its count in the batch (a constant
scale on the gradient path, the value unchanged).

    >>> import autograd_core as ag
    >>> embedding(ag.tensor([[0, 2]]), ag.eye(3)).tolist()
    [[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]]
"""

from __future__ import annotations

import numpy as np

from ..function import ShapeError
from .axis_index import axis_take
from .shape import stack


def _ids(name, input, n):
    idx = np.asarray(getattr(input, "_data", input))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)].flat[0]
        raise IndexError(f"{name}: index {bad} is out of range for {n} embeddings")
    return idx.astype(np.int64)


def _padding_idx(name, padding_idx, n):
    if padding_idx is None:
        return None
    if not -n <= padding_idx < n:
        raise ValueError(f"{name}: padding_idx {padding_idx} must be within num_embeddings {n}")
    return padding_idx % n


def _renorm_(weight, idx, max_norm, norm_type):
    """Scale the referenced rows whose norm exceeds max_norm down to max_norm, in place."""
    rows = np.unique(idx)
    w = weight._data
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
    big = norms > max_norm
    w[rows[big]] *= (max_norm / (norms[big] + 1e-7))[:, None]


def embedding(
    input,
    weight,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
):
    """Rows of `weight` (num_embeddings, dim) at the integer ids `input` (any shape)."""
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-D (num_embeddings, dim), got shape {weight.shape}")
    n = weight.shape[0]
    idx = _ids("embedding", input, n)
    padding_idx = _padding_idx("embedding", padding_idx, n)
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    flat = idx.reshape(-1)
    rows = axis_take(weight, 0, flat)
    if weight.requires_grad and (padding_idx is not None or scale_grad_by_freq):
        scale = np.ones(flat.shape, dtype=weight.dtype)
        if scale_grad_by_freq:
            counts = np.bincount(flat, minlength=n)
            scale = scale / counts[flat]
        if padding_idx is not None:
            scale = scale * (flat != padding_idx)
        scale = scale[:, None]
        # Same values; the gradient reaching each row is multiplied by `scale`.
        rows = rows * scale + rows.detach() * (1 - scale)
    return rows.reshape(idx.shape + (weight.shape[1],))


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights=None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
):
    """Sum, mean or max of the embeddings of each bag: `input` (B, L) holds B bags of L ids,
    or a 1-D `input` is cut into bags at `offsets`. Empty bags give zeros."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    if per_sample_weights is not None and mode != "sum":
        raise ValueError(
            f"embedding_bag: per_sample_weights was not None; only mode='sum' supports them, "
            f"got mode={mode!r}"
        )
    n = weight.shape[0]
    idx = _ids("embedding_bag", input, n)
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: if input is 2D, then offsets has to be None")
        bags, length = idx.shape
        starts = np.arange(bags) * length
        ends = starts + length
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("embedding_bag: offsets has to be a 1D Tensor but got None")
        off = np.asarray(getattr(offsets, "_data", offsets)).astype(np.int64)
        if off.ndim != 1:
            raise ShapeError(f"embedding_bag: offsets has to be a 1D Tensor, got shape {off.shape}")
        if include_last_offset:
            starts, ends = off[:-1], off[1:]
        else:
            starts, ends = off, np.append(off[1:], idx.size)
        if off.size and (off[0] != 0 or np.any(np.diff(off) < 0) or off[-1] > idx.size):
            raise ValueError(
                f"embedding_bag: offsets must start at 0, be non-decreasing and stay within "
                f"the {idx.size} indices, got {off.tolist()}"
            )
    else:
        raise ShapeError(f"embedding_bag: input has to be 1D or 2D, got shape {idx.shape}")
    flat = idx.reshape(-1)
    padding_idx = _padding_idx("embedding_bag", padding_idx, n)
    rows = embedding(flat, weight, None, max_norm, norm_type, scale_grad_by_freq)
    keep = np.ones(flat.shape, dtype=bool) if padding_idx is None else flat != padding_idx
    if per_sample_weights is not None:
        psw = (
            per_sample_weights.reshape(-1)
            if hasattr(per_sample_weights, "_data")
            else np.asarray(per_sample_weights).reshape(-1)
        )
        rows = rows * psw.reshape(-1, 1)
    positions = np.arange(flat.size)
    member = (positions[None, :] >= starts[:, None]) & (positions[None, :] < ends[:, None]) & keep[None, :]
    if mode == "max":
        zero = np.zeros(weight.shape[1], dtype=weight.dtype)
        out = [rows[np.flatnonzero(m)].amax(0) if m.any() else rows[:0].sum(0) + zero for m in member]
        return stack(out) if out else rows[:0]
    bagged = member.astype(weight.dtype) @ rows
    if mode == "mean":
        counts = member.sum(1, keepdims=True)
        bagged = bagged * (1.0 / np.maximum(counts, 1)).astype(weight.dtype)
    return bagged


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1ᵀ W_k x2 + b_k with weight (out, in1, in2); inputs (..., in1) and (..., in2)."""
    if weight.ndim != 3:
        raise ShapeError(f"bilinear: weight must be 3-D (out, in1, in2), got shape {weight.shape}")
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2 or input1.shape[:-1] != input2.shape[:-1]:
        raise ShapeError(
            f"bilinear: inputs {input1.shape} and {input2.shape} do not match weight {weight.shape}"
        )
    lead = input1.shape[:-1]
    rows = int(np.prod(lead)) if lead else 1
    x1, x2 = input1.reshape(rows, in1), input2.reshape(rows, in2)
    a = (x1 @ weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(x1.shape[0], out_f, in2)
    y = (a * x2.reshape(x2.shape[0], 1, in2)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (out_f,))


__all__ = ["bilinear", "embedding", "embedding_bag"]
