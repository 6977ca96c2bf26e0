"""Module hooks: removable handles, and the graph nodes behind full backward hooks.

A full backward hook needs the gradients of *all* of a module's inputs (and outputs) at
once, while a graph node has one output. So the tensors are packed: one `HookPack` node
takes them all and returns their concatenation, and each tensor continues as a slice of
it. In backward the engine sums the slices' gradients into the pack's gradient, and the
node's backward sees every tensor's gradient together: it calls the hook there and
returns (possibly replaced) gradients to the original tensors.

    >>> import autograd_core as ag
    >>> import nn
    >>> seen = []
    >>> lin = nn.Linear(2, 1)
    >>> handle = lin.register_full_backward_hook(lambda m, gin, gout: seen.append(gout[0].shape))
    >>> lin(ag.ones(3, 2, requires_grad=True)).sum().backward(); seen
    [(3, 1)]
    >>> handle.remove(); len(lin._backward_hooks)
    0
"""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

from autograd_core import Tensor, is_grad_enabled
from autograd_core.function import Op

__all__ = ["BackwardHook", "HookPack", "RemovableHandle"]

_next_id = itertools.count()


class RemovableHandle:
    """Returned by the `register_*_hook` methods: `remove()` takes the hook out again
    (also on leaving a `with` block).

        >>> hooks = OrderedDict()
        >>> handle = RemovableHandle(hooks); hooks[handle.id] = print
        >>> with handle:
        ...     len(hooks)
        1
        >>> len(hooks)
        0
    """

    def __init__(self, hooks_dict: dict, *, extra_dict: dict | set | list | None = None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict) if _weakrefable(hooks_dict) else (lambda: hooks_dict)
        self.id = next(_next_id)
        self.extra_dicts = [] if extra_dict is None else (extra_dict if isinstance(extra_dict, list) else [extra_dict])

    def remove(self) -> None:
        hooks = self.hooks_dict_ref()
        if hooks is not None and self.id in hooks:
            del hooks[self.id]
        for extra in self.extra_dicts:
            if isinstance(extra, set):
                extra.discard(self.id)
            else:
                extra.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _weakrefable(obj: Any) -> bool:
    try:
        weakref.ref(obj)
    except TypeError:
        return False
    return True


def add_hook(hooks: OrderedDict, hook: Callable, prepend: bool, extra: set | None = None,
             flagged: bool = False) -> RemovableHandle:
    """Store `hook` under a new handle's id (first when `prepend`); `extra` records the id
    when `flagged` (e.g. the hooks registered with_kwargs)."""
    handle = RemovableHandle(hooks, extra_dict=extra)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    if flagged and extra is not None:
        extra.add(handle.id)
    return handle


class HookPack(Op):
    """Identity on several tensors at once, packed into one flat array; its backward
    hands all their gradients to `callback` together (see the module docstring)."""

    @staticmethod
    def forward(ctx, *arrays, callback=None):
        ctx.shapes = [a.shape for a in arrays]
        ctx.dtypes = [a.dtype for a in arrays]
        ctx.callback = callback
        return np.concatenate([a.reshape(-1) for a in arrays]) if arrays else np.zeros(0)

    @staticmethod
    def backward(ctx, g):
        grads, offset = [], 0
        for shape, dtype in zip(ctx.shapes, ctx.dtypes):
            size = int(np.prod(shape, dtype=np.int64))
            piece = g[offset:offset + size].reshape(shape)
            grads.append(piece if piece.dtype == dtype else piece.astype(dtype))
            offset += size
        replaced = ctx.callback(grads)
        return tuple(replaced)


def pack_through(tensors: list[Tensor], callback: Callable[[list], list]) -> list[Tensor]:
    """Route `tensors` through one HookPack node; returns the tensors to use instead."""
    packed = HookPack.apply(*tensors, callback=callback)
    out, offset = [], 0
    for t in tensors:
        size = t._data.size
        piece = packed[offset:offset + size].reshape(t.shape)
        out.append(piece if piece.dtype == t.dtype else piece.astype(t.dtype))
        offset += size
    return out


def _as_tensor(g: Any) -> Tensor | None:
    if g is None or isinstance(g, Tensor):
        return g
    return Tensor._make(np.asarray(g), None)


