"""Ordering: sort/argsort/msort, kthvalue, median/nanmedian, mode, quantile/nanquantile,
unique/unique_consecutive, searchsorted/bucketize.

Every op that returns input values computes integer positions with NumPy and reads the
values through `take_flat`, so the gradient goes to exactly the elements returned (the
returned index for median/kthvalue/mode, as PyTorch). NaN sorts as the largest value.

    >>> import autograd_core as ag
    >>> sort(ag.tensor([3, 1, 2])).values
    tensor([1, 2, 3])
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..function import Op, ShapeError
from .flat import along_axis_flat, put_add_flat, take_flat

_ValuesIndices = namedtuple("_ValuesIndices", ["values", "indices"])
_Sort = namedtuple("sort", ["values", "indices"])


def _axis(x, dim, name) -> int:
    n = max(x.ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{name}: dim {dim} is out of range for a tensor with {x.ndim} dims")
    return dim % n


def _const(arr):
    from ..tensor import Tensor

    return Tensor._make(np.asarray(arr), None)


def _stable_order(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort; descending keeps equal elements in their original order too."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    rev = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
    return (n - 1 - np.flip(rev, axis)).astype(np.int64)


def _select(input, axis, idx):
    """input's elements at positions `idx` along `axis` (differentiable)."""
    return take_flat(input, along_axis_flat(input.shape, axis, idx))


def sort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """(values, indices) sorted along `dim`; always stable (a valid answer for stable=False).

    >>> import autograd_core as ag
    >>> ag.tensor([[2.0, 1.0, 2.0]]).sort(descending=True).indices.tolist()
    [[0, 2, 1]]
    """
    if input.ndim == 0:
        return _Sort(_select(input.reshape(1), 0, np.zeros(1, np.int64)).reshape(()), _const(np.int64(0)))
    axis = _axis(input, dim, "sort")
    idx = _stable_order(input._data, axis, descending).astype(np.int64)
    return _Sort(_select(input, axis, idx), _const(idx))


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False):
    """The indices that sort `input` along `dim`."""
    return sort(input, dim, descending, stable).indices


def msort(input):
    """Sorted along dim 0."""
    return sort(input, 0).values


