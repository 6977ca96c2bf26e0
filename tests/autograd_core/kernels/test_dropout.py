"""Dropout kernels: masks drawn from the caller's Generator (same seed, same mask), values 0 or
1/(1-p), about a fraction p of zeros and a mean of 1, and the p = 0 and p = 1 edge cases."""

import numpy as np
import pytest

from autograd_core.kernels import dropout as D
from autograd_core.kernels import reference as R


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_seed_gives_the_same_mask(dtype):
    a = D.dropout_mask((50, 40), 0.3, np.random.default_rng(123), dtype)
    b = D.dropout_mask((50, 40), 0.3, np.random.default_rng(123), dtype)
    c = D.dropout_mask((50, 40), 0.3, np.random.default_rng(124), dtype)
    assert a.dtype == dtype and np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mask_is_the_generator_stream_thresholded(dtype):
    p, shape = 0.4, (7, 9)
    mask = D.dropout_mask(shape, p, np.random.default_rng(5), dtype)
    u = np.random.default_rng(5).random(shape, dtype=dtype)
    expected = [0.0 if v < p else dtype(1) / dtype(1 - p) for v in u.reshape(-1)]
    np.testing.assert_allclose(mask.reshape(-1), expected, rtol=1e-7)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_fraction_of_zeros_is_p_and_mean_is_one(p):
    mask = D.dropout_mask((400, 500), p, np.random.default_rng(0), np.float64)
    assert set(np.unique(mask)) == {0.0, 1 / (1 - p)}
    assert abs((mask == 0).mean() - p) < 0.005  # 200k draws: the standard error is below 0.0012
    assert abs(mask.mean() - 1) < 0.02


@pytest.mark.parametrize("module", [D, R])
def test_forward_and_backward(module):
    x = np.random.default_rng(1).standard_normal((30, 20)).astype(np.float32)
    y, mask = module.dropout_forward(x, 0.25, np.random.default_rng(2))
    assert y.dtype == mask.dtype == np.float32
    np.testing.assert_array_equal(y, x * mask)
    g = np.random.default_rng(3).standard_normal(x.shape).astype(np.float32)
    # y is linear in x with slope mask, so the gradient is exactly g * mask
    np.testing.assert_array_equal(module.dropout_backward(g, mask), g * mask)


def test_p_zero_returns_the_input_and_p_one_zeros():
    x = np.ones((3, 4))
    y, mask = D.dropout_forward(x, 0.0, np.random.default_rng(0))
    assert y is x and mask is None
    assert D.dropout_backward(np.full((3, 4), 2.0), None).sum() == 24.0
    y, mask = D.dropout_forward(x, 1.0, np.random.default_rng(0))
    assert not y.any() and not mask.any() and np.isfinite(mask).all()
    assert not D.dropout_backward(np.ones((3, 4)), mask).any()


def test_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="dropout_forward: p must be in"):
        D.dropout_forward(np.ones(3), 1.5, np.random.default_rng(0))
    with pytest.raises(TypeError, match="dropout_mask: dtype"):
        D.dropout_mask((3,), 0.5, np.random.default_rng(0), np.int64)
    with pytest.raises(ValueError, match="dropout_backward: mask has shape"):
        D.dropout_backward(np.ones(3), np.ones(4))


def test_float16_is_computed_in_float32_and_returned_as_float16():
    x = np.arange(1.0, 9.0, dtype=np.float16)
    y, mask = D.dropout_forward(x, 0.5, np.random.default_rng(0))
    assert y.dtype == mask.dtype == np.float16
    np.testing.assert_array_equal(y, x * mask)
    assert D.dropout_backward(np.ones(8, np.float16), mask).dtype == np.float16
