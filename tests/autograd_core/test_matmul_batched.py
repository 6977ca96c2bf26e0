"""matmul and linear with a batched operand against a 2-D matrix: one GEMM over the flattened
batch, the same values and gradients as numpy.matmul's semantics and PyTorch's."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.function import ShapeError

SHAPES = [((3, 4, 5), (5, 6)), ((2, 3, 4, 5), (5, 2)), ((4, 5), (5, 3)), ((1, 5), (5, 1)),
          ((0, 4, 5), (5, 3))]


@pytest.mark.parametrize("sa, sb", SHAPES)
def test_batched_times_matrix_matches_numpy_and_its_gradients(sa, sb):
    rng = np.random.default_rng(0)
    a0, b0 = rng.standard_normal(sa), rng.standard_normal(sb)
    a, b = ag.tensor(a0, requires_grad=True), ag.tensor(b0, requires_grad=True)
    out = a @ b
    np.testing.assert_allclose(out.detach().numpy(), a0 @ b0, rtol=1e-12, atol=1e-12)
    g0 = rng.standard_normal(out.shape)
    out.backward(ag.tensor(g0))
    np.testing.assert_allclose(a.grad.numpy(), g0 @ b0.T, rtol=1e-12, atol=1e-12)
    want_b = a0.reshape(-1, sb[0]).T @ g0.reshape(-1, sb[1])
    np.testing.assert_allclose(b.grad.numpy(), want_b, rtol=1e-10, atol=1e-12)


def test_batched_times_matrix_passes_gradcheck():
    rng = np.random.default_rng(1)
    a = ag.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    b = ag.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    assert ag.gradcheck(lambda a, b: a @ b, (a, b))


def test_non_contiguous_batched_operand():
    rng = np.random.default_rng(2)
    a0 = rng.standard_normal((4, 3, 5)).transpose(1, 0, 2)  # (3, 4, 5), not contiguous
    b0 = rng.standard_normal((5, 2))
    a, b = ag.tensor(a0, requires_grad=True), ag.tensor(b0, requires_grad=True)
    (a @ b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), a0.reshape(-1, 5).sum(0)[:, None] * np.ones((1, 2)))


def test_linear_on_a_3d_input_passes_gradcheck():
    rng = np.random.default_rng(3)
    x = ag.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = ag.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    b = ag.tensor(rng.standard_normal(5), requires_grad=True)
    assert ag.gradcheck(lambda x, w, b: ag.functional.linear(x, w, b), (x, w, b))


def test_linear_on_a_1d_input():
    x, w = ag.tensor([1.0, 2.0], requires_grad=True), ag.tensor([[1.0, 1.0], [0.0, 3.0]], requires_grad=True)
    y = ag.functional.linear(x, w)
    y.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), [3.0, 6.0])
    np.testing.assert_allclose(w.grad.numpy(), [[1.0, 2.0], [1.0, 2.0]])


def test_mismatched_shapes_raise_shape_errors():
    with pytest.raises(ShapeError, match="matmul"):
        ag.ones(2, 3, 4) @ ag.ones(5, 2)
    with pytest.raises(ShapeError, match="linear"):
        ag.functional.linear(ag.ones(2, 3, 4), ag.ones(2, 5))


def test_batched_matmul_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    a0 = rng.standard_normal((2, 8, 16)).astype(np.float32)
    b0 = rng.standard_normal((16, 4)).astype(np.float32)
    a, b = ag.tensor(a0, requires_grad=True), ag.tensor(b0, requires_grad=True)
    ta, tb = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    ((a @ b) ** 2).sum().backward()
    ((ta @ tb) ** 2).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("sa, sb", [((6, 1, 4), (6, 4, 3)), ((2, 6, 1, 4), (6, 4, 3))])
def test_stacks_of_row_vectors_get_outer_product_weight_gradients(sa, sb):
    # dB = Aᵀ G is one (k, 1) @ (1, n) outer product per matrix (per-example gradients).
    rng = np.random.default_rng(2)
    a0, b0 = rng.standard_normal(sa), rng.standard_normal(sb)
    a, b = ag.tensor(a0, requires_grad=True), ag.tensor(b0, requires_grad=True)
    out = a @ b
    g0 = rng.standard_normal(out.shape)
    out.backward(ag.tensor(g0))
    want_b = np.swapaxes(a0, -1, -2) @ g0
    want_b = want_b.reshape((-1,) + sb).sum(0) if len(sa) > len(sb) else want_b
    np.testing.assert_allclose(b.grad.numpy(), want_b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.grad.numpy(), g0 @ np.swapaxes(b0, -1, -2), rtol=1e-12, atol=1e-12)
    assert ag.autograd.gradcheck(lambda x, y: x @ y, (a, b))
