"""LinearLR, ConstantLR, PolynomialLR, OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts,
SequentialLR, ChainedScheduler, MultiplicativeLR and SWALR: the same rate (and momentum)
sequences as torch.optim over 30 steps; state dicts resume a run exactly."""

import numpy as np
import pytest

import autograd_core as ag
import optim
from optim import lr_scheduler as ours_sched
from optim import swa_utils

STEPS = 30
BASE = [0.1, 0.02]


def make_opt(lib, kind="SGD"):
    params = [lib.ones(1, requires_grad=True) for _ in BASE]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, BASE)]
    if kind == "Adam":
        return lib.optim.Adam(groups, lr=1.0) if lib is not ag else optim.Adam(groups, lr=1.0)
    return lib.optim.SGD(groups, lr=1.0, momentum=0.9) if lib is not ag else optim.SGD(groups, lr=1.0, momentum=0.9)


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


# name -> (optimizer kind, build(sched_module, swa_module, opt))
CASES = {
    "LinearLR": ("SGD", lambda m, s, o: m.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=7)),
    "LinearLR-decay": ("SGD", lambda m, s, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=10)),
    "ConstantLR": ("SGD", lambda m, s, o: m.ConstantLR(o, factor=0.3, total_iters=4)),
    "PolynomialLR": ("SGD", lambda m, s, o: m.PolynomialLR(o, total_iters=12, power=2.5)),
    "MultiplicativeLR": ("SGD", lambda m, s, o: m.MultiplicativeLR(o, [lambda e: 0.9, lambda e: 1 - 0.01 * e])),
    "CosineAnnealingWarmRestarts": ("SGD", lambda m, s, o: m.CosineAnnealingWarmRestarts(o, T_0=4, eta_min=1e-3)),
    "CosineAnnealingWarmRestarts-mult": ("SGD", lambda m, s, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2)),
    "CyclicLR": ("SGD", lambda m, s, o: m.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4)),
    "CyclicLR-triangular2": ("SGD", lambda m, s, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                                               step_size_down=5, mode="triangular2")),
    "CyclicLR-exp_range-adam": ("Adam", lambda m, s, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5,
                                                                   mode="exp_range", gamma=0.97,
                                                                   base_momentum=0.85, max_momentum=0.95)),
    "CyclicLR-no-momentum": ("SGD", lambda m, s, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4,
                                                               cycle_momentum=False)),
    "OneCycleLR": ("SGD", lambda m, s, o: m.OneCycleLR(o, max_lr=[0.5, 0.1], total_steps=STEPS)),
    "OneCycleLR-linear-3phase-adam": ("Adam", lambda m, s, o: m.OneCycleLR(
        o, max_lr=0.3, epochs=3, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear", three_phase=True)),
    "SequentialLR": ("SGD", lambda m, s, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=10),
            m.ExponentialLR(o, gamma=0.9)], milestones=[5, 15])),
    "ChainedScheduler": ("SGD", lambda m, s, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.5, total_iters=3), m.ExponentialLR(o, gamma=0.9), m.StepLR(o, 7, 0.5)])),
    "SWALR": ("SGD", lambda m, s, o: s.SWALR(o, swa_lr=[0.05, 0.01], anneal_epochs=6)),
    "SWALR-linear-0": ("SGD", lambda m, s, o: s.SWALR(o, swa_lr=0.05, anneal_epochs=0, anneal_strategy="linear")),
}


def run(opt, scheduler, steps=STEPS):
    lrs, moms = [], []
    for _ in range(steps):
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append(momenta(opt))
        opt.step()
        scheduler.step()
        assert list(scheduler.get_last_lr()) == [g["lr"] for g in opt.param_groups]
    return np.array(lrs), np.array(moms)


@pytest.mark.parametrize("name", sorted(CASES))
def test_sequence_matches_torch(name):
    torch = pytest.importorskip("torch")
    import torch.optim.swa_utils as torch_swa

    kind, build = CASES[name]
    opt = make_opt(ag, kind)
    ours = run(opt, build(ours_sched, swa_utils, opt))
    topt = make_opt(torch, kind)
    theirs = run(topt, build(torch.optim.lr_scheduler, torch_swa, topt))
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(CASES))
def test_state_dict_resumes_the_sequence(name, roundtrip):
    kind, build = CASES[name]
    opt = make_opt(ag, kind)
    straight = run(opt, build(ours_sched, swa_utils, opt))[0]

    opt = make_opt(ag, kind)
    scheduler = build(ours_sched, swa_utils, opt)
    first = run(opt, scheduler, steps=12)[0]
    saved_opt, saved_sched = roundtrip(opt.state_dict()), roundtrip(scheduler.state_dict())
    opt = make_opt(ag, kind)
    scheduler = build(ours_sched, swa_utils, opt)
    opt.load_state_dict(saved_opt)
    scheduler.load_state_dict(saved_sched)
    rest = run(opt, scheduler, steps=STEPS - 12)[0]
    np.testing.assert_allclose(np.concatenate([first, rest]), straight, rtol=1e-12)


def test_cosine_warm_restarts_fractional_epochs_match_torch():
    torch = pytest.importorskip("torch")
    epochs = [0.0, 0.5, 1.25, 3.0, 3.5, 7.0, 9.75, 20.0, 2.0]
    results = []
    for lib, module in ((ag, ours_sched), (torch, torch.optim.lr_scheduler)):
        opt = make_opt(lib)
        s = module.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.001)
        results.append([(s.step(e), s.get_last_lr())[1] for e in epochs])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_one_cycle_refuses_stepping_past_the_end():
    opt = make_opt(ag)
    s = ours_sched.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        s.step()
    with pytest.raises(ValueError, match="total steps"):
        s.step()


@pytest.mark.parametrize(("build", "message"), [
    (lambda o: ours_sched.ConstantLR(o, factor=1.5), "factor"),
    (lambda o: ours_sched.LinearLR(o, start_factor=0.0), "start_factor"),
    (lambda o: ours_sched.CosineAnnealingWarmRestarts(o, T_0=0), "T_0"),
    (lambda o: ours_sched.CyclicLR(o, 0.1, 1.0, mode="sawtooth"), "mode"),
    (lambda o: ours_sched.OneCycleLR(o, max_lr=1.0), "total_steps"),
    (lambda o: ours_sched.SequentialLR(o, [ours_sched.ConstantLR(o)], milestones=[3]), "milestone"),
    (lambda o: ours_sched.ChainedScheduler([ours_sched.ConstantLR(o), ours_sched.ConstantLR(make_opt(ag))]),
     "same optimizer"),
    (lambda o: swa_utils.SWALR(o, swa_lr=0.1, anneal_strategy="step"), "anneal_strategy"),
])
def test_bad_options_raise(build, message):
    with pytest.raises(ValueError, match=message):
        build(make_opt(ag))


def test_cyclic_momentum_needs_a_momentum_option():
    opt = optim.Adagrad([ag.ones(1, requires_grad=True)])
    with pytest.raises(ValueError, match="momentum"):
        ours_sched.CyclicLR(opt, 0.01, 0.1)
