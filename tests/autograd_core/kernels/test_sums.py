"""`kernels.sums.total` against NumPy's sum and its plain-NumPy twin: trailing and leading axes,
keepdims, both float dtypes, the serial and the parallel sizes, and the layouts left to NumPy."""

import numpy as np
import pytest

from autograd_core.kernels import reference as R
from autograd_core.kernels import sums as S

CASES = [  # shape, axes: trailing and leading blocks, below and above the parallel size
    ((16, 64, 128), (2,)), ((16, 4, 64, 64), (3,)), ((100, 1000), (1,)), ((64, 130), (1,)),
    ((16, 64, 128), (1, 2)), ((1024, 128), (0,)), ((16, 64, 128), (0, 1)), ((1024, 384), (0,)),
    ((40, 300), (0,)), ((17, 9, 61), (0,)), ((3, 5000), (-1,)), ((16, 64, 128), (-2, -1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,axes", CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_total_equals_numpy_and_the_twin(shape, axes, dtype, keepdims):
    a = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    got = S.total(a, axes, keepdims)
    want = a.astype(np.float64).sum(axis=axes, keepdims=keepdims)
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-5)
    # the twin sums in float64 too (in another order): float32 results agree to the rounding
    np.testing.assert_allclose(got, R.total(a, axes, keepdims), rtol=2**-23 if dtype == np.float32 else 1e-13,
                               atol=1e-12)


def test_float32_sums_are_rounded_once_from_float64():
    # 2**24 + 1 + 1 + ...: a float32 accumulator would lose every 1
    a = np.ones((64, 257), np.float32)
    a[:, 0] = 2.0**24
    got = S.total(a, (1,))
    assert (got == np.float32(2.0**24 + 256)).all()


def test_nan_inf_and_signed_zero_propagate():
    a = np.zeros((64, 256), np.float32)
    a[1, 5], a[2, 7], a[3] = np.nan, np.inf, -0.0
    a[4, 0], a[4, 1] = np.inf, -np.inf
    rows = S.total(a, (1,))
    assert np.isnan(rows[1]) and rows[2] == np.inf and np.isnan(rows[4])
    assert rows[3] == 0 and np.signbit(rows[3]) and not np.signbit(rows[0])
    cols = S.total(np.full((64, 256), -0.0, np.float32), (0,))
    assert (cols == 0).all() and np.signbit(cols).all()


@pytest.mark.parametrize("a,axes", [
    (np.ones((64, 256), np.float32)[:, ::2], (1,)),  # not contiguous
    (np.ones((64, 256), np.int64), (1,)),  # not a float
    (np.ones((64, 128, 4), np.float32), (1,)),  # a middle axis
    (np.ones((64, 128, 4), np.float32), (2,)),  # rows of 4 elements
    (np.ones((4, 64, 128), np.float32), None),  # everything
    (np.ones((10,), np.float32), (0,)),  # small
    (np.ones((0, 8192), np.float32), (1,)),  # empty
])
def test_other_layouts_are_numpys_sum(a, axes):
    got = S.total(a, axes, False)
    want = a.sum(axis=axes)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


PRODUCT_CASES = [  # a's shape, the broadcast shape it is summed to
    ((16, 64, 128), (16, 64, 1)), ((16, 64, 128), (128,)), ((16, 64, 128), (1, 1, 128)),
    ((1024, 384), (384,)), ((64, 300), (64, 1)), ((40, 300), (1, 300)), ((4, 16, 4096), (4, 16, 1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,to", PRODUCT_CASES)
def test_product_sum_to_equals_the_engines_unbroadcast(shape, to, dtype):
    from autograd_core.engine import unbroadcast

    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    got = S.product_sum_to(a, b, to)
    want = unbroadcast(a.astype(np.float64) * b.astype(np.float64), to)
    assert got.dtype == dtype and got.shape == to
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-5)
    np.testing.assert_allclose(got, R.product_sum_to(a, b, to), rtol=2**-23 if dtype == np.float32 else 1e-13,
                               atol=1e-12)


@pytest.mark.parametrize("a,b,to", [
    (np.ones((64, 256)), np.ones((64, 256)), (64, 256)),  # nothing to sum
    (np.ones((64, 256)), np.ones((64, 256)), (3,)),  # does not broadcast
    (np.ones((64, 128, 4)), np.ones((64, 128, 4)), (64, 1, 4)),  # a middle axis
    (np.ones((64, 256)), np.ones((64, 256), np.float32), (64, 1)),  # two dtypes
    (np.ones((64, 256)), np.ones((256,)), (64, 1)),  # two shapes
    (np.ones((64, 512))[:, ::2], np.ones((64, 256)), (64, 1)),  # not contiguous
    (np.ones((4, 4)), np.ones((4, 4)), (4, 1)),  # small
])
def test_product_sum_to_declines_what_it_does_not_do(a, b, to):
    assert S.product_sum_to(a, b, to) is None
