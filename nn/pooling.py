"""Pooling layers: max over windows (the gradient goes to each window's argmax) and
average over windows (zero padding counted, as PyTorch's default).

    >>> import autograd_core as ag
    >>> import nn
    >>> nn.MaxPool2d(2)(ag.zeros(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
"""

from __future__ import annotations

import autograd_core.functional as F
from autograd_core import Tensor

from . import _checks
from .module import Module


def _only_default(cls: str, name: str, value, default) -> None:
    # Accepted so that PyTorch code passing the defaults runs; other values are not implemented.
    if value != default:
        raise ValueError(f"{cls}: only {name}={default!r} is supported, got {value!r}")


class _MaxPool(Module):
    _n = 0  # spatial dims

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__()
        name = type(self).__name__
        _checks.pooling_window(name, kernel_size, stride, padding, dilation, self._n)
        _only_default(name, "dilation", dilation, 1)
        _only_default(name, "return_indices", return_indices, False)
        _only_default(name, "ceil_mode", ceil_mode, False)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size  # PyTorch's default
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPool):
    """Max over windows of (N, C, L)."""

    _n = 1

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool1d(x, self.kernel_size, self.stride, self.padding)


class MaxPool2d(_MaxPool):
    """Max over windows of (N, C, H, W)."""

    _n = 2

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(Module):
    """Mean over windows of (N, C, H, W); padded zeros count in the mean."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        _checks.pooling_window("AvgPool2d", kernel_size, stride, padding, 1, 2)
        _only_default("AvgPool2d", "ceil_mode", ceil_mode, False)
        _only_default("AvgPool2d", "count_include_pad", count_include_pad, True)
        _only_default("AvgPool2d", "divisor_override", divisor_override, None)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
