"""Reductions over `dim` (an int, a tuple of ints or None for all), with `keepdim`.

Composite reductions stay compositions (mean = sum / n, var from mean, std = sqrt(var));
the fused ones (logsumexp, norm, prod) are fused for stability or for their gradient at 0.

    >>> import autograd_core as ag
    >>> x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x.sum(dim=1)
    tensor([3., 7.])
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from ..function import Op
from ..kernels.sums import total


def normalize_axes(dim, ndim: int, name: str = "reduction"):
    """Turn `dim` (None, int or sequence) into None or a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    n = builtins.max(ndim, 1)
    for d in dims:
        d = int(d)
        if not -n <= d < n:
            raise IndexError(f"{name}: dim {d} is out of range for a tensor with {ndim} dims")
        out.append(d % n)
    if ndim == 0:
        return ()  # dim 0 / -1 of a scalar, as torch: nothing to reduce over
    return tuple(sorted(set(out)))


def _expand_back(g, shape, axes, keepdim):
    """Reshape a reduced gradient so that it broadcasts against the input `shape`."""
    if not keepdim and axes is not None and g.ndim != len(shape):
        g = np.expand_dims(g, axes)
    elif not keepdim and axes is None:
        g = np.reshape(g, (1,) * len(shape))
    return g


class Sum(Op):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.info = (a.shape, axes, keepdim)
        return total(a, axes, keepdim)

    @staticmethod
    def backward(ctx, g):
        shape, axes, keepdim = ctx.info
        return np.broadcast_to(_expand_back(g, shape, axes, keepdim), shape)


class Amax(Op):
    """max/min over axes; ties share the gradient evenly (PyTorch's amax/amin rule)."""

    @staticmethod
    def forward(ctx, a, axes, keepdim, use_min):
        out = (a.min if use_min else a.max)(axis=axes, keepdims=True)
        ctx.saved = (a, out)
        ctx.info = (axes, keepdim)
        return out if keepdim else (out.reshape(()) if axes is None else np.squeeze(out, axes))

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved
        axes, keepdim = ctx.info
        hits = a == out
        count = hits.sum(axis=axes, keepdims=True)
        g = _expand_back(g, a.shape, axes, keepdim)
        return g * hits / count.astype(g.dtype), None, None, None


class MaxDim(Op):
    """max/min along one dim returning values; the gradient goes to the returned index."""

    @staticmethod
    def forward(ctx, a, axis, keepdim, use_min):
        idx = (np.argmin if use_min else np.argmax)(a, axis=axis, keepdims=True)
        ctx.saved = (idx,)
        ctx.info = (a.shape, a.dtype, axis, keepdim)
        ctx.indices = idx if keepdim else np.squeeze(idx, axis)
        out = np.take_along_axis(a, idx, axis=axis)
        return out if keepdim else np.squeeze(out, axis)

    @staticmethod
    def backward(ctx, g):
        from .index import IndexAddZero

        (idx,) = ctx.saved
        shape, dtype, axis, keepdim = ctx.info
        if not keepdim:
            g = np.expand_dims(g, axis)
        grids = list(np.indices(idx.shape, sparse=True))
        grids[axis] = idx
        return IndexAddZero.call(g, shape, tuple(grids)), None, None, None


class LogSumExp(Op):
    """log Σ exp(a), computed as m + log Σ exp(a - m) so large logits do not overflow."""

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        # An empty reduction has no max; its sum of exps is 0, so the result is log 0 = -inf (torch).
        m = a.max(axis=axes, keepdims=True) if a.size else np.zeros_like(a.sum(axis=axes, keepdims=True))
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):
            out = m + np.log(np.exp(a - m).sum(axis=axes, keepdims=True))
        ctx.saved = (a, out)
        ctx.info = (axes, keepdim)
        return out if keepdim else (out.reshape(()) if axes is None else np.squeeze(out, axes))

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved
        axes, keepdim = ctx.info
        if type(a) is not np.ndarray:  # recorded backward: out must depend on a
            out = LogSumExp.apply(a, axes, True)
        g = _expand_back(g, a.shape, axes, keepdim)
        return g * np.exp(a - out), None, None


