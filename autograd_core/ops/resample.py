"""Resampling: F.interpolate (nearest, nearest-exact, linear, bilinear, bicubic, lanczos,
trilinear, area), its older names (upsample, upsample_nearest, upsample_bilinear), and
pixel_shuffle / pixel_unshuffle.

Interpolation is separable: one pass per spatial dim, a product with a constant (out, in)
weight matrix for small dims or a weighted sum of `axis_take`s for large ones (PyTorch's
source-index rules either way), so the gradient is the engine's. 'area' is adaptive
average pooling. With antialias=True (bilinear, bicubic, lanczos) each dim is a product
with a constant (out, in) matrix of PIL-style filter weights widened by the downscale
factor. pixel_shuffle is a reshape and a permute.

    >>> import autograd_core as ag
    >>> interpolate(ag.tensor([[[0.0, 3.0]]]), scale_factor=2, mode="linear", align_corners=True)
    tensor([[[0., 1., 2., 3.]]])
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..function import ShapeError
from .axis_index import axis_take
from .pool_ext import adaptive_avg_pool

_SPATIAL = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area", "lanczos")
_CUBIC_A = -0.75  # PyTorch's bicubic convolution constant


def _source(dst, in_size, out_size, scale, align_corners, clamp):
    """The fractional input coordinate that output position `dst` samples."""
    if align_corners:
        return dst * ((in_size - 1) / (out_size - 1) if out_size > 1 else 0.0)
    ratio = 1.0 / scale if scale is not None and scale > 0 else in_size / out_size
    src = (dst + 0.5) * ratio - 0.5
    return np.maximum(src, 0.0) if clamp else src


def _nearest(x, axis, in_size, out_size, scale, exact):
    ratio = 1.0 / scale if scale is not None and scale > 0 else in_size / out_size
    # PyTorch computes nearest source indices in float32 whatever the input dtype.
    dst, ratio = np.arange(out_size, dtype=np.float32), np.float32(ratio)
    src = np.floor((dst + np.float32(0.5)) * ratio) if exact else np.floor(dst * ratio)
    idx = np.minimum(src.astype(np.int64), in_size - 1)
    return axis_take(x, axis, idx)


def _weights_shape(ndim, axis, n):
    shape = [1] * ndim
    shape[axis] = n
    return tuple(shape)


def _linear_taps(in_size, out_size, scale, align_corners):
    """Two (index, weight) taps per output position for linear interpolation."""
    dst = np.arange(out_size, dtype=np.float64)
    src = _source(dst, in_size, out_size, scale, align_corners, clamp=True)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    w1 = src - i0
    return [(i0, 1 - w1), (i1, w1)]


def _cubic_weights(t):
    """The four cubic-convolution weights for taps at offsets -1, 0, 1, 2 from floor(src)."""
    a = _CUBIC_A

    def near(u):  # |u| <= 1
        return ((a + 2) * u - (a + 3)) * u * u + 1

    def far(u):  # 1 < |u| < 2
        return ((a * u - 5 * a) * u + 8 * a) * u - 4 * a

    return far(t + 1), near(t), near(1 - t), far(2 - t)


def _cubic_taps(in_size, out_size, scale, align_corners):
    """Four (index, weight) taps per output position, indices clamped at the borders."""
    dst = np.arange(out_size, dtype=np.float64)
    src = _source(dst, in_size, out_size, scale, align_corners, clamp=False)
    base = np.floor(src)
    weights = _cubic_weights(src - base)
    return [(np.clip(base.astype(np.int64) + k, 0, in_size - 1), w) for k, w in zip((-1, 0, 1, 2), weights)]


# Up to this input size a dim is resampled by one matmul with its dense (out, in) weight
# matrix (BLAS beats gathers there); above it, by gathering each tap.
_DENSE_MAX = 256


def _along(x, axis, matrix):
    """Contract `axis` of x with a constant (out, in) matrix."""
    return (x.transpose(axis, -1) @ matrix.T.astype(x.dtype)).transpose(axis, -1)


def _resample_axis(x, axis, in_size, out_size, taps):
    if in_size <= _DENSE_MAX:
        matrix = np.zeros((out_size, in_size))
        rows = np.arange(out_size)
        for idx, w in taps:
            np.add.at(matrix, (rows, idx), w)  # a small constant, built once per call
        return _along(x, axis, matrix)
    shape = _weights_shape(x.ndim, axis, out_size)
    out = None
    for idx, w in taps:
        term = axis_take(x, axis, idx) * w.reshape(shape).astype(x.dtype)
        out = term if out is None else out + term
    return out


def _aa_filter(mode, x):
    """The anti-aliasing filters (PIL's, as PyTorch): triangle, Keys cubic (a = -0.5), Lanczos-3."""
    x = np.abs(x)
    if mode == "bilinear":
        return np.maximum(1 - x, 0.0)
    if mode == "bicubic":
        a = -0.5
        near = ((a + 2) * x - (a + 3)) * x * x + 1
        far = (((x - 5) * x + 8) * x - 4) * a
        return np.where(x < 1, near, np.where(x < 2, far, 0.0))
    return np.where(x < 3, np.sinc(x) * np.sinc(x / 3), 0.0)


_AA_TAPS = {"bilinear": 2, "bicubic": 4, "lanczos": 6}


def _aa_matrix(mode, in_size, out_size, scale_factor, align_corners):
    """(out, in) resampling weights with the filter stretched by the downscale factor."""
    if align_corners:
        scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    else:
        scale = 1.0 / scale_factor if scale_factor is not None and scale_factor > 0 else in_size / out_size
    support = _AA_TAPS[mode] * 0.5 * (scale if scale >= 1 else 1.0)
    invscale = 1.0 / scale if scale >= 1 else 1.0
    weights = np.zeros((out_size, in_size))
    for i in range(out_size):
        center = scale * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        w = _aa_filter(mode, (np.arange(lo, hi) - center + 0.5) * invscale)
        total = w.sum()
        weights[i, lo:hi] = w / total if total != 0 else w
    return weights


def _output_size(name, x, spatial, size, scale_factor):
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{name}: only one of size or scale_factor should be defined")
    if size is not None:
        sizes = (size,) * spatial if isinstance(size, (int, np.integer)) else tuple(size)
        if len(sizes) != spatial:
            raise ValueError(
                f"{name}: input with {spatial} spatial dims (shape {x.shape}) needs a size "
                f"of {spatial} values, got {size}"
            )
        return tuple(int(s) for s in sizes), (None,) * spatial
    scales = (scale_factor,) * spatial if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
    if len(scales) != spatial:
        raise ValueError(
            f"{name}: input with {spatial} spatial dims (shape {x.shape}) needs a "
            f"scale_factor of {spatial} values, got {scale_factor}"
        )
    sizes = tuple(int(math.floor(n * float(s))) for n, s in zip(x.shape[2:], scales))
    return sizes, tuple(float(s) for s in scales)


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias: bool = False,
):
    """Resize the spatial dims of (N, C, *spatial) to `size` or by `scale_factor`.

    >>> import autograd_core as ag
    >>> interpolate(ag.zeros(1, 3, 4, 4), scale_factor=2, mode="bilinear").shape
    (1, 3, 8, 8)
    """
    if mode not in _MODES:
        raise ValueError(f"interpolate: mode must be one of {_MODES}, got {mode!r}")
    if antialias and not (mode in _AA_TAPS and input.ndim == 4):
        raise ValueError(
            "interpolate: anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
            f"and requires a 4-D tensor as input (got mode {mode!r}, shape {input.shape})"
        )
    if mode == "lanczos" and (not antialias or align_corners):
        raise ValueError("interpolate: lanczos mode requires antialias=True and align_corners=False")
    spatial = input.ndim - 2
    if spatial < 1 or spatial > 3:
        raise ShapeError(
            f"interpolate: expected 3D, 4D or 5D input (N, C, *spatial), got shape {input.shape}"
        )
    if mode in _SPATIAL and _SPATIAL[mode] != spatial:
        raise ShapeError(
            f"interpolate: mode {mode!r} expects {_SPATIAL[mode] + 2}D input, got shape {input.shape}"
        )
    linear_like = mode in _SPATIAL or mode == "lanczos"
    if align_corners is not None and not linear_like:
        raise ValueError(
            "interpolate: align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )
    align = bool(align_corners) if linear_like else False
    sizes, scales = _output_size("interpolate", input, spatial, size, scale_factor)
    if any(s < 0 for s in sizes) or (mode != "area" and any(s == 0 for s in sizes)):
        raise ValueError(f"interpolate: output size {sizes} must be positive (input shape {input.shape})")
    if recompute_scale_factor:
        scales = (None,) * spatial
    if mode == "area":
        return adaptive_avg_pool(input, sizes, "interpolate")
    x = input
    if antialias:  # one (out, in) weight matrix per spatial dim
        for i, (out_size, scale) in enumerate(zip(sizes, scales)):
            axis = 2 + i
            x = _along(x, axis, _aa_matrix(mode, input.shape[axis], out_size, scale, align))
        return x
    for i, (out_size, scale) in enumerate(zip(sizes, scales)):
        axis = 2 + i
        in_size = input.shape[axis]
        if in_size == 0:
            raise ShapeError(f"interpolate: input spatial size {input.shape[2:]} must be positive")
        if out_size == in_size and (
            mode in ("linear", "bilinear", "trilinear") or (mode, spatial) == ("nearest", 2)
        ):
            # PyTorch's kernels copy a dim whose size does not change, whatever the scale
            # factor (linear modes, and nearest in 2-D only; measured against torch 2.13).
            continue
        if mode in ("nearest", "nearest-exact"):
            x = _nearest(x, axis, in_size, out_size, scale, mode == "nearest-exact")
        else:
            taps = (_cubic_taps if mode == "bicubic" else _linear_taps)(in_size, out_size, scale, align)
            x = _resample_axis(x, axis, in_size, out_size, taps)
    return x


def upsample(input, size=None, scale_factor=None, mode: str = "nearest", align_corners=None):
    """Deprecated alias of interpolate (as in PyTorch)."""
    warnings.warn(
        "nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.", stacklevel=2
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(..., mode='nearest')."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(..., mode='bilinear', align_corners=True)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def pixel_shuffle(input, upscale_factor: int):
    """(*, C·r², H, W) -> (*, C, H·r, W·r).

    >>> import autograd_core as ag
    >>> pixel_shuffle(ag.zeros(1, 8, 2, 3), 2).shape
    (1, 2, 4, 6)
    """
    r = int(upscale_factor)
    if input.ndim < 3:
        raise ShapeError(f"pixel_shuffle: expected at least 3 dims, got shape {input.shape}")
    if r <= 0:
        raise ValueError(f"pixel_shuffle: upscale_factor must be positive, got {r}")
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise ShapeError(
            f"pixel_shuffle: expected the channel dim ({c}) to be divisible by the square of "
            f"upscale_factor ({r * r})"
        )
    b = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor: int):
    """(*, C, H·r, W·r) -> (*, C·r², H, W), the inverse of pixel_shuffle."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise ShapeError(f"pixel_unshuffle: expected at least 3 dims, got shape {input.shape}")
    if r <= 0:
        raise ValueError(f"pixel_unshuffle: downscale_factor must be positive, got {r}")
    *batch, c, h, w = input.shape
    if h % r or w % r:
        raise ShapeError(
            f"pixel_unshuffle: expected height ({h}) and width ({w}) to be divisible by "
            f"downscale_factor ({r})"
        )
    b = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)
    return x.reshape(*batch, c * r * r, h // r, w // r)


def channel_shuffle(input, groups: int):
    """Interleave the channels of (N, C, *) across `groups` (ShuffleNet): (g, C/g) -> (C/g, g).

    >>> import autograd_core as ag
    >>> channel_shuffle(ag.arange(4.0).reshape(1, 4, 1), 2).reshape(-1).tolist()
    [0.0, 2.0, 1.0, 3.0]
    """
    if input.ndim < 3:
        raise ShapeError(f"channel_shuffle: expected at least 3 dims (N, C, *), got shape {input.shape}")
    n, c = input.shape[:2]
    if groups <= 0 or c % groups:
        raise ValueError(f"channel_shuffle: number of channels ({c}) must be divisible by groups ({groups})")
    rest = input.shape[2:]
    x = input.reshape((n, groups, c // groups) + rest)
    return x.transpose(1, 2).reshape(input.shape)
