"""Transposed convolutions (the adjoint of convolution with respect to its input):
weight (C_in, C_out/groups, *kernel), PyTorch's layout.

Each input position spreads weight·value over a window of the output: one matmul per
group gives the windows as columns (N, C_out, K, L_in) and col2im (`ops/unfold.py`) sums
them into place, cropping `padding` and growing `output_padding`. The gradient is
therefore im2col + matmul, i.e. a convolution, and stays differentiable.

    >>> import autograd_core as ag
    >>> conv_transpose2d(ag.ones(1, 2, 3, 3), ag.ones(2, 4, 3, 3), stride=2).shape
    (1, 4, 7, 7)
"""

from __future__ import annotations

import math

from ..function import ShapeError
from .padding import pad
from .unfold import col2im, ntuple


def conv_transpose_nd(name: str, n: int, x, weight, bias, stride, padding, output_padding, groups, dilation):
    added = x.ndim == n + 1
    if added:
        x = x.reshape((1,) + x.shape)
    if x.ndim != n + 2:
        raise ShapeError(f"{name}: expected {n + 1}D or {n + 2}D input, got shape {x.shape}")
    if weight.ndim != n + 2:
        raise ShapeError(f"{name}: weight must be {n + 2}-D (in, out/groups, ...), got shape {weight.shape}")
    if groups <= 0 or x.shape[1] % groups:
        raise ShapeError(f"{name}: groups={groups} must divide the input channels {x.shape[1]}")
    if x.shape[1] != weight.shape[0]:
        raise ShapeError(
            f"{name}: input of shape {x.shape} has {x.shape[1]} channels but the weight of "
            f"shape {weight.shape} expects {weight.shape[0]}"
        )
    s, p = ntuple(stride, n, "stride", name), ntuple(padding, n, "padding", name)
    op, d = ntuple(output_padding, n, "output_padding", name), ntuple(dilation, n, "dilation", name)
    if any(v <= 0 for v in s + d) or any(v < 0 for v in p + op):
        raise ValueError(
            f"{name}: stride and dilation must be positive, padding and output_padding "
            f"non-negative (got stride={s}, dilation={d}, padding={p}, output_padding={op})"
        )
    if any(o >= si and o >= di for o, si, di in zip(op, s, d)):
        raise ValueError(
            f"{name}: output padding must be smaller than either stride or dilation, got "
            f"output_padding={op}, stride={s}, dilation={d}"
        )
    k = tuple(weight.shape[2:])
    full = [(i - 1) * si + di * (ki - 1) + 1 for i, si, di, ki in zip(x.shape[2:], s, d, k)]
    sizes = [f - 2 * pi + o for f, pi, o in zip(full, p, op)]
    if any(v <= 0 for v in sizes):
        raise ShapeError(
            f"{name}: the output size {tuple(sizes)} would not be positive (input {x.shape}, "
            f"kernel {k}, padding {p})"
        )
    batch, c_in, kk = x.shape[0], x.shape[1], math.prod(k)
    c_out = weight.shape[1] * groups
    length = math.prod(x.shape[2:])
    w = weight.reshape(groups, c_in // groups, c_out // groups * kk).transpose(1, 2)  # (G, O/G·K, I/G)
    cols = w @ x.reshape(batch, groups, c_in // groups, length)  # (N, G, O/G·K, L_in)
    cols = cols.reshape(batch, c_out, kk, length)
    # Crop `padding` from the full result; the part of output_padding beyond it is zeros.
    kept = [min(v, f - pi) for v, f, pi in zip(sizes, full, p)]
    y = col2im(cols, kept, k, d, [(pi, f - pi - t) for pi, f, t in zip(p, full, kept)], s)
    grow = [v - t for v, t in zip(sizes, kept)]
    if any(grow):
        widths = []
        for g in reversed(grow):
            widths += [0, g]
        y = pad(y, widths)
    if bias is not None:
        y = y + bias.reshape((c_out,) + (1,) * n)
    return y.reshape(y.shape[1:]) if added else y


def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1
):
    """Transposed 1-D convolution over (N, C_in, L)."""
    return conv_transpose_nd(
        "conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1
):
    """Transposed 2-D convolution over (N, C_in, H, W)."""
    return conv_transpose_nd(
        "conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def conv_transpose3d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1
):
    """Transposed 3-D convolution over (N, C_in, D, H, W)."""
    return conv_transpose_nd(
        "conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups, dilation
    )
