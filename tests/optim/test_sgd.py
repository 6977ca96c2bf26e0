"""SGD: trajectories against the rule written out in NumPy and against torch.optim.SGD,
weight decay as an L2 term, the Optimizer base (groups, zero_grad, validation, state)."""

import numpy as np
import pytest

import autograd_core as ag
import optim

OPTIONS = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, weight_decay=0.05),
    dict(lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True),
    dict(lr=0.05, momentum=0.7, dampening=0.5, weight_decay=0.02),
    dict(lr=0.1, momentum=0.5, maximize=True),
]


def sgd_reference(init, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                  maximize=False):
    """PyTorch's SGD written out: the buffer starts as a copy of the first gradient."""
    params = [p.copy() for p in init]
    bufs = [None] * len(params)
    trajectory = []
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            d = -g if maximize else g
            d = d + weight_decay * params[i]
            if momentum:
                bufs[i] = d.copy() if bufs[i] is None else momentum * bufs[i] + (1 - dampening) * d
                d = d + momentum * bufs[i] if nesterov else bufs[i]
            params[i] = params[i] - lr * d
        trajectory.append([p.copy() for p in params])
    return trajectory


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_trajectory_matches_formula(problem, trajectories, options):
    init, grads = problem
    ours = trajectories.ours(lambda ps: optim.SGD(ps, **options), init, grads)
    trajectories.assert_same(ours, sgd_reference(init, grads, **options))


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_trajectory_matches_torch(problem, trajectories, options):
    torch = pytest.importorskip("torch")
    init, grads = problem
    ours = trajectories.ours(lambda ps: optim.SGD(ps, **options), init, grads)
    theirs = trajectories.torch(torch, lambda ps: torch.optim.SGD(ps, **options), init, grads)
    trajectories.assert_same(ours, theirs)


def test_float32_matches_torch(problem, trajectories):
    torch = pytest.importorskip("torch")
    init, grads = problem
    options = dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)
    ours = trajectories.ours(lambda ps: optim.SGD(ps, **options), init, grads, dtype=np.float32)
    theirs = trajectories.torch(torch, lambda ps: torch.optim.SGD(ps, **options), init, grads,
                                dtype=np.float32)
    assert ours[-1][0].dtype == np.float32
    trajectories.assert_same(ours, theirs, rtol=1e-5, atol=1e-6)


def test_param_groups_with_different_lrs(problem, trajectories):
    init, grads = problem
    ours = trajectories.ours(
        lambda ps: optim.SGD([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.01, "momentum": 0.5}],
                             lr=0.1, momentum=0.9),
        init, grads)
    first = sgd_reference(init[:1], [g[:1] for g in grads], lr=0.1, momentum=0.9)
    second = sgd_reference(init[1:], [g[1:] for g in grads], lr=0.01, momentum=0.5)
    trajectories.assert_same(ours, [a + b for a, b in zip(first, second)])


def test_param_groups_match_torch(problem, trajectories):
    torch = pytest.importorskip("torch")
    init, grads = problem

    def groups(ps):
        return [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.01, "nesterov": True}]

    ours = trajectories.ours(lambda ps: optim.SGD(groups(ps), lr=0.1, momentum=0.9), init, grads)
    theirs = trajectories.torch(torch, lambda ps: torch.optim.SGD(groups(ps), lr=0.1, momentum=0.9),
                                init, grads)
    trajectories.assert_same(ours, theirs)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_weight_decay_equals_l2_penalty_through_autograd(momentum):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((16, 3)), rng.standard_normal(16)
    lam = 0.3

    def train(weight_decay, penalty):
        w = ag.tensor(np.ones(3), requires_grad=True)
        opt = optim.SGD([w], lr=0.05, momentum=momentum, weight_decay=weight_decay)
        for _ in range(20):
            opt.zero_grad()
            loss = ((ag.tensor(X) @ w - ag.tensor(y)) ** 2).mean() + penalty * (w * w).sum()
            loss.backward()
            opt.step()
        return w._data

    np.testing.assert_allclose(train(lam, 0.0), train(0.0, lam / 2), rtol=1e-12, atol=1e-14)


def test_parameters_without_grad_are_skipped():
    a, b = ag.ones(2, requires_grad=True), ag.ones(2, requires_grad=True)
    opt = optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad = ag.ones(2)
    opt.step()
    np.testing.assert_allclose(a._data, 0.9)
    np.testing.assert_array_equal(b._data, 1.0)
    assert b not in opt.state and "momentum_buffer" in opt.state[a]


