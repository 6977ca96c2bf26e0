"""Scans along a dim: cumsum, cumprod, cummax/cummin, logcumsumexp, and diff.

cumsum's backward is a reversed cumsum (the same op with `reverse` set), so its chain
of derivatives never leaves the op. cumprod's gradient is exact with zeros in the input
(PyTorch's rule: only the first zero of a lane gets a gradient past it). cummax/cummin
compute their indices, then read the values through `take_flat`, whose gradient sends g
to those indices.

    >>> import autograd_core as ag
    >>> cumsum(ag.tensor([1, 2, 3]), 0)
    tensor([1, 3, 6])
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..dtypes import resolve_dtype
from ..function import Op
from .flat import along_axis_flat, is_raw, lift, lower, take_flat

_ValuesIndices = namedtuple("_ValuesIndices", ["values", "indices"])


def _axis(x, dim, name) -> int:
    n = max(x.ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{name}: dim {dim} is out of range for a tensor with {x.ndim} dims")
    return dim % n


def _prepared(x, dim, dtype, name):
    """The axis and the input cast as PyTorch does (ints and bools accumulate in int64)."""
    from .elementwise import cast

    axis = _axis(x, dim, name)
    target = resolve_dtype(dtype)
    if target is None and x.dtype.kind in "biu":
        target = np.dtype(np.int64)
    if target is not None and target != x.dtype:
        x = cast(x, target)
    return x, axis


class Cumsum(Op):
    """Running sum along `axis` (from the end when `reverse`); backward runs the other way."""

    @staticmethod
    def forward(ctx, a, axis, reverse):
        ctx.info = (axis, reverse)
        if a.ndim == 0:
            return a.copy()
        if reverse:
            return np.flip(np.cumsum(np.flip(a, axis), axis), axis)
        return np.cumsum(a, axis)

    @staticmethod
    def backward(ctx, g):
        axis, reverse = ctx.info
        return _cumsum(g, axis, not reverse), None, None


def _cumsum(x, axis, reverse=False):
    if is_raw(x):
        return Cumsum.forward(Cumsum(), x, axis, reverse)
    return Cumsum.apply(x, axis, reverse)


def cumsum(input, dim: int, *, dtype=None):
    """Running sum along `dim`; integer and bool inputs accumulate in int64.

    >>> import autograd_core as ag
    >>> ag.tensor([[1.0, 2.0], [3.0, 4.0]]).cumsum(1).tolist()
    [[1.0, 3.0], [3.0, 7.0]]
    """
    x, axis = _prepared(input, dim, dtype, "cumsum")
    return Cumsum.apply(x, axis, False)


class Cumprod(Op):
    @staticmethod
    def forward(ctx, a, axis):
        out = a.copy() if a.ndim == 0 else np.cumprod(a, axis)
        ctx.saved = (a, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        from .elementwise import where

        first = is_raw(g)
        axis = ctx.axis
        a, out, g = lift(*ctx.saved, g)
        zero = a._data == 0
        if not zero.any():
            return lower((_cumsum(g * out, axis, True) / a, None), first)
        if not first:  # recorded: the exact formula, whose own derivative is right at zeros too
            return lower((_cumprod_grad_exact(a, g, axis), None), first)
        # Before a lane's first zero the usual formula holds (it divides by non-zeros only);
        # at the first zero the gradient is Σ_{j≥z} g_j Π_{i≤j, i≠z} a_i; after it, zero.
        seen = zero.cumsum(axis) if a.ndim else zero.astype(int)
        before, at = seen == 0, zero & (seen == 1)
        part1 = where(before, _cumsum(g * out, axis, True) / where(before, a, 1.0), 0.0)
        skip = Cumprod.apply(where(at, 1.0, a), axis)
        part2 = where(at, _cumsum(g * skip, axis, True), 0.0)
        return lower((part1 + part2, None), first)


def _cumprod_grad_exact(a, g, axis):
    """d/da_i of Σ_j g_j·out_j = (Π_{k<i} a_k)·R_i with R_i = g_i + a_{i+1}·R_{i+1}: no
    division, so it holds (and differentiates) where inputs are zero. A loop along `axis`,
    used only when the backward pass is recorded and the input has zeros."""
    from .shape import stack

    a_last, g_last = np.moveaxis(a, axis, -1), np.moveaxis(g, axis, -1)
    n = a_last.shape[-1]
    prefix, running = [], None
    for i in range(n):
        prefix.append(np.ones_like(a_last[..., 0]) if running is None else running)
        running = a_last[..., i] if running is None else running * a_last[..., i]
    rest = [None] * n
    rest[n - 1] = g_last[..., n - 1]
    for i in range(n - 2, -1, -1):
        rest[i] = g_last[..., i] + a_last[..., i + 1] * rest[i + 1]
    grad = stack([p * r for p, r in zip(prefix, rest)], -1)
    return np.moveaxis(grad, -1, axis)


def cumprod(input, dim: int, *, dtype=None):
    """Running product along `dim` (exact gradients where the input has zeros)."""
    x, axis = _prepared(input, dim, dtype, "cumprod")
    return Cumprod.apply(x, axis)


def _cum_extreme(input, dim, use_min, name):
    from ..tensor import Tensor

    axis = _axis(input, dim, name)
    a = input._data
    if a.ndim == 0:
        return _ValuesIndices(
            take_flat(input, np.zeros((), np.int64)) if input.requires_grad else Tensor._make(a.copy(), None),
            Tensor._make(np.zeros((), np.int64), None),
        )
    acc = np.minimum.accumulate if use_min else np.maximum.accumulate
    running = acc(a, axis)
    # a new extreme (ties included, as PyTorch) or a NaN, which then sticks
    hit = (a == running) | (np.isnan(a) if a.dtype.kind == "f" else False)
    pos = np.arange(a.shape[axis]).reshape((-1,) + (1,) * (a.ndim - axis - 1))
    if a.dtype.kind == "f":
        # after a NaN the index stays on it: later positions only count while no NaN was seen
        nan_seen = np.maximum.accumulate(np.isnan(a), axis)
        first_nan_or_later = nan_seen & ~np.isnan(a)
        hit &= ~first_nan_or_later
    idx = np.maximum.accumulate(np.where(hit, pos, 0), axis).astype(np.int64)
    values = take_flat(input, along_axis_flat(a.shape, axis, idx))
    if not isinstance(values, Tensor):
        values = Tensor._make(values, None)
    return _ValuesIndices(values, Tensor._make(idx, None))


def cummax(input, dim: int):
    """(values, indices) of the running maximum along `dim`; ties take the later index."""
    return _cum_extreme(input, dim, False, "cummax")


def cummin(input, dim: int):
    """(values, indices) of the running minimum along `dim`; ties take the later index."""
    return _cum_extreme(input, dim, True, "cummin")


class LogCumSumExp(Op):
    """log Σ_{i≤j} exp(a_i), stably; the gradient Σ_{j≥i} g_j exp(a_i - out_j) is formed
    from log-space running sums of g's positive and negative parts (no overflow)."""

    @staticmethod
    def forward(ctx, a, axis):
        out = a.copy() if a.ndim == 0 else np.logaddexp.accumulate(a, axis)
        ctx.saved = (a, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        from .elementwise import exp, log, where
        from .shape import flip

        first = is_raw(g)
        axis = ctx.axis
        a, out, g = lift(*ctx.saved, g)
        if a.ndim == 0:
            return lower((g, None), first)
        total = 0.0
        # log 0 is stood in for by a huge finite negative: -inf would make -inf - (-inf) = NaN
        # in the next order's backward
        floor = np.finfo(a.dtype).min / 4
        for sign, part in ((1.0, g._data > 0), (-1.0, g._data < 0)):
            if not part.any():
                continue
            logs = where(part, log(where(part, g * sign, 1.0)), floor) - out
            rev = flip(LogCumSumExp.apply(flip(logs, axis), axis), axis)
            total = total + sign * exp(a + rev)
        if isinstance(total, float):
            total = g * 0.0
        return lower((total, None), first)


def logcumsumexp(input, dim: int):
    """log(cumsum(exp(input))) along `dim`, without overflow."""
    axis = _axis(input, dim, "logcumsumexp")
    if input.dtype.kind not in "fc":
        raise TypeError(f"logcumsumexp: expected a floating point tensor, got {input.dtype}")
    return LogCumSumExp.apply(input, axis)


def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None):
    """n-th forward difference along `dim` (bool inputs: != of neighbours), after
    concatenating `prepend`/`append`."""
    from ..tensor import Tensor
    from .index import narrow
    from .shape import cat

    axis = _axis(input, dim, "diff")
    if input.ndim == 0:
        raise RuntimeError("diff: expects a tensor with at least one dim")
    x = input
    parts = [p if isinstance(p, Tensor) or p is None else Tensor(p) for p in (prepend, x, append)]
    parts = [p for p in parts if p is not None]
    if len(parts) > 1:
        x = cat(parts, axis)
    for _ in range(n):
        length = x.shape[axis]
        if length == 0:
            break
        hi, lo = narrow(x, axis, 1, length - 1), narrow(x, axis, 0, length - 1)
        x = (hi != lo) if x.dtype == np.bool_ else hi - lo
    return x


TENSOR_METHODS = {
    "cumsum": cumsum,
    "cumprod": cumprod,
    "cummax": cummax,
    "cummin": cummin,
    "logcumsumexp": logcumsumexp,
    "diff": diff,
}
