"""The `Function` base: an operation's forward and backward side by side.

An instance of a Function subclass is the *backward node* of the graph (PyTorch's
`ctx`/`grad_fn`): it holds what the forward saved and the edges to its inputs.

Two flavours share this base:

* `Op` — the library's own primitives. `forward(ctx, *args)` and `backward(ctx, grad)`
  are static methods on raw `numpy.ndarray`s (non-Tensor arguments such as Python
  scalars, axes or flags pass through unchanged). This is the hot path.
* `Function` — the public, PyTorch-style API for custom operations. `forward`
  receives Tensors (run with grad recording off) and `backward` receives and returns
  Tensors.

    >>> import autograd_core as ag
    >>> class Cube(ag.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return 3 * x ** 2 * grad
    >>> x = ag.tensor([2.0], requires_grad=True)
    >>> Cube.apply(x).backward(ag.ones(1)); x.grad
    tensor([12.])

The engine (`engine.py`) owns everything generic: recording the edges, un-broadcasting
returned gradients, checking their shapes, hooks and freeing saved arrays.
"""

from __future__ import annotations

import numpy as np

from . import version
from .dtypes import promote_operands
from .grad_mode import anomaly_used, enable_grad, no_grad, state

_clock = version.clock  # the in-place clock (version.py), read once per recorded node
_new = object.__new__
_FREED = "freed"  # marks a node whose saved arrays were released by backward()

# The Tensor class, bound by tensor.py when it is defined (tensor.py imports the ops,
# which import this module, so a module-level import here would be circular).
Tensor = None


class ShapeError(ValueError, RuntimeError):
    """Raised when an operation receives shapes it cannot combine.

    A subclass of both ValueError (Python's convention) and RuntimeError (PyTorch's)."""


class HyperParameterError(ValueError, RuntimeError):
    """A layer or functional argument outside its valid range (a ValueError and a
    RuntimeError, as PyTorch raises one or the other depending on where it checks)."""


class NodeName(str):
    """A node's name: a string that can also be called, since PyTorch spells it `name()`."""

    def __call__(self) -> str:
        return str(self)


