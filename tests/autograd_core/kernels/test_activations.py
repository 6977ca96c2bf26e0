"""Activation kernels and their NumPy twins against per-element Python formulas, finite
differences (float64) and torch.nn.functional."""

import math

import numpy as np
import pytest

from autograd_core.kernels import activations as A
from autograd_core.kernels import reference as R
from autograd_core.kernels._jit import PARALLEL_MIN_CHEAP

# name -> (forward(v, **p), derivative(v, **p)), written the obvious way and independently of the kernels
NAIVE = {
    "relu": (lambda v: v if v > 0 else 0.0, lambda v: 1.0 if v > 0 else 0.0),
    "leaky_relu": (lambda v, slope: v if v > 0 else slope * v, lambda v, slope: 1.0 if v > 0 else slope),
    "sigmoid": (lambda v: 0.5 * (1 + math.tanh(v / 2)), lambda v: 0.25 / math.cosh(v / 2) ** 2),
    "tanh": (math.tanh, lambda v: 1 / math.cosh(v) ** 2),
    "gelu": (
        lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))),
        lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2))) + v * math.exp(-v * v / 2) / math.sqrt(2 * math.pi),
    ),
    "softplus": (
        lambda v, beta, threshold: v if beta * v > threshold else math.log1p(math.exp(beta * v)) / beta,
        lambda v, beta, threshold: 1.0 if beta * v > threshold else 1 / (1 + math.exp(-beta * v)),
    ),
    "silu": (lambda v: v * 0.5 * (1 + math.tanh(v / 2)),
             lambda v: 0.5 * (1 + math.tanh(v / 2)) * (1 + v * 0.5 * (1 - math.tanh(v / 2)))),
}
PARAMS = {"leaky_relu": {"slope": 0.07}, "softplus": {"beta": 1.5, "threshold": 4.0}}
USES_OUTPUT = {"sigmoid", "tanh"}  # their backward takes y = forward(x)
TOL = {np.float32: dict(rtol=2e-6, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-13)}
MODULES = {"kernel": A, "reference": R}


def _naive(fn, x, **p):
    return np.array([fn(float(v), **p) for v in x.reshape(-1)]).reshape(x.shape)


def _inputs(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    x.reshape(-1)[:2] = 0.0  # the kinks of relu/leaky_relu
    return x, rng.standard_normal(shape).astype(dtype)


def _backward(module, name, x, g, **p):
    arg = getattr(module, f"{name}_forward")(x, **p) if name in USES_OUTPUT else x
    return getattr(module, f"{name}_backward")(arg, g, **p)


@pytest.mark.parametrize("impl", MODULES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1,), (7,), (3, 5), (2, 3, 4, 5), ()])
@pytest.mark.parametrize("name", NAIVE)
def test_forward_and_backward_match_naive(impl, name, shape, dtype):
    module, p = MODULES[impl], PARAMS.get(name, {})
    x, g = _inputs(shape, dtype)
    y = getattr(module, f"{name}_forward")(x, **p)
    dx = _backward(module, name, x, g, **p)
    assert y.dtype == dx.dtype == dtype and y.shape == dx.shape == shape
    np.testing.assert_allclose(y, _naive(NAIVE[name][0], x, **p), **TOL[dtype])
    np.testing.assert_allclose(dx, g * _naive(NAIVE[name][1], x, **p), **TOL[dtype])


@pytest.mark.parametrize("name", NAIVE)
def test_parallel_loop_matches_serial_loop(name):
    # above the threshold the prange loop runs; it must agree with the small-array (serial) path
    p = PARALLEL_MIN_CHEAP + 3
    x, g = _inputs((p,), np.float32, seed=1)
    params = PARAMS.get(name, {})
    forward = getattr(A, f"{name}_forward")
    big, small = forward(x, **params), forward(x[:1000], **params)
    np.testing.assert_array_equal(big[:1000], small)
    np.testing.assert_array_equal(_backward(A, name, x, g, **params)[:1000],
                                  _backward(A, name, x[:1000], g[:1000], **params))
    np.testing.assert_allclose(big, getattr(R, f"{name}_forward")(x, **params), rtol=2e-6, atol=2e-7)


