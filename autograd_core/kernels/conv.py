"""conv1d / conv2d forward and gradients in PyTorch layouts (groups included), as direct Numba loops.

Cross-correlation, with xp the zero-padded input (Hp = H + 2 ph, Wp = W + 2 pw), G groups of
Cg = C / G input and Og = O / G output channels, output channel o reading group o // Og:

    y[n, o, i, j]     = b[o] + sum_{c<Cg,kh,kw} w[o, c, kh, kw] * xp[n, (o//Og)*Cg + c, i*sh + kh*dh,
                                                                    j*sw + kw*dw]
    dx                = the transposed convolution of g (`conv2d_input_grad`)
    dw[o, c, kh, kw]  = sum_{n,i,j} g[n, o, i, j] * xp[n, (o//Og)*Cg + c, i*sh + kh*dh, j*sw + kw*dw]
                        (`conv2d_weight_grad`)
    db[o]             = sum_{n,i,j} g[n, o, i, j]

Why this layout. The padded input is first split into its sh*sw stride phases ("polyphase"):
plane (a, b) of a channel holds xp[a::sh, b::sw], Hq x Wq. Tap (kh, kw) then reads one phase plane,
((kh dh) % sh, (kw dw) % sw), from row (kh dh) // sh and column (kw dw) // sw on, with stride 1.
So every loop runs over the "wide" positions p = i*Wq + j of a plane: the input a tap reads for
position p is simply offset[tap] + p, the innermost loop is one long contiguous run (about Ho*Wq
elements, not Wo) that LLVM vectorises, with no bounds test; the few columns j >= Wo are computed
and dropped. A stride of 2 thus costs the work of its outputs only (computing every stride-1
position and keeping one in four cost 2.45x PyTorch's time), and stride 1 has one phase and is
the plain padded plane. Four taps (forward, dw) or four output channels (dx) share one pass, to
cut the loads and stores per multiply-add.

Why not im2col + BLAS: it was slower here. On 2 cores NumPy's OpenBLAS threads and Numba's threads
each spin while the other pool works, and even with BLAS on one thread im2col stayed ~2x slower than
these loops on the target layers (benchmarks/bench_kernels.py).

Where the loops live: `conv_fused` holds the per-sample kernels that run the forward always and
the backward for batches of two samples per thread or more: one job pads one sample's channels into
a buffer that stays in cache and computes from it (forward over (sample, block of output
channels); backward over chunks of samples, each with its own float64 partial sums of dw and db).
The whole-batch passes below (phase planes of the batch, then dx over (n, c) and dw over (o, c))
serve smaller batches, whose (n, c) loops still keep every core busy. Each iteration owns its
output. float16 data is computed in float32 and returned as float16.

    >>> conv2d_forward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), None, 1, 0, 1)[0, 0]
    array([[4., 4.],
           [4., 4.]])
"""

from __future__ import annotations

import numpy as np

from . import _threads, conv_fused
from ._jit import FASTMATH, Size2, float_array, half_in_float32, int_pair, int_single, njit, prange

# ---- loops ---------------------------------------------------------------------------------------