class Prod(Op):
    """Product over axes; the gradient is the product of the *other* elements, computed
    with exclusive cumulative products so that zeros are handled exactly."""

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.saved = (a,)
        ctx.info = (axes, keepdim)
        return a.prod(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved
        axes, keepdim = ctx.info
        if a.size == 0:  # nothing to send a gradient to
            return np.zeros_like(a), None, None
        axes_t = tuple(range(a.ndim)) if axes is None else axes
        rest = tuple(i for i in range(a.ndim) if i not in axes_t)
        moved = np.transpose(a, rest + axes_t)
        # The reduced length is spelled out, not -1, which NumPy cannot infer when a kept dim is 0.
        reduced = int(np.prod(moved.shape[len(rest):], dtype=np.int64))
        flat = moved.reshape(moved.shape[: len(rest)] + (reduced,))
        ones = np.ones(flat.shape[:-1] + (1,), dtype=a.dtype)
        left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = (left * right).reshape(moved.shape)
        others = np.transpose(others, np.argsort(rest + axes_t))
        return _expand_back(g, a.shape, axes, keepdim) * others, None, None


class Norm2(Op):
    """Euclidean norm; its gradient a/‖a‖ is taken as 0 where the norm is 0 (as PyTorch)."""

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        out = np.sqrt((a * a).sum(axis=axes, keepdims=True))
        ctx.saved = (a, out)
        ctx.info = (axes, keepdim)
        return out if keepdim else (out.reshape(()) if axes is None else np.squeeze(out, axes))

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved
        axes, keepdim = ctx.info
        if type(a) is not np.ndarray:  # recorded backward: the norm must depend on a
            out = Norm2.apply(a, axes, True)
        safe = np.where(out == 0, 1, out)
        g = _expand_back(g, a.shape, axes, keepdim)
        return g * np.where(out == 0, 0, a / safe), None, None


def _axes(a, dim, name):
    return normalize_axes(dim, a.ndim, name)


def sum(a, dim=None, keepdim: bool = False):  # noqa: A001
    """Sum over `dim` (all elements when None)."""
    return Sum.apply(a, _axes(a, dim, "sum"), keepdim)


def mean(a, dim=None, keepdim: bool = False):
    """Mean over `dim`, composed as sum / n."""
    axes = _axes(a, dim, "mean")
    n = a._data.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
    return Sum.apply(a, axes, keepdim) * (1.0 / n if n else float("nan"))


def var(a, dim=None, unbiased: bool = True, keepdim: bool = False, correction=None):
    """Variance over `dim`; unbiased (n - 1) by default, as torch.var."""
    axes = _axes(a, dim, "var")
    n = a._data.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
    ddof = (1 if unbiased else 0) if correction is None else correction
    centered = a - mean(a, axes, keepdim=True)
    squares = sum(centered * centered, axes, keepdim)
    if n > ddof:
        return squares * (1.0 / (n - ddof))
    # PyTorch divides by max(0, n - correction): a sum of squares over 0 is inf, or nan when the
    # data are constant (0/0), and warns as PyTorch does.
    warnings.warn(f"var(): degrees of freedom is <= 0 (correction {ddof} for {n} elements)",
                  RuntimeWarning, stacklevel=3)
    with np.errstate(invalid="ignore"):
        return squares * float("inf")


class StdFromVar(Op):
    """sqrt of a variance, with gradient 0 where the variance is 0 (constant data),
    as torch.std: plain sqrt would send inf·0 = NaN back."""

    @staticmethod
    def forward(ctx, v):
        out = np.sqrt(v)
        ctx.saved = (out,)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        safe = np.where(out == 0, 1, out)
        return np.where(out == 0, 0, g / (2 * safe))


def std(a, dim=None, unbiased: bool = True, keepdim: bool = False, correction=None):
    """Standard deviation: sqrt of var."""
    return StdFromVar.apply(var(a, dim, unbiased=unbiased, keepdim=keepdim, correction=correction))


def amax(a, dim=None, keepdim: bool = False):
    """Max over `dim`; ties split the gradient evenly."""
    return Amax.apply(a, _axes(a, dim, "amax"), keepdim, False)


def amin(a, dim=None, keepdim: bool = False):
    """Min over `dim`; ties split the gradient evenly."""
    return Amax.apply(a, _axes(a, dim, "amin"), keepdim, True)


def _max_or_min(a, dim, keepdim, use_min):
    from ..tensor import Tensor, _ValuesIndices
    from .elementwise import maximum, minimum

    name = "min" if use_min else "max"
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        return (minimum if use_min else maximum)(a, dim)
    if dim is None:
        return Amax.apply(a, None, False, use_min)
    if a.ndim == 0:
        axis = 0
        values = Amax.apply(a, None, False, use_min)
        return _ValuesIndices(values, Tensor._make(np.zeros((), dtype=np.int64), None))
    (axis,) = _axes(a, dim, name)
    values = MaxDim.apply(a, axis, keepdim, use_min)
    node = values.grad_fn
    if node is not None:
        idx = node.indices
    else:
        f = np.argmin if use_min else np.argmax
        idx = f(a._data, axis=axis, keepdims=keepdim)
    return _ValuesIndices(values, Tensor._make(np.asarray(idx, dtype=np.int64), None))


def max(a, dim=None, keepdim: bool = False):  # noqa: A001
    """Max of all elements, or `(values, indices)` along `dim`."""
    return _max_or_min(a, dim, keepdim, False)


def min(a, dim=None, keepdim: bool = False):  # noqa: A001
    """Min of all elements, or `(values, indices)` along `dim`."""
    return _max_or_min(a, dim, keepdim, True)


def argmax(a, dim=None, keepdim: bool = False):
    """Index of the max (flat when dim is None); not differentiable."""
    from ..tensor import Tensor

    if dim is None:
        return Tensor._make(np.asarray(np.argmax(a._data), dtype=np.int64), None)
    return Tensor._make(np.asarray(np.argmax(a._data, axis=dim, keepdims=keepdim), dtype=np.int64), None)


def argmin(a, dim=None, keepdim: bool = False):
    """Index of the min (flat when dim is None); not differentiable."""
    from ..tensor import Tensor

    if dim is None:
        return Tensor._make(np.asarray(np.argmin(a._data), dtype=np.int64), None)
    return Tensor._make(np.asarray(np.argmin(a._data, axis=dim, keepdims=keepdim), dtype=np.int64), None)


def logsumexp(a, dim=None, keepdim: bool = False):
    """log Σ exp over `dim`, stable for large values."""
    return LogSumExp.apply(a, _axes(a, dim, "logsumexp"), keepdim)


def prod(a, dim=None, keepdim: bool = False):
    """Product over `dim`, with exact gradients where elements are zero."""
    return Prod.apply(a, _axes(a, dim, "prod"), keepdim)


def norm(a, p=2, dim=None, keepdim: bool = False):
    """p-norm over `dim` (p = 2 / 'fro' by default; 1, inf and any positive p also work)."""
    from .elementwise import abs as abs_
    from .elementwise import pow as pow_

    axes = _axes(a, dim, "norm")
    if p in (2, "fro", None):
        return Norm2.apply(a, axes, keepdim)
    if p == 1:
        return Sum.apply(abs_(a), axes, keepdim)
    if p in (float("inf"), "inf"):
        return Amax.apply(abs_(a), axes, keepdim, False)
    if isinstance(p, (int, float)) and p > 0:
        return pow_(Sum.apply(pow_(abs_(a), p), axes, keepdim), 1.0 / p)
    raise ValueError(f"norm: unsupported p={p!r}")


# -- Tensor methods: PyTorch's keywords, and NumPy's aliases (axis, keepdims) in one place ---
def _dim_args(dim, keepdim, axis, keepdims):
    if axis is not None:
        if dim is not None:
            raise TypeError("got both dim and its alias axis")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, bool(keepdim)


def _out(result, out, name):
    if out is None:
        return result
    from ..inplace import write_out

    if isinstance(result, tuple):  # (values, indices)
        for r, o in zip(result, out):
            write_out(r, o, name)
        return out
    return write_out(result, out, name)


def _cast_for(a, dtype):
    if dtype is None:
        return a
    from ..dtypes import resolve_dtype
    from .elementwise import cast

    return cast(a, resolve_dtype(dtype))


def _sum_method(a, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None, out=None):
    """Sum of the elements, over all dims or those in `dim` (integers and bools sum as int64)."""
    dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
    if dtype is None and a.dtype.kind in "bui":  # torch sums integers and bools as int64
        dtype = np.int64
    return _out(sum(_cast_for(a, dtype), dim, keepdim), out, "sum")


def _mean_method(a, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None, out=None):
    """Mean of the elements, over all dims or those in `dim` (floating-point tensors only)."""
    dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
    if dtype is None and a.dtype.kind not in "fc":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {a.dtype}"
        )
    return _out(mean(_cast_for(a, dtype), dim, keepdim), out, "mean")


