"""Padding layers over `F.pad`: Zero/Constant/Reflection/Replication/Circular pads in
1-D, 2-D and 3-D, with PyTorch's `padding` arguments (an int, or a tuple
(left, right[, top, bottom[, front, back]])).

    >>> import autograd_core as ag
    >>> import nn
    >>> nn.ZeroPad2d((1, 1, 2, 0))(ag.ones(1, 1, 2, 2)).shape
    (1, 1, 4, 4)
"""

from __future__ import annotations

from autograd_core import Tensor
from autograd_core.ops.padding import pad

from .module import Module


class _PadNd(Module):
    _n = 1
    _mode = "constant"

    def __init__(self, padding, value: float = 0.0):
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self._n)
        padding = tuple(int(p) for p in padding)
        if len(padding) != 2 * self._n:
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or a tuple of {2 * self._n} ints, "
                f"got {padding}"
            )
        self.padding = padding
        self.value = value

    def forward(self, x: Tensor) -> Tensor:
        if self._mode == "constant":
            return pad(x, self.padding, "constant", self.value)
        return pad(x, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}, value={self.value}" if self._mode == "constant" else f"{self.padding}"


def _make(name, n, mode, doc):
    return type(name, (_PadNd,), {"_n": n, "_mode": mode, "__doc__": doc, "__module__": __name__})


class ConstantPad1d(_PadNd):
    """Pad the last dim with `value`."""

    def __init__(self, padding, value: float):
        super().__init__(padding, value)


class ConstantPad2d(ConstantPad1d):
    """Pad the last 2 dims with `value`."""

    _n = 2


class ConstantPad3d(ConstantPad1d):
    """Pad the last 3 dims with `value`."""

    _n = 3


class ZeroPad1d(_PadNd):
    """Pad the last dim with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ZeroPad2d(ZeroPad1d):
    """Pad the last 2 dims with zeros."""

    _n = 2


class ZeroPad3d(ZeroPad1d):
    """Pad the last 3 dims with zeros."""

    _n = 3


ReflectionPad1d = _make(
    "ReflectionPad1d", 1, "reflect", "Pad the last dim by reflection (edge not repeated)."
)
ReflectionPad2d = _make("ReflectionPad2d", 2, "reflect", "Pad the last 2 dims by reflection.")
ReflectionPad3d = _make("ReflectionPad3d", 3, "reflect", "Pad the last 3 dims by reflection.")
ReplicationPad1d = _make("ReplicationPad1d", 1, "replicate", "Pad the last dim by repeating its edge values.")
ReplicationPad2d = _make("ReplicationPad2d", 2, "replicate", "Pad the last 2 dims by repeating edge values.")
ReplicationPad3d = _make("ReplicationPad3d", 3, "replicate", "Pad the last 3 dims by repeating edge values.")
CircularPad1d = _make("CircularPad1d", 1, "circular", "Pad the last dim by wrapping around.")
CircularPad2d = _make("CircularPad2d", 2, "circular", "Pad the last 2 dims by wrapping around.")
CircularPad3d = _make("CircularPad3d", 3, "circular", "Pad the last 3 dims by wrapping around.")
