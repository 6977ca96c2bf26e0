"""`autograd_core.testing`: PyTorch's `torch.testing.assert_close`.

    >>> import autograd_core as ag
    >>> ag.testing.assert_close(ag.tensor([1.0, 2.0]), ag.tensor([1.0, 2.0 + 1e-7]))
"""

from __future__ import annotations

import numpy as np

# PyTorch's default tolerances per dtype: (rtol, atol)
_TOLERANCES = {
    np.dtype(np.float16): (1e-3, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
    np.dtype(np.complex64): (1.3e-6, 1e-5),
    np.dtype(np.complex128): (1e-7, 1e-7),
}


def _as_array(x):
    from .tensor import Tensor

    if isinstance(x, Tensor):
        return x._data, True
    return np.asarray(x), False


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Raise AssertionError unless `actual` and `expected` (tensors, numbers or nested
    sequences/dicts of them) are close: |a - e| <= atol + rtol·|e| elementwise, with
    PyTorch's default tolerances for the dtype, and equal shapes and dtypes."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or actual.keys() != expected.keys():
            raise AssertionError(msg or f"The mappings have different keys: {list(actual)} vs {list(expected)}")
        for key in expected:
            assert_close(actual[key], expected[key], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_dtype=check_dtype, msg=msg)
        return
    if isinstance(expected, (list, tuple)) and not isinstance(actual, np.ndarray):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            raise AssertionError(msg or "The sequences have different lengths")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype, msg=msg)
        return
    a, a_tensor = _as_array(actual)
    e, e_tensor = _as_array(expected)
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted")
    if a_tensor != e_tensor and not allow_subclasses:
        raise AssertionError(msg or f"Expected types to match, got {type(actual).__name__} and "
                                    f"{type(expected).__name__}")
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.")
    if check_dtype and a_tensor and e_tensor and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}.")
    if rtol is None:
        rtol, atol = _TOLERANCES.get(np.promote_types(a.dtype, e.dtype), (0.0, 0.0))
    if a.dtype.kind in "biu" and e.dtype.kind in "biu" and rtol == 0 and atol == 0:
        ok = np.equal(a, e)
    else:
        a64, e64 = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64), e.astype(
            np.complex128 if e.dtype.kind == "c" else np.float64)
        with np.errstate(invalid="ignore"):
            ok = np.abs(a64 - e64) <= atol + rtol * np.abs(e64)
            ok |= a64 == e64  # infinities of the same sign
        if equal_nan:
            ok |= np.isnan(a64) & np.isnan(e64)
    if not np.all(ok):
        bad = int(np.size(ok) - np.count_nonzero(ok))
        diff = np.abs(a.astype(np.float64) - e.astype(np.float64)) if a.dtype.kind != "c" else np.abs(a - e)
        where = np.unravel_index(int(np.nanargmax(np.where(ok, -np.inf, diff))), a.shape) if a.ndim else ()
        raise AssertionError(
            msg or f"Tensor-likes are not close!\n\nMismatched elements: {bad} / {np.size(ok)}\n"
                   f"Greatest absolute difference: {np.nanmax(np.where(ok, 0, diff))} at index "
                   f"{tuple(int(i) for i in where)} "
                   f"(up to {atol} allowed)\nrtol={rtol}, atol={atol}"
        )


assert_allclose = assert_close
