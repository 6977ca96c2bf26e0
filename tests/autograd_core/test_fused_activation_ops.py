"""The fused ops that run the float32 kernels: SiLU, tanh-approximate GELU and layer_norm as single
graph nodes. Values and gradients against PyTorch, gradcheck and gradgradcheck in float64 (the
recorded backward goes through the ops' differentiable formulas), and the float32 path."""

import numpy as np
import pytest

import autograd_core as ag

F = ag.functional
CASES = {
    "silu": (F.silu, "silu"),
    "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"), "gelu_tanh"),
    "gelu": (F.gelu, "gelu"),
}


def _x(shape, dtype=np.float64, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 2.5).astype(dtype)


@pytest.mark.parametrize("name", CASES)
def test_pointwise_ops_pass_gradcheck_and_gradgradcheck(name):
    fn, _ = CASES[name]
    x = ag.tensor(_x((3, 4)), requires_grad=True)
    assert ag.autograd.gradcheck(fn, (x,))
    assert ag.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", CASES)
def test_pointwise_ops_match_torch(name, dtype):
    torch = pytest.importorskip("torch")
    fn, _ = CASES[name]
    tfn = {"silu": torch.nn.functional.silu, "gelu": torch.nn.functional.gelu,
           "gelu_tanh": lambda t: torch.nn.functional.gelu(t, approximate="tanh")}[name]
    x0, g0 = _x((5, 7), dtype, 1), _x((5, 7), dtype, 2)
    x, xt = ag.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    y, yt = fn(x), tfn(xt)
    y.backward(ag.tensor(g0))
    yt.backward(torch.tensor(g0))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    assert y.dtype == x.dtype
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), **tol)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), **tol)


def test_silu_module_and_second_derivative_match_torch():
    torch = pytest.importorskip("torch")
    x0 = _x((6,))
    x, xt = ag.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    (gx,) = ag.autograd.grad(ag.nn.SiLU()(x).sum(), x, create_graph=True)
    (gxt,) = torch.autograd.grad(torch.nn.SiLU()(xt).sum(), xt, create_graph=True)
    (hx,) = ag.autograd.grad(gx.sum(), x)
    (hxt,) = torch.autograd.grad(gxt.sum(), xt)
    np.testing.assert_allclose(hx.numpy(), hxt.numpy(), rtol=1e-12, atol=1e-13)


LN = [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5)), ((5,), (5,))]


@pytest.mark.parametrize("affine", ["both", "weight", "bias", "none"])
@pytest.mark.parametrize("shape,normalized", LN)
def test_layer_norm_matches_torch(shape, normalized, affine):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x0, g0 = rng.standard_normal(shape), rng.standard_normal(shape)
    w0, b0 = rng.standard_normal(normalized), rng.standard_normal(normalized)
    ours, theirs = [], []
    for make, out in ((ag.tensor, ours), (torch.tensor, theirs)):
        x = make(x0, requires_grad=True)
        w = make(w0, requires_grad=True) if affine in ("both", "weight") else None
        b = make(b0, requires_grad=True) if affine in ("both", "bias") else None
        mod = F if make is ag.tensor else torch.nn.functional
        y = mod.layer_norm(x, normalized, w, b)
        y.backward(make(g0))
        out += [y.detach().numpy(), x.grad.numpy()] + [p.grad.numpy() for p in (w, b) if p is not None]
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a, t, rtol=1e-10, atol=1e-12)


def test_layer_norm_is_one_node_and_passes_gradgradcheck():
    rng = np.random.default_rng(4)
    x = ag.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = ag.tensor(rng.standard_normal(4), requires_grad=True)
    b = ag.tensor(rng.standard_normal(4), requires_grad=True)

    def fn(x, w, b):
        return F.layer_norm(x, (4,), w, b)

    node = fn(x, w, b).grad_fn  # one node whose inputs are x, w and b themselves
    assert type(node).__name__ == "LayerNorm"
    assert all(type(f).__name__ == "AccumulateGrad" for f, _ in node.next_functions[:3])
    assert ag.autograd.gradcheck(fn, (x, w, b))
    assert ag.autograd.gradgradcheck(fn, (x, w, b))


