"""Up-front checks of layer hyper-parameters, so that a degenerate value (a kernel of size 0,
a stride of 0, a negative padding or size) fails in the constructor with a message naming the
layer and the argument, instead of producing a meaningless result or failing deep in a kernel.

The error types are PyTorch's: TypeError for a non-integer size, and for a value PyTorch only
refuses when the layer runs (with a RuntimeError) or at construction (with a ValueError) a
`HyperParameterError`, which is both, so code written against either catches it.

    >>> from nn._checks import size_tuple
    >>> size_tuple("Conv2d", "stride", 2, 2, low=1)
    (2, 2)
"""

from __future__ import annotations

import numbers

from autograd_core.function import HyperParameterError  # noqa: E402  (shared with the ops)


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def size(layer: str, name: str, value, low: int = 0) -> int:
    """An integer argument that must be at least `low` (0 for sizes, 1 for counts)."""
    if not _is_int(value):
        raise TypeError(f"{layer}: {name} should be of type int, got {type(value).__name__} {value!r}")
    if value < low:
        bound = "non-negative" if low == 0 else f"at least {low}"
        raise HyperParameterError(f"{layer}: {name} must be {bound}, got {value}")
    return int(value)


def size_tuple(layer: str, name: str, value, n: int, low: int) -> tuple[int, ...]:
    """An int or a tuple of `n` ints, each at least `low`, as a tuple of `n` ints."""
    values = (value,) * n if _is_int(value) else tuple(value) if isinstance(value, (tuple, list)) else None
    if values is None or len(values) != n or not all(_is_int(v) for v in values):
        raise TypeError(f"{layer}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    if min(values) < low:
        what = "non-negative" if low == 0 else "greater than zero"
        raise HyperParameterError(f"{layer}: {name} must be {what}, got {value!r}")
    return tuple(int(v) for v in values)


def probability(layer: str, name: str, p) -> float:
    """A probability in [0, 1] (PyTorch raises ValueError for dropout probabilities)."""
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{layer}: {name} probability has to be between 0 and 1, but got {p}")
    return float(p)


def pooling_window(layer: str, kernel_size, stride, padding, dilation, n: int) -> None:
    """A pooling window: kernel, stride and dilation >= 1, 0 <= padding <= half the kernel."""
    kernel = size_tuple(layer, "kernel_size", kernel_size, n, 1)
    if stride is not None:
        size_tuple(layer, "stride", stride, n, 1)
    pads = size_tuple(layer, "padding", padding, n, 0)
    size_tuple(layer, "dilation", dilation, n, 1)
    if any(2 * p > k for p, k in zip(pads, kernel)):
        raise HyperParameterError(f"{layer}: padding {padding!r} should be at most half of the kernel "
                                  f"size {kernel_size!r}")
