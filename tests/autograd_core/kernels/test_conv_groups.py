"""Grouped and depthwise convolution, strided convolution through the phase planes, the separate
input-gradient (transposed convolution) and weight-gradient kernels, and float16, against the
NumPy twins (per-group convolutions), finite differences and torch.nn.functional."""

import numpy as np
import pytest

from autograd_core.kernels import conv as K
from autograd_core.kernels import reference as R

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-11, atol=1e-11)}

# (x shape, w shape, stride, padding, dilation, groups)
CASES_2D = [
    ((2, 4, 7, 6), (6, 2, 3, 3), 1, 1, 1, 2),
    ((2, 6, 9, 8), (6, 1, 3, 3), 2, 1, 1, 6),  # depthwise, stride 2
    ((1, 6, 10, 9), (9, 2, 3, 2), (2, 3), (1, 0), (1, 2), 3),
    ((3, 3, 8, 8), (5, 3, 3, 3), 2, 1, 1, 1),
    ((2, 2, 11, 7), (4, 2, 5, 3), 3, 2, 1, 1),
    ((1, 4, 6, 6), (4, 1, 1, 1), 2, 0, 1, 4),
]
CASES_1D = [((2, 4, 17), (8, 2, 3), 2, 1, 1, 2), ((3, 5, 12), (5, 1, 5), 1, 2, 2, 5),
            ((2, 3, 15), (4, 3, 4), 3, 1, 1, 1)]


def _data(xs, ws, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype),
            rng.standard_normal(ws[0]).astype(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES_2D + CASES_1D)
def test_kernel_matches_reference_forward_and_gradients(case, dtype):
    xs, ws, stride, padding, dilation, groups = case
    nd = len(xs) - 2
    fwd, bwd = (K.conv2d_forward, K.conv2d_backward) if nd == 2 else (K.conv1d_forward, K.conv1d_backward)
    rfwd, rbwd = (R.conv2d_forward, R.conv2d_backward) if nd == 2 else (R.conv1d_forward, R.conv1d_backward)
    x, w, b = _data(xs, ws, dtype)
    y = fwd(x, w, b, stride, padding, dilation, groups)
    np.testing.assert_allclose(y, rfwd(x, w, b, stride, padding, dilation, groups), **TOL[dtype])
    g = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    got = bwd(x, w, g, stride, padding, dilation, groups=groups)
    want = rbwd(x, w, g, stride, padding, dilation, groups=groups)
    for a, e in zip(got, want):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, e, **TOL[dtype])
    input_grad = K.conv2d_input_grad if nd == 2 else K.conv1d_input_grad
    weight_grad = K.conv2d_weight_grad if nd == 2 else K.conv1d_weight_grad
    geometry = (stride, padding, dilation, groups)
    np.testing.assert_allclose(input_grad(g, w, x.shape, *geometry), got[0], **TOL[dtype])
    np.testing.assert_allclose(weight_grad(x, g, w.shape, *geometry), got[1], **TOL[dtype])


def test_gradients_match_finite_differences_grouped_strided():
    xs, ws, stride, padding, dilation, groups = CASES_2D[2]
    x, w, b = _data(xs, ws, np.float64, seed=3)
    y = K.conv2d_forward(x, w, b, stride, padding, dilation, groups)
    g = np.random.default_rng(4).standard_normal(y.shape)
    dx, dw, db = K.conv2d_backward(x, w, g, stride, padding, dilation, groups=groups)

    def loss(x_, w_, b_):
        return float((K.conv2d_forward(x_, w_, b_, stride, padding, dilation, groups) * g).sum())

    h = 1e-6
    for arr, grad in ((x, dx), (w, dw), (b, db)):
        for idx in [tuple(np.random.default_rng(5).integers(0, s) for s in arr.shape) for _ in range(6)]:
            old = arr[idx]
            arr[idx] = old + h
            up = loss(x, w, b)
            arr[idx] = old - h
            down = loss(x, w, b)
            arr[idx] = old
            assert grad[idx] == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("case", CASES_2D[:3] + CASES_1D[:2])
def test_matches_torch(case):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    xs, ws, stride, padding, dilation, groups = case
    nd = len(xs) - 2
    x, w, b = _data(xs, ws, np.float32, seed=6)
    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    conv = F.conv2d if nd == 2 else F.conv1d
    yt = conv(xt, wt, bt, stride, padding, dilation, groups)
    g = np.random.default_rng(7).standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.from_numpy(g))
    fwd, bwd = (K.conv2d_forward, K.conv2d_backward) if nd == 2 else (K.conv1d_forward, K.conv1d_backward)
    np.testing.assert_allclose(fwd(x, w, b, stride, padding, dilation, groups), yt.detach().numpy(),
                               rtol=1e-4, atol=1e-4)
    grads = bwd(x, w, g, stride, padding, dilation, groups=groups)
    for ours, theirs in zip(grads, (xt.grad, wt.grad, bt.grad)):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-4, atol=1e-4)


def test_float16_is_computed_in_float32():
    x, w, b = _data((2, 4, 6, 6), (4, 2, 3, 3), np.float16)
    y = K.conv2d_forward(x, w, b, 1, 1, 1, 2)
    assert y.dtype == np.float16
    x32, w32, b32 = (a.astype(np.float32) for a in (x, w, b))
    np.testing.assert_array_equal(y, K.conv2d_forward(x32, w32, b32, 1, 1, 1, 2).astype(np.float16))
    grads = K.conv2d_backward(x, w, y, 1, 1, 1, groups=2)
    assert all(gr.dtype == np.float16 for gr in grads)


def test_bad_groups_raise_naming_the_kernel():
    x, w, _ = _data((1, 4, 5, 5), (6, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match="conv2d_forward: groups must be a positive int"):
        K.conv2d_forward(x, w, None, groups=0)
    with pytest.raises(ValueError, match="conv2d_forward: 6 output channels .* not divisible by groups=4"):
        K.conv2d_forward(x, w, None, groups=4)
    with pytest.raises(ValueError, match="conv2d_forward: x of shape .* has 4 channels .* expects 6"):
        K.conv2d_forward(x, w, None, groups=3)
    with pytest.raises(TypeError, match="conv2d_forward: x must be .* got int64"):
        K.conv2d_forward(np.ones((1, 4, 5, 5), np.int64), w, None, groups=2)
