"""Indexing: t[key], narrow, index_select and gather.

Basic indexing (ints, slices, None, Ellipsis) selects a view, so its backward writes the
gradient into a zero array at the same place. Advanced indexing (integer arrays, boolean
masks) may pick an element several times, so its backward *accumulates* with
`np.add.at`: t[[0, 0]] sends twice the gradient to t[0].

    >>> import autograd_core as ag
    >>> x = ag.zeros(3, requires_grad=True)
    >>> x[[0, 0, 2]].sum().backward(); x.grad
    tensor([2., 0., 1.])
"""

from __future__ import annotations

import numpy as np

from ..engine import BlockGradient
from ..function import Op, ShapeError


def _is_basic(key) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return all(
        p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) and not isinstance(p, bool)
        for p in parts
    )


def normalize_key(key):
    """Replace Tensors and lists in an index by ndarrays."""
    from ..tensor import Tensor

    def one(k):
        if isinstance(k, Tensor):
            return k._data
        if isinstance(k, list):
            return np.asarray(k)
        return k

    if isinstance(key, tuple):
        return tuple(one(k) for k in key)
    return one(key)


class GetItem(Op):
    is_view = True  # basic indexing shares memory; version.mark_view checks each result

    @staticmethod
    def forward(ctx, a, key):
        ctx.info = (a.shape, key)
        try:
            return a[key]
        except IndexError as exc:
            raise IndexError(f"index: {exc} (tensor of shape {a.shape})") from None

    @staticmethod
    def backward(ctx, g):
        shape, key = ctx.info
        if type(g) is np.ndarray and _is_basic(key):  # the engine adds the block where it belongs
            return BlockGradient(shape, g.dtype, key, g), None
        return IndexAddZero.call(g, shape, key), None


class IndexAddZero(Op):
    """The gradient of `a[key]`: `g` added into zeros of `a`'s shape at `key` (repeated
    advanced indices accumulate). Its own gradient is `gg[key]`."""

    @staticmethod
    def forward(ctx, g, shape, key):
        ctx.key = key
        grad = np.zeros(shape, dtype=g.dtype)
        if _is_basic(key):
            grad[key] = g
        else:
            np.add.at(grad, key, g)
        return grad

    @staticmethod
    def backward(ctx, gg):
        return GetItem.call(gg, ctx.key), None, None


class IndexSelect(Op):
    @staticmethod
    def forward(ctx, a, axis, index):
        ctx.info = (a.shape, axis, index)
        return np.take(a, index, axis=axis)

    @staticmethod
    def backward(ctx, g):
        shape, axis, index = ctx.info
        return IndexAddZero.call(g, shape, (slice(None),) * axis + (index,)), None, None


class Gather(Op):
    """out[i][j][k] = a[i][index[i][j][k]][k] (for dim=1); backward scatter-adds."""

    @staticmethod
    def forward(ctx, a, axis, index):
        ctx.info = (a.shape, axis, index)
        # torch reads only the leading index.shape block in the other dims; NumPy would
        # broadcast the index instead, so cut the input to that block first.
        block = tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(index.shape))
        return np.take_along_axis(a[block], index, axis=axis)

    @staticmethod
    def backward(ctx, g):
        shape, axis, index = ctx.info
        grids = list(np.indices(index.shape, sparse=True))
        grids[axis] = index
        return IndexAddZero.call(g, shape, tuple(grids)), None, None


def getitem(a, key):
    """a[key] with basic and advanced indexing, advanced dims placed as PyTorch places them."""
    key, drop = torch_placement(normalize_key(key), a.shape)
    out = GetItem.apply(a, key)
    if drop:
        from .shape import reshape

        out = reshape(out, tuple(n for i, n in enumerate(out.shape) if i not in drop))
    return out


def _is_array_index(p) -> bool:
    return isinstance(p, np.ndarray) and (p.ndim > 0 or p.dtype == np.bool_)


