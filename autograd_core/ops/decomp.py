"""Linear algebra with gradients: norms, det/slogdet, inv, solve, cholesky, qr, svd, eigh, cdist.

Forward is LAPACK through NumPy; each backward is PyTorch's formula written with the
public ops (via `lift`/`lower`), so it also runs on Tensors for higher-order gradients.
Gradients of svd/eigh vectors assume distinct (singular/eigen)values, as PyTorch's do.

    >>> import autograd_core as ag
    >>> a = ag.tensor([[2.0, 0.0], [0.0, 3.0]], dtype=ag.float64, requires_grad=True)
    >>> det(a).backward(); a.grad
    tensor([[3., 0.],
            [0., 2.]], dtype=float64)
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ..function import Op, ShapeError
from .flat import is_raw, lift, lower

_SVD = namedtuple("svd", ["U", "S", "Vh"])
_QR = namedtuple("qr", ["Q", "R"])
_Eigh = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
_Slogdet = namedtuple("slogdet", ["sign", "logabsdet"])


def _square(a, name):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"linalg.{name}: expected a batch of square matrices, got shape {tuple(a.shape)}")


def _float(a, name):
    if a.dtype.kind not in "fc":
        raise TypeError(f"linalg.{name}: expected a floating point tensor, got dtype {a.dtype}")


def _lapack(fn, name, *args):
    try:
        return fn(*args)
    except np.linalg.LinAlgError as exc:
        raise RuntimeError(f"linalg.{name}: {exc}") from None


def _eye_like(n, dtype):
    return np.eye(n, dtype=dtype)


# -- det, slogdet, inv, solve ----------------------------------------------------------------
class Det(Op):
    """d det(A) = adj(A)ᵀ: det(A) · A⁻ᵀ, or for a singular A, from its SVD
    (adj(A)ᵀ = det(U) det(Vh) · U diag(Π_{j≠i} s_j) Vh), as PyTorch."""

    @staticmethod
    def forward(ctx, a):
        out = np.asarray(_lapack(np.linalg.det, "det", a), dtype=a.dtype)
        ctx.saved = (a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        first = is_raw(g)
        a, out = lift(*ctx.saved)
        g = lift(g)
        scale = g.unsqueeze(-1).unsqueeze(-1)
        if np.all(out._data != 0):
            return lower((g * out).unsqueeze(-1).unsqueeze(-1) * inv(a).mT, first)
        return lower(scale * _adjugate_t(a), first)


def _adjugate_t(a):
    """adj(a)ᵀ through the SVD: defined (and differentiable) for singular matrices too."""
    from . import reduce as R
    from .elementwise import where

    u, s, vh = svd(a, full_matrices=False)
    n = s.shape[-1]
    eye = np.eye(n, dtype=bool)
    others = R.prod(where(eye, 1.0, s.unsqueeze(-2)), -1)  # Π_{j≠i} s_j
    sign = np.linalg.det(u._data) * np.linalg.det(vh._data)
    return (u * others.unsqueeze(-2)) @ vh * np.asarray(sign, dtype=a.dtype)[..., None, None]


class LogAbsDet(Op):
    """log|det A|; its gradient is A⁻ᵀ."""

    @staticmethod
    def forward(ctx, a):
        _, logabs = _lapack(np.linalg.slogdet, "slogdet", a)
        ctx.saved = (a,)
        return np.asarray(logabs, dtype=a.dtype)

    @staticmethod
    def backward(ctx, g):
        first = is_raw(g)
        a, g = lift(ctx.saved[0], g)
        return lower(g.unsqueeze(-1).unsqueeze(-1) * inv(a).mT, first)


class Inv(Op):
    """d A⁻¹ = -A⁻ᵀ G A⁻ᵀ (from the output alone)."""

    @staticmethod
    def forward(ctx, a):
        out = _lapack(np.linalg.inv, "inv", a)
        ctx.saved = (out,)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        t = np.swapaxes(out, -1, -2)
        return -(t @ g @ t)


class Solve(Op):
    """X = A⁻¹ B: gB = A⁻ᵀ G, gA = -gB Xᵀ (B is a batch of matrices here)."""

    @staticmethod
    def forward(ctx, a, b):
        out = _lapack(np.linalg.solve, "solve", a, b)
        ctx.saved = (a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        first = is_raw(g)
        a, out = lift(*ctx.saved)
        gb = solve(a.mT, lift(g))
        ga = -(gb @ out.mT) if ctx.next[0] is not None else None
        return lower((ga, gb if ctx.next[1] is not None else None), first)


def det(A):
    """Determinant of each square matrix in A (…, n, n).

    >>> import autograd_core as ag
    >>> det(ag.eye(3)).item()
    1.0
    """
    _square(A, "det")
    _float(A, "det")
    return Det.apply(A)


def slogdet(A):
    """(sign, log|det A|); only logabsdet carries a gradient."""
    from ..tensor import Tensor

    _square(A, "slogdet")
    _float(A, "slogdet")
    sign, _ = _lapack(np.linalg.slogdet, "slogdet", np.asarray(A._data))
    return _Slogdet(Tensor._make(np.asarray(sign, dtype=A.dtype), None), LogAbsDet.apply(A))


def logdet(A):
    """log det A: NaN where det < 0, -inf where det == 0 (as torch.logdet)."""
    from .elementwise import where

    sign, logabs = slogdet(A)
    nan = np.where(sign._data < 0, np.nan, 0.0).astype(A.dtype)
    return where(sign._data < 0, nan, logabs)


def inv(A):
    """Inverse of each square matrix; raises RuntimeError for a singular one."""
    _square(A, "inv")
    _float(A, "inv")
    return Inv.apply(A)


def solve(A, B, *, left: bool = True):
    """The X with A X = B (or X A = B with left=False); B may be a (batch of) vector(s)."""
    _square(A, "solve")
    if not left:
        return solve(A.mT, B.mT).mT
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vector:
        return Solve.apply(A, B.unsqueeze(-1)).squeeze(-1)
    if B.shape[-2] != A.shape[-1]:
        raise ShapeError(
            f"linalg.solve: A of shape {tuple(A.shape)} does not fit B of shape {tuple(B.shape)}"
        )
    return Solve.apply(A, B)


# -- cholesky, qr ------------------------------------------------------------------------------
def _phi(n, dtype):
    """Lower triangle with a halved diagonal, as a multiplicative mask."""
    m = np.tril(np.ones((n, n), dtype=dtype))
    m[np.diag_indices(n)] = 0.5
    return m


class Cholesky(Op):
    """A = L Lᵀ; gA = sym(L⁻ᵀ Φ(Lᵀ G) L⁻¹) with Φ the lower triangle, diagonal halved."""

    @staticmethod
    def forward(ctx, a):
        out = _lapack(np.linalg.cholesky, "cholesky", a)
        ctx.saved = (out,)
        return out

    @staticmethod
    def backward(ctx, g):
        first = is_raw(g)
        L, g = lift(ctx.saved[0], g)
        linv = inv(L)
        s = linv.mT @ ((L.mT @ g) * _phi(L.shape[-1], L.dtype)) @ linv
        return lower(0.5 * (s + s.mT), first)


def cholesky(A, *, upper: bool = False):
    """The lower (or upper) Cholesky factor of each symmetric positive-definite matrix."""
    _square(A, "cholesky")
    _float(A, "cholesky")
    L = Cholesky.apply(A)
    return L.mT if upper else L


class QR(Op):
    """Reduced QR (m >= n): gA = [gQ + Q copyltu(M)] R⁻ᵀ with M = R gRᵀ - gQᵀ Q."""

    @staticmethod
    def forward(ctx, a, mode):
        q, r = _lapack(np.linalg.qr, "qr", a, mode)
        batch = q.shape[:-2]
        # one output for the engine: Q and R flattened side by side, split by qr(); backward
        # reads Q and R back from it, so at higher order they are the output's functions
        out = np.concatenate([q.reshape(batch + (-1,)), r.reshape(batch + (-1,))], axis=-1)
        ctx.saved = (out,)
        ctx.dims = q.shape[-2:]
        return out

    @staticmethod
    def backward(ctx, g):
        first = is_raw(g)
        packed, g = lift(ctx.saved[0], g)
        m, k = ctx.dims
        batch = tuple(g.shape[:-1])
        q, r = packed[..., : m * k].reshape(batch + (m, k)), packed[..., m * k :].reshape(batch + (k, k))
        gq, gr = g[..., : m * k].reshape(batch + (m, k)), g[..., m * k :].reshape(batch + (k, k))
        m = r @ gr.mT - gq.mT @ q
        low = m * np.tril(np.ones(m.shape[-2:], dtype=m.dtype), -1)
        copyltu = low + low.mT + m * np.eye(m.shape[-1], dtype=m.dtype)
        b = gq + q @ copyltu
        return lower((solve(r, b.mT).mT, None), first)


def qr(A, mode: str = "reduced"):
    """(Q, R) with A = Q R; mode 'reduced', 'complete' or 'r' (Q empty). Gradients need
    m >= n in 'reduced' mode (as PyTorch)."""
    from ..tensor import Tensor

    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    if A.ndim < 2:
        raise ShapeError(f"linalg.qr: expected a matrix, got shape {tuple(A.shape)}")
    m, n = A.shape[-2:]
    if mode == "reduced" and m >= n and A.requires_grad:
        both = QR.apply(A, "reduced")
        batch = tuple(A.shape[:-2])
        return _QR(both[..., : m * n].reshape(batch + (m, n)), both[..., m * n :].reshape(batch + (n, n)))
    if mode == "r":
        r = _lapack(np.linalg.qr, "qr", A._data, "r")
        return _QR(Tensor._make(np.zeros((0,), A.dtype), None), _no_grad_output(r, A, "qr"))
    q, r = _lapack(np.linalg.qr, "qr", A._data, mode)
    return _QR(_no_grad_output(q, A, "qr"), _no_grad_output(r, A, "qr"))


def _no_grad_output(arr, A, name):
    from ..grad_mode import state
    from ..tensor import Tensor

    if A.requires_grad and state.grad_enabled:
        raise RuntimeError(f"linalg.{name}: the gradient of this mode/shape is not defined (as in PyTorch)")
    return Tensor._make(arr, None)


# -- svd, eigh ---------------------------------------------------------------------------------
class SVD(Op):
    """Reduced SVD; the backward is Townsend's formula (distinct singular values)."""

    @staticmethod
    def forward(ctx, a):
        u, s, vh = _lapack(np.linalg.svd, "svd", a, False)
        # one output for the engine: U, S and Vh flattened side by side, split by svd();
        # backward unpacks it, so at higher order U, S, Vh are the output's functions
        out = _pack(u, s, vh)
        ctx.saved = (out,)
        ctx.dims = (u.shape[-2], s.shape[-1], vh.shape[-1])
        return out

    @staticmethod
    def backward(ctx, g):
        first = is_raw(g)
        packed, g = lift(ctx.saved[0], g)
        m, k, n = ctx.dims
        u, s, vh = _unpack(packed, m, k, n)
        gu, gs, gvh = _unpack(g, m, k, n)
        v, gv = vh.mT, gvh.mT
        s2 = s * s
        diff = s2.unsqueeze(-2) - s2.unsqueeze(-1)  # [i, j] = s_j² - s_i²
        off = 1 - np.eye(k, dtype=s.dtype)
        f = off / (diff + np.eye(k, dtype=s.dtype))
        sm = s.unsqueeze(-2)  # scales columns: X * sm == X diag(s)
        inner = (f * (u.mT @ gu - gu.mT @ u)) * sm + (f * (v.mT @ gv - gv.mT @ v)) * s.unsqueeze(-1)
        inner = inner + gs.unsqueeze(-1) * np.eye(k, dtype=s.dtype)
        ga = u @ inner @ vh
        if m > k:
            ga = ga + ((gu - u @ (u.mT @ gu)) / sm) @ vh
        if n > k:
            ga = ga + (u / sm) @ (gv - v @ (v.mT @ gv)).mT
        return lower(ga, first)


