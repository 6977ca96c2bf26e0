"""Check analytic gradients against central finite differences.

For an output y = f(x) and a fixed random cotangent v, the engine's vector-Jacobian
product vᵀ·J is compared, element by element of every input, with
  (vᵀ f(x + ε eᵢ) − vᵀ f(x − ε eᵢ)) / 2ε.
A random v makes a wrong Jacobian entry show up with probability one, at the cost of
one backward pass instead of one per output element.

    >>> import autograd_core as ag
    >>> x = ag.randn(3, dtype=ag.float64, requires_grad=True)
    >>> ag.gradcheck(lambda t: (t * t).sum(), (x,))
    True
"""

from __future__ import annotations

import warnings

import numpy as np

from .grad_mode import enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Analytic and numerical gradients disagree."""


def _outputs(out) -> list:
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, Tensor)]


def _project(outs, cotangents) -> float:
    return float(sum(np.sum(o._data.astype(np.float64) * v) for o, v in zip(outs, cotangents)))


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, seed: int = 0) -> bool:
    """True when fn's analytic gradients match finite differences for every input that
    requires grad; otherwise raise GradcheckError naming the op, input and worst element
    (or return False with raise_exception=False)."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            warnings.warn(
                f"gradcheck: input {i} is {inputs[i].dtype}; use float64 for reliable finite differences",
                stacklevel=2,
            )
    # __qualname__ names a custom Function's apply as `MyFn.apply`, not just `apply`
    fn_name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", type(fn).__name__)

    saved_grads = [inputs[i].grad for i in checked]
    for i in checked:
        inputs[i].grad = None
    try:
        with enable_grad():
            outs = _outputs(fn(*inputs))
        live = [o for o in outs if o.requires_grad]
        if not live:
            raise GradcheckError(f"gradcheck({fn_name}): the output does not require grad")
        op_name = live[0].grad_fn.name if live[0].grad_fn is not None else "leaf"
        rng = np.random.default_rng(seed)
        cotangents = [rng.standard_normal(o.shape) for o in outs]
        for o, v in zip(outs, cotangents):
            if o.requires_grad:
                o.backward(Tensor._make(v.astype(o.dtype), None), retain_graph=True)
        analytic = [
            np.zeros(inputs[i].shape) if inputs[i].grad is None else inputs[i].grad._data.astype(np.float64)
            for i in checked
        ]
    finally:
        for i, g in zip(checked, saved_grads):
            inputs[i].grad = g

    worst = None  # (excess, input index, element index, analytic, numeric)
    with no_grad():
        for k, i in enumerate(checked):
            x = inputs[i]._data
            flat = x.reshape(-1)  # a view: perturb in place, then restore
            if x.size and not np.shares_memory(flat, x):
                raise ValueError(f"gradcheck: input {i} must be contiguous")
            numeric = np.zeros(x.size)
            for j in range(x.size):
                orig = flat[j]
                flat[j] = orig + eps
                plus = _project(_outputs(fn(*inputs)), cotangents)
                flat[j] = orig - eps
                minus = _project(_outputs(fn(*inputs)), cotangents)
                flat[j] = orig
                numeric[j] = (plus - minus) / (2 * eps)
            a = analytic[k].reshape(-1)
            excess = np.abs(a - numeric) - (atol + rtol * np.abs(numeric))
            if excess.size:
                j = int(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)))
                bad = excess[j] > 0 or np.isnan(excess[j])
                if bad and (worst is None or excess[j] > worst[0]):
                    idx = np.unravel_index(j, x.shape) if x.ndim else ()
                    worst = (excess[j], i, idx, a[j], numeric[j])
    if worst is None:
        return True
    _, i, idx, a, n = worst
    msg = (
        f"gradcheck failed for {fn_name} (output op {op_name}): input {i} "
        f"(shape {inputs[i].shape}) at element {tuple(int(v) for v in idx)}: "
        f"analytic {a:.8g} vs numerical {n:.8g} (atol={atol}, rtol={rtol})"
    )
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradgradcheck(fn, inputs, grad_outputs=None, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, seed: int = 0) -> bool:
    """Check second derivatives: the gradients of fn's vector-Jacobian product (computed
    with `create_graph=True`) against finite differences, with respect to the inputs and
    to the cotangents, reported like `gradcheck` (op, input, worst element).

        >>> import autograd_core as ag
        >>> x = ag.randn(3, dtype=ag.float64, requires_grad=True)
        >>> ag.autograd.gradgradcheck(lambda t: (t ** 3).sum(), (x,))
        True
    """
    from .engine import grad

    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    with enable_grad():
        outs = _outputs(fn(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        grad_outputs = tuple(
            Tensor(rng.standard_normal(o.shape), dtype=o.dtype, requires_grad=o.dtype.kind == "f")
            for o in outs
        )
    else:
        grad_outputs = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
    n = len(inputs)
    wanted = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]

    def first_derivatives(*args):
        xs, vs = args[:n], args[n:]
        with enable_grad():
            ys = _outputs(fn(*xs))
            live = [(y, v) for y, v in zip(ys, vs) if y.requires_grad]
            gs = grad([y for y, _ in live], [xs[i] for i in wanted], [v for _, v in live],
                      create_graph=True, allow_unused=True, materialize_grads=True)
        return tuple(gs)

    first_derivatives.__qualname__ = f"gradgradcheck({getattr(fn, '__qualname__', 'fn')})"
    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, seed=seed)
