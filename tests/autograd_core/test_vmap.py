"""func.vmap against torch.func.vmap: batching rules, nested maps, per-example gradients,
and the per-example loop that takes over where an op has no rule."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the reference results come from torch.func.vmap")
import autograd_core as ag  # noqa: E402
from autograd_core._vmap import batched  # noqa: E402


def arr(*shape, seed=0):
    return np.random.default_rng(seed + 7 * len(shape)).standard_normal(shape)


def case(fn, *arrays, **vmap_kwargs):
    return fn, arrays, vmap_kwargs


def F(lib):
    return lib.nn.functional


# Each case: f(lib, *tensors), the inputs as arrays (ints stay integer), vmap's keywords.
CASES = {
    "binary_broadcast": case(lambda lib, a, b: a * b + a.exp() - b / 2 + 1.5 ** a, arr(5, 3, 4), arr(4),
                             in_dims=(0, None)),
    "in_dims_1_and_0": case(lambda lib, a, b: lib.maximum(a, b) * lib.sqrt(b.abs()), arr(3, 5, 4), arr(5, 4),
                            in_dims=(1, 0)),
    "unbatched_left": case(lambda lib, a, b: b - a, arr(2, 3), arr(6, 3), in_dims=(None, 0)),
    "reductions": case(lambda lib, a: (a.sum(1), a.mean(), a.amax(dim=0), lib.logsumexp(a, 1, keepdim=True),
                                       a.sum(dim=(-1, 0)), a.std(1), a.prod(0)), arr(5, 3, 4)),
    "matmul_batched_by_matrix": case(lambda lib, a, m: a @ m, arr(5, 3, 4), arr(4, 2), in_dims=(0, None)),
    "matmul_vector_by_matrix": case(lambda lib, v, m: lib.matmul(v, m), arr(5, 4), arr(4, 2), in_dims=(0, None)),
    "matmul_matrix_by_vector": case(lambda lib, m, v: m @ v, arr(3, 4), arr(5, 4), in_dims=(None, 0)),
    "matmul_both_batched": case(lambda lib, a, b: a @ b, arr(5, 2, 3, 4), arr(5, 4, 2)),
    "matmul_stack_by_unbatched_stack": case(lambda lib, a, b: a @ b, arr(5, 3, 4), arr(2, 4, 3),
                                            in_dims=(0, None)),
    "dot": case(lambda lib, a, b: a @ b, arr(5, 4), arr(5, 4)),
    "linear": case(lambda lib, x, w, b: F(lib).linear(x, w, b), arr(5, 3, 4), arr(2, 4), arr(2),
                   in_dims=(0, None, None)),
    "linear_batched_weight": case(lambda lib, x, w, b: F(lib).linear(x, w, b), arr(4), arr(5, 2, 4), arr(5, 2),
                                  in_dims=(None, 0, 0)),
    "shapes": case(lambda lib, a: (a.reshape(2, 6).T, a.transpose(0, 1).flatten(), a.permute(1, 0)[1:, ..., -1],
                                   a.unsqueeze(1).squeeze(), a[0, 1:3], a[:, None, 2], a.view(-1)[::2],
                                   a.expand(2, 3, 4), a.flip(0), lib.cat([a, a * 2], 1), lib.stack([a, a], -1),
                                   a[:, lib.tensor([2, 0, 2])], a.split(3, dim=1)[1]),
                   arr(5, 3, 4)),
    "activations": case(lambda lib, a: (lib.relu(a), lib.tanh(a), lib.sigmoid(a), F(lib).gelu(a),
                                        lib.softmax(a, 1), lib.log_softmax(a, dim=-1), F(lib).softplus(a),
                                        F(lib).leaky_relu(a, 0.2), a.clamp(-0.5, 0.5), lib.where(a > 0, a, 2 * a)),
                        arr(5, 3, 4)),
    "more_ops": case(lambda lib, a, m: (lib.einsum("ij,jk->ki", a, m), lib.outer(a[0], a[1]), a.cumsum(1),
                                        a.max(1).values, a.max(1).indices, a.min(0, keepdim=True)[0], a.argmax(-1),
                                        a.argmin(), (a > 0).long(), a.T.contiguous(), a.square(), F(lib).silu(a),
                                        F(lib).layer_norm(a, (4,)), a.masked_fill(a > 0.5, -1.0),
                                        F(lib).binary_cross_entropy_with_logits(a, (m[:3] > 0).double()),
                                        F(lib).embedding(lib.tensor([2, 0, 2]), a), a.reshape(-1).view_as(a),
                                        lib.movedim(a, 0, 1)),
                     arr(5, 3, 4), arr(4, 4), in_dims=(0, None)),
    "out_dims": case(lambda lib, a: (a.sum(0), a * 2), arr(5, 3, 4), out_dims=(0, 2)),
    "out_dims_negative": case(lambda lib, a: a.T, arr(3, 5, 4), in_dims=1, out_dims=-1),
    "pytree_inputs": case(lambda lib, d: d["a"] * d["b"].sum(), arr(5, 3), arr(5, 2),
                          in_dims=({"a": 0, "b": 0},)),
    "mse": case(lambda lib, a, b: (F(lib).mse_loss(a, b), F(lib).mse_loss(a, b, reduction="none"),
                                   F(lib).mse_loss(a, b, reduction="sum")), arr(5, 3, 2), arr(3, 2),
                in_dims=(0, None)),
}


def _as(lib, x):
    return lib.tensor(x)


def _run(lib, name):
    fn, arrays, kw = CASES[name]
    if name == "pytree_inputs":
        args = ({"a": _as(lib, arrays[0]), "b": _as(lib, arrays[1])},)
    else:
        args = tuple(_as(lib, a) for a in arrays)
    out = lib.func.vmap(lambda *xs: fn(lib, *xs), **kw)(*args)
    outs = out if isinstance(out, tuple) else (out,)
    return [o.detach().numpy() for o in outs]


@pytest.mark.parametrize("name", sorted(CASES))
def test_batched_rules_match_torch(name):
    before = batched.stats["fallback"]
    mine, theirs = _run(ag, name), _run(torch, name)
    assert batched.stats["fallback"] == before, batched.stats["last_reason"]
    assert len(mine) == len(theirs)
    for i, (m, t) in enumerate(zip(mine, theirs)):
        assert m.shape == t.shape, f"result {i}"
        np.testing.assert_allclose(m, t, rtol=1e-10, atol=1e-12, err_msg=f"result {i}")


def _loss_cases(lib):
    rng = np.random.default_rng(3)
    logits = lib.tensor(rng.standard_normal((6, 4, 5)))
    target = lib.tensor(rng.integers(0, 5, (6, 4)))
    target[1, :] = -100  # an example whose targets are all ignored: its mean is nan
    target[2, 1] = -100
    probs = lib.softmax(lib.tensor(rng.standard_normal((6, 4, 5))), -1)
    w = lib.tensor(rng.uniform(0.5, 2.0, 5))
    images = lib.tensor(rng.standard_normal((6, 2, 5, 3)))  # (N, C, d) per example
    pix = lib.tensor(rng.integers(0, 5, (6, 2, 3)))
    f = F(lib)
    out = []
    for reduction in ("mean", "sum", "none"):
        out.append(lib.func.vmap(lambda x, t, r=reduction: f.cross_entropy(x, t, reduction=r))(logits, target))
        out.append(lib.func.vmap(lambda x, t, r=reduction: f.cross_entropy(x, t, weight=w, reduction=r))(
            logits, target))
        out.append(lib.func.vmap(lambda x, t, r=reduction: f.cross_entropy(x, t, reduction=r))(logits, probs))
        out.append(lib.func.vmap(lambda x, t, r=reduction: f.nll_loss(lib.log_softmax(x, 1), t, weight=w,
                                                                        reduction=r))(logits, target))
        out.append(lib.func.vmap(lambda x, t, r=reduction: f.cross_entropy(x, t, reduction=r))(images, pix))
        out.append(lib.func.vmap(lambda x, t, r=reduction: f.cross_entropy(x, t, reduction=r, label_smoothing=0.2),
                                 in_dims=(1, 0))(logits, target.T.contiguous()))
    # Per-example gradients of a mean with ignored targets: nan values, zero gradients.
    out.append(lib.func.vmap(lib.func.grad(lambda x, t: f.cross_entropy(x, t)))(logits, target))
    return [o.detach().numpy() for o in out]


def test_batched_losses_match_torch():
    before = batched.stats["fallback"]
    mine, theirs = _loss_cases(ag), _loss_cases(torch)
    assert batched.stats["fallback"] == before, batched.stats["last_reason"]
    for i, (m, t) in enumerate(zip(mine, theirs)):
        np.testing.assert_allclose(m, t, rtol=1e-10, atol=1e-12, err_msg=f"loss case {i}")


def _mlp(lib, activation, seed=0):
    rng = np.random.default_rng(seed)
    model = lib.nn.Sequential(lib.nn.Linear(5, 7), activation(lib), lib.nn.Linear(7, 3)).double()
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)) * 0.5))
    params = {k: v.detach() for k, v in model.named_parameters()}
    x = lib.tensor(rng.standard_normal((6, 5)))
    return model, params, x, rng


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("unsqueeze", [True, False])
def test_per_example_gradients_of_an_mlp_take_the_batched_path(loss, unsqueeze):
    def grads(lib):
        model, params, x, rng = _mlp(lib, lambda lib: lib.nn.ReLU())
        y = lib.tensor(rng.integers(0, 3, 6)) if loss == "cross_entropy" else lib.tensor(rng.standard_normal((6, 3)))

        def f(p, xi, yi):
            if unsqueeze:
                xi, yi = xi.unsqueeze(0), yi.unsqueeze(0)
            out = lib.func.functional_call(model, p, (xi,))
            return F(lib).cross_entropy(out, yi) if loss == "cross_entropy" else F(lib).mse_loss(out, yi)

        g, v = lib.func.vmap(lib.func.grad_and_value(f), in_dims=(None, 0, 0))(params, x, y)
        return {k: t.numpy() for k, t in g.items()}, v.numpy()

    before = dict(batched.stats)
    (mine, mv), (theirs, tv) = grads(ag), grads(torch)
    assert batched.stats["fallback"] == before["fallback"], batched.stats["last_reason"]
    assert batched.stats["batched"] == before["batched"] + 1
    np.testing.assert_allclose(mv, tv, rtol=1e-12)
    for k in theirs:
        assert mine[k].shape == (6,) + theirs[k].shape[1:]
        np.testing.assert_allclose(mine[k], theirs[k], rtol=1e-10, atol=1e-12, err_msg=k)


def _transforms(lib):
    rng = np.random.default_rng(5)
    xs, ws = lib.tensor(rng.standard_normal((4, 3))), lib.tensor(rng.standard_normal((4, 3)))
    m = lib.tensor(rng.standard_normal((3, 3)))
    fn = lib.func

    def f(x):
        return (lib.tanh(m @ x) * x).sum() + (x ** 3).sum()

    def g(x, w):
        return lib.sin(x) * w + x @ m

    out = [
        fn.vmap(fn.jacrev(g))(xs, ws),
        fn.vmap(fn.hessian(f))(xs),
        fn.vmap(fn.grad(lambda x: fn.grad(lambda y: (y ** 4).sum() * y[0])(x).sum()))(xs),
        fn.vmap(lambda x, w: fn.vjp(g, x, w)[1](w)[0])(xs, ws),
        fn.vmap(lambda w: fn.grad(lambda x: (x * w).sum() ** 2)(m[0]))(ws),  # closure over a batched value
        fn.vmap(fn.vmap(lambda a, b: (a * b).sum(), in_dims=(0, None)), in_dims=(None, 0))(xs, ws),
        fn.vmap(fn.vmap(lambda a: a.softmax(0) @ m, in_dims=1, out_dims=1))(xs.reshape(2, 3, 2)),
        fn.vmap(fn.vmap(fn.grad(lambda a, b: (a * b).exp().sum()), in_dims=(0, None)), in_dims=(None, 0))(xs, ws),
    ]
    return [o.detach().numpy() for o in out]


def test_grad_jacrev_hessian_vjp_and_nested_vmap_match_torch():
    before = batched.stats["fallback"]
    mine, theirs = _transforms(ag), _transforms(torch)
    assert batched.stats["fallback"] == before, batched.stats["last_reason"]
    for i, (m, t) in enumerate(zip(mine, theirs)):
        assert m.shape == t.shape, f"result {i}"
        np.testing.assert_allclose(m, t, rtol=1e-10, atol=1e-12, err_msg=f"result {i}")


def _without_rules(lib):
    a = lib.tensor(np.random.default_rng(1).standard_normal((5, 4)))
    fn = lib.func
    return [o.detach().numpy() for o in (
        fn.vmap(lambda r: r.sort()[0] * r)(a),
        fn.vmap(lambda r: F(lib).smooth_l1_loss(r, r.flip(0)))(a),
        fn.vmap(fn.grad(lambda r: (r.sort()[0] * r.exp()).sum()))(a),
        fn.vmap(lambda r: r + r.sum())(a),  # batched again after a fallback
    )]


def test_ops_without_a_rule_fall_back_to_the_loop_and_match_torch():
    before = dict(batched.stats)
    mine, theirs = _without_rules(ag), _without_rules(torch)
    assert batched.stats["fallback"] == before["fallback"] + 3
    assert batched.stats["batched"] == before["batched"] + 1
    for i, (m, t) in enumerate(zip(mine, theirs)):
        np.testing.assert_allclose(m, t, rtol=1e-12, atol=1e-12, err_msg=f"result {i}")


def test_random_draws_run_example_by_example():
    # Each example draws its own numbers (the loop's behaviour), never one draw for all.
    f = ag.func.vmap(lambda r: r + ag.randn(3))
    before = batched.stats["fallback"]
    ag.manual_seed(0)
    out = f(ag.zeros(4, 3))
    assert batched.stats["fallback"] == before + 1
    ag.manual_seed(0)
    np.testing.assert_array_equal(out.numpy(), np.stack([ag.randn(3).numpy() for _ in range(4)]))
    assert not np.allclose(out.numpy()[0], out.numpy()[1])


def test_errors_are_the_loops():
    with pytest.raises(Exception, match="shape|size|align"):
        ag.func.vmap(lambda a: a @ ag.ones(5, 2))(ag.ones(3, 4))
    with pytest.raises(ValueError, match="batch sizes"):
        ag.func.vmap(lambda a, b: a + b)(ag.ones(3, 4), ag.ones(2, 4))


def test_weighted_smoothed_cross_entropy_matches_the_per_example_loop():
    # torch.func.vmap cannot map this one (it uses masked_select); the loop is the reference.
    rng = np.random.default_rng(4)
    logits = ag.tensor(rng.standard_normal((5, 4, 3)))
    target = ag.tensor(rng.integers(0, 3, (5, 4)))
    target[0, 2] = -100
    w = ag.tensor(rng.uniform(0.5, 2.0, 3))
    for reduction in ("mean", "sum", "none"):
        def f(x, t, r=reduction):
            return ag.nn.functional.cross_entropy(x, t, weight=w, label_smoothing=0.3, reduction=r)

        before = batched.stats["fallback"]
        out = ag.func.vmap(f)(logits, target)
        assert batched.stats["fallback"] == before
        loop = np.stack([f(logits[i], target[i]).numpy() for i in range(5)])
        np.testing.assert_allclose(out.numpy(), loop, rtol=1e-12, atol=1e-12)


def _chunked_and_differentiated(lib):
    rng = np.random.default_rng(6)
    x = lib.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    m = lib.tensor(rng.standard_normal((3, 3)))
    f = lambda r: (lib.tanh(r @ m).sum() * r, r.sum())  # noqa: E731
    chunked = lib.func.vmap(f, chunk_size=2, out_dims=(1, 0))(x)
    y = lib.func.vmap(f)(x)[0]
    (g,) = lib.autograd.grad((y ** 2).sum(), x, create_graph=True)  # through the batched run
    (h,) = lib.autograd.grad(g.sum(), x)
    return [o.detach().numpy() for o in (*chunked, g, h)]


def test_chunks_and_gradients_through_vmap_match_torch():
    before = batched.stats["fallback"]
    mine, theirs = _chunked_and_differentiated(ag), _chunked_and_differentiated(torch)
    assert batched.stats["fallback"] == before, batched.stats["last_reason"]
    for i, (m, t) in enumerate(zip(mine, theirs)):
        assert m.shape == t.shape, f"result {i}"
        np.testing.assert_allclose(m, t, rtol=1e-10, atol=1e-12, err_msg=f"result {i}")


def _forward_mode(lib):
    rng = np.random.default_rng(8)
    xs, vs = lib.tensor(rng.standard_normal((4, 3))), lib.tensor(rng.standard_normal((4, 3)))
    m = lib.tensor(rng.standard_normal((3, 3)))
    f = lambda x: lib.sin(x) * (x @ m)  # noqa: E731
    out = lib.func.vmap(lambda x, v: lib.func.jvp(f, (x,), (v,)))(xs, vs)
    out += (lib.func.vmap(lib.func.jacfwd(f))(xs),)
    return [o.detach().numpy() for o in out]


def test_jvp_and_jacfwd_under_vmap_match_torch():
    before = batched.stats["fallback"]
    mine, theirs = _forward_mode(ag), _forward_mode(torch)
    assert batched.stats["fallback"] == before, batched.stats["last_reason"]
    for i, (m, t) in enumerate(zip(mine, theirs)):
        np.testing.assert_allclose(m, t, rtol=1e-10, atol=1e-12, err_msg=f"result {i}")


def _cnn_per_example(lib):
    rng = np.random.default_rng(9)
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, groups=2),
                          nn.AvgPool2d(1), nn.Flatten(), nn.Linear(4 * 2 * 2, 5)).double()
    conv1 = nn.Conv1d(2, 3, 3, padding=1).double()
    with lib.no_grad():
        for p in list(model.parameters()) + list(conv1.parameters()):
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)) * 0.5))
    params = {k: v.detach() for k, v in model.named_parameters()}
    x, y = lib.tensor(rng.standard_normal((5, 1, 8, 8))), lib.tensor(rng.integers(0, 5, 5))

    def loss(p, xi, yi):
        out = lib.func.functional_call(model, p, (xi.unsqueeze(0),))
        return F(lib).cross_entropy(out, yi.unsqueeze(0))

    grads = lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    seqs = lib.tensor(rng.standard_normal((5, 4, 2, 6)))  # 5 examples of a (4, 2, 6) batch
    outs = [lib.func.vmap(model)(x.unsqueeze(1)), lib.func.vmap(conv1)(seqs)]
    return [grads[k].numpy() for k in sorted(grads)] + [o.detach().numpy() for o in outs]


def test_per_example_gradients_of_a_cnn_match_torch():
    before = batched.stats["fallback"]
    mine, theirs = _cnn_per_example(ag), _cnn_per_example(torch)
    assert batched.stats["fallback"] == before, batched.stats["last_reason"]
    for i, (m, t) in enumerate(zip(mine, theirs)):
        assert m.shape == t.shape, f"result {i}"
        np.testing.assert_allclose(m, t, rtol=1e-9, atol=1e-12, err_msg=f"result {i}")


@pytest.mark.parametrize("lib_name", ["autograd_core", "torch"])
def test_randomness_same_gives_every_example_the_same_draw(lib_name):
    lib = ag if lib_name == "autograd_core" else torch
    x = lib.zeros(4, 3)
    batched_run = lib.func.vmap(lambda r: r + lib.randn(3), randomness="same")(x)
    looped = lib.func.vmap(lambda r: r.sort()[0] + lib.randn(3), randomness="same")(x)  # sort: the loop
    for out in (batched_run, looped):
        assert (out == out[0]).all() and not (out == 0).all()
    with pytest.raises(RuntimeError, match="randomness"):
        lib.func.vmap(lambda r: r, randomness="sometimes")(x)


def _norm_mlp_per_example(lib):
    """LayerNorm (per-example weight and bias: the composite path) and the fused GELU/SiLU ops."""
    rng = np.random.default_rng(4)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 8), nn.SiLU(),
                          nn.GELU(approximate="tanh"), nn.Linear(8, 3)).double()
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)) * 0.5))
    params = {k: v.detach() for k, v in model.named_parameters()}
    x, y = lib.tensor(rng.standard_normal((7, 6))), lib.tensor(rng.integers(0, 3, 7))

    def loss(p, xi, yi):
        return F(lib).cross_entropy(lib.func.functional_call(model, p, (xi.unsqueeze(0),)), yi.unsqueeze(0))

    grads = lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    return [grads[k].numpy() for k in sorted(grads)] + [lib.func.vmap(model)(x).detach().numpy()]


def test_per_example_gradients_through_layer_norm_and_fused_activations_match_torch():
    before = batched.stats["fallback"]
    mine, theirs = _norm_mlp_per_example(ag), _norm_mlp_per_example(torch)
    assert batched.stats["fallback"] == before, batched.stats["last_reason"]
    for i, (m, t) in enumerate(zip(mine, theirs)):
        np.testing.assert_allclose(m, t, rtol=1e-9, atol=1e-12, err_msg=f"result {i}")
