"""Degenerate hyper-parameters are refused up front (issue 16, item 3). A case that PyTorch
refuses when the layer runs is written as `Layer(...)(x)` inside `pytest.raises`, so the same
body runs against PyTorch (which raises in forward) and against this project (which raises in
the constructor, with the same error type)."""

import numpy as np
import pytest

import autograd_core as ag
import nn as agnn
from autograd_core import functional as agF


def _libs():
    libs = [pytest.param((ag, agnn, agF), id="ag")]
    try:
        import torch
        import torch.nn as tnn
        import torch.nn.functional as tF
        libs.append(pytest.param((torch, tnn, tF), id="torch"))
    except ImportError:  # the ag cases still run
        pass
    return libs


LIBS = _libs()

RUN_TIME = [  # (layer, args, kwargs, input shape): refused with a RuntimeError by the time it runs
    ("Conv2d", (1, 1, 0), {}, (1, 1, 5, 5)),  # this returned a map of the bias
    ("Conv1d", (1, 1, 0), {}, (1, 1, 5)),
    ("Conv2d", (1, 1, 3), {"stride": 0}, (1, 1, 5, 5)),
    ("Conv2d", (1, 1, 3), {"stride": (1, -1)}, (1, 1, 5, 5)),
    ("Conv2d", (1, 1, 3), {"dilation": 0}, (1, 1, 5, 5)),
    ("Conv2d", (1, 1, 3), {"padding": -1}, (1, 1, 5, 5)),
    ("Conv1d", (1, 1, 3), {"padding": -1}, (1, 1, 5)),
    ("Conv2d", (1, -1, 3), {}, (1, 1, 5, 5)),
    ("MaxPool2d", (0,), {}, (1, 1, 4, 4)),
    ("MaxPool2d", (2,), {"stride": 0}, (1, 1, 4, 4)),
    ("MaxPool2d", (2,), {"padding": -1}, (1, 1, 4, 4)),
    ("MaxPool2d", (2,), {"padding": 2}, (1, 1, 4, 4)),
    ("MaxPool2d", (2,), {"dilation": 0}, (1, 1, 4, 4)),
    ("MaxPool1d", (0,), {}, (1, 1, 4)),
    ("AvgPool2d", (0,), {}, (1, 1, 4, 4)),
    ("AvgPool2d", (2,), {"stride": 0}, (1, 1, 4, 4)),
    ("AvgPool2d", (2,), {"padding": 2}, (1, 1, 4, 4)),
    ("Linear", (-1, 3), {}, (2, 3)),
    ("Embedding", (-1, 3), {}, (2,)),
    ("BatchNorm1d", (-1,), {}, (2, 3)),
    ("LayerNorm", (-1,), {}, (2, 3)),
]


@pytest.mark.parametrize("libs", LIBS)
@pytest.mark.parametrize("layer,args,kwargs,shape", RUN_TIME)
def test_degenerate_layer_arguments_raise_runtime_error(libs, layer, args, kwargs, shape):
    lib, nn, _ = libs
    x = lib.zeros(*shape, dtype=lib.int64) if layer == "Embedding" else lib.zeros(*shape)
    with pytest.raises(RuntimeError):
        getattr(nn, layer)(*args, **kwargs)(x)


@pytest.mark.parametrize("layer,args,kwargs", [(a, b, c) for a, b, c, _ in RUN_TIME])
def test_refused_in_the_constructor_naming_layer_and_argument(layer, args, kwargs):
    with pytest.raises(ValueError, match=layer):  # also a ValueError: the message names the layer
        getattr(agnn, layer)(*args, **kwargs)


