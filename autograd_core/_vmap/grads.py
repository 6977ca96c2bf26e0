"""Gradients inside vmap's batched run: `func.grad`, `vjp`, `jvp` and `jacrev` differentiate
the cores, and their inputs get stand-ins with every active level at full size so that each
example gets its own gradient.

    >>> import autograd_core as ag
    >>> from autograd_core.func import grad, vmap
    >>> vmap(grad(lambda w, x: (w * x).sum()), in_dims=(None, 0))(ag.ones(2), ag.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([[1., 2.],
            [3., 4.]])
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import ACTIVE
from .batched import BatchedTensor, NoBatchRule, active_levels, batched_of, full_core


def stand_in(x, nested: bool):
    """For func.grad/vjp inside a batched run: a differentiable stand-in for input x with
    every active level at full size, so that each example gets its own gradient (the sum of
    the examples' outputs, differentiated once, gives each example's gradient in its own
    slice, since the examples do not interact). None outside a batched run."""
    from ..ops.elementwise import clone

    active = active_levels()
    if not active:
        return None
    levels = tuple(lv for lv, _ in active)
    sizes = dict(active)
    b = batched_of(x)
    if b is not None and not set(b.levels) <= set(levels):
        raise NoBatchRule("a batched value from a vmap that is no longer running")
    if not isinstance(x, Tensor):
        raise TypeError(f"func transforms differentiate Tensors, got {type(x).__name__}")
    core = full_core(x, levels, sizes)
    if nested and x.requires_grad:
        core = clone(core)
    else:
        if x.dtype.kind not in "fc":
            raise RuntimeError(f"func.grad: only floating point inputs can be differentiated, got {x.dtype}")
        core = core.detach().requires_grad_(True)
    return BatchedTensor.make(core, levels)


def engine_grad(outputs, inputs, grad_outputs=None, **kwargs):
    """engine.grad for outputs/inputs that may be batched: differentiate the cores."""
    from ..engine import grad as _grad

    outs = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
    ins = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    gos = None if grad_outputs is None else (
        list(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else [grad_outputs])
    everything = outs + ins + (gos or [])
    if not ACTIVE[0] or not any(batched_of(v) is not None for v in everything):
        return _grad(outputs, inputs, grad_outputs, **kwargs)
    from ..ops.shape import Expand

    in_levels = {batched_of(x).levels if batched_of(x) is not None else () for x in ins}
    if len(in_levels) != 1:
        raise NoBatchRule("gradient inputs batched over different levels")
    (levels,) = in_levels
    out_cores, go_cores = [], []
    for i, o in enumerate(outs):
        b = batched_of(o)
        o_levels = b.levels if b is not None else ()
        if not set(o_levels) <= set(levels):
            raise NoBatchRule("an output batched where its inputs are not")
        core = b.core if b is not None else o
        out_cores.append(core)
        g = None if gos is None else gos[i]
        if g is None:
            g = Tensor._make(np.ones(core.shape, dtype=core.dtype), None)
        else:
            if not isinstance(g, Tensor):
                g = Tensor._make(np.asarray(g, dtype=core.dtype), None)
            gb = batched_of(g)
            if gb is not None and not set(gb.levels) <= set(o_levels):
                raise NoBatchRule("a cotangent batched where its output is not")
            if tuple(g.shape) != tuple(o.shape):
                raise RuntimeError(f"grad: cotangent of shape {tuple(g.shape)} for an output of shape "
                                   f"{tuple(o.shape)}")
            sizes = dict(zip(o_levels, core.shape))
            g = full_core(g, o_levels, sizes) if o_levels else g
            if tuple(g.shape) != tuple(core.shape):
                g = Expand.apply(g, tuple(core.shape))
        go_cores.append(g)
    in_cores = [batched_of(x).core if batched_of(x) is not None else x for x in ins]
    grads = _grad(out_cores, in_cores, go_cores, **kwargs)
    return tuple(None if g is None else BatchedTensor.make(g, levels) for g in grads)
