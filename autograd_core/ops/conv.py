"""Convolutions (PyTorch layouts: conv1d weight (out, in/groups, k), conv2d (out, in/groups, kH, kW)).

The loops live in `autograd_core.kernels.conv`; one kernel module serves the forward and
the three gradients, and the op asks only for the gradients its inputs need. The input
gradient is a transposed convolution (`kernels.conv.conv2d_input_grad`) and the weight
gradient a correlation of input and output gradient (`conv2d_weight_grad`), both linear,
so each can become a differentiable op of its own.

    >>> import autograd_core as ag
    >>> ag.functional.conv2d(ag.ones(1, 1, 5, 5), ag.ones(2, 1, 3, 3), padding=1).shape
    (1, 2, 5, 5)
"""

from __future__ import annotations

from ..function import HyperParameterError, Op, ShapeError
from ..kernels import conv as K


class Conv1d(Op):
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        ctx.saved = (x, w)
        ctx.params = (stride, padding, dilation)
        ctx.groups = groups
        return K.conv1d_forward(x, w, b, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        need_x, need_w, need_b = (e is not None for e in ctx.next[:3])
        dx, dw, db = K.conv1d_backward(x, w, g, *ctx.params, need_x=need_x, need_w=need_w, need_b=need_b,
                                       groups=ctx.groups)
        return dx, dw, db, None, None, None, None

    @staticmethod
    def composite(ctx, x, w, b, stride, padding, dilation, groups):
        return conv_composite(x.unsqueeze(2), w.unsqueeze(2), b, (1, stride), (0, padding), (1, dilation),
                              groups).squeeze(2)


class Conv2d(Op):
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        ctx.saved = (x, w)
        ctx.params = (stride, padding, dilation)
        ctx.groups = groups
        return K.conv2d_forward(x, w, b, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        need_x, need_w, need_b = (e is not None for e in ctx.next[:3])
        dx, dw, db = K.conv2d_backward(x, w, g, *ctx.params, need_x=need_x, need_w=need_w, need_b=need_b,
                                       groups=ctx.groups)
        return dx, dw, db, None, None, None, None

    @staticmethod
    def composite(ctx, x, w, b, stride, padding, dilation, groups):
        return conv_composite(x, w, b, stride, padding, dilation, groups)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_composite(x, w, b, stride, padding, dilation, groups):
    """A 2-D convolution from differentiable ops (im2col, then one batched matmul per group
    stack): what the recorded backward differentiates, so conv has derivatives of any order."""
    from .unfold import im2col

    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    n, c, h, wd = x.shape
    out_c, cg, kh, kw = w.shape
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    cols = im2col(x, (kh, kw), (dh, dw), ((ph, ph), (pw, pw)), (sh, sw))  # (N, C, K, L)
    cols = cols.reshape(n, groups, cg * kh * kw, oh * ow)
    out = w.reshape(groups, out_c // groups, cg * kh * kw) @ cols  # (N, G, O/G, L)
    out = out.reshape(n, out_c, oh, ow)
    return out if b is None else out + b.reshape(1, out_c, 1, 1)


def _sizes(name, what, value, ndim, low):
    """An int or a tuple of `ndim` ints, each at least `low`, else ValueError (as PyTorch checks)."""
    values = (value,) * ndim if isinstance(value, int) else tuple(value)
    if len(values) != ndim or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{name}: {what} must be an int or {ndim} ints, got {value!r}")
    if min(values) < low:
        raise HyperParameterError(f"{name}: {what} must be >= {low}, got {value!r}")


def _check(name, x, w, b, ndim, stride, padding, dilation, groups):
    if x.ndim != ndim + 2:
        raise ShapeError(f"{name}: input must be {ndim + 2}-D (N, C, ...), got shape {x.shape}")
    if w.ndim != ndim + 2:
        raise ShapeError(f"{name}: weight must be {ndim + 2}-D (out, in/groups, ...), got shape {w.shape}")
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")
    _sizes(name, "stride", stride, ndim, 1)
    _sizes(name, "padding", padding, ndim, 0)
    _sizes(name, "dilation", dilation, ndim, 1)
    if min(w.shape[2:], default=1) < 1 or w.shape[0] < 1:
        raise ShapeError(f"{name}: weight of shape {w.shape} has an empty kernel or no output channels "
                         "(kernel size should be greater than zero)")
    if w.shape[0] % groups:
        raise ShapeError(f"{name}: given groups={groups}, weight of shape {w.shape} should have an output "
                         f"channel count divisible by {groups}")
    if x.shape[1] != w.shape[1] * groups:
        raise ShapeError(
            f"{name}: input has {x.shape[1]} channels but weight of shape {w.shape} with groups={groups} "
            f"expects {w.shape[1] * groups} (input shape {x.shape})"
        )
    if b is not None and tuple(b.shape) != (w.shape[0],):
        raise ShapeError(f"{name}: bias must have shape ({w.shape[0]},), got {tuple(b.shape)}")


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """1-D cross-correlation over (N, C_in, L); weight (C_out, C_in/groups, k).

    With groups > 1 the channels split into `groups` independent convolutions (groups = C_in:
    depthwise).

    >>> import autograd_core as ag
    >>> ag.functional.conv1d(ag.ones(1, 4, 5), ag.ones(4, 1, 3), groups=4).shape
    (1, 4, 3)
    """
    _check("conv1d", x, weight, bias, 1, stride, padding, dilation, groups)
    return Conv1d.apply(x, weight, bias, stride, padding, dilation, groups)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """2-D cross-correlation over (N, C_in, H, W); weight (C_out, C_in/groups, kH, kW).

    >>> import autograd_core as ag
    >>> ag.functional.conv2d(ag.ones(1, 4, 5, 5), ag.ones(8, 2, 3, 3), groups=2).shape
    (1, 8, 3, 3)
    """
    _check("conv2d", x, weight, bias, 2, stride, padding, dilation, groups)
    return Conv2d.apply(x, weight, bias, stride, padding, dilation, groups)