@pytest.mark.parametrize("name", NAIVE)
def test_backward_matches_finite_differences(name):
    p = PARAMS.get(name, {})
    rng = np.random.default_rng(2)
    x = rng.standard_normal(20) * 3
    x[np.abs(x) < 1e-3] = 0.5  # keep away from kinks, where a central difference averages two slopes
    weights = rng.standard_normal(20)
    analytic = _backward(A, name, x, weights, **p)  # d sum(weights * f(x)) / dx
    forward, eps = getattr(A, f"{name}_forward"), 1e-6
    numeric = np.empty_like(x)
    for i in range(x.size):
        hi, lo = x.copy(), x.copy()
        hi[i] += eps
        lo[i] -= eps
        numeric[i] = (weights @ forward(hi, **p) - weights @ forward(lo, **p)) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAIVE)
def test_matches_torch(name, dtype):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    p = PARAMS.get(name, {})
    torch_fn = {
        "relu": F.relu, "leaky_relu": lambda t: F.leaky_relu(t, p.get("slope")), "sigmoid": torch.sigmoid,
        "tanh": torch.tanh, "gelu": F.gelu,
        "softplus": lambda t: F.softplus(t, p.get("beta"), p.get("threshold")), "silu": F.silu,
    }[name]
    x, g = _inputs((4, 33), dtype, seed=3)
    xt = torch.from_numpy(x).requires_grad_()
    yt = torch_fn(xt)
    (gt,) = torch.autograd.grad(yt, xt, torch.from_numpy(g))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(getattr(A, f"{name}_forward")(x, **p), yt.detach().numpy(), **tol)
    np.testing.assert_allclose(_backward(A, name, x, g, **p), gt.numpy(), **tol)


@pytest.mark.parametrize("impl", MODULES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_finite_with_exact_limits(impl, dtype):
    module = MODULES[impl]
    x = np.array([-1e4, -1e3, -50.0, 0.0, 50.0, 1e3, 1e4], dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is the point
        y = module.sigmoid_forward(x)
    assert np.isfinite(y).all()
    assert y[0] == y[1] == 0.0 and y[-1] == y[-2] == 1.0 and y[3] == 0.5
    assert 0 < y[2] < 1e-20


def test_nan_passes_through_like_torch():
    x = np.array([np.nan, -1.0, 1.0])
    for forward in (A.relu_forward, A.sigmoid_forward, A.gelu_forward, A.softplus_forward):
        assert np.isnan(forward(x)[0])
    np.testing.assert_array_equal(A.relu_backward(x, np.ones(3)), [1.0, 0.0, 1.0])  # NaN is not <= 0


def test_softplus_is_linear_above_threshold_and_stable_below():
    x = np.array([-1e4, 0.0, 19.0, 21.0, 1e4])
    y = A.softplus_forward(x)
    assert y[0] == 0.0 and y[1] == pytest.approx(math.log(2)) and y[3] == 21.0 and y[4] == 1e4
    assert y[2] == pytest.approx(math.log1p(math.exp(19.0)))
    np.testing.assert_array_equal(A.softplus_backward(x, np.ones(5))[[0, 3, 4]], [0.0, 1.0, 1.0])


def test_bad_inputs_raise_errors_naming_the_kernel():
    with pytest.raises(ValueError, match="relu_backward.*shape"):
        A.relu_backward(np.ones(3), np.ones(4))
    with pytest.raises(TypeError, match="gelu_forward.*int64"):
        A.gelu_forward(np.arange(3))
    with pytest.raises(ValueError, match="gelu_forward.*approximate"):
        A.gelu_forward(np.ones(3), approximate="erf")
    with pytest.raises(ValueError, match="softplus_forward.*beta"):
        A.softplus_forward(np.ones(3), beta=0.0)


def test_accepts_non_contiguous_input_and_returns_contiguous():
    x = np.arange(-6.0, 6.0).reshape(3, 4).T
    y = A.leaky_relu_forward(x, 0.5)
    assert y.flags.c_contiguous
    np.testing.assert_array_equal(y, np.where(x > 0, x, 0.5 * x))


def _gelu_tanh_naive(v):
    return 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3)))


