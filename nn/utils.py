"""Helpers over a model's parameters: gradient clipping, flattening to one vector, and
counting.

    >>> import nn
    >>> nn.utils.count_parameters(nn.Linear(10, 5))
    55
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from autograd_core import Tensor, cat, version

__all__ = ["clip_grad_norm_", "clip_grad_value_", "count_parameters", "parameters_to_vector",
           "vector_to_parameters"]


def _as_list(parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their joint norm is at most `max_norm`.

    Returns the norm before clipping (a 0-d Tensor, like torch). As PyTorch, the scale is
    min(1, max_norm / (total + 1e-6)).

        >>> import autograd_core as ag
        >>> p = ag.zeros(2, requires_grad=True); p.grad = ag.tensor([3.0, 4.0])
        >>> clip_grad_norm_([p], 1.0).item(), [round(v, 3) for v in p.grad.tolist()]
        (5.0, [0.6, 0.8])
    """
    grads = [p.grad._data for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return Tensor(np.array(0.0, dtype=np.float32))
    dtype = grads[0].dtype
    norm_type = float(norm_type)
    if norm_type == float("inf"):
        total = max(float(np.abs(g).max()) if g.size else 0.0 for g in grads)
    else:
        # Per-tensor norms, then the norm of those: the same as the norm of everything joined.
        norms = np.array([np.linalg.norm(g.reshape(-1).astype(np.float64), norm_type) for g in grads])
        total = float(np.linalg.norm(norms, norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
            "anyway, set `error_if_nonfinite=False`"
        )
    coef = min(max_norm / (total + 1e-6), 1.0)
    if coef < 1.0:
        for g in grads:
            g *= coef  # in place: .grad keeps its array
    return Tensor(np.array(total, dtype=dtype))


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one 1-D Tensor (differentiable, like torch's).

        >>> import autograd_core as ag
        >>> parameters_to_vector([ag.ones(2, 2), ag.zeros(3)]).shape
        (7,)
    """
    params = _as_list(parameters)
    if not params:
        raise ValueError("parameters_to_vector: no parameters given")
    return cat([p.reshape(-1) for p in params], 0)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D `vec` into the parameters, in place.

    Unlike torch (which makes each parameter a view of `vec`) the values are copied, so the
    parameters keep their arrays and optimizer state stays attached to them."""
    data = vec._data if isinstance(vec, Tensor) else np.asarray(vec)
    if data.ndim != 1:
        raise TypeError(f"vector_to_parameters: expected a 1-D vector, got shape {data.shape}")
    params = _as_list(parameters)
    total = sum(p._data.size for p in params)
    if total != data.size:
        raise ValueError(f"vector_to_parameters: vector has {data.size} elements, the parameters {total}")
    start = 0
    for p in params:
        n = p._data.size
        p._data[...] = data[start:start + n].reshape(p._data.shape)
        version.bump(p)
        start += n


def count_parameters(module) -> int:
    """The number of trainable scalars (parameters with requires_grad), each shared one once.

        >>> import nn
        >>> count_parameters(nn.MLP(784, [256, 128], 10))
        235146
    """
    return sum(p._data.size for p in module.parameters() if p.requires_grad)
