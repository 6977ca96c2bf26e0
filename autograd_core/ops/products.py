"""Products and diagonals: einsum (any equation), mm/bmm/mv/dot/outer, addmm/baddbmm,
tensordot, kron, cross, diagonal/diag/diag_embed/trace, t/mT.

einsum is the one primitive: the gradient of operand i is itself one einsum of the
output gradient with the other operands (plus identity matrices for a letter repeated
in operand i, and ones for a letter only operand i has), so its backward is polymorphic.
Most of the named products are einsums or matmuls with PyTorch's shape checks.

    >>> import autograd_core as ag
    >>> a, b = ag.ones(2, 3), ag.ones(3, 4)
    >>> einsum("ij,jk->ik", a, b).shape
    (2, 4)
"""

from __future__ import annotations

import functools
import math
import string
from collections import Counter

import numpy as np

from ..function import Op, ShapeError
from .flat import is_raw
from .linalg import MatMul

_LETTERS = string.ascii_letters


# -- einsum ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=1024)
def _parse_einsum(equation: str, shapes: tuple) -> tuple[tuple, str]:
    """Explicit per-operand subscripts and output, with '...' replaced by spare letters
    (cached: models call the same few equations on the same shapes every step)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(
            f"einsum: equation {equation!r} names {len(ins)} operands but {len(shapes)} were given"
        )
    bad = set(eq) - set(_LETTERS) - set(",->.")
    if bad:
        raise ValueError(f"einsum: invalid subscript(s) {''.join(sorted(bad))!r} in {equation!r}")
    spare = [c for c in _LETTERS if c not in eq]
    ell = 0
    for s, shp in zip(ins, shapes):
        n = len(s.replace("...", ""))
        if "..." in s:
            if len(shp) < n:
                raise ValueError(f"einsum: operand of shape {shp} has fewer dims than subscripts {s!r}")
            ell = max(ell, len(shp) - n)
        elif n != len(shp):
            raise ValueError(f"einsum: subscripts {s!r} do not match an operand with {len(shp)} dims {shp}")
    ell_letters = "".join(spare[:ell])
    explicit = []
    for s, shp in zip(ins, shapes):
        if "..." in s:
            k = len(shp) - (len(s) - 3)
            s = s.replace("...", ell_letters[ell - k :])
        explicit.append(s)
    if arrow:
        # an output without '...' sums the ellipsis dims away
        rhs = rhs.replace("...", ell_letters)
        for c in rhs:
            if rhs.count(c) > 1 or not any(c in s for s in explicit):
                raise ValueError(
                    f"einsum: output subscript {c!r} in {equation!r} is repeated or not in any input"
                )
    else:
        counts = Counter("".join(s.replace("...", "") for s in ins))
        rhs = ell_letters + "".join(sorted(c for c, k in counts.items() if k == 1))
    return tuple(explicit), rhs


# Measured (1 thread): planning a contraction path costs ~6 µs, which dominates small
# products (4x5 @ 5x6: 1.6 µs plain, 8 µs planned), while planning sends large ones to BLAS
# (256³ matmul: 11.8 ms -> 0.6 ms; 'bhqd,bhkd->bhqk' at 8x4x64x32: 3.7 ms -> 0.19 ms; a
# 3-operand chain: 333 ms -> 0.19 ms). So plan only when the naive loop nest is large.
_PLAN_ABOVE = 1 << 14


def _einsum_raw(eq: str, *ops):
    if len(ops) > 1:
        sizes = {}
        for sub, o in zip(eq.split("->")[0].split(","), ops):
            sizes.update(zip(sub, np.shape(o)))
        if math.prod(sizes.values()) > _PLAN_ABOVE:
            return np.einsum(eq, *ops, optimize="greedy")
    return np.einsum(eq, *ops, optimize=False)


class Einsum(Op):
    @staticmethod
    def forward(ctx, *ops, subs, out):
        ctx.saved = ops
        ctx.eq = (subs, out)
        try:
            return _einsum_raw(",".join(subs) + "->" + out, *ops)
        except ValueError as exc:
            shapes = ", ".join(str(o.shape) for o in ops)
            raise ShapeError(f"einsum: {exc} for '{','.join(subs)}->{out}' with operands {shapes}") from None

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved
        subs, out = ctx.eq
        sizes = {}
        for s, o in zip(subs, ops):
            for c, n in zip(s, o.shape):
                sizes[c] = max(sizes.get(c, 1), n)
        grads = []
        for i, s in enumerate(subs):
            if ctx.next[i] is None:
                grads.append(None)
                continue
            others = [subs[j] for j in range(len(ops)) if j != i]
            operands = [g] + [ops[j] for j in range(len(ops)) if j != i]
            terms = [out] + others
            seen = set(out).union(*others) if others else set(out)
            spare = iter(c for c in _LETTERS if c not in "".join(subs) + out)
            target = ""
            for c in s:
                if c in target:  # a repeated letter: a fresh one tied by an identity matrix
                    fresh = next(spare)
                    terms.append(c + fresh)
                    operands.append(np.eye(sizes[c], dtype=g.dtype))
                    target += fresh
                else:
                    if c not in seen:  # only operand i has it: the gradient is constant along it
                        terms.append(c)
                        operands.append(np.ones(sizes[c], dtype=g.dtype))
                        seen.add(c)
                    target += c
            eq = ",".join(terms) + "->" + target
            grads.append(_einsum_raw(eq, *operands) if is_raw(g) else einsum(eq, *operands))
        return tuple(grads)


def einsum(equation, *operands):
    """Sum of products over the letters the output omits, PyTorch's einsum: any equation,
    implicit or explicit output, '...' with broadcasting, operands as varargs or one list;
    also the sublist form einsum(op0, [0, 1], op1, [1, 2], [0, 2]).

    >>> import autograd_core as ag
    >>> einsum("bij,bjk->bik", ag.ones(2, 3, 4), ag.ones(2, 4, 5)).shape
    (2, 3, 5)
    """
    if not isinstance(equation, str):  # sublist form
        equation, operands = _sublist_equation((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: expected at least one operand")
    subs, out = _parse_einsum(equation, tuple(tuple(np.shape(o)) for o in operands))
    return Einsum.apply(*operands, subs=subs, out=out)


def _sublist_equation(args):
    def letters(sub):
        return "".join("..." if k is Ellipsis else _LETTERS[int(k)] for k in sub)

    out = None
    if len(args) % 2:  # a trailing output sublist
        out, args = args[-1], args[:-1]
    ops, subs = list(args[0::2]), list(args[1::2])
    eq = ",".join(letters(s) for s in subs) + ("->" + letters(out) if out is not None else "")
    return eq, tuple(ops)


# -- matrix products --------------------------------------------------------------------
def _need(a, ndim, name, what):
    if a.ndim != ndim:
        raise ShapeError(f"{name}: {what} must be {ndim}-D, got shape {tuple(a.shape)}")


def mm(input, mat2):
    """Matrix product of two 2-D tensors (no broadcasting).

    >>> import autograd_core as ag
    >>> mm(ag.ones(2, 3), ag.ones(3, 4)).shape
    (2, 4)
    """
    _need(input, 2, "mm", "input")
    _need(mat2, 2, "mm", "mat2")
    if input.shape[1] != mat2.shape[0]:
        raise ShapeError(f"mm: shapes {tuple(input.shape)} and {tuple(mat2.shape)} cannot be multiplied")
    return MatMul.apply(input, mat2)


def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p) (no broadcasting)."""
    _need(input, 3, "bmm", "input")
    _need(mat2, 3, "bmm", "mat2")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise ShapeError(f"bmm: shapes {tuple(input.shape)} and {tuple(mat2.shape)} cannot be multiplied")
    return MatMul.apply(input, mat2)