class Function:
    """Base class of backward nodes; subclass it for custom differentiable operations."""

    # Class-level defaults keep node creation cheap: an instance only sets what differs.
    next: tuple = ()          # one edge per forward argument: a node, a leaf Tensor or None
    saved = None              # what save_for_backward stored; _FREED after backward
    args: tuple = ()          # the forward's arguments (Tensors and constants), until backward
    kwargs = None             # the forward's keyword arguments, when there were any
    out_id = 0                # id() of the output array, to recognise it among `saved`
    stamp = 0                 # the version clock when the node was recorded (see version.py)
    pre_hooks = None          # hooks on the gradient of this node's output
    post_hooks = None         # hooks run after this node's backward (Node.register_hook)
    shape: tuple = ()         # shape of the output, used to un-broadcast gradients
    raw = False               # True for Ops working on raw ndarrays
    is_view = False           # True for Ops whose output may share memory with input 0
    composite = None          # fused Ops: the same function written with differentiable ops
    # Inputs whose edge only orders the backward walk: their "gradient" is a placeholder
    # (see ops/recurrence.py); drawings show them as ordering edges, not gradients.
    ordering_inputs: tuple = ()

    # -- the ctx API -------------------------------------------------------------
    def save_for_backward(self, *values) -> None:
        """Keep values for backward; the engine frees them once backward has run."""
        self.saved = values

    @property
    def saved_tensors(self) -> tuple:
        saved = self.saved
        if saved is _FREED:
            raise freed_error(self.name)
        return () if saved is None else saved

    @property
    def needs_input_grad(self) -> tuple:
        """One bool per forward argument: does that argument need a gradient?"""
        return tuple(edge is not None for edge in self.next)

    @property
    def name(self) -> str:
        """The node's label as PyTorch names it: `CubeBackward` for a custom Function,
        `MulBackward0` for the library's ops. Also callable, as PyTorch's `grad_fn.name()`."""
        return NodeName(type(self).__name__ + ("Backward0" if self.raw else "Backward"))

    @property
    def next_functions(self) -> tuple:
        """PyTorch's `((node, 0), ...)` pairs: leaves appear as their `AccumulateGrad` node."""
        from .engine import accumulate_grad_node

        return tuple(
            (None, 0) if e is None else
            ((e, 0) if isinstance(e, Function) else (accumulate_grad_node(e), 0))
            for e in self.next
        )

    def release(self) -> None:
        """Free what forward saved (called by the engine after this node's backward)."""
        self.saved = _FREED
        self.args = ()

    def register_prehook(self, fn) -> None:
        if self.pre_hooks is None:
            self.pre_hooks = []
        self.pre_hooks.append(fn)

    def register_hook(self, fn):
        """PyTorch's Node.register_hook: fn(grad_inputs, grad_outputs) after this node ran."""
        from .engine import register_node_post_hook

        return register_node_post_hook(self, fn)

    def __repr__(self) -> str:
        return f"<{self.name} object at {id(self):#x}>"

    # -- public custom-Function path -----------------------------------------------
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise TypeError("a Function subclass must define a static forward(ctx, *args)")

    @staticmethod
    def backward(ctx, grad_output):
        raise TypeError("a Function subclass must define a static backward(ctx, grad_output)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on Tensors with recording off, then record one node for the result."""
        ctx = cls()
        requires = state.grad_enabled and any(
            isinstance(a, Tensor) and a.requires_grad for a in args
        )
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if isinstance(out, tuple):
            raise TypeError(f"{cls.__name__}.forward must return a single Tensor, got a tuple")
        data = out._data if isinstance(out, Tensor) else np.asarray(out)
        if state.anomaly:
            _check_finite(ctx.name, "forward", data)
        if not requires:
            return Tensor._make(data, None)
        ctx.next = tuple(_edge(a) if isinstance(a, Tensor) else None for a in args)
        ctx.args = args
        ctx.stamp = version.clock[0]
        ctx.shape = data.shape
        result = Tensor._make(data, ctx)
        if ctx.saved is not None and isinstance(out, Tensor):
            # An output saved in forward stands for the result itself (double backward).
            ctx.saved = tuple(result if s is out else s for s in ctx.saved)
        return result

    def run_backward(self, grad, create_graph: bool = False) -> tuple:
        """Call the user's backward with Tensors; hand the engine arrays (or Tensors when
        the backward pass is being recorded)."""
        if create_graph:
            with enable_grad():
                grads = type(self).backward(self, grad)
        else:
            with no_grad():
                grads = type(self).backward(self, Tensor._make(grad, None))
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) < len(self.next):
            raise RuntimeError(
                f"{self.name}: backward returned {len(grads)} gradients but forward took "
                f"{len(self.next)} arguments"
            )
        if create_graph:
            return tuple(None if g is None else _as_tensor(g) for g in grads)
        return tuple(
            None if g is None else (g._data if isinstance(g, Tensor) else np.asarray(g))
            for g in grads
        )


def once_differentiable(backward):
    """Decorator for a custom Function's backward that is not itself differentiable:
    it runs with recording off, and differentiating its result again raises (PyTorch's
    `torch.autograd.function.once_differentiable`)."""
    import functools

    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with no_grad():
            out = backward(ctx, *grads)
        # What the result depends on: the incoming gradients and the forward's inputs.
        sources = [g for g in grads if isinstance(g, Tensor)]
        sources += [a for a in getattr(ctx, "args", ()) if isinstance(a, Tensor)]
        if not state.grad_enabled or not any(s.requires_grad for s in sources):
            return out
        outs = out if isinstance(out, tuple) else (out,)
        marked = tuple(
            None if o is None else OnceDifferentiableError.apply(_as_tensor(o), *sources) for o in outs
        )
        return marked if isinstance(out, tuple) else marked[0]

    return wrapper


