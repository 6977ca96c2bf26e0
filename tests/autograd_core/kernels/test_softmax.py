"""softmax / log_softmax / cross-entropy kernels and their NumPy twins against row-by-row Python
loops, finite differences (float64) and torch.nn.functional; stability at logits of 1e4."""

import math

import numpy as np
import pytest

from autograd_core.kernels import reference as R
from autograd_core.kernels import softmax as S
from autograd_core.kernels._jit import PARALLEL_MIN_CHEAP

MODULES = {"kernel": S, "reference": R}
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}
SHAPES = [(1,), (5,), (3, 7), (2, 3, 4), (4, 1)]


def naive_log_softmax_row(row):
    m = max(row)
    log_total = math.log(sum(math.exp(v - m) for v in row))
    return [v - m - log_total for v in row]


def naive_rows(fn, *arrays):
    """Apply fn(row, ...) -> list to every last-axis row (as Python floats), in float64."""
    shape = arrays[0].shape
    flat = [a.astype(np.float64).reshape(-1, shape[-1]) for a in arrays]
    rows = [fn(*[list(map(float, a[r])) for a in flat]) for r in range(flat[0].shape[0])]
    return np.array(rows).reshape(shape)


def naive_softmax(x):
    return naive_rows(lambda row: [math.exp(v) for v in naive_log_softmax_row(row)], x)


def naive_softmax_grad(y, g):
    def row(yr, gr):
        dot = sum(a * b for a, b in zip(gr, yr))
        return [yi * (gi - dot) for yi, gi in zip(yr, gr)]

    return naive_rows(row, y, g)


def naive_log_softmax_grad(lp, g):
    return naive_rows(lambda lr, gr: [gi - math.exp(li) * sum(gr) for li, gi in zip(lr, gr)], lp, g)


def naive_cross_entropy(logits, target, smoothing, ignore_index=-100):
    n, c = logits.shape
    loss = np.zeros(n)
    for r in range(n):
        lp = naive_log_softmax_row(list(map(float, logits[r])))
        if target.ndim == 1:
            if target[r] == ignore_index:
                continue
            q = [smoothing / c + (1 - smoothing) * (j == target[r]) for j in range(c)]
        else:
            q = [(1 - smoothing) * float(target[r, j]) + smoothing / c for j in range(c)]
        loss[r] = -sum(qj * lj for qj, lj in zip(q, lp))
    return loss


