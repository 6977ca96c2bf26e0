"""The backward pass: order the graph, walk it once, accumulate into leaves.

The walk is iterative (no recursion, so a chain of a million operations is fine) and
follows HIPS autograd's scheme: first count, for every node reachable from the root,
how many consumers will send it a gradient; then process nodes whose count has dropped
to zero, summing gradients that arrive along several paths in `pending`. Gradients of
intermediate nodes live only in `pending`, and only until their node has run.

    >>> import autograd_core as ag
    >>> x = ag.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward(); x.grad
    tensor([2., 4.])
"""

from __future__ import annotations

import gc
import weakref

import numpy as np

from . import function
from .function import _FREED, Function, ShapeError, _check_finite, freed_error
from .grad_mode import no_grad, state


def unbroadcast(grad: np.ndarray, shape: tuple, name: str = "op") -> np.ndarray:
    """Sum `grad` down to `shape`: the adjoint of NumPy broadcasting.

    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    """
    ndim = len(shape)
    extra = grad.ndim - ndim
    if extra < 0:
        raise ShapeError(
            f"{name}: backward returned a gradient of shape {grad.shape} for an input of shape "
            f"{shape}"
        )
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:
        raise ShapeError(
            f"{name}: backward returned a gradient of shape {grad.shape} that does not "
            f"broadcast to its input's shape {shape}"
        )
    return grad


# Hooks called as hook(leaf) after backward has updated leaf.grad, keyed by id(leaf); a
# weakref.finalize drops the entry with its tensor, so a recycled id never inherits hooks.
_post_accumulate_hooks: dict[int, list] = {}
# Callbacks queued while a backward pass runs (DDP waits for its all-reduces), run when it ends.
_final_callbacks: list = []


def register_post_accumulate_grad_hook(leaf, hook):
    """Implements Tensor.register_post_accumulate_grad_hook; returns the hook list."""
    hooks = _post_accumulate_hooks.get(id(leaf))
    if hooks is None:
        hooks = _post_accumulate_hooks[id(leaf)] = []
        weakref.finalize(leaf, _post_accumulate_hooks.pop, id(leaf), None)
    hooks.append(hook)
    return hooks


def queue_callback(fn) -> None:
    """Run fn() once the backward pass now in progress has finished accumulating."""
    _final_callbacks.append(fn)


def backward(root, gradient=None, retain_graph: bool = False) -> None:
    """Back-propagate from `root`, adding d root / d leaf into every leaf's `.grad`."""
    from .tensor import Tensor

    if not root.requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require grad and has no grad_fn, so there is "
            "nothing to differentiate. Create the inputs with requires_grad=True."
        )
    if gradient is None:
        if root._data.size != 1:
            raise RuntimeError(
                f"backward(): grad can be implicitly created only for scalar outputs, but this "
                f"tensor has shape {root.shape}. Reduce it first (e.g. .sum()) or pass "
                "gradient= with the same shape."
            )
        grad = np.ones(root.shape, dtype=root._data.dtype)
    else:
        grad = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
        if grad.shape != root.shape:
            raise ShapeError(
                f"backward(): gradient has shape {grad.shape} but the tensor has shape {root.shape}"
            )
    start = root.grad_fn if root.grad_fn is not None else root
    # The graph holds no reference cycles, so the cyclic collector would only rescan
    # the many node objects during the walk (a third of its time on a long chain).
    collecting = gc.isenabled()
    gc.disable()
    try:
        with no_grad():  # hooks and accumulation must not record anything
            _walk(start, grad, retain_graph, Tensor)
            while _final_callbacks:
                _final_callbacks.pop(0)()
    finally:
        _final_callbacks.clear()
        if collecting:
            gc.enable()


def _count_consumers(start) -> dict:
    """For every node reachable from `start`, how many edges point at it."""
    deps = {start: 0}
    stack = [start]
    while stack:
        node = stack.pop()
        for nxt in node.next:
            if nxt is None:
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                if isinstance(nxt, Function):
                    stack.append(nxt)
    return deps


