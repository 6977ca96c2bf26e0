"""Empty tensors follow PyTorch (issue 16, item 4): prod and max-pool backward on empty
inputs, Flatten and BatchNorm on a zero batch, logsumexp of an empty dim (-inf), and the mean
of nll_loss/cross_entropy over zero elements (nan). Each case runs on autograd_core and, when
installed, on PyTorch, against the same expected values."""

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


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t._data)


@pytest.mark.parametrize("libs", LIBS)
@pytest.mark.parametrize("shape,dim,out", [
    ((0, 3), 1, np.zeros(0)),
    ((0, 3), 0, np.ones(3)),
    ((2, 0), 1, np.ones(2)),
    ((0, 3), None, np.array(1.0)),
])
def test_prod_backward_on_empty_input(libs, shape, dim, out):
    lib, _, _ = libs
    x = lib.zeros(*shape, requires_grad=True)
    y = x.prod() if dim is None else x.prod(dim)
    np.testing.assert_array_equal(_np(y), out)
    y.sum().backward()
    assert tuple(x.grad.shape) == shape


@pytest.mark.parametrize("libs", LIBS)
@pytest.mark.parametrize("pool,shape,out_shape", [
    ("max_pool2d", (0, 2, 4, 4), (0, 2, 2, 2)),
    ("max_pool1d", (0, 2, 4), (0, 2, 2)),
    ("avg_pool2d", (0, 2, 4, 4), (0, 2, 2, 2)),
])
def test_pooling_an_empty_batch(libs, pool, shape, out_shape):
    lib, _, F = libs
    x = lib.zeros(*shape, requires_grad=True)
    y = getattr(F, pool)(x, 2)
    assert tuple(y.shape) == out_shape
    y.sum().backward()
    assert tuple(x.grad.shape) == shape


@pytest.mark.parametrize("libs", LIBS)
def test_pooling_refuses_empty_channels(libs):
    lib, _, F = libs
    with pytest.raises(RuntimeError):
        F.max_pool2d(lib.zeros(2, 0, 4, 4), 2)


@pytest.mark.parametrize("libs", LIBS)
@pytest.mark.parametrize("shape,expected", [((0, 3, 4), (0, 12)), ((2, 0, 4), (2, 0)), ((0, 0, 4), (0, 0))])
def test_flatten_a_zero_batch(libs, shape, expected):
    lib, nn, _ = libs
    assert tuple(nn.Flatten()(lib.zeros(*shape)).shape) == expected


@pytest.mark.parametrize("libs", LIBS)
@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (0, 3)), ("BatchNorm1d", (0, 3, 5)),
                                       ("BatchNorm2d", (0, 3, 2, 2))])
def test_batchnorm_trains_on_a_zero_batch(libs, cls, shape):
    lib, nn, _ = libs
    m = getattr(nn, cls)(3)
    x = lib.zeros(*shape, requires_grad=True)
    y = m(x)
    assert tuple(y.shape) == shape
    y.sum().backward()
    np.testing.assert_array_equal(_np(m.weight.grad), np.zeros(3))
    np.testing.assert_array_equal(_np(m.running_mean), np.zeros(3))  # statistics untouched
    np.testing.assert_array_equal(_np(m.running_var), np.ones(3))
    assert int(_np(m.num_batches_tracked)) == 1


@pytest.mark.parametrize("libs", LIBS)
def test_batchnorm_still_refuses_one_value_per_channel(libs):
    lib, nn, _ = libs
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(lib.zeros(1, 3))


@pytest.mark.parametrize("libs", LIBS)
def test_logsumexp_of_an_empty_dim_is_minus_inf(libs):
    lib, _, _ = libs
    x = lib.zeros(2, 0, requires_grad=True)
    y = x.logsumexp(1)
    assert _np(y).dtype == np.float32
    np.testing.assert_array_equal(_np(y), [-np.inf, -np.inf])
    y.sum().backward()
    assert tuple(x.grad.shape) == (2, 0)
    np.testing.assert_array_equal(_np(lib.logsumexp(lib.zeros(0), 0)), -np.inf)
    assert tuple(lib.zeros(0, 3).logsumexp(1).shape) == (0,)


@pytest.mark.parametrize("libs", LIBS)
@pytest.mark.parametrize("loss", ["nll_loss", "cross_entropy"])
def test_mean_loss_over_zero_elements_is_nan(libs, loss):
    lib, _, F = libs
    fn = getattr(F, loss)
    assert np.isnan(_np(fn(lib.zeros(0, 3), lib.zeros(0, dtype=lib.int64))))
    assert np.isnan(_np(fn(lib.zeros(2, 3), lib.tensor([-100, -100]))))
    assert _np(fn(lib.zeros(0, 3), lib.zeros(0, dtype=lib.int64), reduction="sum")) == 0
    x = lib.zeros(2, 3, requires_grad=True)
    fn(x, lib.tensor([-100, -100])).backward()
    np.testing.assert_array_equal(_np(x.grad), np.zeros((2, 3)))  # ignored rows get no gradient
