"""Two primitives most selection ops reduce to, and the helpers their backwards share.

`take_flat(a, flat)` reads `a.reshape(-1)[flat]`; `put_add_flat(v, flat, shape)` adds
`v` into zeros of `shape` at the same flat positions (repeated positions accumulate).
Each is the other's backward, so sort, gather, cummax, median, masked_select, scatter
and friends get first- and higher-order gradients by computing an integer index array
and calling one of these two.

`lift`/`lower` let a backward be written once with the public ops: at first order the
engine hands raw arrays, which `lift` wraps as Tensors outside the graph (grad mode is
off in backward) and `lower` unwraps; at higher order the inputs already are Tensors
and the same code records a graph.

    >>> import autograd_core as ag
    >>> x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> take_flat(x, np.array([2, 2, 0])).sum().backward(); x.grad
    tensor([1., 0., 2.])
"""

from __future__ import annotations

import math

import numpy as np

from ..function import Op


def lift(*values):
    """Raw arrays -> Tensors outside the graph; Tensors and other values unchanged."""
    from ..tensor import Tensor

    # (NumPy hands back scalars, not 0-d arrays, for some 0-d results: they count as arrays)
    out = tuple(
        Tensor._make(np.asarray(v), None) if isinstance(v, (np.ndarray, np.generic)) else v for v in values
    )
    return out if len(out) != 1 else out[0]


def lower(values, first_order: bool):
    """Unwrap backward results to raw arrays at first order (None stays None)."""
    if not first_order:
        return values
    if isinstance(values, tuple):
        return tuple(None if v is None else (v._data if hasattr(v, "_data") else v) for v in values)
    return None if values is None else (values._data if hasattr(values, "_data") else values)


def is_raw(g) -> bool:
    """True when a backward runs at first order (the engine passes ndarrays)."""
    return isinstance(g, (np.ndarray, np.generic))


class TakeFlat(Op):
    """out = a.reshape(-1)[flat]; backward adds g back at the same positions."""

    @staticmethod
    def forward(ctx, a, flat):
        ctx.info = (a.shape, flat)
        return a.reshape(-1)[flat]

    @staticmethod
    def backward(ctx, g):
        shape, flat = ctx.info
        return put_add_flat(g, flat, shape), None


class PutAddFlat(Op):
    """out = zeros(shape); out.flat[flat] += v (accumulating); backward takes g at flat."""

    @staticmethod
    def forward(ctx, v, flat, shape):
        ctx.info = flat
        n = math.prod(shape)
        v = np.broadcast_to(v, flat.shape).reshape(-1)
        if v.dtype.kind in "fc" and v.dtype != np.float16:
            # bincount sums in float64: fast, and exact enough to round back to float32
            out = np.bincount(flat.reshape(-1), weights=v.real, minlength=n)
            if v.dtype.kind == "c":
                out = out + 1j * np.bincount(flat.reshape(-1), weights=v.imag, minlength=n)
            return out.astype(v.dtype, copy=False).reshape(shape)
        out = np.zeros(n, dtype=v.dtype)
        np.add.at(out, flat.reshape(-1), v)
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return take_flat(g, ctx.info), None, None


def take_flat(a, flat: np.ndarray):
    """a.reshape(-1)[flat] for an integer array `flat` (any shape), differentiable.

    Works on raw arrays too (returns an array), so backwards can call it."""
    if is_raw(a):
        return np.asarray(a).reshape(-1)[flat]
    return TakeFlat.apply(a, flat)


def put_add_flat(v, flat: np.ndarray, shape: tuple):
    """zeros(shape) with v added at the flat positions `flat`, differentiable.

    Works on raw arrays too (returns an array), so backwards can call it."""
    shape = tuple(shape)
    if is_raw(v):
        return PutAddFlat.forward(PutAddFlat(), np.asarray(v), flat, shape)
    return PutAddFlat.apply(v, flat, shape)


def along_axis_flat(shape: tuple, axis: int, index: np.ndarray) -> np.ndarray:
    """Flat positions in an array of `shape` of the elements out[p] = x[p with p[axis] = index[p]]
    (gather's rule; `index` has the same ndim, and is not larger outside `axis`)."""
    strides = [math.prod(shape[d + 1 :]) for d in range(len(shape))]
    flat = (
        index.astype(np.int64, copy=False) * strides[axis] if len(shape) else np.zeros(index.shape, np.int64)
    )
    for d in range(len(shape)):
        if d != axis:
            coord = np.arange(index.shape[d], dtype=np.int64).reshape(
                (1,) * d + (-1,) + (1,) * (index.ndim - d - 1)
            )
            flat = flat + coord * strides[d]
    return flat


def wrap_index(index: np.ndarray, size: int, name: str, dim: int, shape: tuple) -> np.ndarray:
    """Check integer indices against `size` and make negative ones positive."""
    if index.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must hold integers, got dtype {index.dtype}")
    index = index.astype(np.int64, copy=False)
    if index.size and (index.max() >= size or index.min() < -size):
        bad = index.max() if index.max() >= size else index.min()
        raise IndexError(
            f"{name}: index {bad} is out of bounds for dim {dim} with size {size} (tensor of shape {shape})"
        )
    return np.where(index < 0, index + size, index) if index.size and index.min() < 0 else index
