"""conv1d / conv2d forward and gradients in PyTorch layouts (groups=1), as direct Numba loops.

Cross-correlation, with xp the zero-padded input (Hp = H + 2 ph, Wp = W + 2 pw):

    y[n, o, i, j]     = b[o] + sum_{c,kh,kw} w[o, c, kh, kw] * xp[n, c, i*sh + kh*dh, j*sw + kw*dw]
    dx[n, c, ...]     = the same sum read backwards: every y[n, o, i, j] adds g * w into the window it read
    dw[o, c, kh, kw]  = sum_{n,i,j} g[n, o, i, j] * xp[n, c, i*sh + kh*dh, j*sw + kw*dw]
    db[o]             = sum_{n,i,j} g[n, o, i, j]

Why this layout. Every loop runs over the "wide" stride-1 positions of a padded plane: position
p = r*Wp + q stands for output row r, column q, and the input it reads for tap (kh, kw) is simply
p + kh*dh*Wp + kw*dw in the flattened padded plane. So the innermost loop is one long contiguous run
(about Ho*Wp elements, not Wo) that LLVM vectorises, with no bounds test; the few columns q >= Wo
are computed and dropped. Four taps (forward, dw) or four output channels (dx) share one pass, to
cut the loads and stores per multiply-add. A stride > 1 computes every stride-1 position and keeps
one in sh*sw: sh*sw times the ideal work, which still beat one short run per output row (runs of
~Wo*sw elements barely vectorise).

Why not im2col + BLAS: it was slower here. On 2 cores NumPy's OpenBLAS threads and Numba's OpenMP
threads each spin while the other pool works, so an im2col forward took 8x the sum of its parts,
and even with BLAS on one thread it stayed ~2x slower than these loops, which measured within ~1.1x
of PyTorch's forward+backward on the target layers (benchmarks/bench_kernels.py).

Parallel loops: forward over (n, o), dx over (n, c), dw over (o, c): each iteration owns its output.

    >>> conv2d_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), None, 1, 0, 1)[0, 0]
    array([[4., 4.],
           [4., 4.]])
"""

from __future__ import annotations

import numpy as np

from ._jit import FASTMATH, Size2, float_array, int_pair, int_single, njit, prange

# ---- loops ---------------------------------------------------------------------------------------


