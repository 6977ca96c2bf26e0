"""`Module`: the base class of every layer, with PyTorch's registration rules.

Assigning a `Parameter` to an attribute registers it in `_parameters`, a `Module` in
`_modules`, and `register_buffer` puts non-learnable state (running statistics) in
`_buffers`. Every traversal (`named_parameters`, `state_dict`, `train`, ...) walks those
three dicts in insertion order, so names and orders match PyTorch's.

    >>> import autograd_core as ag
    >>> import nn
    >>> class Affine(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = nn.Parameter(ag.ones(3))
    ...         self.inner = nn.Linear(3, 3)
    ...     def forward(self, x):
    ...         return self.inner(x) * self.scale
    >>> [name for name, _ in Affine().named_parameters()]
    ['scale', 'inner.weight', 'inner.bias']
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator

import numpy as np

from autograd_core import Tensor, no_grad, version
from autograd_core.devices import device as _device
from autograd_core.dtypes import resolve_dtype
from autograd_core.engine import note_module_call

from .hooks import BackwardHook, RemovableHandle, add_hook
from .parameter import Parameter


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What `load_state_dict` could not match: (missing_keys, unexpected_keys), as PyTorch's."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _quoted(keys: list) -> str:
    return ", ".join(f'"{k}"' for k in keys)


_hooks_registered = False  # set by the first register_*_hook call in this process

_HOOK_DICTS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
_HOOK_FLAGS = ("_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs")


def _note_hooks() -> None:
    global _hooks_registered
    _hooks_registered = True


class Module:
    """Base class for layers and models: subclass it, assign sub-layers and Parameters
    in `__init__` (after `super().__init__()`), and define `forward`."""

    training: bool

    def __init__(self) -> None:
        # object.__setattr__: our __setattr__ needs these dicts to exist already.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})
        for name in _HOOK_DICTS:
            object.__setattr__(self, name, OrderedDict())
        for name in _HOOK_FLAGS:
            object.__setattr__(self, name, set())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        # One global check keeps calls cheap until a hook is registered anywhere.
        if _hooks_registered and (d.get("_forward_pre_hooks") or d.get("_forward_hooks")
                                  or d.get("_backward_hooks") or d.get("_backward_pre_hooks")):
            out = self._call_with_hooks(args, kwargs)
        else:
            out = self.forward(*args, **kwargs)
        # One small record per call (not per op) lets ag.viz group this module's nodes.
        if isinstance(out, tuple):
            for item in out:
                note_module_call(self, args, item)
        else:
            note_module_call(self, args, out)
        return out

    def _call_with_hooks(self, args: tuple, kwargs: dict):
        """PyTorch's order: forward pre-hooks, inputs wrapped for backward hooks, forward,
        forward hooks, outputs wrapped for backward hooks."""
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, "
                                           f"new_kwargs), but got {result!r}")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        backward_hook = None
        if self._backward_hooks or self._backward_pre_hooks:
            backward_hook = BackwardHook(self, list(self._backward_hooks.values()),
                                         list(self._backward_pre_hooks.values()))
            args = backward_hook.setup_input_hook(args)
        try:
            result = self.forward(*args, **kwargs)
        except Exception:
            for hook_id, hook in list(self._forward_hooks.items()):  # always_call hooks see failures too
                if hook_id in self._forward_hooks_always_called:
                    try:
                        if hook_id in self._forward_hooks_with_kwargs:
                            hook(self, args, kwargs, None)
                        else:
                            hook(self, args, None)
                    except Exception:
                        pass
            raise
        for hook_id, hook in list(self._forward_hooks.items()):
            if hook_id in self._forward_hooks_with_kwargs:
                hook_result = hook(self, args, kwargs, result)
            else:
                hook_result = hook(self, args, result)
            if hook_result is not None:
                result = hook_result
        if backward_hook is not None:
            result = backward_hook.setup_output_hook(result)
        return result

    # -- hooks --------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call `hook(module, args)` before each forward; a non-None result replaces the
        positional inputs (a non-tuple is wrapped in one). With `with_kwargs`:
        `hook(module, args, kwargs)` returning None or `(args, kwargs)`."""
        _note_hooks()
        return add_hook(self._forward_pre_hooks, hook, prepend, self._forward_pre_hooks_with_kwargs, with_kwargs)

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call `hook(module, args, output)` after each forward (`hook(module, args, kwargs,
        output)` with `with_kwargs`); a non-None result replaces the output. `always_call`
        also calls it (with output None) when forward raises."""
        _note_hooks()
        handle = add_hook(self._forward_hooks, hook, prepend, self._forward_hooks_with_kwargs, with_kwargs)
        handle.extra_dicts.append(self._forward_hooks_always_called)
        if always_call:
            self._forward_hooks_always_called.add(handle.id)
        return handle

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Call `hook(module, grad_input, grad_output)` when the gradients with respect to
        the module's inputs have been computed: tuples with one entry per positional input
        (None where no gradient) and per output. A non-None result replaces grad_input."""
        _note_hooks()
        return add_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Call `hook(module, grad_output)` when the gradients of the module's outputs are
        known, before its inputs' are computed; a non-None result replaces grad_output."""
        _note_hooks()
        return add_hook(self._backward_pre_hooks, hook, prepend)

    # -- registration ---------------------------------------------------------------
    def _dicts(self, what: str) -> tuple:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"cannot assign {what} before Module.__init__() call: call super().__init__() "
                f"first in {type(self).__name__}.__init__"
            )
        return d["_parameters"], d["_buffers"], d["_modules"]

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a Parameter (or None, a declared but absent one such as `bias=False`)."""
        params, buffers, modules = self._dicts(f"parameter '{name}'")
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(nn.Parameter or None required)"
            )
        if name in self.__dict__ or name in buffers or name in modules:
            if name not in params:
                raise KeyError(f"attribute '{name}' already exists")
        params[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add non-learnable state (e.g. running statistics); persistent buffers go into
        `state_dict()`, non-persistent ones do not."""
        params, buffers, modules = self._dicts(f"buffer '{name}'")
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None required)"
            )
        if (name in self.__dict__ or name in params or name in modules) and name not in buffers:
            raise KeyError(f"attribute '{name}' already exists")
        buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` as a child called `name` (the same as `self.name = module`)."""
        params, buffers, modules = self._dicts(f"module '{name}'")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        if (name in self.__dict__ or name in params or name in buffers) and name not in modules:
            raise KeyError(f"attribute '{name}' already exists")
        modules[name] = module

    register_module = add_module

    @staticmethod
    def _check_name(name: str, kind: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f'{kind} name can\'t contain "." and can\'t be empty, got {name!r}')

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                self._dicts(f"parameter '{name}'")  # raises the "call super().__init__()" error
            self._remove_from(name, d, d["_buffers"], d["_modules"])
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(nn.Parameter or None expected)"
                )
            params[name] = None
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                self._dicts(f"module '{name}'")
            self._remove_from(name, d, params, d["_buffers"])
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(nn.Module or None expected)"
                )
            modules[name] = None
            return
        buffers = d.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)"
                )
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name: str, *dicts) -> None:
        for d in dicts:
            if name in d:
                del d[name]

    def __getattr__(self, name: str):
        # Only called when normal lookup fails: look in the three registries, and never
        # return None for a typo.
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            registry = d.get(key)
            if registry is not None and name in registry:
                return registry[name]
        if "_parameters" not in d:
            raise AttributeError(
                f"'{type(self).__name__}' object has no attribute '{name}' (did "
                f"{type(self).__name__}.__init__ call super().__init__()?)"
            )
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            registry = d.get(key)
            if registry is not None and name in registry:
                del registry[name]
                d["_non_persistent_buffers"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list:
        keys = set(super().__dir__())
        for key in ("_parameters", "_buffers", "_modules"):
            keys.update(self.__dict__.get(key, {}))
        return sorted(k for k in keys if not k[0].isdigit())

    # -- traversal ------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and all below it, depth first, each once (a shared one under its first name)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool = True):
        # A memo of ids: a Parameter shared by two layers is reported once, under its first name.
        memo = set()
        if recurse:
            pairs = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        else:
            pairs = [(prefix, self)]
        for module_prefix, module in pairs:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in memo):
                    continue
                memo.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs in registration order, shared ones once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def get_submodule(self, target: str) -> Module:
        """The module at a dotted path, e.g. `model.get_submodule("encoder.0")`."""
        module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no submodule '{part}' (in '{target}')")
            module = child
        return module

    def get_parameter(self, target: str) -> Parameter:
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if module._parameters.get(name) is None:
            raise AttributeError(f"{type(module).__name__} has no parameter '{name}' (in '{target}')")
        return module._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at a dotted path, e.g. `model.get_buffer("bn.running_mean")`."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._buffers or module._buffers[name] is None:
            raise AttributeError(f"{type(module).__name__} has no buffer '{name}' (in '{target}')")
        return module._buffers[name]

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call `fn` on every submodule (children first) and on self, like PyTorch; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- modes and gradients ----------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every submodule; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off, batch norm uses running statistics); returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to None (default) or to zeros in place."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad._data[...] = 0
                version.bump(p.grad)

    # -- dtypes -------------------------------------------------------------------------
    def to(self, *args, **kwargs) -> Module:
        """Convert floating parameters and buffers to a dtype, in place; returns self.

        As PyTorch's: `.to(dtype)`, `.to(device)`, `.to(device, dtype)`, `.to(tensor)` (its
        dtype). Devices ("cpu", `ag.device('cpu')`) are checked and otherwise ignored, since
        everything lives on the CPU; "cuda" or "mps" raise the CPU-only error.
            >>> lin = Linear(2, 1).to(np.float64)   # doctest: +SKIP
        """
        dtype = kwargs.get("dtype")
        if kwargs.get("device") is not None:
            _device(kwargs["device"])
        for a in args:
            if a is None:
                continue
            if isinstance(a, (str, _device)):
                _device(a)  # validates the name: only the CPU exists here
                continue
            dtype = a.dtype if isinstance(a, Tensor) else a
        if dtype is None:
            return self
        dtype = resolve_dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to only accepts floating dtypes, got {dtype}")
        for t in list(self.parameters()) + list(self.buffers()):
            # Same objects, new arrays: optimizers holding these Parameters still see them.
            if t._data.dtype.kind == "f":
                t._data = t._data.astype(dtype)
                if t.grad is not None:
                    t.grad._data = t.grad._data.astype(dtype)
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def half(self) -> Module:
        return self.to(np.float16)

    def float(self) -> Module:
        return self.to(np.float32)

    def cpu(self) -> Module:
        return self

    # -- state dict ---------------------------------------------------------------------
    def state_dict(self, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict:
        """name -> Tensor for every parameter and persistent buffer, with PyTorch's keys.

        The values are detached Tensors sharing the module's arrays (as torch's share
        storage): copy them (or save them) if the module will keep training.
        """
        if destination is None:
            destination = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def _local_state(self) -> dict:
        local = {k: v for k, v in self._parameters.items() if v is not None}
        local.update((k, v) for k, v in self._buffers.items()
                     if v is not None and k not in self._non_persistent_buffers)
        return local

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False) -> tuple:
        """Copy values (Tensors or arrays) into this module's parameters and buffers, in place.

        Shapes must match (the error names the key and both shapes). With `strict=True`
        missing or unexpected keys raise; either way they are returned as
        `(missing_keys, unexpected_keys)`. (`assign` is accepted for PyTorch compatibility:
        values are always copied into the existing tensors, which optimizers hold.)
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"expected a mapping for state_dict, got {type(state_dict).__name__}")
        missing, expected, errors = [], set(), []
        with no_grad():
            for prefix, module in self._all_modules_with_duplicates(""):
                for name, target in module._local_state().items():
                    key = prefix + name
                    expected.add(key)
                    if key not in state_dict:
                        missing.append(key)
                        continue
                    value = state_dict[key]
                    arr = np.asarray(value._data if isinstance(value, Tensor) else value)
                    if arr.shape != target._data.shape:
                        errors.append(
                            f"size mismatch for {key}: copying a param with shape {arr.shape} from "
                            f"checkpoint, the shape in current model is {target._data.shape}."
                        )
                        continue
                    np.copyto(target._data, arr, casting="unsafe")
                    version.bump(target)
        unexpected = [k for k in state_dict if k not in expected]
        if strict:
            if unexpected:
                errors.insert(0, f"Unexpected key(s) in state_dict: {_quoted(unexpected)}. ")
            if missing:
                errors.insert(0, f"Missing key(s) in state_dict: {_quoted(missing)}. ")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors)
            )
        return _IncompatibleKeys(missing, unexpected)

    def _all_modules_with_duplicates(self, prefix: str):
        # state_dict lists a shared submodule under every name; loading must accept them all.
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module._all_modules_with_duplicates(prefix + name + ".")

    # -- printing -------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The part inside the parentheses of this module's repr (override in layers)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"
