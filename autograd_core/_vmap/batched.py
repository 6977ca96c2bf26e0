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

from ..tensor import Tensor

_tls = threading.local()       # per thread: the stack of active (level, batch size) pairs
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
