"""Pooling layers with every PyTorch option, over `autograd_core.ops.pool_ext`: max
pooling (dilation, ceil_mode, return_indices), average pooling (ceil_mode,
count_include_pad, divisor_override), max unpooling, adaptive and power-average pooling.

    >>> import autograd_core as ag
    >>> import nn
    >>> nn.AdaptiveAvgPool2d((1, 1))(ag.zeros(2, 8, 5, 7)).shape
    (2, 8, 1, 1)
"""

from __future__ import annotations

from autograd_core import Tensor
from autograd_core.ops import pool3d as P3
from autograd_core.ops import pool_ext as P

from . import _checks
from .module import Module


class _MaxPoolNd(Module):
    _f = None

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ):
        super().__init__()
        _checks.pooling_window(type(self).__name__, kernel_size, stride, padding, dilation, self._n)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size  # PyTorch's default
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x: Tensor):
        return type(self)._f(
            x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, self.return_indices
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    """Max over windows of (N, C, L) or (C, L)."""

    _f = staticmethod(P.max_pool1d)
    _n = 1


class MaxPool2d(_MaxPoolNd):
    """Max over windows of (N, C, H, W) or (C, H, W)."""

    _f = staticmethod(P.max_pool2d)
    _n = 2


class AvgPool1d(Module):
    """Mean over windows of (N, C, L) or (C, L)."""

    def __init__(
        self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True
    ):
        super().__init__()
        _checks.pooling_window("AvgPool2d", kernel_size, stride, padding, 1, 2)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad

    def forward(self, x: Tensor) -> Tensor:
        return P.avg_pool1d(
            x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over windows of (N, C, H, W) or (C, H, W)."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override=None,
    ):
        super().__init__()
        _checks.pooling_window("AvgPool2d", kernel_size, stride, padding, 1, 2)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode, self.count_include_pad = padding, ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return P.avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _MaxUnpoolNd(Module):
    _f = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding

    def forward(self, x: Tensor, indices, output_size=None) -> Tensor:
        return type(self)._f(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Put each pooled value back at its max_pool1d index, zeros elsewhere."""

    _f = staticmethod(P.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """Put each pooled value back at its max_pool2d index, zeros elsewhere."""

    _f = staticmethod(P.max_unpool2d)


class _AdaptiveAvgPoolNd(Module):
    _f = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return type(self)._f(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Mean pooling of (N, C, L) to a fixed length."""

    _f = staticmethod(P.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Mean pooling of (N, C, H, W) to a fixed size (None keeps that dim)."""

    _f = staticmethod(P.adaptive_avg_pool2d)


class _AdaptiveMaxPoolNd(Module):
    _f = None

    def __init__(self, output_size, return_indices: bool = False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x: Tensor):
        return type(self)._f(x, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, L) to a fixed length."""

    _f = staticmethod(P.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, H, W) to a fixed size."""

    _f = staticmethod(P.adaptive_max_pool2d)


class _LPPoolNd(Module):
    _f = None

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = (
            norm_type,
            kernel_size,
            stride,
            ceil_mode,
        )

    def forward(self, x: Tensor) -> Tensor:
        return type(self)._f(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (
            f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"ceil_mode={self.ceil_mode}"
        )


class LPPool1d(_LPPoolNd):
    """(Σ x^p)^(1/p) over windows of (N, C, L)."""

    _f = staticmethod(P.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """(Σ x^p)^(1/p) over windows of (N, C, H, W)."""

    _f = staticmethod(P.lp_pool2d)


class MaxPool3d(_MaxPoolNd):
    """Max over windows of (N, C, D, H, W) or (C, D, H, W)."""

    _f = staticmethod(P3.max_pool3d)
    _n = 3


class AvgPool3d(AvgPool2d):
    """Mean over windows of (N, C, D, H, W) or (C, D, H, W)."""

    def forward(self, x: Tensor) -> Tensor:
        return P3.avg_pool3d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )


class MaxUnpool3d(_MaxUnpoolNd):
    """Put each pooled value back at its max_pool3d index, zeros elsewhere."""

    _f = staticmethod(P3.max_unpool3d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Mean pooling of (N, C, D, H, W) to a fixed size."""

    _f = staticmethod(P3.adaptive_avg_pool3d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max pooling of (N, C, D, H, W) to a fixed size."""

    _f = staticmethod(P3.adaptive_max_pool3d)


class LPPool3d(_LPPoolNd):
    """(Σ x^p)^(1/p) over windows of (N, C, D, H, W)."""

    _f = staticmethod(P3.lp_pool3d)