def _x(shape, dtype, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale).astype(dtype), rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("impl", MODULES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_and_log_softmax_match_naive(impl, shape, dtype):
    module = MODULES[impl]
    x, g = _x(shape, dtype)
    y, lp = module.softmax_forward(x), module.log_softmax_forward(x)
    assert y.dtype == lp.dtype == dtype and y.shape == lp.shape == shape
    np.testing.assert_allclose(y, naive_softmax(x), **TOL[dtype])
    np.testing.assert_allclose(lp, naive_rows(naive_log_softmax_row, x), **TOL[dtype])
    np.testing.assert_allclose(module.softmax_backward(y, g), naive_softmax_grad(y, g), **TOL[dtype])
    np.testing.assert_allclose(module.log_softmax_backward(lp, g), naive_log_softmax_grad(lp, g),
                               **TOL[dtype])


@pytest.mark.parametrize("impl", MODULES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("kind", ["index", "prob"])
def test_cross_entropy_matches_naive(impl, kind, smoothing, dtype):
    module = MODULES[impl]
    rng = np.random.default_rng(1)
    logits = (rng.standard_normal((9, 5)) * 3).astype(dtype)
    if kind == "index":
        target = rng.integers(0, 5, 9)
        target[[2, 6]] = -100
    else:
        target = rng.random((9, 5)).astype(dtype)
        target /= target.sum(axis=1, keepdims=True)
    loss, log_probs = module.cross_entropy_forward(logits, target, smoothing)
    assert loss.dtype == log_probs.dtype == dtype and loss.shape == (9,)
    np.testing.assert_allclose(loss, naive_cross_entropy(logits, target, smoothing), **TOL[dtype])
    np.testing.assert_allclose(log_probs, naive_rows(naive_log_softmax_row, logits), **TOL[dtype])
    if kind == "index":
        assert loss[2] == loss[6] == 0.0


def _numeric_grad(f, x, weights, eps=1e-6):
    numeric = np.empty_like(x)
    for i in range(x.size):
        hi, lo = x.copy(), x.copy()
        hi.flat[i] += eps
        lo.flat[i] -= eps
        numeric.flat[i] = (np.sum(weights * f(hi)) - np.sum(weights * f(lo))) / (2 * eps)
    return numeric


@pytest.mark.parametrize("impl", MODULES)
def test_backwards_match_finite_differences(impl):
    module = MODULES[impl]
    x, weights = _x((3, 6), np.float64, seed=2)
    np.testing.assert_allclose(module.softmax_backward(module.softmax_forward(x), weights),
                               _numeric_grad(module.softmax_forward, x, weights), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(module.log_softmax_backward(module.log_softmax_forward(x), weights),
                               _numeric_grad(module.log_softmax_forward, x, weights), rtol=1e-6, atol=1e-9)
    rows = np.random.default_rng(3).standard_normal(3)
    targets = [np.array([4, -100, 0]), np.abs(weights) / np.abs(weights).sum(axis=1, keepdims=True)]
    for target in targets:
        _, log_probs = module.cross_entropy_forward(x, target, 0.2)
        analytic = module.cross_entropy_backward(log_probs, target, 0.2, rows)
        numeric = _numeric_grad(lambda z, t=target: module.cross_entropy_forward(z, t, 0.2)[0], x, rows)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    x, g = _x((2, 5, 7), dtype, seed=4)
    xt = torch.from_numpy(x).requires_grad_()
    for ours, ours_grad, theirs in [(S.softmax_forward, S.softmax_backward, torch.softmax),
                                    (S.log_softmax_forward, S.log_softmax_backward, torch.log_softmax)]:
        yt = theirs(xt, -1)
        (gt,) = torch.autograd.grad(yt, xt, torch.from_numpy(g))
        y = ours(x)
        np.testing.assert_allclose(y, yt.detach().numpy(), **tol)
        np.testing.assert_allclose(ours_grad(y, g), gt.numpy(), **tol)
    logits = x.reshape(10, 7)
    rows = np.random.default_rng(5).standard_normal(10).astype(dtype)
    index = np.array([0, 6, 3, -100, 2, 2, 5, 1, 4, 0])
    prob = np.abs(g.reshape(10, 7))
    for target, smoothing in [(index, 0.0), (index, 0.3), (prob, 0.0), (prob, 0.3)]:
        lt = torch.from_numpy(logits).requires_grad_()
        loss_t = F.cross_entropy(lt, torch.from_numpy(target), reduction="none", label_smoothing=smoothing)
        (gt,) = torch.autograd.grad(loss_t, lt, torch.from_numpy(rows))
        loss, log_probs = S.cross_entropy_forward(logits, target, smoothing)
        np.testing.assert_allclose(loss, loss_t.detach().numpy(), **tol)
        dlogits = S.cross_entropy_backward(log_probs, target, smoothing, rows)
        np.testing.assert_allclose(dlogits, gt.numpy(), **tol)


def test_parallel_rows_match_serial_rows():
    x, g = _x((PARALLEL_MIN_CHEAP // 50 + 7, 50), np.float32, seed=6)
    pairs = [(S.softmax_forward, S.softmax_backward), (S.log_softmax_forward, S.log_softmax_backward)]
    for forward, backward in pairs:
        y = forward(x)
        np.testing.assert_array_equal(y[:3], forward(x[:3]))
        np.testing.assert_array_equal(backward(y, g)[:3], backward(y[:3], g[:3]))
    target = np.arange(x.shape[0]) % 50
    loss, log_probs = S.cross_entropy_forward(x, target, 0.1)
    np.testing.assert_array_equal(loss[:3], S.cross_entropy_forward(x[:3], target[:3], 0.1)[0])


@pytest.mark.parametrize("impl", MODULES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_for_logits_of_magnitude_1e4(impl, dtype):
    module = MODULES[impl]
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        lp = module.log_softmax_forward(x)
        y = module.softmax_forward(x)
        loss, _ = module.cross_entropy_forward(x, np.array([1, 0, 2]), 0.0)
    np.testing.assert_allclose(lp[0], [0.0, -2e4, -1e4])
    np.testing.assert_allclose(lp[1], [-math.log(3)] * 3, rtol=1e-6)
    np.testing.assert_allclose(y[2], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(loss, [2e4, math.log(3), 2e4 + math.log(2)], rtol=1e-6)
    assert np.isfinite(lp).all() and np.isfinite(y).all() and np.isfinite(loss).all()


def test_empty_rows_and_bad_inputs():
    assert S.softmax_forward(np.zeros((0, 4))).shape == (0, 4)
    with pytest.raises(ValueError, match="softmax_forward.*0-d"):
        S.softmax_forward(np.array(1.0))
    with pytest.raises(ValueError, match="cross_entropy_forward.*target 5 is out of range for 5 classes"):
        S.cross_entropy_forward(np.zeros((2, 5)), np.array([1, 5]), 0.0)
    with pytest.raises(ValueError, match="cross_entropy_forward.*shape \\(3,\\)"):
        S.cross_entropy_forward(np.zeros((2, 5)), np.array([1, 2, 3]), 0.0)
    with pytest.raises(ValueError, match="label_smoothing"):
        S.cross_entropy_forward(np.zeros((2, 5)), np.array([1, 2]), 1.5)
    with pytest.raises(ValueError, match="cross_entropy_backward.*grad_rows"):
        S.cross_entropy_backward(np.zeros((2, 5)), np.array([1, 2]), 0.0, np.ones(3))
    with pytest.raises(ValueError, match="log_softmax_backward.*shape"):
        S.log_softmax_backward(np.zeros((2, 5)), np.zeros((5, 2)))


def test_ignore_index_can_be_a_real_class():
    loss, log_probs = S.cross_entropy_forward(np.zeros((2, 3)), np.array([0, 1]), 0.0, ignore_index=0)
    assert loss[0] == 0.0 and loss[1] == pytest.approx(math.log(3))
    d = S.cross_entropy_backward(log_probs, np.array([0, 1]), 0.0, np.ones(2), ignore_index=0)
    assert (d[0] == 0).all()


def test_float16_rows_are_computed_in_float32():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((5, 37)).astype(np.float16)
    x32 = x.astype(np.float32)
    for name in ("softmax_forward", "log_softmax_forward"):
        y = getattr(S, name)(x)
        assert y.dtype == np.float16
        np.testing.assert_array_equal(y, getattr(S, name)(x32).astype(np.float16))
    loss, lp = S.cross_entropy_forward(x, np.arange(5))
    assert loss.dtype == lp.dtype == np.float16
    grad = S.cross_entropy_backward(lp, np.arange(5), 0.0, np.ones(5, np.float16))
    assert grad.dtype == np.float16


def test_float32_softmax_within_two_ulp_of_float64():
    rng = np.random.default_rng(10)
    x = (rng.standard_normal((64, 300)) * 4).astype(np.float32)
    got = S.softmax_forward(x).astype(np.float64)
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(axis=1, keepdims=True))
    want = e / e.sum(axis=1, keepdims=True)
    ulps = np.abs(got - want) / np.spacing(want.astype(np.float32)).astype(np.float64)
    assert ulps.max() <= 2.0


def _f32_ulps(got, want64):
    return np.abs(got.astype(np.float64) - want64) / np.spacing(np.abs(want64).astype(np.float32)).astype(np.float64)


def test_float32_log_softmax_and_cross_entropy_within_two_ulp_of_float64():
    # float32 rows take the float32-arithmetic exp (x - m's rounding error carried into it)
    rng = np.random.default_rng(12)
    x = (rng.standard_normal((64, 300)) * 6).astype(np.float32)
    x64 = x.astype(np.float64)
    shifted = x64 - x64.max(axis=1, keepdims=True)
    want = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    lp = S.log_softmax_forward(x)
    assert lp.dtype == np.float32 and _f32_ulps(lp, want).max() <= 2.0
    target = rng.integers(0, 300, 64)
    loss, log_probs = S.cross_entropy_forward(x, target)
    np.testing.assert_array_equal(log_probs, lp)
    assert _f32_ulps(loss, -want[np.arange(64), target]).max() <= 2.0
    grad = S.cross_entropy_backward(log_probs, target, 0.0, np.ones(64, np.float32))
    want_grad = np.exp(want)
    want_grad[np.arange(64), target] -= 1
    np.testing.assert_allclose(grad, want_grad, rtol=1e-6, atol=1e-7)


def test_float32_log_softmax_backward_matches_float64():
    rng = np.random.default_rng(13)
    x = (rng.standard_normal((16, 200)) * 4).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    got = S.log_softmax_backward(S.log_softmax_forward(x), g)
    want = S.log_softmax_backward(S.log_softmax_forward(x.astype(np.float64)), g.astype(np.float64))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_with_infinities_and_nan_match_torch(dtype):
    torch = pytest.importorskip("torch")
    inf = np.inf
    rows = np.array([[-inf, 0, 1], [inf, 0, 1], [np.nan, 0, 1], [-inf, -inf, -inf], [-0.0, 0.0, -1e-40],
                     [-3e3, -1e3, -2e3]], dtype)
    for ours, theirs in ((S.softmax_forward, torch.softmax), (S.log_softmax_forward, torch.log_softmax)):
        want = theirs(torch.from_numpy(rows), -1).numpy()
        np.testing.assert_allclose(ours(rows), want, rtol=2e-7 if dtype == np.float32 else 1e-15)


def test_row_max_as_integers_orders_every_float32():
    values = np.array([-np.inf, -3e38, -1.0, -1e-45, -0.0, 0.0, 1e-45, 1.0, 3e38, np.inf], np.float32)
    for k in range(1, values.size + 1):
        head = values[:k]
        assert S._row_max32(head) == head.max() and S._row_max32(head[::-1].copy()) == head.max()
    assert np.signbit(S._row_max32(np.array([-0.0, -1.0], np.float32)))
    assert np.isnan(S._row_max32(np.array([1.0, np.nan], np.float32)))


def test_non_contiguous_rows_are_accepted():
    x, _ = _x((6, 5), np.float32, seed=4)
    np.testing.assert_allclose(S.softmax_forward(x.T), S.softmax_forward(np.ascontiguousarray(x.T)))
    np.testing.assert_allclose(S.log_softmax_forward(x[:, ::2]), naive_rows(naive_log_softmax_row, x[:, ::2]),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("impl", MODULES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_through_probabilities_matches_log_probabilities(impl, dtype, smoothing):
    # probs=True keeps softmax(logits) (one fused pass on float32), and the backward from it is p - q
    module = MODULES[impl]
    x, _ = _x((9, 13), dtype, seed=14)
    target = np.array([0, 12, 3, -100, 5, 5, 7, 1, -100])
    grad_rows = np.linspace(0.5, 2.0, 9).astype(dtype)
    loss, log_probs = module.cross_entropy_forward(x, target, smoothing)
    loss_p, probs = module.cross_entropy_forward(x, target, smoothing, probs=True)
    tol = dict(rtol=2e-3, atol=2e-3) if dtype == np.float16 else TOL[dtype]
    if impl == "kernel":  # the twins compute float16 in float32 and leave it there
        assert loss_p.dtype == probs.dtype == dtype
    np.testing.assert_allclose(loss_p, loss, **tol)
    np.testing.assert_allclose(probs, np.exp(log_probs.astype(np.float64)), **tol)
    np.testing.assert_allclose(loss_p, naive_cross_entropy(x, target, smoothing), **tol)
    want = module.cross_entropy_backward(log_probs, target, smoothing, grad_rows)
    got = module.cross_entropy_backward(probs, target, smoothing, grad_rows, from_probs=True)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, **tol)
    assert (got[3] == 0).all() and (got[8] == 0).all()


def test_cross_entropy_probabilities_need_class_indices():
    x, _ = _x((3, 4), np.float32)
    p = np.full((3, 4), 0.25, np.float32)
    with pytest.raises(ValueError, match="class-index"):
        S.cross_entropy_forward(x, p, probs=True)
    with pytest.raises(ValueError, match="class-index"):
        S.cross_entropy_backward(p, p, 0.0, np.ones(3, np.float32), from_probs=True)


@pytest.mark.parametrize("impl", MODULES)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5,), (3, 7), (2, 3, 40)])
def test_log_softmax_through_probabilities(impl, dtype, shape):
    module = MODULES[impl]
    x, g = _x(shape, dtype, seed=15)
    lp, p = module.log_softmax_forward(x, probs=True)
    tol = dict(rtol=2e-3, atol=2e-3) if dtype == np.float16 else TOL[dtype]
    np.testing.assert_array_equal(lp, module.log_softmax_forward(x))
    np.testing.assert_allclose(p, naive_softmax(x), **tol)
    np.testing.assert_allclose(module.log_softmax_backward(p, g, from_probs=True),
                               module.log_softmax_backward(lp, g), **tol)
    if impl == "kernel":
        assert lp.dtype == p.dtype == dtype


@pytest.mark.parametrize("shape", [(64, 300), (4096, 64), (3, 70000)])
def test_float32_softmax_backward_within_its_rounding_bound(shape):
    """dx = y (g - y.g) in float32 (the dot in float64, rounded once): three roundings, each half an
    ulp of a value at most y (|g| + |y.g|) and off by one binade at worst, so within 2.5 ulp of that
    size (g - y.g cancels where g is near the dot, as in any float32 softmax backward); on rows
    masked to -inf as attention's are."""
    rng = np.random.default_rng(12)
    x = (rng.standard_normal(shape) * 4).astype(np.float32)
    x[::3, shape[1] // 2:] = -np.inf
    g = rng.standard_normal(shape).astype(np.float32)
    y = S.softmax_forward(x)
    got = S.softmax_backward(y, g).astype(np.float64)
    y64, g64 = y.astype(np.float64), g.astype(np.float64)
    dot = (y64 * g64).sum(axis=-1, keepdims=True)
    want = y64 * (g64 - dot)
    scale = y64 * (np.abs(g64) + np.abs(dot))
    assert (np.abs(got - want) <= 2.5 * np.spacing(scale.astype(np.float32)).astype(np.float64)).all()
    assert (got[::3, shape[1] // 2:] == 0).all()


@pytest.mark.parametrize("shape", [(128, 10), (1, 2), (7, 32), (300, 3), (64, 33)])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_of_few_classes_equals_the_row_by_row_kernel(shape, smoothing):
    """Few classes take their exps in one flat loop over the array: the same bits as row by row,
    ignored rows, rows of -inf and a NaN included."""
    rng = np.random.default_rng(13)
    x = (rng.standard_normal(shape) * 5).astype(np.float32)
    target = rng.integers(0, shape[1], shape[0])
    target[::5] = -100
    if shape[0] > 3:
        x[1, 0], x[2, :] = np.nan, -np.inf
        x[3, 0] = -np.inf
    loss, p = S.cross_entropy_forward(x, target, smoothing, -100, checked=True, probs=True)
    loss_rows, p_rows = np.empty_like(loss), np.empty_like(p)
    with np.errstate(all="ignore"):
        S._ce_index_probs32.serial(x, target, smoothing, -100, p_rows, loss_rows)
    np.testing.assert_array_equal(loss, loss_rows)
    np.testing.assert_array_equal(p, p_rows)
    want, _ = R.cross_entropy_forward(x[4:].astype(np.float64), target[4:], smoothing, -100)
    np.testing.assert_allclose(loss[4:], want, rtol=1e-6, atol=1e-6)
