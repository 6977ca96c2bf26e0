"""The batched run of `func.vmap`: wrap the mapped inputs, route ops to their batching
rules while the function runs once, and unwrap the results.

During a run `Op.apply` is swapped for `_dispatching_apply` (restored when the last run in
the process ends), so the per-op path outside vmap is untouched; an op on batched values
goes to its rule (rules.py), any other op runs as usual.

    >>> import autograd_core as ag
    >>> from autograd_core.func import vmap
    >>> vmap(lambda x, w: x @ w, in_dims=(0, None))(ag.ones(4, 3), ag.ones(3, 2)).shape
    (4, 2)
"""

from __future__ import annotations

import threading

from .. import random as _random
from ..function import Op
from ..tensor import Tensor
from . import ACTIVE
from .batched import BatchedData, BatchedTensor, NoBatchRule, active_levels, batched_of, move_dim

_install_lock = threading.Lock()
_original_apply = Op.__dict__["apply"]
_installed = [0]


def wrap(x, level: int, dim: int):
    """x mapped over its dim `dim` at `level` (the newest, hence largest, level)."""
    if not isinstance(x, Tensor):
        raise NoBatchRule("a mapped input that is not a Tensor")
    b = batched_of(x)
    core, levels = (b.core, b.levels) if b is not None else (x, ())
    nd = x.ndim
    d = dim % nd if nd else 0
    k = len(levels)
    return BatchedTensor.make(move_dim(core, k + d, k), levels + (level,))


def unwrap(x, level: int, size: int, out_dim: int):
    """Undo `wrap` on a result: the batch of `level` as dim `out_dim` of the value."""
    from ..ops.shape import Expand

    if not isinstance(x, Tensor):
        raise NoBatchRule("a result that is not a Tensor")
    b = batched_of(x)
    core, levels = (b.core, b.levels) if b is not None else (x, ())
    nd = x.ndim + 1
    if not -nd <= out_dim < nd:
        raise IndexError(f"vmap: out_dims={out_dim} is out of range for a result with {nd} dims")
    od = out_dim % nd
    if level in levels:
        j = levels.index(level)
        rest = levels[:j] + levels[j + 1:]
        return BatchedTensor.make(move_dim(core, j, len(rest) + od), rest)
    # Not batched at this level: every example gave the same value; PyTorch expands it.
    k = len(levels)
    shape = tuple(core.shape)
    core = core.reshape(shape[:k + od] + (1,) + shape[k + od:])
    return BatchedTensor.make(Expand.apply(core, shape[:k + od] + (size,) + shape[k + od:]), levels)


# -- the dispatch ------------------------------------------------------------------------
def _has_batched(args, kwargs) -> bool:
    for a in args:
        t = type(a)
        if t is BatchedTensor or t is BatchedData:
            return True
        if t is tuple or t is list:
            for v in a:
                if type(v) is BatchedTensor or type(v) is BatchedData:
                    return True
    for a in kwargs.values():
        if type(a) is BatchedTensor or type(a) is BatchedData:
            return True
    return False


def _dispatching_apply(cls, *args, **kwargs):
    """Op.apply during a batched run: an op on batched values goes to its rule."""
    if _has_batched(args, kwargs):
        from .rules import RULES

        rule = RULES.get(cls)
        if rule is None:
            raise NoBatchRule(f"no batching rule for {cls.__name__}")
        return rule(cls, args, kwargs)
    return _original_apply.__func__(cls, *args, **kwargs)


def _install() -> None:
    with _install_lock:
        if _installed[0] == 0:
            Op.apply = classmethod(_dispatching_apply)
        _installed[0] += 1


def _uninstall() -> None:
    with _install_lock:
        _installed[0] -= 1
        if _installed[0] == 0:
            Op.apply = _original_apply


class _RefusingRng:
    """The default generator during a batched run, for the running thread: a random draw
    would give every example the same numbers, where the per-example loop gives each its
    own, so a draw sends the run to the loop. Other threads draw as usual."""

    def __init__(self, real, owner):
        self._real, self._owner = real, owner

    def __getattr__(self, name):
        if threading.get_ident() == self._owner:
            raise NoBatchRule("draws random numbers")
        return getattr(self._real, name)


def run(func, flat_args: list, flat_dims: list, specs: list, n: int, out_dims, kwargs: dict,
        same_randomness: bool = False):
    """func(*args) once on batched inputs; raises NoBatchRule when a step has no rule.
    Random draws send the run to the loop, unless every example is to see the same numbers
    (randomness="same"): then one draw serves the whole batch."""
    from ..func import tree_flatten, tree_unflatten

    levels = active_levels()
    level = len(levels) + 1
    levels.append((level, n))
    ACTIVE[0] += 1
    _install()
    gen = _random.default_generator
    real_rng = gen._rng
    guard = None if same_randomness else _RefusingRng(real_rng, threading.get_ident())
    if guard is not None:
        gen._rng = guard
    try:
        call_args = []
        for leaves, ds, spec in zip(flat_args, flat_dims, specs):
            mapped = [x if d is None else wrap(x, level, d) for x, d in zip(leaves, ds)]
            call_args.append(tree_unflatten(mapped, spec))
        out = func(*call_args, **kwargs)
        flat_out, out_spec = tree_flatten(out)
        odims = list(out_dims) if isinstance(out_dims, (tuple, list)) else [out_dims] * len(flat_out)
        if len(odims) != len(flat_out):
            raise NoBatchRule("out_dims does not match the results (the loop reports it)")
        result = [unwrap(o, level, n, d) for o, d in zip(flat_out, odims)]
        if any(batched_of(r) is not None and level in batched_of(r).levels for r in result):
            raise NoBatchRule("a result still batched at the level being closed")
        return tree_unflatten(result, out_spec)
    finally:
        if guard is not None and gen._rng is guard:  # a manual_seed inside keeps its generator
            gen._rng = real_rng
        _uninstall()
        ACTIVE[0] -= 1
        levels.pop()


def run_chunked(func, flat_args: list, flat_dims: list, specs: list, n: int, out_dims, kwargs: dict,
                chunk_size: int, same_randomness: bool = False):
    """`run` on chunks of `chunk_size` examples, the results joined along out_dims."""
    from ..func import tree_flatten, tree_unflatten
    from ..ops.index import narrow
    from ..ops.shape import cat

    if chunk_size < 1:
        raise ValueError(f"vmap: chunk_size should be a positive integer, got {chunk_size}")
    pieces = []
    for start in range(0, n, chunk_size):
        size = min(chunk_size, n - start)
        chunk = [[x if d is None else narrow(x, d, start, size) for x, d in zip(leaves, ds)]
                 for leaves, ds in zip(flat_args, flat_dims)]
        pieces.append(tree_flatten(run(func, chunk, flat_dims, specs, size, out_dims, kwargs, same_randomness)))
    flat0, spec = pieces[0]
    odims = list(out_dims) if isinstance(out_dims, (tuple, list)) else [out_dims] * len(flat0)
    joined = [cat([flat[j] for flat, _ in pieces], odims[j]) for j in range(len(flat0))]
    return tree_unflatten(joined, spec)
