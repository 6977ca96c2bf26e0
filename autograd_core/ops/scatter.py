"""Scattering and selecting by index: scatter (src, value, reduce), scatter_add,
scatter_reduce (sum, prod, mean, amax, amin; include_self), index_add/index_copy/
index_fill/index_put, masked_scatter, masked_select, take, take_along_dim, nonzero,
argwhere. Out-of-place only; the in-place `_` forms are built on these.

Every op turns its indices into flat positions once, then is a composition of
`take_flat`/`put_add_flat` (each the other's backward) or one of the two ops below, whose
backwards call those two again, so all gradients work at any order. Repeated indices
accumulate in the *_add forms; in the overwriting forms the last write wins and every
source element still receives the gradient at its target (PyTorch's rule).

    >>> import autograd_core as ag
    >>> scatter_add(ag.zeros(3), 0, ag.tensor([0, 0, 2]), ag.ones(3)).tolist()
    [2.0, 0.0, 1.0]
"""

from __future__ import annotations

import numpy as np

from ..function import Op, ShapeError
from .flat import along_axis_flat, is_raw, lift, lower, put_add_flat, take_flat, wrap_index


def _T():
    from ..tensor import Tensor

    return Tensor


def _raw_index(index, name):
    Tensor = _T()
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must be an integer (int64) tensor, got dtype {idx.dtype}")
    return idx


