"""Multi-head attention with PyTorch's parameters, layouts and masks.

Each head attends in its own subspace of size E/H:

    Q = x_q W_qᵀ + b_q,  K = x_k W_kᵀ + b_k,  V = x_v W_vᵀ + b_v    (W_q, W_k, W_v: in_proj_weight)
    head_h = softmax(Q_h K_hᵀ / √(E/H) + mask) V_h
    out    = concat(head_1 … head_H) W_oᵀ + b_o                       (out_proj)

The masks follow nn.MultiheadAttention, not F.scaled_dot_product_attention: a boolean
`attn_mask` or `key_padding_mask` marks with True the positions that may NOT be attended;
float masks are added to the scores.

    >>> import autograd_core as ag
    >>> import nn
    >>> mha = nn.MultiheadAttention(16, 4, batch_first=True)
    >>> out, weights = mha(ag.randn(2, 5, 16), ag.randn(2, 7, 16), ag.randn(2, 7, 16))
    >>> out.shape, weights.shape
    ((2, 5, 16), (2, 5, 7))
"""

from __future__ import annotations

import math

import numpy as np

import autograd_core.functional as F
from autograd_core import Tensor, cat, empty, zeros

from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under PyTorch's name for MultiheadAttention's out_proj (same keys, same math)."""


def _as_float_mask(mask: Tensor, dtype, name: str) -> Tensor:
    """PyTorch's canonical form of a mask: a float mask, -inf where a bool mask is True."""
    if mask.dtype == np.bool_:
        return zeros(*mask.shape, dtype=dtype).masked_fill(mask, float("-inf"))
    if mask.dtype.kind != "f":
        raise TypeError(f"MultiheadAttention: only bool and floating types of {name} are supported, "
                        f"got {mask.dtype}")
    return mask


