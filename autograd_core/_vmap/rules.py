"""Batching rules: each runs an Op once on the cores of its batched arguments.

A rule gets the Op class and the arguments as the op was applied (batched values are
BatchedTensors, or BatchedData where a function passed `t._data` on) and returns the
batched result. The cores have `k` leading batch dims (one per level, see batched.py), so
a rule mostly shifts dims by k, pads one example's dims so that broadcasting lines up, and
applies the op itself to the cores; the op records its own graph node as usual, so
gradients (and gradients of gradients) flow through the cores.

    >>> import autograd_core as ag
    >>> from autograd_core.func import vmap
    >>> vmap(lambda m, v: m @ v)(ag.ones(3, 2, 4), ag.ones(3, 4)).shape
    (3, 2)
"""

from __future__ import annotations

import numpy as np

from ..ops import activation as A
from ..ops import activation_ext as AE
from ..ops import axis_index as AX
from ..ops import conv as CV
from ..ops import elementwise as E
from ..ops import index as I
from ..ops import linalg as L
from ..ops import loss as LS
from ..ops import masking as MK
from ..ops import norm as N
from ..ops import pointwise as PW
from ..ops import pool as PL
from ..ops import products as P
from ..ops import reduce as R
from ..ops import scan as SC
from ..ops import shape as S
from ..ops import shape_more as SMR
from ..ops import softmax as SM
from ..tensor import Tensor
from .batched import BatchedTensor, NoBatchRule, batched_of, full_core, move_dim, padded_core, union


def _only(args, positions) -> None:
    """Refuse batched values outside the argument positions a rule handles."""
    for i, a in enumerate(args):
        if i not in positions and batched_of(a) is not None:
            raise NoBatchRule("a batched value in an argument this rule does not map")


def _single(cls, args):
    """The one batched argument (first position) of a one-tensor op: (core, levels, k)."""
    _only(args, (0,))
    b = batched_of(args[0])
    if b is None or type(args[0]) is not BatchedTensor:
        raise NoBatchRule(f"{cls.__name__}: batched values in an unexpected place")
    return b.core, b.levels, len(b.levels)


def _shift(axis: int, nd: int, k: int) -> int:
    """One example's dim `axis` (of nd dims; negative counts from the end) in the core."""
    return (axis % nd if nd else 0) + k


def elementwise(cls, args, kwargs):
    """Ops that broadcast their tensor operands elementwise (non-tensors pass through)."""
    values = list(args) + list(kwargs.values())
    levels, _ = union(values)
    k = len(levels)
    nd = 0
    for a in values:
        b = batched_of(a)
        nd = max(nd, b.ndim if b is not None else (a.ndim if isinstance(a, (Tensor, np.ndarray)) else 0))

    def lift(a):
        b = batched_of(a)
        if b is None:
            return a
        core = padded_core(b, levels)
        shape = tuple(core.shape)
        if b.ndim < nd:
            core = core.reshape(shape[:k] + (1,) * (nd - b.ndim) + shape[k:])
        return core if type(a) is BatchedTensor else core._data  # BatchedData: a raw operand

    out = cls.apply(*[lift(a) for a in args], **{n: lift(v) for n, v in kwargs.items()})
    return BatchedTensor.make(out, levels)


def reduction(cls, args, kwargs):
    """Ops (a, axes, keepdim, ...) reducing over axes (None: all of one example's dims)."""
    core, levels, k = _single(cls, args)
    axes = args[1]
    nd = core.ndim - k
    axes = tuple(range(k, k + nd)) if axes is None else tuple(_shift(ax, nd, k) for ax in axes)
    return BatchedTensor.make(cls.apply(core, axes, *args[2:], **kwargs), levels)


def along_axis(cls, args, kwargs):
    """Ops (a, axis, ...) working along one dim."""
    core, levels, k = _single(cls, args)
    return BatchedTensor.make(cls.apply(core, _shift(args[1], core.ndim - k, k), *args[2:], **kwargs), levels)


