"""RMSprop: trajectories against the rule in NumPy and torch.optim.RMSprop."""

import numpy as np
import pytest

import autograd_core as ag
import optim

OPTIONS = [
    dict(lr=0.01),
    dict(lr=0.01, centered=True),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.005, centered=True, momentum=0.8, weight_decay=0.1),
    dict(lr=0.02, alpha=0.9, eps=1e-3),
    dict(lr=0.01, momentum=0.5, maximize=True),
]


def ids(options):
    return ",".join(f"{k}={v}" for k, v in options.items())


def rmsprop_reference(init, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                      centered=False, maximize=False):
    params = [p.copy() for p in init]
    square_avg = [np.zeros_like(p) for p in params]
    grad_avg = [np.zeros_like(p) for p in params]
    buf = [np.zeros_like(p) for p in params]
    trajectory = []
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            g = -g if maximize else g
            g = g + weight_decay * params[i]
            square_avg[i] = alpha * square_avg[i] + (1 - alpha) * g**2
            if centered:
                grad_avg[i] = alpha * grad_avg[i] + (1 - alpha) * g
                avg = np.sqrt(square_avg[i] - grad_avg[i] ** 2)
            else:
                avg = np.sqrt(square_avg[i])
            if momentum > 0:
                buf[i] = momentum * buf[i] + g / (avg + eps)
                params[i] = params[i] - lr * buf[i]
            else:
                params[i] = params[i] - lr * g / (avg + eps)
        trajectory.append([p.copy() for p in params])
    return trajectory


@pytest.mark.parametrize("options", OPTIONS, ids=ids)
def test_matches_formula(problem, trajectories, options):
    init, grads = problem
    ours = trajectories.ours(lambda ps: optim.RMSprop(ps, **options), init, grads)
    trajectories.assert_same(ours, rmsprop_reference(init, grads, **options))


@pytest.mark.parametrize("options", OPTIONS, ids=ids)
def test_matches_torch(problem, trajectories, options):
    torch = pytest.importorskip("torch")
    init, grads = problem
    ours = trajectories.ours(lambda ps: optim.RMSprop(ps, **options), init, grads)
    theirs = trajectories.torch(torch, lambda ps: torch.optim.RMSprop(ps, **options), init, grads)
    trajectories.assert_same(ours, theirs)


def test_float32_and_groups_match_torch(problem, trajectories):
    torch = pytest.importorskip("torch")
    init, grads = problem

    def groups(ps):
        return [{"params": [ps[0]], "centered": True}, {"params": [ps[1]], "lr": 0.001, "momentum": 0.9}]

    ours = trajectories.ours(lambda ps: optim.RMSprop(groups(ps), lr=0.01), init, grads, dtype=np.float32)
    theirs = trajectories.torch(torch, lambda ps: torch.optim.RMSprop(groups(ps), lr=0.01), init, grads,
                                dtype=np.float32)
    trajectories.assert_same(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, name",
    [(dict(lr=-0.01), "lr"), (dict(alpha=-0.9), "alpha"), (dict(eps=-1.0), "eps"),
     (dict(momentum=-0.1), "momentum"), (dict(weight_decay=-1.0), "weight_decay")],
)
def test_invalid_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        optim.RMSprop([ag.ones(1, requires_grad=True)], **kwargs)


def test_state_dict_round_trip_continues_identically(problem, roundtrip):
    init, grads = problem

    def make():
        params = [ag.tensor(a, requires_grad=True) for a in init]
        return params, optim.RMSprop(params, lr=0.01, centered=True, momentum=0.9)

    def feed(params, opt, step_grads):
        for p, g in zip(params, step_grads):
            p.grad = ag.tensor(g)
        opt.step()

    params, opt = make()
    for step_grads in grads:
        feed(params, opt, step_grads)
    resumed_params, resumed = make()
    for step_grads in grads[:10]:
        feed(resumed_params, resumed, step_grads)
    checkpoint = roundtrip({"params": [p.detach() for p in resumed_params], "opt": resumed.state_dict()})
    fresh_params, fresh = make()
    for p, saved in zip(fresh_params, checkpoint["params"]):
        p._data[...] = saved._data
    fresh.load_state_dict(checkpoint["opt"])
    for step_grads in grads[10:]:
        feed(fresh_params, fresh, step_grads)
    for a, b in zip(params, fresh_params):
        np.testing.assert_array_equal(a._data, b._data)
