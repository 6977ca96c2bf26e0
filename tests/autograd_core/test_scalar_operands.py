"""Arithmetic with a Python number: the hot path hands NumPy a cached 0-d array of the
tensor's dtype instead of the number (function.py, Op.scalar_operand). The results must be
exactly those of PyTorch, signed zeros, NaN, infinities and huge integers included."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import function

VALUES = [1.001, 0.01, -3, 7, 0.0, -0.0, math.nan, math.inf, -math.inf, 2**60, 1e-30, 1e300]
OPS = {
    "mul": lambda x, s: x * s, "rmul": lambda x, s: s * x,
    "add": lambda x, s: x + s, "radd": lambda x, s: s + x,
    "sub": lambda x, s: x - s, "rsub": lambda x, s: s - x,
    "div": lambda x, s: x / s, "rdiv": lambda x, s: s / x,
}
BASE = [-2.5, -0.0, 0.0, 1e-3, 3.0, 1e30]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_the_cached_scalar_changes_no_bit(op, dtype):
    """Bit for bit what NumPy gives with the Python number itself (the semantics before the cache)."""
    x = ag.tensor(BASE, dtype=getattr(ag, dtype))
    for value in VALUES:
        with np.errstate(all="ignore"):
            got = OPS[op](x, value).numpy()
            want = OPS[op](np.asarray(BASE, dtype=dtype), value)
        assert got.dtype == want.dtype, (op, value)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want), err_msg=f"{op} {value}")
        np.testing.assert_array_equal(got, want, err_msg=f"{op} {value}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_arithmetic_with_python_numbers_matches_torch(lib, op, dtype):
    """Against PyTorch (which computes s / x as s * (1 / x): one rounding more, so 1 ulp)."""
    x = lib.tensor(BASE, dtype=getattr(lib, dtype))
    for value in VALUES:
        out = OPS[op](x, value)
        assert str(out.dtype).endswith(dtype), (op, value)
        got = np.asarray(out.tolist(), dtype=np.float64)
        with np.errstate(all="ignore"):
            want = OPS[op](np.asarray(BASE, dtype=dtype), np.asarray(value, dtype=dtype)).astype(np.float64)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want), err_msg=f"{op} {value}")
        np.testing.assert_allclose(got, want, rtol=2 * np.finfo(dtype).eps, err_msg=f"{op} {value}")


def test_gradients_through_a_cached_scalar_are_right_and_the_cache_is_read_only():
    x = ag.tensor([1.0, -2.0, 4.0], requires_grad=True)
    y = (x * 1.5 + 0.25) / 2.0
    (y * y).sum().backward()
    want = 2 * ((np.array([1.0, -2.0, 4.0], dtype=np.float32) * 1.5 + 0.25) / 2.0) * 1.5 / 2.0
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-6)
    cached = [a for a in function._scalars.values()]
    assert cached and all(not a.flags.writeable and a.ndim == 0 for a in cached)


def test_the_cache_stays_bounded():
    x = ag.ones(2)
    for k in range(3000):
        x * (1.0 + k)
    assert len(function._scalars) <= 1024