CONSTRUCTION = [  # refused by PyTorch's constructors: (layer, args, kwargs, error)
    ("Conv2d", (1, 1, 3), {"groups": 0}, ValueError),
    ("Conv2d", (1, 1, 3), {"padding_mode": "mirror"}, ValueError),
    ("Dropout", (1.5,), {}, ValueError),
    ("Dropout", (-0.1,), {}, ValueError),
    ("Linear", (3.0, 2), {}, TypeError),
    ("Embedding", (3, 2), {"padding_idx": 5}, (ValueError, AssertionError)),
    ("RNN", (3, 0), {}, ValueError),
    ("RNN", (-1, 3), {}, ValueError),
    ("LSTM", (3, 3), {"num_layers": 0}, ValueError),
    ("GRU", (3, 3), {"dropout": 2}, ValueError),
    ("LSTM", (3, 2.0), {}, TypeError),
]


@pytest.mark.parametrize("libs", LIBS)
@pytest.mark.parametrize("layer,args,kwargs,error", CONSTRUCTION)
def test_constructors_refuse_what_pytorch_refuses(libs, layer, args, kwargs, error):
    _, nn, _ = libs
    with pytest.raises(error):
        getattr(nn, layer)(*args, **kwargs)


@pytest.mark.parametrize("libs", LIBS)
def test_zero_sizes_are_allowed_as_in_pytorch(libs):
    lib, nn, _ = libs
    assert tuple(nn.Linear(0, 3)(lib.zeros(2, 0)).shape) == (2, 3)
    nn.Conv2d(1, 0, 3)
    nn.Embedding(0, 3)
    nn.BatchNorm1d(0)


@pytest.mark.parametrize("libs", LIBS)
def test_rnn_dropout_with_one_layer_warns(libs):
    _, nn, _ = libs
    with pytest.warns(UserWarning, match="dropout"):
        nn.GRU(3, 3, dropout=0.5)


@pytest.mark.parametrize("libs", LIBS)
@pytest.mark.parametrize("conv,x,w", [
    ("conv2d", (1, 1, 5, 5), (1, 1, 0, 0)), ("conv1d", (1, 1, 5), (1, 1, 0)),
    ("conv2d", (1, 1, 5, 5), (1, 1, 6, 6)),
])
def test_functional_conv_refuses_empty_or_oversized_kernels(libs, conv, x, w):
    lib, _, F = libs
    with pytest.raises(RuntimeError):
        getattr(F, conv)(lib.zeros(*x), lib.zeros(*w))


@pytest.mark.parametrize("libs", LIBS)
@pytest.mark.parametrize("kwargs", [{"stride": 0}, {"padding": -1}, {"dilation": 0}])
def test_functional_conv_refuses_degenerate_geometry(libs, kwargs):
    lib, _, F = libs
    with pytest.raises(RuntimeError):
        F.conv2d(lib.zeros(1, 1, 5, 5), lib.zeros(1, 1, 3, 3), **kwargs)


@pytest.mark.parametrize("libs", LIBS)
@pytest.mark.parametrize("pool,x,args", [
    ("max_pool2d", (1, 1, 4, 4), (0,)), ("max_pool2d", (1, 1, 4, 4), (2, 0)),
    ("avg_pool2d", (1, 1, 4, 4), (5,)), ("max_pool1d", (1, 1, 4), (5,)),
    ("max_pool2d", (1, 1, 4, 4), (2, 2, 2)),
])
def test_functional_pooling_refuses_degenerate_windows(libs, pool, x, args):
    lib, _, F = libs
    with pytest.raises(RuntimeError):
        getattr(F, pool)(lib.zeros(*x), *args)


@pytest.mark.parametrize("libs", LIBS)
@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_functional_dropout_refuses_bad_probabilities(libs, p):
    lib, _, F = libs
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(lib.zeros(3), p)


def test_valid_layers_still_build_and_run():
    conv = agnn.Conv2d(1, 2, (3, 1), stride=(2, 1), padding=(1, 0))
    assert conv(ag.zeros(1, 1, 5, 5)).shape == (1, 2, 3, 5)
    assert agnn.MaxPool2d(3, stride=1, padding=1)(ag.zeros(1, 1, 4, 4)).shape == (1, 1, 4, 4)
    np.testing.assert_array_equal(agnn.Dropout(1.0)(ag.ones(3))._data, np.zeros(3))
