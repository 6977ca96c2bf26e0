"""Spatial transformers: F.affine_grid (sampling grids from affine matrices) and
F.grid_sample (bilinear or nearest sampling of (N, C, H, W) at grid points), composed
from matmul, gather and elementwise ops, so gradients reach the input, the grid and
through it the affine parameters.

Coordinates follow PyTorch: -1 and 1 are the centres of the corner pixels with
align_corners=True, their outer edges otherwise. padding_mode 'zeros' reads 0 outside,
'border' clamps to the edge, 'reflection' mirrors at the borders.

    >>> import autograd_core as ag
    >>> theta = ag.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> x = ag.arange(4.0).reshape(1, 1, 2, 2)
    >>> grid_sample(x, affine_grid(theta, (1, 1, 2, 2), align_corners=False), align_corners=False).tolist()
    [[[[0.0, 1.0], [2.0, 3.0]]]]
"""

from __future__ import annotations

import numpy as np

from ..function import ShapeError
from .elementwise import where
from .index import gather


def _base_coords(size: int, align_corners: bool) -> np.ndarray:
    if align_corners:
        return np.linspace(-1.0, 1.0, size) if size > 1 else np.zeros(1)
    return (np.arange(size) * 2.0 + 1.0) / size - 1.0


def affine_grid(theta, size, align_corners: bool | None = None):
    """Sampling grid (N, H, W, 2) for theta (N, 2, 3), or (N, D, H, W, 3) for theta (N, 3, 4).

    >>> import autograd_core as ag
    >>> affine_grid(ag.tensor([[[1.0, 0, 0], [0, 1.0, 0]]]), (1, 3, 4, 5)).shape
    (1, 4, 5, 2)
    """
    align = bool(align_corners)
    size = tuple(int(s) for s in size)
    spatial = len(size) - 2
    if spatial not in (2, 3):
        raise ValueError(f"affine_grid: size must be 4-D (N, C, H, W) or 5-D (N, C, D, H, W), got {size}")
    want = (size[0], spatial, spatial + 1)
    if tuple(theta.shape) != want:
        raise ShapeError(
            f"affine_grid: expected a theta of shape {want} for size {size}, got {tuple(theta.shape)}"
        )
    if min(size[2:]) <= 0:
        raise ValueError(f"affine_grid: spatial sizes must be positive, got {size}")
    # Base points (x, y[, z], 1) in row-major order of the output; x runs along the width.
    if spatial == 2:
        h, w = size[2:]
        y, x = np.meshgrid(_base_coords(h, align), _base_coords(w, align), indexing="ij")
        base = np.stack([x, y, np.ones((h, w))], axis=-1).reshape(1, h * w, 3)
    else:
        d, h, w = size[2:]
        z, y, x = np.meshgrid(
            _base_coords(d, align), _base_coords(h, align), _base_coords(w, align), indexing="ij"
        )
        base = np.stack([x, y, z, np.ones((d, h, w))], axis=-1).reshape(1, d * h * w, 4)
    grid = base.astype(theta.dtype) @ theta.transpose(1, 2)
    return grid.reshape((size[0],) + size[2:] + (spatial,))


def _unnormalize(coord, size: int, align_corners: bool):
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) * 0.5


def _reflect(coord, low2: float, high2: float):
    """Mirror coordinates into [low2/2, high2/2] (PyTorch's reflect_coordinates); the
    number of flips is a constant, so the gradient is ±1."""
    if low2 == high2:
        return coord * 0
    lo, span = low2 / 2, (high2 - low2) / 2
    dist = (coord - lo).abs()
    flips = np.floor(dist._data / span)
    extra = dist - flips * span
    return where(flips % 2 == 0, extra + lo, span - extra + lo)


def _source(coord, size, padding_mode, align_corners):
    x = _unnormalize(coord, size, align_corners)
    if padding_mode == "reflection":
        x = _reflect(x, 0, 2 * (size - 1)) if align_corners else _reflect(x, -1, 2 * size - 1)
    if padding_mode in ("border", "reflection"):
        x = x.clamp(0, size - 1)
    return x


def grid_sample(
    input, grid, mode: str = "bilinear", padding_mode: str = "zeros", align_corners: bool | None = None
):
    """Sample (N, C, H, W) at the normalised (x, y) points of grid (N, H_out, W_out, 2)."""
    if mode not in ("bilinear", "nearest"):
        raise ValueError(
            f"grid_sample: mode must be 'bilinear' or 'nearest' (bicubic is not supported), got {mode!r}"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            f"grid_sample: padding_mode must be 'zeros', 'border' or 'reflection', got {padding_mode!r}"
        )
    if input.ndim != 4 or grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise ShapeError(
            f"grid_sample: expected input (N, C, H, W) and grid (N, H_out, W_out, 2), got "
            f"{tuple(input.shape)} and {tuple(grid.shape)}"
        )
    align = bool(align_corners)
    n, c, h, w = input.shape
    ho, wo = grid.shape[1:3]
    ix = _source(grid[..., 0].reshape(n, ho * wo), w, padding_mode, align)
    iy = _source(grid[..., 1].reshape(n, ho * wo), h, padding_mode, align)
    flat = input.reshape(n, c, h * w)

    def corner(xi, yi):
        """Values at integer points (N, C, L), 0 outside the image, plus the in-bounds mask."""
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        idx = np.where(inside, yi * w + xi, 0).astype(np.int64)
        picked = gather(flat, 2, np.broadcast_to(idx[:, None, :], (n, c, ho * wo)).copy())
        return picked * inside[:, None, :].astype(input.dtype)

    if mode == "nearest":
        out = corner(np.rint(ix._data).astype(np.int64), np.rint(iy._data).astype(np.int64))
        return out.reshape(n, c, ho, wo)
    x0, y0 = np.floor(ix._data), np.floor(iy._data)
    wx1, wy1 = ix - x0, iy - y0  # Tensors: the grid's gradient flows through the weights
    wx0, wy0 = 1 - wx1, 1 - wy1
    x0i, y0i = x0.astype(np.int64), y0.astype(np.int64)
    out = (
        corner(x0i, y0i) * (wx0 * wy0).reshape(n, 1, ho * wo)
        + corner(x0i + 1, y0i) * (wx1 * wy0).reshape(n, 1, ho * wo)
        + corner(x0i, y0i + 1) * (wx0 * wy1).reshape(n, 1, ho * wo)
        + corner(x0i + 1, y0i + 1) * (wx1 * wy1).reshape(n, 1, ho * wo)
    )
    return out.reshape(n, c, ho, wo)
