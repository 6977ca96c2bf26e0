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
    # PyTorch's orders: constant and circular crop the negative widths first (circular then
    # wraps the cropped data); reflect and replicate pad from the whole input, then crop.
    crop_first = mode in ("constant", "circular")
    for d, lo, hi in per_dim:
        size = input.shape[d]
        kept = size - max(-lo, 0) - max(-hi, 0)
        if size + lo + hi < 0 or (crop_first and kept < 0):
            raise ShapeError(
                f"pad: padding {widths} crops more than dim {d} of size {size} holds "
                f"(input shape {input.shape})"
            )
        if mode == "reflect" and (lo >= size or hi >= size):
            raise ShapeError(
                f"pad: padding size should be less than the corresponding input dimension, "
                f"but got padding ({lo}, {hi}) at dimension {d} of input {list(input.shape)}"
            )
        if mode == "circular" and max(lo, hi) > (kept if lo < 0 or hi < 0 else size):
            raise ShapeError(
                f"pad: padding ({lo}, {hi}) is larger than dimension {d} of size {size} (after cropping "
                f"{kept}): circular padding wraps at most once"
            )
        if mode != "constant" and (lo > 0 or hi > 0) and (kept if crop_first else size) == 0:
            raise ShapeError(f"pad: cannot {mode}-pad dimension {d} of size 0 (input shape {input.shape})")
    x = _crop(input, per_dim) if crop_first else input
    grow = [(d, max(lo, 0), max(hi, 0)) for d, lo, hi in per_dim]
    if mode == "constant" and any(lo or hi for _, lo, hi in grow):
        full = [(0, 0)] * x.ndim
        for d, lo, hi in grow:
            full[d] = (lo, hi)
        x = Pad.apply(x, tuple(full), 0.0 if value is None else value)
    elif mode != "constant":
        for d, lo, hi in grow:
            if lo or hi:
                x = _pad_axis(x, d, lo, hi, mode)
    if not crop_first:
        x = _crop(x, per_dim)
    return input * 1 if x is input else x


def _crop(x, per_dim):
    """x without the negative widths' entries (unchanged if there are none)."""
    if all(lo >= 0 and hi >= 0 for _, lo, hi in per_dim):
        return x
    key = [slice(None)] * x.ndim
    for d, lo, hi in per_dim:
        key[d] = slice(max(-lo, 0), x.shape[d] - max(-hi, 0))
    return getitem(x, tuple(key))