def replay(root, watch) -> None:
    """Walk the retained graph behind `root` exactly as backward() would, calling
    `watch(node, grad_in, grads_out)` for each node in execution order, but without
    touching any .grad, running hooks or freeing anything (used by ag.viz)."""
    from .tensor import Tensor

    grad = np.ones(root.shape, dtype=root._data.dtype)
    start = root.grad_fn if root.grad_fn is not None else root
    with no_grad():
        _walk(start, grad, True, Tensor, watch)


def _walk(start, grad, retain_graph: bool, Tensor, watch=None) -> None:
    deps = _count_consumers(start) if isinstance(start, Function) else {start: 0}
    pending = {start: grad}
    ready = [start]
    anomaly = state.anomaly
    while ready:
        node = ready.pop()
        grad = pending.pop(node, None)
        if grad is None:
            # Every consumer answered None (no gradient flows here): nothing to run, but
            # this node's inputs must still hear from it, or they would wait forever.
            if isinstance(node, Function):
                _release_inputs(node, deps, ready, retain_graph)
            continue
        if isinstance(node, Tensor):
            if watch is None:
                _accumulate_leaf(node, grad, Tensor)
            else:
                watch(node, grad, ())
            continue
        if node.pre_hooks is not None and watch is None:
            grad = _run_hooks(node.pre_hooks, grad, node.shape, node.name, Tensor)
        if node.saved is _FREED:
            raise freed_error(node.name)
        if node.raw:
            grads = node.backward(node, grad)
        else:
            grads = node.run_backward(grad)
        if not retain_graph:
            node.saved = _FREED
        if type(grads) is not tuple:
            grads = (grads,)
        if watch is not None:
            watch(node, grad, grads)
        for nxt, g in zip(node.next, grads):
            if nxt is None:
                continue
            if g is None:  # no gradient for this input, but it still counts as answered
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    ready.append(nxt)
                continue
            if g.shape != nxt.shape:
                g = unbroadcast(g, nxt.shape, node.name)
            if anomaly:
                _check_finite(node.name, "backward", g)
            if nxt in pending:
                pending[nxt] = pending[nxt] + g
            else:
                pending[nxt] = g
            left = deps[nxt] - 1
            deps[nxt] = left
            if left == 0:
                ready.append(nxt)


def _release_inputs(node, deps, ready, retain_graph) -> None:
    if not retain_graph:
        node.saved = _FREED
    for nxt in node.next:
        if nxt is not None:
            left = deps[nxt] - 1
            deps[nxt] = left
            if left == 0:
                ready.append(nxt)


def _accumulate_leaf(leaf, grad, Tensor) -> None:
    if leaf._hooks is not None:
        grad = _run_hooks(leaf._hooks, grad, leaf.shape, "leaf", Tensor)
    dtype = leaf._data.dtype
    if leaf.grad is None:
        # A fresh array: `grad` may be shared with other leaves or be a broadcast view.
        leaf.grad = Tensor._make(np.array(grad, dtype=dtype, copy=True), None)
    else:
        leaf.grad._data = leaf.grad._data + grad.astype(dtype, copy=False)
    if _post_accumulate_hooks:
        for hook in tuple(_post_accumulate_hooks.get(id(leaf), ())):
            hook(leaf)


def _run_hooks(hooks, grad, shape, name, Tensor):
    for hook in hooks:
        out = hook(Tensor._make(np.asarray(grad), None))
        if out is not None:
            new = out._data if isinstance(out, Tensor) else np.asarray(out)
            if new.shape != tuple(shape):
                raise ShapeError(
                    f"hook on {name}: returned a gradient of shape {new.shape}, expected {tuple(shape)}"
                )
            grad = new
    return grad


def note_module_call(module, inputs: tuple, output) -> None:
    """Called by nn.Module.__call__: remember which module produced `output`, and where
    its inputs entered the graph, so that drawings can group its operations."""
    node = getattr(output, "grad_fn", None)
    if node is None:
        return
    Tensor = function.Tensor  # bound by tensor.py; no import on this per-call path
    boundary = tuple(a.grad_fn or a for a in inputs if isinstance(a, Tensor) and a.requires_grad)
    calls = node.__dict__.setdefault("module_calls", [])
    calls.append((module, boundary))