def _pack(u, s, vh):
    flat = [u.reshape(u.shape[:-2] + (-1,)), s, vh.reshape(vh.shape[:-2] + (-1,))]
    return np.concatenate(flat, axis=-1)


def _unpack(x, m, k, n):
    batch = tuple(x.shape[:-1])
    u = x[..., : m * k].reshape(batch + (m, k))
    s = x[..., m * k : m * k + k]
    vh = x[..., m * k + k :].reshape(batch + (k, n))
    return u, s, vh


def svd(A, full_matrices: bool = True):
    """(U, S, Vh) with A = U diag(S) Vh. Gradients flow with full_matrices=False (as in
    PyTorch, where full_matrices=True has no gradient for non-square A)."""
    from ..tensor import Tensor

    _float(A, "svd")
    if A.ndim < 2:
        raise ShapeError(f"linalg.svd: expected a matrix, got shape {tuple(A.shape)}")
    m, n = A.shape[-2:]
    if A.requires_grad and (not full_matrices or m == n):
        k = min(m, n)
        packed = SVD.apply(A)
        return _SVD(*_unpack(packed, m, k, n))
    u, s, vh = _lapack(np.linalg.svd, "svd", A._data, full_matrices)
    return _SVD(_no_grad_output(u, A, "svd"), Tensor._make(s, None), Tensor._make(vh, None))


