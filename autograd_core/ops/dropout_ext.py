"""Channel-wise dropout (dropout1d/2d/3d), alpha dropout and feature alpha dropout.

All draw their masks from the shared generator (`ag.manual_seed` reproduces them) and
apply them as constants: y = x·mask (+ shift), so the gradient is g·mask.

    >>> import autograd_core as ag
    >>> dropout2d(ag.ones(1, 2, 2, 2), 0.5, training=False).shape
    (1, 2, 2, 2)
"""

from __future__ import annotations

import warnings

from .. import random as _random
from ..function import ShapeError
from .activation_ext import SELU_ALPHA, SELU_SCALE

_ALPHA_PRIME = -SELU_ALPHA * SELU_SCALE  # SELU's negative saturation value


def _check_p(name, p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(shape, p, dtype):
    """1 with probability 1 - p, else 0 (as `dtype`)."""
    return (_random.generator().random(shape) >= p).astype(dtype)


def _feature_shape(x, spatial: int, name: str) -> tuple:
    """Mask shape with one draw per (sample, channel): (N, C, 1, ...) or (C, 1, ...)."""
    if x.ndim == spatial + 2:
        return x.shape[:2] + (1,) * spatial
    if x.ndim == spatial + 1:
        return x.shape[:1] + (1,) * spatial
    raise ShapeError(f"{name}: expected {spatial + 1}D or {spatial + 2}D input, got shape {x.shape}")


def _channel_dropout(name, x, p, training, spatial):
    _check_p(name, p)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0
    mask = _keep_mask(_feature_shape(x, spatial, name), p, x.dtype) * (1.0 / (1.0 - p))
    return x * mask.astype(x.dtype)


def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, L) or (C, L) with probability p, scaling the rest by 1/(1-p)."""
    return _channel_dropout("dropout1d", input, p, training, 1)


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, H, W) or (C, H, W)."""
    if input.ndim == 3:
        # PyTorch's historical reading of 3-D input: (N, C, L), channel-wise 1-D dropout.
        warnings.warn(
            "dropout2d: received a 3D input; assuming channel-wise 1D dropout over (N, C, L) is "
            "desired, as PyTorch does",
            stacklevel=2,
        )
        return _channel_dropout("dropout2d", input, p, training, 1)
    return _channel_dropout("dropout2d", input, p, training, 2)


def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W)."""
    return _channel_dropout("dropout3d", input, p, training, 3)


def _alpha(name, x, p, training, mask_shape):
    _check_p(name, p)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0
    # Dropped units take SELU's saturation value; a and b restore mean 0 and variance 1.
    a = ((1 - p) * (1 + p * _ALPHA_PRIME**2)) ** -0.5
    b = -a * _ALPHA_PRIME * p
    keep = _keep_mask(mask_shape, p, x.dtype)
    return x * (a * keep).astype(x.dtype) + (a * _ALPHA_PRIME * (1 - keep) + b).astype(x.dtype)


def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Dropout that keeps SELU activations' mean and variance (self-normalising nets)."""
    return _alpha("alpha_dropout", input, p, training, input.shape)


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Alpha dropout of whole channels (dim 1)."""
    if input.ndim < 2:
        raise ShapeError(f"feature_alpha_dropout: expected at least 2 dims, got shape {input.shape}")
    return _alpha("feature_alpha_dropout", input, p, training, input.shape[:2] + (1,) * (input.ndim - 2))
