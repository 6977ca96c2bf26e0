"""Batch and layer normalisation. Batch norm is composed from Tensor ops (mean, multiply, power) so
its gradients come from the engine with no hand-written backward; LayerNorm calls the functional
`layer_norm`, one graph node with a fused kernel each way.

    >>> import autograd_core as ag
    >>> import nn
    >>> y = nn.BatchNorm1d(3)(ag.randn(8, 3))
    >>> bool(abs(y._data.mean(0)).max() < 1e-5)
    True
"""

from __future__ import annotations

import numpy as np

from autograd_core import Tensor, ones, zeros
from autograd_core.ops.norm import layer_norm

from . import _checks, init
from .module import Module
from .parameter import Parameter


def _normalize(x: Tensor, axes: tuple, eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(x - mean) / sqrt(var + eps) over `axes` with the biased variance; also returns
    mean and var (keepdim) for running statistics."""
    mean = x.mean(axes, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(axes, keepdim=True)
    return centered * (var + eps) ** -0.5, mean, var


class _BatchNorm(Module):
    _dims: tuple = ()  # accepted input ndims

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, dtype=None, *, bias: bool = True):
        super().__init__()
        self.num_features = _checks.size(type(self).__name__, "num_features", num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        # bias=False (keyword-only, as torch 2.13) keeps the scale but drops the shift.
        weight = Parameter(ones(num_features, dtype=dtype)) if affine else None
        shift = Parameter(zeros(num_features, dtype=dtype)) if affine and bias else None
        self.register_parameter("weight", weight)
        self.register_parameter("bias", shift)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in self._dims:
            want = " or ".join(f"{d}D" for d in self._dims)
            raise ValueError(
                f"{type(self).__name__}: expected {want} input (got {x.ndim}D input of shape {x.shape})"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}: expected {self.num_features} channels in dim 1, "
                f"got input of shape {x.shape}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / int(self.num_batches_tracked._data)
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        if self.training or self.running_mean is None:
            count = x._data.size // max(self.num_features, 1)
            if self.training and count == 0:
                # An empty batch: nothing to normalise, the running statistics stay (as torch).
                y = x
            elif self.training and count == 1:
                raise ValueError(
                    f"Expected more than 1 value per channel when training, got input size {x.shape}"
                )
            else:
                y, mean, var = _normalize(x, axes, self.eps)
                if self.training and self.running_mean is not None:
                    # The running variance is the unbiased one (n / (n - 1)), as PyTorch's.
                    rm, rv = self.running_mean._data, self.running_var._data
                    rm[...] = (1 - factor) * rm + factor * mean._data.reshape(-1)
                    rv[...] = (1 - factor) * rv + factor * var._data.reshape(-1) * (count / (count - 1))
        else:
            mean = self.running_mean._data.reshape(shape)
            inv_std = 1.0 / np.sqrt(self.running_var._data.reshape(shape) + self.eps)
            y = (x - mean) * inv_std
        if self.weight is not None:
            y = y * self.weight.reshape(shape)
        if self.bias is not None:
            y = y + self.bias.reshape(shape)
        return y

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L): per channel, normalise with the
    batch's statistics while training and with running statistics in eval mode.

        >>> import autograd_core as ag
        >>> BatchNorm1d(4)(ag.randn(16, 4, 5)).shape
        (16, 4, 5)
    """

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W), per channel."""

    _dims = (4,)


class LayerNorm(Module):
    """Normalise over the trailing `normalized_shape` dims of each sample, then scale and shift.

        >>> import autograd_core as ag
        >>> LayerNorm(8)(ag.randn(2, 5, 8)).shape
        (2, 5, 8)
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(_checks.size("LayerNorm", "normalized_shape", s)
                                      for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(*self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(zeros(*self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k:] != self.normalized_shape or x.ndim < k:
            raise ValueError(
                f"LayerNorm: given normalized_shape={list(self.normalized_shape)}, expected input with "
                f"shape [*, {', '.join(map(str, self.normalized_shape))}], "
                f"but got input of size {list(x.shape)}"
            )
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
