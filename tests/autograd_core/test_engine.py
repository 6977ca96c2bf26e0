"""The graph and the backward engine: accumulation, freeing, deep chains, hooks, modes."""

import gc
import threading
import time
import weakref

import numpy as np
import pytest

import autograd_core as ag


def leaf(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return ag.tensor(rng.standard_normal(shape), requires_grad=True)


def test_leaf_grads_accumulate_across_calls():
    x = leaf(3)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad._data, np.full(3, 5.0))


def test_shared_subexpression_sums_paths():
    x = leaf(4)
    y = x * x  # used twice below
    (y + y * 3).sum().backward()
    np.testing.assert_allclose(x.grad._data, 8 * x._data)


def test_same_tensor_both_operands_and_grad_arrays_not_aliased():
    a, b = leaf(3), leaf(3, seed=1)
    (a + b).sum().backward()
    a.grad._data[0] = 100.0  # writing one leaf's grad must not change the other's
    assert b.grad._data[0] == 1.0


def test_non_leaf_grad_is_none_unless_retained():
    x = leaf(3)
    y = x.exp()
    z = y * 2
    z.retain_grad()
    z.sum().backward()
    assert y.grad is None
    np.testing.assert_allclose(z.grad._data, np.ones(3))
    assert not y.is_leaf and x.is_leaf


def test_backward_on_non_scalar_needs_gradient():
    x = leaf(2, 3)
    with pytest.raises(RuntimeError, match=r"only for scalar outputs.*\(2, 3\)"):
        (x * 2).backward()
    (x * 2).backward(gradient=ag.ones(2, 3, dtype=ag.float64))
    np.testing.assert_allclose(x.grad._data, np.full((2, 3), 2.0))


def test_gradient_of_wrong_shape_is_refused():
    x = leaf(2)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(gradient=np.ones(3))


def test_second_backward_through_freed_graph_raises():
    x = leaf(3)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = leaf(3)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad._data.copy()
    y.backward()
    np.testing.assert_allclose(x.grad._data, 2 * first)


def test_saved_arrays_are_released_after_backward():
    x = leaf(5)
    y = x.exp()          # ExpBackward saves its output array
    z = (y * x).sum()    # MulBackward saves both operands
    saved = [weakref.ref(a) for node in (y.grad_fn, z.grad_fn.next[0]) for a in node.saved
             if a is not x._data]  # the leaf's own array lives on with x
    assert len(saved) == 2
    del y
    gc.collect()
    assert all(r() is not None for r in saved)  # alive while the graph may still need them
    z.backward()
    gc.collect()
    assert all(r() is None for r in saved)


def test_graph_released_when_output_dropped():
    x = leaf(5)
    y = (x.exp() * 3).sum()
    node = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert node() is None


def test_million_op_chain_back_propagates_iteratively():
    x = ag.tensor(np.ones((2,), dtype=np.float32), requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.sum().backward()  # no RecursionError; linear time is checked below
    np.testing.assert_allclose(x.grad._data, np.ones(2))
    del y



def test_backward_time_is_linear_in_chain_length():
    def run(n):
        x = ag.tensor([1.0], requires_grad=True)
        y = x
        for _ in range(n):
            y = y + 1.0
        t0 = time.perf_counter()
        y.backward()
        return time.perf_counter() - t0

    run(1000)
    small = min(run(20_000) for _ in range(3))
    large = min(run(200_000) for _ in range(3))
    assert large < 30 * small  # 10x the nodes: linear is ~10x, quadratic would be ~100x


def test_backward_on_leaf_itself():
    x = ag.tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_backward_without_requires_grad_explains():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.ones(2).sum().backward()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating-point"):
        ag.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        ag.arange(3).requires_grad_()


def test_grad_keeps_leaf_dtype():
    x = ag.tensor([1.0, 2.0], requires_grad=True)  # float32
    (x * ag.tensor([1.0, 2.0], dtype=ag.float64)).sum().backward()
    assert x.grad.dtype == np.float32


def test_broadcast_gradient_shapes():
    a, b = leaf(3, 1), leaf(1, 4, seed=1)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4)
    np.testing.assert_allclose(a.grad._data[:, 0], np.full(3, b._data.sum()))


def test_zero_dim_tensors():
    a, b = ag.tensor(3.0, requires_grad=True), leaf(2, 2)
    (a * b).sum().backward()
    assert a.grad.shape == () and isinstance(a.grad._data, np.ndarray)
    np.testing.assert_allclose(a.grad._data, b._data.sum())
    assert (a * a).shape == () and isinstance((a * a)._data, np.ndarray)


def test_shape_errors_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"matmul.*\(3, 4\).*\(5, 6\)"):
        ag.ones(3, 4) @ ag.ones(5, 6)
    with pytest.raises(RuntimeError, match=r"add.*\(3,\).*\(4,\)"):
        ag.ones(3) + ag.ones(4)
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4,\)"):
        ag.ones(2, 3).reshape(4)
    with pytest.raises(ValueError, match=r"cat.*\(2, 3\).*\(2, 4\)"):
        ag.cat([ag.ones(2, 3), ag.ones(2, 4)], dim=0)


