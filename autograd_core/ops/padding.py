"""F.pad with PyTorch's four modes and negative (cropping) pads.

`pad` lists (left, right) pairs starting from the last dim. A negative entry crops. The
constant mode uses the `Pad` op of `ops/shape.py`; reflect, replicate and circular
concatenate mirrored, broadcast-edge or wrapped slices around each padded dim, so their
gradients are those of slicing, flip, expand and cat.

    >>> import autograd_core as ag
    >>> pad(ag.tensor([[[1.0, 2.0, 3.0]]]), (2, 1), mode="reflect")
    tensor([[[3., 2., 1., 2., 3., 2.]]])
"""

from __future__ import annotations

from ..function import ShapeError
from .index import getitem
from .shape import Pad, cat, expand, flip

MODES = ("constant", "reflect", "replicate", "circular")


def _pad_axis(x, d: int, lo: int, hi: int, mode: str):
    """Grow dim d by lo/hi entries copied from x: mirrored slices (reflect), wrapped slices
    (circular) or the broadcast edge (replicate), concatenated around x. Slices, flips,
    expands and cat are views or copies whose gradients are cheap slices and sums."""
    size = x.shape[d]

    def part(start, stop):
        return getitem(x, (slice(None),) * d + (slice(start, stop),))

    def edge(i, count):
        shape = list(x.shape)
        shape[d] = count
        return expand(part(i, i + 1), *shape)

    if mode == "reflect":
        left = flip(part(1, lo + 1), d) if lo else None
        right = flip(part(size - 1 - hi, size - 1), d) if hi else None
    elif mode == "circular":
        left = part(size - lo, size) if lo else None
        right = part(0, hi) if hi else None
    else:
        left = edge(0, lo) if lo else None
        right = edge(size - 1, hi) if hi else None
    return cat([p for p in (left, x, right) if p is not None], d)


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
            x = _pad_axis(x, d, lo, hi, mode)
    return x
