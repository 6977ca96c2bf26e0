"""In-place operations, views, version counters and `.data`, run on autograd_core and on
PyTorch with the same bodies (the `lib` fixture)."""

import numpy as np
import pytest


def t(lib, data, **kw):
    return lib.tensor(np.asarray(data, dtype=np.float64), **kw)


INPLACE = [
    ("add_", lambda x, lib: x.add_(t(lib, [1.0, 2.0, 3.0]), alpha=2)),
    ("sub_", lambda x, lib: x.sub_(0.5)),
    ("mul_", lambda x, lib: x.mul_(t(lib, [2.0, -1.0, 0.5]))),
    ("div_", lambda x, lib: x.div_(4.0)),
    ("pow_", lambda x, lib: x.pow_(2)),
    ("neg_", lambda x, lib: x.neg_()),
    ("abs_", lambda x, lib: x.abs_()),
    ("clamp_", lambda x, lib: x.clamp_(-0.5, 0.5)),
    ("clamp_min_", lambda x, lib: x.clamp_min_(0.0)),
    ("clamp_max_", lambda x, lib: x.clamp_max_(0.0)),
    ("exp_", lambda x, lib: x.exp_()),
    ("sigmoid_", lambda x, lib: x.sigmoid_()),
    ("tanh_", lambda x, lib: x.tanh_()),
    ("relu_", lambda x, lib: x.relu_()),
    ("zero_", lambda x, lib: x.zero_()),
    ("fill_", lambda x, lib: x.fill_(3.0)),
    ("copy_", lambda x, lib: x.copy_(t(lib, [7.0]))),
    ("iadd", lambda x, lib: x.__iadd__(1.0)),
    ("isub", lambda x, lib: x.__isub__(t(lib, [1.0, 1.0, 1.0]))),
    ("imul", lambda x, lib: x.__imul__(3.0)),
    ("itruediv", lambda x, lib: x.__itruediv__(2.0)),
    ("ipow", lambda x, lib: x.__ipow__(2.0)),
]


@pytest.mark.parametrize("name,op", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_under_no_grad_keeps_identity_leaf_and_grad(lib, name, op):
    x = t(lib, [-1.0, 0.25, 2.0], requires_grad=True)
    (x * x).sum().backward()
    grad = x.grad
    before = x._version
    with lib.no_grad():
        out = op(x, lib)
    assert out is x
    assert x.is_leaf and x.requires_grad and x.grad is grad
    assert x._version > before
    ref = np.asarray([-1.0, 0.25, 2.0])
    with lib.no_grad():
        expected = op(t(lib, ref), lib).numpy()
    np.testing.assert_allclose(x.detach().numpy(), expected)


@pytest.mark.parametrize("name,op", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_on_a_leaf_that_requires_grad_raises(lib, name, op):
    x = t(lib, [-1.0, 0.25, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        op(x, lib)


@pytest.mark.parametrize("name,op", [p for p in INPLACE if p[0] not in ("zero_", "fill_", "copy_")],
                         ids=[n for n, _ in INPLACE if n not in ("zero_", "fill_", "copy_")])
def test_inplace_on_a_non_leaf_is_recorded(lib, name, op):
    x = t(lib, [-1.0, 0.25, 2.0], requires_grad=True)
    y = x * 1.5
    op(y, lib)
    assert not y.is_leaf and y.requires_grad
    (y * y).sum().backward()
    ref = t(lib, [-1.0, 0.25, 2.0], requires_grad=True)
    z = op(ref * 1.5 + 0.0, lib)  # the same op applied out of the way of any leaf
    (z * z).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy(), rtol=1e-12)


def test_manual_sgd_step_updates_the_parameter_in_place(lib):
    _sgd_losses(lib)


def _sgd_losses(lib):
    rng = np.random.default_rng(0)
    xs, ys = rng.standard_normal((32, 3)), rng.standard_normal(32)
    w = lib.zeros(3, dtype=lib.float64, requires_grad=True)
    x, y = t(lib, xs), t(lib, ys)
    losses = []
    for _ in range(50):
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        with lib.no_grad():
            w -= 0.1 * w.grad
        w.grad.zero_()
        losses.append(loss.item())
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))  # the update really happens
    best = np.linalg.lstsq(xs, ys, rcond=None)[0]
    assert np.abs(w.detach().numpy() - best).max() < 0.05
    return losses


def test_manual_sgd_matches_torch_to_1e_6():
    torch = pytest.importorskip("torch")
    import autograd_core

    mine = _sgd_losses(autograd_core)
    theirs = _sgd_losses(torch)
    np.testing.assert_allclose(mine, theirs, atol=1e-6)


def test_clone_then_setitem_routes_gradients(lib):
    x = t(lib, [1.0, 2.0, 3.0], requires_grad=True)
    y = x.clone()
    y[0] = 0
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 4.0, 6.0])


def test_inplace_on_a_view_rebases_its_base(lib):
    x = t(lib, [[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 2
    v = y[0]
    v.mul_(3)
    np.testing.assert_allclose(y.detach().numpy(), [[6.0, 12.0], [6.0, 8.0]])
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[72.0, 144.0], [24.0, 32.0]])


def test_setitem_of_a_tensor_into_a_plain_tensor(lib):
    x = lib.zeros(3, dtype=lib.float64)
    w = t(lib, [1.0, 2.0], requires_grad=True)
    x[1:] = w * 2
    assert x.requires_grad and not x.is_leaf
    (x * x).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [8.0, 16.0])


