"""Plain-NumPy twins of every kernel: same names, signatures and results, written for clarity.

The tests hold both the kernels and these twins against independent naive loops, and
benchmarks/bench_kernels.py times them side by side. Input checking is the kernels' job; the twins
only normalise arguments. One known difference: in max pooling a window holding several NaNs points
its argmax at the first (NumPy) where the kernel, like PyTorch, points at the last.

    >>> from autograd_core.kernels import reference
    >>> reference.softmax_forward(np.array([0.0, 0.0]))
    array([0.5, 0.5])
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._jit import float_array, int_pair
from .dropout import dropout_backward, dropout_forward, dropout_mask  # noqa: F401  (already plain NumPy)

_erfc = np.frompyfunc(math.erfc, 1, 1)  # NumPy has no erf ufunc


def _pair(v):
    return int_pair(v, "reference", "argument", 0)


def _grad(g, like):
    return np.asarray(g, dtype=like.dtype)


# ---- activations -------------------------------------------------------------------------------------


def relu_forward(x):
    x = float_array(x, "relu_forward")
    return np.where(x <= 0, 0, x)


def relu_backward(x, g):
    x = float_array(x, "relu_backward")
    return np.where(x <= 0, 0, _grad(g, x))


def leaky_relu_forward(x, slope=0.01):
    x = float_array(x, "leaky_relu_forward")
    return np.where(x > 0, x, x * slope)


def leaky_relu_backward(x, g, slope=0.01):
    x, g = float_array(x, "leaky_relu_backward"), _grad(g, x)
    return np.where(x > 0, g, g * slope)


def sigmoid_forward(x):
    x = float_array(x, "sigmoid_forward")
    e = np.exp(-np.abs(x))
    r = 1 / (1 + e)
    return np.where(x >= 0, r, e * r)


def sigmoid_backward(y, g):
    y = float_array(y, "sigmoid_backward", "y")
    return _grad(g, y) * y * (1 - y)


def tanh_forward(x):
    return np.tanh(float_array(x, "tanh_forward"))


def tanh_backward(y, g):
    y = float_array(y, "tanh_backward", "y")
    return _grad(g, y) * (1 - y * y)


def _normal_cdf(x):
    return 0.5 * np.asarray(_erfc(-x.astype(np.float64) / math.sqrt(2)), dtype=np.float64)


def _gelu_tanh_parts(x64):
    u = math.sqrt(2 / math.pi) * (x64 + 0.044715 * x64**3)
    return u, np.tanh(u)


def gelu_forward(x, approximate="none"):
    x = float_array(x, "gelu_forward")
    x64 = x.astype(np.float64)
    if approximate == "tanh":
        return (0.5 * x64 * (1 + _gelu_tanh_parts(x64)[1])).astype(x.dtype)
    return (x64 * _normal_cdf(x)).astype(x.dtype)


def gelu_backward(x, g, approximate="none"):
    x = float_array(x, "gelu_backward")
    x64 = x.astype(np.float64)
    if approximate == "tanh":
        _, t = _gelu_tanh_parts(x64)
        du = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x64**2)
        return (_grad(g, x) * (0.5 * (1 + t) + 0.5 * x64 * (1 - t * t) * du)).astype(x.dtype)
    pdf = np.exp(-0.5 * x64 * x64) / math.sqrt(2 * math.pi)
    return (_grad(g, x) * (_normal_cdf(x) + x64 * pdf)).astype(x.dtype)


def silu_forward(x):
    x = float_array(x, "silu_forward")
    return (x * sigmoid_forward(x.astype(np.float64))).astype(x.dtype)


def silu_backward(x, g):
    x = float_array(x, "silu_backward")
    x64 = x.astype(np.float64)
    s = sigmoid_forward(x64)
    return (_grad(g, x) * s * (1 + x64 * (1 - s))).astype(x.dtype)


def softplus_forward(x, beta=1.0, threshold=20.0):
    x = float_array(x, "softplus_forward")
    z = beta * x
    stable = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
    return np.where(z > threshold, x, stable).astype(x.dtype)


def softplus_backward(x, g, beta=1.0, threshold=20.0):
    x = float_array(x, "softplus_backward")
    g = _grad(g, x)
    return np.where(beta * x > threshold, g, g * sigmoid_forward(beta * x)).astype(x.dtype)


# ---- softmax family ----------------------------------------------------------------------------------


def softmax_forward(x):
    x = float_array(x, "softmax_forward")
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_backward(y, g):
    y = float_array(y, "softmax_backward", "y")
    g = _grad(g, y)
    return y * (g - (g * y).sum(axis=-1, keepdims=True))


def log_softmax_forward(x, *, probs=False):
    x = float_array(x, "log_softmax_forward")
    shifted = x - x.max(axis=-1, keepdims=True)
    lp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return (lp, np.exp(lp)) if probs else lp


def log_softmax_backward(y, g, *, from_probs=False):
    y = float_array(y, "log_softmax_backward", "y")
    g = _grad(g, y)
    return g - (y if from_probs else np.exp(y)) * g.sum(axis=-1, keepdims=True)


def _smoothed_target(target, n, c, label_smoothing, ignore_index, dtype):
    """q (N, C) and the mask of ignored rows."""
    target = np.asarray(target)
    if target.ndim == 2:
        return (1 - label_smoothing) * target.astype(dtype) + label_smoothing / c, np.zeros(n, bool)
    ignored = target == ignore_index
    q = np.full((n, c), label_smoothing / c, dtype)
    q[np.arange(n)[~ignored], target[~ignored]] += 1 - label_smoothing
    q[ignored] = 0
    return q, ignored


def cross_entropy_forward(logits, target, label_smoothing=0.0, ignore_index=-100, *, checked=False,
                          probs=False):
    logits = float_array(logits, "cross_entropy_forward", "logits")
    log_probs = log_softmax_forward(logits)
    q, _ = _smoothed_target(target, *logits.shape, label_smoothing, ignore_index, logits.dtype)
    return -(q * log_probs).sum(axis=1), (np.exp(log_probs) if probs else log_probs)


def cross_entropy_backward(log_probs, target, label_smoothing, grad_rows, ignore_index=-100, *,
                           checked=False, from_probs=False):
    log_probs = float_array(log_probs, "cross_entropy_backward", "log_probs")
    q, ignored = _smoothed_target(target, *log_probs.shape, label_smoothing, ignore_index, log_probs.dtype)
    p = log_probs if from_probs else np.exp(log_probs)
    d = p * q.sum(axis=1, keepdims=True) - q
    d[ignored] = 0
    return _grad(grad_rows, log_probs)[:, None] * d


# ---- convolution -------------------------------------------------------------------------------------


def _windows(xp, kh, kw, stride, dilation):
    """(N, C, Hout, Wout, kh, kw) view of the padded input read by each output."""
    (sh, sw), (dh, dw) = stride, dilation
    view = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


def _group_slices(groups, c, o):
    cg, og = c // groups, o // groups
    return [(slice(k * cg, (k + 1) * cg), slice(k * og, (k + 1) * og)) for k in range(groups)]


def conv2d_forward(x, w, b, stride=1, padding=0, dilation=1, groups=1):
    x = float_array(x, "conv2d_forward")
    if groups > 1:  # each group is an independent convolution
        return np.concatenate([conv2d_forward(x[:, cs], np.asarray(w)[os_],
                                              None if b is None else np.asarray(b)[os_],
                                              stride, padding, dilation)
                               for cs, os_ in _group_slices(groups, x.shape[1], w.shape[0])], axis=1)
    (ph, pw) = _pair(padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    win = _windows(xp, w.shape[2], w.shape[3], _pair(stride), _pair(dilation))
    y = np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    if b is not None:
        y = y + np.asarray(b)[:, None, None]
    return np.ascontiguousarray(y, dtype=x.dtype)


def conv2d_backward(x, w, g, stride=1, padding=0, dilation=1, need_x=True, need_w=True, need_b=True,
                    groups=1):
    x = float_array(x, "conv2d_backward")
    g = _grad(g, x)
    if groups > 1:
        parts = [conv2d_backward(x[:, cs], np.asarray(w)[os_], g[:, os_], stride, padding, dilation,
                                 need_x, need_w, need_b)
                 for cs, os_ in _group_slices(groups, x.shape[1], w.shape[0])]
        return tuple(None if part[0] is None else np.concatenate(part, axis=axis)
                     for part, axis in zip(zip(*parts), (1, 0, 0)))
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    kh, kw = w.shape[2:]
    ho, wo = g.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dx = dweight = db = None
    if need_x:
        dxp = np.zeros_like(xp)
        for i in range(kh):
            for j in range(kw):
                contribution = np.tensordot(g, w[:, :, i, j], axes=([1], [0])).transpose(0, 3, 1, 2)
                rows = slice(i * dh, i * dh + sh * (ho - 1) + 1, sh)
                cols = slice(j * dw, j * dw + sw * (wo - 1) + 1, sw)
                dxp[:, :, rows, cols] += contribution
        dx = np.ascontiguousarray(dxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]])
    if need_w:
        dweight = np.tensordot(g, _windows(xp, kh, kw, (sh, sw), (dh, dw)), axes=([0, 2, 3], [0, 2, 3]))
        dweight = dweight.astype(x.dtype)
    if need_b:
        db = g.sum(axis=(0, 2, 3))
    return dx, dweight, db


def conv2d_input_grad(g, w, x_shape, stride=1, padding=0, dilation=1, groups=1):
    w = float_array(w, "conv2d_input_grad", "w")
    x = np.zeros(x_shape, w.dtype)
    return conv2d_backward(x, w, g, stride, padding, dilation, True, False, False, groups)[0]


def conv2d_weight_grad(x, g, w_shape, stride=1, padding=0, dilation=1, groups=1):
    x = float_array(x, "conv2d_weight_grad")
    w = np.zeros(w_shape, x.dtype)
    return conv2d_backward(x, w, g, stride, padding, dilation, False, True, False, groups)[1]


def conv1d_forward(x, w, b, stride=1, padding=0, dilation=1, groups=1):
    y = conv2d_forward(np.asarray(x)[:, :, None], np.asarray(w)[:, :, None], b, (1, stride), (0, padding),
                       (1, dilation), groups)
    return y[:, :, 0]


def conv1d_backward(x, w, g, stride=1, padding=0, dilation=1, need_x=True, need_w=True, need_b=True,
                    groups=1):
    x, w, g = (np.asarray(a)[:, :, None] for a in (x, w, g))
    geometry = (1, stride), (0, padding), (1, dilation)
    dx, dweight, db = conv2d_backward(x, w, g, *geometry, need_x, need_w, need_b, groups)
    return (None if dx is None else dx[:, :, 0]), (None if dweight is None else dweight[:, :, 0]), db


def conv1d_input_grad(g, w, x_shape, stride=1, padding=0, dilation=1, groups=1):
    w = float_array(w, "conv1d_input_grad", "w")
    return conv1d_backward(np.zeros(x_shape, w.dtype), w, g, stride, padding, dilation, True, False, False,
                           groups)[0]


def conv1d_weight_grad(x, g, w_shape, stride=1, padding=0, dilation=1, groups=1):
    x = float_array(x, "conv1d_weight_grad")
    return conv1d_backward(x, np.zeros(w_shape, x.dtype), g, stride, padding, dilation, False, True, False,
                           groups)[1]


# ---- pooling -----------------------------------------------------------------------------------------


def _pool_geometry(kernel, stride, padding):
    k = _pair(kernel)
    return k, (k if stride is None else _pair(stride)), _pair(padding)


def max_pool2d_forward(x, kernel, stride=None, padding=0):
    x = float_array(x, "max_pool2d_forward")
    (kh, kw), (sh, sw), (ph, pw) = _pool_geometry(kernel, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    flat = win.reshape(*win.shape[:4], kh * kw)
    local = flat.argmax(axis=-1)  # the first maximum, as PyTorch
    y = np.take_along_axis(flat, local[..., None], axis=-1)[..., 0]
    rows = np.arange(win.shape[2])[:, None] * sh - ph + local // kw
    cols = np.arange(win.shape[3])[None, :] * sw - pw + local % kw
    return np.ascontiguousarray(y), rows * x.shape[3] + cols


def max_pool2d_backward(g, argmax, input_shape):
    g = np.asarray(g)
    n, c = input_shape[:2]
    dx = np.zeros((n * c, math.prod(input_shape[2:])), g.dtype)
    planes = np.repeat(np.arange(n * c), g[0, 0].size)
    np.add.at(dx, (planes, np.asarray(argmax).reshape(-1)), g.reshape(-1))
    return dx.reshape(input_shape)


def max_pool1d_forward(x, kernel, stride=None, padding=0):
    stride = kernel if stride is None else stride
    y, argmax = max_pool2d_forward(np.asarray(x)[:, :, None], (1, kernel), (1, stride), (0, padding))
    return y[:, :, 0], argmax[:, :, 0]


def max_pool1d_backward(g, argmax, input_shape):
    return max_pool2d_backward(g, argmax, tuple(input_shape))


def avg_pool2d_forward(x, kernel, stride=None, padding=0):
    x = float_array(x, "avg_pool2d_forward")
    (kh, kw), (sh, sw), (ph, pw) = _pool_geometry(kernel, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    return np.ascontiguousarray(win.sum(axis=(4, 5)) / (kh * kw), dtype=x.dtype)


def avg_pool2d_backward(g, input_shape, kernel, stride=None, padding=0):
    g = np.asarray(g)
    (kh, kw), (sh, sw), (ph, pw) = _pool_geometry(kernel, stride, padding)
    n, c, h, w = input_shape
    ho, wo = g.shape[2:]
    dxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), g.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw] += g / (kh * kw)
    return np.ascontiguousarray(dxp[:, :, ph:ph + h, pw:pw + w])


# ---- layer norm ----------------------------------------------------------------------------------------


def layer_norm_forward(x, weight, bias, eps=1e-5):
    x = float_array(x, "layer_norm_forward")
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=-1)
    rstd = 1 / np.sqrt(x64.var(axis=-1) + eps)
    y = (x64 - mean[..., None]) * rstd[..., None]
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y.astype(x.dtype), mean, rstd


def layer_norm_backward(g, x, weight, mean, rstd):
    x = float_array(x, "layer_norm_backward")
    g64, x64 = np.asarray(g, np.float64), x.astype(np.float64)
    xhat = (x64 - mean[..., None]) * rstd[..., None]
    gw = g64 * (1.0 if weight is None else np.asarray(weight, np.float64))
    dx = rstd[..., None] * (gw - gw.mean(-1, keepdims=True) - xhat * (gw * xhat).mean(-1, keepdims=True))
    axes = tuple(range(x.ndim - 1))
    return dx.astype(x.dtype), (g64 * xhat).sum(axis=axes).astype(x.dtype), g64.sum(axis=axes).astype(x.dtype)


# ---- sums ----------------------------------------------------------------------------------------


def total(a, axes, keepdims=False):
    """`sums.total`: NumPy's sum with a float64 accumulator, rounded once to a's float dtype."""
    a = np.asarray(a)
    if a.dtype.kind != "f" or axes is None:
        return a.sum(axis=axes, keepdims=keepdims)
    return a.sum(axis=tuple(axes), keepdims=keepdims, dtype=np.float64).astype(a.dtype)


def product_sum_to(a, b, shape):
    """`sums.product_sum_to`: the float64 product summed down to the broadcast `shape`."""
    a, b = np.asarray(a), np.asarray(b)
    prod = a.astype(np.float64) * b.astype(np.float64)
    extra = prod.ndim - len(shape)
    prod = prod.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and prod.shape[i] != 1)
    return prod.sum(axis=axes, keepdims=True).reshape(shape).astype(a.dtype)
