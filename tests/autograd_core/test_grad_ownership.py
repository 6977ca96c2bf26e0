"""A leaf's first gradient becomes `.grad` without a copy when nothing else holds the array (as
PyTorch's AccumulateGrad steals such a buffer), and never otherwise: whatever a test does to
`.grad` in place must not show up in another leaf's gradient, the caller's gradient, a hook's
tensor or a tensor a custom Function kept. Each test runs on both engines."""

import numpy as np
import pytest


def _t(lib, *values, grad=True):
    return lib.tensor(np.array(values, dtype=np.float64), requires_grad=grad)


def _poke(lib, t):
    """Change a gradient in place, as an optimiser or clipping would."""
    with lib.no_grad():
        t.grad.mul_(100.0)


def test_one_gradient_for_two_leaves_is_not_shared(lib):
    a, b = _t(lib, 1.0, 2.0), _t(lib, 3.0, 4.0)
    ((a + b) * 2).sum().backward()  # Mul's backward makes a fresh array; Add hands it to both
    _poke(lib, a)
    assert b.grad.tolist() == [2.0, 2.0]
    assert a.grad.tolist() == [200.0, 200.0]


def test_the_callers_gradient_is_not_taken(lib):
    x = _t(lib, 1.0, 2.0)
    g = lib.tensor(np.array([5.0, 6.0]))
    x.clone().backward(g)  # clone passes the incoming gradient through unchanged
    _poke(lib, x)
    assert g.tolist() == [5.0, 6.0]
    y = _t(lib, 1.0, 2.0)
    (y + 0.0).backward(g)
    _poke(lib, y)
    assert g.tolist() == [5.0, 6.0]


def test_a_leaf_used_twice_gets_the_sum(lib):
    x = _t(lib, 1.0, 2.0)
    (x + x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


def test_a_custom_functions_kept_tensor_is_not_taken(lib):
    kept = {}

    class Keep(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            kept["grad"] = g * 2
            return kept["grad"]

    x = _t(lib, 1.0, 2.0)
    Keep.apply(x).sum().backward()
    _poke(lib, x)
    assert kept["grad"].tolist() == [2.0, 2.0]


def test_a_hooks_tensor_is_not_taken(lib):
    seen = []
    x = _t(lib, 1.0, 2.0)

    def hook(g):
        out = g * 1
        seen.append(out)
        return out

    x.register_hook(hook)
    (x * 2).sum().backward()
    _poke(lib, x)
    assert seen[0].tolist() == [2.0, 2.0]


def test_retained_graph_gives_fresh_gradients_each_time(lib):
    x = _t(lib, 1.0, 2.0)
    y = (x.sigmoid() * 3).sum()
    y.backward(retain_graph=True)
    first = x.grad
    x.grad = None
    y.backward()
    assert first is not x.grad
    _poke(lib, x)
    assert first.tolist() != x.grad.tolist()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_after_stealing_match(lib, dtype):
    """A chain of ops whose last gradient is fresh: the leaf keeps it (no copy on our side),
    and the values and dtype are PyTorch's."""
    x = lib.tensor(np.linspace(-2, 2, 7).astype(dtype), requires_grad=True)
    (x.sigmoid() * x).sum().backward()
    s = 1 / (1 + np.exp(-np.linspace(-2, 2, 7)))
    np.testing.assert_allclose(np.asarray(x.grad.tolist()), s + np.linspace(-2, 2, 7) * s * (1 - s), rtol=1e-5)
    assert str(x.grad.dtype).endswith(dtype)


def test_the_engine_takes_a_fresh_gradient_without_copying():
    """On our side: the array the last backward produced is `.grad` itself."""
    import autograd_core as ag
    from autograd_core import engine

    taken = []
    real = engine._accumulate_leaf

    def spy(leaf, grad, Tensor, create_graph=False, owned=False):
        taken.append(owned)
        real(leaf, grad, Tensor, create_graph, owned)

    x = ag.tensor(np.ones(4), requires_grad=True)
    w = ag.tensor(np.ones(4), requires_grad=True)
    try:
        engine._accumulate_leaf = spy
        (x.sigmoid() * 2).sum().backward()
        (x + w).sum().backward()
    finally:
        engine._accumulate_leaf = real
    assert taken[0] is True        # sigmoid's backward made a fresh array
    assert taken[1:] == [False, True] or taken[1:] == [True, False]  # one array for both: copied once


def test_a_view_of_a_kept_tensor_is_not_taken():
    """A gradient that is a reshaped view of an array something else still holds is copied.
    (Ours only: PyTorch's AccumulateGrad counts references to the view, not to its storage, and
    does take such a view.)"""
    import autograd_core as ag

    kept = {}

    class Keep(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            kept["grad"] = (g * 2).reshape(-1)
            return kept["grad"].reshape(g.shape)

    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    Keep.apply(x).sum().backward()
    _poke(ag, x)
    assert kept["grad"].tolist() == [2.0] * 6
    assert x.grad.tolist() == [[200.0] * 3] * 2


def test_a_reshaped_fresh_gradient_is_taken():
    """layer_norm returns its gradients as reshaped views of fresh arrays: they are kept, not copied."""
    import autograd_core as ag

    x = ag.tensor(np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32), requires_grad=True)
    w = ag.tensor(np.ones(8, np.float32), requires_grad=True)
    y = ag.functional.layer_norm(x, (8,), w)
    y.backward(ag.ones(4, 8))
    assert x.grad._data.base is not None and w.grad._data.base is not None  # the views themselves