def mv(input, vec):
    """Matrix (n, m) times vector (m,)."""
    _need(input, 2, "mv", "input")
    _need(vec, 1, "mv", "vec")
    if input.shape[1] != vec.shape[0]:
        raise ShapeError(f"mv: shapes {tuple(input.shape)} and {tuple(vec.shape)} cannot be multiplied")
    return MatMul.apply(input, vec)


def dot(input, other):
    """Inner product of two 1-D tensors of the same size."""
    _need(input, 1, "dot", "input")
    _need(other, 1, "dot", "other")
    if input.shape != other.shape:
        raise ShapeError(
            f"dot: expected tensors of the same size, got {tuple(input.shape)} and {tuple(other.shape)}"
        )
    return MatMul.apply(input, other)


vdot = dot  # conjugation is the identity on real tensors


def outer(input, vec2):
    """Outer product of two 1-D tensors: (n,) x (m,) -> (n, m)."""
    _need(input, 1, "outer", "input")
    _need(vec2, 1, "outer", "vec2")
    return einsum("i,j->ij", input, vec2)


ger = outer


def inner(input, other):
    """Sum over the last dims: inner(a, b)[..., ...] = Σ_k a[..., k] b[..., k]."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return tensordot(input, other, dims=([-1], [-1]))


def _scaled(x, s):
    return x if s == 1 else x * s


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2); with beta == 0 `input` is ignored (NaNs too)."""
    prod = _scaled(mm(mat1, mat2), alpha)
    return prod if beta == 0 else _scaled(input, beta) + prod


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2)."""
    prod = _scaled(bmm(batch1, batch2), alpha)
    return prod if beta == 0 else _scaled(input, beta) + prod


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * Σ_b batch1[b] @ batch2[b]."""
    prod = _scaled(bmm(batch1, batch2).sum(0), alpha)
    return prod if beta == 0 else _scaled(input, beta) + prod


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec)."""
    prod = _scaled(mv(mat, vec), alpha)
    return prod if beta == 0 else _scaled(input, beta) + prod


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2)."""
    prod = _scaled(outer(vec1, vec2), alpha)
    return prod if beta == 0 else _scaled(input, beta) + prod


