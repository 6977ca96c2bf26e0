"""Higher-order gradients and function transforms, run on autograd_core and on PyTorch
with the same bodies (the `lib` fixture) or compared with PyTorch directly."""

import threading

import numpy as np
import pytest


def t(lib, a, **kw):
    return lib.tensor(np.asarray(a, dtype=np.float64), **kw)


def test_third_derivative_of_a_scalar_function(lib):
    x = t(lib, 0.7, requires_grad=True)
    y = lib.sin(x) * x ** 3
    (d1,) = lib.autograd.grad(y, x, create_graph=True)
    (d2,) = lib.autograd.grad(d1, x, create_graph=True)
    (d3,) = lib.autograd.grad(d2, x)
    v = 0.7
    s, c = np.sin(v), np.cos(v)
    expected = -c * v ** 3 - 9 * s * v ** 2 + 18 * c * v + 6 * s
    assert abs(d3.item() - expected) < 1e-10


def test_backward_create_graph_leaves_a_differentiable_grad(lib):
    x = t(lib, [1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def _mlp(lib, seed=0):
    rng = np.random.default_rng(seed)
    w1, b1 = t(lib, rng.standard_normal((8, 3)) * 0.5, requires_grad=True), t(lib, np.zeros(8), requires_grad=True)
    w2, b2 = t(lib, rng.standard_normal((1, 8)) * 0.5, requires_grad=True), t(lib, np.zeros(1), requires_grad=True)

    def critic(x):
        return lib.nn.functional.linear(lib.tanh(lib.nn.functional.linear(x, w1, b1)), w2, b2)

    return critic, [w1, b1, w2, b2]


def _gradient_penalty_grads(lib):
    """One WGAN-GP critic loss: mean critic score gap plus λ·(‖∇ₓ critic(x̂)‖ - 1)²."""
    critic, params = _mlp(lib)
    rng = np.random.default_rng(1)
    real, fake = t(lib, rng.standard_normal((6, 3))), t(lib, rng.standard_normal((6, 3)) + 1)
    alpha = t(lib, rng.uniform(size=(6, 1)))
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(mixed)
    (grad_x,) = lib.autograd.grad(scores, mixed, grad_outputs=lib.ones_like(scores), create_graph=True)
    penalty = ((grad_x.norm(2, dim=1) - 1) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
    loss.backward()
    return [p.grad.numpy().copy() for p in params]


def test_gradient_penalty_matches_torch():
    torch = pytest.importorskip("torch")
    import autograd_core

    for mine, theirs in zip(_gradient_penalty_grads(autograd_core), _gradient_penalty_grads(torch)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)


def _newton_logistic(lib, steps=6):
    rng = np.random.default_rng(0)
    x = t(lib, rng.standard_normal((40, 3)))
    y = t(lib, (rng.uniform(size=40) < 0.5).astype(float))
    w = t(lib, np.zeros(3))

    def loss_fn(w):
        return lib.nn.functional.binary_cross_entropy_with_logits(x @ w, y) + 0.05 * (w * w).sum()

    losses = []
    for _ in range(steps):
        h = lib.autograd.functional.hessian(loss_fn, w)
        (g,) = lib.autograd.grad(loss_fn(w.requires_grad_(True)), w)
        w = (w.detach() - lib.linalg.solve(h, g)).detach()
        losses.append(loss_fn(w).item())
    return losses


def test_newton_converges_in_the_same_steps_as_torch():
    torch = pytest.importorskip("torch")
    import autograd_core

    mine, theirs = _newton_logistic(autograd_core), _newton_logistic(torch)
    np.testing.assert_allclose(mine, theirs, rtol=1e-10)
    assert abs(mine[-1] - mine[-2]) < 1e-12  # quadratic convergence: settled in a few steps


def _functional_results(lib):
    f = lambda x: (x ** 3).sum() + (x[0] * x[1])  # noqa: E731
    g = lambda x, y: lib.stack([x * y, x + y ** 2]).sum(0)  # noqa: E731
    x, y, v = t(lib, [1.0, 2.0]), t(lib, [0.5, -1.0]), t(lib, [0.3, -0.7])
    F = lib.autograd.functional
    out = [F.hessian(f, x), F.jacobian(g, (x, y))[1], F.vjp(g, (x, y), v)[1][0], F.jvp(g, (x, y), (v, v))[1],
           F.hvp(f, x, v)[1], F.vhp(f, x, v)[1]]
    fn = lib.func
    out += [fn.grad(f)(x), fn.jacrev(g, argnums=1)(x, y), fn.jacfwd(g)(x, y), fn.hessian(f)(x),
            fn.vjp(g, x, y)[1](v)[1], fn.jvp(g, (x, y), (v, v))[1],
            fn.grad_and_value(f)(x)[1], fn.vmap(lambda r: r.sum() * r, in_dims=0)(lib.stack([x, y]))]
    return [np.asarray(o.detach().numpy()) for o in out]


def test_autograd_functional_and_func_match_torch():
    torch = pytest.importorskip("torch")
    import autograd_core

    for i, (mine, theirs) in enumerate(zip(_functional_results(autograd_core), _functional_results(torch))):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12, err_msg=f"result {i}")


def _per_example_grads(lib):
    rng = np.random.default_rng(0)
    model = lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.Tanh(), lib.nn.Linear(6, 3)).double()
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(t(lib, rng.standard_normal(tuple(p.shape)) * 0.5))
    params = {k: v.detach() for k, v in model.named_parameters()}
    x, y = t(lib, rng.standard_normal((5, 4))), lib.tensor(rng.integers(0, 3, 5))

    def loss(p, xi, yi):
        out = lib.func.functional_call(model, p, (xi.unsqueeze(0),))
        return lib.nn.functional.cross_entropy(out, yi.unsqueeze(0))

    grads = lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    return {k: v.detach().numpy() for k, v in grads.items()}


def test_per_example_gradients_with_vmap_match_torch():
    torch = pytest.importorskip("torch")
    import autograd_core

    mine, theirs = _per_example_grads(autograd_core), _per_example_grads(torch)
    assert mine.keys() == theirs.keys()
    for k in mine:
        assert mine[k].shape[0] == 5
        np.testing.assert_allclose(mine[k], theirs[k], rtol=1e-10, atol=1e-12, err_msg=k)


def test_once_differentiable_refuses_a_second_derivative():
    import autograd_core as ag
    from autograd_core.autograd.function import once_differentiable

    class Square(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = ag.tensor([1.5], dtype=ag.float64, requires_grad=True)
    (g,) = ag.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    assert g.item() == 3.0
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


def test_custom_function_with_differentiable_backward_has_second_derivatives():
    import autograd_core as ag

    class Cube(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    x = ag.tensor([2.0], dtype=ag.float64, requires_grad=True)
    assert ag.autograd.gradgradcheck(Cube.apply, (x,))


def test_fused_recurrent_loop_has_second_derivatives():
    # nn.RNN/LSTM/GRU fuse their time loop; its recorded backward is differentiable again
    # (the full matrix of options is in tests/nn/test_rnn_double_backward.py).
    import autograd_core as ag

    ag.manual_seed(0)
    rnn = ag.nn.GRU(3, 4, batch_first=True).double()
    x = ag.randn(2, 5, 3, dtype=ag.float64, requires_grad=True)
    assert ag.autograd.gradgradcheck(lambda t: rnn(t)[0], (x,))


def test_concurrent_backward_into_shared_parameters_loses_nothing():
    """Issue 16 item 1: accumulation into .grad is atomic with respect to other threads."""
    import gc

    import autograd_core as ag

    w = ag.zeros(4, requires_grad=True)
    x = ag.ones(4)
    n = 200
    was_enabled = gc.isenabled()

    def work():
        for _ in range(n):
            (w * x).sum().backward()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    np.testing.assert_array_equal(w.grad.numpy(), np.full(4, 2 * n))
    assert gc.isenabled() == was_enabled  # the collector is left as it was


def test_fused_op_with_one_tensor_in_two_places_matches_torch():
    """A composite's VJP treats each argument position on its own: conv2d(x, x)."""
    torch = pytest.importorskip("torch")
    import autograd_core

    results = []
    for lib in (autograd_core, torch):
        x = lib.tensor(np.linspace(-1, 1, 18).reshape(2, 1, 3, 3), requires_grad=True)
        y = lib.nn.functional.conv2d(x, x, padding=1)
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x)
        results.append((g.detach().numpy(), h.detach().numpy()))
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)