class MultiheadAttention(Module):
    """`embed_dim` split over `num_heads` heads; see the module docstring for the formulas.

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) returns (output, weights or None), with
    tensors (L, N, E) or, with batch_first=True, (N, L, E); unbatched (L, E) inputs work too.
    `is_causal` is a hint that `attn_mask` is the causal mask (it must be given, as in PyTorch).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"MultiheadAttention: embed_dim and num_heads must be > 0, got {embed_dim} and "
                             f"{num_heads}")
        if embed_dim % num_heads:
            raise AssertionError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible by "
                                 f"num_heads ({num_heads})")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(empty(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(empty(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(empty(embed_dim, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(empty(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(empty(1, 1, embed_dim, dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        # PyTorch's scheme: Xavier for the projections, zero biases, out_proj's weight as a Linear.
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    # -- the pieces of forward ---------------------------------------------------------------
    def _project(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        E = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        if not self._qkv_same_embed_dim:
            return (F.linear(query, self.q_proj_weight, bq), F.linear(key, self.k_proj_weight, bk),
                    F.linear(value, self.v_proj_weight, bv))
        w = self.in_proj_weight
        if query is key and key is value:  # self-attention: one matmul for all three
            return tuple(F.linear(query, w, b).chunk(3, dim=-1))
        return F.linear(query, w[:E], bq), F.linear(key, w[E:2 * E], bk), F.linear(value, w[2 * E:], bv)

    def _heads(self, x: Tensor) -> Tensor:
        """(N, S, E) -> (N, H, S, E/H)."""
        n, s, _ = x.shape
        return x.reshape(n, s, self.num_heads, self.head_dim).permute(0, 2, 1, 3)

    def _merge_masks(self, attn_mask, key_padding_mask, n: int, L: int, dtype):
        """One mask for the scores (N, H, L, S): a bool 'may attend' mask when both inputs are
        bool (the cheap path), else a float mask to add; None when there is none."""
        if attn_mask is not None and attn_mask.ndim == 3:
            if attn_mask.shape[0] != n * self.num_heads:
                raise RuntimeError(f"MultiheadAttention: the 3D attn_mask should be of size "
                                   f"({n * self.num_heads}, {L}, S), got {attn_mask.shape}")
            attn_mask = attn_mask.reshape(n, self.num_heads, *attn_mask.shape[1:])
        elif attn_mask is not None and attn_mask.ndim != 2:
            raise RuntimeError(f"MultiheadAttention: attn_mask must be 2D or 3D, got shape {attn_mask.shape}")
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.reshape(n, 1, 1, key_padding_mask.shape[-1])
        masks = [m for m in (attn_mask, key_padding_mask) if m is not None]
        if not masks:
            return None
        if all(m.dtype == np.bool_ for m in masks):
            blocked = masks[0] if len(masks) == 1 else Tensor(np.logical_or(masks[0]._data, masks[1]._data))
            return Tensor(~blocked._data)
        names = ("attn_mask", "key_padding_mask")
        floats = [_as_float_mask(m, dtype, name) for m, name in zip(masks, names)]
        return floats[0] if len(floats) == 1 else floats[0] + floats[1]

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None,
                average_attn_weights: bool = True, is_causal: bool = False):
        if is_causal and attn_mask is None:
            raise RuntimeError("MultiheadAttention: need attn_mask if specifying the is_causal hint")
        batched = query.ndim == 3
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:  # the computation runs batch-first
            query, key, value = self._same_objects(query, key, value)
        if query.shape[-1] != self.embed_dim:
            raise ValueError(f"MultiheadAttention: expected query with last dim {self.embed_dim}, "
                             f"got shape {query.shape}")
        n, L, _ = query.shape
        q, k, v = self._project(query, key, value)
        if self.bias_k is not None:
            k = cat([k, self.bias_k.expand(n, 1, self.embed_dim)], dim=1)
            v = cat([v, self.bias_v.expand(n, 1, self.embed_dim)], dim=1)
            attn_mask = _pad_last(attn_mask)
            key_padding_mask = _pad_last(key_padding_mask)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        if self.add_zero_attn:
            k = cat([k, zeros(*k.shape[:2], 1, self.head_dim, dtype=k.dtype)], dim=2)
            v = cat([v, zeros(*v.shape[:2], 1, self.head_dim, dtype=v.dtype)], dim=2)
            attn_mask = _pad_last(attn_mask)
            key_padding_mask = _pad_last(key_padding_mask)
        if key_padding_mask is not None and key_padding_mask.shape != (n, k.shape[2]):
            raise RuntimeError(f"MultiheadAttention: expected key_padding_mask of shape {(n, k.shape[2])}, "
                               f"got {key_padding_mask.shape}")
        dropout_p = self.dropout if self.training else 0.0
        use_causal_hint = is_causal and key_padding_mask is None and not need_weights
        mask = None if use_causal_hint else self._merge_masks(attn_mask, key_padding_mask, n, L, q.dtype)
        weights = None
        if need_weights:
            scores = (q * math.sqrt(1.0 / self.head_dim)) @ k.transpose(-2, -1)
            if mask is not None:
                scores = scores.masked_fill(Tensor(~mask._data), float("-inf")) if mask.dtype == np.bool_ \
                    else scores + mask
            weights = F.softmax(scores, dim=-1)
            if dropout_p > 0.0:
                weights = F.dropout(weights, p=dropout_p)
            heads = weights @ v
        else:
            heads = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p,
                                                   is_causal=use_causal_hint)
        out = self.out_proj(heads.permute(0, 2, 1, 3).reshape(n, L, self.embed_dim))
        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if weights is not None:
            if average_attn_weights:
                weights = weights.mean(dim=1)
            if not batched:
                weights = weights.squeeze(0)
        return out, weights

    @staticmethod
    def _same_objects(query, key, value):
        """Transpose each distinct input once, so self-attention stays recognisable."""
        q = query.transpose(0, 1)
        k = q if key is query else key.transpose(0, 1)
        v = k if value is key else (q if value is query else value.transpose(0, 1))
        return q, k, v

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, batch_first={self.batch_first}"


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """Let an appended key/value column be attended: pad the mask's last dim by one."""
    if mask is None:
        return None
    if mask.dtype == np.bool_:
        return Tensor(np.pad(mask._data, [(0, 0)] * (mask.ndim - 1) + [(0, 1)]))
    return F.pad(mask, (0, 1))
