"""`Parameter`: a Tensor that a Module registers as one of its learnable weights.

    >>> import autograd_core as ag
    >>> import nn
    >>> p = nn.Parameter(ag.zeros(2))
    >>> p.requires_grad, isinstance(p, ag.Tensor)
    (True, True)
"""

from __future__ import annotations

import numpy as np

from autograd_core import Tensor
from autograd_core.dtypes import as_array, resolve_dtype


class Parameter(Tensor):
    """A leaf Tensor with `requires_grad=True` that `Module.__setattr__` registers.

    Built from a Tensor it shares that Tensor's array, as `torch.nn.Parameter(t)` shares
    t's storage (so `Parameter(ag.zeros(3))` costs no copy); built from anything else
    (an ndarray, a list) it holds a copy, so the caller's array is never aliased.

        >>> Parameter([1.0, 2.0])
        Parameter containing:
        tensor([1., 2.], requires_grad=True)
    """

    __slots__ = ()  # Tensor uses __slots__; a Parameter adds no per-instance state

    def __init__(self, data=None, requires_grad: bool = True, dtype=None):
        if data is None:
            arr = np.empty((0,), dtype=resolve_dtype(dtype) or np.float32)
        elif isinstance(data, Tensor):
            arr = data._data if dtype is None else data._data.astype(resolve_dtype(dtype))
        else:
            arr = as_array(data, resolve_dtype(dtype))
        # Set the slots directly: Tensor.__init__ would copy `arr`, losing the sharing.
        self._data = arr
        self.grad = None
        self.requires_grad = False
        self.grad_fn = None
        if isinstance(data, Tensor) and dtype is None and data._vc is not None:
            self._vc = data._vc  # shares the storage, so its version counter too
        self.requires_grad_(requires_grad)  # validates: only floating dtypes take gradients

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