class SVDVals(Op):
    """Singular values; gA = U diag(g) Vh."""

    @staticmethod
    def forward(ctx, a):
        u, s, vh = _lapack(np.linalg.svd, "svdvals", a, False)
        ctx.saved = (a,)
        return s

    @staticmethod
    def backward(ctx, g):
        first = is_raw(g)
        a, g = lift(ctx.saved[0], g)
        u, _, vh = svd(a, full_matrices=False)
        return lower((u * g.unsqueeze(-2)) @ vh, first)


def svdvals(A):
    """Singular values in descending order."""
    _float(A, "svdvals")
    if A.ndim < 2:
        raise ShapeError(f"linalg.svdvals: expected a matrix, got shape {tuple(A.shape)}")
    return SVDVals.apply(A)


class Eigh(Op):
    """Symmetric eigendecomposition; gA = V (diag(gw) + F ∘ (Vᵀ gV)) Vᵀ, F_ij = 1/(w_j - w_i)."""

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = _lapack(np.linalg.eigh, "eigh", a, uplo)
        out = np.concatenate([w[..., None, :], v], axis=-2)
        ctx.saved = (out,)  # backward splits it again (functions of the output at higher order)
        return out

    @staticmethod
    def backward(ctx, g):
        first = is_raw(g)
        packed, g = lift(ctx.saved[0], g)
        w, v = packed[..., 0, :], packed[..., 1:, :]
        gw, gv = g[..., 0, :], g[..., 1:, :]
        n = w.shape[-1]
        eye = np.eye(n, dtype=w.dtype)
        f = (1 - eye) / (w.unsqueeze(-2) - w.unsqueeze(-1) + eye)
        inner = f * (v.mT @ gv) + gw.unsqueeze(-1) * eye
        return lower((v @ inner @ v.mT, None), first)


