"""More of torch.linalg, composed from the factorisations in `decomp.py` (so the gradients
come from theirs): multi_dot, matrix_power, pinv, matrix_rank, lstsq, solve_triangular,
vecdot, diagonal, matmul.

    >>> import autograd_core as ag
    >>> matrix_power(ag.tensor([[1.0, 1.0], [0.0, 1.0]]), 3).tolist()
    [[1.0, 3.0], [0.0, 1.0]]
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..function import ShapeError
from .decomp import inv, solve, svd, svdvals

_Lstsq = namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])


def _T():
    from ..tensor import Tensor

    return Tensor


def multi_dot(tensors):
    """The product of a chain of matrices (the first and last may be vectors), multiplied
    in the cheapest order."""
    from .products import einsum

    tensors = list(tensors)
    if len(tensors) < 2:
        raise ValueError(f"linalg.multi_dot: expected at least 2 tensors, got {len(tensors)}")
    for k, t in enumerate(tensors):
        allowed = (1, 2) if k in (0, len(tensors) - 1) else (2,)
        if t.ndim not in allowed:
            raise ShapeError(
                f"linalg.multi_dot: tensor {k} must be {' or '.join(map(str, allowed))}-D, "
                f"got shape {tuple(t.shape)}"
            )
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if len(tensors) + 1 > len(letters):
        from functools import reduce

        return reduce(lambda x, y: x @ y, tensors)
    subs = []
    for k, t in enumerate(tensors):
        if t.ndim == 1:
            subs.append(letters[k + 1] if k == 0 else letters[k])
        else:
            subs.append(letters[k] + letters[k + 1])
    first = "" if tensors[0].ndim == 1 else letters[0]
    last = "" if tensors[-1].ndim == 1 else letters[len(tensors)]
    return einsum(",".join(subs) + "->" + first + last, *tensors)


def matrix_power(A, n: int):
    """A multiplied by itself n times (n < 0: the inverse's power; n == 0: the identity)."""
    from .shape import expand

    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ShapeError(f"linalg.matrix_power: expected square matrices, got shape {tuple(A.shape)}")
    n = int(n)
    if n == 0:
        eye = _T()._make(np.eye(A.shape[-1], dtype=A.dtype), None)
        return expand(eye, tuple(A.shape)) * 1
    base = inv(A) if n < 0 else A
    n = abs(n)
    result = None
    while n:  # square-and-multiply
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


def _cutoff(s, atol, rtol, m, n):
    """The singular-value threshold max(atol, rtol · σ_max), per matrix."""
    smax = s.max(axis=-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    if rtol is None:
        rtol = 0.0 if (atol is not None and atol > 0) else max(m, n) * np.finfo(s.dtype).eps
    return np.maximum(0.0 if atol is None else atol, rtol * smax)


def pinv(A, *, atol=None, rtol=None, hermitian: bool = False):
    """The Moore–Penrose pseudo-inverse, through the SVD (singular values under
    max(atol, rtol · σ_max) count as zero)."""
    from .elementwise import where

    if A.ndim < 2:
        raise ShapeError(f"linalg.pinv: expected a matrix, got shape {tuple(A.shape)}")
    u, s, vh = svd(A, full_matrices=False)
    keep = s._data > _cutoff(s._data, atol, rtol, *A.shape[-2:])
    s_inv = where(keep, 1.0 / where(keep, s, 1.0), 0.0)
    return (vh.mT * s_inv.unsqueeze(-2)) @ u.mT


def pinverse(input, rcond: float = 1e-15):
    """torch.pinverse: pinv with singular values under rcond · σ_max counted as zero."""
    return pinv(input, rtol=rcond)


def matrix_rank(A, *, atol=None, rtol=None, hermitian: bool = False):
    """How many singular values exceed max(atol, rtol · σ_max) (an int64 tensor)."""
    s = np.linalg.svd(A._data, compute_uv=False)
    rank = (s > _cutoff(s, atol, rtol, *A.shape[-2:])).sum(axis=-1)
    return _T()._make(np.asarray(rank, dtype=np.int64), None)


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of A X = B (through the pseudo-inverse), with PyTorch's
    outputs: residuals and singular values are filled for the 'gelsd'/'gelss' drivers."""
    Tensor = _T()
    if A.ndim < 2:
        raise ShapeError(f"linalg.lstsq: A must be a matrix, got shape {tuple(A.shape)}")
    vector = B.ndim == A.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    if b.shape[-2] != A.shape[-2]:
        raise ShapeError(f"linalg.lstsq: A {tuple(A.shape)} and B {tuple(B.shape)} differ in rows")
    m, n = A.shape[-2:]
    rtol = rcond if rcond is not None else None
    x = pinv(A, rtol=rtol) @ b
    rank = matrix_rank(A, rtol=rtol)
    empty = Tensor._make(np.zeros((0,), dtype=A.dtype), None)
    residuals, sv = empty, empty
    if driver in ("gelsd", "gelss"):
        sv = svdvals(A)
        if m > n and np.all(rank._data == n):
            r = A @ x - b
            residuals = (r * r).sum(-2)
    return _Lstsq(x.squeeze(-1) if vector else x, residuals, rank, sv)


def solve_triangular(A, B, *, upper: bool, left: bool = True, unitriangular: bool = False):
    """Solve with the upper (or lower) triangle of A only; unitriangular assumes a unit diagonal."""
    n = A.shape[-1]
    mask = np.triu(np.ones((n, n), dtype=bool)) if upper else np.tril(np.ones((n, n), dtype=bool))
    if unitriangular:
        mask &= ~np.eye(n, dtype=bool)
    tri = A * mask
    if unitriangular:
        tri = tri + np.eye(n, dtype=A.dtype)
    return solve(tri, B, left=left)


def vecdot(x, y, *, dim: int = -1):
    """Σ x · y over `dim` (broadcasting)."""
    return (x * y).sum(dim)


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """linalg.diagonal: the diagonal of the last two dims by default (a view)."""
    from .products import diagonal as diag_view

    return diag_view(A, offset, dim1, dim2)


def matmul(input, other):
    """linalg.matmul: the same as `@`."""
    from .linalg import matmul as mm

    return mm(input, other)


def matrix_exp(A):
    """exp(A) by scaling and squaring with an 18-term Taylor series (differentiable)."""
    from .shape import expand

    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ShapeError(f"linalg.matrix_exp: expected square matrices, got shape {tuple(A.shape)}")
    norm = np.abs(A._data).sum(axis=-2).max() if A._data.size else 0.0
    squarings = max(0, int(np.ceil(np.log2(norm))) + 1) if norm > 0.5 else 0
    X = A * (0.5**squarings)
    eye = expand(_T()._make(np.eye(A.shape[-1], dtype=A.dtype), None), tuple(A.shape))
    term, total = eye, eye
    for k in range(1, 19):
        term = (term @ X) * (1.0 / k)
        total = total + term
    for _ in range(squarings):
        total = total @ total
    return total


TENSOR_METHODS = {
    "matrix_power": matrix_power,
    "matrix_exp": matrix_exp,
    "pinverse": pinverse,
}
