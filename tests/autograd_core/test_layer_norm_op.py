"""layer_norm as one node (fused kernels each way): values, gradients and gradients of gradients
against PyTorch and gradcheck, for one or several normalised dims, with and without the affine
parameters, in each float dtype, and on empty batches."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.ops.norm import LayerNorm, layer_norm

F = ag.functional


def _r(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("shape, normalized", [((3, 5), (5,)), ((2, 3, 4), (3, 4)), ((4,), (4,)),
                                               ((2, 2, 3, 4), (4,))])
@pytest.mark.parametrize("affine", [True, False])
def test_gradcheck_and_gradgradcheck(shape, normalized, affine):
    x = ag.tensor(_r(*shape) * 3 + 1, requires_grad=True)
    w = ag.tensor(_r(*normalized, seed=1), requires_grad=True) if affine else None
    b = ag.tensor(_r(*normalized, seed=2), requires_grad=True) if affine else None
    inputs = (x, w, b) if affine else (x,)

    def f(x, w=None, b=None):
        return layer_norm(x, normalized, w, b)

    assert ag.gradcheck(f, inputs)
    assert ag.gradgradcheck(f, inputs)


def test_it_is_one_graph_node():
    x = ag.tensor(_r(2, 4), requires_grad=True)
    w = ag.ones(4, dtype=ag.float64, requires_grad=True)
    b = ag.zeros(4, dtype=ag.float64, requires_grad=True)
    y = layer_norm(x, (4,), w, b)
    assert isinstance(y.grad_fn, LayerNorm) or type(y.grad_fn).__name__.startswith("LayerNorm")


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-10), (np.float32, 2e-5), (np.float16, 2e-2)])
def test_module_matches_torch(dtype, tol):
    torch = pytest.importorskip("torch")
    x0, g0 = _r(4, 6, 8, dtype=dtype) * 2 + 5, _r(4, 6, 8, seed=3, dtype=dtype)
    w0, b0 = _r(8, seed=1, dtype=dtype), _r(8, seed=2, dtype=dtype)
    ours = nn.LayerNorm(8, dtype=dtype)
    ours.weight._data[...] = w0
    ours.bias._data[...] = b0
    theirs = torch.nn.LayerNorm(8, dtype=getattr(torch, np.dtype(dtype).name))
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(w0))
        theirs.bias.copy_(torch.from_numpy(b0))
    x, tx = ag.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    assert y.dtype == np.dtype(dtype)
    np.testing.assert_allclose(y.detach().numpy().astype(np.float64), ty.detach().numpy().astype(np.float64),
                               rtol=tol, atol=tol)
    y.backward(ag.tensor(g0))
    ty.backward(torch.from_numpy(g0))
    for a, t in ((x.grad, tx.grad), (ours.weight.grad, theirs.weight.grad), (ours.bias.grad, theirs.bias.grad)):
        np.testing.assert_allclose(a.numpy().astype(np.float64), t.numpy().astype(np.float64),
                                   rtol=10 * tol, atol=10 * tol)


def test_empty_batch_and_only_some_gradients():
    x = ag.tensor(np.zeros((0, 3)), requires_grad=True)
    y = layer_norm(x, (3,), ag.ones(3), ag.zeros(3))
    assert y.shape == (0, 3)
    y.sum().backward()
    assert x.grad.shape == (0, 3)
    # a weight that needs a gradient while x does not
    w = ag.tensor(np.ones(3), requires_grad=True)
    layer_norm(ag.tensor(_r(5, 3)), (3,), w, None).pow(2).sum().backward()
    xhat = _r(5, 3)
    xhat = (xhat - xhat.mean(1, keepdims=True)) / np.sqrt(xhat.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(w.grad.numpy(), (2 * xhat * xhat).sum(0), rtol=1e-9)


def test_bad_shapes_raise():
    with pytest.raises(ag.function.ShapeError, match="layer_norm"):
        layer_norm(ag.ones(2, 3), (4,))
    with pytest.raises(ag.function.ShapeError, match="weight"):
        layer_norm(ag.ones(2, 3), (3,), ag.ones(4))
