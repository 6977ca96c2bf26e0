"""Learning-rate schedules against their formulas and torch's sequences; resuming a run
from a checkpoint of model, optimizer and scheduler."""

import math

import numpy as np
import pytest

import autograd_core as ag
import optim
from optim import lr_scheduler as sched

EPOCHS = 30
BASE = [0.1, 0.02]


def make_opt(lib, torch=None, base=BASE):
    if lib == "ours":
        params = [ag.ones(1, requires_grad=True) for _ in base]
        return optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, base)], lr=1.0)
    params = [torch.ones(1, requires_grad=True) for _ in base]
    return torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, base)], lr=1.0)


def sequence(opt, scheduler, metrics=None):
    """The lr of every group in each of EPOCHS epochs (an optimizer step, then a scheduler step)."""
    lrs = []
    for epoch in range(EPOCHS):
        lrs.append([g["lr"] for g in opt.param_groups])
        opt.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[epoch])
        assert scheduler.get_last_lr() == [g["lr"] for g in opt.param_groups]
    return np.array(lrs)


def expected(formula):
    return np.array([[formula(base, e) for base in BASE] for e in range(EPOCHS)])


CASES = {
    "StepLR": (lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
               lambda base, e: base * 0.5 ** (e // 7)),
    "MultiStepLR": (lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 20], gamma=0.3),
                    lambda base, e: base * 0.3 ** sum(e >= m for m in [5, 12, 12, 20])),
    "ExponentialLR": (lambda m, o: m.ExponentialLR(o, gamma=0.9),
                      lambda base, e: base * 0.9**e),
    "CosineAnnealingLR": (lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
                          lambda base, e: 0.001 + (base - 0.001) * (1 + math.cos(math.pi * e / 10)) / 2),
    "LambdaLR": (lambda m, o: m.LambdaLR(o, lambda e: 1 / (1 + e)),
                 lambda base, e: base / (1 + e)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sequence_matches_formula(name):
    build, formula = CASES[name]
    opt = make_opt("ours")
    np.testing.assert_allclose(sequence(opt, build(sched, opt)), expected(formula), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(CASES))
def test_sequence_matches_torch(name):
    torch = pytest.importorskip("torch")
    build, _ = CASES[name]
    ours, theirs = make_opt("ours"), make_opt("torch", torch)
    np.testing.assert_allclose(sequence(ours, build(sched, ours)),
                               sequence(theirs, build(torch.optim.lr_scheduler, theirs)), rtol=1e-13)


def test_lambda_per_group():
    opt = make_opt("ours")
    scheduler = sched.LambdaLR(opt, [lambda e: 0.5**e, lambda e: e + 1])
    lrs = sequence(opt, scheduler)
    np.testing.assert_allclose(lrs[:, 0], [0.1 * 0.5**e for e in range(EPOCHS)])
    np.testing.assert_allclose(lrs[:, 1], [0.02 * (e + 1) for e in range(EPOCHS)])
    with pytest.raises(ValueError, match="2 lr_lambdas"):
        sched.LambdaLR(make_opt("ours"), [lambda e: 1.0])


def test_constructing_sets_initial_lr_and_base_lrs():
    opt = make_opt("ours")
    scheduler = sched.ExponentialLR(opt, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == BASE == scheduler.base_lrs
    assert scheduler.last_epoch == 0 and scheduler.get_last_lr() == BASE
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(make_opt("ours"), step_size=2, last_epoch=3)
    with pytest.raises(TypeError, match="not an Optimizer"):
        sched.StepLR(object(), step_size=2)


PLATEAU_METRICS = [10, 9, 9, 9, 9, 8.9995, 8, 8, 8, 8, 8, 8, 7, 7, 7, 7, 7, 7, 7, 7,
                   6, 6, 6, 6, 6, 6, 6, 6, 6, 6]


def test_plateau_by_hand():
    opt = make_opt("ours", base=[1.0])
    lrs = sequence(opt, sched.ReduceLROnPlateau(opt, factor=0.5, patience=2), PLATEAU_METRICS)[:, 0]
    # Epochs 2, 3, 4 do not improve on 9: the third in a row (more than patience=2) halves the
    # rate from epoch 5 on and resets the count. 8.9995 (epoch 5) is within the relative threshold
    # 1e-4 of 9, so it is bad too; epoch 6 improves; 7, 8, 9 are bad: halved again from epoch 10.
    assert lrs[:5].tolist() == [1.0] * 5
    assert lrs[5:10].tolist() == [0.5] * 5
    assert lrs[10] == 0.25


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(factor=0.5, patience=2),
        dict(mode="max", factor=0.2, patience=1, threshold=0.05),
        dict(factor=0.5, patience=1, threshold=0.5, threshold_mode="abs", cooldown=2),
        dict(factor=0.1, patience=0, min_lr=[0.001, 0.0015]),
        dict(factor=0.5, patience=1, eps=0.02),
    ],
)
def test_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    metrics = [m if kwargs.get("mode") != "max" else -m for m in PLATEAU_METRICS]
    ours, theirs = make_opt("ours"), make_opt("torch", torch)
    np.testing.assert_allclose(
        sequence(ours, sched.ReduceLROnPlateau(ours, **kwargs), metrics),
        sequence(theirs, torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **kwargs), metrics),
        rtol=1e-15,
    )


