"""Normalisation functionals (layer, group, batch, instance, RMS and local-response
norms; normalize, cosine_similarity, pairwise_distance), composed from Tensor ops so their
gradients, and gradients of gradients, come from the engine.

Running statistics of batch_norm/instance_norm are buffers updated in place (their raw
arrays, outside the graph), with the unbiased batch variance, as PyTorch.

    >>> import autograd_core as ag
    >>> from autograd_core.ops.norm import layer_norm
    >>> y = layer_norm(ag.tensor([[1.0, 2.0, 3.0]]), (3,))
    >>> [round(v, 4) for v in y.tolist()[0]]
    [-1.2247, 0.0, 1.2247]
"""

from __future__ import annotations

import math

import numpy as np

from ..function import Op, ShapeError
from ..kernels import norm as KN
from .axis_index import axis_take
from .padding import pad
from .reduce import norm as norm_
from .reduce import sum as sum_
from .shape import broadcast_to


class Standardize(Op):
    """(x - mean) / sqrt(var + eps) over `axes` (biased variance), fused: one node instead
    of seven. Only x is saved; backward recomputes the statistics with operations that
    ndarrays and Tensors share, so it also runs on Tensors for double backward:
    dx = rstd·(g - mean(g) - x̂·mean(g·x̂))."""

    @staticmethod
    def _stats(x, axes, eps):
        n = 1
        for a in axes:
            n *= x.shape[a]
        mean = x.sum(axis=axes, keepdims=True) * (1.0 / max(n, 1))
        centered = x - mean
        var = (centered * centered).sum(axis=axes, keepdims=True) * (1.0 / max(n, 1))
        return n, centered, (var + eps) ** -0.5

    @staticmethod
    def forward(ctx, x, axes, eps):
        ctx.saved = (x,)
        ctx.params = (axes, eps)
        _, centered, rstd = Standardize._stats(x, axes, eps)
        return centered * rstd

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        axes, eps = ctx.params
        n, centered, rstd = Standardize._stats(x, axes, eps)
        xhat = centered * rstd
        inv_n = 1.0 / max(n, 1)
        g_mean = g.sum(axis=axes, keepdims=True) * inv_n
        gx_mean = (g * xhat).sum(axis=axes, keepdims=True) * inv_n
        return rstd * (g - g_mean - xhat * gx_mean), None, None


def _standardize(x, axes: tuple, eps: float, stats: bool = False):
    """Standardize over `axes`; with `stats`, also the batch mean and biased variance as
    arrays (for running statistics)."""
    y = Standardize.apply(x, tuple(axes), float(eps))
    if not stats:
        return y, None, None
    data = x._data
    mean = data.mean(axis=axes, keepdims=True) if data.size else np.zeros(y.shape)
    var = data.var(axis=axes, keepdims=True) if data.size else np.zeros(y.shape)
    return y, mean, var


def _raw(t):
    return None if t is None else getattr(t, "_data", t)


def _affine(y, weight, bias, shape):
    if weight is not None:
        y = y * (weight.reshape(shape) if shape is not None else weight)
    if bias is not None:
        y = y + (bias.reshape(shape) if shape is not None else bias)
    return y


def _trailing(name, x, normalized_shape):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    if type(normalized_shape) is tuple and len(normalized_shape) == 1 and type(normalized_shape[0]) is int:
        shape = normalized_shape  # the common (d,): no generator to build it again (~0.5 us)
    else:
        shape = tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if x.ndim < k or tuple(x.shape[x.ndim - k :]) != shape:
        raise ShapeError(
            f"{name}: given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {list(x.shape)}"
        )
    return shape, tuple(range(x.ndim - k, x.ndim))


