"""Pooling kernels and their NumPy twins against window-by-window Python loops, finite differences
(float64) and torch.nn.functional: ties go to the first maximum, padding is -inf for max and counted
zeros for average, overlapping windows add up in the backward."""

import itertools

import numpy as np
import pytest

from autograd_core.kernels import pool as P
from autograd_core.kernels import reference as R

MODULES = {"kernel": P, "reference": R}
GEOMETRIES = [(k, s, p) for k, s, p in itertools.product([1, 2, 3], [None, 1, 2, 3], [0, 1]) if 2 * p <= k]


def _pair(v):
    return (v, v) if isinstance(v, int) else v


def naive_pool2d(x, kernel, stride, padding, mode, g=None):
    """y and argmax (max) or y (avg); with g, the input gradient instead."""
    (kh, kw), (ph, pw) = _pair(kernel), _pair(padding)
    sh, sw = _pair(kernel if stride is None else stride)
    n_, c_, h, w = x.shape
    ho, wo = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    y, argmax, dx = np.zeros((n_, c_, ho, wo)), np.zeros((n_, c_, ho, wo), np.int64), np.zeros(x.shape)
    for n, c, i, j in itertools.product(range(n_), range(c_), range(ho), range(wo)):
        best, best_at, total = -np.inf, None, 0.0
        rows, cols = range(i * sh - ph, i * sh - ph + kh), range(j * sw - pw, j * sw - pw + kw)
        inside = [(r, q) for r in rows for q in cols if 0 <= r < h and 0 <= q < w]
        for r, q in inside:  # row-major: the first maximum wins ties
            total += float(x[n, c, r, q])
            if best_at is None or x[n, c, r, q] > best:
                best, best_at = float(x[n, c, r, q]), r * w + q
        y[n, c, i, j], argmax[n, c, i, j] = (best, best_at) if mode == "max" else (total / (kh * kw), 0)
        if g is not None and mode == "max":
            dx[n, c, best_at // w, best_at % w] += g[n, c, i, j]
        elif g is not None:
            for r, q in inside:
                dx[n, c, r, q] += g[n, c, i, j] / (kh * kw)
    if g is not None:
        return dx
    return (y, argmax) if mode == "max" else y


def _tied_input(shape, dtype, seed=0):
    """Small integers, so most windows hold tied maxima."""
    return np.random.default_rng(seed).integers(-3, 3, shape).astype(dtype)


@pytest.mark.parametrize("impl", MODULES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel, stride, padding", GEOMETRIES)
def test_max_pool2d_matches_naive(impl, kernel, stride, padding, dtype):
    module = MODULES[impl]
    x = _tied_input((2, 3, 7, 6), dtype)
    y, argmax = module.max_pool2d_forward(x, kernel, stride, padding)
    y_naive, argmax_naive = naive_pool2d(x, kernel, stride, padding, "max")
    assert y.dtype == dtype and argmax.dtype == np.int64
    np.testing.assert_array_equal(y, y_naive)
    np.testing.assert_array_equal(argmax, argmax_naive)
    g = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    np.testing.assert_allclose(module.max_pool2d_backward(g, argmax, x.shape),
                               naive_pool2d(x, kernel, stride, padding, "max", g=g), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("impl", MODULES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel, stride, padding", GEOMETRIES)
def test_max_pool1d_matches_naive(impl, kernel, stride, padding, dtype):
    module = MODULES[impl]
    x = _tied_input((2, 3, 11), dtype, seed=2)
    y, argmax = module.max_pool1d_forward(x, kernel, stride, padding)
    s = kernel if stride is None else stride
    y_naive, argmax_naive = naive_pool2d(x[:, :, None], (1, kernel), (1, s), (0, padding), "max")
    np.testing.assert_array_equal(y, y_naive[:, :, 0])
    np.testing.assert_array_equal(argmax, argmax_naive[:, :, 0])
    g = np.random.default_rng(3).standard_normal(y.shape).astype(dtype)
    dx_naive = naive_pool2d(x[:, :, None], (1, kernel), (1, s), (0, padding), "max", g=g[:, :, None])
    dx = module.max_pool1d_backward(g, argmax, x.shape)
    np.testing.assert_allclose(dx, dx_naive[:, :, 0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("impl", MODULES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel, stride, padding", GEOMETRIES + [((2, 3), (1, 2), (1, 0))])
def test_avg_pool2d_matches_naive(impl, kernel, stride, padding, dtype):
    module = MODULES[impl]
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 6)).astype(dtype)
    y = module.avg_pool2d_forward(x, kernel, stride, padding)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y, naive_pool2d(x, kernel, stride, padding, "avg"), **tol)
    g = np.random.default_rng(5).standard_normal(y.shape).astype(dtype)
    np.testing.assert_allclose(module.avg_pool2d_backward(g, x.shape, kernel, stride, padding),
                               naive_pool2d(x, kernel, stride, padding, "avg", g=g), **tol)


def test_overlapping_windows_accumulate():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5.0  # the max of all four 2x2 windows at stride 1
    y, argmax = P.max_pool2d_forward(x, 2, 1)
    assert (argmax == 4).all()
    dx = P.max_pool2d_backward(np.ones(y.shape), argmax, x.shape)
    assert dx[0, 0, 1, 1] == 4.0 and dx.sum() == 4.0
    np.testing.assert_allclose(P.avg_pool2d_backward(np.ones((1, 1, 2, 2)), x.shape, 2, 1)[0, 0],
                               [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]])


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 2, 1), (2, 1, 1)])
def test_backward_matches_finite_differences(kernel, stride, padding):
    rng = np.random.default_rng(6)
    x = rng.permutation(2 * 2 * 5 * 5).reshape(2, 2, 5, 5) * 0.1  # distinct values: max is differentiable
    for mode in ["max", "avg"]:
        if mode == "max":
            forward = lambda z: P.max_pool2d_forward(z, kernel, stride, padding)[0]  # noqa: E731
            y, argmax = P.max_pool2d_forward(x, kernel, stride, padding)
            weights = rng.standard_normal(y.shape)
            analytic = P.max_pool2d_backward(weights, argmax, x.shape)
        else:
            forward = lambda z: P.avg_pool2d_forward(z, kernel, stride, padding)  # noqa: E731
            weights = rng.standard_normal(forward(x).shape)
            analytic = P.avg_pool2d_backward(weights, x.shape, kernel, stride, padding)
        numeric = np.empty_like(x)
        for i in range(x.size):
            hi, lo = x.copy(), x.copy()
            hi.flat[i] += 1e-6
            lo.flat[i] -= 1e-6
            numeric.flat[i] = (np.sum(weights * forward(hi)) - np.sum(weights * forward(lo))) / 2e-6
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel, stride, padding",
                         [(2, None, 0), (3, 2, 1), (3, 1, 1), ((3, 2), (2, 1), (1, 0))])