class Op(Function):
    """Base of the library's primitives: forward/backward on raw ndarrays.

    `forward(ctx, *args)` returns an ndarray; `backward(ctx, grad)` returns one gradient
    per forward argument (a single array when there is one argument), in the argument's
    shape or in any shape that broadcasts to it (the engine sums it back down).

    Higher-order gradients reuse the same `backward`: when the backward pass is itself
    recorded (`create_graph=True`), the engine calls it with `grad` and every saved
    input or output as Tensors (see `graph_backward`), so a backward is written once,
    with operators, shared methods and NumPy functions that Tensors also answer.
    Fused ops whose backward runs a kernel give `composite`: the same function written
    with differentiable ops, through which the recorded backward goes instead.
    """

    raw = True
    # Positions of the operands that PyTorch's type promotion applies to (dtypes.py), and
    # whether integer results become floating (true division).
    promote: tuple | None = None
    to_float = False
    # Binary ops (promote == (0, 1)) whose Python-number operand may be passed to NumPy as
    # a cached 0-d array of the tensor's dtype: the same result, without NumPy's slower
    # handling of Python scalars on every call (see _scalar_array).
    scalar_operand = False

    @classmethod
    def apply(cls, *args, **kwargs):
        promote = cls.promote
        if promote is not None:  # the common cases answer here; the rest in dtypes.py
            i, j = promote
            a, b = args[i], args[j]
            tb = type(b)
            if tb is float or tb is int:
                same = isinstance(a, Tensor) and a._data.dtype.kind == "f"
                if same and cls.scalar_operand:
                    s = _scalars.get((b, a._data.dtype))
                    if s is not None or (s := _scalar_array(b, a._data.dtype)) is not None:
                        args = (a, s)
            elif isinstance(b, Tensor):
                db = b._data.dtype
                if isinstance(a, Tensor):
                    same = a._data.dtype == db and (db.kind == "f" or not cls.to_float)
                else:
                    ta = type(a)
                    same = (ta is float or ta is int) and db.kind == "f"
                    if same and cls.scalar_operand:
                        s = _scalars.get((a, db))
                        if s is not None or (s := _scalar_array(a, db)) is not None:
                            args = (s, b)
            else:
                same = not isinstance(a, Tensor)
            if not same:
                args = promote_operands(args, promote, cls.to_float)
        ctx = _new(cls)  # Ops define no __init__: skip type.__call__
        requires = False
        n = len(args)
        if not state.grad_enabled:
            raws = [a._data if isinstance(a, Tensor) else a for a in args]
        elif 0 < n <= 2:  # unrolled for the one- and two-operand ops that dominate
            a = args[0]
            if isinstance(a, Tensor):
                ra, ea = a._data, ((a.grad_fn or a) if a.requires_grad else None)
            else:
                ra, ea = a, None
            if n == 1:
                raws, edges, requires = (ra,), (ea,), ea is not None
            else:
                b = args[1]
                if isinstance(b, Tensor):
                    rb, eb = b._data, ((b.grad_fn or b) if b.requires_grad else None)
                else:
                    rb, eb = b, None
                raws, edges, requires = (ra, rb), (ea, eb), ea is not None or eb is not None
        else:
            edges = []
            raws = []
            for a in args:
                if isinstance(a, Tensor):
                    raws.append(a._data)
                    if a.requires_grad:
                        requires = True
                        edges.append(a.grad_fn or a)
                        continue
                else:
                    raws.append(a)
                edges.append(None)
            edges = tuple(edges)
        try:
            data = cls.forward(ctx, *raws, **kwargs)
        except ValueError as exc:
            if isinstance(exc, ShapeError):
                raise
            shapes = " and ".join(str(tuple(np.shape(r))) for r in raws if hasattr(r, "shape"))
            raise ShapeError(f"{cls.__name__.lower()}: {exc} (input shapes {shapes})") from None
        if type(data) is not np.ndarray:
            data = _scalar_output(ctx, data)  # NumPy returns scalars for 0-d results
        if anomaly_used[0] and state.anomaly:
            _check_finite(ctx.name, "forward", data)
        if requires:
            ctx.next = edges
            # The arguments are kept only where backward may need them as Tensors: to check
            # and re-wrap what the op saved (version.py, saved_as_tensor), or for `composite`.
            if ctx.saved is not None:
                ctx.args = args
                ctx.out_id = id(data)  # the output may be among the saved values
            elif cls.composite is not None:
                ctx.args = args
            if kwargs:
                ctx.kwargs = kwargs
            stamp = _clock[0]
            if stamp:  # 0 (nothing was ever changed in place) is the class default
                ctx.stamp = stamp
            ctx.shape = data.shape
            # Tensor._make, inlined: one frame less on every recorded op.
            out = _new(Tensor)
            out._data = data
            out.grad = None
            out.requires_grad = True
            out.grad_fn = ctx
        else:
            out = _new(Tensor)
            out._data = data
            out.grad = None
            out.requires_grad = False
            out.grad_fn = None
        if cls.is_view:
            version.mark_view(out, args, cls, kwargs)
        return out

    @classmethod
    def call(cls, *args, **kwargs):
        """Apply the op to Tensors (recorded) or, when no argument is a Tensor, run its
        forward on raw arrays: how a backward uses another op as one of its steps, so that
        the same backward serves first-order (arrays) and recorded (Tensors) passes."""
        for a in args:
            if isinstance(a, Tensor):
                return cls.apply(*args, **kwargs)
        return cls.forward(cls(), *args, **kwargs)

    def graph_backward(self, grad) -> tuple:
        """This node's backward recorded as a graph: `grad` and the result are Tensors."""
        cls = type(self)
        if cls.composite is not None:
            from .engine import vjp_through

            return vjp_through(self, grad)
        ctx = object.__new__(cls)
        ctx.__dict__.update(self.__dict__)
        if self.saved is not None:
            ctx.saved = tuple(self.saved_as_tensor(s) for s in self.saved)
        with enable_grad():
            grads = cls.backward(ctx, grad)
        if type(grads) is not tuple:
            grads = (grads,)
        for g, edge in zip(grads, self.next):
            if type(g) is np.ndarray and edge is not None:
                # A raw array here means some step of the backward ran outside the graph
                # (a kernel, np.asarray): differentiating it again would be silently wrong.
                raise RuntimeError(
                    f"{self.name}: this operation's backward is not differentiable (it returned a "
                    "raw array while the backward pass was being recorded with create_graph=True)"
                )
        return tuple(None if g is None else _as_tensor(g) for g in grads)

    def saved_as_tensor(self, s):
        """A saved array as the Tensor it was in forward: an input, the output, or a
        constant (masks, indices and other values the op's derivative treats as fixed)."""
        if type(s) is not np.ndarray:
            return s
        for a in self.args:
            if isinstance(a, Tensor) and a._data is s:
                return a
        if id(s) == self.out_id:
            return Tensor._make(s, self)
        return s