@pytest.mark.parametrize("impl", MODULES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_tanh_matches_naive_and_finite_differences(impl, dtype):
    module = MODULES[impl]
    x, g = _inputs((5, 7), dtype, seed=5)
    y = module.gelu_forward(x, approximate="tanh")
    assert y.dtype == dtype
    np.testing.assert_allclose(y, _naive(_gelu_tanh_naive, x), **TOL[dtype])
    h = 1e-6
    x64 = x.astype(np.float64)
    numeric = (_naive(_gelu_tanh_naive, x64 + h) - _naive(_gelu_tanh_naive, x64 - h)) / (2 * h)
    tol = dict(rtol=1e-8, atol=1e-9) if dtype == np.float64 else TOL[dtype]
    np.testing.assert_allclose(module.gelu_backward(x, g, approximate="tanh"), g * numeric, **tol)


def test_gelu_tanh_matches_torch():
    torch = pytest.importorskip("torch")
    x, g = _inputs((4, 33), np.float32, seed=6)
    xt = torch.from_numpy(x).requires_grad_()
    yt = torch.nn.functional.gelu(xt, approximate="tanh")
    (gt,) = torch.autograd.grad(yt, xt, torch.from_numpy(g))
    np.testing.assert_allclose(A.gelu_forward(x, "tanh"), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(A.gelu_backward(x, g, "tanh"), gt.numpy(), rtol=1e-5, atol=1e-6)


def _ulps(got, want64):
    """|got - want| in units in the last place of float32 at want (subnormal spacing at least)."""
    want32 = want64.astype(np.float32)
    return np.abs(got.astype(np.float64) - want64) / np.spacing(np.abs(want32)).astype(np.float64)


# float32 kernels compute in float64 inside: <= 2 ulp of float32 against a float64 reference,
# over a wide range (tails included) where the function itself is well conditioned
ACCURACY = {
    "sigmoid": (lambda x: A.sigmoid_forward(x), lambda x: R.sigmoid_forward(x)),
    "silu": (lambda x: A.silu_forward(x), lambda x: R.silu_forward(x)),
    "softplus": (lambda x: A.softplus_forward(x), lambda x: R.softplus_forward(x)),
    "gelu": (lambda x: A.gelu_forward(x), lambda x: R.gelu_forward(x)),
    "gelu_tanh": (lambda x: A.gelu_forward(x, "tanh"),  # x sigmoid(2u): no cancellation in the left tail
                  lambda x: x / (1 + np.exp(-2 * math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))),
    "tanh": (lambda x: A.tanh_forward(x), lambda x: np.tanh(x)),
    "softplus_backward": (lambda x: A.softplus_backward(x, np.ones_like(x)),
                          lambda x: R.softplus_backward(x, np.ones_like(x))),
}


@pytest.mark.parametrize("name", ACCURACY)
def test_float32_within_two_ulp_of_a_float64_reference(name):
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.standard_normal(20000) * 3, rng.uniform(-80, 80, 20000)]).astype(np.float32)
    if name.startswith("gelu"):
        x = x[x > -9]  # below, GELU is ~1e-19 and PyTorch's own float32 value is 0 or noise
    ours, reference = ACCURACY[name]
    got = ours(x)
    assert got.dtype == np.float32
    want = reference(x.astype(np.float64))
    assert _ulps(got, want).max() <= 2.0


def test_gelu_backward_float32_accuracy():
    # Phi(x) + x phi(x) cancels for x < -1: held to a float32 ulp of the larger term
    x = np.linspace(-9, 9, 20001).astype(np.float32)
    got = A.gelu_backward(x, np.ones_like(x)).astype(np.float64)
    want = R.gelu_backward(x.astype(np.float64), np.ones(x.shape))
    x64 = x.astype(np.float64)
    scale = np.maximum(np.abs(want), np.abs(x64) * np.exp(-0.5 * x64 * x64) / math.sqrt(2 * math.pi))
    assert (np.abs(got - want) <= 2 * np.spacing(scale.astype(np.float32)).astype(np.float64)).all()


def _silu_derivative_and_scale(x):
    """SiLU's dy/dx = s + x s (1 - s) in float64 at float32 x, and the larger of its two terms
    (and itself): the derivative is 0 at x = -1.2785, where no relative accuracy is possible."""
    x64 = x.astype(np.float64)
    s = 1 / (1 + np.exp(-x64))
    want = s + x64 * s * (1 - s)
    return want, np.maximum(np.maximum(s, np.abs(x64 * s * (1 - s))), np.abs(want))


@pytest.mark.parametrize("path", ["backward", "fused"])
def test_silu_derivative_float32_accuracy(path):
    # held to 2 float32 ulp of the larger term, as GELU's: dense around the root, wide elsewhere
    rng = np.random.default_rng(13)
    x = np.concatenate([rng.standard_normal(20000) * 3, rng.uniform(-87, 88, 20000),
                        np.linspace(-1.6, -1.0, 20001)]).astype(np.float32)
    got = (A.silu_backward(x, np.ones_like(x)) if path == "backward" else A.forward_and_derivative("silu", x)[1])
    want, scale = _silu_derivative_and_scale(x)
    assert got.dtype == np.float32
    assert (np.abs(got - want) <= 2 * np.spacing(scale.astype(np.float32)).astype(np.float64)).all()
    if path == "fused":  # and its y within 1.5 ulp, below the 2 of the forward alone
        y = A.forward_and_derivative("silu", x)[0]
        assert _ulps(y, R.silu_forward(x.astype(np.float64))).max() <= 1.5