def test_matches_torch(kernel, stride, padding, dtype):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = _tied_input((2, 3, 9, 8), dtype, seed=7)
    x[1] = np.random.default_rng(8).standard_normal(x[1].shape)
    xt = torch.from_numpy(x).requires_grad_()
    yt, it = F.max_pool2d(xt, kernel, stride, padding, return_indices=True)
    g = np.random.default_rng(9).standard_normal(yt.shape).astype(dtype)
    (gt,) = torch.autograd.grad(yt, xt, torch.from_numpy(g))
    y, argmax = P.max_pool2d_forward(x, kernel, stride, padding)
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_array_equal(argmax, it.numpy())
    np.testing.assert_allclose(P.max_pool2d_backward(g, argmax, x.shape), gt.numpy(), rtol=1e-6, atol=1e-6)

    yt = F.avg_pool2d(xt, kernel, stride, padding)
    (gt,) = torch.autograd.grad(yt, xt, torch.from_numpy(g))
    tol = dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(P.avg_pool2d_forward(x, kernel, stride, padding), yt.detach().numpy(), **tol)
    np.testing.assert_allclose(P.avg_pool2d_backward(g, x.shape, kernel, stride, padding), gt.numpy(), **tol)

    if not isinstance(kernel, tuple):
        x1 = x[:, :, 0]
        x1t = torch.from_numpy(x1).requires_grad_()
        y1t, i1t = F.max_pool1d(x1t, kernel, stride, padding, return_indices=True)
        (g1t,) = torch.autograd.grad(y1t, x1t, torch.ones_like(y1t))
        y1, argmax1 = P.max_pool1d_forward(x1, kernel, stride, padding)
        np.testing.assert_array_equal(y1, y1t.detach().numpy())
        np.testing.assert_array_equal(argmax1, i1t.numpy())
        np.testing.assert_array_equal(P.max_pool1d_backward(np.ones_like(y1), argmax1, x1.shape), g1t.numpy())


def test_nan_wins_its_window_like_torch():
    x = np.array([[[[1.0, np.nan], [3.0, 2.0]]]])
    y, argmax = P.max_pool2d_forward(x, 2)
    assert np.isnan(y[0, 0, 0, 0]) and argmax[0, 0, 0, 0] == 1


def test_bad_inputs_raise_value_error_naming_the_kernel():
    x = np.zeros((1, 2, 4, 4))
    with pytest.raises(ValueError, match="max_pool2d_forward: padding 2 must be at most half the kernel 3"):
        P.max_pool2d_forward(x, 3, 1, 2)
    with pytest.raises(ValueError, match="avg_pool2d_forward: kernel 5 is larger than the padded input"):
        P.avg_pool2d_forward(x, 5)
    with pytest.raises(ValueError, match="max_pool1d_forward: x must be 3-D"):
        P.max_pool1d_forward(x, 2)
    y, argmax = P.max_pool2d_forward(x, 2)
    with pytest.raises(ValueError, match="max_pool2d_backward: argmax values must lie in"):
        P.max_pool2d_backward(np.ones(y.shape), argmax + 100, x.shape)
    with pytest.raises(ValueError, match="max_pool2d_backward: g"):
        P.max_pool2d_backward(np.ones((1, 2, 3, 3)), argmax, x.shape)
    with pytest.raises(ValueError, match="avg_pool2d_backward: g has shape"):
        P.avg_pool2d_backward(np.ones((1, 2, 3, 3)), x.shape, 2)
    with pytest.raises(ValueError, match="max_pool2d_forward: stride must be >= 1"):
        P.max_pool2d_forward(x, 2, 0)


def test_float16_is_computed_in_float32_and_returned_as_float16():
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float16)
    y, argmax = P.max_pool2d_forward(x, 2)
    assert y.dtype == np.float16 and argmax.dtype.kind == "i"
    np.testing.assert_array_equal(y, P.max_pool2d_forward(x.astype(np.float32), 2)[0].astype(np.float16))
    assert P.max_pool2d_backward(np.ones_like(y), argmax, x.shape).dtype == np.float16
    a = P.avg_pool2d_forward(x, 3)
    assert a.dtype == np.float16
    assert P.avg_pool2d_backward(np.ones_like(a), x.shape, 3).dtype == np.float16
    y1, arg1 = P.max_pool1d_forward(x[:, :, 0], 2)
    assert y1.dtype == np.float16 and P.max_pool1d_backward(y1, arg1, x[:, :, 0].shape).dtype == np.float16