def tensordot(a, b, dims=2):
    """Contract the last `dims` dims of a with the first of b, or the listed dim pairs."""
    if isinstance(dims, int) or (hasattr(dims, "ndim") and np.ndim(dims) == 0):
        k = int(dims)
        if k < 0 or k > min(a.ndim, b.ndim):
            raise ValueError(
                f"tensordot: dims={k} is invalid for shapes {tuple(a.shape)} and {tuple(b.shape)}"
            )
        da, db = list(range(a.ndim - k, a.ndim)), list(range(k))
    else:
        da, db = ([int(d)] if np.ndim(d) == 0 else [int(x) for x in d] for d in dims)
    da = [d % a.ndim for d in da]
    db = [d % b.ndim for d in db]
    if len(da) != len(db) or any(a.shape[i] != b.shape[j] for i, j in zip(da, db)):
        raise ShapeError(
            f"tensordot: dims {da} of {tuple(a.shape)} do not match dims {db} of {tuple(b.shape)}"
        )
    la = list(_LETTERS[: a.ndim])
    lb = list(_LETTERS[a.ndim : a.ndim + b.ndim])
    for i, j in zip(da, db):
        lb[j] = la[i]
    out = "".join(c for k, c in enumerate(la) if k not in da) + "".join(
        c for k, c in enumerate(lb) if k not in db
    )
    return einsum("".join(la) + "," + "".join(lb) + "->" + out, a, b)


def kron(input, other):
    """Kronecker product: block (i, j) of the result is input[i, j] * other."""
    from .shape import reshape

    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + tuple(input.shape)
    sb = (1,) * (n - other.ndim) + tuple(other.shape)
    la, lb = _LETTERS[:n], _LETTERS[n : 2 * n]
    prod = einsum(
        f"{la},{lb}->{''.join(x + y for x, y in zip(la, lb))}", reshape(input, sa), reshape(other, sb)
    )
    return reshape(prod, tuple(x * y for x, y in zip(sa, sb)))


