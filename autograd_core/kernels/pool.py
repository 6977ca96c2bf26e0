"""max_pool1d, max_pool2d and avg_pool2d, forward and backward, with PyTorch's rules.

Window (i, j) of an (H, W) plane covers rows i*sh - ph .. + kh and columns j*sw - pw .. + kw; output
size floor((H + 2p - k) / s) + 1 (dilation 1, ceil_mode=False), stride None meaning stride = kernel.

    max_pool   y = max over the window, padding counting as -inf; argmax = r*W + q, the flat index of
               the winner in its (n, c) plane, the first one on ties (a NaN wins, as in PyTorch).
               dx[n, c].flat[argmax] += g  (overlapping windows add up)
    avg_pool   y = sum over the window / (kh*kw): zero padding counts (count_include_pad=True)
               dx[window] += g / (kh*kw)

max_pool1d is max_pool2d over one row. Loops are parallel over (n, c) planes, and each plane's
scatter in the backward runs in one iteration, so no two iterations write the same element.

    >>> y, argmax = max_pool2d_forward(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    >>> y[0, 0], argmax[0, 0]
    (array([[ 5.,  7.],
           [13., 15.]]), array([[ 5,  7],
           [13, 15]]))
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import (
    PARALLEL_MIN_CHEAP,
    Size2,
    float_array,
    half_in_float32,
    int_pair,
    int_single,
    njit,
    prange,
    sized,
)

# ---- loops over (n, c) planes, x and dx viewed as (planes, H, W) -----------------------------------


@njit(cache=True, parallel=True)
def _max_pool(x, kh, kw, sh, sw, ph, pw, y, argmax):
    planes, h, w = x.shape
    ho, wo = y.shape[1], y.shape[2]
    for pl in prange(planes):
        for i in range(ho):
            r0 = i * sh - ph
            r1 = min(r0 + kh, h)
            r0 = max(r0, 0)
            for j in range(wo):
                q0 = j * sw - pw
                q1 = min(q0 + kw, w)
                q0 = max(q0, 0)
                best = x[pl, r0, q0]  # padding is -inf: the first real element starts the search
                best_at = r0 * w + q0
                for r in range(r0, r1):
                    for q in range(q0, q1):
                        v = x[pl, r, q]
                        take = (v > best) | (v != v)  # strict >: ties keep the first; a NaN wins
                        best = v if take else best  # selects, not branches: random data mispredicts
                        best_at = r * w + q if take else best_at
                y[pl, i, j] = best
                argmax[pl, i, j] = best_at


@njit(cache=True, parallel=True)
def _max_pool_grad(g, argmax, dx):
    planes = g.shape[0]
    for pl in prange(planes):
        dx[pl, :] = 0
        for k in range(g.shape[1]):
            dx[pl, argmax[pl, k]] += g[pl, k]


@njit(cache=True, parallel=True)
def _avg_pool(x, kh, kw, sh, sw, ph, pw, y):
    planes, h, w = x.shape
    ho, wo = y.shape[1], y.shape[2]
    inv = 1.0 / (kh * kw)  # every window lies inside the padded plane when ceil_mode=False
    for pl in prange(planes):
        for i in range(ho):
            r0, r1 = max(i * sh - ph, 0), min(i * sh - ph + kh, h)
            for j in range(wo):
                q0, q1 = max(j * sw - pw, 0), min(j * sw - pw + kw, w)
                s = 0.0
                for r in range(r0, r1):
                    for q in range(q0, q1):
                        s += x[pl, r, q]
                y[pl, i, j] = s * inv


@njit(cache=True, parallel=True)
def _avg_pool_grad(g, kh, kw, sh, sw, ph, pw, dx):
    planes, h, w = dx.shape
    ho, wo = g.shape[1], g.shape[2]
    inv = 1.0 / (kh * kw)
    for pl in prange(planes):
        dx[pl] = 0
        for i in range(ho):
            r0, r1 = max(i * sh - ph, 0), min(i * sh - ph + kh, h)
            for j in range(wo):
                q0, q1 = max(j * sw - pw, 0), min(j * sw - pw + kw, w)
                v = g[pl, i, j] * inv
                for r in range(r0, r1):
                    for q in range(q0, q1):
                        dx[pl, r, q] += v


# ---- checks --------------------------------------------------------------------------------------


def _geometry(kernel_name, shape, kernel, stride, padding, nd):
    """((kh, kw), (sh, sw), (ph, pw), (ho, wo)) for a (..., H, W) input; 1-d pooling has kh = 1."""
    if nd == 1:
        k = int_single(kernel, kernel_name, "kernel", 1)
        s = k if stride is None else int_single(stride, kernel_name, "stride", 1)
        p = int_single(padding, kernel_name, "padding", 0)
        k2, s2, p2 = (1, k), (1, s), (0, p)
    else:
        k2 = int_pair(kernel, kernel_name, "kernel", 1)
        s2 = k2 if stride is None else int_pair(stride, kernel_name, "stride", 1)
        p2 = int_pair(padding, kernel_name, "padding", 0)
    if any(2 * p > k for p, k in zip(p2, k2)):
        raise ValueError(f"{kernel_name}: padding {padding} must be at most half the kernel {kernel}")
    h, w = shape[-2:]
    if k2[0] > h + 2 * p2[0] or k2[1] > w + 2 * p2[1]:
        raise ValueError(f"{kernel_name}: kernel {kernel} is larger than the padded input "
                         f"(input {shape}, padding {padding})")
    out = ((h + 2 * p2[0] - k2[0]) // s2[0] + 1, (w + 2 * p2[1] - k2[1]) // s2[1] + 1)
    return k2, s2, p2, out


def _input(kernel_name, x, nd):
    x = float_array(x, kernel_name)
    if x.ndim != nd + 2:
        raise ValueError(f"{kernel_name}: x must be {nd + 2}-D (N, C, ...), got shape {x.shape}")
    return x


def _planes(a):
    """(N, C, H, W) as (N*C, H, W), and (N, C, L) as (N*C, 1, L)."""
    rows_cols = a.shape[2:] if a.ndim == 4 else (1, a.shape[2])
    return a.reshape(a.shape[0] * a.shape[1], *rows_cols)


# ---- the public kernels --------------------------------------------------------------------------


def _max_pool_forward(kernel_name, x, kernel, stride, padding, nd):
    x = _input(kernel_name, x, nd)
    (kh, kw), (sh, sw), (ph, pw), out = _geometry(kernel_name, x.shape, kernel, stride, padding, nd)
    out_shape = (*x.shape[:2], *out[2 - nd:])
    y = np.empty(out_shape, x.dtype)
    argmax = np.empty(out_shape, np.int64)
    loop = sized(_max_pool, y.size * kh * kw, PARALLEL_MIN_CHEAP)
    loop(_planes(x), kh, kw, sh, sw, ph, pw, _planes(y), _planes(argmax))
    return y, argmax


def _max_pool_backward(kernel_name, g, argmax, input_shape, nd):
    input_shape = tuple(int(d) for d in input_shape)
    g = float_array(g, kernel_name, "g")
    argmax = np.ascontiguousarray(argmax, dtype=np.int64)
    if len(input_shape) != nd + 2 or g.ndim != nd + 2 or g.shape != argmax.shape \
            or g.shape[:2] != input_shape[:2]:
        raise ValueError(f"{kernel_name}: g {g.shape} and argmax {argmax.shape} must be equal "
                         f"{nd + 2}-D shapes matching input {input_shape} in (N, C)")
    plane_size = math.prod(input_shape[2:])
    if argmax.size and (argmax.min() < 0 or argmax.max() >= plane_size):
        raise ValueError(f"{kernel_name}: argmax values must lie in [0, {plane_size}) "
                         f"for input {input_shape}")
    dx = np.empty(input_shape, g.dtype)
    planes = input_shape[0] * input_shape[1]
    loop = sized(_max_pool_grad, g.size, PARALLEL_MIN_CHEAP)
    # Explicit sizes, not -1, which NumPy cannot infer for an empty batch (planes == 0).
    out_plane = math.prod(g.shape[2:])
    loop(g.reshape(planes, out_plane), argmax.reshape(planes, out_plane), dx.reshape(planes, plane_size))
    return dx


@half_in_float32
def max_pool1d_forward(x: np.ndarray, kernel: int, stride: int | None = None,
                       padding: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(y, argmax) for x (N, C, L); argmax indexes L.

    >>> max_pool1d_forward(np.array([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    (array([[[3., 2.]]]), array([[[1, 2]]]))
    """
    return _max_pool_forward("max_pool1d_forward", x, kernel, stride, padding, 1)


