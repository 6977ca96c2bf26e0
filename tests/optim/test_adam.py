"""Adam and AdamW: trajectories against the textbook rule in NumPy and torch.optim."""

import numpy as np
import pytest

import autograd_core as ag
import optim

ADAM_OPTIONS = [
    dict(lr=0.01),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.02, amsgrad=True, weight_decay=0.05),
    dict(lr=0.05, betas=(0.8, 0.9), eps=1e-2),  # a large eps: catches eps placed inside the sqrt
    dict(lr=0.01, maximize=True),
]
ADAMW_OPTIONS = [
    dict(lr=0.01),  # default weight_decay=1e-2
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.02, weight_decay=0.3, amsgrad=True),
]


def ids(options):
    return ",".join(f"{k}={v}" for k, v in options.items())


def adam_reference(init, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                   maximize=False, decoupled=False):
    """Kingma & Ba with bias correction; eps added to sqrt(v̂); AdamW decays p directly."""
    b1, b2 = betas
    params = [p.copy() for p in init]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    v_max = [np.zeros_like(p) for p in params]
    trajectory = []
    for t, step_grads in enumerate(grads, start=1):
        for i, g in enumerate(step_grads):
            g = -g if maximize else g
            if decoupled:
                params[i] = params[i] * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * params[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            v_max[i] = np.maximum(v_max[i], v[i])
            m_hat = m[i] / (1 - b1**t)
            v_hat = (v_max[i] if amsgrad else v[i]) / (1 - b2**t)
            params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
        trajectory.append([p.copy() for p in params])
    return trajectory


@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=ids)
def test_adam_matches_formula(problem, trajectories, options):
    init, grads = problem
    ours = trajectories.ours(lambda ps: optim.Adam(ps, **options), init, grads)
    trajectories.assert_same(ours, adam_reference(init, grads, **options))


@pytest.mark.parametrize("options", ADAMW_OPTIONS, ids=ids)
def test_adamw_matches_formula(problem, trajectories, options):
    init, grads = problem
    ours = trajectories.ours(lambda ps: optim.AdamW(ps, **options), init, grads)
    expected = adam_reference(init, grads, decoupled=True, **{"weight_decay": 1e-2, **options})
    trajectories.assert_same(ours, expected)


@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=ids)
def test_adam_matches_torch(problem, trajectories, options):
    torch = pytest.importorskip("torch")
    init, grads = problem
    ours = trajectories.ours(lambda ps: optim.Adam(ps, **options), init, grads)
    theirs = trajectories.torch(torch, lambda ps: torch.optim.Adam(ps, **options), init, grads)
    trajectories.assert_same(ours, theirs)


@pytest.mark.parametrize("options", ADAMW_OPTIONS, ids=ids)
def test_adamw_matches_torch(problem, trajectories, options):
    torch = pytest.importorskip("torch")
    init, grads = problem
    ours = trajectories.ours(lambda ps: optim.AdamW(ps, **options), init, grads)
    theirs = trajectories.torch(torch, lambda ps: torch.optim.AdamW(ps, **options), init, grads)
    trajectories.assert_same(ours, theirs)


def test_float32_matches_torch(problem, trajectories):
    torch = pytest.importorskip("torch")
    init, grads = problem
    options = dict(lr=0.01, weight_decay=0.01, amsgrad=True)
    ours = trajectories.ours(lambda ps: optim.Adam(ps, **options), init, grads, dtype=np.float32)
    theirs = trajectories.torch(torch, lambda ps: torch.optim.Adam(ps, **options), init, grads,
                                dtype=np.float32)
    assert ours[-1][0].dtype == np.float32
    trajectories.assert_same(ours, theirs, rtol=1e-5, atol=1e-6)


def test_param_groups_with_different_options(problem, trajectories):
    torch = pytest.importorskip("torch")
    init, grads = problem

    def groups(ps):
        return [{"params": [ps[0]], "lr": 0.05, "amsgrad": True}, {"params": [ps[1]], "betas": (0.5, 0.9)}]

    ours = trajectories.ours(lambda ps: optim.Adam(groups(ps), lr=0.01), init, grads)
    first = adam_reference(init[:1], [g[:1] for g in grads], lr=0.05, amsgrad=True)
    second = adam_reference(init[1:], [g[1:] for g in grads], lr=0.01, betas=(0.5, 0.9))
    trajectories.assert_same(ours, [a + b for a, b in zip(first, second)])
    theirs = trajectories.torch(torch, lambda ps: torch.optim.Adam(groups(ps), lr=0.01), init, grads)
    trajectories.assert_same(ours, theirs)


def test_state_holds_step_and_moments():
    w = ag.ones(3, requires_grad=True)
    opt = optim.Adam([w], amsgrad=True)
    for _ in range(3):
        w.grad = ag.ones(3)
        opt.step()
    state = opt.state[w]
    assert state["step"] == 3
    assert {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"} <= set(state)
    assert state["exp_avg"].shape == (3,) and state["exp_avg"].dtype == np.float32


def test_adamw_default_weight_decay():
    assert optim.AdamW([ag.ones(1, requires_grad=True)]).defaults["weight_decay"] == 1e-2
    assert optim.Adam([ag.ones(1, requires_grad=True)]).defaults["weight_decay"] == 0


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(lr=-1e-3), "lr"),
        (dict(eps=-1e-8), "eps"),
        (dict(weight_decay=-0.1), "weight_decay"),
        (dict(betas=(1.0, 0.999)), r"betas\[0\]"),
        (dict(betas=(0.9, -0.1)), r"betas\[1\]"),
    ],
)
def test_invalid_arguments(kwargs, name):
    for cls in (optim.Adam, optim.AdamW):
        with pytest.raises(ValueError, match=name):
            cls([ag.ones(1, requires_grad=True)], **kwargs)
