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

from .grad_mode import no_grad, state

_FREED = "freed"  # marks a node whose saved arrays were released by backward()

# The Tensor class, bound by tensor.py when it is defined (tensor.py imports the ops,
# which import this module, so a module-level import here would be circular).
Tensor = None


class ShapeError(ValueError, RuntimeError):
    """Raised when an operation receives shapes it cannot combine.

    A subclass of both ValueError (Python's convention) and RuntimeError (PyTorch's)."""


class Function:
    """Base class of backward nodes; subclass it for custom differentiable operations."""

    # Class-level defaults keep node creation cheap: an instance only sets what differs.
    next: tuple = ()          # one edge per forward argument: a node, a leaf Tensor or None
    saved = None              # what save_for_backward stored; _FREED after backward
    pre_hooks = None          # hooks on the gradient of this node's output
    shape: tuple = ()         # shape of the output, used to un-broadcast gradients
    raw = False               # True for Ops working on raw ndarrays
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
        """The node's label, e.g. `MulBackward`."""
        return type(self).__name__ + "Backward"

    @property
    def next_functions(self) -> tuple:
        """The edges to the inputs' nodes (leaf Tensors appear as themselves)."""
        return self.next

    def release(self) -> None:
        """Free what forward saved (called by the engine after this node's backward)."""
        self.saved = _FREED

    def register_prehook(self, fn) -> None:
        if self.pre_hooks is None:
            self.pre_hooks = []
        self.pre_hooks.append(fn)

    def __repr__(self) -> str:
        return f"<{self.name}>"

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
        ctx.shape = data.shape
        return Tensor._make(data, ctx)

    def run_backward(self, grad: np.ndarray) -> tuple:
        """Call the user's backward with Tensors and hand the engine arrays."""
        with no_grad():
            grads = type(self).backward(self, Tensor._make(grad, None))
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) < len(self.next):
            raise RuntimeError(
                f"{self.name}: backward returned {len(grads)} gradients but forward took "
                f"{len(self.next)} arguments"
            )
        return tuple(
            None if g is None else (g._data if isinstance(g, Tensor) else np.asarray(g))
            for g in grads
        )


class Op(Function):
    """Base of the library's primitives: forward/backward on raw ndarrays.

    `forward(ctx, *args)` returns an ndarray; `backward(ctx, grad)` returns one gradient
    per forward argument (a single array when there is one argument), in the argument's
    shape or in any shape that broadcasts to it (the engine sums it back down).
    """

    raw = True

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls()
        requires = False
        if state.grad_enabled:
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
        else:
            raws = [a._data if isinstance(a, Tensor) else a for a in args]
        try:
            data = cls.forward(ctx, *raws, **kwargs)
        except ValueError as exc:
            if isinstance(exc, ShapeError):
                raise
            shapes = " and ".join(str(tuple(np.shape(r))) for r in raws if hasattr(r, "shape"))
            raise ShapeError(f"{cls.__name__.lower()}: {exc} (input shapes {shapes})") from None
        if type(data) is not np.ndarray:
            data = np.asarray(data)  # NumPy returns scalars for 0-d results
        if state.anomaly:
            _check_finite(ctx.name, "forward", data)
        if not requires:
            return Tensor._make(data, None)
        ctx.next = tuple(edges)
        ctx.shape = data.shape
        return Tensor._make(data, ctx)


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
        op = name[: -len("Backward")].lower() if name.endswith("Backward") else name
        raise RuntimeError(
            f"detect_anomaly: {name} produced {bad} in the {phase} pass of {op} (shape {arr.shape})"
        )