def eigh(A, UPLO: str = "L"):
    """(eigenvalues ascending, eigenvectors) of symmetric matrices, reading the UPLO triangle."""
    _square(A, "eigh")
    _float(A, "eigh")
    both = Eigh.apply(A, UPLO)
    return _Eigh(both[..., 0, :], both[..., 1:, :])


def eigvalsh(A, UPLO: str = "L"):
    """Eigenvalues of symmetric matrices, ascending."""
    return eigh(A, UPLO).eigenvalues


# -- norms and distances ------------------------------------------------------------------------
def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None):
    """(Σ |x|^ord)^(1/ord) over `dim` (all elements when None); ord may be inf, -inf or 0.

    >>> import autograd_core as ag
    >>> vector_norm(ag.tensor([3.0, 4.0])).item()
    5.0
    """
    from . import reduce as R
    from .elementwise import abs as abs_

    _float(x, "vector_norm")
    if dtype is not None:
        x = x.to(dtype)
    if ord == 2:
        return R.norm(x, 2, dim, keepdim)
    a = abs_(x)
    if ord == math.inf:
        return R.amax(a, dim, keepdim) if x.numel() else R.sum(a, dim, keepdim)
    if ord == -math.inf:
        return R.amin(a, dim, keepdim)
    if ord == 0:
        from .elementwise import where

        # a count: zero gradient, but the result stays in the graph as PyTorch's does
        anchor = where(np.isfinite(a._data), a, 0.0) * 0.0
        return R.sum((a != 0).to(x.dtype) + anchor, dim, keepdim)
    if ord == 1:
        return R.sum(a, dim, keepdim)
    return R.sum(a**ord, dim, keepdim) ** (1.0 / ord)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None):
    """Frobenius, nuclear, spectral (±2), max column (±1) or max row (±inf) sum norm."""
    from . import reduce as R
    from .elementwise import abs as abs_

    _float(A, "matrix_norm")
    if A.ndim < 2:
        raise ShapeError(f"linalg.matrix_norm: expected a matrix, got shape {tuple(A.shape)}")
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        from .shape import permute

        rest = [d for d in range(A.ndim) if d not in (d0, d1)]
        moved = permute(A, rest + [d0, d1])
        s = svdvals(moved)
        out = s.sum(-1) if ord == "nuc" else (R.amax(s, -1) if ord == 2 else R.amin(s, -1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, math.inf, -math.inf):
        across, within = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = R.sum(abs_(A), across, True)
        red = R.amax if ord > 0 else R.amin
        out = red(sums, within, True)
        return out if keepdim else _drop(out, (d0, d1))
    raise ValueError(f"linalg.matrix_norm: unsupported ord {ord!r}")


def _drop(t, dims):
    from .shape import reshape

    shape = tuple(n for i, n in enumerate(t.shape) if i not in dims)
    return reshape(t, shape)


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None):
    """linalg.norm: a vector norm when dim is an int or A is 1-D (or ord is None), else a matrix norm."""
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if (dim is not None and len(dim) == 2) or (dim is None and A.ndim == 2):
        return matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim, dtype=dtype)
    if dim is None and A.ndim != 1:
        raise ValueError(
            f"linalg.norm: ord={ord!r} needs a 1-D or 2-D input or dim, got shape {tuple(A.shape)}"
        )
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


def cdist(x1, x2, p: float = 2.0, compute_mode=None):
    """Pairwise p-norm distances between the rows of x1 (…, P, M) and x2 (…, R, M)."""
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(
            f"cdist: x1 {tuple(x1.shape)} and x2 {tuple(x2.shape)} must be (…, P, M) and (…, R, M)"
        )
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return vector_norm(diff, p, -1)


TENSOR_METHODS = {
    "det": det,
    "logdet": logdet,
    "slogdet": slogdet,
    "inverse": inv,
    "cholesky": cholesky,
}