@njit(cache=True, parallel=True)
def _to_phases(x, ph, pw, sh, sw, xq):
    """xq[n, c, a, b, i, j] = xp[n, c, i*sh + a, j*sw + b], xp = x zero-padded (0 past its edge).
    One strided row copy per phase row: per-element index arithmetic cost more than the conv."""
    n_, c_, h, w = x.shape
    hq, wq = xq.shape[4], xq.shape[5]
    for nc in prange(n_ * c_):
        n, c = nc // c_, nc % c_
        src = x[n, c]
        for a in range(sh):
            for b in range(sw):
                dst = xq[n, c, a, b]
                j_lo = max(0, (pw - b + sw - 1) // sw)  # the first phase column inside x
                j_hi = min(wq, (w - 1 + pw - b) // sw + 1)
                for i in range(hq):
                    r = i * sh + a - ph  # the input row this phase row holds
                    if r < 0 or r >= h or j_hi <= j_lo:
                        dst[i, :] = 0
                        continue
                    dst[i, :j_lo] = 0
                    dst[i, j_hi:] = 0
                    dst[i, j_lo:j_hi] = src[r, j_lo * sw + b - pw:(j_hi - 1) * sw + b - pw + 1:sw]


@njit(cache=True, parallel=True)
def _from_phases(dq, ph, pw, sh, sw, dx):
    """dx[n, c, r, col] = the phase-plane gradient at the position that held xp[r + ph, col + pw]."""
    n_, c_, h, w = dx.shape
    for nc in prange(n_ * c_):
        n, c = nc // c_, nc % c_
        for r in range(h):
            a, i = (r + ph) % sh, (r + ph) // sh
            for b in range(sw):
                col0 = (b - pw) % sw  # the first input column of phase b
                if col0 >= w:
                    continue
                j0 = (col0 + pw) // sw
                count = (w - 1 - col0) // sw + 1
                dx[n, c, r, col0::sw] = dq[n, c, a, b, i, j0:j0 + count]


@njit(cache=True, parallel=True)
def _spread_grad(g, wq, gw, bias_part):
    """gw[n, o] = g[n, o] at its wide positions i*wq + j, zeros in the dropped columns;
    bias_part[n, o] = sum g[n, o]."""
    n_, o_, ho, wo = g.shape
    for no in prange(n_ * o_):
        n, o = no // o_, no % o_
        dst = gw[n, o]
        dst[:] = 0
        s = 0.0
        for i in range(ho):
            for j in range(wo):
                v = g[n, o, i, j]
                dst[i * wq + j] = v
                s += v
        bias_part[n, o] = s


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def _grad_input(gw, w, offset, dq):
    """dq[n, c] (the phase planes of channel c) += every output's g times the weight of its tap."""
    n_, c_ = dq.shape[0], dq.shape[1]
    o_, cg, kh_, kw_ = w.shape
    og = o_ // (c_ // cg)
    k_ = kh_ * kw_
    span = gw.shape[2]
    plane = dq.shape[2] * dq.shape[3] * dq.shape[4] * dq.shape[5]  # dq[0, 0].size, without a dq[0]
    dflat = dq.reshape(n_, c_, plane)
    for nc in prange(n_ * c_):
        n, c = nc // c_, nc % c_
        first, cl = (c // cg) * og, c % cg  # the group's first output channel; c within the group
        gn = gw[n]
        acc = dflat[n, c]
        acc[:] = 0
        for k in range(k_):
            start = offset[cl * k_ + k] - cl * plane  # taps of channel cl start at cl * plane
            out = acc[start:start + span]
            kh, kw = k // kw_, k % kw_
            o = first
            while o + 4 <= first + og:
                g0, g1, g2, g3 = gn[o], gn[o + 1], gn[o + 2], gn[o + 3]
                w0, w1 = w[o, cl, kh, kw], w[o + 1, cl, kh, kw]
                w2, w3 = w[o + 2, cl, kh, kw], w[o + 3, cl, kh, kw]
                for p in range(span):
                    out[p] += w0 * g0[p] + w1 * g1[p] + w2 * g2[p] + w3 * g3[p]
                o += 4
            for rest in range(o, first + og):  # the last og % 4 output channels
                g0 = gn[rest]
                w0 = w[rest, cl, kh, kw]
                for p in range(span):
                    out[p] += w0 * g0[p]


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def _grad_weight(xq, gw, offset, group_stride, dweight):
    n_ = xq.shape[0]
    o_, cg, kh_, kw_ = dweight.shape
    og = o_ // (xq.shape[1] // cg)
    span = gw.shape[2]
    k_ = kh_ * kw_
    xmat = xq.reshape(n_, xq.size // n_ if n_ else 0)  # xq[0].size, without an xq[0]
    for oc in prange(o_ * cg):
        o, c = oc // cg, oc % cg
        base = (o // og) * group_stride
        total = np.zeros(k_, np.float64)  # per-sample dots are in the input dtype, their sum in float64
        zero = np.zeros(1, dweight.dtype)[0]
        for n in range(n_):
            gs, xs = gw[n, o], xmat[n][base:]
            k = 0
            while k + 4 <= k_:
                t = c * k_ + k
                a0 = xs[offset[t]:offset[t] + span]
                a1 = xs[offset[t + 1]:offset[t + 1] + span]
                a2 = xs[offset[t + 2]:offset[t + 2] + span]
                a3 = xs[offset[t + 3]:offset[t + 3] + span]
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
                t = c * k_ + rest
                a0 = xs[offset[t]:offset[t] + span]
                s0 = zero
                for p in range(span):
                    s0 += gs[p] * a0[p]
                total[rest] += s0
        for k in range(k_):
            dweight[o, c, k // kw_, k % kw_] = total[k]


# ---- checks and the 2-D driver shared by conv1d and conv2d --------------------------------------


def _groups(kernel, groups) -> int:
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{kernel}: groups must be a positive int, got {groups!r}")
    return int(groups)


def _check(kernel, x, w, b, nd, groups):
    x = float_array(x, kernel, "x")
    w = float_array(w, kernel, "w")
    if x.ndim != nd + 2 or w.ndim != nd + 2:
        raise ValueError(f"{kernel}: x and w must be {nd + 2}-D, got shapes {x.shape} and {w.shape}")
    if w.shape[0] % groups:
        raise ValueError(f"{kernel}: {w.shape[0]} output channels (w of shape {w.shape}) are not "
                         f"divisible by groups={groups}")
    if x.shape[1] != w.shape[1] * groups:
        raise ValueError(f"{kernel}: x of shape {x.shape} has {x.shape[1]} channels "
                         f"but w of shape {w.shape} with groups={groups} expects {w.shape[1] * groups}")
    if w.dtype != x.dtype:
        raise ValueError(f"{kernel}: w is {w.dtype} but x is {x.dtype}")
    if b is not None:
        b = float_array(b, kernel, "b")
        if b.shape != (w.shape[0],) or b.dtype != x.dtype:
            raise ValueError(f"{kernel}: b must be {x.dtype} of shape ({w.shape[0]},), "
                             f"got {b.dtype} with shape {b.shape}")
    return x, w, b


def _output_size(kernel, x_shape, w_shape, stride, padding, dilation, shown_x, shown_w):
    (h, wd), (kh, kw) = x_shape[2:], w_shape[2:]
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    if dh * (kh - 1) + 1 > h + 2 * ph or dw * (kw - 1) + 1 > wd + 2 * pw:
        raise ValueError(f"{kernel}: kernel of w {shown_w} (dilation {dilation}) is larger than "
                         f"the padded input {shown_x} (padding {padding})")
    return (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1


class _Plan:
    """Where everything lives in the phase planes, for one input shape, weight shape and geometry."""

    def __init__(self, x_shape, w_shape, stride, padding, dilation, groups, out_size):
        (self.sh, self.sw), (self.ph, self.pw), (dh, dw) = stride, padding, dilation
        n, c, h, w = x_shape
        o, cg, kh, kw = w_shape
        self.trivial = stride == (1, 1) and padding == (0, 0)  # the input itself is the one plane
        self.hq = -(-(h + 2 * self.ph) // self.sh)
        self.wq = -(-(w + 2 * self.pw) // self.sw)
        self.ho, self.wo = out_size
        self.span = (self.ho - 1) * self.wq + self.wo
        self.geo = np.array([self.ph, self.pw, self.sh, self.sw, self.hq, self.wq], np.int64)
        self.phases_shape = (n, c, self.sh, self.sw, self.hq, self.wq)
        plane = self.sh * self.sw * self.hq * self.wq  # one channel's phase planes
        self.group_stride = cg * plane
        ci, ki, kj = np.arange(cg)[:, None, None], np.arange(kh)[None, :, None], np.arange(kw)[None, None, :]
        phase = ((ki * dh) % self.sh) * self.sw + (kj * dw) % self.sw
        self.offset = ((ci * plane + phase * self.hq * self.wq + ((ki * dh) // self.sh) * self.wq
                        + (kj * dw) // self.sw).reshape(-1).astype(np.int64))
        self._input_taps = None

    def input_taps(self, w, groups):
        """dx as a convolution of g (see conv_fused.backward): the weights wx (C, O/groups * k) with
        columns ordered by phase, then output channel, then kernel position; each column's offset
        into a row of g of length margin + Hq*Wq; where each phase's columns start; the margin.
        The index work is done once per plan; a call only gathers w."""
        if self._input_taps is None:
            o, cg, kh, kw = w.shape
            k = kh * kw
            per_plane = self.hq * self.wq
            phase, shift = self.offset[:k] // per_plane, self.offset[:k] % per_plane  # channel 0's taps
            margin = int(shift.max()) if shift.size else 0
            row_len = margin + per_plane
            og = o // groups
            index = np.arange(w.size).reshape(groups, og, cg, k)  # where each weight sits in w
            blocks, offsets, start = [], [], [0]
            for p in range(self.sh * self.sw):
                ks = np.flatnonzero(phase == p)
                blocks.append(index[:, :, :, ks].transpose(0, 2, 1, 3).reshape(groups * cg, og * ks.size))
                offsets.append((np.arange(og)[:, None] * row_len + margin - shift[ks][None, :]).reshape(-1))
                start.append(start[-1] + og * ks.size)
            self._input_taps = (np.concatenate(blocks, axis=1), np.concatenate(offsets).astype(np.int64),
                                np.array(start, np.int64), margin)
        index, offsets, start, margin = self._input_taps
        return w.reshape(-1)[index], offsets, start, margin

    def phases(self, x):
        if self.trivial:
            return x.reshape(self.phases_shape)
        xq = np.empty(self.phases_shape, x.dtype)
        _to_phases(x, self.ph, self.pw, self.sh, self.sw, xq)
        return xq

    def spread(self, g):
        """(g at its wide positions, per-(n, o) sums of g in float64)."""
        n, o = g.shape[:2]
        gw = np.empty((n, o, self.span), g.dtype)
        bias_part = np.empty((n, o), np.float64)
        _spread_grad(g, self.wq, gw, bias_part)
        return gw, bias_part


_PLANS: dict = {}  # plans by shapes and geometry: a training loop meets the same few every step


def _plan(x_shape, w_shape, stride, padding, dilation, groups, out_size) -> _Plan:
    key = (tuple(x_shape), tuple(w_shape), stride, padding, dilation, groups)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= 64:  # a program sweeping shapes keeps only the recent ones
            _PLANS.clear()
        plan = _PLANS[key] = _Plan(x_shape, w_shape, stride, padding, dilation, groups, out_size)
    return plan


def _jobs_per_sample(n, o):
    """Forward jobs per sample: one when the batch alone gives every thread a few samples, else the
    output channels are split (in blocks of 4) so that a small batch still uses every core."""
    want = 2 * _threads.cores()
    return 1 if n >= want else max(1, min(-(-o // 4), -(-want // max(n, 1))))


def _forward_2d(x, w, b, stride, padding, dilation, groups, out_size):
    plan = _plan(x.shape, w.shape, stride, padding, dilation, groups, out_size)
    bias = b if b is not None else np.zeros(w.shape[0], x.dtype)
    y = np.empty((x.shape[0], w.shape[0], *out_size), x.dtype)
    conv_fused.forward(x, w, bias, plan.offset, plan.geo, groups, _jobs_per_sample(x.shape[0], w.shape[0]), y)
    return y


def _gradients_2d(plan, x, w, g, groups, need_x, need_w):
    """(dx or None, dw or None, db in float64) of the 4-D problem.

    A batch of at least two samples per thread runs the per-sample kernels (conv_fused: padding,
    spread and both gradients of a sample in cache); a smaller one runs the whole-batch passes below,
    whose parallel loops are over (sample, channel) and so keep every core busy."""
    n, o = g.shape[:2]
    chunks = 2 * _threads.cores()
    if n < chunks:
        gw, bias_part = plan.spread(g)
        dx = _input_grad_2d(plan, gw, w, x.shape) if need_x else None
        dw = _weight_grad_2d(plan, x, gw, w.shape) if need_w else None
        return dx, dw, bias_part.sum(axis=0)
    dx = np.empty(x.shape if need_x else (1, 1, 1, 1), x.dtype)
    dw_part = np.zeros((chunks, o, w[0].size if need_w else 0), np.float64)
    db_part = np.zeros((chunks, o), np.float64)
    wx, offset_x, tap_start, margin = plan.input_taps(w, groups)
    conv_fused.backward(x, w, g, plan.offset, plan.geo, groups, need_x, need_w, chunks, wx, offset_x,
                        tap_start, margin, dx, dw_part, db_part)
    dw = dw_part.sum(axis=0).astype(x.dtype).reshape(w.shape) if need_w else None
    return (dx if need_x else None), dw, db_part.sum(axis=0)


def _input_grad_2d(plan, gw, w, x_shape):
    dq = np.empty(plan.phases_shape, w.dtype)
    _grad_input(gw, w, plan.offset, dq)
    if plan.trivial:
        return dq.reshape(x_shape)
    dx = np.empty(x_shape, w.dtype)
    _from_phases(dq, plan.ph, plan.pw, plan.sh, plan.sw, dx)
    return dx


def _weight_grad_2d(plan, x, gw, w_shape):
    dw = np.empty(w_shape, x.dtype)
    _grad_weight(plan.phases(x), gw, plan.offset, plan.group_stride, dw)
    return dw


def _check_grad(kernel, g, expected, x):
    g = np.asarray(g)
    if g.shape != expected:
        raise ValueError(f"{kernel}: g has shape {g.shape} but the output has shape {expected}")
    return np.ascontiguousarray(g, dtype=x.dtype)


def _shape(kernel, shape, name, nd):
    shape = tuple(int(d) for d in shape)
    if len(shape) != nd + 2 or min(shape) < 0:
        raise ValueError(f"{kernel}: {name} must be {nd + 2} non-negative sizes, got {shape}")
    return shape


# ---- the public kernels --------------------------------------------------------------------------


def _as_2d(a):
    """(N, C, L) as (N, C, 1, L): conv1d is conv2d over one row."""
    return a.reshape(a.shape[0], a.shape[1], 1, a.shape[2])


def _geometry_1d(kernel, stride, padding, dilation):
    s = int_single(stride, kernel, "stride", 1)
    p = int_single(padding, kernel, "padding", 0)
    d = int_single(dilation, kernel, "dilation", 1)
    return (1, s), (0, p), (1, d)


def _geometry_2d(kernel, stride, padding, dilation):
    return (int_pair(stride, kernel, "stride", 1), int_pair(padding, kernel, "padding", 0),
            int_pair(dilation, kernel, "dilation", 1))


def _setup(kernel, x, w, nd, stride, padding, dilation, groups, b=None):
    """Checked arrays as 4-D, the 2-D geometry and the output size."""
    groups = _groups(kernel, groups)
    x, w, b = _check(kernel, x, w, b, nd, groups)
    geometry = (_geometry_1d if nd == 1 else _geometry_2d)(kernel, stride, padding, dilation)
    x4, w4 = (_as_2d(x), _as_2d(w)) if nd == 1 else (x, w)
    out_size = _output_size(kernel, x4.shape, w4.shape, *geometry, x.shape, w.shape)
    return x, w, b, x4, w4, geometry, groups, out_size


@half_in_float32
def conv1d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: int = 1,
                   padding: int = 0, dilation: int = 1, groups: int = 1) -> np.ndarray:
    """y (N, Cout, Lout) from x (N, Cin, L), w (Cout, Cin/groups, K), b (Cout,) or None;
    Lout = (L + 2p - d(K-1) - 1) // s + 1.

    >>> conv1d_forward(np.ones((1, 1, 4)), np.ones((1, 1, 2)), None)
    array([[[2., 2., 2.]]])
    """
    x, w, b, x4, w4, geometry, groups, out_size = _setup("conv1d_forward", x, w, 1, stride, padding,
                                                         dilation, groups, b)
    y = _forward_2d(x4, w4, b, *geometry, groups, out_size)
    return y.reshape(y.shape[0], y.shape[1], y.shape[3])


@half_in_float32
def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Size2 = 1, padding: Size2 = 0,
                   dilation: Size2 = 1, groups: int = 1) -> np.ndarray:
    """y (N, Cout, Hout, Wout) from x (N, Cin, H, W), w (Cout, Cin/groups, kH, kW), b (Cout,) or None.

    stride, padding, dilation: an int or an (h, w) pair; Hout = (H + 2ph - dh(kH-1) - 1) // sh + 1.

    >>> conv2d_forward(np.ones((1, 1, 4, 4)), np.ones((2, 1, 3, 3)), None, stride=2, padding=1).shape
    (1, 2, 2, 2)
    """
    x, w, b, x4, w4, geometry, groups, out_size = _setup("conv2d_forward", x, w, 2, stride, padding,
                                                         dilation, groups, b)
    return _forward_2d(x, w, b, *geometry, groups, out_size)


def _backward(kernel, nd, x, w, g, stride, padding, dilation, need_x, need_w, need_b, groups):
    x, w, _, x4, w4, geometry, groups, out_size = _setup(kernel, x, w, nd, stride, padding, dilation, groups)
    g = _check_grad(kernel, g, (x.shape[0], w.shape[0], *out_size[2 - nd:]), x)
    g4 = _as_2d(g) if nd == 1 else g
    dx = dw = db = None
    if not (need_x or need_w):
        if need_b:
            db = g.sum(axis=(0, *range(2, g.ndim)), dtype=np.float64).astype(x.dtype)
        return dx, dw, db
    plan = _plan(x4.shape, w4.shape, *geometry, groups, out_size)
    dx, dw, db_sum = _gradients_2d(plan, x4, w4, g4, groups, need_x, need_w)
    if need_b:
        db = db_sum.astype(x.dtype)
    return (dx.reshape(x.shape) if need_x else None), (dw.reshape(w.shape) if need_w else None), db


@half_in_float32
def conv1d_backward(x: np.ndarray, w: np.ndarray, g: np.ndarray, stride: int = 1, padding: int = 0,
                    dilation: int = 1, need_x: bool = True, need_w: bool = True, need_b: bool = True,
                    groups: int = 1) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(dx, dw, db) of conv1d for the output gradient g (N, Cout, Lout); None for those not needed."""
    return _backward("conv1d_backward", 1, x, w, g, stride, padding, dilation, need_x, need_w, need_b, groups)


@half_in_float32
def conv2d_backward(x: np.ndarray, w: np.ndarray, g: np.ndarray, stride: Size2 = 1, padding: Size2 = 0,
                    dilation: Size2 = 1, need_x: bool = True, need_w: bool = True, need_b: bool = True,
                    groups: int = 1) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(dx, dw, db) of conv2d for the output gradient g (N, Cout, Hout, Wout); None for those not needed.

    >>> dx, dw, db = conv2d_backward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)))
    >>> dx[0, 0], db
    (array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]]), array([4.]))
    """
    return _backward("conv2d_backward", 2, x, w, g, stride, padding, dilation, need_x, need_w, need_b, groups)


def _input_grad(kernel, nd, g, w, x_shape, stride, padding, dilation, groups):
    x_shape = _shape(kernel, x_shape, "x_shape", nd)
    probe = np.empty(x_shape, float_array(w, kernel, "w").dtype)  # only its shape and dtype are read
    _, w, _, x4, w4, geometry, groups, out_size = _setup(kernel, probe, w, nd, stride, padding, dilation,
                                                         groups)
    g = _check_grad(kernel, g, (x_shape[0], w.shape[0], *out_size[2 - nd:]), probe)
    plan = _plan(x4.shape, w4.shape, *geometry, groups, out_size)
    dx, _, _ = _gradients_2d(plan, x4, w4, _as_2d(g) if nd == 1 else g, groups, True, False)
    return dx.reshape(x_shape)


def _weight_grad(kernel, nd, x, g, w_shape, stride, padding, dilation, groups):
    w_shape = _shape(kernel, w_shape, "w_shape", nd)
    probe = np.empty(w_shape, float_array(x, kernel, "x").dtype)
    x, w, _, x4, w4, geometry, groups, out_size = _setup(kernel, x, probe, nd, stride, padding, dilation,
                                                         groups)
    g = _check_grad(kernel, g, (x.shape[0], w_shape[0], *out_size[2 - nd:]), x)
    plan = _plan(x4.shape, w4.shape, *geometry, groups, out_size)
    _, dw, _ = _gradients_2d(plan, x4, w4, _as_2d(g) if nd == 1 else g, groups, False, True)
    return dw.reshape(w_shape)


@half_in_float32
def conv2d_input_grad(g: np.ndarray, w: np.ndarray, x_shape, stride: Size2 = 1, padding: Size2 = 0,
                      dilation: Size2 = 1, groups: int = 1) -> np.ndarray:
    """dx of conv2d: the transposed convolution of g (N, Cout, Hout, Wout) with w, for an input of
    shape x_shape. It is linear in g and in w (what a differentiable op around it needs).

    >>> conv2d_input_grad(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), (1, 1, 3, 3))[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    return _input_grad("conv2d_input_grad", 2, g, w, x_shape, stride, padding, dilation, groups)


@half_in_float32
def conv2d_weight_grad(x: np.ndarray, g: np.ndarray, w_shape, stride: Size2 = 1, padding: Size2 = 0,
                       dilation: Size2 = 1, groups: int = 1) -> np.ndarray:
    """dw of conv2d: the correlation of the input x with the output gradient g, for a weight of shape
    w_shape (Cout, Cin/groups, kH, kW). Linear in x and in g.

    >>> conv2d_weight_grad(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), (1, 1, 2, 2))[0, 0]
    array([[4., 4.],
           [4., 4.]])
    """
    return _weight_grad("conv2d_weight_grad", 2, x, g, w_shape, stride, padding, dilation, groups)


@half_in_float32
def conv1d_input_grad(g: np.ndarray, w: np.ndarray, x_shape, stride: int = 1, padding: int = 0,
                      dilation: int = 1, groups: int = 1) -> np.ndarray:
    """dx of conv1d (the transposed convolution of g with w), for an input of shape x_shape."""
    return _input_grad("conv1d_input_grad", 1, g, w, x_shape, stride, padding, dilation, groups)


@half_in_float32
def conv1d_weight_grad(x: np.ndarray, g: np.ndarray, w_shape, stride: int = 1, padding: int = 0,
                       dilation: int = 1, groups: int = 1) -> np.ndarray:
    """dw of conv1d, for a weight of shape w_shape (Cout, Cin/groups, K)."""
    return _weight_grad("conv1d_weight_grad", 1, x, g, w_shape, stride, padding, dilation, groups)