def _axis(x, dim, name):
    n = max(x.ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{name}: dim {dim} is out of range for a tensor with {x.ndim} dims")
    return dim % n


class ScatterOverwrite(Op):
    """out = a with out.flat[pos] = s.flat[src]; ga = g off the written places, and each
    source element gets g at its target."""

    @staticmethod
    def forward(ctx, a, s, pos, src):
        written = np.zeros(a.size, dtype=bool)
        written[pos] = True
        ctx.info = (pos, src, written.reshape(a.shape), np.shape(s))
        out = a.copy()
        out.reshape(-1)[pos] = np.asarray(s).reshape(-1)[src]
        return out

    @staticmethod
    def backward(ctx, g):
        pos, src, written, s_shape = ctx.info
        ga = g * ~written if ctx.next[0] is not None else None
        gs = put_add_flat(take_flat(g, pos), src, s_shape) if ctx.next[1] is not None else None
        return ga, gs, None, None


class ScatterExtreme(Op):
    """amax/amin of each position's contributors; ties share the gradient evenly."""

    @staticmethod
    def forward(ctx, a, s, pos, src, include_self, use_min):
        ufunc = np.minimum if use_min else np.maximum
        vals = s.reshape(-1)[src]
        out = a.copy().reshape(-1)
        written = np.zeros(a.size, dtype=bool)
        written[pos] = True
        if not include_self:
            fill = np.inf if use_min else -np.inf
            if a.dtype.kind in "iu":
                fill = np.iinfo(a.dtype).max if use_min else np.iinfo(a.dtype).min
            out[written] = fill
        ufunc.at(out, pos, vals)
        out = out.reshape(a.shape)
        from_self = (a == out) & ((~written.reshape(a.shape)) | include_self)
        from_src = vals == out.reshape(-1)[pos]
        count = from_self.astype(np.int64).reshape(-1) + np.bincount(pos[from_src], minlength=a.size)
        ctx.info = (pos, src, from_self, from_src, count.reshape(a.shape), s.shape)
        return out

    @staticmethod
    def backward(ctx, g):
        pos, src, from_self, from_src, count, s_shape = ctx.info
        share = g / np.maximum(count, 1)
        ga = share * from_self if ctx.next[0] is not None else None
        gs = put_add_flat(take_flat(share, pos) * from_src, src, s_shape) if ctx.next[1] is not None else None
        return ga, gs, None, None, None, None


class ScatterProd(Op):
    """Product of each position's contributors; gradients exact with zeros."""

    @staticmethod
    def forward(ctx, a, s, pos, src, include_self):
        vals = s.reshape(-1)[src]
        out = a.copy().reshape(-1)
        if not include_self:
            out[pos] = 1
        np.multiply.at(out, pos, vals)
        out = out.reshape(a.shape)
        ctx.saved = (a, s, out)  # the very output array: higher-order backward maps it to the output
        ctx.info = (pos, src, include_self)
        return out

    @staticmethod
    def backward(ctx, g):
        from .elementwise import where

        first = is_raw(g)
        pos, src, include_self = ctx.info
        a, s, out, g = lift(*ctx.saved, g)
        written = np.zeros(a.shape, dtype=bool)
        written.reshape(-1)[pos] = True
        self_in = ~written | include_self
        vals = take_flat(s, src)
        zero_self = (a._data == 0) & self_in
        zeros = zero_self.astype(np.int64).reshape(-1) + np.bincount(
            pos[vals._data == 0], minlength=a._data.size
        )
        zeros = zeros.reshape(a.shape)
        # product of the non-zero contributors of each position, for the one zero among them
        nonzero_prod = ScatterProd.apply(
            where(zero_self, 1.0, a), where(s._data == 0, 1.0, s), pos, src, include_self
        )
        ga = gs = None
        if ctx.next[0] is not None:
            plain = g * out / where(a._data == 0, 1.0, a)
            lone = g * nonzero_prod * (zeros == 1)
            ga = where(self_in, where(a._data == 0, lone, plain), 0.0)
        if ctx.next[1] is not None:
            g_at, out_at, nz_at = take_flat(g, pos), take_flat(out, pos), take_flat(nonzero_prod, pos)
            single = zeros.reshape(-1)[pos]
            plain = g_at * out_at / where(vals._data == 0, 1.0, vals)
            lone = g_at * nz_at * (single == 1)
            gs = put_add_flat(where(vals._data == 0, lone, plain), src, tuple(s.shape))
        return lower((ga, gs, None, None, None), first)


def _scatter_positions(input, dim, index, src_shape, name):
    axis = _axis(input, dim, name)
    idx = _raw_index(index, name)
    if idx.ndim != max(input.ndim, 1) and not (idx.ndim == 0 and input.ndim == 0):
        raise ShapeError(
            f"{name}: index has {idx.ndim} dims but self has {input.ndim} (shape {tuple(input.shape)})"
        )
    shape = tuple(input.shape) or (1,)
    idx = idx.reshape(idx.shape or (1,))
    for d, n in enumerate(idx.shape):
        if d != axis and n > shape[d]:
            raise ShapeError(f"{name}: index {idx.shape} is larger than self {tuple(input.shape)} in dim {d}")
        if src_shape is not None and n > (src_shape or (1,))[d]:
            raise ShapeError(f"{name}: index {idx.shape} is larger than src {src_shape} in dim {d}")
    _no_negative(idx, shape[axis], name, dim)
    pos = along_axis_flat(shape, axis, idx).reshape(-1)
    src = None
    if src_shape is not None:
        grid = np.indices(idx.shape, sparse=True) if idx.ndim else ()
        src = (
            np.ravel_multi_index(np.broadcast_arrays(*grid), src_shape or (1,)).reshape(-1)
            if idx.size
            else np.zeros(0, np.int64)
        )
    return pos, src


def scatter(input, dim: int, index, src=None, value=None, *, reduce=None):
    """Write src (a tensor) or value (a scalar) into a copy of input at the positions that
    `index` gives along `dim`: out[i][index[i][j]] = src[i][j] for dim=1. reduce='add' or
    'multiply' combines instead of overwriting."""
    Tensor = _T()
    if src is None and value is None:
        raise TypeError("scatter: give src (a tensor) or value (a scalar)")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise ValueError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
        if src is None:
            src = Tensor._make(np.full(_raw_index(index, "scatter").shape, value, dtype=input.dtype), None)
        return scatter_reduce(input, dim, index, src, "sum" if reduce == "add" else "prod")
    if src is None:
        pos, _ = _scatter_positions(input, dim, index, None, "scatter")
        const = Tensor._make(np.array(value, dtype=input.dtype), None)
        return ScatterOverwrite.apply(input, const, pos, np.zeros(pos.shape, np.int64))
    _same_dtype(input, src, "scatter")
    pos, srcpos = _scatter_positions(input, dim, index, tuple(src.shape), "scatter")
    return ScatterOverwrite.apply(input, src, pos, srcpos)


def _same_dtype(a, b, name):
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"{name}: expected self and src to have the same dtype, got {a.dtype} and {b.dtype}"
        )


