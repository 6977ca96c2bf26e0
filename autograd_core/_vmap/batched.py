"""BatchedTensor, the vmap levels, and the batched run that `func.vmap` tries first.

A BatchedTensor has a `core`: a plain Tensor whose leading dims are the batch dims of the
vmap levels the value varies over (ascending level order), followed by the dims of one
example. `shape`/`ndim`/`dtype` report one example's; the values themselves cannot be read
(`_data` is a stand-in that raises `NoBatchRule` on anything but metadata), so any library
code that would look at them makes the run fall back to the per-example loop.

    >>> import autograd_core as ag
    >>> from autograd_core.func import vmap
    >>> vmap(lambda row: (row * row).sum())(ag.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([ 5., 25.])
"""

from __future__ import annotations

import threading

import numpy as np

from .. import random as _random
from ..function import Op
from ..tensor import Tensor
from . import ACTIVE

_tls = threading.local()       # per thread: the stack of active (level, batch size) pairs
_install_lock = threading.Lock()
_original_apply = Op.__dict__["apply"]
_installed = [0]
# Counts for tests and benchmarks: batched runs that finished, and those that fell back.
stats = {"batched": 0, "fallback": 0, "last_reason": None}


class NoBatchRule(BaseException):
    """Some step of a batched run has no batching rule: vmap reruns the call example by
    example. A BaseException so that user code's `except Exception` cannot swallow it."""


def active_levels() -> list:
    """The active (level, size) pairs of this thread, outermost first."""
    levels = getattr(_tls, "levels", None)
    if levels is None:
        levels = _tls.levels = []
    return levels


class BatchedData:
    """What `_data` gives for a BatchedTensor: one example's metadata, and no values."""

    __slots__ = ("bt",)
    __array_priority__ = 2000

    def __init__(self, bt):
        self.bt = bt

    shape = property(lambda self: self.bt.shape)
    ndim = property(lambda self: self.bt.ndim)
    dtype = property(lambda self: self.bt.dtype)
    size = property(lambda self: int(np.prod(self.bt.shape, dtype=np.int64)))
    itemsize = property(lambda self: self.bt.dtype.itemsize)
    # Never contiguous or writeable: `contiguous()` then copies (a batched clone) and
    # nothing writes into the values in place.
    flags = property(lambda self: _NO_FLAGS)

    def __len__(self):
        return self.bt.shape[0]

    def _refuse(self, *args, **kwargs):
        raise NoBatchRule("reads the values of a batched tensor")

    __array__ = __getitem__ = __setitem__ = __iter__ = __bool__ = __float__ = __int__ = _refuse
    __index__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __array_ufunc__ = __array_function__ = _refuse
    __hash__ = object.__hash__

    def __getattr__(self, name):
        raise NoBatchRule(f"reads .{name} of a batched tensor's values")


def _refuse(*args, **kwargs):
    raise NoBatchRule("an in-place change or value read of a batched tensor")


class _Flags:
    c_contiguous = f_contiguous = contiguous = writeable = owndata = False


_NO_FLAGS = _Flags()