def _as_raw(g: Any, like: Any) -> Any:
    """A hook's replacement gradient in the form the engine passed (array or Tensor)."""
    if g is None or not isinstance(like, np.ndarray):
        return g
    return g._data if isinstance(g, Tensor) else np.asarray(g)


class BackwardHook:
    """One module call's full backward hooks: wraps the inputs before forward and the
    outputs after it, and calls `hook(module, grad_input, grad_output)` once the input
    gradients are known (at the outputs' backward when no input needs a gradient).
    Backward pre-hooks `hook(module, grad_output)` run on the output gradients first."""

    def __init__(self, module: Any, hooks: list[Callable], pre_hooks: list[Callable]) -> None:
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.n_inputs = 0
        self.input_positions: list[int] = []
        self.grad_outputs: tuple | None = None
        self.input_zeros: list = []
        self.output_zeros: list = []

    def setup_input_hook(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        self.input_positions, self.input_zero_positions = _wrapped_positions(args)
        if not self.input_positions or not is_grad_enabled():
            self.input_positions, self.input_zero_positions = [], []
            return args
        wrapped = pack_through([args[i] for i in self.input_positions], self._on_input_grads)
        self.input_zeros = [(i, args[i]) for i in self.input_zero_positions]
        args = list(args)
        for i, t in zip(self.input_positions, wrapped):
            args[i] = t
        return tuple(args)

    def setup_output_hook(self, result: Any) -> Any:
        single = isinstance(result, Tensor)
        outputs = (result,) if single else result
        if not isinstance(outputs, tuple):
            return result
        positions, zero_positions = _wrapped_positions(outputs)
        if not positions or not is_grad_enabled():
            return result
        self.n_outputs, self.output_positions = len(outputs), positions
        self.output_zeros = [(i, outputs[i]) for i in zero_positions]
        wrapped = pack_through([outputs[i] for i in positions], self._on_output_grads)
        outputs = list(outputs)
        for i, t in zip(positions, wrapped):
            outputs[i] = t
        return outputs[0] if single else tuple(outputs)

    def _spread(self, grads: list, positions: list[int], n: int, zeros: list) -> tuple:
        full: list = [None] * n
        for i, g in zip(positions, grads):
            full[i] = _as_tensor(g)
        for i, t in zeros:  # floating tensors that need no gradient report zeros, as in PyTorch
            full[i] = Tensor._make(np.zeros_like(t._data), None)
        return tuple(full)

    def _on_output_grads(self, grads: list) -> list:
        grad_outputs = self._spread(grads, self.output_positions, self.n_outputs, self.output_zeros)
        for hook in self.pre_hooks:
            result = hook(self.module, grad_outputs)
            if result is not None:
                grad_outputs = _check_count("backward pre-hook", result, self.n_outputs)
        self.grad_outputs = grad_outputs
        if not self.input_positions:  # nothing upstream needs a gradient: report now
            for hook in self.hooks:
                result = hook(self.module, (None,) * self.n_inputs, grad_outputs)
                if result is not None and any(r is not None for r in result):
                    raise RuntimeError("a full backward hook returned gradients for inputs that do not require "
                                       "grad")
        return [_as_raw(grad_outputs[i], g) for i, g in zip(self.output_positions, grads)]

    def _on_input_grads(self, grads: list) -> list:
        grad_inputs = self._spread(grads, self.input_positions, self.n_inputs, self.input_zeros)
        grad_outputs = self.grad_outputs if self.grad_outputs is not None else ()
        for hook in self.hooks:
            result = hook(self.module, grad_inputs, grad_outputs)
            if result is not None:
                grad_inputs = _check_count("backward hook", result, self.n_inputs)
        return [_as_raw(grad_inputs[i], g) for i, g in zip(self.input_positions, grads)]


def _wrapped_positions(values: tuple) -> tuple[list[int], list[int]]:
    """Positions of the Tensors routed through the hook (those needing a gradient) and of
    the floating Tensors that need none (PyTorch reports zero gradients for those)."""
    wrapped = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
    if not wrapped:
        return [], []
    zeros = [i for i, v in enumerate(values)
             if isinstance(v, Tensor) and not v.requires_grad and v._data.dtype.kind == "f"]
    return wrapped, zeros


def _check_count(what: str, result: Any, n: int) -> tuple:
    result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    if len(result) != n:
        raise RuntimeError(f"a {what} returned {len(result)} gradients, but {n} were expected")
    return tuple(_as_tensor(r) for r in result)
