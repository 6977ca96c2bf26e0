"""`Embedding`: a lookup table of learnable rows, indexed by integer ids.

The lookup is plain advanced indexing (`weight[ids]`), whose backward accumulates, so an
id that appears several times receives the sum of its gradients.

    >>> import autograd_core as ag
    >>> import nn
    >>> emb = nn.Embedding(10, 3)
    >>> emb(ag.tensor([[1, 2], [1, 9]])).shape
    (2, 2, 3)
"""

from __future__ import annotations

import numpy as np

from autograd_core import Tensor, empty, where

from . import _checks, init
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """`num_embeddings` rows of size `embedding_dim`, initialised N(0, 1).

    With `padding_idx`, that row starts at zero and receives no gradient (as PyTorch).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 _weight: Tensor | None = None, _freeze: bool = False, dtype=None):
        super().__init__()
        num_embeddings = _checks.size("Embedding", "num_embeddings", num_embeddings)
        embedding_dim = _checks.size("Embedding", "embedding_dim", embedding_dim)
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx {padding_idx} must be within num_embeddings {num_embeddings}"
                )
            padding_idx %= num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        if _weight is None:
            weight = empty(num_embeddings, embedding_dim, dtype=dtype)
            self.weight = Parameter(weight, requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight of shape {_weight.shape} does not match "
                                 f"({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None) -> Embedding:
        """An Embedding holding a copy of `embeddings` (frozen by default)."""
        rows, dim = embeddings.shape
        weight = Tensor(np.array(embeddings._data if isinstance(embeddings, Tensor) else embeddings))
        return cls(rows, dim, padding_idx=padding_idx, _weight=weight, _freeze=freeze)

    def forward(self, ids) -> Tensor:
        idx = ids._data if isinstance(ids, Tensor) else np.asarray(ids)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"Embedding: ids must be integers, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            bad = idx[(idx < 0) | (idx >= self.num_embeddings)].flat[0]
            raise IndexError(f"Embedding: index {bad} is out of range for {self.num_embeddings} embeddings")
        rows = self.weight[idx]
        if self.padding_idx is not None and self.weight.requires_grad:
            # Same values, but the padding positions take their value from a detached copy,
            # so no gradient reaches the padding row through this lookup.
            keep = (idx != self.padding_idx)[..., None]
            rows = where(keep, rows, rows.detach())
        return rows

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