@pytest.mark.parametrize("n", [1, 15, 2047, 2048, 2049, 40_000])
def test_silu_blocks_give_the_one_pass_bits(n):
    # y and dy/dx are computed in two passes over blocks of 2048 (e^-|x| first, then the rest); the
    # backward alone is one pass: the same bits at every block edge and in the ragged last block
    x = (np.random.default_rng(n).standard_normal(n) * 4).astype(np.float32)
    x[::7] = np.float32(np.nan) if n > 7 else x[::7]
    y, d = A.forward_and_derivative("silu", x)
    np.testing.assert_array_equal(d, A.silu_backward(x, np.ones_like(x)))
    np.testing.assert_array_equal(np.isnan(y), np.isnan(x))


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softplus", "silu"])
def test_float16_is_computed_in_float32_and_returned_as_float16(name):
    p = PARAMS.get(name, {})
    x, g = _inputs((3, 17), np.float16, seed=7)
    y = getattr(A, f"{name}_forward")(x, **p)
    arg = y if name in USES_OUTPUT else x
    dx = getattr(A, f"{name}_backward")(arg, g, **p)
    assert y.dtype == dx.dtype == np.float16
    x32, g32 = x.astype(np.float32), g.astype(np.float32)
    np.testing.assert_array_equal(y, getattr(A, f"{name}_forward")(x32, **p).astype(np.float16))
    want = getattr(A, f"{name}_backward")(arg.astype(np.float32), g32, **p).astype(np.float16)
    np.testing.assert_array_equal(dx, want)


def test_float16_matches_torch():
    torch = pytest.importorskip("torch")
    x, g = _inputs((64,), np.float16, seed=8)
    for ours, theirs in ((A.gelu_forward, torch.nn.functional.gelu), (A.sigmoid_forward, torch.sigmoid),
                         (A.silu_forward, torch.nn.functional.silu)):
        np.testing.assert_allclose(ours(x).astype(np.float32), theirs(torch.from_numpy(x)).float().numpy(),
                                   rtol=1e-3, atol=1e-3)


def test_other_dtypes_raise_type_error_naming_the_kernel_and_dtype():
    for bad in (np.arange(3), np.ones(3, np.complex64), np.ones(3, bool)):
        with pytest.raises(TypeError, match=f"silu_forward.*{bad.dtype}"):
            A.silu_forward(bad)


# float32 kernels of `_vmath32`: backward passes and a non-default beta, <= 2 ulp where well conditioned
ACCURACY_MORE = {
    "gelu_tanh_backward": (
        lambda x: A.gelu_backward(x, np.ones_like(x), "tanh"),
        lambda x: A.gelu_backward(x, np.ones_like(x), "tanh"),  # the float64 kernel (libm-grade exp)
    ),
    "softplus_beta": (lambda x: A.softplus_forward(x, 1.5, 20.0), lambda x: R.softplus_forward(x, 1.5, 20.0)),
    "softplus_backward_beta": (lambda x: A.softplus_backward(x, np.ones_like(x), 0.7, 15.0),
                               lambda x: R.softplus_backward(x, np.ones_like(x), 0.7, 15.0)),
}


@pytest.mark.parametrize("name", ACCURACY_MORE)
def test_more_float32_kernels_within_two_ulp(name):
    rng = np.random.default_rng(21)
    x = np.concatenate([rng.standard_normal(20000) * 3, rng.uniform(-60, 60, 20000)]).astype(np.float32)
    if name.startswith("gelu_tanh"):
        # the derivative has a zero near x = -0.752 (no relative accuracy is possible around it),
        # and it underflows past -9
        x = x[(x > -9) & ((x < -0.8) | (x > -0.7))]
    ours, reference = ACCURACY_MORE[name]
    got, want = ours(x), reference(x.astype(np.float64))
    assert got.dtype == np.float32 and _ulps(got, want).max() <= 2.0


