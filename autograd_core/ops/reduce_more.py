"""More reductions: nansum/nanmean, count_nonzero, aminmax, std_mean/var_mean, and
all/any with `dim` returning tensors. All are compositions of the reductions in
`reduce.py`, so their gradients come for free.

    >>> import autograd_core as ag
    >>> nanmean(ag.tensor([1.0, float("nan"), 3.0])).item()
    2.0
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..dtypes import resolve_dtype
from . import reduce as R

_MinMax = namedtuple("aminmax", ["min", "max"])


def _T():
    from ..tensor import Tensor

    return Tensor


def _nan_free(input):
    from .elementwise import where

    if input.dtype.kind != "f":
        return input, None
    nan = np.isnan(input._data)
    return (where(nan, np.zeros((), input.dtype), input) if nan.any() else input), nan


def nansum(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Sum treating NaN as zero (their gradient is zero)."""
    if dtype is not None:
        input = input.to(resolve_dtype(dtype))
    clean, _ = _nan_free(input)
    if clean.dtype.kind in "biu":
        clean = clean.to(np.int64)
    return R.sum(clean, dim, keepdim)


def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Mean of the non-NaN elements (NaN where all are NaN)."""
    if dtype is not None:
        input = input.to(resolve_dtype(dtype))
    if input.dtype.kind != "f":
        raise TypeError(f"nanmean: expected a floating point tensor, got {input.dtype}")
    clean, nan = _nan_free(input)
    axes = R.normalize_axes(dim, input.ndim, "nanmean")
    valid = ~nan if nan is not None else np.ones(input.shape, dtype=bool)
    count = valid.sum(axis=axes, keepdims=keepdim).astype(input.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return R.sum(clean, dim, keepdim) / count


def count_nonzero(input, dim=None):
    """How many elements are non-zero, over `dim` (an int or tuple; all when None)."""
    axes = R.normalize_axes(dim, input.ndim, "count_nonzero")
    return _T()._make(np.asarray(np.count_nonzero(input._data, axis=axes), dtype=np.int64), None)


def aminmax(input, *, dim=None, keepdim: bool = False):
    """(min, max) over `dim` (all elements when None); ties share gradients as amin/amax."""
    if input.numel() == 0 and dim is None:
        raise RuntimeError("aminmax: cannot compute on an empty tensor without dim")
    return _MinMax(R.amin(input, dim, keepdim), R.amax(input, dim, keepdim))


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased in (None, True) else 0


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(var, mean) over `dim` with Bessel's `correction` (1 by default)."""
    if isinstance(dim, bool):  # var_mean(x, unbiased) — the old positional form
        dim, unbiased = None, dim
    c = _correction(unbiased, correction)
    return (R.var(input, dim, keepdim=keepdim, correction=c), R.mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(std, mean) over `dim` with Bessel's `correction` (1 by default)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    c = _correction(unbiased, correction)
    return (R.std(input, dim, keepdim=keepdim, correction=c), R.mean(input, dim, keepdim))


def _all_any(input, dim, keepdim, fn, name):
    axes = R.normalize_axes(dim, input.ndim, name)
    raw = input._data if isinstance(input, _T()) else np.asarray(input)
    out = fn(raw, axis=axes, keepdims=keepdim)
    out = np.asarray(out)
    # torch keeps uint8 for uint8 inputs, bool otherwise
    return _T()._make(out.astype(np.uint8) if raw.dtype == np.uint8 else out, None)


def all(input, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """True where every element over `dim` is non-zero (a bool tensor)."""
    return _all_any(input, dim, keepdim, np.all, "all")


def any(input, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """True where some element over `dim` is non-zero (a bool tensor)."""
    return _all_any(input, dim, keepdim, np.any, "any")


TENSOR_METHODS = {
    "nansum": nansum,
    "nanmean": nanmean,
    "count_nonzero": count_nonzero,
    "aminmax": aminmax,
}