@half_in_float32
def max_pool1d_backward(g: np.ndarray, argmax: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """dx (input_shape) with each g added at its argmax.

    >>> max_pool1d_backward(np.array([[[1.0, 1.0]]]), np.array([[[1, 2]]]), (1, 1, 4))
    array([[[0., 1., 1., 0.]]])
    """
    return _max_pool_backward("max_pool1d_backward", g, argmax, input_shape, 1)


@half_in_float32
def max_pool2d_forward(x: np.ndarray, kernel: Size2, stride: Size2 | None = None,
                       padding: Size2 = 0) -> tuple[np.ndarray, np.ndarray]:
    """(y, argmax) for x (N, C, H, W); kernel, stride, padding are ints or (h, w) pairs; argmax = r*W + q."""
    return _max_pool_forward("max_pool2d_forward", x, kernel, stride, padding, 2)


@half_in_float32
def max_pool2d_backward(g: np.ndarray, argmax: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """dx (input_shape) with each g added at its argmax; overlapping windows add up.

    >>> max_pool2d_backward(np.ones((1, 1, 1, 1)), np.array([[[[3]]]]), (1, 1, 2, 2))[0, 0]
    array([[0., 0.],
           [0., 1.]])
    """
    return _max_pool_backward("max_pool2d_backward", g, argmax, input_shape, 2)


@half_in_float32
def avg_pool2d_forward(x: np.ndarray, kernel: Size2, stride: Size2 | None = None,
                       padding: Size2 = 0) -> np.ndarray:
    """Window means of x (N, C, H, W), zero padding counted.

    >>> avg_pool2d_forward(np.arange(4.0).reshape(1, 1, 2, 2), 2)
    array([[[[1.5]]]])
    """
    x = _input("avg_pool2d_forward", x, 2)
    (kh, kw), (sh, sw), (ph, pw), out = _geometry("avg_pool2d_forward", x.shape, kernel, stride, padding, 2)
    y = np.empty((*x.shape[:2], *out), x.dtype)
    sized(_avg_pool, y.size * kh * kw, PARALLEL_MIN_CHEAP)(_planes(x), kh, kw, sh, sw, ph, pw, _planes(y))
    return y


@half_in_float32
def avg_pool2d_backward(g: np.ndarray, input_shape: tuple[int, ...], kernel: Size2,
                        stride: Size2 | None = None, padding: Size2 = 0) -> np.ndarray:
    """dx (input_shape): each g / (kh*kw) spread over its window.

    >>> avg_pool2d_backward(np.ones((1, 1, 1, 1)), (1, 1, 2, 2), 2)
    array([[[[0.25, 0.25],
             [0.25, 0.25]]]])
    """
    kernel_name = "avg_pool2d_backward"
    input_shape = tuple(int(d) for d in input_shape)
    g = float_array(g, kernel_name, "g")
    if len(input_shape) != 4:
        raise ValueError(f"{kernel_name}: input_shape must be (N, C, H, W), got {input_shape}")
    (kh, kw), (sh, sw), (ph, pw), out = _geometry(kernel_name, input_shape, kernel, stride, padding, 2)
    if g.shape != (*input_shape[:2], *out):
        raise ValueError(f"{kernel_name}: g has shape {g.shape} but the output of input {input_shape} "
                         f"has shape {(*input_shape[:2], *out)}")
    dx = np.empty(input_shape, g.dtype)
    loop = sized(_avg_pool_grad, g.size * kh * kw, PARALLEL_MIN_CHEAP)
    loop(_planes(g), kh, kw, sh, sw, ph, pw, _planes(dx))
    return dx
