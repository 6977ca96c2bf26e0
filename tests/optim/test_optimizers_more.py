"""Adagrad, Adadelta, Adamax, NAdam, RAdam, ASGD, Rprop and LBFGS against torch.optim:
20 steps of fixed float64 gradients give the same parameters; state dicts round-trip."""

import contextlib

import numpy as np
import pytest

import autograd_core as ag
import optim

CASES = [
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3, eps=1e-3)),
    ("Adagrad", dict(lr=0.05, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.05)),
    ("Adadelta", dict(lr=0.5, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.02, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.1)),  # rho_t > 5 from step 6
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.8), weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, t0=3, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=0.05, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.05, amsgrad=True, maximize=True)),
]


def ids(case):
    name, options = case
    return name + "(" + ",".join(f"{k}={v}" for k, v in options.items()) + ")"


@contextlib.contextmanager
def torch_float64(torch):
    """torch keeps ASGD's eta and NAdam's mu_product in the default dtype: make it float64."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


@pytest.mark.parametrize("case", CASES, ids=[ids(c) for c in CASES])
def test_matches_torch(problem, trajectories, case):
    torch = pytest.importorskip("torch")
    name, options = case
    init, grads = problem
    ours = trajectories.ours(lambda ps: getattr(optim, name)(ps, **options), init, grads)
    with torch_float64(torch):
        theirs = trajectories.torch(torch, lambda ps: getattr(torch.optim, name)(ps, **options), init, grads)
    trajectories.assert_same(ours, theirs)


def test_asgd_average_matches_torch(problem):
    torch = pytest.importorskip("torch")
    init, grads = problem
    ours = [ag.tensor(a, requires_grad=True) for a in init]
    theirs = [torch.tensor(a, requires_grad=True) for a in init]
    with torch_float64(torch):
        opt_ours, opt_theirs = optim.ASGD(ours, lr=0.05, t0=4), torch.optim.ASGD(theirs, lr=0.05, t0=4)
        for step_grads in grads:
            for p, q, g in zip(ours, theirs, step_grads):
                p.grad, q.grad = ag.tensor(g), torch.tensor(g)
            opt_ours.step(), opt_theirs.step()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(opt_ours.state[p]["ax"], opt_theirs.state[q]["ax"].numpy(), rtol=1e-10)
        assert opt_ours.state[p]["step"] == int(opt_theirs.state[q]["step"])


@pytest.mark.parametrize("case", [c for c in CASES if c[0] not in ("SGD", "Adam")],
                         ids=[ids(c) for c in CASES if c[0] not in ("SGD", "Adam")])
def test_state_dict_resumes_exactly(problem, trajectories, roundtrip, case):
    """10 steps, a checkpoint through ag.save/ag.load into a fresh optimizer, 10 more steps:
    the same trajectory as 20 uninterrupted steps."""
    name, options = case
    init, grads = problem
    straight = trajectories.ours(lambda ps: getattr(optim, name)(ps, **options), init, grads)
    params = [ag.tensor(a, requires_grad=True) for a in init]
    opt = getattr(optim, name)(params, **options)
    for step, step_grads in enumerate(grads):
        if step == 10:
            saved = roundtrip(opt.state_dict())
            opt = getattr(optim, name)(params, **{**options, "lr": 123.0})  # options come from the state dict
            opt.load_state_dict(saved)
        for p, g in zip(params, step_grads):
            p.grad = ag.tensor(g)
        opt.step()
    for p, expected in zip(params, straight[-1]):
        np.testing.assert_allclose(p._data, expected, rtol=1e-12)


def test_adagrad_state_exists_before_the_first_step():
    w = ag.zeros(3, requires_grad=True)
    opt = optim.Adagrad([w], initial_accumulator_value=0.5)
    sd = opt.state_dict()
    np.testing.assert_array_equal(sd["state"][0]["sum"], np.full(3, 0.5, np.float32))
    extra = ag.zeros(2, requires_grad=True)
    opt.add_param_group({"params": [extra], "lr": 0.5})
    assert opt.state[extra]["step"] == 0 and opt.param_groups[1]["lr"] == 0.5


@pytest.mark.parametrize(("name", "options", "message"), [
    ("Adadelta", dict(rho=-0.1), "rho"),
    ("Adamax", dict(betas=(0.9, 1.0)), "betas"),
    ("NAdam", dict(lr=-1.0), "lr"),
    ("RAdam", dict(betas=(0.9,)), "betas"),
    ("Rprop", dict(etas=(0.5, 0.9)), "etas"),
    ("LBFGS", dict(history_size=0), "history_size"),
])
def test_invalid_options_name_the_option(name, options, message):
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)([ag.zeros(1, requires_grad=True)], **options)


# -- LBFGS: a closure over a smooth non-quadratic objective ----------------------------
A = np.random.default_rng(7).standard_normal((6, 4))
B = np.random.default_rng(8).standard_normal(6)


def objective(lib, w, v):
    residual = lib.matmul(A_of(lib), w) - B_of(lib) + v.sum()
    return (residual**2).sum() + 0.1 * (w**4).sum() + (v**2).sum()


def A_of(lib):
    return lib.tensor(A)


def B_of(lib):
    return lib.tensor(B)


def run_lbfgs(lib, opt_cls, options, steps=20):
    w = lib.tensor(np.array([1.5, -2.0, 0.5, 3.0]), requires_grad=True)
    v = lib.tensor(np.array([[0.3, -0.2]]), requires_grad=True)
    opt = opt_cls([w, v], **options)
    losses, trajectory = [], []

    def closure():
        opt.zero_grad()
        loss = objective(lib, w, v)
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(opt.step(closure).item())
        trajectory.append(np.concatenate([w.detach().numpy().ravel(), v.detach().numpy().ravel()]))
    state = opt.state[w]
    return np.array(losses), np.array(trajectory), (state["func_evals"], state["n_iter"])


LBFGS_CASES = [
    dict(lr=0.5, max_iter=3),
    dict(lr=1.0, max_iter=2, history_size=2),
    dict(lr=1.0, max_iter=4, line_search_fn="strong_wolfe"),
    dict(lr=0.8, max_iter=5, history_size=3, line_search_fn="strong_wolfe", tolerance_change=1e-12),
]


@pytest.mark.parametrize("options", LBFGS_CASES, ids=[str(o) for o in LBFGS_CASES])
def test_lbfgs_matches_torch(options):
    torch = pytest.importorskip("torch")
    ours = run_lbfgs(ag, optim.LBFGS, options)
    theirs = run_lbfgs(torch, torch.optim.LBFGS, options)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-8, atol=1e-10)
    assert ours[2] == theirs[2]


def test_lbfgs_state_dict_round_trip(roundtrip):
    options = dict(lr=1.0, max_iter=3, history_size=4, line_search_fn="strong_wolfe")
    straight = run_lbfgs(ag, optim.LBFGS, options, steps=4)[1][-1]
    w = ag.tensor(np.array([1.5, -2.0, 0.5, 3.0]), requires_grad=True)
    v = ag.tensor(np.array([[0.3, -0.2]]), requires_grad=True)
    opt = optim.LBFGS([w, v], **options)

    def closure():
        opt.zero_grad()
        loss = objective(ag, w, v)
        loss.backward()
        return loss

    for step in range(4):
        if step == 2:
            saved = roundtrip(opt.state_dict())
            opt = optim.LBFGS([w, v], **options)
            opt.load_state_dict(saved)
        opt.step(closure)
    np.testing.assert_allclose(np.concatenate([w._data.ravel(), v._data.ravel()]), straight, rtol=1e-12)


def test_lbfgs_refuses_groups_and_missing_closure():
    a, b = ag.zeros(1, requires_grad=True), ag.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = optim.LBFGS([a])
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": [b]})
    with pytest.raises(TypeError, match="closure"):
        opt.step(None)


@pytest.mark.parametrize("name", ["Adagrad", "NAdam", "Rprop", "ASGD"])
def test_add_param_group_mid_training_matches_torch(problem, name):
    """Train the first tensor 10 steps, then add the second as a new group with its own lr."""
    torch = pytest.importorskip("torch")
    init, grads = problem
    results = []
    for lib, module in ((ag, optim), (torch, torch.optim)):
        params = [lib.tensor(a.copy(), requires_grad=True) for a in init]
        with torch_float64(torch):
            opt = getattr(module, name)([params[0]], lr=0.05)
            for step, step_grads in enumerate(grads):
                if step == 10:
                    opt.add_param_group({"params": [params[1]], "lr": 0.01})
                for p, g in zip(params, step_grads):
                    p.grad = lib.tensor(g)
                opt.step()
        results.append([np.array(p.detach().numpy()) for p in params])
        assert [g["lr"] for g in opt.param_groups] == [0.05, 0.01]
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)