def test_no_grad_context_and_decorator():
    x = leaf(2)
    with ag.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None

    @ag.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert ag.is_grad_enabled()
    with ag.no_grad():
        with ag.enable_grad():
            assert (x * 2).requires_grad
    with ag.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ag.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = {}

    def worker():
        seen["enabled"] = ag.is_grad_enabled()
        seen["requires"] = (leaf(2) * 2).requires_grad

    with ag.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not ag.is_grad_enabled()
    assert seen == {"enabled": True, "requires": True}


def test_hooks_on_leaf_and_non_leaf():
    x = leaf(3)
    seen = []
    x.register_hook(lambda g: seen.append(g._data.copy()))
    y = x * 2
    handle = y.register_hook(lambda g: g * 10)  # replaces the gradient flowing on
    y.sum().backward()
    np.testing.assert_allclose(seen[0], np.full(3, 20.0))
    np.testing.assert_allclose(x.grad._data, np.full(3, 20.0))
    handle.remove()


def test_leaf_hook_runs_once_with_total_gradient():
    x = leaf(2)
    calls = []
    x.register_hook(lambda g: calls.append(g._data.copy()))
    (x * 2 + x * 3).sum().backward()
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0], np.full(2, 5.0))


def test_detect_anomaly_names_the_op():
    x = ag.tensor([-1.0, 1.0], requires_grad=True)
    with ag.detect_anomaly():
        with pytest.raises(RuntimeError, match="LogBackward.*forward"):
            x.log()
        y = ag.tensor([0.0], requires_grad=True)
        z = y.sqrt().sum()  # forward finite (0), backward 1/(2·0) = inf
        with pytest.raises(RuntimeError, match="SqrtBackward.*backward"):
            z.backward()
    assert np.isnan(x.log()._data[0])  # outside the context: no check


class Cube(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x * x * grad


class ScaledAdd(ag.Function):
    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        return a + alpha * b

    @staticmethod
    def backward(ctx, grad):
        return grad, ctx.alpha * grad, None


def test_custom_function_gradcheck_and_composition():
    x = leaf(4)
    assert ag.gradcheck(lambda t: Cube.apply(t).exp(), (x,))
    a, b = leaf(2, 3), leaf(3, seed=2)
    assert ag.gradcheck(lambda p, q: ScaledAdd.apply(p, q, 0.5), (a, b))
    y = Cube.apply(x)
    assert y.grad_fn.name == "CubeBackward"
    assert y.grad_fn.needs_input_grad == (True,)


def test_custom_function_saved_tensors_freed():
    x = leaf(3)
    y = Cube.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_requires_grad_propagates_only_from_inputs_that_need_it():
    a = leaf(2)
    b = ag.ones(2, dtype=ag.float64)
    assert (a * b).requires_grad and not (b * b).requires_grad
    y = a * b
    assert y.grad_fn.needs_input_grad == (True, False)


def test_detach_and_data_are_untracked():
    x = leaf(2)
    y = x.detach() * 2
    assert not y.requires_grad
    assert x.detach()._data is x._data


def test_inplace_on_leaf_requiring_grad_is_refused():
    x = leaf(2)
    with pytest.raises(RuntimeError, match="in-place"):
        x.zero_()
    with ag.no_grad():
        x.zero_()
    assert (x._data == 0).all()


def test_numpy_interop():
    x = ag.tensor([1.0, 2.0])
    assert isinstance(np.asarray(x), np.ndarray)
    r = np.array([1.0, 1.0], dtype=np.float32) + x  # numpy defers to Tensor.__radd__
    assert isinstance(r, ag.Tensor)
    np.testing.assert_allclose(r._data, [2.0, 3.0])
    shared = np.zeros(2)
    ag.from_numpy(shared)._data[0] = 5
    assert shared[0] == 5


class NoGradForFirst(ag.Function):
    """Returns None for its first input even though that input requires grad."""

    @staticmethod
    def forward(ctx, a, b):
        return a * 0 + b

    @staticmethod
    def backward(ctx, grad):
        return None, grad


def test_none_gradient_does_not_stall_nodes_reached_by_other_paths():
    x = leaf(3)
    shared = x * 2  # reached through NoGradForFirst (None) and through the direct sum
    y = NoGradForFirst.apply(shared, x) + shared
    y.sum().backward()
    # d/dx: through b -> 1, through `shared` directly -> 2; nothing through the None edge.
    np.testing.assert_allclose(x.grad._data, np.full(3, 3.0))


def test_input_that_receives_only_none_gets_no_grad():
    a, b = leaf(2), leaf(2, seed=1)
    NoGradForFirst.apply(a * 3, b).sum().backward()
    assert a.grad is None
    np.testing.assert_allclose(b.grad._data, np.ones(2))


def test_backward_restores_the_garbage_collector_state():
    import gc

    x = leaf(2)
    (x * 2).sum().backward()
    assert gc.isenabled()
    gc.disable()
    try:
        (x * 2).sum().backward()
        assert not gc.isenabled()
    finally:
        gc.enable()
    bad = (x * 2).sum()
    bad.backward()
    with pytest.raises(RuntimeError):
        bad.backward()  # an error inside the walk must not leave the collector off
    assert gc.isenabled()
