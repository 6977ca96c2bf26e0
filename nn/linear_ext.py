"""Bilinear, Unflatten, CosineSimilarity and PairwiseDistance layers.

>>> import autograd_core as ag
>>> import nn
>>> nn.Unflatten(1, (2, 3))(ag.zeros(4, 6)).shape
(4, 2, 3)
"""

from __future__ import annotations

import math

from autograd_core import Tensor, empty
from autograd_core.ops.embedding import bilinear
from autograd_core.ops.norm import cosine_similarity, pairwise_distance

from . import init
from .module import Module
from .parameter import Parameter


class Bilinear(Module):
    """y = x1ᵀ A x2 + b with weight (out, in1, in2) and bias (out), both U(±1/√in1) as PyTorch.

    >>> import autograd_core as ag
    >>> Bilinear(3, 4, 2)(ag.zeros(5, 3), ag.zeros(5, 4)).shape
    (5, 2)
    """

    def __init__(
        self, in1_features: int, in2_features: int, out_features: int, bias: bool = True, dtype=None
    ):
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        self.weight = Parameter(empty(out_features, in1_features, in2_features, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class Unflatten(Module):
    """Split dim `dim` into `unflattened_size` (which may hold one -1)."""

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        if isinstance(dim, str):
            raise TypeError("Unflatten: named dimensions are not supported; dim must be an int")
        sizes = tuple(int(s) for s in unflattened_size)
        if sum(s == -1 for s in sizes) > 1 or any(s < -1 for s in sizes):
            raise ValueError(
                f"Unflatten: unflattened_size {sizes} may hold at most one -1 and no other negative"
            )
        self.dim, self.unflattened_size = dim, sizes

    def forward(self, x: Tensor) -> Tensor:
        d = self.dim % x.ndim if x.ndim else 0
        size = x.shape[d]
        sizes = list(self.unflattened_size)
        if -1 in sizes:
            known = math.prod(s for s in sizes if s != -1)
            if known == 0 or size % known:
                raise ValueError(
                    f"Unflatten: cannot split dim {d} of size {size} into {self.unflattened_size}"
                )
            sizes[sizes.index(-1)] = size // known
        if math.prod(sizes) != size:
            raise ValueError(
                f"Unflatten: unflattened_size {self.unflattened_size} does not multiply to the size "
                f"{size} of dim {d} (input shape {x.shape})"
            )
        return x.reshape(x.shape[:d] + tuple(sizes) + x.shape[d + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class CosineSimilarity(Module):
    """Cosine similarity of two inputs along `dim`."""

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """p-norm distance between rows of two inputs (last dim)."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