def _kernels(name):
    if name == "gelu_tanh":
        return (lambda v: A.gelu_forward(v, "tanh")), (lambda v, g: A.gelu_backward(v, g, "tanh"))
    return getattr(A, f"{name}_forward"), getattr(A, f"{name}_backward")


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "softplus", "sigmoid"])
def test_float32_specials_match_the_float64_kernels(name):
    # inf, -inf, NaN, signed zeros, tiny and huge values: float32 results equal the float64 path's
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-30, -1e-30, 1e-42, 30.0, -30.0, 90.0, -90.0,
                  3e38, -3e38], np.float32)
    forward, back = _kernels(name)
    if name == "sigmoid":  # its backward takes y; y(1 - y) from a float32 y is 0 where y rounds to 1
        back = lambda v, g: A.sigmoid_backward(A.sigmoid_forward(v.astype(np.float32)), g)  # noqa: E731
    with np.errstate(all="ignore"):
        want_y = forward(x.astype(np.float64)).astype(np.float32)
        want_g = back(x.astype(np.float64), np.ones(x.shape)).astype(np.float32)
        got_y, got_g = forward(x), back(x, np.ones_like(x))
    # silu's float32 forward is x / (1 + e^-x), -0 once e^-x overflows (x < -88.7, |result| < 1e-36),
    # and its derivative only absolutely accurate where e^-|x| is subnormal (PyTorch's is -0 there)
    atol = 1e-36 if name == "silu" else 0
    np.testing.assert_allclose(got_y, want_y, rtol=3e-7, atol=atol)
    np.testing.assert_allclose(got_g, want_g, rtol=3e-7, atol=atol)
    zero = (got_y == 0) & (want_y == 0)
    np.testing.assert_array_equal(np.signbit(got_y[zero]), np.signbit(want_y[zero]))


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "softplus"])
def test_float32_empty_zero_d_and_strided_inputs(name):
    forward, _ = _kernels(name)
    assert forward(np.zeros((0, 3), np.float32)).shape == (0, 3)
    x0 = np.array(-1.25, np.float32)
    y0 = forward(x0)
    assert y0.shape == () and y0.dtype == np.float32
    np.testing.assert_allclose(y0, forward(x0.reshape(1))[0])
    x, _ = _inputs((6, 8), np.float32, seed=5)
    np.testing.assert_array_equal(forward(x.T[::2]), forward(np.ascontiguousarray(x.T[::2])))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "softplus"])
def test_forward_and_derivative_match_the_separate_kernels(name, dtype):
    params = (1.5, 4.0) if name == "softplus" else ()
    x, _ = _inputs((3, 301), dtype, seed=7)
    x.reshape(-1)[:4] = [np.inf, -np.inf, np.nan, 0.0]
    forward, backward = _kernels(name)
    y, d = A.forward_and_derivative(name, x, *params)
    assert y.dtype == d.dtype == dtype and y.shape == d.shape == x.shape
    with np.errstate(all="ignore"):
        want_y, want_d = forward(x, *params), backward(x, np.ones_like(x), *params)
    tol = dict(rtol=1e-3, atol=1e-4) if dtype == np.float16 else dict(rtol=3e-7, atol=1e-30)
    np.testing.assert_allclose(y, want_y, **tol)
    np.testing.assert_allclose(d, want_d, **tol)


def test_forward_and_derivative_rejects_unknown_names():
    with pytest.raises(ValueError, match="forward_and_derivative"):
        A.forward_and_derivative("relu", np.ones(2))


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "silu", "softplus"])
def test_fused_parallel_loop_matches_serial_loop(name):
    x, _ = _inputs((A.PARALLEL_MIN_HEAVY + 5,), np.float32, seed=8)
    params = (1.0, 20.0) if name == "softplus" else ()
    loop = A._BOTH32[name]
    results = []
    for run in (loop.serial.compiled(), loop.compiled()):  # the parallel dispatcher itself, not `launch`
        y, d = np.empty_like(x), np.empty_like(x)
        run(x, y, d, *params)
        results.append((y, d))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_times_derivative_is_numpys_product(dtype):
    """The split product of the backward equals NumPy's, above and below its threshold, and for
    operands it leaves to NumPy (float16, other dtypes or shapes, non-contiguous)."""
    for n in (7, A.PARALLEL_MIN_HEAVY + 3):
        g, d = _inputs((n,), dtype, seed=12)
        got = A.times_derivative(g, d)
        assert got.dtype == d.dtype
        np.testing.assert_array_equal(got, np.multiply(g, d, dtype=d.dtype))
    g, d = _inputs((A.PARALLEL_MIN_HEAVY + 3,), np.float32, seed=13)
    np.testing.assert_array_equal(A.times_derivative(g.astype(np.float64), d), np.multiply(g.astype(np.float64), d,
                                                                                         dtype=np.float32))
    np.testing.assert_array_equal(A.times_derivative(g[::-1], d), g[::-1] * d)
