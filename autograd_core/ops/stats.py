"""Counting, statistics and combinatorics: bincount, histc, cov, corrcoef, trapezoid,
cumulative_trapezoid, dist, block_diag, cartesian_prod, combinations, and the
is_tensor/is_floating_point queries. Differentiable ones are compositions.

    >>> import autograd_core as ag
    >>> bincount(ag.tensor([0, 1, 1, 3])).tolist()
    [1, 2, 0, 1]
"""

from __future__ import annotations

import itertools

import numpy as np

from ..function import ShapeError


def _T():
    from ..tensor import Tensor

    return Tensor


def bincount(input, weights=None, minlength: int = 0):
    """How often each non-negative integer occurs in the 1-D input (or the sum of their
    weights); no gradient."""
    Tensor = _T()
    a = input._data
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise RuntimeError(f"bincount: expects a 1-D integer tensor, got {a.dtype} of shape {a.shape}")
    if a.size and a.min() < 0:
        raise RuntimeError("bincount: input must be non-negative")
    if weights is None:
        return Tensor._make(np.bincount(a, minlength=minlength).astype(np.int64), None)
    w = weights._data if isinstance(weights, Tensor) else np.asarray(weights)
    if w.shape != a.shape:
        raise ShapeError(f"bincount: weights {w.shape} must match the input {a.shape}")
    out = np.bincount(a, weights=w, minlength=minlength)
    return Tensor._make(out.astype(w.dtype if w.dtype.kind == "f" else np.float64), None)


def histc(input, bins: int = 100, min: float = 0, max: float = 0):  # noqa: A002
    """Histogram of `bins` equal bins over [min, max] (the data's range when both are 0);
    values outside are ignored. No gradient."""
    a = input._data
    if a.dtype.kind != "f":
        raise RuntimeError(f"histc: expects a floating point tensor, got {a.dtype}")
    lo, hi = float(min), float(max)
    if lo == hi == 0 and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError(f"histc: max {hi} must be larger than min {lo}")
    counts, _ = np.histogram(a, bins=int(bins), range=(lo, hi))
    return _T()._make(counts.astype(a.dtype), None)


def cov(input, *, correction: int = 1, fweights=None, aweights=None):
    """Covariance of the variables in the rows of `input` (observations in columns), with
    optional integer frequency and float observation weights."""
    Tensor = _T()
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if input.ndim > 2:
        raise ShapeError(f"cov: expects at most 2 dims, got shape {tuple(input.shape)}")
    n = x.shape[1]
    w = None
    for extra in (fweights, aweights):
        if extra is not None:
            e = extra if isinstance(extra, Tensor) else Tensor(extra)
            w = e if w is None else w * e
    if w is None:
        mean = x.mean(1, keepdim=True)
        total, norm = float(n), float(n - correction)
    else:
        w = w.to(x.dtype) if w.dtype != x.dtype else w
        total = w.sum()
        mean = (x * w).sum(1, keepdim=True) / total
        if aweights is None or correction == 0:
            norm = total - correction
        else:
            aw = aweights if isinstance(aweights, Tensor) else Tensor(aweights)
            norm = total - correction * (w * aw.to(x.dtype)).sum() / total
    xc = x - mean
    xw = xc if w is None else xc * w
    out = (xw @ xc.mT) / norm
    return out.reshape(()) if input.ndim < 2 else out


def corrcoef(input):
    """Pearson correlation coefficients of the rows of `input` (clipped to [-1, 1])."""
    from .elementwise import clamp, sqrt

    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = sqrt(c.diagonal())
    return clamp(c / d.unsqueeze(1) / d.unsqueeze(0), -1.0, 1.0)


def trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """∫ y along `dim` by the trapezoid rule, with sample points x (or spacing dx, default 1)."""
    dim = dim % max(y.ndim, 1)
    n = y.shape[dim]
    if n == 0:
        return y.sum(dim)
    terms = _pair_sums(y, dim)
    if x is None:
        return terms.sum(dim) * (0.5 * (1.0 if dx is None else dx))
    return (terms * _steps(x, y, dim)).sum(dim) * 0.5


def _pair_sums(y, dim):
    """y[i] + y[i+1] along dim (dim non-negative)."""
    from .index import narrow

    n = y.shape[dim]
    return narrow(y, dim, 1, max(n - 1, 0)) + narrow(y, dim, 0, max(n - 1, 0))


def _steps(x, y, dim):
    """x[i+1] - x[i] along dim, a 1-D x aligned with y's dim."""
    from .index import narrow

    xd = x if isinstance(x, _T()) else _T()(x)
    xdim = 0 if xd.ndim == 1 else dim
    m = xd.shape[xdim]
    step = narrow(xd, xdim, 1, m - 1) - narrow(xd, xdim, 0, m - 1)
    if xd.ndim == 1 and y.ndim > 1:
        step = step.reshape((-1,) + (1,) * (y.ndim - dim - 1))
    return step


trapz = trapezoid


def cumulative_trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """The running trapezoid integral along `dim` (one element shorter)."""
    from .scan import cumsum

    dim = dim % max(y.ndim, 1)
    terms = _pair_sums(y, dim)
    if x is None:
        return cumsum(terms * (0.5 * (1.0 if dx is None else dx)), dim)
    return cumsum(terms * _steps(x, y, dim) * 0.5, dim)


def dist(input, other, p: float = 2):
    """The p-norm of input - other (broadcast)."""
    from .decomp import vector_norm

    return vector_norm(input - other, p)


def block_diag(*tensors):
    """A block-diagonal matrix from 0-, 1- or 2-D blocks (0-D and 1-D count as 1 x n)."""
    from .shape import cat, pad

    blocks = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    if any(b.ndim != 2 for b in blocks):
        raise ShapeError("block_diag: expects tensors of at most 2 dims")
    if not blocks:
        return _T()._make(np.zeros((1, 0), dtype=np.float32), None)
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        rows.append(pad(b, (left, width - left - b.shape[1])))
        left += b.shape[1]
    return cat(rows, 0)


def cartesian_prod(*tensors):
    """All combinations of the 1-D tensors' elements, one per row (1-D for a single input)."""
    from ..creation import meshgrid
    from .shape import stack

    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r: int = 2, with_replacement: bool = False):
    """The length-r combinations of a 1-D tensor's elements, one per row (as itertools)."""
    from .shape import stack
    from .shape_more import index_along

    if input.ndim != 1:
        raise ShapeError(f"combinations: expects a 1-D tensor, got shape {tuple(input.shape)}")
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(input.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    if idx.shape[0] == 0:
        return _T()._make(np.zeros((0, r) if r else (0,), dtype=input.dtype), None)
    return stack([index_along(input, 0, idx[:, k]) for k in range(r)], 1)


def is_tensor(obj) -> bool:
    """True for autograd_core Tensors."""
    return isinstance(obj, _T())


def is_floating_point(input) -> bool:
    """True for a floating dtype."""
    return input.dtype.kind == "f"


def is_nonzero(input) -> bool:
    """The truth of a one-element tensor."""
    if input.numel() != 1:
        raise RuntimeError(f"is_nonzero: expects a one-element tensor, got shape {tuple(input.shape)}")
    return bool(input._data.reshape(-1)[0])


TENSOR_METHODS = {
    "bincount": bincount,
    "histc": histc,
    "cov": cov,
    "corrcoef": corrcoef,
    "dist": dist,
    "is_floating_point": is_floating_point,
    "is_nonzero": is_nonzero,
}
