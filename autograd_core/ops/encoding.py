"""one_hot: class indices to indicator vectors (not differentiable; integer output).

    >>> import autograd_core as ag
    >>> ag.functional.one_hot(ag.tensor([0, 2]), 3)
    tensor([[1, 0, 0],
            [0, 0, 1]])
"""

from __future__ import annotations

import numpy as np


def one_hot(tensor, num_classes: int = -1):
    """int64 tensor of shape `tensor.shape + (num_classes,)` with a 1 at each index;
    `num_classes=-1` uses max(tensor) + 1."""
    from ..tensor import Tensor

    idx = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensors (int64), got dtype {idx.dtype}")
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("one_hot: Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size and idx.min() < 0:
        raise RuntimeError("one_hot: Class values must be non-negative.")
    if idx.size and idx.max() >= num_classes:
        raise RuntimeError(f"one_hot: Class values must be smaller than num_classes ({num_classes}).")
    out = (idx[..., None] == np.arange(num_classes)).astype(np.int64)
    return Tensor._make(out, None)
