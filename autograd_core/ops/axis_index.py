"""Gather along one axis with a 1-D index (`axis_take`) and its adjoint, the scatter-add
(`axis_scatter_add`): each op is the other's backward, so gradients of any order stay in
the graph. The scatter-add sorts the index once and sums runs with `np.add.reduceat`
(vectorised), where `np.add.at` would loop element by element.

Padding modes and interpolation use them: their index patterns repeat entries (edge
replication, nearest neighbours), so the backward must accumulate.

    >>> import autograd_core as ag
    >>> axis_take(ag.tensor([1.0, 2.0, 3.0]), 0, [0, 0, 2])
    tensor([1., 1., 3.])
"""

from __future__ import annotations

import numpy as np

from ..function import Op
from .unfold import apply_raw


def _runs(index: np.ndarray):
    """The sort order of `index`, its distinct values and where each run starts."""
    order = np.argsort(index, kind="stable")
    values, starts = np.unique(index[order], return_index=True)
    return order, values, starts


class AxisTake(Op):
    @staticmethod
    def forward(ctx, x, axis, index):
        ctx.params = (axis, index, x.shape[axis])
        return np.take(x, index, axis=axis)

    @staticmethod
    def backward(ctx, g):
        axis, index, size = ctx.params
        return apply_raw(AxisScatterAdd, g, axis, index, size), None, None


class AxisScatterAdd(Op):
    """out (size along `axis`) with out[index[i]] += g[i]; the adjoint of AxisTake."""

    @staticmethod
    def forward(ctx, g, axis, index, size):
        ctx.params = (axis, index)
        shape = list(g.shape)
        shape[axis] = size
        out = np.zeros(shape, dtype=g.dtype)
        if index.size == 0 or g.size == 0:
            return out
        order, values, starts = _runs(index)
        sums = np.add.reduceat(np.take(g, order, axis=axis), starts, axis=axis)
        out[(slice(None),) * axis + (values,)] = sums
        return out

    @staticmethod
    def backward(ctx, g):
        axis, index = ctx.params
        return apply_raw(AxisTake, g, axis, index), None, None, None


def axis_take(x, axis: int, index):
    """x's entries at the 1-D integer `index` along `axis` (repeats allowed)."""
    idx = np.asarray(index, dtype=np.int64)
    if idx.ndim != 1:
        raise ValueError(f"axis_take: index must be 1-D, got shape {idx.shape}")
    axis = axis % x.ndim
    if idx.size and (idx.min() < 0 or idx.max() >= x.shape[axis]):
        raise IndexError(f"axis_take: index out of range for dim {axis} of size {x.shape[axis]}")
    return AxisTake.apply(x, axis, idx)