def cross(input, other, dim=None):
    """Cross product of 3-vectors along `dim` (default: the first dim of size 3), broadcasting."""
    from .index import narrow
    from .shape import cat

    if input.ndim != other.ndim:
        raise ShapeError(
            f"cross: inputs must have the same number of dims, got {tuple(input.shape)} "
            f"and {tuple(other.shape)}"
        )
    shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
    if dim is None:
        dim = next((d for d, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise ShapeError(f"cross: no dim of size 3 in shape {shape}")
    d = dim % len(shape)
    if shape[d] != 3:
        raise ShapeError(f"cross: dim {dim} must have size 3, got shape {shape}")
    from .shape import expand

    a, b = expand(input, shape), expand(other, shape)
    a0, a1, a2 = (narrow(a, d, i, 1) for i in range(3))
    b0, b1, b2 = (narrow(b, d, i, 1) for i in range(3))
    return cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def linalg_cross(input, other, *, dim=-1):
    """torch.linalg.cross: cross product along `dim` (default the last)."""
    return cross(input, other, dim)


# -- diagonals ---------------------------------------------------------------------------
def _diag_view(a: np.ndarray, offset: int, d1: int, d2: int) -> np.ndarray:
    """A writable strided view of a's diagonal (dims d1, d2 removed, the diagonal last)."""
    n1, n2 = a.shape[d1], a.shape[d2]
    length = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    start = (offset * a.strides[d2] if offset >= 0 else -offset * a.strides[d1]) if length else 0
    keep = [d for d in range(a.ndim) if d not in (d1, d2)]
    shape = tuple(a.shape[d] for d in keep) + (length,)
    strides = tuple(a.strides[d] for d in keep) + (a.strides[d1] + a.strides[d2],)
    base = a.reshape(-1)[start // a.itemsize :] if a.size and length else a
    return np.lib.stride_tricks.as_strided(base, shape, strides, writeable=a.flags.writeable)


class Diagonal(Op):
    """A view of the diagonal; backward writes g onto the diagonal of zeros (DiagEmbed)."""

    is_view = True

    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        ctx.info = (a.shape, offset, d1, d2)
        return _diag_view(a, offset, d1, d2)

    @staticmethod
    def backward(ctx, g):
        shape, offset, d1, d2 = ctx.info
        out = (
            DiagEmbed.forward(DiagEmbed(), g, shape, offset, d1, d2)
            if is_raw(g)
            else DiagEmbed.apply(g, shape, offset, d1, d2)
        )
        return out, None, None, None


class DiagEmbed(Op):
    """zeros(shape) with its (offset, d1, d2) diagonal set to v; backward reads the diagonal."""

    @staticmethod
    def forward(ctx, v, shape, offset, d1, d2):
        ctx.info = (offset, d1, d2)
        out = np.zeros(shape, dtype=v.dtype)
        _diag_view(out, offset, d1, d2)[...] = v
        return out

    @staticmethod
    def backward(ctx, g):
        offset, d1, d2 = ctx.info
        out = _diag_view(g, offset, d1, d2) if is_raw(g) else Diagonal.apply(g, offset, d1, d2)
        return out, None, None, None, None


def _dims2(a_ndim, dim1, dim2, name):
    if a_ndim < 2:
        raise ShapeError(f"{name}: needs at least 2 dims, got {a_ndim}")
    d1, d2 = dim1 % a_ndim, dim2 % a_ndim
    if not (-a_ndim <= dim1 < a_ndim and -a_ndim <= dim2 < a_ndim):
        raise IndexError(f"{name}: dims ({dim1}, {dim2}) out of range for {a_ndim} dims")
    if d1 == d2:
        raise ValueError(f"{name}: dim1 and dim2 cannot be the same dim ({dim1}, {dim2})")
    return d1, d2


def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1):
    """The diagonal of the (dim1, dim2) planes as the last dim, a view (writes show in input).

    >>> import autograd_core as ag
    >>> diagonal(ag.eye(3)).tolist()
    [1.0, 1.0, 1.0]
    """
    d1, d2 = _dims2(input.ndim, dim1, dim2, "diagonal")
    return Diagonal.apply(input, int(offset), d1, d2)


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """Place the last dim of input on the (dim1, dim2) diagonal of new zero planes."""
    n = input.shape[-1] + abs(offset) if input.ndim else 1 + abs(offset)
    ndim = input.ndim + 1
    d1, d2 = _dims2(ndim, dim1, dim2, "diag_embed")
    batch = list(input.shape[:-1])
    shape = []
    for d in range(ndim):
        shape.append(n if d in (d1, d2) else batch.pop(0))
    return DiagEmbed.apply(input, tuple(shape), int(offset), d1, d2)


def diag(input, diagonal: int = 0):
    """1-D input: a square matrix with it on the `diagonal`-th diagonal; 2-D input: a copy
    of that diagonal."""
    from .elementwise import clone

    if input.ndim == 1:
        n = input.shape[0] + abs(diagonal)
        return DiagEmbed.apply(input, (n, n), int(diagonal), 0, 1)
    if input.ndim == 2:
        return clone(Diagonal.apply(input, int(diagonal), 0, 1))
    raise ShapeError(f"diag: expected a 1-D or 2-D tensor, got shape {tuple(input.shape)}")


def trace(input):
    """Sum of the main diagonal of a 2-D tensor."""
    _need(input, 2, "trace", "input")
    return Diagonal.apply(input, 0, 0, 1).sum()


# -- transposes ---------------------------------------------------------------------------
def t(input):
    """Transpose a tensor of at most 2 dims (0-D and 1-D come back as they are)."""
    from .shape import Permute

    if input.ndim > 2:
        raise ShapeError(f"t: expects a tensor with <= 2 dims, got shape {tuple(input.shape)}")
    return Permute.apply(input, tuple(reversed(range(input.ndim))))


def _mT(input):
    """The last two dimensions swapped (a batch of transposed matrices); `mH` is the same on real tensors."""
    from .shape import transpose

    if input.ndim < 2:
        raise ShapeError(f"mT: expects a tensor with >= 2 dims, got shape {tuple(input.shape)}")
    return transpose(input, -2, -1)


TENSOR_METHODS = {
    "mm": mm,
    "bmm": bmm,
    "mv": mv,
    "dot": dot,
    "vdot": vdot,
    "outer": outer,
    "ger": outer,
    "inner": inner,
    "addmm": addmm,
    "baddbmm": baddbmm,
    "addbmm": addbmm,
    "addmv": addmv,
    "addr": addr,
    "kron": kron,
    "cross": cross,
    "diagonal": diagonal,
    "diag": diag,
    "diag_embed": diag_embed,
    "trace": trace,
    "t": t,
    "mT": property(_mT),
    "mH": property(_mT),  # conjugation is the identity on real tensors
    "H": property(t),
}