def _pick(input, dim, keepdim, name, choose):
    """Generic (values, indices) reduction: choose(a, axis) -> index array along axis."""
    if input.ndim == 0:
        one = _select(input.reshape(1), 0, np.zeros(1, np.int64)).reshape(())
        return _ValuesIndices(one, _const(np.int64(0)))
    axis = _axis(input, dim, name)
    if input.shape[axis] == 0:
        raise IndexError(f"{name}: cannot reduce over dim {dim} of size 0 (shape {tuple(input.shape)})")
    idx = np.expand_dims(np.asarray(choose(input._data, axis), dtype=np.int64), axis)
    values = _select(input, axis, idx)
    if not keepdim:
        values = values.squeeze(axis)
        idx = idx.squeeze(axis)
    return _ValuesIndices(values, _const(idx))


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the k-th smallest element (1-based) along `dim`."""
    n = input.shape[_axis(input, dim, "kthvalue")] if input.ndim else 1
    if not 1 <= k <= n:
        raise IndexError(f"kthvalue: k={k} is out of range for a dim of size {n}")

    def choose(a, axis):
        return np.take(_stable_order(a, axis, False), k - 1, axis=axis)

    return _pick(input, dim, keepdim, "kthvalue", choose)


def _median_choose(ignore_nan):
    def choose(a, axis):
        order = _stable_order(a, axis, False)
        n = a.shape[axis]
        if a.dtype.kind == "f":
            nans = np.isnan(a).sum(axis=axis)
        else:
            nans = np.zeros(np.delete(np.array(a.shape), axis), dtype=np.int64)
        if ignore_nan:
            valid = n - nans
            pos = np.where(valid > 0, (valid - 1) // 2, 0)
        else:  # any NaN makes the median NaN: pick the first NaN (sorted last)
            pos = np.where(nans > 0, n - nans, (n - 1) // 2)
        return np.take_along_axis(order, np.expand_dims(pos, axis), axis).squeeze(axis)

    return choose


def median(input, dim=None, keepdim: bool = False):
    """The lower median: of all elements (a 0-d tensor) or (values, indices) along `dim`;
    NaN if the reduced elements hold a NaN."""
    return _median(input, dim, keepdim, False, "median")


def nanmedian(input, dim=None, keepdim: bool = False):
    """median ignoring NaNs (NaN only where all reduced elements are NaN)."""
    return _median(input, dim, keepdim, True, "nanmedian")


def _median(input, dim, keepdim, ignore_nan, name):
    if dim is None:
        if input.numel() == 0:
            return _const(np.array(np.nan, dtype=input.dtype))
        # the median of all elements shares its gradient evenly between the elements
        # equal to it (NaNs counting as equal), as PyTorch's does
        flat = input.reshape(-1)
        value = _pick(flat, 0, False, name, _median_choose(ignore_nan)).values
        a, v = flat._data, value._data
        same = np.flatnonzero((a == v) | (np.isnan(a) & np.isnan(v)) if a.dtype.kind == "f" else a == v)
        return TakeShared.apply(input, same) if input.requires_grad else value
    return _pick(input, dim, keepdim, name, _median_choose(ignore_nan))


class TakeShared(Op):
    """a.flat[positions[0]], all positions holding the same value; the gradient is split
    evenly between them."""

    @staticmethod
    def forward(ctx, a, positions):
        ctx.info = (a.shape, positions)
        return a.reshape(-1)[positions[0]]

    @staticmethod
    def backward(ctx, g):
        shape, positions = ctx.info
        share = np.broadcast_to(g / positions.size, positions.shape)
        return put_add_flat(share, positions, shape), None


def mode(input, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the most frequent value along `dim` (the smallest among equally
    frequent ones; the index of its last occurrence)."""

    def choose(a, axis):
        moved = np.moveaxis(a, axis, -1)
        lanes = moved.reshape(-1, moved.shape[-1])
        out = np.empty(lanes.shape[0], dtype=np.int64)
        for r, lane in enumerate(lanes):
            vals, inverse, counts = np.unique(lane, return_inverse=True, return_counts=True)
            best = int(np.argmax(counts))  # first = smallest value among the most frequent
            out[r] = np.flatnonzero(inverse.reshape(-1) == best)[-1]
        return out.reshape(moved.shape[:-1])

    return _pick(input, dim, keepdim, "mode", choose)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
    """The q-th quantiles (q a float or 1-D tensor in [0, 1]) along `dim` (all elements when
    None); a 1-D q adds a leading dim. NaN where the reduced elements hold a NaN."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear"):
    """quantile ignoring NaNs."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, name):
    from ..tensor import Tensor

    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{name}: interpolation must be one of {_INTERPOLATIONS}, got {interpolation!r}")
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating point input, got {input.dtype}")
    qs = np.asarray(q._data if isinstance(q, Tensor) else q, dtype=np.float64)
    if qs.ndim > 1:
        raise ValueError(f"{name}: q must be a scalar or 1-D tensor, got shape {qs.shape}")
    if qs.size and (qs.min() < 0 or qs.max() > 1):
        raise ValueError(f"{name}: q values must be in [0, 1], got {qs}")
    x = input
    if dim is None:
        x, axis = x.reshape(-1), 0
    else:
        axis = _axis(x, dim, name)
    if x.ndim == 0:
        x, axis = x.reshape(1), 0
    a = x._data
    n = a.shape[axis]
    if n == 0:
        raise IndexError(f"{name}: input tensor is empty along the reduced dim")
    order = _stable_order(a, axis, False)
    nans = np.isnan(a).sum(axis=axis, keepdims=True)
    valid = (n - nans) if ignore_nan else np.full_like(nans, n)
    # a lane that yields NaN reads its last sorted element (a NaN), as PyTorch: the value
    # is NaN and the gradient goes there
    bad = (nans > 0) if not ignore_nan else (valid == 0)
    outs = []
    for qv in qs.reshape(-1):
        rank = np.where(bad, n - 1, qv * np.maximum(valid - 1, 0))
        lo = np.floor(rank).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(valid - 1, 0))
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi = np.ceil(rank).astype(np.int64)
        elif interpolation == "nearest":
            lo = hi = np.round(rank).astype(np.int64)  # half to even, as PyTorch
        v_lo = _select(x, axis, np.take_along_axis(order, lo, axis))
        v_hi = _select(x, axis, np.take_along_axis(order, hi, axis))
        if interpolation == "midpoint":
            weight = np.full(rank.shape, 0.5, dtype=a.dtype)
        else:
            weight = (
                (rank - lo).astype(a.dtype) if interpolation == "linear" else np.zeros(rank.shape, a.dtype)
            )
        val = v_lo + (v_hi - v_lo) * weight if interpolation in ("linear", "midpoint") else v_lo
        if keepdim:
            if dim is None:
                val = val.reshape((1,) * input.ndim)
        else:
            val = val.squeeze(axis)
        outs.append(val)
    if qs.ndim == 0:
        return outs[0]
    from .shape import stack

    return stack(outs, 0)