def test_augmented_assignment_on_view_columns(lib):
    x = t(lib, [[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 1
    y[:, 0] += y[:, 1]
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, 2.0], [1.0, 2.0]])


@pytest.mark.parametrize("key", [(slice(None), 1), ([0, 2],), (np.array([True, False, True]),)],
                         ids=["slice", "list", "mask"])
def test_setitem_under_no_grad_writes_in_place(lib, key):
    x = lib.zeros(3, 2, dtype=lib.float64)
    before = x._version
    x[key] = 5.0
    assert x._version == before + 1
    expected = np.zeros((3, 2))
    expected[key] = 5.0
    np.testing.assert_allclose(x.numpy(), expected)


def test_views_share_storage_and_version(lib):
    base = lib.zeros(2, 3, dtype=lib.float64)
    views = [base[0], base.view(6), base.transpose(0, 1), base.narrow(1, 1, 2), base.unsqueeze(0),
             base.detach()]
    views[0].add_(1)
    for v in views:
        assert v._version == base._version == 1
    np.testing.assert_allclose(base.numpy()[0], [1.0, 1.0, 1.0])
    views[2][2, 1] = 9.0
    assert base.numpy()[1, 2] == 9.0


def test_modified_saved_input_makes_backward_raise(lib):
    x = t(lib, [1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y
    with lib.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_modified_saved_output_makes_backward_raise(lib):
    x = t(lib, [1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_optimizer_step_before_backward_raises(lib):
    w = t(lib, [1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with lib.no_grad():
        w.sub_(0.1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_unsaved_input_may_be_modified(lib):
    x = t(lib, [1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y + 1  # add saves nothing
    with lib.no_grad():
        y.mul_(3)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_data_shares_storage_outside_the_graph(lib):
    p = t(lib, [1.0, 2.0], requires_grad=True)
    d = p.data
    assert not d.requires_grad and d.is_leaf
    d.add_(1)
    np.testing.assert_allclose(p.detach().numpy(), [2.0, 3.0])
    assert p._version == 0  # .data is not tracked (unlike detach())
    p.data = t(lib, [5.0, 6.0])
    np.testing.assert_allclose(p.detach().numpy(), [5.0, 6.0])
    assert p.is_leaf and p.requires_grad


def test_detach_shares_the_version_counter(lib):
    x = t(lib, [1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_in_place_dtype_rule(lib):
    x = lib.zeros(2, dtype=lib.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.add_(1.5)
    y = lib.zeros(2, dtype=lib.float32)
    y += lib.ones(2, dtype=lib.int64)
    assert y.dtype == lib.float32


def test_shape_changing_inplace(lib):
    x = lib.arange(6.0).reshape(2, 3)
    assert x.t_().shape == (3, 2)
    assert x.unsqueeze_(0).shape == (1, 3, 2)
    assert x.squeeze_().shape == (3, 2)
    assert x.transpose_(0, 1).shape == (2, 3)
    r = lib.arange(4.0)
    r.resize_(2, 2)
    assert r.shape == (2, 2)


def test_random_inplace_fills(lib):
    lib.manual_seed(0)
    x = lib.zeros(1000, dtype=lib.float64)
    assert 0.4 < x.uniform_().mean().item() < 0.6
    assert abs(x.normal_(2.0, 0.5).mean().item() - 2.0) < 0.1
    assert set(np.unique(x.bernoulli_(0.3).numpy())) <= {0.0, 1.0}
    assert x.exponential_().min().item() >= 0


def test_relu_inplace_functional_and_module():
    torch = pytest.importorskip("torch")
    import autograd_core as ag

    for lib in (ag, torch):
        x = lib.tensor([-1.0, 2.0], requires_grad=True)
        y = x * 1
        out = lib.nn.functional.relu(y, inplace=True)
        assert out is y
        y.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0])


@pytest.mark.parametrize("update", ["w -= 0.1 * g", "w += g", "w *= g", "w /= 2", "w.sub_(g)", "w.add_(g[0])",
                                    "w.mul_(0.5)", "w.div_(g)", "w.sub_(g, alpha=2)", "w += g.double()"])
def test_no_grad_updates_write_the_storage_and_count_a_version(lib, update):
    """The no-grad update a hand-written loop makes (written straight into the storage where
    the dtypes allow): values, the same storage for every view, and a saved input refusing."""
    w = lib.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    g = lib.tensor([[0.5, 0.25], [2.0, -1.0]])
    view = w.detach()[0]
    y = (w * w).sum()  # saves w
    before = w.detach().clone()
    with lib.no_grad():
        exec(update, {"w": w, "g": g})
    ref = before.clone()
    exec(update, {"w": ref, "g": g})
    assert w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.detach().numpy(), ref.numpy())
    np.testing.assert_allclose(view.numpy(), ref.numpy()[0])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_no_grad_update_with_a_shape_that_does_not_fit_raises(lib):
    w = lib.zeros(2, 3)
    with lib.no_grad(), pytest.raises(RuntimeError):
        w += lib.ones(4, 3)
    with lib.no_grad(), pytest.raises(RuntimeError):
        w.add_(lib.ones(2, 2, 3))
