"""nn.init: gains, fans, bounds and moments of each initialiser, in-place filling,
reproducibility, and the default initialisation of the layers."""

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
from nn import init


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None)])
def test_calculate_gain_matches_torch(nonlinearity, param):
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param))


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


@pytest.mark.parametrize("shape", [(5, 3), (4, 2, 3), (6, 3, 2, 5)])
def test_fans_match_torch(shape):
    torch = pytest.importorskip("torch")
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(ag.empty(*shape)) == expected
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ag.empty(3))


def _bound_and_std(fill, shape=(300, 200), **kwargs):
    t = ag.empty(*shape)
    array = t._data
    assert fill(t, **kwargs) is t and t._data is array  # in place, returns the tensor
    return np.abs(array).max(), array.std(), array.mean()


def test_uniform_initialisers_fill_their_bounds():
    fan_in, fan_out = 200, 300
    cases = [
        (init.xavier_uniform_, {}, math.sqrt(6 / (fan_in + fan_out))),
        (init.xavier_uniform_, {"gain": 2.0}, 2 * math.sqrt(6 / (fan_in + fan_out))),
        (init.kaiming_uniform_, {}, math.sqrt(6 / fan_in)),  # a=0: leaky_relu with slope 0
        (init.kaiming_uniform_, {"a": math.sqrt(5)}, 1 / math.sqrt(fan_in)),
        (init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(6 / fan_out)),
        (init.uniform_, {"a": -0.3, "b": 0.3}, 0.3),
    ]
    for fill, kwargs, bound in cases:
        top, std, mean = _bound_and_std(fill, **kwargs)
        assert bound * 0.99 < top <= bound * (1 + 1e-6), (fill.__name__, kwargs)  # float32 rounding
        assert std == pytest.approx(bound / math.sqrt(3), rel=0.02)
        assert abs(mean) < bound * 0.02


def test_normal_initialisers_have_their_std():
    fan_in, fan_out = 200, 300
    cases = [
        (init.xavier_normal_, {}, math.sqrt(2 / (fan_in + fan_out))),
        (init.kaiming_normal_, {"nonlinearity": "relu"}, math.sqrt(2 / fan_in)),
        (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "tanh"}, 5 / 3 / math.sqrt(fan_out)),
        (init.normal_, {"mean": 0.0, "std": 0.5}, 0.5),
    ]
    for fill, kwargs, std in cases:
        _, got, mean = _bound_and_std(fill, **kwargs)
        assert got == pytest.approx(std, rel=0.02), fill.__name__
        assert abs(mean) < std * 0.02


def test_constant_fills_and_dtypes_are_kept():
    t = ag.empty(2, 3, dtype=ag.float64)
    assert (init.ones_(t)._data == 1).all() and t.dtype == np.float64
    assert (init.zeros_(t)._data == 0).all()
    assert (init.constant_(t, 0.25)._data == 0.25).all()
    assert (init.normal_(ag.zeros(3), 5.0, 0.0)._data == 5.0).all()
    with pytest.raises(ValueError, match="Mode"):
        init.kaiming_uniform_(ag.empty(2, 2), mode="fan_avg")


def test_initialisers_are_reproducible_under_manual_seed_and_work_on_parameters():
    p = nn.Parameter(ag.empty(4, 4))
    ag.manual_seed(7)
    a = init.xavier_uniform_(p)._data.copy()
    ag.manual_seed(7)
    b = init.xavier_uniform_(p)._data.copy()
    np.testing.assert_array_equal(a, b)
    assert p.requires_grad and p.grad_fn is None  # filling is outside the graph
    ag.manual_seed(7)
    c = nn.Linear(4, 4).weight._data
    ag.manual_seed(7)
    np.testing.assert_array_equal(c, nn.Linear(4, 4).weight._data)


@pytest.mark.parametrize("make, fan_in", [
    (lambda: nn.Linear(400, 300), 400),
    (lambda: nn.Conv2d(8, 300, 5), 200),
    (lambda: nn.Conv1d(16, 300, 25), 400),
])
def test_linear_and_conv_default_init_like_torch(make, fan_in):
    ag.manual_seed(0)
    layer = make()
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) and the bias rule
    for p in (layer.weight, layer.bias):
        top = np.abs(p._data).max()
        assert 0.9 * bound < top <= bound * (1 + 1e-6)
    assert layer.weight._data.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)
    assert layer.weight.dtype == np.float32


def test_other_layers_default_init_like_torch():
    ag.manual_seed(0)
    emb = nn.Embedding(500, 100)
    assert emb.weight._data.std() == pytest.approx(1.0, rel=0.02)
    bn, ln = nn.BatchNorm2d(3), nn.LayerNorm(3)
    for norm in (bn, ln):
        assert (norm.weight._data == 1).all() and (norm.bias._data == 0).all()
    assert (bn.running_mean._data == 0).all() and (bn.running_var._data == 1).all()
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.shape == ()
    lstm = nn.LSTM(3, 25)
    assert all(np.abs(p._data).max() <= 0.2 for p in lstm.parameters())