def unique(
    input,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,  # noqa: A002
    dim=None,
):
    """The distinct values (sorted), optionally with inverse indices and counts; with `dim`,
    the distinct slices along it."""
    a = input._data
    if dim is None:
        # each NaN is its own value, as in PyTorch (NumPy would merge them)
        vals, inverse, counts = np.unique(
            a.reshape(-1), return_inverse=True, return_counts=True, equal_nan=False
        )
        inverse = inverse.reshape(a.shape)
    else:
        axis = _axis(input, dim, "unique")
        vals, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=axis)
        inverse = inverse.reshape(-1)
    return _unique_result(vals.astype(a.dtype, copy=False), inverse, counts, return_inverse, return_counts)


def _unique_result(vals, inverse, counts, return_inverse, return_counts):
    out = [_const(vals)]
    if return_inverse:
        out.append(_const(inverse.astype(np.int64)))
    if return_counts:
        out.append(_const(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """Collapse runs of equal consecutive values (or slices along `dim`)."""
    a = input._data
    if dim is None:
        flat = a.reshape(-1)
        change = np.ones(flat.shape[0], dtype=bool)
        change[1:] = flat[1:] != flat[:-1]
        vals = flat[change]
        inverse = (np.cumsum(change) - 1).reshape(a.shape)
    else:
        axis = _axis(input, dim, "unique_consecutive")
        moved = np.moveaxis(a, axis, 0)
        change = np.ones(moved.shape[0], dtype=bool)
        if moved.shape[0] > 1:
            change[1:] = (moved[1:] != moved[:-1]).reshape(moved.shape[0] - 1, -1).any(axis=1)
        vals = np.moveaxis(moved[change], 0, axis)
        inverse = np.cumsum(change) - 1
    starts = np.flatnonzero(change)
    counts = np.diff(np.append(starts, change.shape[0]))
    return _unique_result(vals, inverse, counts, return_inverse, return_counts)


def searchsorted(
    sorted_sequence, input, *, out_int32: bool = False, right: bool = False, side=None, sorter=None
):
    """Insertion positions of `input` into the last dim of `sorted_sequence` (a 1-D sequence
    serves every value; an N-D one pairs its leading dims with input's)."""
    from ..tensor import Tensor

    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise ValueError("searchsorted: side='left' contradicts right=True")
        right = side == "right"
    seq = sorted_sequence._data if isinstance(sorted_sequence, Tensor) else np.asarray(sorted_sequence)
    scalar = not isinstance(input, Tensor)
    vals = np.asarray(input._data if isinstance(input, Tensor) else input)
    if sorter is not None:
        srt = sorter._data if isinstance(sorter, Tensor) else np.asarray(sorter)
        seq = np.take_along_axis(seq, srt, -1)
    how = "right" if right else "left"
    if seq.ndim == 1:
        out = np.searchsorted(seq, vals, side=how)
    else:
        if vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]:
            raise ShapeError(
                f"searchsorted: boundaries {seq.shape} and input {vals.shape} must match "
                "in all but the last dim"
            )
        s2, v2 = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        out = np.stack([np.searchsorted(s, v, side=how) for s, v in zip(s2, v2)]).reshape(vals.shape)
    out = np.asarray(out, dtype=np.int32 if out_int32 else np.int64)
    return _const(out.reshape(()) if scalar else out)


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False):
    """The bucket of each value among 1-D `boundaries` (right=False: b[i-1] < x <= b[i])."""
    if boundaries.ndim != 1:
        raise ShapeError(f"bucketize: boundaries must be 1-D, got shape {tuple(boundaries.shape)}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


TENSOR_METHODS = {
    "sort": sort,
    "argsort": argsort,
    "msort": msort,
    "kthvalue": kthvalue,
    "median": median,
    "nanmedian": nanmedian,
    "mode": mode,
    "quantile": quantile,
    "nanquantile": nanquantile,
    "unique": unique,
    "unique_consecutive": unique_consecutive,
}
