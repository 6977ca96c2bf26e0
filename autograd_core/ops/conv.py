"""Convolutions (PyTorch layouts: conv1d weight (out, in, k), conv2d (out, in, kH, kW)).

The loops live in `autograd_core.kernels.conv`; one kernel module serves the forward and
the three gradients, and the op asks only for the gradients its inputs need.

    >>> import autograd_core as ag
    >>> ag.functional.conv2d(ag.ones(1, 1, 5, 5), ag.ones(2, 1, 3, 3), padding=1).shape
    (1, 2, 5, 5)
"""

from __future__ import annotations

from ..function import Op, ShapeError
from ..kernels import conv as K


class Conv1d(Op):
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation):
        ctx.saved = (x, w)
        ctx.params = (stride, padding, dilation)
        return K.conv1d_forward(x, w, b, stride, padding, dilation)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        need_x, need_w, need_b = (e is not None for e in ctx.next[:3])
        dx, dw, db = K.conv1d_backward(x, w, g, *ctx.params, need_x=need_x, need_w=need_w, need_b=need_b)
        return dx, dw, db, None, None, None


class Conv2d(Op):
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation):
        ctx.saved = (x, w)
        ctx.params = (stride, padding, dilation)
        return K.conv2d_forward(x, w, b, stride, padding, dilation)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        need_x, need_w, need_b = (e is not None for e in ctx.next[:3])
        dx, dw, db = K.conv2d_backward(x, w, g, *ctx.params, need_x=need_x, need_w=need_w, need_b=need_b)
        return dx, dw, db, None, None, None


def _check(name, x, w, ndim):
    if x.ndim != ndim + 2:
        raise ShapeError(f"{name}: input must be {ndim + 2}-D (N, C, ...), got shape {x.shape}")
    if w.ndim != ndim + 2:
        raise ShapeError(f"{name}: weight must be {ndim + 2}-D (out, in, ...), got shape {w.shape}")
    if 0 in w.shape[2:]:  # an empty kernel would return a map of the bias
        raise ShapeError(f"{name}: kernel size should be greater than zero, got weight of shape {w.shape}")
    if x.shape[1] != w.shape[1]:
        raise ShapeError(
            f"{name}: input has {x.shape[1]} channels but weight of shape {w.shape} expects {w.shape[1]}"
        )


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """1-D cross-correlation over (N, C_in, L)."""
    _check("conv1d", x, weight, 1)
    return Conv1d.apply(x, weight, bias, stride, padding, dilation)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D cross-correlation over (N, C_in, H, W)."""
    _check("conv2d", x, weight, 2)
    return Conv2d.apply(x, weight, bias, stride, padding, dilation)
