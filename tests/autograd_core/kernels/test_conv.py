"""conv1d / conv2d kernels and their NumPy twins against nested Python loops over every output and
tap, finite differences (float64) and torch.nn.functional, over strides, paddings, dilations,
channel counts, batch sizes and both float dtypes."""

import itertools

import numpy as np
import pytest

from autograd_core.kernels import conv as K
from autograd_core.kernels import reference as R

MODULES = {"kernel": K, "reference": R}
TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-11, atol=1e-11)}


def _pair(v):
    return (v, v) if isinstance(v, int) else v


def naive_conv2d(x, w, b, stride, padding, dilation, g=None):
    """y, or with g the gradients (dx, dw, db): every output reads x[n, c, i*s - p + k*d, ...] if inside."""
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    n_, c_, h, wd = x.shape
    o_, _, kh_, kw_ = w.shape
    ho = (h + 2 * ph - dh * (kh_ - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw_ - 1) - 1) // sw + 1
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    y = np.zeros((n_, o_, ho, wo))
    dx, dweight, db = np.zeros(x.shape), np.zeros(w.shape), np.zeros(o_)
    for n, o, i, j in itertools.product(range(n_), range(o_), range(ho), range(wo)):
        total = 0.0 if b is None else float(b[o])
        for c, kh, kw in itertools.product(range(c_), range(kh_), range(kw_)):
            r, q = i * sh - ph + kh * dh, j * sw - pw + kw * dw
            if 0 <= r < h and 0 <= q < wd:
                total += w64[o, c, kh, kw] * x64[n, c, r, q]
                if g is not None:
                    dx[n, c, r, q] += g[n, o, i, j] * w64[o, c, kh, kw]
                    dweight[o, c, kh, kw] += g[n, o, i, j] * x64[n, c, r, q]
        y[n, o, i, j] = total
        if g is not None:
            db[o] += g[n, o, i, j]
    return y if g is None else (dx, dweight, db)


def naive_conv1d(x, w, b, stride, padding, dilation, g=None):
    n_, c_, length = x.shape
    o_, _, k_ = w.shape
    lo = (length + 2 * padding - dilation * (k_ - 1) - 1) // stride + 1
    y = np.zeros((n_, o_, lo))
    dx, dweight, db = np.zeros(x.shape), np.zeros(w.shape), np.zeros(o_)
    for n, o, i in itertools.product(range(n_), range(o_), range(lo)):
        y[n, o, i] = 0.0 if b is None else b[o]
        for c, k in itertools.product(range(c_), range(k_)):
            q = i * stride - padding + k * dilation
            if 0 <= q < length:
                y[n, o, i] += float(w[o, c, k]) * float(x[n, c, q])
                if g is not None:
                    dx[n, c, q] += g[n, o, i] * w[o, c, k]
                    dweight[o, c, k] += g[n, o, i] * x[n, c, q]
        if g is not None:
            db[o] += g[n, o, i]
    return y if g is None else (dx, dweight, db)


def _data(x_shape, w_shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype),
            rng.standard_normal(w_shape[0]).astype(dtype))


def _check(module, nd, x, w, b, stride, padding, dilation, tol):
    forward, backward = getattr(module, f"conv{nd}d_forward"), getattr(module, f"conv{nd}d_backward")
    naive = naive_conv2d if nd == 2 else naive_conv1d
    y = forward(x, w, b, stride, padding, dilation)
    assert y.dtype == x.dtype and y.flags.c_contiguous
    np.testing.assert_allclose(y, naive(x, w, b, stride, padding, dilation), **tol)
    g = np.random.default_rng(9).standard_normal(y.shape).astype(x.dtype)
    grads = backward(x, w, g, stride, padding, dilation)
    for ours, expected in zip(grads, naive(x, w, b, stride, padding, dilation, g=g)):
        assert ours.dtype == x.dtype
        np.testing.assert_allclose(ours, expected, **tol)


