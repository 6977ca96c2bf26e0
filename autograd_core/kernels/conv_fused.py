"""The per-sample convolution loops: padding, forward and both gradients of one sample in cache.

`conv.py` explains the layout: the padded input split into its stride phases, every tap reading one
contiguous run ("wide" positions p = i*Wq + j) of a phase plane at `offset[tap]`. Its first kernels
ran in passes over the whole batch: phase planes of every sample, then the convolution, then the
gradient spread to wide positions, then dx back from the phase planes. Each pass moved the whole
batch through memory (about 12 GB/s for one core here), and those passes took as long as the
arithmetic: on a depthwise layer (64, 32, 28, 28) the phase copy alone took half the forward time.

Here one job handles one sample (or a slice of its output channels): it pads that sample's channels of
one group into a buffer that stays in L1/L2, computes from it, and writes only the result. The
backward job also spreads g of the sample into a cached buffer and accumulates dw and db in float64
partial sums of its own (one row per job, summed by the caller), so no two jobs write the same place.

Register blocking: four output channels and four taps per pass (forward and dw), so that each
vector of input read feeds sixteen multiply-adds instead of four; the loads, not the multiply-adds,
bounded the earlier one-channel passes. dx is the same loop as the forward (`_rows`) run on g: rows
are four input channels, taps are (output channel, kernel position) pairs, one stride phase of dx at
a time (the old dx loop, one input channel and four output channels a pass, took 1.5x longer).

    >>> import numpy as np
    >>> from autograd_core.kernels.conv import conv2d_forward
    >>> conv2d_forward(np.ones((4, 1, 3, 3)), np.ones((1, 1, 2, 2)), None)[3, 0]
    array([[4., 4.],
           [4., 4.]])
"""

from __future__ import annotations

import numpy as np

from ._jit import FASTMATH, njit, prange

LANES = 16  # float32 lanes of an AVX-512 register: the unit of work of the inner loops

# geo = (ph, pw, sh, sw, hq, wq): padding, stride and the phase-plane size of the 2-D problem.


