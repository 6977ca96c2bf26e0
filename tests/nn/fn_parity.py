"""Shared check for the nn.functional parity tables: one call written against a module
`F` runs with our functional and with torch.nn.functional on the same float64 inputs.

`check(call, inputs)` compares the outputs, the gradients of every float input for one
random cotangent, and runs `ag.gradcheck`. Integer (and bool) arrays are passed without
gradients (targets, indices).
"""

from __future__ import annotations

import numpy as np

import autograd_core as ag
import autograd_core.functional as OURS


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def to_ours(x, grad=True):
    arr = np.asarray(x)
    t = ag.tensor(arr)
    return t.requires_grad_(True) if grad and arr.dtype.kind == "f" else t


def to_torch(x, grad=True):
    import torch

    arr = np.asarray(x)
    t = torch.tensor(arr)
    return t.requires_grad_(True) if grad and arr.dtype.kind == "f" else t


def check(call, inputs, *, atol=1e-9, rtol=1e-7, gradcheck=True, torch_call=None, seed=0,
          gradgradcheck=True):
    """Forward, input gradients vs torch, and gradcheck of `call(F, *tensors)`."""
    import torch
    import torch.nn.functional as TF

    o_in = [to_ours(x) for x in inputs]
    t_in = [to_torch(x) for x in inputs]
    o_out = [o for o in _flat(call(OURS, *o_in)) if isinstance(o, ag.Tensor)]
    t_out = [t for t in _flat((torch_call or call)(TF, *t_in)) if isinstance(t, torch.Tensor)]
    assert len(o_out) == len(t_out)
    for o, t in zip(o_out, t_out):
        assert o.shape == tuple(t.shape), (o.shape, tuple(t.shape))
        np.testing.assert_allclose(o._data, t.detach().numpy(), atol=atol, rtol=rtol)
    rng = np.random.default_rng(seed)
    pairs = [
        (o, t, rng.standard_normal(o.shape))
        for o, t in zip(o_out, t_out)
        if t.requires_grad and t.dtype.is_floating_point
    ]
    if not pairs:
        return o_out
    sum((t * torch.tensor(v)).sum() for _, t, v in pairs).backward()
    sum((o * ag.tensor(v)).sum() for o, _, v in pairs).backward()
    for o, t in zip(o_in, t_in):
        if o.requires_grad:
            want = t.grad.numpy() if t.grad is not None else np.zeros(o.shape)
            got = o.grad._data if o.grad is not None else np.zeros(o.shape)
            np.testing.assert_allclose(got, want, atol=atol * 10, rtol=rtol * 10)
    if gradcheck:
        fresh = [to_ours(x) for x in inputs]
        if any(t.requires_grad for t in fresh):

            def fn(*args):
                return tuple(
                    o for o in _flat(call(OURS, *args)) if isinstance(o, ag.Tensor) and o.dtype.kind == "f"
                )

            assert ag.gradcheck(fn, tuple(fresh))
            if gradgradcheck:  # the second-order column: the backward is differentiable too
                assert ag.autograd.gradgradcheck(fn, tuple(fresh))
    return o_out
