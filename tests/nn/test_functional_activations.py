"""nn.functional activations (issue 12) against torch.nn.functional in float64: forward,
input gradients and gradcheck; and their modules against torch.nn with state dicts."""

import numpy as np
import pytest
from fn_parity import check
from nn_testing import gradcheck_module, same_state_dict_layout, torch_parity

import autograd_core as ag
import nn

torch = pytest.importorskip("torch")
rng = np.random.default_rng(0)


def arr(*shape, scale=3.0):
    # Values in [-scale, scale], kept 0.05 away from the kinks the activations have.
    x = rng.uniform(-scale, scale, shape)
    for kink in (-3, -1, -0.5, 0, 0.5, 1, 3, 6):
        near = np.abs(x - kink) < 0.05
        x[near] += 0.1
    return x


X = arr(3, 4)
CASES = {
    "silu": (lambda F, x: F.silu(x), [X]),
    "mish": (lambda F, x: F.mish(x), [X]),
    "elu": (lambda F, x: F.elu(x), [X]),
    "elu alpha": (lambda F, x: F.elu(x, alpha=0.5), [X]),
    "selu": (lambda F, x: F.selu(x), [X]),
    "celu": (lambda F, x: F.celu(x, alpha=2.0), [X]),
    "hardtanh": (lambda F, x: F.hardtanh(x), [X]),
    "hardtanh bounds": (lambda F, x: F.hardtanh(x, -2.0, 0.5), [X]),
    "relu6": (lambda F, x: F.relu6(x), [arr(3, 4, scale=8)]),
    "hardswish": (lambda F, x: F.hardswish(x * 2), [X]),
    "hardsigmoid": (lambda F, x: F.hardsigmoid(x * 2), [X]),
    "logsigmoid": (lambda F, x: F.logsigmoid(x * 10), [X]),
    "softsign": (lambda F, x: F.softsign(x), [X]),
    "tanhshrink": (lambda F, x: F.tanhshrink(x), [X]),
    "softshrink": (lambda F, x: F.softshrink(x, 0.7), [X]),
    "hardshrink": (lambda F, x: F.hardshrink(x), [X]),
    "threshold": (lambda F, x: F.threshold(x, 0.3, -2.0), [X]),
    "gelu tanh": (lambda F, x: F.gelu(x, approximate="tanh"), [X]),
    "gelu none": (lambda F, x: F.gelu(x, approximate="none"), [X]),
    "softmin": (lambda F, x: F.softmin(x, dim=1), [X]),
    "softmin neg dim": (lambda F, x: F.softmin(x, dim=-3), [arr(2, 3, 4)]),
    "glu": (lambda F, x: F.glu(x), [arr(3, 4)]),
    "glu dim 0": (lambda F, x: F.glu(x, 0), [arr(4, 3)]),
    "prelu scalar": (lambda F, x, w: F.prelu(x, w), [arr(2, 3, 4), np.array([0.3])]),
    "prelu channels": (lambda F, x, w: F.prelu(x, w), [arr(2, 3, 4), np.array([0.3, -0.2, 1.5])]),
    "prelu 1d": (lambda F, x, w: F.prelu(x, w), [arr(5), np.array([0.1])]),
    "rrelu eval": (lambda F, x: F.rrelu(x, 0.1, 0.3, training=False), [X]),
    "empty": (lambda F, x: F.silu(x), [np.zeros((0, 3))]),
    "0-d": (lambda F, x: F.elu(x), [np.array(-0.7)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    call, inputs = CASES[name]
    check(call, inputs, gradcheck=bool(inputs) and np.asarray(inputs[0]).size > 0)


def test_rrelu_training_slopes_in_range():
    ag.manual_seed(0)
    x = ag.tensor(-np.ones(1000), requires_grad=True)
    y = ag.functional.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y._data
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3 and slopes.std() > 0.03
    y.sum().backward()
    np.testing.assert_allclose(x.grad._data, slopes)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda F: F.glu(ag.zeros(3, 5)), ValueError),
        (lambda F: F.hardtanh(ag.zeros(3), 1.0, -1.0), ValueError),
        (lambda F: F.softshrink(ag.zeros(3), -1.0), ValueError),
        (lambda F: F.prelu(ag.zeros(2, 3), ag.zeros(2)), ValueError),
        (lambda F: F.gelu(ag.zeros(2), approximate="fast"), ValueError),
        (lambda F: F.celu(ag.zeros(2), alpha=0.0), ValueError),
    ],
)
def test_bad_arguments(call, error):
    with pytest.raises(error):
        call(ag.functional)


def test_nn_functional_exports():
    import nn.functional as F

    for name in ("silu", "mish", "elu", "selu", "glu", "softmin", "hardswish", "prelu"):
        assert callable(getattr(F, name))


MODULES = [
    ("SiLU", (), {}),
    ("Mish", (), {}),
    ("ELU", (0.7,), {}),
    ("SELU", (), {}),
    ("CELU", (1.5,), {}),
    ("Hardtanh", (-0.5, 2.0), {}),
    ("ReLU6", (), {}),
    ("Hardswish", (), {}),
    ("Hardsigmoid", (), {}),
    ("LogSigmoid", (), {}),
    ("Softsign", (), {}),
    ("Tanhshrink", (), {}),
    ("Softshrink", (0.3,), {}),
    ("Hardshrink", (0.3,), {}),
    ("Threshold", (0.1, 20.0), {}),
    ("Softmin", (1,), {}),
    ("GLU", (1,), {}),
    ("PReLU", (), {}),
    ("PReLU", (4,), {"init": 0.1}),
    ("Softmax2d", (), {}),
]


@pytest.mark.parametrize("case", MODULES, ids=[f"{c}{a}{k}" for c, a, k in MODULES])
def test_modules_match_torch(case):
    name, args, kwargs = case
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    same_state_dict_layout(ours, theirs)
    x = arr(2, 4, 3, 2)
    # torch's hardsigmoid backward multiplies by a float32 1/6, hence rtol 1e-7.
    torch_parity(ours, theirs, x, rtol=1e-7)
    if name == "PReLU":
        assert gradcheck_module(getattr(nn, name)(*args, **kwargs), x)


def test_inplace_flag_accepted():
    assert nn.ReLU6(inplace=True)(ag.tensor([7.0])).item() == 6.0


def test_rrelu_module_eval_matches_torch():
    ours, theirs = nn.RReLU(0.1, 0.4).eval(), torch.nn.RReLU(0.1, 0.4).eval()
    torch_parity(ours, theirs, arr(3, 5))
