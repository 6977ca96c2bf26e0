"""ag.functional: every op through the graph (gradcheck in float64, torch parity) and the
stability of the fused losses at extreme logits."""

import numpy as np
import pytest

import autograd_core as ag

F = ag.functional
rng = np.random.default_rng(0)


def arr(*shape, low=-2.0, high=2.0):
    return rng.uniform(low, high, shape)


def probs(*shape):
    return rng.uniform(0.05, 0.95, shape)


IDX = np.array([2, 0, 1, 2])
# name -> (call(F, *tensors), float64 input arrays); torch.nn.functional takes the same calls
CASES = {
    "linear": (lambda F, x, w, b: F.linear(x, w, b), [arr(4, 3), arr(2, 3), arr(2)]),
    "linear 3d input": (lambda F, x, w: F.linear(x, w), [arr(2, 4, 3), arr(5, 3)]),
    "conv1d s2 p1 d2": (lambda F, x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2),
                        [arr(2, 3, 9), arr(4, 3, 3), arr(4)]),
    "conv2d s1 p1": (lambda F, x, w, b: F.conv2d(x, w, b, padding=1),
                     [arr(2, 2, 5, 4), arr(3, 2, 3, 3), arr(3)]),
    "conv2d s2 d2 no bias": (lambda F, x, w: F.conv2d(x, w, stride=2, dilation=2),
                             [arr(1, 2, 7, 7), arr(2, 2, 2, 2)]),
    "max_pool1d k3 s2 p1": (lambda F, x: F.max_pool1d(x, 3, 2, 1), [arr(2, 3, 9)]),
    "max_pool2d k2": (lambda F, x: F.max_pool2d(x, 2), [arr(2, 2, 6, 5)]),
    "max_pool2d k3 s2 p1": (lambda F, x: F.max_pool2d(x, 3, 2, 1), [arr(1, 2, 7, 7)]),
    "avg_pool2d k2 s1 p1": (lambda F, x: F.avg_pool2d(x, 2, 1, 1), [arr(2, 2, 4, 5)]),
    "relu": (lambda F, x: F.relu(x), [arr(3, 4) + 0.05]),
    "leaky_relu": (lambda F, x: F.leaky_relu(x, 0.2), [arr(3, 4) + 0.05]),
    "sigmoid": (lambda F, x: F.sigmoid(x), [arr(3, 4)]),
    "tanh": (lambda F, x: F.tanh(x), [arr(3, 4)]),
    "gelu": (lambda F, x: F.gelu(x), [arr(3, 4)]),
    "softplus": (lambda F, x: F.softplus(x, beta=2.0, threshold=3.0), [arr(3, 4)]),
    "softmax dim 0": (lambda F, x: F.softmax(x, 0), [arr(3, 4)]),
    "log_softmax dim 1": (lambda F, x: F.log_softmax(x, 1), [arr(2, 3, 4)]),
    "mse_loss": (lambda F, x, t: F.mse_loss(x, t), [arr(3, 4), arr(3, 4)]),
    "l1_loss sum": (lambda F, x, t: F.l1_loss(x, t, reduction="sum"), [arr(3, 4), arr(3, 4) + 5]),
    "binary_cross_entropy": (lambda F, p, t: F.binary_cross_entropy(p, t), [probs(3, 4), probs(3, 4)]),
    "bce_with_logits none": (lambda F, x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none"),
                             [arr(3, 4), probs(3, 4)]),
    "cross_entropy indices": (lambda F, x: F.cross_entropy(x, _target(F, IDX)), [arr(4, 3)]),
    "cross_entropy smoothing sum": (lambda F, x: F.cross_entropy(x, _target(F, IDX), reduction="sum",
                                                                 label_smoothing=0.2), [arr(4, 3)]),
    "cross_entropy probabilities": (lambda F, x, p: F.cross_entropy(x, p), [arr(4, 3), probs(4, 3)]),
    "cross_entropy (N,C,d)": (lambda F, x: F.cross_entropy(x, _target(F, IDX.reshape(2, 2))), [arr(2, 3, 2)]),
    "cross_entropy probabilities (N,C,d) smoothing": (
        lambda F, x, p: F.cross_entropy(x, p, label_smoothing=0.1, reduction="none"),
        [arr(2, 3, 2), probs(2, 3, 2)]),
    "nll_loss": (lambda F, x: F.nll_loss(x, _target(F, IDX)), [arr(4, 3)]),
}