def test_plateau_validation():
    with pytest.raises(ValueError, match="factor"):
        sched.ReduceLROnPlateau(make_opt("ours"), factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        sched.ReduceLROnPlateau(make_opt("ours"), mode="up")
    with pytest.raises(ValueError, match="threshold_mode"):
        sched.ReduceLROnPlateau(make_opt("ours"), threshold_mode="x")
    with pytest.raises(ValueError, match="min_lrs"):
        sched.ReduceLROnPlateau(make_opt("ours"), min_lr=[0.0])


@pytest.mark.parametrize("name", [*sorted(CASES), "ReduceLROnPlateau"])
def test_scheduler_state_dict_resumes(name, roundtrip):
    def build(opt):
        if name == "ReduceLROnPlateau":
            return sched.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1)
        return CASES[name][0](sched, opt)

    metrics = PLATEAU_METRICS if name == "ReduceLROnPlateau" else None
    opt = make_opt("ours")
    full = sequence(opt, build(opt), metrics)

    first_opt = make_opt("ours")
    first = build(first_opt)
    for epoch in range(12):
        first.step(*([metrics[epoch]] if metrics else []))
    checkpoint = roundtrip({"optimizer": first_opt.state_dict(), "scheduler": first.state_dict()})
    opt2 = make_opt("ours")
    resumed = build(opt2)  # build everything first, then load (constructing a scheduler sets the lrs)
    opt2.load_state_dict(checkpoint["optimizer"])
    resumed.load_state_dict(checkpoint["scheduler"])
    rest = []
    for epoch in range(12, EPOCHS):
        rest.append([g["lr"] for g in opt2.param_groups])
        resumed.step(*([metrics[epoch]] if metrics else []))
    np.testing.assert_array_equal(np.array(rest), full[12:])


@pytest.mark.parametrize("which", ["SGD", "Adam", "RMSprop"])
def test_checkpoint_resume_is_bitwise(which, make_linear, roundtrip):
    """Model, optimizer and scheduler state saved together at epoch 3 and loaded into fresh
    objects continue exactly as the uninterrupted run."""
    rng = np.random.default_rng(5)
    x = ag.tensor(rng.standard_normal((32, 4)).astype(np.float32))
    y = ag.tensor(rng.standard_normal((32, 2)).astype(np.float32))
    F = ag.functional

    def build():
        ag.manual_seed(0)
        model = make_linear(4, 2)
        params = list(model.parameters())
        opt = {"SGD": lambda: optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
               "Adam": lambda: optim.Adam(params, lr=0.01, amsgrad=True),
               "RMSprop": lambda: optim.RMSprop(params, lr=0.01, centered=True, momentum=0.5)}[which]()
        return model, opt, sched.CosineAnnealingLR(opt, T_max=4, eta_min=1e-4)

    def train_epochs(model, opt, scheduler, epochs):
        for _ in range(epochs):
            for batch in range(4):
                xb, yb = x[batch * 8:(batch + 1) * 8], y[batch * 8:(batch + 1) * 8]
                opt.zero_grad()
                F.mse_loss(model(xb), yb).backward()
                opt.step()
            scheduler.step()

    model, opt, scheduler = build()
    train_epochs(model, opt, scheduler, 6)

    model_a, opt_a, sched_a = build()
    train_epochs(model_a, opt_a, sched_a, 3)
    checkpoint = roundtrip({"model": model_a.state_dict(), "optimizer": opt_a.state_dict(),
                            "scheduler": sched_a.state_dict(), "epoch": 3})
    model_b, opt_b, sched_b = build()
    model_b.load_state_dict(checkpoint["model"])
    opt_b.load_state_dict(checkpoint["optimizer"])
    sched_b.load_state_dict(checkpoint["scheduler"])
    train_epochs(model_b, opt_b, sched_b, 6 - checkpoint["epoch"])

    for (name, a), b in zip(model.state_dict().items(), model_b.state_dict().values()):
        np.testing.assert_array_equal(a._data, b._data, err_msg=name)
    assert opt.param_groups[0]["lr"] == opt_b.param_groups[0]["lr"]