def scatter_add(input, dim: int, index, src):
    """Add src into a copy of input at the positions `index` gives along `dim`
    (repeated positions accumulate)."""
    _same_dtype(input, src, "scatter_add")
    pos, srcpos = _scatter_positions(input, dim, index, tuple(src.shape), "scatter_add")
    return input + put_add_flat(take_flat(src, srcpos), pos, tuple(input.shape))


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True):
    """Reduce src into input at the positions `index` gives along `dim`, with reduce one of
    'sum', 'prod', 'mean', 'amax', 'amin'; include_self=False leaves input's own value out
    wherever something is scattered."""
    from .elementwise import where

    if reduce not in _REDUCTIONS:
        raise ValueError(f"scatter_reduce: reduce must be one of {_REDUCTIONS}, got {reduce!r}")
    _same_dtype(input, src, "scatter_reduce")
    shape = tuple(input.shape)
    pos, srcpos = _scatter_positions(input, dim, index, tuple(src.shape), "scatter_reduce")
    if reduce in ("amax", "amin"):
        return ScatterExtreme.apply(input, src, pos, srcpos, include_self, reduce == "amin")
    if reduce == "prod":
        return ScatterProd.apply(input, src, pos, srcpos, include_self)
    written = np.zeros(int(np.prod(shape)), dtype=bool)
    written[pos] = True
    written = written.reshape(shape)
    base = input if include_self else where(written, np.zeros((), input.dtype), input)
    total = base + put_add_flat(take_flat(src, srcpos), pos, shape)
    if reduce == "sum":
        return total
    hits = np.bincount(pos, minlength=written.size).reshape(shape) + (include_self | ~written)
    count = hits.astype(input.dtype)
    if input.dtype.kind in "iu":  # integer means round down, as PyTorch's
        return _T()._make(total._data // count, None)
    return total / count


def _no_negative(idx, size, name, dim):
    """scatter, index_add and index_copy take indices in [0, size) only (as PyTorch)."""
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"{name}: index {bad} is out of bounds for dim {dim} with size {size}")


def _index_positions(input, dim, index, name, source_shape=None, negative=False):
    axis = _axis(input, dim, name)
    idx = _raw_index(index, name)
    if idx.ndim > 1:
        raise ShapeError(f"{name}: index must be 1-D, got shape {idx.shape}")
    shape = tuple(input.shape) or (1,)
    idx = idx.reshape(-1)
    if negative:
        idx = wrap_index(idx, shape[axis], name, dim, tuple(input.shape))
    else:
        _no_negative(idx, shape[axis], name, dim)
    target = shape[:axis] + (idx.shape[0],) + shape[axis + 1 :]
    if source_shape is not None and tuple(source_shape or (1,)) != target:
        raise ShapeError(
            f"{name}: source of shape {tuple(source_shape)} should have shape {target} "
            f"(self {tuple(input.shape)} with dim {dim} of size {idx.shape[0]})"
        )
    full = np.broadcast_to(idx.reshape((-1,) + (1,) * (len(shape) - axis - 1)), target)
    return along_axis_flat(shape, axis, np.ascontiguousarray(full)).reshape(-1)


def index_add(input, dim: int, index, source, *, alpha=1):
    """Add alpha * source[..., i, ...] to input[..., index[i], ...] (repeats accumulate)."""
    _same_dtype(input, source, "index_add")
    pos = _index_positions(input, dim, index, "index_add", tuple(source.shape))
    scaled = source if alpha == 1 else source * alpha
    return input + put_add_flat(scaled.reshape(-1), pos, tuple(input.shape))


def index_copy(input, dim: int, index, source):
    """Copy source[..., i, ...] into input[..., index[i], ...]."""
    _same_dtype(input, source, "index_copy")
    pos = _index_positions(input, dim, index, "index_copy", tuple(source.shape))
    return ScatterOverwrite.apply(input, source, pos, np.arange(pos.size, dtype=np.int64))


def index_fill(input, dim: int, index, value):
    """Fill input[..., index[i], ...] with value (a scalar or 0-d tensor, which gets the
    gradient of every filled place)."""
    from .elementwise import where

    Tensor = _T()
    pos = _index_positions(input, dim, index, "index_fill", negative=True)
    mask = np.zeros(input._data.size, dtype=bool)
    mask[pos] = True
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ShapeError(f"index_fill: value must be a 0-d tensor, got shape {tuple(value.shape)}")
    else:
        value = np.array(value, dtype=input.dtype)
    return where(mask.reshape(input.shape), value, input)


