"""softmax and log_softmax along one dim, fused for numerical stability.

log_softmax(x) = x - m - log Σ exp(x - m) with m = max(x), so logits of magnitude 1e4
neither overflow nor lose the answer. Backward:
  softmax:     dx = y · (g - Σ g·y)
  log_softmax: dx = g - softmax(x) · Σ g
The loops run in `autograd_core.kernels.softmax` along the last axis; other dims are
moved there and back.

    >>> import autograd_core as ag
    >>> ag.tensor([1e4, 0.0]).log_softmax(0)
    tensor([     0., -10000.])
"""

from __future__ import annotations

import numpy as np

from ..function import Op
from ..grad_mode import state
from ..kernels import softmax as K

KEEP_PROBS_MIN = 4096


def _to_last(a, axis):
    return a if axis == a.ndim - 1 else np.moveaxis(a, axis, -1)


def _from_last(a, axis):
    return a if axis == a.ndim - 1 else np.moveaxis(a, -1, axis)


class Softmax(Op):
    @staticmethod
    def forward(ctx, a, axis):
        out = _from_last(K.softmax_forward(_to_last(a, axis)), axis)
        ctx.saved = (out,)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        axis = ctx.axis
        if type(g) is not np.ndarray:  # recorded backward: the kernel's formula, differentiable
            y = ctx.saved[0]
            return y * (g - (g * y).sum(axis=axis, keepdims=True)), None
        y = _to_last(ctx.saved[0], axis)
        return _from_last(K.softmax_backward(y, _to_last(g, axis)), axis), None


class LogSoftmax(Op):
    """With `keep` (a gradient will be needed) the forward also keeps softmax(x), computed from the
    same exps, and the backward needs no exp."""

    @staticmethod
    def forward(ctx, a, axis, keep=False):
        ctx.axis = axis
        if keep:
            lp, ctx.probs = K.log_softmax_forward(_to_last(a, axis), probs=True)
        else:
            lp, ctx.probs = K.log_softmax_forward(_to_last(a, axis)), None
        out = _from_last(lp, axis)
        ctx.saved = (out,)
        return out

    @staticmethod
    def backward(ctx, g):
        axis = ctx.axis
        rest = (None,) * (len(ctx.next) - 1)
        if type(g) is not np.ndarray:
            y = ctx.saved[0]
            return (g - np.exp(y) * g.sum(axis=axis, keepdims=True),) + rest
        if ctx.probs is not None:
            grad = K.log_softmax_backward(ctx.probs, _to_last(g, axis), from_probs=True)
        else:
            grad = K.log_softmax_backward(_to_last(ctx.saved[0], axis), _to_last(g, axis))
        return (_from_last(grad, axis),) + rest


def _axis(a, dim, name):
    if dim is None:
        raise TypeError(f"{name}: dim must be given (e.g. dim=-1)")
    ndim = max(a.ndim, 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"{name}: dim {dim} is out of range for a tensor with {a.ndim} dims")
    return dim % ndim


def softmax(a, dim=None):
    """exp(a) / Σ exp(a) along `dim`."""
    if a.ndim == 0:
        from .shape import reshape

        return reshape(Softmax.apply(reshape(a, (1,)), 0), ())
    return Softmax.apply(a, _axis(a, dim, "softmax"))


def log_softmax(a, dim=None):
    """log(softmax(a)) along `dim`, computed stably."""
    if a.ndim == 0:
        from .shape import reshape

        return reshape(LogSoftmax.apply(reshape(a, (1,)), 0), ())
    # keeping softmax(x) repays its array from a few thousand elements (an exp costs ~0.25 ns)
    keep = state.grad_enabled and getattr(a, "requires_grad", False) and a._data.size >= KEEP_PROBS_MIN
    return LogSoftmax.apply(a, _axis(a, dim, "log_softmax"), keep)
