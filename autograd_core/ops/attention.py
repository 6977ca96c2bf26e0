"""scaled_dot_product_attention as one graph node.

For query Q (..., L, E), key K (..., S, E) and value V (..., S, Ev):

    S = Q Kᵀ · scale + B        B: additive mask (0 where allowed, -inf where not)
    P = softmax(S)              along the keys, row by row
    O = (P ⊙ D) V               D: the dropout mask, 0 or 1/(1-p)

and, with G = ∂loss/∂O and P̃ = P ⊙ D,

    dV = P̃ᵀ G        dP = (G Vᵀ) ⊙ D        dS = P ⊙ (dP - Σ_keys dP ⊙ P)
    dQ = dS K · scale        dK = dSᵀ Q · scale        dB = dS

The forward saves P once (the only (L, S) array the backward needs) instead of a graph
of matmul, mask, softmax and dropout nodes. A query row that may attend to no key gets
a zero output and zero gradients, as PyTorch does.

Boolean masks follow PyTorch's convention for this function: True means *attend*.
`enable_gqa` lets Q have more heads (dim -3) than K and V: each group of Hq/Hk query
heads shares one key/value head.

    >>> import autograd_core as ag
    >>> q = k = v = ag.ones(1, 2, 3, 4)
    >>> ag.functional.scaled_dot_product_attention(q, k, v, is_causal=True).shape
    (1, 2, 3, 4)
"""

from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from ..function import Op, ShapeError
from ..kernels import softmax as K
from ..kernels.dropout import dropout_mask
from .linalg import stack_matmul


def _swap(x):
    return np.swapaxes(x, -1, -2)


def _repeat_heads(x, groups: int):
    """(..., H, S, E) -> (..., H·groups, S, E), each head repeated `groups` times in a row
    (written with broadcast + reshape so it also runs on Tensors)."""
    if groups == 1:
        return x
    shape = x.shape
    wide = np.broadcast_to(np.expand_dims(x, -3), shape[:-2] + (groups,) + shape[-2:])
    return wide.reshape(shape[:-3] + (shape[-3] * groups,) + shape[-2:])


