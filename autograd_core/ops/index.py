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

from ..function import Op


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
        grad = np.zeros(shape, dtype=g.dtype)
        if _is_basic(key):
            grad[key] = g
        else:
            np.add.at(grad, key, g)
        return grad, None


class IndexSelect(Op):
    @staticmethod
    def forward(ctx, a, axis, index):
        ctx.info = (a.shape, axis, index)
        return np.take(a, index, axis=axis)

    @staticmethod
    def backward(ctx, g):
        shape, axis, index = ctx.info
        grad = np.zeros(shape, dtype=g.dtype)
        np.add.at(grad, (slice(None),) * axis + (index,), g)
        return grad, None, None


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
        grad = np.zeros(shape, dtype=g.dtype)
        grids = list(np.indices(index.shape, sparse=True))
        grids[axis] = index
        np.add.at(grad, tuple(grids), g)
        return grad, None, None


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


def narrow(a, dim: int, start: int, length: int):
    """The slice [start, start + length) along `dim` (a view)."""
    return GetItem.apply(a, (slice(None),) * dim + (slice(start, start + length),))


def _index_array(index, name, a, axis):
    from ..tensor import Tensor

    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must hold integers, got dtype {idx.dtype}")
    n = a.shape[axis] if a.ndim else 1
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError(f"{name}: index out of range for dim {axis} of size {n} (tensor of shape {a.shape})")
    return idx


def index_select(a, dim: int, index):
    """Pick entries `index` (1-D) along `dim`; repeated indices accumulate gradients."""
    axis = dim % max(a.ndim, 1)
    idx = _index_array(index, "index_select", a, axis)
    if idx.ndim != 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {idx.shape}")
    return IndexSelect.apply(a, axis, idx)


def gather(a, dim: int, index):
    """Gather values along `dim` at `index` (same ndim as `a`), like torch.gather."""
    axis = dim % max(a.ndim, 1)
    idx = _index_array(index, "gather", a, axis)
    if idx.ndim != a.ndim:
        raise ValueError(f"gather: index has {idx.ndim} dims but the tensor has {a.ndim} (shape {a.shape})")
    if any(i > n for d, (i, n) in enumerate(zip(idx.shape, a.shape)) if d != axis):
        raise ValueError(f"gather: index of shape {idx.shape} is larger than the input {a.shape} "
                         f"outside dim {axis}")
    return Gather.apply(a, axis, idx)