def along_axes(cls, args, kwargs):
    """Ops (a, axes, ...) with a tuple of dims (flip)."""
    core, levels, k = _single(cls, args)
    nd = core.ndim - k
    return BatchedTensor.make(cls.apply(core, tuple(_shift(ax, nd, k) for ax in args[1]), *args[2:]), levels)


def reshape(cls, args, kwargs):
    core, levels, k = _single(cls, args)
    return BatchedTensor.make(cls.apply(core, tuple(core.shape[:k]) + tuple(args[1])), levels)


def permute(cls, args, kwargs):
    core, levels, k = _single(cls, args)
    nd = core.ndim - k
    return BatchedTensor.make(cls.apply(core, tuple(range(k)) + tuple(_shift(d, nd, k) for d in args[1])), levels)


def _lead_ones(core, k, nd):
    """core with one example's dims padded to nd with leading 1s."""
    shape = tuple(core.shape)
    have = len(shape) - k
    return core if have >= nd else core.reshape(shape[:k] + (1,) * (nd - have) + shape[k:])


def expand(cls, args, kwargs):
    core, levels, k = _single(cls, args)
    shape = tuple(args[1])
    core = _lead_ones(core, k, len(shape))
    return BatchedTensor.make(cls.apply(core, tuple(core.shape[:k]) + shape), levels)


def repeat(cls, args, kwargs):
    core, levels, k = _single(cls, args)
    reps = tuple(args[1])
    return BatchedTensor.make(cls.apply(_lead_ones(core, k, len(reps)), (1,) * k + reps), levels)


def pad(cls, args, kwargs):
    core, levels, k = _single(cls, args)
    return BatchedTensor.make(cls.apply(core, ((0, 0),) * k + tuple(args[1]), *args[2:]), levels)


def joined(cls, args, kwargs):
    """cat/stack (*tensors, axis): every operand at the full batch, axis shifted."""
    levels, sizes = union(args)
    cores = [full_core(a, levels, sizes) for a in args]
    k = len(levels)
    nd = cores[0].ndim - k + (cls is S.Stack)  # stack's axis counts the new dim
    return BatchedTensor.make(cls.apply(*cores, axis=_shift(kwargs["axis"], nd, k)), levels)


def getitem(cls, args, kwargs):
    """Indexing with ints, slices, None, Ellipsis and at most one group of adjacent array
    indices (NumPy would move separated ones to the front, ahead of the batch dims)."""
    core, levels, k = _single(cls, args)
    key = args[1]
    parts = key if isinstance(key, tuple) else (key,)
    advanced = [i for i, p in enumerate(parts)
                if isinstance(p, np.ndarray) or isinstance(p, (int, np.integer))]
    if any(isinstance(p, np.ndarray) for p in parts) and advanced != list(range(advanced[0], advanced[-1] + 1)):
        raise NoBatchRule("separated array indices")
    if any(batched_of(p) is not None for p in parts):
        raise NoBatchRule("a batched index")
    return BatchedTensor.make(cls.apply(core, (slice(None),) * k + tuple(parts)), levels)


def index_select(cls, args, kwargs):
    core, levels, k = _single(cls, args)
    return BatchedTensor.make(cls.apply(core, _shift(args[1], core.ndim - k, k), args[2]), levels)


def gather(cls, args, kwargs):
    """gather(a, axis, index): a batched index (class targets) works too."""
    a, axis, index = args
    levels, sizes = union((a, index))
    k = len(levels)
    core = full_core(a, levels, sizes) if batched_of(a) is not None else _full_plain(a, levels, sizes)
    b = batched_of(index)
    if b is not None:
        idx = padded_core(b, levels)._data
    else:
        idx = np.asarray(index).reshape((1,) * k + np.shape(index))
    idx = np.broadcast_to(idx, tuple(sizes[lv] for lv in levels) + idx.shape[k:])
    return BatchedTensor.make(cls.apply(core, _shift(axis, core.ndim - k, k), idx), levels)


