"""nn.utils: gradient clipping, parameter vectors and counting, against PyTorch."""

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
from nn import utils


def params_with_grads(scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    ps = [nn.Parameter(ag.tensor(rng.standard_normal(s))) for s in [(3, 4), (4,), (2, 2, 2)]]
    for p in ps:
        p.grad = ag.tensor(rng.standard_normal(p.shape) * scale)
    return ps


@pytest.mark.parametrize("max_norm, norm_type",
                         [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.3, math.inf), (2, 3)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    torch = pytest.importorskip("torch")
    ours = params_with_grads(scale=2.0)
    theirs = [torch.tensor(p._data, requires_grad=True) for p in ours]
    for t, p in zip(theirs, ours):
        t.grad = torch.tensor(p.grad._data)
    total = utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, ag.Tensor) and total.shape == ()
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    for t, p in zip(theirs, ours):
        np.testing.assert_allclose(p.grad._data, t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_scales_in_place_only_when_needed():
    p = ag.zeros(2, requires_grad=True)
    p.grad = ag.tensor([3.0, 4.0])
    array = p.grad._data
    assert utils.clip_grad_norm_(p, 10.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(array, [3.0, 4.0])
    assert utils.clip_grad_norm_([p], 1.0).item() == pytest.approx(5.0)
    assert p.grad._data is array
    np.testing.assert_allclose(array, [0.6, 0.8], rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(array), 1.0, rtol=1e-5)


def test_clip_grad_norm_edge_cases():
    assert utils.clip_grad_norm_([ag.zeros(2, requires_grad=True)], 1.0).item() == 0.0  # no grads
    p = ag.zeros(1, requires_grad=True)
    p.grad = ag.tensor([float("nan")])
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    ours = params_with_grads(scale=3.0)
    theirs = [torch.tensor(p._data, requires_grad=True) for p in ours]
    for t, p in zip(theirs, ours):
        t.grad = torch.tensor(p.grad._data)
    assert utils.clip_grad_value_(ours, 0.7) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for t, p in zip(theirs, ours):
        np.testing.assert_array_equal(p.grad._data, t.grad.numpy())
    assert max(np.abs(p.grad._data).max() for p in ours) == pytest.approx(0.7)


def test_parameters_to_vector_and_back():
    torch = pytest.importorskip("torch")
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = utils.parameters_to_vector(model.parameters())
    expected = torch.nn.utils.parameters_to_vector([torch.tensor(p._data) for p in model.parameters()])
    np.testing.assert_array_equal(vec._data, expected.numpy())
    (vec * ag.arange(vec.shape[0], dtype=ag.float32)).sum().backward()  # differentiable, like torch's
    np.testing.assert_array_equal(model[0].weight.grad._data.ravel(), np.arange(6))
    arrays = [p._data for p in model.parameters()]
    utils.vector_to_parameters(ag.arange(11, dtype=ag.float32), model.parameters())
    assert all(p._data is a for p, a in zip(model.parameters(), arrays))  # copied in place
    np.testing.assert_array_equal(model[1].bias._data, [10.0])
    with pytest.raises(ValueError, match="11 elements"):
        utils.vector_to_parameters(ag.zeros(11), [ag.zeros(3)])


def test_count_parameters_of_an_mlp():
    assert utils.count_parameters(nn.MLP(784, [256, 128], 10)) == 235_146
    sizes = [20, 16, 8, 3]
    expected = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    assert utils.count_parameters(nn.MLP(20, [16, 8], 3)) == expected
    assert utils.count_parameters(nn.MLP(20, [16, 8], 3, dropout=0.5)) == expected


def test_count_parameters_matches_torch_and_skips_frozen():
    torch = pytest.importorskip("torch")
    pairs = [
        (nn.LSTM(10, 20, num_layers=2, bidirectional=True),
         torch.nn.LSTM(10, 20, num_layers=2, bidirectional=True)),
        (nn.GRU(5, 7, bias=False), torch.nn.GRU(5, 7, bias=False)),
        (nn.Conv2d(3, 8, 3), torch.nn.Conv2d(3, 8, 3)),
        (nn.BatchNorm1d(4), torch.nn.BatchNorm1d(4)),
        (nn.Embedding(100, 8), torch.nn.Embedding(100, 8)),
    ]
    for ours, theirs in pairs:
        assert utils.count_parameters(ours) == sum(p.numel() for p in theirs.parameters())
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
    model[0].requires_grad_(False)
    assert utils.count_parameters(model) == 10