@njit(cache=True)
def _pad(xn, c0, cg, geo, buf):
    """buf[c] = the phase planes of channel c0 + c of one sample. Only the positions that hold input
    are written: the rest is padding, zeroed once when the caller allocates buf (np.zeros), and the
    same for every channel and sample.

    The copies here and below index with unsigned integers: an int64 index such as `buf[row + j]`
    may be negative as far as numba knows, and its wrap-around test kept LLVM from vectorising the
    copy (8x slower: padding took half the time of a depthwise forward). A slice per row would do
    too, but each costs two atomic reference-count updates, which showed on rows of 16."""
    ph, pw, sh, sw, hq, wq = geo[0], geo[1], geo[2], geo[3], geo[4], geo[5]
    h, w = xn.shape[1], xn.shape[2]
    plane = sh * sw * hq * wq
    flat = xn.reshape(xn.shape[0] * h * w)
    step = np.uint64(sw)
    for c in range(cg):
        channel = (c0 + c) * h * w
        for a in range(sh):
            i_lo = max(0, (ph - a + sh - 1) // sh)  # the phase rows inside x
            i_hi = min(hq, (h - 1 + ph - a) // sh + 1)
            for b in range(sw):
                base = c * plane + (a * sw + b) * hq * wq
                j_lo = min(wq, max(0, (pw - b + sw - 1) // sw))  # the phase columns inside x
                j_hi = max(j_lo, min(wq, (w - 1 + pw - b) // sw + 1))
                count = np.uint64(j_hi - j_lo)
                for i in range(i_lo, i_hi):
                    dst = np.uint64(base + i * wq + j_lo)
                    src = np.uint64(channel + (i * sh + a - ph) * w + j_lo * sw + b - pw)
                    if sw == 1:
                        for j in range(count):
                            buf[dst + j] = flat[src + j]
                    else:
                        for j in range(count):
                            buf[dst + j] = flat[src + j * step]


@njit(cache=True)
def _unpad_phase(plane, a, b, geo, dxc):
    """dxc (one input channel of dx) at the positions of phase (a, b) = that phase plane's values."""
    ph, pw, sh, sw, wq = geo[0], geo[1], geo[2], geo[3], geo[5]
    h, w = dxc.shape[0], dxc.shape[1]
    col0 = (b - pw) % sw  # the first input column of phase b
    if col0 >= w:
        return
    j0 = (col0 + pw) // sw
    count = np.uint64((w - 1 - col0) // sw + 1)
    step = np.uint64(sw)
    flat = dxc.reshape(h * w)
    for r in range((a - ph) % sh, h, sh):
        src = np.uint64(((r + ph) // sh) * wq + j0)
        dst = np.uint64(r * w + col0)
        if sw == 1:
            for k in range(count):
                flat[dst + k] = plane[src + k]
        else:
            for k in range(count):
                flat[dst + k * step] = plane[src + k]


@njit(cache=True, fastmath=FASTMATH)
def _rows(buf, wmat, offset, o, count, t0, t1, span, acc):
    """acc[r, p] += sum_{t0 <= t < t1} wmat[o + r, t] * buf[offset[t] + p] for r < count (at most 4).
    The forward (rows: output channels, taps: input channel x kernel position) and dx (rows: input
    channels, taps: output channel x kernel position) both take this loop.

    span is a multiple of LANES (the caller computes a few positions past the end, into buffers long
    enough, and drops them), which shortens the scalar tail LLVM leaves after its SIMD loop.

    Each tap's input is buf from an unsigned offset, not a slice: creating a slice costs two atomic
    reference-count updates, and with spans of 128-256 positions those took half the time."""
    positions = np.uint64(span)
    if count == 4:
        acc0, acc1, acc2, acc3 = acc[0], acc[1], acc[2], acc[3]
        t = t0
        while t + 4 <= t1:
            b0 = np.uint64(offset[t])
            b1 = np.uint64(offset[t + 1])
            b2 = np.uint64(offset[t + 2])
            b3 = np.uint64(offset[t + 3])
            w00, w01, w02, w03 = wmat[o, t], wmat[o, t + 1], wmat[o, t + 2], wmat[o, t + 3]
            w10, w11, w12, w13 = wmat[o + 1, t], wmat[o + 1, t + 1], wmat[o + 1, t + 2], wmat[o + 1, t + 3]
            w20, w21, w22, w23 = wmat[o + 2, t], wmat[o + 2, t + 1], wmat[o + 2, t + 2], wmat[o + 2, t + 3]
            w30, w31, w32, w33 = wmat[o + 3, t], wmat[o + 3, t + 1], wmat[o + 3, t + 2], wmat[o + 3, t + 3]
            for p in range(positions):
                x0, x1, x2, x3 = buf[b0 + p], buf[b1 + p], buf[b2 + p], buf[b3 + p]
                acc0[p] += w00 * x0 + w01 * x1 + w02 * x2 + w03 * x3
                acc1[p] += w10 * x0 + w11 * x1 + w12 * x2 + w13 * x3
                acc2[p] += w20 * x0 + w21 * x1 + w22 * x2 + w23 * x3
                acc3[p] += w30 * x0 + w31 * x1 + w32 * x2 + w33 * x3
            t += 4
        for rest in range(t, t1):  # the last taps % 4
            b0 = np.uint64(offset[rest])
            w0, w1, w2, w3 = wmat[o, rest], wmat[o + 1, rest], wmat[o + 2, rest], wmat[o + 3, rest]
            for p in range(positions):
                x0 = buf[b0 + p]
                acc0[p] += w0 * x0
                acc1[p] += w1 * x0
                acc2[p] += w2 * x0
                acc3[p] += w3 * x0
        return
    for r in range(count):  # fewer than 4 rows left (depthwise: always one): 4 taps per pass
        out = acc[r]
        w_row = wmat[o + r]
        t = t0
        while t + 4 <= t1:
            b0 = np.uint64(offset[t])
            b1 = np.uint64(offset[t + 1])
            b2 = np.uint64(offset[t + 2])
            b3 = np.uint64(offset[t + 3])
            w0, w1, w2, w3 = w_row[t], w_row[t + 1], w_row[t + 2], w_row[t + 3]
            for p in range(positions):
                out[p] += w0 * buf[b0 + p] + w1 * buf[b1 + p] + w2 * buf[b2 + p] + w3 * buf[b3 + p]
            t += 4
        for rest in range(t, t1):
            b0 = np.uint64(offset[rest])
            w0 = w_row[rest]
            for p in range(positions):
                out[p] += w0 * buf[b0 + p]


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def forward(x, w, b, offset, geo, groups, splits, y):
    """y = conv(x, w) + b. Job (n, s) computes output channels [s*per, (s+1)*per) of sample n."""
    n_ = x.shape[0]
    o_, cg, kh_, kw_ = w.shape
    og = o_ // groups
    ho, wo, wq = y.shape[2], y.shape[3], geo[5]
    span = (ho - 1) * wq + wo
    wide = -(-span // LANES) * LANES  # positions computed: span rounded up (see _rows)
    plane = geo[2] * geo[3] * geo[4] * wq
    wmat = w.reshape(o_, cg * kh_ * kw_)
    yflat = y.reshape(y.size)
    per = (o_ + splits - 1) // splits
    for job in prange(n_ * splits):
        n, s = job // splits, job % splits
        o, o_hi = s * per, min(o_, s * per + per)
        buf = np.zeros(cg * plane + LANES, x.dtype)  # its padding stays zero (see _pad)
        acc = np.empty((4, wide), y.dtype)
        while o < o_hi:
            gi = o // og
            group_end = min(o_hi, gi * og + og)
            _pad(x[n], gi * cg, cg, geo, buf)
            while o < group_end:
                count = min(4, group_end - o)
                for r in range(count):
                    acc[r, :] = b[o + r]
                _rows(buf, wmat, offset, o, count, 0, wmat.shape[1], wide, acc)
                for r in range(count):
                    out = acc[r]
                    for i in range(ho):
                        src = np.uint64(i * wq)
                        dst = np.uint64(((n * o_ + o + r) * ho + i) * wo)
                        for j in range(np.uint64(wo)):
                            yflat[dst + j] = out[src + j]
                o += count


@njit(cache=True, fastmath=FASTMATH)
def _rows_weight(xbuf, gflat, row_len, margin, offset, first, o, count, cg, k_, span, dwp):
    """dwp[o + r, t] += sum_p g[o + r, p] * x[offset[t] + p] for r < count, every tap t; row r of g
    is gflat[r * row_len + margin:][:span] (1-D slices of a contiguous array, which LLVM vectorises)."""
    zero = np.zeros(1, xbuf.dtype)[0]
    positions = np.uint64(span)  # unsigned offsets, not slices, into xbuf (see _rows)
    at = (o - first) * row_len + margin
    g0 = gflat[at:at + span]
    g1 = gflat[at + row_len:at + row_len + span]
    g2 = gflat[at + 2 * row_len:at + 2 * row_len + span]
    g3 = gflat[at + 3 * row_len:at + 3 * row_len + span]
    for c in range(cg):
        if count == 4:
            k = 0
            while k + 4 <= k_:
                t = c * k_ + k
                b0 = np.uint64(offset[t])
                b1 = np.uint64(offset[t + 1])
                b2 = np.uint64(offset[t + 2])
                b3 = np.uint64(offset[t + 3])
                s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = zero
                s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = zero
                for p in range(positions):
                    x0, x1, x2, x3 = xbuf[b0 + p], xbuf[b1 + p], xbuf[b2 + p], xbuf[b3 + p]
                    q0, q1, q2, q3 = g0[p], g1[p], g2[p], g3[p]
                    s00 += q0 * x0
                    s01 += q0 * x1
                    s02 += q0 * x2
                    s03 += q0 * x3
                    s10 += q1 * x0
                    s11 += q1 * x1
                    s12 += q1 * x2
                    s13 += q1 * x3
                    s20 += q2 * x0
                    s21 += q2 * x1
                    s22 += q2 * x2
                    s23 += q2 * x3
                    s30 += q3 * x0
                    s31 += q3 * x1
                    s32 += q3 * x2
                    s33 += q3 * x3
                dwp[o, t] += s00
                dwp[o, t + 1] += s01
                dwp[o, t + 2] += s02
                dwp[o, t + 3] += s03
                dwp[o + 1, t] += s10
                dwp[o + 1, t + 1] += s11
                dwp[o + 1, t + 2] += s12
                dwp[o + 1, t + 3] += s13
                dwp[o + 2, t] += s20
                dwp[o + 2, t + 1] += s21
                dwp[o + 2, t + 2] += s22
                dwp[o + 2, t + 3] += s23
                dwp[o + 3, t] += s30
                dwp[o + 3, t + 1] += s31
                dwp[o + 3, t + 2] += s32
                dwp[o + 3, t + 3] += s33
                k += 4
            for rest in range(k, k_):
                t = c * k_ + rest
                b0 = np.uint64(offset[t])
                s0 = s1 = s2 = s3 = zero
                for p in range(positions):
                    x0 = xbuf[b0 + p]
                    s0 += g0[p] * x0
                    s1 += g1[p] * x0
                    s2 += g2[p] * x0
                    s3 += g3[p] * x0
                dwp[o, t] += s0
                dwp[o + 1, t] += s1
                dwp[o + 2, t] += s2
                dwp[o + 3, t] += s3
            continue
        for r in range(count):  # fewer than 4 channels left (depthwise: always one): 4 taps per pass
            gs = gflat[at + r * row_len:at + r * row_len + span]
            k = 0
            while k + 4 <= k_:
                t = c * k_ + k
                b0 = np.uint64(offset[t])
                b1 = np.uint64(offset[t + 1])
                b2 = np.uint64(offset[t + 2])
                b3 = np.uint64(offset[t + 3])
                s0 = s1 = s2 = s3 = zero
                for p in range(positions):
                    q = gs[p]
                    s0 += q * xbuf[b0 + p]
                    s1 += q * xbuf[b1 + p]
                    s2 += q * xbuf[b2 + p]
                    s3 += q * xbuf[b3 + p]
                dwp[o + r, t] += s0
                dwp[o + r, t + 1] += s1
                dwp[o + r, t + 2] += s2
                dwp[o + r, t + 3] += s3
                k += 4
            for rest in range(k, k_):
                t = c * k_ + rest
                b0 = np.uint64(offset[t])
                s0 = zero
                for p in range(positions):
                    s0 += gs[p] * xbuf[b0 + p]
                dwp[o + r, t] += s0


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def backward(x, w, g, offset, geo, groups, need_x, need_w, chunks, wx, offset_x, tap_start, margin,
             dx, dw_part, db_part):
    """dx (when need_x), and per job dw_part[job] = that job's samples' part of dw (when need_w) and
    db_part[job] of db, in float64. Job j takes samples [j*per, (j+1)*per).

    dx is computed as a convolution of g, one phase plane of dx at a time: g of the group sits in
    rows of length L = margin + Hq*Wq (zeros before and after it), and dx's phase plane P of input
    channel c is sum_t wx[c, t] * g_row[offset_x[t] + q] over the taps t in
    [tap_start[P], tap_start[P+1]), the (output channel, kernel position) pairs of phase P."""
    n_ = x.shape[0]
    o_, cg, kh_, kw_ = w.shape
    og = o_ // groups
    ho, wo, hq, wq = g.shape[2], g.shape[3], geo[4], geo[5]
    span = (ho - 1) * wq + wo
    sw, phases = geo[3], geo[2] * geo[3]
    plane = phases * hq * wq
    row_len = margin + hq * wq
    plane_wide = -(-(hq * wq) // LANES) * LANES  # dx positions computed per phase plane (see _rows)
    k_ = kh_ * kw_
    g_all = g.reshape(g.size)
    per = (n_ + chunks - 1) // chunks
    for job in prange(chunks):
        xbuf = np.zeros(cg * plane, x.dtype)  # its padding stays zero (see _pad)
        gflat = np.zeros(og * row_len + LANES, g.dtype)  # rows zero outside [margin, margin + span)
        acc = np.empty((4, plane_wide), x.dtype)
        dwp, dbp = dw_part[job], db_part[job]
        for n in range(job * per, min(n_, job * per + per)):
            for gi in range(groups):
                first = gi * og
                for r in range(og):
                    s = 0.0
                    at = r * row_len + margin
                    for i in range(ho):
                        src = np.uint64(((n * o_ + first + r) * ho + i) * wo)
                        dst = np.uint64(at + i * wq)
                        for j in range(np.uint64(wo)):
                            v = g_all[src + j]
                            gflat[dst + j] = v
                            s += v
                    dbp[first + r] += s
                if need_w:
                    _pad(x[n], gi * cg, cg, geo, xbuf)
                    o = first
                    while o < first + og:
                        count = min(4, first + og - o)
                        _rows_weight(xbuf, gflat, row_len, margin, offset, first, o, count, cg, k_, span, dwp)
                        o += count
                if need_x:
                    c = gi * cg
                    while c < gi * cg + cg:
                        count = min(4, gi * cg + cg - c)
                        for phase in range(phases):
                            acc[:count, :] = 0
                            _rows(gflat, wx, offset_x, c, count, tap_start[phase], tap_start[phase + 1],
                                  plane_wide, acc)
                            for r in range(count):
                                _unpad_phase(acc[r], phase // sw, phase % sw, geo, dx[n, c + r])
                        c += count