def _full_plain(x, levels, sizes):
    return S.Expand.apply(x.reshape((1,) * len(levels) + tuple(x.shape)),
                          tuple(sizes[lv] for lv in levels) + tuple(x.shape))


def matmul(cls, args, kwargs):
    """a @ b with either or both batched: vectors become matrices, the examples' stack dims
    are padded to a common count, and one matmul runs over everything (an unbatched 2-D
    right operand makes it one GEMM over all examples)."""
    a, b = args
    levels, _ = union((a, b))
    k = len(levels)
    da, db = a.ndim, b.ndim
    if da == 0 or db == 0:
        raise NoBatchRule("matmul of a 0-d tensor")

    def prepare(x, as_row):
        bx = batched_of(x)
        if bx is None:
            return x if x.ndim != 1 else x.reshape((1, -1) if as_row else (-1, 1))
        core = padded_core(bx, levels)
        shape = tuple(core.shape)
        if bx.ndim == 1:
            core = core.reshape(shape[:k] + ((1, shape[-1]) if as_row else (shape[-1], 1)))
        return core

    ca, cb = prepare(a, True), prepare(b, False)
    stack = max(max(da, 2), max(db, 2)) - 2  # batch dims of one example's product

    def fill(c, x):
        if batched_of(x) is None:
            return c
        have = c.ndim - k - 2
        shape = tuple(c.shape)
        return c if have == stack else c.reshape(shape[:k] + (1,) * (stack - have) + shape[k:])

    out = cls.apply(fill(ca, a), fill(cb, b))
    shape = tuple(out.shape)
    if da == 1 and db == 1:
        out = out.reshape(shape[:-2])
    elif da == 1:
        out = out.reshape(shape[:-2] + shape[-1:])
    elif db == 1:
        out = out.reshape(shape[:-1])
    return BatchedTensor.make(out, levels)


def einsum(cls, args, kwargs):
    """One letter per level in front of each batched operand's subscripts and the output's."""
    subs, out = kwargs["subs"], kwargs["out"]
    if any("." in sub for sub in subs) or "." in out:
        raise NoBatchRule("einsum with '...'")
    levels, sizes = union(args)
    used = set("".join(subs) + out)
    spare = [c for c in P._LETTERS if c not in used][:len(levels)]
    if len(spare) < len(levels):
        raise NoBatchRule("einsum: no letters left for the batch dims")
    lead = "".join(spare)
    new_subs, ops = [], []
    for sub, a in zip(subs, args):
        if batched_of(a) is None:
            new_subs.append(sub)
            ops.append(a)
        else:
            new_subs.append(lead + sub)
            ops.append(full_core(a, levels, sizes))
    return BatchedTensor.make(cls.apply(*ops, subs=tuple(new_subs), out=lead + out), levels)


def fold_leading(cls, args, kwargs):
    """Ops whose first argument's leading dim holds independent samples (pooling, and a
    convolution with an unbatched kernel): the examples join that dim."""
    core, levels, k = _single(cls, args)
    if core.ndim == k:
        raise NoBatchRule(f"{cls.__name__} of a 0-d value")
    batch, rest = tuple(core.shape[:k]), tuple(core.shape[k:])
    rows = int(np.prod(batch, dtype=np.int64)) * rest[0]
    out = cls.apply(core.reshape((rows,) + rest[1:]), *args[1:], **kwargs)
    return BatchedTensor.make(out.reshape(batch + rest[:1] + tuple(out.shape[1:])), levels)