def _check_param(name, what, p, shape):
    if p is not None and tuple(p.shape) != tuple(shape):
        raise ShapeError(f"{name}: {what} of shape {tuple(p.shape)} does not match {tuple(shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """Normalise over the trailing `normalized_shape` dims, then scale and shift.

    >>> import autograd_core as ag
    >>> layer_norm(ag.randn(2, 5), (5,)).shape
    (2, 5)
    """
    shape, axes = _trailing("layer_norm", input, normalized_shape)
    _check_param("layer_norm", "weight", weight, shape)
    _check_param("layer_norm", "bias", bias, shape)
    dtype = input.dtype
    if (input.size and dtype.kind == "f" and (weight is None or weight.dtype == dtype)
            and (bias is None or bias.dtype == dtype)):
        return LayerNorm.apply(input, weight, bias, len(shape), float(eps))
    y, _, _ = _standardize(input, axes, eps)
    return _affine(y, weight, bias, None)


class LayerNorm(Op):
    """layer_norm as one node: the fused row kernels of `kernels.norm` (one pass each way, the
    statistics kept from forward), and `composite` (Standardize and the affine step) for the
    recorded backward."""

    @staticmethod
    def forward(ctx, x, weight, bias, k, eps):
        ctx.k = k
        if k == 1:  # the kernel normalises the last dim of any shape: no reshape here (~0.2 us each)
            y, mean, rstd = KN.layer_norm_forward(x, weight, bias, eps)
        else:
            d = math.prod(x.shape[x.ndim - k:])
            w = None if weight is None else weight.reshape(d)
            b = None if bias is None else bias.reshape(d)
            y, mean, rstd = KN.layer_norm_forward(x.reshape(-1, d), w, b, eps)
            y = y.reshape(x.shape)
        ctx.saved = (x, weight, mean, rstd)  # mean, rstd: first-order only (see composite)
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight, mean, rstd = ctx.saved
        if ctx.k == 1:
            dx, dw, db = KN.layer_norm_backward(g, x, weight, mean, rstd)
        else:
            shape = x.shape[x.ndim - ctx.k:]
            d = math.prod(shape)
            w = None if weight is None else weight.reshape(d)
            dx, dw, db = KN.layer_norm_backward(g.reshape(-1, d), x.reshape(-1, d), w, mean, rstd)
            dx, dw, db = dx.reshape(x.shape), dw.reshape(shape), db.reshape(shape)
        return dx, (dw if ctx.next[1] is not None else None), (db if ctx.next[2] is not None else None), None, None

    @staticmethod
    def composite(ctx, x, weight, bias, k, eps):
        y, _, _ = _standardize(x, tuple(range(x.ndim - k, x.ndim)), eps)
        return _affine(y, weight, bias, None)


def rms_norm(input, normalized_shape, weight=None, eps: float | None = None):
    """x / sqrt(mean(x²) + eps) over the trailing dims, times `weight`; eps defaults to
    the dtype's machine epsilon, as PyTorch."""
    shape, axes = _trailing("rms_norm", input, normalized_shape)
    _check_param("rms_norm", "weight", weight, shape)
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    y = input * ((input * input).mean(axes, keepdim=True) + eps) ** -0.5
    return y * weight if weight is not None else y


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    """Normalise each sample's channels in `num_groups` groups; per-channel affine.

    >>> import autograd_core as ag
    >>> group_norm(ag.randn(2, 4, 3), 2).shape
    (2, 4, 3)
    """
    if input.ndim < 2:
        raise ShapeError(f"group_norm: expected at least 2 dims (N, C, *), got shape {input.shape}")
    n, c = input.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise ShapeError(
            f"group_norm: expected number of channels in input ({c}) to be divisible "
            f"by num_groups ({num_groups})"
        )
    _check_param("group_norm", "weight", weight, (c,))
    _check_param("group_norm", "bias", bias, (c,))
    grouped = input.reshape(n, num_groups, (c // num_groups) * int(np.prod(input.shape[2:])))
    y, _, _ = _standardize(grouped, (2,), eps)
    y = y.reshape(input.shape)
    return _affine(y, weight, bias, (c,) + (1,) * (input.ndim - 2))


def _update_running(running_mean, running_var, mean, var, count, momentum):
    # PyTorch keeps the unbiased variance (n / (n - 1)) in running_var.
    if running_mean is not None:
        rm = _raw(running_mean)
        rm[...] = (1 - momentum) * rm + momentum * mean
    if running_var is not None:
        rv = _raw(running_var)
        unbiased = var * (count / (count - 1)) if count > 1 else var
        rv[...] = (1 - momentum) * rv + momentum * unbiased


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
):
    """Per-channel (dim 1) normalisation with batch statistics when `training` (updating
    the running buffers in place), with the running statistics otherwise."""
    if input.ndim < 2:
        raise ShapeError(f"batch_norm: expected at least 2 dims (N, C, *), got shape {input.shape}")
    c = input.shape[1]
    for what, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and int(np.prod(t.shape)) != c:
            raise ShapeError(f"batch_norm: {what} should contain {c} elements not {int(np.prod(t.shape))}")
    axes = (0,) + tuple(range(2, input.ndim))
    shape = (1, c) + (1,) * (input.ndim - 2)
    if training:
        count = input._data.size // max(c, 1)
        if count <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size {input.shape}"
            )
        y, mean, var = _standardize(input, axes, eps, stats=True)
        momentum = 0.0 if momentum is None else momentum
        _update_running(running_mean, running_var, mean.reshape(-1), var.reshape(-1), count, momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when training=False")
        mean = _raw(running_mean).reshape(shape)
        inv_std = 1.0 / np.sqrt(_raw(running_var).reshape(shape) + eps)
        y = (input - mean) * inv_std.astype(input.dtype, copy=False)
    return _affine(y, weight, bias, (c,) + (1,) * (input.ndim - 2))


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
):
    """Normalise each (sample, channel) over its spatial dims; running statistics (if
    given) track the batch mean of the per-instance statistics."""
    if input.ndim < 3:
        raise ShapeError(f"instance_norm: expected at least 3 dims (N, C, *), got shape {input.shape}")
    c = input.shape[1]
    shape = (c,) + (1,) * (input.ndim - 2)
    _check_param("instance_norm", "weight", weight, (c,))
    _check_param("instance_norm", "bias", bias, (c,))
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    axes = tuple(range(2, input.ndim))
    y, mean, var = _standardize(input, axes, eps, stats=running_mean is not None or running_var is not None)
    if running_mean is not None or running_var is not None:
        count = int(np.prod(input.shape[2:]))
        _update_running(
            running_mean,
            running_var,
            mean.reshape(input.shape[:2]).mean(0),
            var.reshape(input.shape[:2]).mean(0),
            count,
            momentum,
        )
    return _affine(y, weight, bias, shape)


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
    """x / (k + alpha·mean of x² over `size` neighbouring channels)^beta."""
    if input.ndim < 3:
        raise ShapeError(f"local_response_norm: expected 3D or higher input, got shape {input.shape}")
    if input.shape[1] == 0:
        return input * 1
    sq = input * input
    # Zero-pad the channel dim by (size // 2, (size - 1) // 2), then average `size` shifted slices.
    widths = [0, 0] * (input.ndim - 2) + [size // 2, (size - 1) // 2]
    padded = pad(sq, widths)
    c = input.shape[1]
    total = padded[:, 0:c]
    for i in range(1, size):
        total = total + padded[:, i : i + c]
    return input / (total * (alpha / size) + k) ** beta


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None):
    """input / max(‖input‖_p along dim, eps)."""
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned Tensor")
    n = norm_(input, p, dim, keepdim=True)
    return input / n.clamp(min=eps)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """Cosine of the angle between x1 and x2 along `dim` (they broadcast), each norm
    clamped below at eps."""
    try:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise ShapeError(f"cosine_similarity: shapes {x1.shape} and {x2.shape} do not broadcast") from None
    x1, x2 = broadcast_to(x1, shape), broadcast_to(x2, shape)
    n1 = norm_(x1, 2, dim, keepdim=True).clamp(min=eps)
    n2 = norm_(x2, 2, dim, keepdim=True).clamp(min=eps)
    return sum_((x1 / n1) * (x2 / n2), dim)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """‖x1 - x2 + eps‖_p along the last dim."""
    ndim = max(x1.ndim, x2.ndim)
    if ndim == 0:
        raise ShapeError("pairwise_distance: inputs must have at least 1 dim")
    return norm_(x1 - x2 + eps, p, ndim - 1, keepdim=keepdim)


def pdist(input, p: float = 2.0):
    """The p-norm distances between every pair of rows i < j of (N, M), as a vector of
    N·(N-1)/2 entries in row-major pair order.

        >>> import autograd_core as ag
        >>> pdist(ag.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 4.0]])).tolist()
        [5.0, 4.0, 3.0]
    """
    if input.ndim != 2:
        raise ShapeError(f"pdist: only supports 2D tensors, got shape {input.shape}")
    if p < 0:
        raise ValueError(f"pdist: only supports non-negative p values, got {p}")
    i, j = np.triu_indices(input.shape[0], 1)
    diff = axis_take(input, 0, i) - axis_take(input, 0, j)
    return norm_(diff, p, 1)
