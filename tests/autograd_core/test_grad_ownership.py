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


def _keeping(lib, kept, as_view=False):
    """A custom Function whose backward keeps the gradient it returns (or the array under the
    reshaped view it returns) in `kept`."""

    class Keep(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            if as_view:
                kept["grad"] = (g * 2).reshape(-1)
                return kept["grad"].reshape(g.shape)
            kept["grad"] = g * 2
            return kept["grad"]

    return Keep


def test_a_custom_functions_kept_tensor_is_not_taken(lib):
    kept = {}
    Keep = _keeping(lib, kept)
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
    Keep = _keeping(ag, kept, as_view=True)
    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    Keep.apply(x).sum().backward()
    _poke(ag, x)
    assert kept["grad"].tolist() == [2.0] * 6
    assert x.grad.tolist() == [[200.0] * 3] * 2


def test_a_reshaped_fresh_gradient_is_taken():
    """layer_norm over two dims returns its gradients as reshaped views of fresh arrays: they are
    kept, not copied."""
    import autograd_core as ag

    x = ag.tensor(np.random.default_rng(0).standard_normal((3, 4, 8)).astype(np.float32), requires_grad=True)
    w = ag.tensor(np.ones((4, 8), np.float32), requires_grad=True)
    y = ag.functional.layer_norm(x, (4, 8), w)
    y.backward(ag.ones(3, 4, 8))
    assert x.grad._data.base is not None and w.grad._data.base is not None  # the views themselves


def _random_graph(lib, seed, n_ops=40):
    """A graph where values are reused by several consumers (partial sums in the engine), with
    Add handing one array to both of its inputs; returns the inputs and the loss."""
    rng = np.random.default_rng(seed)
    xs = [lib.tensor(rng.standard_normal((3, 4)), requires_grad=True) for _ in range(3)]
    values = list(xs)
    for _ in range(n_ops):
        i, j = rng.integers(0, len(values), 2)
        a, b = values[i], values[j]
        kind = rng.integers(0, 5)
        if kind == 0:
            out = a + b
        elif kind == 1:
            out = a * b
        elif kind == 2:
            out = a.sigmoid() + b
        elif kind == 3:
            out = (a - b) * 0.5
        else:
            out = a.tanh() + a  # one value, two consumers inside one expression
        values.append(out)
    loss = sum(v.sum() for v in values[-6:]) + values[len(values) // 2].sum()
    return xs, loss


@pytest.mark.parametrize("seed", range(12))
def test_reused_values_sum_their_gradients_as_torch(seed):
    """Gradients summed over several consumers, with leaves taking arrays they alone hold, equal
    PyTorch's on graphs full of reuse."""
    torch = pytest.importorskip("torch")
    import autograd_core as ag

    xs, loss = _random_graph(ag, seed)
    loss.backward()
    txs, tloss = _random_graph(torch, seed)
    tloss.backward()
    for x, tx in zip(xs, txs):
        assert (x.grad is None) == (tx.grad is None)  # an input the loss does not reach has none
        if x.grad is not None:
            np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_reused_values_with_retained_graph_and_second_backward(seed):
    """Twice through the same retained graph: nothing the first pass handed to a leaf is written by
    the second (each pass sums fresh gradients)."""
    import autograd_core as ag

    xs, loss = _random_graph(ag, seed)
    loss.backward(retain_graph=True)
    first = [None if x.grad is None else x.grad.numpy().copy() for x in xs]
    for x in xs:
        x.grad = None
    loss.backward()
    for x, f in zip(xs, first):
        if f is None:
            assert x.grad is None
        else:
            np.testing.assert_array_equal(x.grad.numpy(), f)


# Partial sums: a value with several consumers gets its gradients added into the walk's own array
# in place, once nothing else holds that array. Whatever else holds one must never see it change.


def test_retained_gradients_of_reused_values_are_not_written_later(lib):
    x = _t(lib, 1.0, 2.0)
    y = x * 3
    y.retain_grad()
    z = y.sigmoid()
    z.retain_grad()
    (y * 2 + z * 5 + y.tanh() + z * z).sum().backward()  # y and z each have several consumers
    y_grad, z_grad = y.grad.clone(), z.grad.clone()
    _poke(lib, x)
    assert y.grad.tolist() == y_grad.tolist() and z.grad.tolist() == z_grad.tolist()
    s = 1 / (1 + np.exp(-np.array([3.0, 6.0])))
    np.testing.assert_allclose(z.grad.tolist(), 5 + 2 * s, rtol=1e-12)


@pytest.mark.parametrize("order", range(3))
def test_a_hook_on_a_reused_value_keeps_what_it_saw(lib, order):
    """b's hook keeps the gradient it is given; Add passes that array on to a, which has other
    consumers: whichever arrives first, the hook's array is never the one summed into."""
    x = _t(lib, 1.0, 2.0)
    seen = []
    a = x * 2
    b = a + 1
    b.register_hook(lambda g: seen.append(g))  # kept as given, not copied
    terms = [b * 4 + b, a * a, a.tanh()]
    terms = terms[order:] + terms[:order]
    (terms[0] + terms[1] + terms[2]).sum().backward()
    assert seen[0].tolist() == [5.0, 5.0]
    want_x = 2 * (5 + 2 * np.array([2.0, 4.0]) + (1 - np.tanh([2.0, 4.0]) ** 2))
    np.testing.assert_allclose(x.grad.tolist(), want_x, rtol=1e-12)


@pytest.mark.parametrize("order", range(3))
def test_a_custom_functions_kept_gradient_is_not_summed_into(lib, order):
    """The kept array reaches a value with several consumers: the sum must be a new array."""
    kept = {}
    Keep = _keeping(lib, kept)
    x = _t(lib, 1.0, 2.0)
    h = x * 1.5
    terms = [Keep.apply(h), h * 3, h.sigmoid()]
    terms = terms[order:] + terms[:order]
    (terms[0] + terms[1] + terms[2]).sum().backward()
    assert kept["grad"].tolist() == [2.0, 2.0]


def _sliced_graph(lib, seed):
    """qkv-like slices, x * x, broadcast subtraction and division, all over reused values."""
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((4, 9)), requires_grad=True)
    w = lib.tensor(rng.standard_normal((9,)), requires_grad=True)
    h = x * w
    q, k, v = h[:, :3], h[:, 3:6], h[:, 6:]
    c = h - h.mean(-1, keepdim=True)
    n = c / ((c * c).mean(-1, keepdim=True) + 1e-5).sqrt()
    loss = (q * k).sum() + (v * v).sum() + (n * h).sum() + (q - k.mean(0)).sum()
    return (x, w), loss


@pytest.mark.parametrize("seed", range(4))
def test_slices_squares_and_broadcasts_over_reused_values_match_torch(seed):
    torch = pytest.importorskip("torch")
    import autograd_core as ag

    ours, loss = _sliced_graph(ag, seed)
    loss.backward(retain_graph=True)
    first = [t.grad.numpy().copy() for t in ours]
    for t in ours:
        t.grad = None
    loss.backward()  # the retained graph again: the same gradients
    theirs, tloss = _sliced_graph(torch, seed)
    tloss.backward()
    for t, f, tt in zip(ours, first, theirs):
        np.testing.assert_array_equal(t.grad.numpy(), f)
        np.testing.assert_allclose(f, tt.grad.numpy(), rtol=1e-10, atol=1e-12)