def _sum_heads(x, groups: int):
    """The adjoint of _repeat_heads: add the gradients of each group of repeated heads."""
    if groups == 1:
        return x
    shape = x.shape
    return x.reshape(shape[:-3] + (shape[-3] // groups, groups) + shape[-2:]).sum(axis=-3)


def _check_mask(mask_shape: tuple, scores_shape: tuple) -> None:
    try:
        fits = np.broadcast_shapes(scores_shape, mask_shape) == scores_shape
    except ValueError:
        fits = False
    if not fits:  # PyTorch does not broadcast the output to a larger mask either
        raise ShapeError(f"scaled_dot_product_attention: attn_mask of shape {mask_shape} does not broadcast "
                         f"to the attention scores of shape {scores_shape}")


def _dead_rows(bias, keep):
    """Where no key may be attended, as a (..., L, 1) bool array in the masks' own (broadcastable)
    shape, or None when every query row has one: read from the masks, which are usually a single
    (L, S) plane, instead of from the full (..., L, S) scores."""
    allowed = keep
    if bias is not None:
        finite = bias > -np.inf
        allowed = finite if allowed is None else allowed & finite
    if allowed is None:
        return None
    dead = ~allowed.any(axis=-1, keepdims=True)
    return dead if dead.any() else None


def _probabilities(q, k, scale, bias, keep):
    """P = softmax(Q Kᵀ·scale + bias, masked by keep) on raw arrays; rows with no key allowed are 0."""
    s = stack_matmul(q, _swap(k))
    for m in (bias, keep):
        if m is not None:
            _check_mask(m.shape, s.shape)
    s *= scale  # s is a fresh array: scale, add and mask it in place
    if bias is not None:
        s += bias
    if keep is not None:
        np.copyto(s, -np.inf, where=~keep)
    p = K.softmax_forward(s)
    dead = _dead_rows(bias, keep)
    if dead is not None:
        np.copyto(p, 0.0, where=dead)
    return p


def _probabilities_tensor(q, k, scale, bias, keep):
    """The same P written with operations that Tensors support (for higher-order gradients).

    Which scores are allowed and each row's max are constants read from the raw arrays;
    shifting a softmax by a constant per row does not change it."""
    s = (q @ _swap(k)) * scale
    if bias is not None:
        s = s + bias
    raw = np.array(np.asarray(s), dtype=np.float64)
    allowed = raw > -np.inf
    if keep is not None:
        allowed &= keep
    shift = np.where(allowed, raw, -np.inf).max(axis=-1, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0).astype(raw.dtype)
    zero = np.zeros((), dtype=np.asarray(s).dtype)
    e = np.where(allowed, np.exp(np.where(allowed, s, zero) - shift), zero)
    total = e.sum(axis=-1, keepdims=True)
    return e / np.where(np.asarray(total) > 0, total, 1.0)  # a row with no allowed key stays 0


def _gradients(g, q, k, v, p, drop, scale, groups, need):
    """(dQ, dK, dV, dB) from the formulas in the module docstring; written once for
    arrays and Tensors alike."""
    need_q, need_k, need_v, need_b = need
    kk, vv = _repeat_heads(k, groups), _repeat_heads(v, groups)
    pd = p if drop is None else p * drop
    dv = _sum_heads(stack_matmul(_swap(pd), g), groups) if need_v else None
    dq = dk = ds = None
    if need_q or need_k or need_b:
        dp = stack_matmul(g, _swap(vv))
        if drop is not None:
            dp = dp * drop
        if isinstance(dp, np.ndarray):  # a fresh array: the same formula in place, no (L, S) temporaries
            dp -= (dp * p).sum(axis=-1, keepdims=True)
            dp *= p
            ds = dp
        else:
            ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
        if need_q:
            dq = stack_matmul(ds, kk) * scale
        if need_k:
            dk = _sum_heads(stack_matmul(_swap(ds), q) * scale, groups)
    return dq, dk, dv, (ds if need_b else None)


class ScaledDotProductAttention(Op):
    @staticmethod
    def forward(ctx, q, k, v, bias, keep, dropout_p, scale, groups):
        kk, vv = _repeat_heads(k, groups), _repeat_heads(v, groups)
        p = _probabilities(q, kk, scale, bias, keep)
        drop = None
        if dropout_p > 0.0:
            drop = dropout_mask(p.shape, dropout_p, _random.generator(), p.dtype)
        out = stack_matmul(p if drop is None else p * drop, vv)
        ctx.saved = (q, k, v, bias, p, drop)
        ctx.info = (keep, scale, groups)
        return out

    @staticmethod
    def backward(ctx, g):
        q, k, v, bias, p, drop = ctx.saved
        keep, scale, groups = ctx.info
        need = tuple(ctx.next[i] is not None for i in range(4))
        if not isinstance(q, np.ndarray):
            # Differentiating the backward itself: P must be a function of Q and K, so
            # recompute it with Tensor operations instead of using the saved constant.
            p = _probabilities_tensor(q, _repeat_heads(k, groups), scale, bias, keep)
        dq, dk, dv, db = _gradients(g, q, k, v, p, drop, scale, groups, need)
        return dq, dk, dv, db, None, None, None, None


def _mask_arrays(attn_mask, is_causal, L, S, dtype):
    """Split the user's mask into (additive float bias or None, boolean keep or None)."""
    from ..tensor import Tensor

    bias = keep = None
    if attn_mask is not None:
        m = attn_mask._data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        if m.dtype == np.bool_:
            keep = m
        elif m.dtype.kind == "f":
            bias = attn_mask if isinstance(attn_mask, Tensor) else m.astype(dtype)
        else:
            raise TypeError(f"scaled_dot_product_attention: attn_mask must be bool or float, got {m.dtype}")
    if is_causal:
        causal = np.tri(L, S, 0, dtype=bool)  # query i sees keys 0..i (top-left aligned)
        keep = causal if keep is None else keep & causal
    return bias, keep


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False):
    """softmax(Q Kᵀ · scale + mask) V over the last two dims, batched over the leading ones.

    `attn_mask` is a bool mask (True = may attend) or a float mask added to the scores,
    broadcastable to (..., L, S); `is_causal` lets query i see keys 0..i (combined with
    `attn_mask` if both are given); `scale` defaults to 1/√E; dropout (with the shared
    generator) drops attention weights with probability `dropout_p` whenever it is > 0.

        >>> import autograd_core as ag
        >>> F = ag.functional
        >>> q, k, v = ag.randn(2, 4, 8, 16), ag.randn(2, 4, 10, 16), ag.randn(2, 4, 10, 32)
        >>> F.scaled_dot_product_attention(q, k, v).shape
        (2, 4, 8, 32)
    """
    name = "scaled_dot_product_attention"
    for label, t in (("query", query), ("key", key), ("value", value)):
        if t.ndim < 2:
            raise ShapeError(f"{name}: {label} must have at least 2 dims (..., seq, features), "
                             f"got shape {t.shape}")
    if query.shape[-1] != key.shape[-1]:
        raise ShapeError(f"{name}: query {query.shape} and key {key.shape} must have the same last dim")
    if key.shape[-2] != value.shape[-2]:
        raise ShapeError(f"{name}: key {key.shape} and value {value.shape} must have the same length "
                         "(dim -2)")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{name}: dropout_p must be in [0, 1], got {dropout_p}")
    groups = 1
    if enable_gqa and query.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hk == 0 or hq % hk or value.shape[-3] != hk:
            raise ShapeError(f"{name}: with enable_gqa the query heads ({hq}) must be a multiple of the "
                             f"key/value heads ({hk}, {value.shape[-3]})")
        groups = hq // hk
    L, S = query.shape[-2], key.shape[-2]
    dtype = query.dtype
    bias, keep = _mask_arrays(attn_mask, is_causal, L, S, dtype)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1]) if query.shape[-1] else 1.0
    return ScaledDotProductAttention.apply(query, key, value, bias, keep, float(dropout_p), float(scale),
                                           groups)
