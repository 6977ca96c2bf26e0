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
import sys
import threading
import weakref

import numpy as np

from . import function, version
from .function import _FREED, Function, ShapeError, _as_tensor, _check_finite, freed_error
from .grad_mode import no_grad, set_grad_enabled, state
from .kernels.sums import total


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
        grad = total(grad, tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = total(grad, axes, True)
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


def backward(root, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
    """Back-propagate from `root`, adding d root / d leaf into every leaf's `.grad`.

    With `create_graph=True` the backward pass is itself recorded, so the gradients it
    leaves in `.grad` can be differentiated again; `inputs` limits accumulation to those
    tensors."""
    Tensor = function.Tensor  # bound by tensor.py; an import here cost ~0.6 us a call

    if not root.requires_grad:
        raise RuntimeError(
            "element 0 of tensors does not require grad and does not have a grad_fn: there is "
            "nothing to differentiate. Create the inputs with requires_grad=True."
        )
    if gradient is None and root._data.size != 1:
        raise RuntimeError(
            f"grad can be implicitly created only for scalar outputs, but this tensor has shape "
            f"{tuple(root.shape)}. Reduce it first (e.g. .sum()) or pass gradient= with the same shape."
        )
    grad = _root_grad(root, gradient, create_graph, Tensor)
    if retain_graph is None:
        retain_graph = create_graph
    targets = None
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        if not inputs:
            raise RuntimeError("backward(): 'inputs' argument to backward() cannot be empty.")
        targets = {_node_of(t): t for t in inputs}
    start = root.grad_fn if root.grad_fn is not None else root
    # _gc_paused() and set_grad_enabled(create_graph), spelled out: two `with` contexts cost ~0.9 us
    # of a ~5 us backward through one op
    was = state.grad_enabled
    state.grad_enabled = create_graph
    _gc_pause.__enter__()
    try:
        _walk(start, grad, retain_graph, Tensor, create_graph=create_graph, targets=targets)
        while _final_callbacks:
            _final_callbacks.pop(0)()
    finally:
        _final_callbacks.clear()
        _gc_pause.__exit__()
        state.grad_enabled = was


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         allow_unused=None, materialize_grads: bool = False, is_grads_batched: bool = False) -> tuple:
    """d outputs / d inputs as a tuple (PyTorch's `torch.autograd.grad`), without touching
    any `.grad`.

    >>> import autograd_core as ag
    >>> x = ag.tensor(2.0, requires_grad=True)
    >>> (g,) = ag.autograd.grad(x ** 3, x, create_graph=True)
    >>> g, ag.autograd.grad(g, x)[0]
    (tensor(12., grad_fn=<MulBackward0>), tensor(12.))
    """
    Tensor = function.Tensor  # bound by tensor.py; an import here cost ~0.6 us a call

    if is_grads_batched:  # one vector-Jacobian product per row of the grad_outputs
        from .ops.shape import stack

        rows = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
        per_row = [grad(outputs, inputs, tuple(g[i] for g in rows), True, create_graph, allow_unused,
                        materialize_grads) for i in range(rows[0].shape[0])]
        return tuple(None if per_row[0][j] is None else stack([r[j] for r in per_row], 0)
                     for j in range(len(per_row[0])))
    single = isinstance(inputs, Tensor)
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    inputs = (inputs,) if single else tuple(inputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad(): got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs"
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad(): input {i} does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    roots = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None and out._data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs (output {i} has shape "
                f"{tuple(out.shape)}); pass grad_outputs"
            )
        roots.append((out.grad_fn if out.grad_fn is not None else out,
                      _root_grad(out, g, create_graph, Tensor)))
    targets = {_node_of(t): t for t in inputs}
    captured = {}
    with _gc_paused(), set_grad_enabled(create_graph):
        start = _Roots(roots) if len(roots) > 1 else roots[0][0]
        first = _Roots.SEED if len(roots) > 1 else roots[0][1]
        _walk(start, first, retain_graph, Tensor, create_graph=create_graph, targets=targets,
              captured=captured)
    result = []
    for i, t in enumerate(inputs):
        g = captured.get(_node_of(t))
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad(): input {i} (shape {tuple(t.shape)}) was not used in the graph of the "
                    "outputs; pass allow_unused=True if this is expected."
                )
            if materialize_grads:
                g = np.zeros(t.shape, dtype=t.dtype)
        if g is not None and not isinstance(g, Tensor):
            g = Tensor._make(g, None)
        result.append(g)
    return tuple(result)


class _Roots(Function):
    """A virtual node above several outputs, so that one walk serves them all."""

    SEED = np.ones(())  # the walk needs some gradient at its start; this node ignores it

    def __init__(self, roots):
        self.next = tuple(node for node, _ in roots)
        self.grads = tuple(g for _, g in roots)

    @staticmethod
    def backward(ctx, g):
        return ctx.grads

    def graph_backward(self, g):
        return self.grads

    raw = True


def _node_of(t):
    return t.grad_fn if t.grad_fn is not None else t


def _root_grad(root, gradient, create_graph, Tensor):
    if gradient is None:
        g = np.ones(root.shape, dtype=root._data.dtype)
        return Tensor._make(g, None) if create_graph else g
    if isinstance(gradient, Tensor):
        if tuple(gradient.shape) != tuple(root.shape):
            raise ShapeError(
                f"backward(): gradient has shape {tuple(gradient.shape)} but the tensor has shape "
                f"{tuple(root.shape)}"
            )
        return gradient if create_graph else gradient._data
    g = np.asarray(gradient, dtype=root._data.dtype)
    if g.shape != root.shape:
        g = np.broadcast_to(g, root.shape) if g.ndim == 0 else g
    if g.shape != root.shape:
        raise ShapeError(f"backward(): gradient has shape {g.shape} but the tensor has shape {root.shape}")
    return Tensor._make(g, None) if create_graph else g


class _GCPause:
    """Pause the cyclic collector while any thread walks a graph: the graph holds no
    reference cycles, so the collector would only rescan the many node objects (a third
    of the walk's time on a long chain). A count under a lock makes it safe for threads:
    the first walker in turns collection off, the last one out turns it back on."""

    def __init__(self):
        self.lock = threading.Lock()
        self.active = 0
        self.was_enabled = False

    def __enter__(self):
        with self.lock:
            if self.active == 0:
                self.was_enabled = gc.isenabled()
                gc.disable()
            self.active += 1

    def __exit__(self, *exc):
        with self.lock:
            self.active -= 1
            if self.active == 0 and self.was_enabled:
                gc.enable()
        return False


_gc_pause = _GCPause()


def _gc_paused():
    return _gc_pause


def _count_consumers(start, stop=None) -> dict:
    """For every node reachable from `start` (without going past `stop`), how many edges
    point at it."""
    deps = {start: 0}
    stack = [start]
    while stack:
        node = stack.pop()
        if stop is not None and node in stop and node is not start:
            continue
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


def _leading_to(start, targets) -> set:
    """The nodes from which some target can be reached: only those need a gradient when
    gradients are wanted for `targets` alone (autograd.grad, backward(inputs=...))."""
    order, seen, stack = [], {start}, [start]
    while stack:  # every reachable node, parents before children
        node = stack.pop()
        order.append(node)
        if isinstance(node, Function):
            for nxt in node.next:
                if nxt is not None and nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    useful = set(targets)
    changed = True
    while changed:  # a fixed point; each pass settles at least the deepest remaining level
        changed = False
        for node in reversed(order):
            if node not in useful and isinstance(node, Function) and any(
                    n is not None and n in useful for n in node.next):
                useful.add(node)
                changed = True
    return useful


def replay(root, watch) -> None:
    """Walk the retained graph behind `root` exactly as backward() would, calling
    `watch(node, grad_in, grads_out)` for each node in execution order, but without
    touching any .grad, running hooks or freeing anything (used by ag.viz)."""
    from .tensor import Tensor

    grad = np.ones(root.shape, dtype=root._data.dtype)
    start = root.grad_fn if root.grad_fn is not None else root
    with no_grad():
        _walk(start, grad, True, Tensor, watch)


def _walk(start, grad, retain_graph: bool, Tensor, watch=None, create_graph=False, targets=None,
          captured=None, stop=False) -> None:
    """Run every node below `start` once all its consumers have reported. With `targets`
    only gradients leading there are computed, and they are captured (autograd.grad) or
    accumulated into those tensors (backward(inputs=...)); `stop` treats targets as
    independent inputs, not descending below them (a node's own vector-Jacobian product)."""
    if not isinstance(start, Function):
        deps = {start: 0}
    else:
        deps = _count_consumers(start, targets if stop else None)
    useful = None if targets is None or stop else _leading_to(start, targets)
    # `ready` holds (node, summed gradient) pairs whose consumers have all answered;
    # `pending` only the partial sums of nodes still waiting for some consumer. A chain
    # (one consumer per node, the common case) never touches `pending`.
    pending = {}
    ready = [(start, grad)]
    anomaly = state.anomaly
    clock = version.clock
    freed = _FREED
    while ready:
        node, grad = ready.pop()
        if type(grad) is BlockGradient:  # all consumers answered: the whole array from here on
            grad = grad.dense()
        if targets is not None and node in targets:
            if grad is not None:
                if captured is not None:  # a node's own VJP (stop) runs no user hooks
                    captured[node] = grad if stop else _run_tensor_hooks(targets[node], grad, Tensor)
                else:
                    _accumulate_leaf(targets[node], grad, Tensor, create_graph)
            if stop or isinstance(node, Tensor):
                continue
        if grad is None:
            # Every consumer answered None (no gradient flows here): nothing to run, but
            # this node's inputs must still hear from it, or they would wait forever.
            if isinstance(node, Function):
                if not retain_graph:
                    node.release()
                for nxt in node.next:
                    if nxt is not None:
                        _answer(nxt, None, deps, pending, ready)
            continue
        if isinstance(node, Tensor):
            if watch is not None:
                watch(node, grad, ())
            elif targets is None:
                # Sole owner: no hook, view, saved tensor, user or other pending entry holds it
                # (the loop drops its own other references to it, below), so `.grad` may take it.
                # Counted on its own line, the way `_SOLE` was measured.
                owned = getrefcount(grad) == _SOLE
                _accumulate_leaf(node, grad, Tensor, create_graph, owned)
            continue
        if node.pre_hooks is not None and watch is None:
            grad = _run_hooks(node.pre_hooks, grad, node.shape, node.name, Tensor)
        if node.saved is freed:
            raise freed_error(node.name)
        if node.stamp != clock[0]:
            version.check_saved(node)
        if create_graph:
            grads = node.graph_backward(grad) if node.raw else node.run_backward(grad, True)
        elif node.raw:
            grads = node.backward(node, grad)
        else:
            grads = node.run_backward(grad)
        if not retain_graph:  # Function.release, inlined: this runs for every node
            node.saved = freed
            node.args = ()
        if type(grads) is not tuple:
            grads = (grads,)
        if (watch is not None or node.post_hooks is not None) and BlockGradient in map(type, grads):
            grads = tuple(g.dense() if type(g) is BlockGradient else g for g in grads)
        if watch is not None:
            watch(node, grad, grads)
        if node.post_hooks is not None:
            _run_node_post_hooks(node.post_hooks, grads, grad, Tensor)
        for nxt, g in zip(node.next, grads):
            if nxt is None:
                continue
            if g is not None:
                if useful is not None and nxt not in useful:
                    g = None  # no gradient needed there, but it still counts as answered
                else:
                    if g.shape != nxt.shape:
                        g = unbroadcast(g, nxt.shape, node.name)
                    if anomaly:
                        _check_finite(node.name, "backward", g._data if isinstance(g, Tensor)
                                      else g.values if type(g) is BlockGradient else g)
            # _answer, inlined for the hot path. A partial sum that only `pending` and this loop
            # hold (counted on its own line, as `_IN_PENDING` and `_SOLE` were measured) is a
            # fresh array of the walk's own: the next gradient is added into it in place.
            left = deps[nxt] - 1
            if left:
                deps[nxt] = left
                if g is not None:
                    partial = pending.get(nxt)
                    if partial is None:
                        pending[nxt] = g
                    else:
                        owned = getrefcount(partial) == _IN_PENDING
                        if owned and _summable(partial, g):
                            partial += g
                        else:
                            pending[nxt] = _sum(partial, g, owned)
                    partial = None
            else:
                if nxt in pending:
                    partial = pending.pop(nxt)
                    if g is None:
                        g = partial
                    else:
                        owned = getrefcount(partial) == _SOLE
                        if owned and _summable(partial, g):
                            partial += g
                            g = partial
                        else:
                            g = _sum(partial, g, owned)
                    partial = None
                ready.append((nxt, g))
        g = grads = None  # gradients now live only in `ready`/`pending` (see the sole-owner test)


def _answer(nxt, g, deps, pending, ready) -> None:
    """One consumer of `nxt` has reported gradient `g` (None: no gradient from it)."""
    left = deps[nxt] - 1
    if left:
        deps[nxt] = left
        if g is not None:
            partial = pending.get(nxt)
            pending[nxt] = g if partial is None else _sum(partial, g, False)
    else:
        if nxt in pending:
            partial = pending.pop(nxt)
            g = partial if g is None else _sum(partial, g, False)
        ready.append((nxt, g))


# Accumulation into .grad is a read-modify-write: threads that back-propagate into the
# same parameters take turns (PyTorch's AccumulateGrad is atomic per tensor too).
_accumulate_lock = threading.Lock()


def _sole_reference_count() -> int:
    """What sys.getrefcount reports for an object held by one local variable only (2 on CPython
    up to 3.13, where the call's argument counts too; less where arguments are borrowed)."""
    held = object()
    return getrefcount(held)


def _pending_reference_count() -> int:
    """What sys.getrefcount reports for an object held by one dict value and one local (the
    partial sums of `_walk`)."""
    pending = {0: object()}
    held = pending.get(0)
    return getrefcount(held)


getrefcount = sys.getrefcount
_SOLE = _sole_reference_count()
_IN_PENDING = _pending_reference_count()


class BlockGradient:
    """A gradient that is zero but for one basic-indexing block: `values` at `key` of an array of
    `shape` and `dtype`. Slicing's backward returns one, so that the walk adds the slices of one
    value (a layer's q, k and v; an RNN's time steps) into a single array instead of summing a
    zero-filled array per slice; `dense()` is the array itself, made once every consumer has
    answered or when anything else (a hook, a drawing) looks at it.

    >>> BlockGradient((2, 3), np.float64, (slice(None), 1), np.array([5.0, 6.0])).dense()
    array([[0., 5., 0.],
           [0., 6., 0.]])
    """

    __slots__ = ("shape", "dtype", "key", "values")

    def __init__(self, shape: tuple, dtype, key, values: np.ndarray):
        self.shape, self.dtype, self.key, self.values = shape, dtype, key, values

    def dense(self) -> np.ndarray:
        out = np.zeros(self.shape, self.dtype)
        out[self.key] = self.values
        return out


def _sum(partial, g, owned: bool):
    """partial + g where either may be a BlockGradient; a block is added into `partial` in place
    when the walk alone holds it (`owned`), else into a new array."""
    if type(g) is BlockGradient:
        if type(partial) is BlockGradient:
            partial, owned = partial.dense(), True
        if not (owned and _writable_as(partial, g)):
            partial = partial + np.zeros((), g.dtype)  # a new array of the promoted dtype
        partial[g.key] += g.values
        return partial
    if type(partial) is BlockGradient:
        partial, g = g, partial  # one addition for either order
        return _sum(partial, g, False)
    return partial + g


def _summable(partial, g) -> bool:
    """Whether the array `g` may be added into the walk's own partial sum `partial` in place."""
    return type(g) is np.ndarray and _writable_as(partial, g)


def _writable_as(partial, g) -> bool:
    """`partial` is a plain array of g's shape and dtype, writeable and owning its memory (not a
    view), so that g (an array or a block) can be added into it in place."""
    return (type(partial) is np.ndarray and partial.base is None and partial.shape == g.shape
            and partial.dtype == g.dtype and partial.flags.writeable)


def _accumulate_leaf(leaf, grad, Tensor, create_graph=False, owned=False) -> None:
    """Add `grad` into `leaf.grad`. `owned`: nothing else refers to the array `grad`, so a first
    gradient of the leaf's dtype and shape becomes `.grad` itself (PyTorch's AccumulateGrad steals
    such a buffer too) instead of a copy: 65 us saved per 1e6-element leaf."""
    hooks = leaf._hooks if leaf.grad_fn is None else None
    if hooks:
        owned = False
    grad = _run_tensor_hooks(leaf, grad, Tensor)
    if create_graph:
        if not isinstance(grad, Tensor):
            grad = Tensor._make(np.asarray(grad), None)
        with _accumulate_lock:
            leaf.grad = grad if leaf.grad is None else leaf.grad + grad
    else:
        dtype = leaf._data.dtype
        if isinstance(grad, Tensor):
            grad = grad._data
            owned = False  # counted was the Tensor; its array may be shared (a detached view)
        with _accumulate_lock:
            current = leaf.grad
            if current is None or current.shape != grad.shape:
                if owned and _takeable(grad, dtype, leaf.shape):
                    leaf.grad = Tensor._make(grad, None)
                else:  # a copy: `grad` may be shared with other leaves or be a broadcast view
                    leaf.grad = Tensor._make(np.array(grad, dtype=dtype, copy=True), None)
            elif current.requires_grad:  # left by create_graph: stay out of its graph
                leaf.grad = Tensor._make(current._data + grad.astype(dtype, copy=False), None)
            else:
                np.add(current._data, grad, out=current._data, casting="unsafe")
                version.bump(current)
    if _post_accumulate_hooks:
        for hook in tuple(_post_accumulate_hooks.get(id(leaf), ())):
            hook(leaf)


def _takeable(grad, dtype, shape) -> bool:
    """True when `grad`, an array nothing else refers to, may become a leaf's `.grad` as it is:
    writeable, of the leaf's dtype and shape, and owning its memory, or a reshaped view of a whole
    base array that only this view refers to (ops return `dx.reshape(x.shape)`)."""
    if type(grad) is not np.ndarray or grad.dtype != dtype or grad.shape != shape or not grad.flags.writeable:
        return False
    if grad.base is None:
        return True
    # The view's reference is the base's only one: the attribute read below is the call's argument,
    # counted as a local's would be in `_SOLE`.
    return (type(grad.base) is np.ndarray and grad.base.base is None and grad.size == grad.base.size
            and grad.flags.c_contiguous and grad.base.flags.c_contiguous
            and getrefcount(grad.base) == _SOLE)


def _run_tensor_hooks(t, grad, Tensor):
    hooks = t._hooks if t.grad_fn is None else None
    if hooks:
        grad = _run_hooks(hooks, grad, t.shape, "leaf", Tensor)
    return grad


def _run_hooks(hooks, grad, shape, name, Tensor):
    recorded = isinstance(grad, Tensor)
    for hook in hooks:
        out = hook(grad if recorded else Tensor._make(np.asarray(grad), None))
        if out is not None:
            new = out if recorded else (out._data if isinstance(out, Tensor) else np.asarray(out))
            if tuple(new.shape) != tuple(shape):
                raise ShapeError(
                    f"hook on {name}: returned a gradient of shape {tuple(new.shape)}, expected {tuple(shape)}"
                )
            grad = _as_tensor(new) if recorded else new
    return grad


def register_node_post_hook(node, fn):
    """PyTorch's Node.register_hook: fn(grad_inputs, grad_outputs) after the node ran."""
    from .tensor import RemovableHandle

    if node.post_hooks is None:
        node.post_hooks = []
    hooks = node.post_hooks
    hooks.append(fn)
    return RemovableHandle(hooks, fn)


def _run_node_post_hooks(hooks, grads, grad, Tensor):
    wrap = lambda g: None if g is None else (g if isinstance(g, Tensor) else Tensor._make(np.asarray(g), None))
    for hook in hooks:
        hook(tuple(wrap(g) for g in grads), (wrap(grad),))


class AccumulateGrad:
    """What PyTorch shows for a leaf in `grad_fn.next_functions`: the node that adds a
    gradient into `.grad`. `.variable` is the leaf."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


def accumulate_grad_node(leaf) -> AccumulateGrad:
    return AccumulateGrad(leaf)


def vjp_through(node, grad) -> tuple:
    """Recorded backward of a fused op: differentiate its `composite` (the same function
    written with differentiable ops) at the node's inputs, with `create_graph=True`."""
    from .ops.elementwise import clone
    from .tensor import Tensor

    wanted = [i for i, edge in enumerate(node.next) if edge is not None]
    args, seen = list(node.args), set()
    with set_grad_enabled(True):
        for i in wanted:  # a tensor passed twice (conv2d(x, x)) needs a gradient per position
            if _node_of(args[i]) in seen:
                args[i] = clone(args[i])
            seen.add(_node_of(args[i]))
        out = type(node).composite(node, *args, **(node.kwargs or {}))
    targets = {_node_of(args[i]): args[i] for i in wanted}
    captured: dict = {}
    start = out.grad_fn if out.grad_fn is not None else out
    _walk(start, grad, True, Tensor, create_graph=True, targets=targets, captured=captured, stop=True)
    result: list = [None] * len(args)
    for i in wanted:
        g = captured.get(_node_of(args[i]))
        result[i] = None if g is None else _as_tensor(g)
    return tuple(result)


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
