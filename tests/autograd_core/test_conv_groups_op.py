"""functional.conv1d/conv2d and nn.Conv1d/Conv2d with groups: gradcheck, PyTorch parity, argument checks."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core.function import ShapeError

F = ag.functional


def _t(rng, *shape):
    return ag.tensor(rng.standard_normal(shape), requires_grad=True)


def test_grouped_strided_conv2d_passes_gradcheck():
    rng = np.random.default_rng(0)
    x, w, b = _t(rng, 2, 4, 6, 5), _t(rng, 6, 2, 3, 2), _t(rng, 6)
    assert ag.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2), (x, w, b))


def test_depthwise_conv1d_passes_gradcheck():
    rng = np.random.default_rng(1)
    x, w, b = _t(rng, 2, 3, 9), _t(rng, 3, 1, 3), _t(rng, 3)
    assert ag.gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=2, dilation=2, groups=3),
                        (x, w, b))


@pytest.mark.parametrize("cls, shape", [("Conv2d", (2, 6, 9, 9)), ("Conv1d", (2, 6, 20))])
def test_grouped_layer_matches_torch(cls, shape):
    torch = pytest.importorskip("torch")
    layer = getattr(nn, cls)(6, 9, 3, stride=2, padding=1, groups=3)
    theirs = getattr(torch.nn, cls)(6, 9, 3, stride=2, padding=1, groups=3)
    assert tuple(layer.weight.shape) == tuple(theirs.weight.shape) == (9, 2) + (3,) * (len(shape) - 2)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(layer.weight.detach().numpy()))
        theirs.bias.copy_(torch.from_numpy(layer.bias.detach().numpy()))
    x0 = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    y = layer(ag.tensor(x0))
    yt = theirs(torch.from_numpy(x0))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(layer.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-4)
    assert "groups=3" in repr(layer)


def test_bad_group_arguments_raise():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(5, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 5, 3, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        nn.Conv1d(4, 4, 3, groups=0)
    x = ag.ones(1, 4, 5, 5)
    with pytest.raises(ShapeError, match="conv2d: input has 4 channels .* groups=3 expects 6"):
        F.conv2d(x, ag.ones(6, 2, 3, 3), groups=3)
    with pytest.raises(ShapeError, match="divisible by 4"):
        F.conv2d(x, ag.ones(6, 1, 3, 3), groups=4)
    with pytest.raises(ValueError, match="conv2d: groups must be a positive int"):
        F.conv2d(x, ag.ones(4, 4, 3, 3), groups=0)
    with pytest.raises(ValueError, match="conv2d: stride must be >= 1"):
        F.conv2d(x, ag.ones(4, 4, 3, 3), stride=0)
    with pytest.raises(ShapeError, match="empty kernel"):
        F.conv2d(x, ag.ones(4, 4, 0, 3))


def test_float16_tensors_go_through_conv():
    x = ag.tensor(np.ones((1, 2, 5, 5), np.float16))
    w = ag.tensor(np.ones((2, 1, 3, 3), np.float16), requires_grad=True)
    y = F.conv2d(x, w, groups=2)
    assert y.dtype == ag.float16
    y.sum().backward()
    assert w.grad.dtype == ag.float16
    np.testing.assert_array_equal(w.grad.numpy(), np.full((2, 1, 3, 3), 9, np.float16))
