"""F.pad with PyTorch's four modes and negative (cropping) pads.

`pad` lists (left, right) pairs starting from the last dim. A negative entry crops. The
constant mode uses the `Pad` op of `ops/shape.py`; reflect, replicate and circular
are an `axis_take` per padded dim with the index pattern of the mode, so their
gradient (a scatter-add of the repeated rows) comes from that op.

    >>> import autograd_core as ag
    >>> pad(ag.tensor([[[1.0, 2.0, 3.0]]]), (2, 1), mode="reflect")
    tensor([[[3., 2., 1., 2., 3., 2.]]])
"""

from __future__ import annotations

import numpy as np

from ..function import ShapeError
from .axis_index import axis_take
from .index import getitem
from .shape import Pad

MODES = ("constant", "reflect", "replicate", "circular")


def _source_index(mode: str, size: int, left: int, right: int) -> np.ndarray:
    """For each output position along one dim, the input position it copies."""
    pos = np.arange(-left, size + right)
    if mode == "replicate":
        return np.clip(pos, 0, size - 1)
    if mode == "circular":
        return pos % size
    period = 2 * (size - 1)  # reflect about the first and last elements (edge not repeated)
    if period == 0:
        return np.zeros_like(pos)
    pos = np.abs(pos) % period
    return np.where(pos >= size, period - pos, pos)


def pad(input, pad, mode: str = "constant", value: float | None = None):
    """Pad (or, with negative widths, crop) the trailing dims of `input`.

    >>> import autograd_core as ag
    >>> pad(ag.ones(1, 2), (1, -1)).tolist()
    [[0.0, 1.0]]
    """
    if mode not in MODES:
        raise ValueError(f"pad: unrecognised padding mode {mode!r}; expected one of {MODES}")
    widths = tuple(int(p) for p in pad)
    if len(widths) % 2:
        raise ShapeError(f"pad: padding length must be divisible by 2, got {widths}")
    n = len(widths) // 2
    if n > input.ndim:
        raise ShapeError(f"pad: padding {widths} has {n} dims but the input has shape {input.shape}")
    if mode != "constant":
        if value is not None and value != 0:
            raise ValueError(f'pad: padding mode "{mode}" doesn\'t take in value argument')
        if n > 3 or input.ndim not in (n + 1, n + 2):
            raise ShapeError(
                f"pad: padding size {len(widths)} is not supported for {input.ndim}D input with mode "
                f"{mode!r} (2-3D input pads 1 dim, 3-4D 2 dims, 4-5D 3 dims)"
            )
    # (dim, left, right) with the dims counted from the end, as F.pad lists them.
    per_dim = [(input.ndim - 1 - i, widths[2 * i], widths[2 * i + 1]) for i in range(n)]
    # Negative widths crop first: a slice of the input.
    crop = [slice(None)] * input.ndim
    for d, lo, hi in per_dim:
        size = input.shape[d]
        start, stop = max(-lo, 0), size - max(-hi, 0)
        if stop - start + max(lo, 0) + max(hi, 0) < 0 or stop < start:
            raise ShapeError(
                f"pad: padding {widths} crops more than dim {d} of size {size} holds "
                f"(input shape {input.shape})"
            )
        crop[d] = slice(start, stop)
    x = input
    if any(lo < 0 or hi < 0 for _, lo, hi in per_dim):
        x = getitem(input, tuple(crop))
    grow = [(d, max(lo, 0), max(hi, 0)) for d, lo, hi in per_dim]
    if not any(lo or hi for _, lo, hi in grow):
        return x if x is not input else input * 1
    if mode == "constant":
        full = [(0, 0)] * x.ndim
        for d, lo, hi in grow:
            full[d] = (lo, hi)
        return Pad.apply(x, tuple(full), 0.0 if value is None else value)
    for d, lo, hi in grow:
        size = x.shape[d]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise ShapeError(
                f"pad: padding size should be less than the corresponding input dimension, "
                f"but got padding ({lo}, {hi}) at dimension {d} of input {list(x.shape)}"
            )
        if mode == "circular" and (lo > size or hi > size):
            raise ShapeError(
                f"pad: padding value ({lo}, {hi}) is larger than dimension {d} of size {size}: "
                "circular padding wraps at most once"
            )
        if size == 0:
            raise ShapeError(f"pad: cannot {mode}-pad dimension {d} of size 0 (input shape {x.shape})")
        if lo or hi:
            x = axis_take(x, d, _source_index(mode, size, lo, hi))
    return x
