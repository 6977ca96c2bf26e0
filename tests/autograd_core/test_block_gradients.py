"""Slicing's backward hands the engine a block (`engine.BlockGradient`), added where it belongs into
one array per sliced value: gradients equal PyTorch's for every kind of basic index, overlapping
blocks, blocks mixed with whole gradients in any order, hooks, anomaly mode, drawings and double
backward."""

import numpy as np
import pytest

from autograd_core.engine import BlockGradient
from autograd_core.gradcheck import gradcheck, gradgradcheck

KEYS = {
    "qkv": lambda h: [h[:, :, :3], h[:, :, 3:6], h[:, :, 6:]],
    "overlapping": lambda h: [h[:, :, :5], h[:, :, 3:8], h[1:, 1:, 2:4]],
    "ints": lambda h: [h[0], h[1, 2], h[:, -1], h[..., 4]],
    "steps_and_none": lambda h: [h[::2, 1:], h[:, None, 1::3], h[-1, :, None]],
    "time_steps": lambda h: [h[:, t] for t in range(h.shape[1])],
    "mixed_with_whole": lambda h: [h * 2, h[:, :, :3], h.sigmoid(), h[0, :, 1:]],
    "whole_last": lambda h: [h[:, :, :3], h[0, :, 1:], h.tanh()],
}


def _loss(lib, key, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((3, 4, 9)).astype(dtype), requires_grad=True)
    h = x * 1.5  # the sliced value is not a leaf: its gradient is summed by the walk
    parts = KEYS[key](h)
    weights = [lib.tensor(rng.standard_normal(tuple(p.shape)).astype(dtype)) for p in parts]
    return x, sum((p * w).sum() for p, w in zip(parts, weights))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("key", KEYS)
def test_gradients_equal_pytorchs(key, dtype):
    torch = pytest.importorskip("torch")
    import autograd_core as ag

    x, loss = _loss(ag, key, dtype)
    loss.backward()
    tx, tloss = _loss(torch, key, dtype)
    tloss.backward()
    assert x.grad.dtype == getattr(ag, dtype)
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("key", ["qkv", "overlapping", "ints", "mixed_with_whole"])
def test_gradcheck_and_gradgradcheck(key):
    import autograd_core as ag

    x = ag.tensor(np.random.default_rng(3).standard_normal((3, 4, 9)), requires_grad=True)

    def f(x):
        return sum((p * p).sum() for p in KEYS[key](x * 1.5))

    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_a_hook_and_retain_grad_on_the_sliced_value_see_the_whole_gradient(lib):
    x = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    h = x * 1.0
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(g.clone()))
    (h[:, 0].sum() * 2 + h[:, 1:].sum() * 3 + h[1, 2] * 4).backward()
    want = [[2.0, 3.0, 3.0], [2.0, 3.0, 7.0]]
    assert seen[0].tolist() == want and h.grad.tolist() == want and x.grad.tolist() == want


def test_a_leaf_sliced_directly_gets_the_dense_gradient(lib):
    x = lib.tensor(np.zeros((2, 4)), requires_grad=True)
    (x[:, :2].sum() + x[:, 1:3].sum() * 10).backward()
    assert x.grad.tolist() == [[1.0, 11.0, 10.0, 0.0]] * 2


def test_anomaly_mode_checks_the_blocks_and_names_the_op_that_made_inf():
    import autograd_core as ag

    x = ag.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with ag.autograd.detect_anomaly():
        h = x * 1.0
        (h[:, 1:].sum() * 2 + h[:, :1].sum()).backward()  # finite blocks pass the check
        assert x.grad.tolist() == [[1.0, 2.0, 2.0]] * 2
        z = (x * 1.0)[:, :2].sqrt().sum()  # sqrt's gradient at 0 is inf
        with pytest.raises(RuntimeError, match="inf.*sqrt"):
            z.backward()


def test_a_drawing_of_the_backward_pass_sees_arrays():
    import autograd_core as ag
    from autograd_core import engine

    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    h = x * 2.0
    loss = (h[:, :1] * 3).sum() + h[:, 1:].sum()
    seen = []
    engine.replay(loss, lambda node, g_in, g_out: seen.extend(type(g) for g in g_out if g is not None))
    assert seen and BlockGradient not in seen