def _is_int_index(p) -> bool:
    return (isinstance(p, (int, np.integer)) and not isinstance(p, (bool, np.bool_))) or (
        isinstance(p, np.ndarray) and p.ndim == 0 and p.dtype.kind in "iu")


def torch_placement(key, shape: tuple):
    """(NumPy key, output axes to drop) that index like PyTorch.

    PyTorch applies integer indices first (as `select`), then the tensor indices, so
    `x[1, :, idx]` keeps the slice before idx's dims; NumPy counts the int as an advanced
    index separated from idx and moves the advanced dims to the front. Where the two differ
    (an int or 0-d integer index next to an array index) each int k becomes the slice
    k:k+1 and its size-1 dim is dropped afterwards."""
    if type(key) is not tuple:  # one index alone is placed the same way by both
        return key, ()
    parts = key
    is_array, is_int = _is_array_index, _is_int_index
    if all(type(p) is not np.ndarray for p in parts):  # the common case: basic indexing only
        return key, ()
    if not any(is_array(p) for p in parts) or not any(is_int(p) for p in parts):
        return key, ()
    consumed = sum(p.ndim if is_array(p) and p.dtype == np.bool_ else 1
                   for p in parts if p is not None and p is not Ellipsis)
    n_ellipsis = len(shape) - consumed
    new, converted, dim = [], [], 0
    for p in parts:
        if p is Ellipsis:
            new.append(p)
            dim += n_ellipsis
        elif p is None:
            new.append(p)
        elif is_int(p):
            k, size = int(p), shape[dim] if dim < len(shape) else 0
            if not -size <= k < size:
                raise IndexError(f"index: index {k} is out of range for dim {dim} with size {size} "
                                 f"(tensor of shape {shape})")
            k %= size
            converted.append(len(new))
            new.append(slice(k, k + 1))
            dim += 1
        else:
            new.append(p)
            dim += p.ndim if is_array(p) and p.dtype == np.bool_ else 1
    arrays = [i for i, p in enumerate(new) if is_array(p)]
    adv_ndim = len(np.broadcast_shapes(*[(int(new[i].sum()),) if new[i].dtype == np.bool_ and new[i].ndim == 1
                                         else (np.count_nonzero(new[i]),) if new[i].dtype == np.bool_
                                         else new[i].shape for i in arrays]))
    adjacent = arrays == list(range(arrays[0], arrays[-1] + 1))
    out_axis, drop = (0 if adjacent else adv_ndim), []
    for i, p in enumerate(new):
        if is_array(p):
            if adjacent and i == arrays[0]:
                out_axis += adv_ndim
            continue
        if i in converted:
            drop.append(out_axis)
        out_axis += n_ellipsis if p is Ellipsis else 1
    return tuple(new), tuple(drop)


def _dim_index(dim, ndim: int, name: str) -> int:
    """`dim` as a non-negative axis; IndexError (PyTorch's type) when out of range."""
    n = max(ndim, 1)
    if not -n <= int(dim) < n:
        raise IndexError(f"{name}: dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return int(dim) % n


def narrow(a, dim: int, start: int, length: int):
    """The slice [start, start + length) along `dim` (a view); a negative `start` counts
    from the end, and the slice must lie inside the dim, as torch.narrow.

        >>> import autograd_core as ag
        >>> ag.arange(6).reshape(3, 2).narrow(0, -1, 1)
        tensor([[4, 5]])
    """
    from ..tensor import Tensor

    if a.ndim == 0:
        raise RuntimeError("narrow: cannot be applied to a 0-dim tensor")
    axis = _dim_index(dim, a.ndim, "narrow")
    size = a.shape[axis]
    start = int(start.item() if isinstance(start, Tensor) else start)
    length = int(length)
    if not -size <= start <= size:
        raise IndexError(f"narrow: start {start} is out of range for dim {axis} of size {size} "
                         f"(expected to be in range of [{-size}, {size}])")
    if length < 0:
        raise RuntimeError(f"narrow: length must be non-negative, got {length}")
    start %= size if size else 1
    if start + length > size:
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension size ({size}) "
                           f"of dim {axis} (tensor of shape {a.shape})")
    return GetItem.apply(a, (slice(None),) * axis + (slice(start, start + length),))


