"""`autograd_core.autograd.functional`: PyTorch's higher-level derivative functions,
built on `autograd.grad` (reverse mode; `jvp` uses the double-vjp trick).

    >>> import autograd_core as ag
    >>> from autograd_core.autograd.functional import hessian
    >>> hessian(lambda x: (x ** 3).sum(), ag.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
"""

from __future__ import annotations

import numpy as np

from ..engine import grad
from ..grad_mode import enable_grad


def _tensor():
    from ..tensor import Tensor

    return Tensor


def _as_tuple(x):
    Tensor = _tensor()
    return (x,) if isinstance(x, Tensor) else tuple(x), isinstance(x, Tensor)


def _prepare(inputs, create_graph):
    """Differentiable stand-ins for the inputs: connected to the caller's graph when it
    is being recorded (nesting), fresh leaves otherwise."""
    Tensor = _tensor()
    out = []
    for x in inputs:
        if not isinstance(x, Tensor):
            raise TypeError(f"autograd.functional: inputs must be Tensors, got {type(x).__name__}")
        if create_graph and x.requires_grad:
            from ..ops.elementwise import clone

            out.append(clone(x))
        else:
            out.append(x.detach().requires_grad_(x.dtype.kind == "f"))
    return tuple(out)


def _zeros_for_unused(grads, inputs, strict, what):
    Tensor = _tensor()
    result = []
    for i, (g, x) in enumerate(zip(grads, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"The output of the user-provided function is independent of input {i}. This is "
                    f"not allowed in strict mode ({what})."
                )
            g = Tensor._make(np.zeros(x.shape, dtype=x.dtype), None)
        result.append(g)
    return tuple(result)


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), vᵀ·J): the vector-Jacobian product at `inputs`."""
    inputs, single = _as_tuple(inputs)
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        outputs = func(*xs)
        outs, out_single = _as_tuple(outputs)
        if v is None:
            if len(outs) != 1 or outs[0].numel() != 1:
                raise RuntimeError("vjp: v can only be None if the output is a single-element tensor")
            vs = (None,)
        else:
            vs, _ = _as_tuple(v)
        live = [(o, w) for o, w in zip(outs, vs) if o.requires_grad]
        grads = grad([o for o, _ in live], xs, [w for _, w in live], create_graph=create_graph,
                     allow_unused=True) if live else (None,) * len(xs)
    grads = _zeros_for_unused(grads, xs, strict, "vjp")
    if not create_graph:
        outs = tuple(o.detach() for o in outs)
        grads = tuple(g.detach() for g in grads)
    outputs = outs[0] if out_single else outs
    return outputs, (grads[0] if single else grads)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J·v): the Jacobian-vector product, computed as the gradient of a
    vector-Jacobian product with respect to its vector (the double-vjp trick)."""
    Tensor = _tensor()
    inputs, single = _as_tuple(inputs)
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("jvp: v can only be None if the input is a single-element tensor")
        vs = (Tensor._make(np.ones(inputs[0].shape, dtype=inputs[0].dtype), None),)
    else:
        vs, _ = _as_tuple(v)
    with enable_grad():
        xs = _prepare(inputs, True)
        outs, out_single = _as_tuple(func(*xs))
        us = tuple(Tensor._make(np.zeros(o.shape, dtype=o.dtype), None).requires_grad_(True) for o in outs)
        live = [(o, u) for o, u in zip(outs, us) if o.requires_grad]
        g = grad([o for o, _ in live], xs, [u for _, u in live], create_graph=True, allow_unused=True) \
            if live else (None,) * len(xs)
        pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi is not None and gi.requires_grad]
        if pairs:
            total = sum(((gi * vi).sum() for gi, vi in pairs[1:]), (pairs[0][0] * pairs[0][1]).sum())
            jv = grad(total, us, create_graph=create_graph, allow_unused=True)
        else:
            jv = (None,) * len(us)
    jv = _zeros_for_unused(jv, outs, strict, "jvp")
    if not create_graph:
        outs = tuple(o.detach() for o in outs)
        jv = tuple(j.detach() for j in jv)
    return (outs[0] if out_single else outs), (jv[0] if out_single else jv)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """The Jacobian of `func` at `inputs`: shape output.shape + input.shape (nested
    tuples for several inputs or outputs). `vectorize` and `strategy` are accepted; rows
    are computed one vector-Jacobian product at a time."""
    Tensor = _tensor()
    inputs, single = _as_tuple(inputs)
    with enable_grad():
        xs = _prepare(inputs, create_graph)
        outs, out_single = _as_tuple(func(*xs))
        table = []
        for o in outs:
            rows = [[] for _ in xs]
            flat = o.reshape(-1)
            for k in range(flat.shape[0]):
                if o.requires_grad:
                    gs = grad(flat[k], xs, retain_graph=True, create_graph=create_graph, allow_unused=True)
                else:
                    gs = (None,) * len(xs)
                gs = _zeros_for_unused(gs, xs, strict, "jacobian")
                for j, gk in enumerate(gs):
                    rows[j].append(gk if create_graph else gk.detach())
            blocks = []
            for j, x in enumerate(xs):
                if rows[j]:
                    from ..ops.shape import stack

                    block = stack(rows[j], 0).reshape(tuple(o.shape) + tuple(x.shape))
                else:
                    block = Tensor._make(np.zeros(tuple(o.shape) + tuple(x.shape), dtype=x.dtype), None)
                blocks.append(block)
            table.append(blocks[0] if single else tuple(blocks))
    return table[0] if out_single else tuple(table)


def hessian(func, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar function: the Jacobian of its gradient."""
    inputs_t, single = _as_tuple(inputs)

    def gradient(*xs):
        out = func(*xs)
        if out.numel() != 1:
            raise RuntimeError("hessian: the function must return a single-element Tensor")
        gs = grad(out, xs, create_graph=True, allow_unused=True)
        gs = _zeros_for_unused(gs, xs, strict, "hessian")
        return gs[0] if single else gs

    return jacobian(gradient, inputs_t[0] if single else inputs_t, create_graph=create_graph, strict=strict)


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), vᵀ·H): a vector-Hessian product of a scalar function."""
    inputs_t, single = _as_tuple(inputs)
    with enable_grad():
        xs = _prepare(inputs_t, True)
        out = func(*xs)
        if out.numel() != 1:
            raise RuntimeError("vhp: the function must return a single-element Tensor")
        gs = grad(out, xs, create_graph=True, allow_unused=True)
        gs = _zeros_for_unused(gs, xs, strict, "vhp")
        vs, _ = _as_tuple(v) if v is not None else ((None,), True)
        pairs = [(g, w) for g, w in zip(gs, vs) if g.requires_grad]
        if pairs:
            total = pairs[0][0].mul(pairs[0][1]).sum()
            for g, w in pairs[1:]:
                total = total + g.mul(w).sum()
            hv = grad(total, xs, create_graph=create_graph, allow_unused=True)
        else:
            hv = (None,) * len(xs)
    hv = _zeros_for_unused(hv, xs, strict, "vhp")
    if not create_graph:
        out = out.detach()
        hv = tuple(h.detach() for h in hv)
    return out, (hv[0] if single else hv)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H·v): a Hessian-vector product (H is symmetric, so this is vᵀ·H)."""
    return vhp(func, inputs, v, create_graph, strict)