def conv(cls, args, kwargs):
    """conv(x, w, b, stride, padding, dilation, groups). Per-example kernels (the stand-ins
    of func.grad inside vmap) become one grouped convolution: the examples' channels side by
    side, groups times the number of examples."""
    x, w, b, stride, padding, dilation, groups = args
    if batched_of(w) is None and batched_of(b) is None:
        return fold_leading(cls, args, kwargs)
    levels, sizes = union((x, w, b))
    batch = tuple(sizes[lv] for lv in levels)
    p = int(np.prod(batch, dtype=np.int64))
    n, c, space = x.shape[0], x.shape[1], tuple(x.shape[2:])
    o = w.shape[0]
    xc = full_core(x, levels, sizes).reshape((p, n, c) + space)
    xc = move_dim(xc, 0, 1).reshape((n, p * c) + space)
    wc = full_core(w, levels, sizes).reshape((p * o,) + tuple(w.shape[1:]))
    bc = None if b is None else full_core(b, levels, sizes).reshape(p * o)
    out = cls.apply(xc, wc, bc, stride, padding, dilation, groups * p)
    out = out.reshape((n, p, o) + tuple(out.shape[2:]))
    return BatchedTensor.make(move_dim(out, 1, 0).reshape(batch + (n, o) + tuple(out.shape[3:])), levels)


def linear(cls, args, kwargs):
    """x Wᵀ + b: one fused GEMM when only x is batched; per-example weights (the stand-ins
    of func.grad inside vmap) go through the matmul rule."""
    x, w, bias = args
    if batched_of(w) is None and batched_of(bias) is None:
        core, levels, k = _single(cls, (x,))
        return BatchedTensor.make(cls.apply(core, w, bias), levels)
    out = L.MatMul.apply(x, S.transpose(w, -1, -2))
    return out if bias is None else E.Add.apply(out, bias)


def layer_norm(cls, args, kwargs):
    """One fused node over more rows when only x is batched; per-example weight or bias (the
    stand-ins of func.grad inside vmap) go through the op's composite and its pieces' rules."""
    x, w, bias = args[:3]
    if batched_of(w) is None and batched_of(bias) is None:
        core, levels, _ = _single(cls, (x,))
        return BatchedTensor.make(cls.apply(core, *args[1:], **kwargs), levels)
    return cls.composite(None, *args, **kwargs)


RULES: dict = {}

_ELEMENTWISE = [
    E.Add, E.Sub, E.Mul, E.Div, E.Pow, E.Neg, E.Abs, E.Exp, E.Log, E.Log1p, E.Sqrt, E.Sin, E.Cos,
    E.Clamp, E.Maximum, E.Minimum, E.Where, E.Cast, E.Clone,
    A.Tanh, A.Sigmoid, A.Relu, A.LeakyRelu, A.Gelu, A.GeluTanh, A.Silu, A.Softplus,
    R.StdFromVar, MK.MaskedFill, LS.BCEWithLogits,
    PW.Remainder, PW.Fmod, PW.Atan2, PW.Hypot, PW.LogAddExp, PW.CopySign, PW.XLogY,
]
# The pointwise family's one-input ops (made by its _unary factory), and the activations
# written as y = f(x, *constants).
_ELEMENTWISE += [cls for cls, _ in PW._OPS.values()]
_ELEMENTWISE += [c for c in vars(AE).values()
                 if isinstance(c, type) and issubclass(c, AE._Pointwise) and c is not AE._Pointwise]
for _cls in _ELEMENTWISE:
    RULES[_cls] = elementwise
for _cls in (R.Sum, R.Amax, R.LogSumExp, R.Prod, R.Norm2, N.Standardize):
    RULES[_cls] = reduction
RULES.update({
    SM.Softmax: along_axis, SM.LogSoftmax: along_axis, R.MaxDim: along_axis,
    SC.Cumsum: along_axis, SC.Cumprod: along_axis,
    S.Reshape: reshape, SMR.ViewReshape: reshape, S.Permute: permute, SMR.MovePermute: permute,
    S.Expand: expand, S.Repeat: repeat, S.Flip: along_axes, S.Pad: pad, S.Cat: joined, S.Stack: joined,
    I.GetItem: getitem, I.IndexSelect: index_select, AX.AxisTake: index_select, I.Gather: gather,
    L.MatMul: matmul, L.Linear: linear, P.Einsum: einsum, N.LayerNorm: layer_norm,
    CV.Conv1d: conv, CV.Conv2d: conv,
    PL.MaxPool1d: fold_leading, PL.MaxPool2d: fold_leading, PL.AvgPool2d: fold_leading,
})
