"""topk: the k largest (or smallest) elements along a dim, and where they were.

The indices are found on the raw array (a partial partition, then a sort of the k
survivors); the values are a `gather` at those indices, so they are differentiable
through gather's own backward (the gradient lands at the selected positions).

    >>> import autograd_core as ag
    >>> ag.tensor([1.0, 5.0, 3.0]).topk(2)
    topk(values=tensor([5., 3.]), indices=tensor([1, 2]))
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

# PyTorch returns `torch.return_types.topk(values=..., indices=...)`.
topk_result = namedtuple("topk", ["values", "indices"])


def _topk_indices(x: np.ndarray, k: int, axis: int, largest: bool) -> np.ndarray:
    """Indices of the k extreme elements along `axis`, best first (NaN counts as largest)."""
    n = x.shape[axis]
    if k == 0:
        shape = list(x.shape)
        shape[axis] = 0
        return np.zeros(shape, dtype=np.int64)
    if largest:
        # argpartition puts the k largest (NaN included, as NumPy sorts NaN last) at the end
        part = np.argpartition(x, n - k, axis=axis) if k < n else np.broadcast_to(
            np.arange(n).reshape([-1 if d == axis else 1 for d in range(x.ndim)]), x.shape)
        part = np.take(part, np.arange(n - k, n), axis=axis)
    else:
        part = np.argpartition(x, k - 1, axis=axis) if k < n else np.broadcast_to(
            np.arange(n).reshape([-1 if d == axis else 1 for d in range(x.ndim)]), x.shape)
        part = np.take(part, np.arange(k), axis=axis)
    vals = np.take_along_axis(x, part, axis=axis)
    order = np.argsort(vals, axis=axis, kind="stable")
    if largest:
        order = np.flip(order, axis=axis)
    return np.take_along_axis(part, order, axis=axis).astype(np.int64)


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The `k` largest elements of `input` along `dim` (smallest with largest=False), as a
    `(values, indices)` named tuple, best first. `values` is differentiable; `sorted=False`
    is accepted (the result is sorted anyway, which PyTorch allows).

        >>> import autograd_core as ag
        >>> ag.tensor([[1.0, 5.0, 3.0]]).topk(1, largest=False).indices
        tensor([[0]])
    """
    from ..tensor import Tensor
    from .index import Gather
    from .shape import reshape

    x = input._data
    if x.ndim == 0:
        if k not in (0, 1):
            raise RuntimeError(f"topk: selected index k={k} out of range for a 0-d tensor")
        if not -1 <= dim <= 0:
            raise IndexError(f"topk: dim {dim} is out of range for a 0-d tensor")
        flat = topk(reshape(input, (1,)), k, 0, largest, sorted)
        if k == 0:
            return flat
        return topk_result(reshape(flat.values, ()), Tensor._make(flat.indices._data.reshape(()), None))
    if not -x.ndim <= dim < x.ndim:
        raise IndexError(f"topk: dim {dim} is out of range for a tensor with {x.ndim} dims")
    axis = dim % x.ndim
    if not 0 <= k <= x.shape[axis]:
        raise RuntimeError(f"topk: selected index k={k} out of range for dim {axis} of size {x.shape[axis]}"
                           f" (tensor of shape {x.shape})")
    idx = _topk_indices(x, int(k), axis, bool(largest))
    values = Gather.apply(input, axis, idx)
    return topk_result(values, Tensor._make(idx, None))


TENSOR_METHODS = {"topk": topk}
