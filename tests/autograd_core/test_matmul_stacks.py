"""matmul of two stacks of matrices ((B, T, C) @ (B, C, T), attention shapes), and 2-D and Linear
GEMMs: values and gradients against NumPy and PyTorch for broadcast batch dims, transposed
(non-contiguous) operands, 1-D operands, empty dims and each float dtype, on the serial path and on
the path that splits the batch over the cores (and each of a few large matrices into blocks)."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.kernels import _threads
from autograd_core.ops.linalg import gemm, stack_matmul


@pytest.fixture(params=["serial", "split"])
def path(request, monkeypatch):
    """'split' makes every stack of >= 2 matrices take the thread-pool path, whatever the load."""
    if request.param == "split":
        monkeypatch.setitem(_threads._state, "blas_low", 1)
        monkeypatch.setitem(_threads._state, "blas_high", 2)
        monkeypatch.setitem(_threads._state, "adaptive", False)
        monkeypatch.setitem(_threads._state, "serial_only", False)
        monkeypatch.setattr(_threads, "BATCHED_PARALLEL_MIN", 0)
        monkeypatch.setattr(_threads, "cores", lambda: 2)
        monkeypatch.setattr("autograd_core.ops.linalg.cores", lambda: 2)
        monkeypatch.setattr("autograd_core.ops.linalg.SPLIT_MIN", 0)
    return request.param


def _check(a0, b0, rtol=1e-12):
    """Forward and both gradients of a @ b against NumPy, with the batch reduction that broadcasting
    implies (summed over the dims an operand was expanded along)."""
    a, b = ag.tensor(a0, requires_grad=True), ag.tensor(b0, requires_grad=True)
    out = a @ b
    want = np.matmul(a0, b0)
    assert out.shape == want.shape and out.dtype == want.dtype
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=rtol, atol=rtol)
    g0 = np.random.default_rng(9).standard_normal(want.shape).astype(want.dtype)
    out.backward(ag.tensor(g0))
    a2 = a0[None, :] if a0.ndim == 1 else a0
    b2 = b0[:, None] if b0.ndim == 1 else b0
    g2 = g0[..., None] if b0.ndim == 1 else g0
    g2 = g2[..., None, :] if a0.ndim == 1 else g2
    ga = np.matmul(g2, np.swapaxes(b2, -1, -2))
    gb = np.matmul(np.swapaxes(a2, -1, -2), g2)
    ga = _unbroadcast(ga[..., 0, :] if a0.ndim == 1 else ga, a0.shape)
    gb = _unbroadcast(gb[..., 0] if b0.ndim == 1 else gb, b0.shape)
    np.testing.assert_allclose(a.grad.numpy(), ga, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(b.grad.numpy(), gb, rtol=rtol, atol=rtol)


def _unbroadcast(g, shape):
    while g.ndim > len(shape):
        g = g.sum(0)
    for d, n in enumerate(shape):
        if n == 1 and g.shape[d] != 1:
            g = g.sum(d, keepdims=True)
    return g


def _r(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("sa, sb", [
    ((4, 3, 5), (4, 5, 2)),           # bmm
    ((3, 2, 4, 5), (3, 2, 5, 4)),     # (B, H, T, E) @ (B, H, E, T)
    ((2, 1, 4, 5), (1, 3, 5, 2)),     # both batch dims broadcast
    ((3, 4, 5), (2, 3, 5, 2)),        # fewer batch dims on one side
    ((1, 4, 5), (6, 5, 3)),           # a batch of one against six
    ((1, 7, 5), (1, 5, 3)),           # fewer matrices than cores: one GEMM each
    ((4, 5), (3, 5, 2)),              # a matrix against a stack
    ((2, 3, 4, 5), (5, 2)),           # a stack against a matrix
    ((5,), (3, 5, 2)),                # 1-D on the left
    ((3, 4, 5), (5,)),                # 1-D on the right
    ((0, 4, 5), (0, 5, 3)),           # empty batch
    ((3, 4, 0), (3, 0, 2)),           # empty contraction: zeros
    ((3, 0, 5), (3, 5, 2)),           # no rows
])
def test_stack_times_stack_matches_numpy(sa, sb, path):
    _check(_r(*sa), _r(*sb, seed=1))


def test_transposed_operands(path):
    """Views as attention makes them (k.transpose(-2, -1), heads permuted out of (B, T, H, E))."""
    q0 = _r(2, 6, 3, 4).transpose(0, 2, 1, 3)      # (2, 3, 6, 4), not contiguous
    k0 = _r(2, 6, 3, 4, seed=1).transpose(0, 2, 3, 1)  # (2, 3, 4, 6), a transposed view
    _check(q0, k0)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5), (np.float16, 2e-2)])
def test_dtypes_are_kept(dtype, rtol, path):
    _check(_r(4, 3, 8, dtype=dtype), _r(4, 8, 2, seed=1, dtype=dtype), rtol=rtol)


def test_stack_matmul_passes_gradcheck_and_gradgradcheck(path):
    a = ag.tensor(_r(2, 2, 3, 4), requires_grad=True)
    b = ag.tensor(_r(1, 2, 4, 3, seed=1), requires_grad=True)
    assert ag.gradcheck(lambda a, b: a @ b, (a, b))
    assert ag.gradgradcheck(lambda a, b: a @ b, (a, b))


def test_stack_matmul_on_arrays_matches_numpy(path):
    a, b = _r(5, 3, 4), _r(1, 4, 6, seed=1)
    np.testing.assert_allclose(stack_matmul(a, b), np.matmul(a, b), rtol=1e-13)
    with pytest.raises(ValueError):
        stack_matmul(_r(2, 3, 4), _r(3, 4, 2))  # batch dims 2 and 3 do not broadcast


def test_mismatched_stacks_raise_a_shape_error():
    with pytest.raises(ag.function.ShapeError, match="matmul"):
        ag.ones(2, 3, 4) @ ag.ones(3, 4, 2)
    with pytest.raises(ag.function.ShapeError, match="matmul"):
        ag.ones(2, 3, 4) @ ag.ones(2, 5, 2)


def test_bmm_matches_torch_float32(path):
    torch = pytest.importorskip("torch")
    a0, b0 = _r(8, 16, 32, dtype=np.float32), _r(8, 32, 16, seed=1, dtype=np.float32)
    a, b = ag.tensor(a0, requires_grad=True), ag.tensor(b0, requires_grad=True)
    ta, tb = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    ((ag.bmm(a, b)) ** 2).sum().backward()
    ((torch.bmm(ta, tb)) ** 2).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("sa, sb", [((7, 5), (5, 3)), ((2, 7, 5), (5, 3)), ((1, 5), (5, 4)), ((0, 5), (5, 2))])
def test_matrix_products_match_numpy(sa, sb, path):
    _check(_r(*sa), _r(*sb, seed=1))


def test_gemm_of_transposed_and_mixed_dtypes(path):
    a, b = _r(6, 9).T, _r(6, 4, seed=1)  # (9, 6) F-ordered, as the weight gradient gᵀ x
    np.testing.assert_allclose(gemm(a, b), a @ b, rtol=1e-13)
    c = gemm(a.astype(np.float32), b)
    assert c.dtype == np.float64
    np.testing.assert_allclose(c, a.astype(np.float32) @ b, rtol=1e-6)


@pytest.mark.parametrize("xshape", [(9, 4), (3, 5, 4), (4,)])
def test_linear_matches_numpy_with_gradients(xshape, path):
    x0, w0, b0 = _r(*xshape), _r(6, 4, seed=1), _r(6, seed=2)
    x, w, b = (ag.tensor(v, requires_grad=True) for v in (x0, w0, b0))
    y = ag.functional.linear(x, w, b)
    np.testing.assert_allclose(y.detach().numpy(), x0 @ w0.T + b0, rtol=1e-12)
    g0 = _r(*y.shape, seed=3)
    y.backward(ag.tensor(g0))
    x2, g2 = x0.reshape(-1, 4), g0.reshape(-1, 6)
    np.testing.assert_allclose(x.grad.numpy(), (g2 @ w0).reshape(xshape), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), g2.T @ x2, rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), g2.sum(0), rtol=1e-12)
    assert ag.gradgradcheck(lambda x, w, b: ag.functional.linear(x, w, b), (x, w, b))
