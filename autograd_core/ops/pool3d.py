"""3-D pooling (max, average, power-average, adaptive, unpooling) and the
`*_with_indices` spellings of the max pools, over the N-d machinery of `ops/pool_ext.py`.

    >>> import autograd_core as ag
    >>> max_pool3d(ag.zeros(1, 2, 4, 4, 4), 2).shape
    (1, 2, 2, 2, 2)
"""

from __future__ import annotations

import math

from .pool_ext import (
    _adaptive_max,
    _avg_pool,
    _max_pool,
    _max_unpool,
    _out_sizes,
    adaptive_avg_pool,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    max_pool1d,
    max_pool2d,
)
from .unfold import ntuple


def max_pool3d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """Max over windows of (N, C, D, H, W) or (C, D, H, W); indices are flat over D·H·W."""
    return _max_pool(
        "max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def avg_pool3d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override=None,
):
    """Mean over windows of (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool(
        "avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )


def lp_pool3d(input, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
    """(Σ x^p over each window)^(1/p) over (N, C, D, H, W)."""
    k = ntuple(kernel_size, 3, "kernel_size", "lp_pool3d")
    y = avg_pool3d(input**norm_type, k, stride, 0, ceil_mode)
    return (y * math.prod(k)) ** (1.0 / norm_type)


def adaptive_avg_pool3d(input, output_size):
    """Mean over adaptive windows: (N, C, D, H, W) -> (N, C, *output_size)."""
    return adaptive_avg_pool(
        input, _out_sizes("adaptive_avg_pool3d", input, 3, output_size), "adaptive_avg_pool3d"
    )


def adaptive_max_pool3d(input, output_size, return_indices: bool = False):
    """Max over adaptive windows of (N, C, D, H, W)."""
    return _adaptive_max("adaptive_max_pool3d", input, 3, output_size, return_indices)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool3d (indices flat over D·H·W)."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)


def max_pool1d_with_indices(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = True,
):
    """max_pool1d returning (values, indices)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = True,
):
    """max_pool2d returning (values, indices)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = True,
):
    """max_pool3d returning (values, indices)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices: bool = True):
    """adaptive_max_pool1d returning (values, indices)."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices: bool = True):
    """adaptive_max_pool2d returning (values, indices)."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices: bool = True):
    """adaptive_max_pool3d returning (values, indices)."""
    return adaptive_max_pool3d(input, output_size, True)
