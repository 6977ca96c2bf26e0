"""Pooling: max pooling keeps the argmax of each window for its backward scatter;
average pooling spreads each gradient evenly over its window (count_include_pad=True).

    >>> import autograd_core as ag
    >>> ag.functional.max_pool2d(ag.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 5.,  7.],
              [13., 15.]]]])
"""

from __future__ import annotations

import numpy as np

from ..function import Op, ShapeError
from ..kernels import pool as K


class MaxPool1d(Op):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        y, argmax = K.max_pool1d_forward(x, kernel, stride, padding)
        ctx.saved = (argmax,)
        ctx.in_shape = x.shape
        return y

    @staticmethod
    def backward(ctx, g):
        if type(g) is not np.ndarray:
            return _max_pool_grad(g, ctx.saved[0], ctx.in_shape), None, None, None
        return K.max_pool1d_backward(g, ctx.saved[0], ctx.in_shape), None, None, None


class MaxPool2d(Op):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        y, argmax = K.max_pool2d_forward(x, kernel, stride, padding)
        ctx.saved = (argmax,)
        ctx.in_shape = x.shape
        return y

    @staticmethod
    def backward(ctx, g):
        if type(g) is not np.ndarray:
            return _max_pool_grad(g, ctx.saved[0], ctx.in_shape), None, None, None
        return K.max_pool2d_backward(g, ctx.saved[0], ctx.in_shape), None, None, None


class AvgPool2d(Op):
    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        ctx.params = (x.shape, kernel, stride, padding)
        return K.avg_pool2d_forward(x, kernel, stride, padding)

    @staticmethod
    def backward(ctx, g):
        return K.avg_pool2d_backward(g, *ctx.params), None, None, None

    @staticmethod
    def composite(ctx, x, kernel, stride, padding):
        """Window means from differentiable ops (im2col), for the recorded backward."""
        from .conv import _pair
        from .unfold import im2col

        (kh, kw), (ph, pw) = _pair(kernel), _pair(padding)
        sh, sw = _pair(kernel if stride is None else stride)
        n, c, h, w = x.shape
        oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
        cols = im2col(x, (kh, kw), (1, 1), ((ph, ph), (pw, pw)), (sh, sw))  # (N, C, K, L)
        return cols.mean(dim=2).reshape(n, c, oh, ow)


def _max_pool_grad(g, argmax, in_shape):
    """The recorded backward of max pooling: `g` added at each window's argmax, as an op
    (IndexAddZero) whose own backward gathers at the same places."""
    from .index import IndexAddZero

    planes = int(np.prod(in_shape[:2]))
    rows = np.repeat(np.arange(planes), int(np.prod(g.shape[2:])))
    flat = IndexAddZero.apply(g.reshape(-1), (planes, int(np.prod(in_shape[2:]))),
                              (rows, argmax.reshape(-1)))
    return flat.reshape(in_shape)


def _check(name, x, ndim):
    if x.ndim != ndim + 2:
        raise ShapeError(f"{name}: input must be {ndim + 2}-D (N, C, ...), got shape {x.shape}")
    if 0 in x.shape[1:]:  # an empty batch is fine; an empty channel or plane is refused, as torch
        raise ShapeError(f"{name}: expected non-zero sizes in every dim but the batch, got shape {x.shape}")


def max_pool1d(x, kernel_size, stride=None, padding=0):
    """Max over sliding windows of (N, C, L); stride defaults to kernel_size."""
    _check("max_pool1d", x, 1)
    return MaxPool1d.apply(x, kernel_size, stride, padding)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max over sliding windows of (N, C, H, W); stride defaults to kernel_size."""
    _check("max_pool2d", x, 2)
    return MaxPool2d.apply(x, kernel_size, stride, padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean over sliding windows of (N, C, H, W), zero padding counted."""
    _check("avg_pool2d", x, 2)
    return AvgPool2d.apply(x, kernel_size, stride, padding)
