"""Loss modules: PyTorch parity for every loss and reduction, gradchecks, argument checks."""

import numpy as np
import pytest
from nn_testing import torch_parity

import autograd_core as ag
import nn

REDUCTIONS = ["mean", "sum", "none"]


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def probs(*shape, seed=0):
    return 1 / (1 + np.exp(-rand(*shape, seed=seed)))


def soft_targets(n, c, seed=3):
    p = np.random.default_rng(seed).random((n, c))
    return p / p.sum(1, keepdims=True)


# (class name, kwargs, input, target); the target carries no gradient.
CASES = [
    ("MSELoss", {}, rand(4, 3), rand(4, 3, seed=1)),
    ("L1Loss", {}, rand(4, 3), rand(4, 3, seed=1)),
    ("BCELoss", {}, probs(5, 2), (rand(5, 2, seed=1) > 0).astype(float)),
    ("BCELoss", {}, probs(6), probs(6, seed=2)),  # soft targets
    ("BCEWithLogitsLoss", {}, rand(5, 2) * 4, (rand(5, 2, seed=1) > 0).astype(float)),
    ("CrossEntropyLoss", {}, rand(5, 4), np.array([0, 3, 1, 1, 2])),
    ("CrossEntropyLoss", {"label_smoothing": 0.2}, rand(5, 4), np.array([0, 3, 1, 1, 2])),
    ("CrossEntropyLoss", {"ignore_index": 1}, rand(5, 4), np.array([0, 3, 1, 1, 2])),
    ("CrossEntropyLoss", {}, rand(3, 4), soft_targets(3, 4)),  # class probabilities
    ("CrossEntropyLoss", {"label_smoothing": 0.1}, rand(2, 3, 4), np.array([[0, 1, 2, 0], [2, 2, 1, 0]])),
    ("CrossEntropyLoss", {}, rand(4), np.array(2)),  # unbatched
    ("NLLLoss", {}, np.log(soft_targets(5, 3)), np.array([0, 2, 1, 1, 0])),
    ("NLLLoss", {"ignore_index": 0}, np.log(soft_targets(5, 3)), np.array([0, 2, 1, 1, 0])),
]
IDS = [f"{c}{k}{x.shape}".replace(" ", "") for c, k, x, _ in CASES]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_torch(case, reduction):
    torch = pytest.importorskip("torch")
    name, kwargs, x, target = case
    ours = getattr(nn, name)(reduction=reduction, **kwargs)
    theirs = getattr(torch.nn, name)(reduction=reduction, **kwargs)
    torch_parity(ours, theirs, x, call=lambda m, xt: m(xt, _target(target, xt)), load=False)


def _target(target, like):
    """The target in the same library as `like`, float64 for float targets, no gradient."""
    arr = np.asarray(target)
    if isinstance(like, ag.Tensor):
        return ag.tensor(arr)
    import torch

    return torch.tensor(arr)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck(case):
    name, kwargs, x, target = case
    loss = getattr(nn, name)(reduction="sum", **kwargs)
    t = ag.tensor(np.asarray(target))
    assert ag.gradcheck(lambda inp: loss(inp, t), (ag.tensor(x, requires_grad=True),))


def test_bce_with_logits_pos_weight_matches_torch():
    torch = pytest.importorskip("torch")
    x, t, w = rand(4, 3) * 3, (rand(4, 3, seed=1) > 0).astype(float), np.array([1.0, 2.0, 0.5])
    ours = nn.BCEWithLogitsLoss(pos_weight=ag.tensor(w))
    theirs = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w))
    torch_parity(ours, theirs, x, call=lambda m, xt: m(xt, _target(t, xt)), load=False)


def test_cross_entropy_is_stable_for_huge_logits():
    loss = nn.CrossEntropyLoss()(ag.tensor([[1e4, 0.0], [0.0, 1e4]]), ag.tensor([0, 0]))
    assert np.isfinite(loss.item()) and abs(loss.item() - 5e3) < 1e-3


def test_losses_train_a_tiny_classifier():
    ag.manual_seed(0)
    x = ag.tensor(rand(32, 2))
    y = ag.tensor((x._data[:, 0] + x._data[:, 1] > 0).astype(np.int64))
    model, loss_fn = nn.Linear(2, 2), nn.CrossEntropyLoss()
    first = None
    for _ in range(50):
        loss = loss_fn(model(x), y)
        first = loss.item() if first is None else first
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p._data -= 0.5 * p.grad._data
    assert loss.item() < first / 2


def test_arguments_are_checked_up_front():
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    assert nn.CrossEntropyLoss(ag.ones(3)).weight.shape == (3,)  # class weights, positional as in torch
    with pytest.raises(ValueError, match="shape"):
        nn.MSELoss()(ag.zeros(3), ag.zeros(4))