class BatchedTensor(Tensor):
    """One example's view of a batch of values (see the module docstring)."""

    __slots__ = ("core", "levels")

    @staticmethod
    def make(core: Tensor, levels: tuple):
        """Wrap `core` (batch dims for `levels` first); a plain Tensor when levels is empty."""
        if not levels:
            return core
        t = object.__new__(BatchedTensor)
        t.core = core
        t.levels = levels
        return t

    # Tensor's attributes, answered for one example.
    _data = property(lambda self: BatchedData(self))
    shape = property(lambda self: self.core.shape[len(self.levels):])
    ndim = property(lambda self: self.core.ndim - len(self.levels))
    dtype = property(lambda self: self.core.dtype)

    @property
    def requires_grad(self):
        return self.core.requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        raise NoBatchRule("sets requires_grad on a batched tensor")

    @property
    def grad_fn(self):
        # The graph lives on the core; code that walks it from here (max's indices, say)
        # finds no node and reads the values instead, which sends the run to the loop.
        return None

    @property
    def grad(self):
        return None

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self):
        return self.ndim

    def numel(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def detach(self):
        return BatchedTensor.make(self.core.detach(), self.levels)

    __array__ = __setitem__ = requires_grad_ = detach_ = retain_grad = register_hook = _refuse
    numpy = item = tolist = _refuse

    def __repr__(self):
        return f"BatchedTensor(levels={self.levels}, core={self.core!r})"

    # Conversions and argmax-style reductions read values outside the graph; they work on
    # the core directly (tensor.py's versions would read `_data`).
    def to(self, *args, **kwargs):
        return BatchedTensor.make(self.core.to(*args, **kwargs), self.levels)

    def astype(self, dtype, copy: bool = True):
        return BatchedTensor.make(self.core.astype(dtype, copy), self.levels)

    def _index_of_extreme(self, dim, keepdim, use_min):
        from ..ops.reduce import normalize_axes

        core = self.core
        k = len(self.levels)
        f = np.argmin if use_min else np.argmax
        if dim is None:
            raw = f(core._data.reshape(core.shape[:k] + (-1,)), axis=-1)
        else:
            (axis,) = normalize_axes(dim, self.ndim, "argmin" if use_min else "argmax") or (0,)
            raw = f(core._data, axis=axis + k, keepdims=keepdim)
        return BatchedTensor.make(Tensor._make(np.asarray(raw, dtype=np.int64), None), self.levels)

    def argmax(self, dim=None, keepdim: bool = False):
        return self._index_of_extreme(dim, keepdim, False)

    def argmin(self, dim=None, keepdim: bool = False):
        return self._index_of_extreme(dim, keepdim, True)

    def _extreme(self, dim, keepdim, use_min):
        from ..ops import reduce as R
        from ..tensor import _ValuesIndices

        if dim is None or isinstance(dim, Tensor) or self.ndim == 0:
            return (R.min if use_min else R.max)(self, dim, keepdim)
        (axis,) = R.normalize_axes(dim, self.ndim, "min" if use_min else "max")
        values = R.MaxDim.apply(self, axis, keepdim, use_min)
        return _ValuesIndices(values, self._index_of_extreme(axis, keepdim, use_min))

    def max(self, dim=None, keepdim: bool = False):  # noqa: A003
        return self._extreme(dim, keepdim, False)

    def min(self, dim=None, keepdim: bool = False):  # noqa: A003
        return self._extreme(dim, keepdim, True)

    # tensor.py binds these operators to their op's apply once, at import; here the op is
    # looked up at call time so that the batching dispatch sees it.
    def __add__(self, other):
        return _E.Add.apply(self, other)

    def __radd__(self, other):
        return _E.Add.apply(other, self)

    def __mul__(self, other):
        return _E.Mul.apply(self, other)

    def __rmul__(self, other):
        return _E.Mul.apply(other, self)

    def __truediv__(self, other):
        return _E.Div.apply(self, other)

    def __rtruediv__(self, other):
        return _E.Div.apply(other, self)

    def tanh(self):
        return _A.Tanh.apply(self)

    def mul(self, other):
        return _E.Mul.apply(self, other)

    def div(self, other):
        return _E.Div.apply(self, other)

    # Comparisons: bool results outside the graph, batched like their operands.
    def _compare(self, other, op):
        levels, sizes, (a, b) = align_raw((self, other))
        return BatchedTensor.make(Tensor._make(np.asarray(op(a, b)), None), levels)

    __eq__ = lambda self, o: self._compare(o, np.equal)  # noqa: E731
    __ne__ = lambda self, o: self._compare(o, np.not_equal)  # noqa: E731
    __lt__ = lambda self, o: self._compare(o, np.less)  # noqa: E731
    __le__ = lambda self, o: self._compare(o, np.less_equal)  # noqa: E731
    __gt__ = lambda self, o: self._compare(o, np.greater)  # noqa: E731
    __ge__ = lambda self, o: self._compare(o, np.greater_equal)  # noqa: E731
    __hash__ = object.__hash__


from ..ops import activation as _A  # noqa: E402
from ..ops import elementwise as _E  # noqa: E402


# -- moving between cores -----------------------------------------------------------------
def batched_of(x):
    """The BatchedTensor behind x (itself, or the owner of a BatchedData), else None."""
    if type(x) is BatchedTensor:
        return x
    if type(x) is BatchedData:
        return x.bt
    return None


def union(values) -> tuple:
    """(levels, {level: size}) over the batched values among `values`."""
    sizes = {}
    for v in values:
        b = batched_of(v)
        if b is not None:
            for j, lv in enumerate(b.levels):
                sizes[lv] = b.core.shape[j]
    return tuple(sorted(sizes)), sizes


def padded_core(b, levels):
    """b's core with a size-1 dim for each level of `levels` that b does not vary over."""
    if b.levels == levels:
        return b.core
    own = dict(zip(b.levels, b.core.shape))
    shape = tuple(own.get(lv, 1) for lv in levels) + b.shape
    return b.core.reshape(shape)


def full_core(x, levels, sizes):
    """x (batched or not) as a core with every level of `levels` at its full size."""
    from ..ops.shape import Expand

    b = batched_of(x)
    if b is not None and b.levels == levels:
        return b.core
    core = padded_core(b, levels) if b is not None else x.reshape((1,) * len(levels) + tuple(x.shape))
    return Expand.apply(core, tuple(sizes[lv] for lv in levels) + tuple(core.shape[len(levels):]))


def align_raw(values) -> tuple:
    """(levels, sizes, raw arrays) for non-differentiable uses: batched values as their
    padded core arrays (logical dims right-aligned), others as they are."""
    levels, sizes = union(values)
    k = len(levels)
    nd = max([np.ndim(v) if batched_of(v) is None else batched_of(v).ndim for v in values] + [0])
    out = []
    for v in values:
        b = batched_of(v)
        if b is None:
            out.append(v._data if isinstance(v, Tensor) else v)
        else:
            raw = padded_core(b, levels)._data
            out.append(raw.reshape(raw.shape[:k] + (1,) * (nd - b.ndim) + raw.shape[k:]))
    return levels, sizes, out


def move_dim(core: Tensor, src: int, dst: int) -> Tensor:
    """core with dim src moved to position dst (a view)."""
    from ..ops.shape import Permute

    if src == dst:
        return core
    order = [d for d in range(core.ndim) if d != src]
    order.insert(dst, src)
    return Permute.apply(core, tuple(order))


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


def run(func, flat_args: list, flat_dims: list, specs: list, n: int, out_dims, kwargs: dict):
    """func(*args) once on batched inputs; raises NoBatchRule when a step has no rule."""
    from ..func import tree_flatten, tree_unflatten

    levels = active_levels()
    level = len(levels) + 1
    levels.append((level, n))
    ACTIVE[0] += 1
    _install()
    gen = _random.default_generator
    real_rng = gen._rng
    guard = _RefusingRng(real_rng, threading.get_ident())
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
        if gen._rng is guard:  # a manual_seed inside the run keeps its new generator
            gen._rng = real_rng
        _uninstall()
        ACTIVE[0] -= 1
        levels.pop()


def run_chunked(func, flat_args: list, flat_dims: list, specs: list, n: int, out_dims, kwargs: dict,
                chunk_size: int):
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
        pieces.append(tree_flatten(run(func, chunk, flat_dims, specs, size, out_dims, kwargs)))
    flat0, spec = pieces[0]
    odims = list(out_dims) if isinstance(out_dims, (tuple, list)) else [out_dims] * len(flat0)
    joined = [cat([flat[j] for flat, _ in pieces], odims[j]) for j in range(len(flat0))]
    return tree_unflatten(joined, spec)


# -- gradients of batched values ----------------------------------------------------------
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