def index_put(input, indices, values, accumulate: bool = False):
    """input with input[indices] = values (or += with accumulate=True, where repeated
    positions add up); indices is a tuple of integer or bool tensors."""
    from .shape import expand

    Tensor = _T()
    key = tuple(
        i._data if isinstance(i, Tensor) else (np.asarray(i) if i is not None else None) for i in indices
    )
    try:
        pos = np.arange(input._data.size, dtype=np.int64).reshape(input.shape)[key]
    except IndexError as exc:
        raise IndexError(f"index_put: {exc} (self of shape {tuple(input.shape)})") from None
    if not isinstance(values, Tensor):
        values = Tensor._make(np.asarray(values, dtype=input.dtype), None)
    try:
        values = expand(values, pos.shape)
    except ValueError:
        raise ShapeError(
            f"index_put: values of shape {tuple(values.shape)} do not broadcast to {pos.shape}"
        ) from None
    if accumulate:
        return input + put_add_flat(values, pos, tuple(input.shape))
    return ScatterOverwrite.apply(input, values, pos.reshape(-1), np.arange(pos.size, dtype=np.int64))


def masked_scatter(input, mask, source):
    """Copy source's leading elements, in order, into the places where mask (broadcast
    with input) is True."""
    from .shape import expand

    Tensor = _T()
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_scatter: mask must be a bool tensor, got {m.dtype}")
    shape = np.broadcast_shapes(tuple(input.shape), m.shape)
    pos = np.flatnonzero(np.broadcast_to(m, shape))
    if pos.size > source.numel():
        raise RuntimeError(
            f"masked_scatter: mask has {pos.size} True places but source only {source.numel()} elements"
        )
    x = expand(input, shape) if tuple(input.shape) != shape else input
    return ScatterOverwrite.apply(x, source, pos, np.arange(pos.size, dtype=np.int64))


def masked_select(input, mask):
    """A 1-D tensor of input's elements where mask (broadcast with input) is True."""
    from .shape import expand

    Tensor = _T()
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_select: mask must be a bool tensor, got {m.dtype}")
    shape = np.broadcast_shapes(tuple(input.shape), m.shape)
    x = expand(input, shape) if tuple(input.shape) != shape else input
    return take_flat(x, np.flatnonzero(np.broadcast_to(m, shape)))


def take(input, index):
    """input treated as 1-D, read at `index` (negative counts from the end); the result has
    index's shape."""
    idx = _raw_index(index, "take")
    flat = wrap_index(idx, input._data.size, "take", 0, tuple(input.shape))
    return take_flat(input, flat)


def take_along_dim(input, indices, dim=None):
    """Values at `indices` along `dim` (input and indices broadcast in the other dims);
    with dim=None both are flattened."""
    from .shape import expand

    idx = _raw_index(indices, "take_along_dim")
    if dim is None:
        return take(input.reshape(-1), idx.reshape(-1))
    axis = _axis(input, dim, "take_along_dim")
    if idx.ndim != input.ndim:
        raise ShapeError(
            f"take_along_dim: input {tuple(input.shape)} and indices {idx.shape} "
            "must have the same number of dims"
        )
    in_shape, ix_shape = list(input.shape), list(idx.shape)
    in_shape[axis] = ix_shape[axis] = 1
    common = list(np.broadcast_shapes(tuple(in_shape), tuple(ix_shape)))
    target_in = tuple(common[:axis] + [input.shape[axis]] + common[axis + 1 :])
    target_ix = tuple(common[:axis] + [idx.shape[axis]] + common[axis + 1 :])
    x = expand(input, target_in) if tuple(input.shape) != target_in else input
    idx = wrap_index(
        np.broadcast_to(idx, target_ix), input.shape[axis], "take_along_dim", dim, tuple(input.shape)
    )
    return take_flat(x, along_axis_flat(target_in, axis, np.ascontiguousarray(idx)))


def nonzero(input, *, as_tuple: bool = False):
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or with as_tuple=True
    one 1-D tensor per dim."""
    Tensor = _T()
    a = input._data
    if as_tuple:
        parts = np.nonzero(a) if a.ndim else (np.flatnonzero(a),)
        return tuple(Tensor._make(p.astype(np.int64), None) for p in parts)
    return Tensor._make(np.argwhere(a).astype(np.int64), None)


def argwhere(input):
    """nonzero(input) as an (n, ndim) tensor."""
    return nonzero(input)


def where_nonzero(condition):
    """torch.where(condition) with one argument: nonzero(condition, as_tuple=True)."""
    return nonzero(condition, as_tuple=True)


TENSOR_METHODS = {
    "scatter": scatter,
    "scatter_add": scatter_add,
    "scatter_reduce": scatter_reduce,
    "index_add": index_add,
    "index_copy": index_copy,
    "index_fill": index_fill,
    "index_put": index_put,
    "masked_scatter": masked_scatter,
    "masked_select": masked_select,
    "take": take,
    "take_along_dim": take_along_dim,
    "nonzero": nonzero,
    "argwhere": argwhere,
}