def test_layer_norm_float32_and_float16_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for dtype, tol in ((np.float32, 2e-5), (np.float16, 2e-2)):
        x0 = rng.standard_normal((8, 32)).astype(dtype)
        w0 = rng.standard_normal(32).astype(dtype)
        x, xt = ag.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
        w, wt = ag.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
        y, yt = F.layer_norm(x, (32,), w), torch.nn.functional.layer_norm(xt, (32,), wt)
        y.sum().backward()
        yt.float().sum().backward()
        assert y.dtype == x.dtype and x.grad.dtype == x.dtype and w.grad.dtype == w.dtype
        for a, t in ((y, yt), (x.grad, xt.grad), (w.grad, wt.grad)):
            np.testing.assert_allclose(a.detach().numpy().astype(np.float64), t.detach().float().numpy(),
                                       rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kept_derivative_and_recomputed_backward_agree(dtype):
    # F.gelu keeps dy/dx from its forward; the tensor method and a forward under no_grad do not
    x0, g0 = _x((4, 9), dtype, 6), _x((4, 9), dtype, 7)
    x1, x2 = ag.tensor(x0, requires_grad=True), ag.tensor(x0, requires_grad=True)
    F.gelu(x1).backward(ag.tensor(g0))
    x2.gelu().backward(ag.tensor(g0))
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy(), rtol=1e-6 if dtype == np.float32 else 1e-14)
    with ag.no_grad():
        y = F.silu(ag.tensor(x0, requires_grad=True))
    assert y.grad_fn is None
    from autograd_core.ops import activation as ops

    for op, params in ((ops.Silu, ()), (ops.Softplus, (2.0, 1.0)), (ops.GeluTanh, ()), (ops.Gelu, ())):
        grads = []
        for keep in (False, True):
            a = ag.tensor(x0, requires_grad=True)
            y = op.apply(a, *params, keep) if keep else op.apply(a, *params)
            y.backward(ag.tensor(g0))
            grads.append(a.grad.numpy())
            assert a.grad.dtype == a.dtype
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6 if dtype == np.float32 else 1e-13)


@pytest.mark.parametrize("shape", [(4, 6, 5), (3, 40, 50)])  # below and above KEEP_PROBS_MIN
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_log_softmax_keeping_probabilities_matches_torch(dtype, dim, shape):
    torch = pytest.importorskip("torch")
    x0, g0 = _x(shape, dtype, 8), _x(shape, dtype, 9)
    x, xt = ag.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    y, yt = F.log_softmax(x, dim=dim), torch.log_softmax(xt, dim)
    y.backward(ag.tensor(g0))
    yt.backward(torch.tensor(g0))
    # float32: g - p sum(g) over rows of 50 cancels; both engines are ~1e-5 from float64 there
    tol = dict(rtol=1e-5, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), **tol)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), **tol)
    x2 = ag.tensor(x0, requires_grad=True)
    x2.log_softmax(dim).backward(ag.tensor(g0))
    np.testing.assert_allclose(x2.grad.numpy(), x.grad.numpy(), **tol)
    if x0.size < 200:  # the recorded backward, whichever first-order path ran
        small = ag.tensor(x0.astype(np.float64), requires_grad=True)
        assert ag.autograd.gradgradcheck(lambda t: F.log_softmax(t, dim=dim), (small,))


@pytest.mark.parametrize("n", [37, 40_000])  # below and above the kernels' parallel split
@pytest.mark.parametrize("name", ["silu", "gelu", "gelu_tanh", "softplus"])
def test_kept_derivative_survives_a_retained_graph(name, n):
    # the first backward writes g * dy/dx over the kept dy/dx; a second one through the retained
    # graph recomputes the derivative, and neither changes the gradient the other returned
    fn = {"softplus": F.softplus, **{k: v[0] for k, v in CASES.items()}}[name]
    x0, g0 = _x(n, np.float32, 8), _x(n, np.float32, 9)
    x = ag.tensor(x0, requires_grad=True)
    y = fn(x)
    first = ag.autograd.grad(y, x, ag.tensor(g0), retain_graph=True)[0].numpy()
    kept = first.copy()
    second = ag.autograd.grad(y, x, ag.tensor(2 * g0), retain_graph=True)[0]
    y.backward(ag.tensor(g0))
    np.testing.assert_array_equal(first, kept)
    np.testing.assert_allclose(second.numpy(), 2 * first, rtol=2e-6, atol=1e-30)
    np.testing.assert_allclose(x.grad.numpy(), first, rtol=2e-6, atol=1e-30)
    with pytest.raises(RuntimeError):
        y.backward(ag.tensor(g0))  # the graph was freed by the backward that did not retain it