def test_zero_grad():
    w = ag.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    w.grad = ag.ones(3)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad._data, 0.0)
    opt.zero_grad()
    assert w.grad is None


def test_step_with_closure_returns_loss():
    w = ag.tensor([2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with ag.no_grad():  # the closure still records: step() enables grad for it
        loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_allclose(w._data, [1.0])


def test_gradient_not_modified():
    w = ag.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.5, nesterov=True, maximize=True)
    w.grad = ag.tensor([1.0, 2.0, 3.0])
    for _ in range(2):
        opt.step()
    np.testing.assert_array_equal(w.grad._data, [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(lr=-0.1), "lr"),
        (dict(lr=0.1, momentum=-0.5), "momentum"),
        (dict(lr=0.1, weight_decay=-1e-4), "weight_decay"),
        (dict(lr=float("nan")), "lr"),
        (dict(lr=0.1, nesterov=True), "Nesterov"),
        (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
    ],
)
def test_invalid_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        optim.SGD([ag.ones(1, requires_grad=True)], **kwargs)


def test_invalid_group_option_and_torch_agrees():
    w = ag.ones(1, requires_grad=True)
    with pytest.raises(ValueError, match="lr"):
        optim.SGD([{"params": [w], "lr": -1.0}], lr=0.1)
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="Nesterov"):
        torch.optim.SGD([torch.ones(1, requires_grad=True)], lr=0.1, nesterov=True)


def test_params_validation():
    w = ag.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match="set"):
        optim.SGD({w}, lr=0.1)
    with pytest.raises(TypeError, match="Tensor"):
        optim.SGD([np.ones(2)], lr=0.1)
    opt = optim.SGD((p for p in [w]), lr=0.1)  # a generator, like model.parameters()
    assert opt.param_groups[0]["params"] == [w]


def test_add_param_group_fills_defaults():
    a, b = ag.ones(1, requires_grad=True), ag.ones(1, requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one"):
        opt.add_param_group({"params": [a]})


def test_state_dict_layout_matches_torch():
    torch = pytest.importorskip("torch")
    ours_w, ours_b = ag.ones(2, requires_grad=True), ag.ones(3, requires_grad=True)
    t_w, t_b = torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)
    ours = optim.SGD([{"params": [ours_w]}, {"params": [ours_b], "lr": 0.01}], lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD([{"params": [t_w]}, {"params": [t_b], "lr": 0.01}], lr=0.1, momentum=0.9)
    for opt, params in ((ours, (ours_w, ours_b)), (theirs, (t_w, t_b))):
        for p in params:
            p.grad = p.detach() * 0 + 1
        opt.step()
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd["state"]) == list(tsd["state"]) == [0, 1]
    assert [g["params"] for g in sd["param_groups"]] == [g["params"] for g in tsd["param_groups"]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.1, 0.01]
    np.testing.assert_allclose(sd["state"][1]["momentum_buffer"], tsd["state"][1]["momentum_buffer"].numpy())
    assert set(sd["param_groups"][0]) <= set(tsd["param_groups"][0])


def test_state_dict_is_a_copy_and_load_validates():
    w = ag.ones((2, 2), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = ag.ones((2, 2))
    opt.step()
    sd = opt.state_dict()
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"], 1.0)  # not changed by the later step

    other = optim.SGD([ag.ones(3, requires_grad=True)], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"shape \(2, 2\).*shape \(3,\)"):
        other.load_state_dict(sd)
    two = optim.SGD([ag.ones((2, 2), requires_grad=True), ag.ones(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="1 parameters in the state dict but 2"):
        two.load_state_dict(sd)
    groups = optim.SGD([{"params": [ag.ones(1, requires_grad=True)]},
                        {"params": [ag.ones(1, requires_grad=True)]}])
    with pytest.raises(ValueError, match="1 parameter groups but this optimizer has 2"):
        groups.load_state_dict(sd)
    fresh_w = ag.ones((2, 2), requires_grad=True)
    fresh = optim.SGD([fresh_w], lr=0.5)
    fresh.load_state_dict(sd)
    assert fresh.param_groups[0]["lr"] == 0.1 and fresh.param_groups[0]["params"][0] is fresh_w
    assert fresh.state[fresh_w]["momentum_buffer"] is not sd["state"][0]["momentum_buffer"]


def test_repr_lists_groups():
    text = repr(optim.SGD([ag.ones(1, requires_grad=True)], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "lr: 0.1" in text and "momentum: 0.9" in text