def _target(F, idx):
    """Class indices as the framework's own integer tensor."""
    if F is ag.functional:
        return ag.tensor(idx)
    import torch

    return torch.tensor(idx)


@pytest.mark.parametrize("name", CASES)
def test_gradcheck(name):
    call, inputs = CASES[name]
    tensors = [ag.tensor(a.copy(), requires_grad=True) for a in inputs]
    assert ag.gradcheck(lambda *ts: call(F, *ts), tensors)


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    call, inputs = CASES[name]
    ours = [ag.tensor(a.copy(), requires_grad=True) for a in inputs]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in inputs]
    out_ours, out_theirs = call(F, *ours), call(torch.nn.functional, *theirs)
    np.testing.assert_allclose(out_ours._data, out_theirs.detach().numpy(), rtol=1e-6, atol=1e-8)
    cot = np.random.default_rng(1).standard_normal(out_ours.shape)
    out_ours.backward(ag.tensor(cot))
    out_theirs.backward(torch.tensor(cot))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad._data, b.grad.numpy(), rtol=1e-6, atol=1e-8)


def test_dropout_is_inverted_and_seeded():
    x = ag.ones(1000, requires_grad=True)
    ag.manual_seed(3)
    y = F.dropout(x, 0.2)
    ag.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, 0.2)._data, y._data)
    kept = y._data != 0
    assert set(np.unique(y._data)) <= {0.0, np.float32(1 / 0.8)}
    assert 0.15 < 1 - kept.mean() < 0.25
    y.sum().backward()
    np.testing.assert_allclose(x.grad._data, y._data)  # d(x·mask)/dx = mask
    assert F.dropout(x, 0.5, training=False) is x


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_cross_entropy_and_log_softmax_stable_at_1e4(scale):
    logits = ag.tensor([[scale, 0.0, -scale], [0.0, scale, 1.0]], requires_grad=True)
    loss = F.cross_entropy(logits, ag.tensor([0, 2]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(logits.grad._data).all()
    lsm = F.log_softmax(logits, 1)
    assert np.isfinite(lsm._data).all()
    np.testing.assert_allclose(np.exp(lsm._data).sum(1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("scale", [1e3, -1e3])
def test_sigmoid_and_bce_with_logits_stable_at_1e3(scale):
    x = ag.tensor([scale, -scale, 0.0], requires_grad=True)
    s = F.sigmoid(x)
    assert np.isfinite(s._data).all() and set(s._data[:2]) == {0.0, 1.0}
    loss = F.binary_cross_entropy_with_logits(x, ag.tensor([1.0, 0.0, 1.0]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad._data).all()


def test_errors_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"conv2d.*3 channels.*\(4, 2, 3, 3\)"):
        F.conv2d(ag.ones(1, 3, 5, 5), ag.ones(4, 2, 3, 3))
    with pytest.raises(ValueError, match=r"linear.*\(2, 3\).*\(4, 5\)"):
        F.linear(ag.ones(2, 3), ag.ones(4, 5))
    with pytest.raises(IndexError, match="out of bounds for 3 classes"):
        F.cross_entropy(ag.ones(2, 3), ag.tensor([0, 3]))
    with pytest.raises(ValueError, match="mse_loss.*differ"):
        F.mse_loss(ag.ones(2, 3), ag.ones(3, 2))