def _index_array(index, name, a, axis, out_of_range):
    """The integer index array, every entry checked to lie in [0, size) as PyTorch requires
    (negative indices are refused); `out_of_range` is the error type PyTorch raises."""
    from ..tensor import Tensor

    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: expected an int32 or int64 index, got dtype {idx.dtype}")
    n = a.shape[axis] if a.ndim else 1
    if idx.size:
        bad = (idx < 0) | (idx >= n)
        if bad.any():
            raise out_of_range(f"{name}: index {int(idx[bad].flat[0])} is out of bounds for dim {axis} "
                               f"with size {n} (tensor of shape {a.shape})")
    return idx


def index_select(a, dim: int, index):
    """Pick entries `index` (1-D, each in [0, size)) along `dim`; repeated indices accumulate
    gradients.

        >>> import autograd_core as ag
        >>> ag.tensor([10, 20, 30]).index_select(0, ag.tensor([2, 0]))
        tensor([30, 10])
    """
    axis = _dim_index(dim, a.ndim, "index_select")
    idx = _index_array(index, "index_select", a, axis, IndexError)
    if idx.ndim > 1:
        raise IndexError(f"index_select: index must be a vector (1-D), got shape {idx.shape}")
    return IndexSelect.apply(a, axis, idx.reshape(-1))


def gather(a, dim: int, index):
    """Gather values along `dim` at `index` (same ndim as `a`, each in [0, size)), like torch.gather.

        >>> import autograd_core as ag
        >>> ag.tensor([[1, 2], [3, 4]]).gather(1, ag.tensor([[1], [0]]))
        tensor([[2],
                [3]])
    """
    axis = _dim_index(dim, a.ndim, "gather")
    idx = _index_array(index, "gather", a, axis, RuntimeError)
    if idx.ndim != a.ndim:
        raise ShapeError(f"gather: index has {idx.ndim} dims but the tensor has {a.ndim} (shape {a.shape})")
    if any(i > n for d, (i, n) in enumerate(zip(idx.shape, a.shape)) if d != axis):
        raise ShapeError(f"gather: index of shape {idx.shape} is larger than the input {a.shape} "
                         f"outside dim {axis}")
    return Gather.apply(a, axis, idx)


class SetItem(Op):
    """A copy of `a` with `value` written at `key` (the out-of-place form of `a[key] = value`).
    d a = the gradient with `key`'s place zeroed; d value = the gradient at `key`."""

    @staticmethod
    def forward(ctx, a, value, key):
        ctx.key = key
        out = a.copy()
        try:
            out[key] = value
        except (IndexError, ValueError) as exc:
            raise type(exc)(f"index_put: {exc} (tensor of shape {a.shape})") from None
        return out

    @staticmethod
    def backward(ctx, g):
        key = ctx.key
        g_a = SetItem.call(g, np.zeros((), dtype=g.dtype), key) if ctx.next[0] is not None else None
        g_value = GetItem.call(g, key) if ctx.next[1] is not None else None
        return g_a, g_value, None


def setitem_(t, key, value) -> None:
    """`t[key] = value` with PyTorch's in-place semantics (see inplace.py)."""
    from .. import version
    from ..grad_mode import state
    from ..inplace import apply_inplace
    from ..tensor import Tensor

    key = normalize_key(key)
    recording = state.grad_enabled and (
        t.requires_grad or isinstance(value, Tensor) and value.requires_grad
    )
    if not recording:  # the common case: write straight into the storage
        version.note_inplace(t)
        try:
            t._data[key] = value._data if isinstance(value, Tensor) else value
        except (IndexError, ValueError) as exc:
            raise type(exc)(f"index_put: {exc} (tensor of shape {t.shape})") from None
        version.bump(t)
        return
    apply_inplace(t, "__setitem__", lambda a, v: SetItem.apply(a, v, key), value)
