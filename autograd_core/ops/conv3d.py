"""3-D convolution over (N, C_in, D, H, W) with weight (C_out, C_in/groups, kD, kH, kW):
im2col (`ops/unfold.py`) then one batched matmul per group, so its gradients (and their
gradients) are those of im2col/col2im and matmul.

    >>> import autograd_core as ag
    >>> conv3d(ag.ones(1, 2, 4, 4, 4), ag.ones(3, 2, 3, 3, 3), padding=1).shape
    (1, 3, 4, 4, 4)
"""

from __future__ import annotations

import math

from ..function import ShapeError
from .unfold import im2col, ntuple, out_sizes


def conv_nd(name: str, n: int, x, weight, bias, stride, padding, dilation, groups):
    """Cross-correlation over the trailing n dims of (N, C, *spatial) or (C, *spatial)."""
    added = x.ndim == n + 1
    if added:
        x = x.reshape((1,) + x.shape)
    if x.ndim != n + 2:
        raise ShapeError(f"{name}: expected {n + 1}D or {n + 2}D input, got shape {x.shape}")
    if weight.ndim != n + 2:
        raise ShapeError(f"{name}: weight must be {n + 2}-D (out, in/groups, ...), got shape {weight.shape}")
    if groups <= 0 or x.shape[1] % groups or weight.shape[0] % groups:
        raise ShapeError(
            f"{name}: groups={groups} must divide the input channels {x.shape[1]} and the "
            f"output channels {weight.shape[0]}"
        )
    if x.shape[1] // groups != weight.shape[1]:
        raise ShapeError(
            f"{name}: expected input {x.shape} to have {weight.shape[1] * groups} channels "
            f"for weight of shape {weight.shape} and groups={groups}"
        )
    k = tuple(weight.shape[2:])
    s, d = ntuple(stride, n, "stride", name), ntuple(dilation, n, "dilation", name)
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * n
        elif padding == "same":
            if any(v != 1 for v in s):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
            totals = [di * (ki - 1) for di, ki in zip(d, k)]
            pads = [(t // 2, t - t // 2) for t in totals]  # the extra one goes right, as PyTorch
        else:
            raise ValueError(
                f"{name}: invalid padding string {padding!r}, should be one of {{'valid', 'same'}}"
            )
    else:
        pads = [(p, p) for p in ntuple(padding, n, "padding", name)]
    if any(lo < 0 for lo, _ in pads) or any(v <= 0 for v in s + d):
        raise ValueError(f"{name}: stride and dilation must be positive and padding non-negative")
    out = out_sizes(x.shape[2:], k, d, pads, s)
    if any(o <= 0 for o in out):
        raise ShapeError(f"{name}: kernel {k} (dilation {d}) is larger than the padded input {x.shape}")
    cols = im2col(x, k, d, pads, s)  # (N, C, K, L)
    batch, c_out, kk = x.shape[0], weight.shape[0], math.prod(k)
    cols = cols.reshape(batch, groups, (x.shape[1] // groups) * kk, math.prod(out))
    w = weight.reshape(groups, c_out // groups, (x.shape[1] // groups) * kk)
    y = (w @ cols).reshape((batch, c_out) + out)  # (N, G, O/G, L) -> (N, O, *out)
    if bias is not None:
        y = y + bias.reshape((c_out,) + (1,) * n)
    return y.reshape(y.shape[1:]) if added else y


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """3-D cross-correlation; padding may be an int, a 3-tuple, 'valid' or 'same'."""
    return conv_nd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)
