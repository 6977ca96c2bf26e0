"""The per-sample convolution kernels (kernels/conv_fused.py): batches large enough to take them
(two samples per thread and more), against the NumPy twins, the whole-batch passes and torch, over
strides, padding, dilation, groups, odd sizes, channel counts that do and do not fill the blocks of
four, and an empty batch."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograd_core.kernels import _threads, conv_fused
from autograd_core.kernels import conv as K
from autograd_core.kernels import reference as R

TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-11, atol=1e-11)}
BATCH = 2 * _threads.cores() + 1  # the per-sample kernels, with chunks of unequal size

# (x shape without the batch, w shape, stride, padding, dilation, groups)
CASES_2D = [
    ((8, 9, 9), (16, 8, 3, 3), 1, 1, 1, 1),  # four taps and four channels per pass, a rest of taps
    ((3, 11, 10), (5, 3, 3, 2), 2, 1, 1, 1),  # stride 2, odd sizes, one output channel left over
    ((6, 10, 9), (9, 2, 3, 2), (2, 3), (1, 0), (1, 2), 3),  # pairs and groups
    ((16, 8, 8), (16, 1, 3, 3), 1, 1, 1, 16),  # depthwise
    ((8, 13, 12), (8, 1, 3, 3), 2, 1, 1, 8),  # depthwise, stride 2
    ((16, 7, 7), (32, 16, 1, 1), 1, 0, 1, 1),  # pointwise
    ((4, 7, 9), (8, 4, 5, 3), 3, 2, 2, 1),
    ((2, 5, 5), (6, 2, 5, 5), 1, 0, 1, 1),  # kernel as large as the input
]
CASES_1D = [((4, 33), (16, 4, 5), 1, 2, 1, 1), ((16, 20), (32, 16, 5), 2, 2, 1, 1),
            ((6, 17), (6, 1, 3), 1, 1, 2, 6), ((8, 19), (12, 4, 4), 3, 1, 1, 2)]


def _data(x_shape, w_shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype),
            rng.standard_normal(w_shape[0]).astype(dtype))


def _kernels(nd):
    return ({"forward": getattr(K, f"conv{nd}d_forward"), "backward": getattr(K, f"conv{nd}d_backward"),
             "input": getattr(K, f"conv{nd}d_input_grad"), "weight": getattr(K, f"conv{nd}d_weight_grad")},
            {"forward": getattr(R, f"conv{nd}d_forward"), "backward": getattr(R, f"conv{nd}d_backward")})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES_2D + CASES_1D)
def test_per_sample_kernels_match_numpy_twin(case, dtype):
    x_shape, w_shape, stride, padding, dilation, groups = case
    ours, twin = _kernels(len(x_shape) - 1)
    x, w, b = _data((BATCH, *x_shape), w_shape, dtype)
    y = ours["forward"](x, w, b, stride, padding, dilation, groups)
    np.testing.assert_allclose(y, twin["forward"](x, w, b, stride, padding, dilation, groups), **TOL[dtype])
    g = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    grads = ours["backward"](x, w, g, stride, padding, dilation, groups=groups)
    expected = twin["backward"](x, w, g, stride, padding, dilation, groups=groups)
    for got, want in zip(grads, expected):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, **TOL[dtype])
    np.testing.assert_allclose(ours["input"](g, w, x.shape, stride, padding, dilation, groups), expected[0],
                               **TOL[dtype])
    np.testing.assert_allclose(ours["weight"](x, g, w.shape, stride, padding, dilation, groups), expected[1],
                               **TOL[dtype])


@pytest.mark.parametrize("case", CASES_2D[:4] + CASES_1D[:2])
def test_per_sample_and_whole_batch_passes_agree(case):
    """The first samples of a large batch get the same gradients as that small batch alone (which
    takes the whole-batch passes); dw and db are sums over the batch, so compare a batch and itself."""
    x_shape, w_shape, stride, padding, dilation, groups = case
    ours, _ = _kernels(len(x_shape) - 1)
    x, w, b = _data((BATCH, *x_shape), w_shape, np.float64, seed=3)
    g = np.random.default_rng(4).standard_normal(ours["forward"](x, w, b, stride, padding, dilation,
                                                                  groups).shape)
    large = ours["backward"](x, w, g, stride, padding, dilation, groups=groups)
    small = [ours["backward"](x[i:i + 1], w, g[i:i + 1], stride, padding, dilation, groups=groups)
             for i in range(BATCH)]
    np.testing.assert_allclose(large[0], np.concatenate([s[0] for s in small]), **TOL[np.float64])
    np.testing.assert_allclose(large[1], sum(s[1] for s in small), **TOL[np.float64])
    np.testing.assert_allclose(large[2], sum(s[2] for s in small), **TOL[np.float64])


@pytest.mark.parametrize("need", [(True, False, False), (False, True, True), (False, False, True)])
def test_per_sample_backward_computes_only_what_is_needed(need):
    x, w, b = _data((BATCH, 4, 6, 6), (8, 2, 3, 3), np.float64)
    g = np.random.default_rng(2).standard_normal((BATCH, 8, 6, 6))
    got = K.conv2d_backward(x, w, g, 1, 1, 1, *need, groups=2)
    want = R.conv2d_backward(x, w, g, 1, 1, 1, groups=2)
    for flag, ours, expected in zip(need, got, want):
        if flag:
            np.testing.assert_allclose(ours, expected, **TOL[np.float64])
        else:
            assert ours is None


def test_empty_batch():
    x, w, b = _data((0, 4, 5, 5), (6, 2, 3, 3), np.float32)
    y = K.conv2d_forward(x, w, b, 1, 1, 1, 2)
    assert y.shape == (0, 6, 5, 5)
    dx, dw, db = K.conv2d_backward(x, w, np.zeros(y.shape, np.float32), 1, 1, 1, groups=2)
    assert dx.shape == x.shape and not dw.any() and not db.any()


def test_small_batch_forward_splits_output_channels():
    """One sample: the forward splits its output channels over jobs; every channel is still written."""
    x, w, b = _data((1, 8, 9, 9), (18, 8, 3, 3), np.float64)
    assert K._jobs_per_sample(1, 18) > 1
    np.testing.assert_allclose(K.conv2d_forward(x, w, b, 1, 1), R.conv2d_forward(x, w, b, 1, 1),
                               **TOL[np.float64])


def test_serial_twins_match():
    """The serial compilation (run on a busy machine or in a forked child) gives the same numbers."""
    x, w, b = _data((BATCH, 6, 7, 7), (6, 2, 3, 3), np.float32)
    plan = K._Plan(x.shape, w.shape, (2, 2), (1, 1), (1, 1), 3, (4, 4))
    y1, y2 = np.empty((BATCH, 6, 4, 4), np.float32), np.empty((BATCH, 6, 4, 4), np.float32)
    conv_fused.forward(x, w, b, plan.offset, plan.geo, 3, 1, y1)
    conv_fused.forward.serial(x, w, b, plan.offset, plan.geo, 3, 1, y2)
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize("case", CASES_2D + CASES_1D)
def test_per_sample_kernels_match_torch(case):
    torch = pytest.importorskip("torch")
    x_shape, w_shape, stride, padding, dilation, groups = case
    nd = len(x_shape) - 1
    ours, _ = _kernels(nd)
    x, w, b = _data((BATCH, *x_shape), w_shape, np.float64, seed=5)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = getattr(torch.nn.functional, f"conv{nd}d")(tx, tw, tb, stride, padding, dilation, groups)
    g = np.random.default_rng(6).standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(ours["forward"](x, w, b, stride, padding, dilation, groups), ty.detach().numpy(),
                               **TOL[np.float64])
    for got, want in zip(ours["backward"](x, w, g, stride, padding, dilation, groups=groups), (tx, tw, tb)):
        np.testing.assert_allclose(got, want.grad.numpy(), **TOL[np.float64])


def test_per_sample_kernels_run_as_python_with_numba_disabled():
    """The loops are plain Python under NUMBA_DISABLE_JIT=1 (unsigned offsets included)."""
    code = """
import numpy as np
from autograd_core.kernels import conv, reference
rng = np.random.default_rng(0)
n = 2 * conv._threads.cores() + 1
x, w, b = rng.standard_normal((n, 4, 6, 5)), rng.standard_normal((6, 2, 3, 2)), rng.standard_normal(6)
y = conv.conv2d_forward(x, w, b, 2, 1, (2, 1), 2)
g = rng.standard_normal(y.shape)
got = [y, *conv.conv2d_backward(x, w, g, 2, 1, (2, 1), groups=2)]
want = [reference.conv2d_forward(x, w, b, 2, 1, (2, 1), 2), *reference.conv2d_backward(x, w, g, 2, 1, (2, 1), groups=2)]
print(max(float(np.abs(a - e).max()) for a, e in zip(got, want)))
"""
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=300,
                            env={**os.environ, "NUMBA_DISABLE_JIT": "1", "PYTHONPATH": str(root)})
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.split()[-1]) < 1e-12
