"""The short cuts in the backward of `*`, `-` and `/` (x * x sends one gradient; a broadcast
subtrahend or divisor is summed before it is negated or divided) give PyTorch's gradients, on
both engines, first and second order, with hooks watching the edges."""

import numpy as np
import pytest

from autograd_core.gradcheck import gradcheck, gradgradcheck


def _leaf(lib, shape, seed, positive=False):
    a = np.random.default_rng(seed).standard_normal(shape)
    return lib.tensor(np.abs(a) + 0.5 if positive else a, requires_grad=True)


def _grads(lib, f, *leaves):
    out = f(*leaves)
    g = lib.tensor(np.random.default_rng(99).standard_normal(tuple(out.shape)))
    out.backward(g)
    return [t.grad.numpy() for t in leaves]


CASES = {
    "square": (lambda x, y: x * x, [(3, 4)]),
    "square_then_more": (lambda x, y: (x * x) * y + x, [(3, 4), (3, 4)]),
    "square_0d": (lambda x, y: x * x, [()]),
    "sub_broadcast_rows": (lambda x, y: x - y, [(5, 8), (5, 1)]),
    "sub_broadcast_leading": (lambda x, y: x - y, [(2, 5, 8), (8,)]),
    "sub_same_shape": (lambda x, y: x - y, [(5, 8), (5, 8)]),
    "div_broadcast_rows": (lambda x, y: x / y, [(5, 8), (5, 1)]),
    "div_broadcast_both": (lambda x, y: x / y, [(5, 1), (1, 8)]),
    "div_scalar_tensor": (lambda x, y: x / y, [(5, 8), ()]),
    "div_same_shape": (lambda x, y: x / y, [(5, 8), (5, 8)]),
    "layer_norm_primitives": (
        lambda x, y: (x - x.mean(-1, keepdim=True)) / ((x - x.mean(-1, keepdim=True)) ** 2).mean(
            -1, keepdim=True).sqrt(), [(4, 6)]),
    "layer_norm_square_by_mul": (lambda x, y: _normalised(x - x.mean(-1, keepdim=True)), [(4, 6)]),
}


def _normalised(c):
    return c / (c * c).mean(-1, keepdim=True)


@pytest.mark.parametrize("name", CASES)
def test_gradients_equal_pytorchs(name):
    torch = pytest.importorskip("torch")
    import autograd_core as ag

    f, shapes = CASES[name]
    arity = 2 if len(shapes) == 2 else 1

    def call(*t):
        return f(t[0], t[1] if arity == 2 else None)

    ours = _grads(ag, call, *[_leaf(ag, s, i, positive=i == 1) for i, s in enumerate(shapes)])
    theirs = _grads(torch, call, *[_leaf(torch, s, i, positive=i == 1) for i, s in enumerate(shapes)])
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_gradcheck_and_gradgradcheck(name):
    import autograd_core as ag

    f, shapes = CASES[name]
    leaves = [_leaf(ag, s, i + 10, positive=i == 1) for i, s in enumerate(shapes)]

    def call(*t):
        return f(t[0], t[1] if len(t) == 2 else None)

    assert gradcheck(call, leaves)
    assert gradgradcheck(call, leaves)


def test_square_hooks_see_the_whole_gradient(lib):
    x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.clone()))
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, -4.0, 6.0]
    assert sum(s.sum().item() for s in seen) == pytest.approx(4.0)


BIG = {  # large enough for the fused sums of kernels/sums.py (from 8,192 elements)
    "mul_weight": (lambda x, y: x * y, [(4, 64, 64), (64,)]),
    "mul_rows": (lambda x, y: x * y, [(4, 64, 64), (4, 64, 1)]),
    "mul_leading_ones": (lambda x, y: y * x, [(4, 64, 64), (1, 1, 64)]),
    "div_rows": (lambda x, y: x / y, [(4, 64, 64), (4, 64, 1)]),
    "div_weight": (lambda x, y: x / y, [(4, 64, 64), (64,)]),
    "div_middle": (lambda x, y: x / y, [(4, 64, 64), (4, 1, 64)]),  # not fused: multiplied, then summed
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", BIG)
def test_large_broadcast_factors_match_pytorch(name, dtype):
    torch = pytest.importorskip("torch")
    import autograd_core as ag

    f, shapes = BIG[name]

    def leaves(lib):
        rng = np.random.default_rng(5)
        return [lib.tensor(rng.standard_normal(s).astype(dtype) + (3.0 if i else 0.0), requires_grad=True)
                for i, s in enumerate(shapes)]

    ours, theirs = _grads(ag, f, *leaves(ag)), _grads(torch, f, *leaves(torch))
    rtol, atol = (2e-5, 1e-4) if dtype == "float32" else (1e-11, 1e-10)
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