@pytest.mark.parametrize("impl", MODULES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_conv2d_matches_naive_loops(impl, stride, padding, dilation, dtype):
    x, w, b = _data((2, 3, 9, 8), (5, 3, 3, 2), dtype)  # odd sizes, a non-square kernel, 5 = 4 + 1 outputs
    _check(MODULES[impl], 2, x, w, b, stride, padding, dilation, TOL[dtype])


@pytest.mark.parametrize("impl", MODULES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_conv1d_matches_naive_loops(impl, stride, padding, dilation, dtype):
    x, w, b = _data((2, 3, 13), (5, 3, 3), dtype)
    _check(MODULES[impl], 1, x, w, b, stride, padding, dilation, TOL[dtype])


@pytest.mark.parametrize("impl", MODULES)
@pytest.mark.parametrize(
    "x_shape, w_shape, stride, padding, dilation",
    [
        ((1, 1, 5, 5), (1, 1, 3, 3), 1, 1, 1),  # batch 1, one channel in and out
        ((3, 4, 6, 7), (9, 4, 1, 1), 1, 0, 1),  # 1x1 kernel, 9 = 2*4 + 1 outputs
        ((2, 2, 7, 11), (3, 2, 2, 3), (1, 2), (2, 0), (2, 1)),  # pairs, different per axis
        ((1, 5, 4, 4), (2, 5, 4, 4), 1, 0, 1),  # kernel as large as the input: one output
        ((2, 1, 3, 17), (6, 1, 3, 5), 3, 2, 2),
    ],
)
def test_conv2d_shapes_and_pairs(impl, x_shape, w_shape, stride, padding, dilation):
    x, w, b = _data(x_shape, w_shape, np.float64, seed=1)
    _check(MODULES[impl], 2, x, w, b, stride, padding, dilation, TOL[np.float64])


@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.parametrize("stride, padding, dilation", [(1, 1, 1), (2, 2, 2), (3, 0, 1)])
def test_backward_matches_finite_differences(nd, stride, padding, dilation):
    x, w, b = _data((1, 2, 5, 6)[: nd + 2], (3, 2, 3, 2)[: nd + 2], np.float64, seed=2)
    forward, backward = getattr(K, f"conv{nd}d_forward"), getattr(K, f"conv{nd}d_backward")
    weights = np.random.default_rng(3).standard_normal(forward(x, w, b, stride, padding, dilation).shape)

    def loss(xx, ww, bb):
        return np.sum(weights * forward(xx, ww, bb, stride, padding, dilation))

    analytic = backward(x, w, weights, stride, padding, dilation)
    for k, arg in enumerate((x, w, b)):
        numeric = np.empty_like(arg)
        for i in range(arg.size):
            hi, lo = arg.copy(), arg.copy()
            hi.flat[i] += 1e-6
            lo.flat[i] -= 1e-6
            args_hi, args_lo = [x, w, b], [x, w, b]
            args_hi[k], args_lo[k] = hi, lo
            numeric.flat[i] = (loss(*args_hi) - loss(*args_lo)) / 2e-6
        np.testing.assert_allclose(analytic[k], numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (1, 2, 1), (2, 1, 2), (3, 2, 1)])
@pytest.mark.parametrize("nd", [1, 2])
def test_matches_torch(nd, stride, padding, dilation, dtype):
    torch = pytest.importorskip("torch")
    conv = getattr(torch.nn.functional, f"conv{nd}d")
    x, w, b = _data((3, 4, 10, 9)[: nd + 2], (6, 4, 3, 3)[: nd + 2], dtype, seed=4)
    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    yt = conv(xt, wt, bt, stride=stride, padding=padding, dilation=dilation)
    g = np.random.default_rng(5).standard_normal(yt.shape).astype(dtype)
    expected = torch.autograd.grad(yt, (xt, wt, bt), torch.from_numpy(g))
    y = getattr(K, f"conv{nd}d_forward")(x, w, b, stride, padding, dilation)
    tol = TOL[dtype]
    np.testing.assert_allclose(y, yt.detach().numpy(), **tol)
    for ours, theirs in zip(getattr(K, f"conv{nd}d_backward")(x, w, g, stride, padding, dilation), expected):
        np.testing.assert_allclose(ours, theirs.numpy(), **tol)


def test_only_the_needed_gradients_are_computed():
    x, w, b = _data((2, 3, 6, 6), (4, 3, 3, 3), np.float64, seed=6)
    g = np.ones((2, 4, 6, 6))
    full = K.conv2d_backward(x, w, g, 1, 1, 1)
    for need in itertools.product([False, True], repeat=3):
        got = K.conv2d_backward(x, w, g, 1, 1, 1, *need)
        for wanted, ours, reference in zip(need, got, full):
            assert (ours is None) if not wanted else np.array_equal(ours, reference)
    dx, dw, db = K.conv1d_backward(x[:, :, 0], w[:, :, 0], g[:, :, 0, :4], 1, 0, 1, need_x=False)
    assert dx is None and dw.shape == (4, 3, 3) and db.shape == (4,)


def test_no_bias_and_non_contiguous_inputs():
    x, w, _ = _data((2, 3, 7, 5), (2, 3, 3, 3), np.float64, seed=7)
    xt = np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)  # same values, F-like strides
    np.testing.assert_allclose(K.conv2d_forward(xt, w, None, 1, 1, 1), naive_conv2d(x, w, None, 1, 1, 1))


def test_bad_inputs_raise_value_error_naming_the_kernel_and_shapes():
    x, w, b = _data((2, 3, 5, 5), (4, 3, 3, 3), np.float32)
    channels = r"conv2d_forward: x of shape \(2, 3, 5, 5\) has 3 channels but w of shape \(4, 2, 3, 3\)"
    with pytest.raises(ValueError, match=channels):
        K.conv2d_forward(x, w[:, :2], b, 1, 0, 1)
    with pytest.raises(ValueError, match="conv2d_forward: kernel .* larger than the padded input"):
        K.conv2d_forward(x, w, b, 1, 0, 3)
    with pytest.raises(ValueError, match="conv1d_forward: kernel .* larger than the padded input"):
        K.conv1d_forward(x[:, :, 0, :2], w[:, :, 0], b, 1, 0, 1)
    grad_shape = r"conv2d_backward: g has shape \(2, 4, 5, 5\) but the output has shape \(2, 4, 3, 3\)"
    with pytest.raises(ValueError, match=grad_shape):
        K.conv2d_backward(x, w, np.ones((2, 4, 5, 5), np.float32), 1, 0, 1)
    with pytest.raises(ValueError, match="conv2d_forward: w is float64 but x is float32"):
        K.conv2d_forward(x, w.astype(np.float64), b, 1, 0, 1)
    with pytest.raises(ValueError, match="conv2d_forward: b must be"):
        K.conv2d_forward(x, w, b[:2], 1, 0, 1)
    with pytest.raises(ValueError, match="conv2d_forward: stride must be >= 1"):
        K.conv2d_forward(x, w, b, 0, 0, 1)
    with pytest.raises(ValueError, match="conv1d_forward: padding must be >= 0"):
        K.conv1d_forward(x[:, :, 0], w[:, :, 0], b, 1, -1, 1)
    with pytest.raises(ValueError, match="conv1d_forward: x and w must be 3-D"):
        K.conv1d_forward(x, w, b, 1, 0, 1)