@njit(cache=True, parallel=True)
def _pad(x, ph, pw, xp):
    """xp[n, c] = x[n, c] with ph zero rows and pw zero columns on each side."""
    n_, c_, h, w = x.shape
    for nc in prange(n_ * c_):
        src = x[nc // c_, nc % c_]
        dst = xp[nc // c_, nc % c_]
        dst[:ph, :] = 0
        dst[ph + h:, :] = 0
        for i in range(h):
            row = dst[ph + i]
            row[:pw] = 0
            row[pw + w:] = 0
            row[pw:pw + w] = src[i]


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def _forward(xp, w, b, sh, sw, dh, dw, y):
    n_, c_, hp, wp = xp.shape
    o_, _, kh_, kw_ = w.shape
    ho, wo = y.shape[2], y.shape[3]
    span = (ho - 1) * sh * wp + (wo - 1) * sw + 1  # wide positions up to the last output
    taps = c_ * kh_ * kw_
    wmat = w.reshape(o_, taps)
    xmat = xp.reshape(n_, c_ * hp * wp)
    offset = np.empty(taps, np.int64)  # where tap (c, kh, kw) starts in a flattened sample
    for c in range(c_):
        for kh in range(kh_):
            for kw in range(kw_):
                offset[(c * kh_ + kh) * kw_ + kw] = c * hp * wp + kh * dh * wp + kw * dw
    for no in prange(n_ * o_):
        n, o = no // o_, no % o_
        xn, w_row = xmat[n], wmat[o]
        acc = np.empty(span, y.dtype)
        acc[:] = b[o]
        t = 0
        while t + 4 <= taps:
            a0 = xn[offset[t]:offset[t] + span]
            a1 = xn[offset[t + 1]:offset[t + 1] + span]
            a2 = xn[offset[t + 2]:offset[t + 2] + span]
            a3 = xn[offset[t + 3]:offset[t + 3] + span]
            w0, w1, w2, w3 = w_row[t], w_row[t + 1], w_row[t + 2], w_row[t + 3]
            for p in range(span):
                acc[p] += w0 * a0[p] + w1 * a1[p] + w2 * a2[p] + w3 * a3[p]
            t += 4
        for rest in range(t, taps):  # the last taps % 4
            a0 = xn[offset[rest]:offset[rest] + span]
            w0 = w_row[rest]
            for p in range(span):
                acc[p] += w0 * a0[p]
        for i in range(ho):
            for j in range(wo):
                y[n, o, i, j] = acc[i * sh * wp + j * sw]


@njit(cache=True, parallel=True)
def _spread_grad(g, sh, sw, wp, gw, bias_part):
    """gw[n, o] = g[n, o] placed at its wide positions, zeros between; bias_part[n, o] = sum g[n, o]."""
    n_, o_, ho, wo = g.shape
    for no in prange(n_ * o_):
        n, o = no // o_, no % o_
        dst = gw[n, o]
        dst[:] = 0
        s = 0.0
        for i in range(ho):
            for j in range(wo):
                v = g[n, o, i, j]
                dst[i * sh * wp + j * sw] = v
                s += v
        bias_part[n, o] = s


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def _grad_input(gw, w, dh, dw, ph, pw, hp, wp, dx):
    n_, c_, h, wd = dx.shape
    o_, _, kh_, kw_ = w.shape
    span = gw.shape[2]
    for nc in prange(n_ * c_):
        n, c = nc // c_, nc % c_
        gn = gw[n]
        acc = np.zeros(hp * wp, dx.dtype)  # gradient of the padded plane
        for kh in range(kh_):
            for kw in range(kw_):
                out = acc[kh * dh * wp + kw * dw:kh * dh * wp + kw * dw + span]
                o = 0
                while o + 4 <= o_:
                    g0, g1, g2, g3 = gn[o], gn[o + 1], gn[o + 2], gn[o + 3]
                    w0, w1 = w[o, c, kh, kw], w[o + 1, c, kh, kw]
                    w2, w3 = w[o + 2, c, kh, kw], w[o + 3, c, kh, kw]
                    for p in range(span):
                        out[p] += w0 * g0[p] + w1 * g1[p] + w2 * g2[p] + w3 * g3[p]
                    o += 4
                for rest in range(o, o_):  # the last o_ % 4 output channels
                    g0 = gn[rest]
                    w0 = w[rest, c, kh, kw]
                    for p in range(span):
                        out[p] += w0 * g0[p]
        for i in range(h):
            dx[n, c, i, :] = acc[(i + ph) * wp + pw:(i + ph) * wp + pw + wd]


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def _grad_weight(xp, gw, dh, dw, dweight):
    n_, c_, hp, wp = xp.shape
    o_, _, kh_, kw_ = dweight.shape
    span = gw.shape[2]
    k_ = kh_ * kw_
    x3 = xp.reshape(n_, c_, hp * wp)
    offset = np.empty(k_, np.int64)
    for kh in range(kh_):
        for kw in range(kw_):
            offset[kh * kw_ + kw] = kh * dh * wp + kw * dw
    for oc in prange(o_ * c_):
        o, c = oc // c_, oc % c_
        total = np.zeros(k_, np.float64)  # per-sample dots are in the input dtype, their sum in float64
        zero = np.zeros(1, dweight.dtype)[0]
        for n in range(n_):
            gs, xs = gw[n, o], x3[n, c]
            k = 0
            while k + 4 <= k_:
                a0 = xs[offset[k]:offset[k] + span]
                a1 = xs[offset[k + 1]:offset[k + 1] + span]
                a2 = xs[offset[k + 2]:offset[k + 2] + span]
                a3 = xs[offset[k + 3]:offset[k + 3] + span]
                s0, s1, s2, s3 = zero, zero, zero, zero
                for p in range(span):
                    gp = gs[p]
                    s0 += gp * a0[p]
                    s1 += gp * a1[p]
                    s2 += gp * a2[p]
                    s3 += gp * a3[p]
                total[k] += s0
                total[k + 1] += s1
                total[k + 2] += s2
                total[k + 3] += s3
                k += 4
            for rest in range(k, k_):  # the last k_ % 4 taps
                a0 = xs[offset[rest]:offset[rest] + span]
                s0 = zero
                for p in range(span):
                    s0 += gs[p] * a0[p]
                total[rest] += s0
        for k in range(k_):
            dweight[o, c, k // kw_, k % kw_] = total[k]


# ---- checks and the 2-D driver shared by conv1d and conv2d --------------------------------------


def _check(kernel, x, w, b, nd):
    x = float_array(x, kernel, "x")
    w = np.ascontiguousarray(w)
    if x.ndim != nd + 2 or w.ndim != nd + 2:
        raise ValueError(f"{kernel}: x and w must be {nd + 2}-D, got shapes {x.shape} and {w.shape}")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"{kernel}: x of shape {x.shape} has {x.shape[1]} channels "
                         f"but w of shape {w.shape} expects {w.shape[1]}")
    if w.dtype != x.dtype:
        raise ValueError(f"{kernel}: w is {w.dtype} but x is {x.dtype}")
    if b is not None:
        b = np.ascontiguousarray(b)
        if b.shape != (w.shape[0],) or b.dtype != x.dtype:
            raise ValueError(f"{kernel}: b must be {x.dtype} of shape ({w.shape[0]},), "
                             f"got {b.dtype} with shape {b.shape}")
    return x, w, b


def _output_size(kernel, x, w, stride, padding, dilation, x_shape, w_shape):
    (h, wd), (kh, kw) = x.shape[2:], w.shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    if dh * (kh - 1) + 1 > h + 2 * ph or dw * (kw - 1) + 1 > wd + 2 * pw:
        raise ValueError(f"{kernel}: kernel of w {w_shape} (dilation {dilation}) is larger than "
                         f"the padded input {x_shape} (padding {padding})")
    return (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1


def _padded(x, ph, pw):
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    xp = np.empty((n, c, h + 2 * ph, w + 2 * pw), x.dtype)
    _pad(x, ph, pw, xp)
    return xp


def _forward_2d(x, w, b, stride, padding, dilation, out_size):
    xp = _padded(x, *padding)
    bias = b if b is not None else np.zeros(w.shape[0], x.dtype)
    y = np.empty((x.shape[0], w.shape[0], *out_size), x.dtype)
    _forward(xp, w, bias, *stride, *dilation, y)
    return y


def _backward_2d(x, w, g, stride, padding, dilation, need_x, need_w, need_b):
    dx = dw = db = None
    if not (need_x or need_w):
        if need_b:
            db = g.sum(axis=(0, 2, 3), dtype=np.float64).astype(x.dtype)
        return dx, dw, db
    (sh, sw), (ph, pw), (n, o, ho, wo) = stride, padding, g.shape
    hp, wp = x.shape[2] + 2 * ph, x.shape[3] + 2 * pw
    gw = np.empty((n, o, (ho - 1) * sh * wp + (wo - 1) * sw + 1), x.dtype)  # g at its wide positions
    bias_part = np.empty((n, o), np.float64)
    _spread_grad(g, *stride, wp, gw, bias_part)
    if need_b:
        db = bias_part.sum(axis=0).astype(x.dtype)
    if need_x:
        dx = np.empty_like(x)
        _grad_input(gw, w, *dilation, ph, pw, hp, wp, dx)
    if need_w:
        dw = np.empty_like(w)
        _grad_weight(_padded(x, ph, pw), gw, *dilation, dw)
    return dx, dw, db


def _check_grad(kernel, g, expected, x):
    g = np.asarray(g)
    if g.shape != expected:
        raise ValueError(f"{kernel}: g has shape {g.shape} but the output has shape {expected}")
    return np.ascontiguousarray(g, dtype=x.dtype)


# ---- the public kernels --------------------------------------------------------------------------


def _as_2d(a):
    """(N, C, L) as (N, C, 1, L): conv1d is conv2d over one row."""
    return a.reshape(a.shape[0], a.shape[1], 1, a.shape[2])


def _geometry_1d(kernel, stride, padding, dilation):
    s = int_single(stride, kernel, "stride", 1)
    p = int_single(padding, kernel, "padding", 0)
    d = int_single(dilation, kernel, "dilation", 1)
    return (1, s), (0, p), (1, d)


def conv1d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: int = 1,
                   padding: int = 0, dilation: int = 1) -> np.ndarray:
    """y (N, Cout, Lout) from x (N, Cin, L), w (Cout, Cin, K), b (Cout,) or None;
    Lout = (L + 2p - d(K-1) - 1) // s + 1.

    >>> conv1d_forward(np.ones((1, 1, 4)), np.ones((1, 1, 2)), None)
    array([[[2., 2., 2.]]])
    """
    kernel = "conv1d_forward"
    x, w, b = _check(kernel, x, w, b, 1)
    geometry = _geometry_1d(kernel, stride, padding, dilation)
    x4, w4 = _as_2d(x), _as_2d(w)
    out_size = _output_size(kernel, x4, w4, *geometry, x.shape, w.shape)
    y = _forward_2d(x4, w4, b, *geometry, out_size)
    return y.reshape(y.shape[0], y.shape[1], y.shape[3])


def conv1d_backward(x: np.ndarray, w: np.ndarray, g: np.ndarray, stride: int = 1, padding: int = 0,
                    dilation: int = 1, need_x: bool = True, need_w: bool = True, need_b: bool = True
                    ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(dx, dw, db) of conv1d for the output gradient g (N, Cout, Lout); None for those not needed."""
    kernel = "conv1d_backward"
    x, w, _ = _check(kernel, x, w, None, 1)
    geometry = _geometry_1d(kernel, stride, padding, dilation)
    x4, w4 = _as_2d(x), _as_2d(w)
    out_size = _output_size(kernel, x4, w4, *geometry, x.shape, w.shape)
    g = _check_grad(kernel, g, (x.shape[0], w.shape[0], out_size[1]), x)
    dx, dw, db = _backward_2d(x4, w4, _as_2d(g), *geometry, need_x, need_w, need_b)
    return (None if dx is None else dx.reshape(x.shape)), (None if dw is None else dw.reshape(w.shape)), db


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Size2 = 1, padding: Size2 = 0,
                   dilation: Size2 = 1) -> np.ndarray:
    """y (N, Cout, Hout, Wout) from x (N, Cin, H, W), w (Cout, Cin, kH, kW), b (Cout,) or None.

    stride, padding, dilation: an int or an (h, w) pair; Hout = (H + 2ph - dh(kH-1) - 1) // sh + 1.

    >>> conv2d_forward(np.ones((1, 1, 4, 4)), np.ones((2, 1, 3, 3)), None, stride=2, padding=1).shape
    (1, 2, 2, 2)
    """
    kernel = "conv2d_forward"
    x, w, b = _check(kernel, x, w, b, 2)
    geometry = (int_pair(stride, kernel, "stride", 1), int_pair(padding, kernel, "padding", 0),
                int_pair(dilation, kernel, "dilation", 1))
    out_size = _output_size(kernel, x, w, *geometry, x.shape, w.shape)
    return _forward_2d(x, w, b, *geometry, out_size)


def conv2d_backward(x: np.ndarray, w: np.ndarray, g: np.ndarray, stride: Size2 = 1, padding: Size2 = 0,
                    dilation: Size2 = 1, need_x: bool = True, need_w: bool = True, need_b: bool = True
                    ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(dx, dw, db) of conv2d for the output gradient g (N, Cout, Hout, Wout); None for those not needed.

    >>> dx, dw, db = conv2d_backward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)))
    >>> dx[0, 0], db
    (array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]]), array([4.]))
    """
    kernel = "conv2d_backward"
    x, w, _ = _check(kernel, x, w, None, 2)
    geometry = (int_pair(stride, kernel, "stride", 1), int_pair(padding, kernel, "padding", 0),
                int_pair(dilation, kernel, "dilation", 1))
    out_size = _output_size(kernel, x, w, *geometry, x.shape, w.shape)
    g = _check_grad(kernel, g, (x.shape[0], w.shape[0], *out_size), x)
    return _backward_2d(x, w, g, *geometry, need_x, need_w, need_b)
