"""`Optimizer`: PyTorch's `param_groups` + `state[p]` design, shared by every optimizer.

Parameters live in *groups*, dicts holding `'params'` and that group's options (so one
model can train its layers at different learning rates); what an algorithm remembers
between steps (momentum buffers, moment estimates) lives in `state[p]`. A subclass's
`step()` gathers, group by group, the arrays of the parameters that have a gradient and
their state, and calls a pure update function (`sgd_update`, `adam_update`, ...) that
changes the parameters in place. Nothing is recorded in the graph: updates act on
`p._data` directly.

    >>> import autograd_core as ag
    >>> import optim
    >>> w = ag.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.8, 1.6], requires_grad=True)
"""

from __future__ import annotations

import copy
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import numpy as np

from autograd_core import Tensor, enable_grad, version

__all__ = ["Optimizer", "check_non_negative", "required"]


class _RequiredParameter:
    """Marks a default that every parameter group must set itself."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def check_non_negative(owner: str, group: dict, *names: str) -> None:
    """Raise a ValueError naming the option unless each of `names` in `group` is a number >= 0.

        >>> check_non_negative("SGD", {"lr": -1.0}, "lr")
        Traceback (most recent call last):
        ...
        ValueError: SGD: invalid lr=-1.0 (it must be >= 0)
    """
    for name in names:
        value = group[name]
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{owner}: {name} must be a number, got {value!r}") from None
        if not number >= 0:  # also rejects NaN
            raise ValueError(f"{owner}: invalid {name}={value!r} (it must be >= 0)")


class Optimizer:
    """Base class of optimizers.

    Args:
        params: an iterable of Tensors, or of dicts each holding `'params'` (Tensors)
            plus options that override `defaults` for that group.
        defaults: the options of groups that do not set them.

    Subclasses implement `step()` and may override `_validate_group(group)` to check a
    group's options (it runs for the constructor's groups and for `add_param_group`).

        >>> import autograd_core as ag
        >>> from optim import SGD
        >>> a, b = ag.zeros(2, requires_grad=True), ag.zeros(3, requires_grad=True)
        >>> opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.5]
    """

    # State entries whose arrays are not shaped like their parameter (load_state_dict skips the check).
    _unshaped_state: frozenset[str] = frozenset()


    def __init_subclass__(cls, **kwargs):
        """Every optimizer's step writes into the parameters' storage: afterwards their
        version counters move on, so a graph recorded before the step refuses to run
        backward with the new values (PyTorch's behaviour)."""
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_bumps_versions", False):
            @functools.wraps(step)
            def stepped(self, *args, **kw):
                result = step(self, *args, **kw)
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is not None:
                            version.bump(p)
                return result

            stepped._bumps_versions = True
            cls.step = stepped

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{self._name}: params must be an iterable of Tensors or dicts, got a single Tensor; "
                "pass [tensor] or model.parameters()"
            )
        _reject_sets(self._name, params)
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    # -- groups -----------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. a layer unfrozen later)."""
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{self._name}: a parameter group must be a dict, got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(f"{self._name}: a parameter group needs a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        else:
            _reject_sets(self._name, params)
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{self._name} can only optimize Tensors, but one of the params is {type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{self._name}: can't optimize a non-leaf Tensor (shape {p.shape}); detach it first"
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{self._name}: a parameter group lists the same parameter more than once")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{self._name}: some parameters appear in more than one parameter group")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"{self._name}: parameter group didn't specify a value of required option {name!r}"
                )
            group.setdefault(name, default)
        self._validate_group(group)
        self.param_groups.append(group)

    def _validate_group(self, group: dict[str, Any]) -> None:
        """Check a group's options; subclasses raise ValueError naming the bad option."""

    # -- stepping ---------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: drop it (default) or fill it with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad._data[...] = 0
                    version.bump(p.grad)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update the parameters once from their `.grad`; returns `closure()` if given."""
        raise NotImplementedError(f"{self._name} does not implement step()")

    @staticmethod
    def _evaluate(closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():  # the closure re-runs forward and backward
            return closure()

    # -- saving -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout, with parameters replaced by indices:
        `{'state': {index: {name: array or number}}, 'param_groups': [{..., 'params': [index, ...]}]}`.
        Everything is a copy, so later steps do not change a state dict already taken.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else copy.deepcopy(v)
                           for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index and s
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state dict taken from an optimizer over parameters of the same shapes.

        Group and parameter counts and each state array's shape are checked first; on any
        mismatch a ValueError says what differs and the optimizer is left unchanged.
        Group options (lr, betas, ...) come from the state dict.
        """
        where = f"{self._name}.load_state_dict"
        try:
            saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        except (KeyError, TypeError):
            raise ValueError(f"{where}: expected a dict with 'state' and 'param_groups' "
                             "(from Optimizer.state_dict())") from None
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{where}: the state dict has {len(saved_groups)} parameter groups but this "
                             f"optimizer has {len(self.param_groups)}")
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{where}: parameter group {i} has {len(saved['params'])} parameters in the "
                                 f"state dict but {len(group['params'])} in this optimizer")
        by_index = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                            chain.from_iterable(g["params"] for g in self.param_groups)))
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for key, values in saved_state.items():
            index = int(key)  # tolerate keys that went through a str-keyed format
            if index not in by_index:
                raise ValueError(f"{where}: the state dict has state for parameter {index}, which no "
                                 "parameter group lists")
            p = by_index[index]
            state[p] = {name: _load_value(where, name, value, p, index, name not in self._unshaped_state)
                        for name, value in values.items()}
        groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new = dict(group)
            new.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
            self._validate_group(new)
            groups.append(new)
        self.param_groups = groups
        self.state = state

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _reject_sets(owner: str, params) -> None:
    if isinstance(params, (set, frozenset)):
        raise TypeError(f"{owner}: params must be an ordered collection (a list), not a set, whose "
                        "order changes between runs")


def _load_value(where: str, name: str, value: Any, p: Tensor, index: int, param_shaped: bool = True) -> Any:
    """A private copy of one state entry, cast to the parameter's dtype when it is param-shaped
    (`param_shaped=False`: an array of its own shape, e.g. LBFGS's flat direction)."""
    if isinstance(value, Tensor):
        value = value._data
    if not isinstance(value, np.ndarray):
        return copy.deepcopy(value)
    if value.ndim == 0:
        return value.item()  # e.g. a step count stored as a 0-d array
    if not param_shaped:
        return np.array(value, copy=True)
    if value.shape != p.shape:
        raise ValueError(f"{where}: state {name!r} of parameter {index} has shape {value.shape} but the "
                         f"parameter has shape {p.shape}")
    dtype = p.dtype if value.dtype.kind == "f" else value.dtype
    return np.array(value, dtype=dtype, copy=True)
