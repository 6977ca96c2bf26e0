"""Shared helpers for the optim tests: fixed gradient sequences, a runner that feeds them
to an optimizer, a small model (nn.Linear when nn is ready, a stand-in otherwise) and a
checkpoint round trip through ag.save/ag.load."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import autograd_core as ag

SHAPES = [(3, 4), (5,)]
STEPS = 20


@pytest.fixture
def problem():
    """Initial parameters and 20 steps of fixed float64 gradients whose scale varies per step."""
    rng = np.random.default_rng(1234)
    init = [rng.standard_normal(s) for s in SHAPES]
    scales = rng.uniform(0.05, 3.0, STEPS)
    grads = [[scale * rng.standard_normal(s) for s in SHAPES] for scale in scales]
    return init, grads


def run_ours(make_opt, init, grads, dtype=np.float64):
    """Feed the fixed gradients to the optimizer built by make_opt(params); the trajectory."""
    params = [ag.tensor(a.astype(dtype), requires_grad=True) for a in init]
    opt = make_opt(params)
    arrays = [p._data for p in params]
    trajectory = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = ag.tensor(g.astype(dtype))
        opt.step()
        trajectory.append([p._data.copy() for p in params])
    assert all(p._data is a for p, a in zip(params, arrays)), "updates must be in place"
    assert all(p.is_leaf and p.grad_fn is None for p in params), "updates must not record the graph"
    return trajectory


def run_torch(torch, make_opt, init, grads, dtype=np.float64):
    params = [torch.tensor(a.astype(dtype), requires_grad=True) for a in init]
    opt = make_opt(params)
    trajectory = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = torch.tensor(g.astype(dtype))
        opt.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


def assert_same_trajectory(actual, expected, rtol=1e-10, atol=1e-12):
    assert len(actual) == len(expected)
    for step, (a_step, e_step) in enumerate(zip(actual, expected)):
        for i, (a, e) in enumerate(zip(a_step, e_step)):
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"step {step}, param {i}")


@pytest.fixture
def trajectories():
    """The helpers above, as a fixture (conftest functions are not importable)."""

    class Helpers:
        ours = staticmethod(run_ours)
        torch = staticmethod(run_torch)
        assert_same = staticmethod(assert_same_trajectory)

    return Helpers


class TinyLinear:
    """A minimal stand-in for nn.Linear (y = x Wᵀ + b), used while nn is incomplete."""

    def __init__(self, in_features: int, out_features: int):
        bound = 1 / math.sqrt(in_features)
        rng = ag.random.generator()
        self.weight = ag.tensor(rng.uniform(-bound, bound, (out_features, in_features)).astype(np.float32),
                                requires_grad=True)
        self.bias = ag.tensor(rng.uniform(-bound, bound, out_features).astype(np.float32), requires_grad=True)
        self.training = True

    def __call__(self, x):
        return x @ self.weight.T + self.bias

    def parameters(self):
        return iter([self.weight, self.bias])

    def train(self, mode: bool = True):
        self.training = mode
        return self

    def eval(self):
        return self.train(False)

    def state_dict(self):
        return {"weight": self.weight.detach(), "bias": self.bias.detach()}

    def load_state_dict(self, state_dict, strict: bool = True):
        for name in ("weight", "bias"):
            value = state_dict[name]
            getattr(self, name)._data[...] = value._data if isinstance(value, ag.Tensor) else value


def _nn_linear():
    try:
        import nn
    except ImportError:
        return None
    return getattr(nn, "Linear", None)


@pytest.fixture
def make_linear():
    """make_linear(in, out): nn.Linear when nn provides it, else TinyLinear."""
    linear = _nn_linear() or TinyLinear
    return lambda in_features, out_features: linear(in_features, out_features)


@pytest.fixture
def roundtrip(tmp_path):
    """Save a checkpoint and load it back: ag.save/ag.load (or autograd_core.serialization)."""
    save, load = getattr(ag, "save", None), getattr(ag, "load", None)
    if save is None:
        try:
            from autograd_core.serialization import load, save
        except ImportError:
            return copy.deepcopy

    def through_file(obj):
        path = tmp_path / "checkpoint.agc"
        save(obj, path)
        return load(path)

    return through_file