class OnceDifferentiableError(Op):
    """Passes a gradient through, and raises if anyone differentiates it again."""

    @staticmethod
    def forward(ctx, value, *grads):
        return value

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )


_scalars: dict = {}  # (Python number, dtype) -> read-only 0-d array; see Op.scalar_operand


def _scalar_array(value, dtype):
    """`value` as a read-only 0-d array of float `dtype`, cached; None where that could
    differ from NumPy's own handling of the Python number (zero, whose sign a cache keyed
    by value would lose; float16; non-native byte order; huge integers)."""
    if not value or dtype.char not in "fd" or not dtype.isnative:
        return None
    if type(value) is int and not -(2**53) < value < 2**53:
        return None
    if len(_scalars) >= 1024:  # bounded: programs with ever-new constants do not grow it
        _scalars.clear()
    arr = np.array(value, dtype=dtype)
    arr.flags.writeable = False
    _scalars[(value, dtype)] = arr
    return arr


def constant(value, dtype):
    """`value` as the cached read-only 0-d array of float `dtype` the ops pass to NumPy (faster
    than a Python number there), or `value` itself where no such array is kept."""
    s = _scalars.get((value, dtype))
    if s is None:
        s = _scalar_array(value, dtype)
    return value if s is None else s


def _scalar_output(ctx, data) -> np.ndarray:
    arr = np.asarray(data)
    if ctx.saved is not None:  # keep the saved output recognisable as the output
        ctx.saved = tuple(arr if s is data else s for s in ctx.saved)
    return arr


def _as_tensor(g):
    return g if isinstance(g, Tensor) else Tensor._make(np.asarray(g), None)


def freed_error(name: str) -> RuntimeError:
    return RuntimeError(
        f"{name}: trying to backward through the graph a second time (or to read saved "
        "values after they were freed). The saved arrays are released after the first "
        "backward(); call backward(retain_graph=True) the first time if you need to go "
        "through the graph again."
    )


def _edge(t):
    """The graph edge for Tensor `t`: its node, itself if it is a leaf needing grad, or None."""
    if not t.requires_grad:
        return None
    return t.grad_fn or t


def _check_finite(name: str, phase: str, data) -> None:
    arr = np.asarray(data)
    if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        bad = "NaN" if np.isnan(arr).any() else "inf"
        op = name.rstrip("0123456789")
        op = op[: -len("Backward")].lower() if op.endswith("Backward") else op
        raise RuntimeError(
            f"detect_anomaly: {name} produced {bad} in the {phase} pass of {op} (shape {arr.shape})"
        )