def _var_method(a, dim=None, unbiased=True, keepdim=False, *, correction=None, axis=None,
                keepdims=None, ddof=None):
    """Variance over all dims or those in `dim`, with Bessel's correction unless told otherwise."""
    if isinstance(unbiased, (tuple, list)) or (isinstance(unbiased, int) and not isinstance(unbiased, bool)):
        dim, unbiased = unbiased, True  # var(dim) positionally, as torch.var(x, 1)
    dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
    if ddof is not None:
        correction = ddof
    return var(a, dim, unbiased, keepdim, correction)


def _std_method(a, dim=None, unbiased=True, keepdim=False, *, correction=None, axis=None,
                keepdims=None, ddof=None):
    """Standard deviation over all dims or those in `dim`, with Bessel's correction by default."""
    if isinstance(unbiased, (tuple, list)) or (isinstance(unbiased, int) and not isinstance(unbiased, bool)):
        dim, unbiased = unbiased, True
    dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
    if ddof is not None:
        correction = ddof
    return std(a, dim, unbiased, keepdim, correction)


def _reducer(fn):
    def method(a, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
        dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
        return _out(fn(a, dim, keepdim), out, fn.__name__)

    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def all(a, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):  # noqa: A001
    """True where every element (along `dim`) is nonzero; a bool tensor, as torch.all."""
    from ..tensor import Tensor

    dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
    axes = _axes(a, dim, "all")
    return Tensor._make(np.asarray(np.all(a._data, axis=axes, keepdims=keepdim)), None)


def any(a, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):  # noqa: A001
    """True where some element (along `dim`) is nonzero; a bool tensor, as torch.any."""
    from ..tensor import Tensor

    dim, keepdim = _dim_args(dim, keepdim, axis, keepdims)
    axes = _axes(a, dim, "any")
    return Tensor._make(np.asarray(np.any(a._data, axis=axes, keepdims=keepdim)), None)


def _norm_method(a, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm (or the Frobenius norm) over all dims or those in `dim`."""
    return norm(_cast_for(a, dtype), p, dim, keepdim)


TENSOR_METHODS = {
    "sum": _sum_method,
    "mean": _mean_method,
    "var": _var_method,
    "std": _std_method,
    "max": _reducer(max),
    "min": _reducer(min),
    "amax": _reducer(amax),
    "amin": _reducer(amin),
    "argmax": _reducer(argmax),
    "argmin": _reducer(argmin),
    "logsumexp": _reducer(logsumexp),
    "prod": _reducer(prod),
    "norm": _norm_method,
    "all": all,
    "any": any,
}
