"""Convolution layers over (N, C, L) and (N, C, H, W), with PyTorch's weight layouts
(out_channels, in_channels, *kernel) and initialisation.

    >>> import autograd_core as ag
    >>> import nn
    >>> nn.Conv2d(3, 8, 3, padding=1)(ag.zeros(2, 3, 16, 16)).shape
    (2, 8, 16, 16)
"""

from __future__ import annotations

import autograd_core.functional as F
from autograd_core import Tensor, empty, pad

from . import _checks, init
from .module import Module
from .parameter import Parameter


def _compact(value: tuple):
    # The functional ops take an int where every dim agrees, a tuple otherwise.
    return value[0] if len(set(value)) == 1 else value


class _ConvNd(Module):
    _n = 0  # spatial dims
    _conv = None

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros", dtype=None):
        super().__init__()
        n = self._n
        layer = type(self).__name__
        in_channels = _checks.size(layer, "in_channels", in_channels)
        out_channels = _checks.size(layer, "out_channels", out_channels)
        if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
            raise ValueError(f"{type(self).__name__}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups:
            raise ValueError(f"{type(self).__name__}: in_channels must be divisible by groups, "
                             f"got {in_channels} and {groups}")
        if out_channels % groups:
            raise ValueError(f"{type(self).__name__}: out_channels must be divisible by groups, "
                             f"got {out_channels} and {groups}")
        if padding_mode != "zeros":
            raise ValueError(
                f"{type(self).__name__}: only padding_mode='zeros' is supported, got {padding_mode!r}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _checks.size_tuple(layer, "kernel_size", kernel_size, n, 1)
        self.stride = _checks.size_tuple(layer, "stride", stride, n, 1)
        self.dilation = _checks.size_tuple(layer, "dilation", dilation, n, 1)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _checks.size_tuple(layer, "padding", padding, n, 0)
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = Parameter(empty(out_channels, in_channels // groups, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_layer_init_(self.weight, self.bias)

    def _padded(self, x: Tensor) -> tuple[Tensor, tuple]:
        """The input and the symmetric padding to give the functional op."""
        if self.padding == "valid":
            return x, (0,) * self._n
        if self.padding != "same":
            return x, self.padding
        totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
        left = [t // 2 for t in totals]
        if all(t % 2 == 0 for t in totals):
            return x, tuple(left)
        # Odd total padding: PyTorch puts the extra zero on the right/bottom; pad explicitly.
        widths = []
        for t, lo in reversed(list(zip(totals, left))):
            widths += [lo, t - lo]
        return pad(x, widths), (0,) * self._n

    def forward(self, x: Tensor) -> Tensor:
        x, padding = self._padded(x)
        return self._conv(x, self.weight, self.bias, _compact(self.stride), _compact(padding),
                          _compact(self.dilation), self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if isinstance(self.padding, str) or self.padding != (0,) * self._n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._n:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation) over (N, C_in, L); weight (out, in/groups, k).

        >>> import autograd_core as ag
        >>> Conv1d(2, 4, kernel_size=3)(ag.zeros(1, 2, 10)).shape
        (1, 4, 8)
    """

    _n = 1
    _conv = staticmethod(F.conv1d)


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation) over (N, C_in, H, W); weight (out, in/groups, kH, kW).

        >>> import autograd_core as ag
        >>> Conv2d(1, 4, kernel_size=3, stride=2)(ag.zeros(1, 1, 9, 9)).shape
        (1, 4, 4, 4)
    """

    _n = 2
    _conv = staticmethod(F.conv2d)
