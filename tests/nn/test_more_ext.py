"""3-D pools, *_with_indices, channel_shuffle, pdist, gumbel_softmax,
multilabel_margin_loss and triplet_margin_with_distance_loss (issue 12) against PyTorch."""

import numpy as np
import pytest
from fn_parity import check, to_ours, to_torch
from nn_testing import same_state_dict_layout, torch_parity

import autograd_core as ag
import nn

torch = pytest.importorskip("torch")
rng = np.random.default_rng(6)


def arr(*shape, low=-2.0, high=2.0):
    return rng.uniform(low, high, shape)


def distinct(*shape):
    n = int(np.prod(shape))
    return ((rng.permutation(n) - n // 2) * 0.1).reshape(shape)


def const(F, a):
    return to_torch(a, grad=False) if F.__name__.startswith("torch") else to_ours(a, grad=False)


ML_TARGET = np.array([[3, 0, -1, 1], [1, 2, 1, 0], [-1, 0, 0, 0]])
CASES = {
    "max_pool3d": (lambda F, x: F.max_pool3d(x, 2, 1, 1, ceil_mode=True), [distinct(1, 2, 3, 4, 3)]),
    "max_pool3d indices": (
        lambda F, x: F.max_pool3d(x, (1, 2, 2), return_indices=True),
        [distinct(1, 2, 2, 4, 5)],
    ),
    "avg_pool3d": (lambda F, x: F.avg_pool3d(x, 2, 1, 1, count_include_pad=False), [arr(1, 2, 3, 4, 3)]),
    "avg_pool3d divisor": (lambda F, x: F.avg_pool3d(x, 2, divisor_override=5), [arr(1, 1, 4, 4, 2)]),
    "lp_pool3d": (lambda F, x: F.lp_pool3d(x, 2, 2), [arr(1, 2, 4, 2, 4, low=0.1)]),
    "adaptive_avg_pool3d": (lambda F, x: F.adaptive_avg_pool3d(x, (2, 3, 1)), [arr(1, 2, 5, 4, 3)]),
    "adaptive_max_pool3d": (
        lambda F, x: F.adaptive_max_pool3d(x, 2, return_indices=True),
        [distinct(1, 2, 3, 5, 4)],
    ),
    "max_pool1d_with_indices": (lambda F, x: F.max_pool1d_with_indices(x, 2), [distinct(2, 2, 6)]),
    "max_pool2d_with_indices": (lambda F, x: F.max_pool2d_with_indices(x, 2), [distinct(1, 2, 4, 4)]),
    "adaptive_max_pool2d_with_indices": (
        lambda F, x: F.adaptive_max_pool2d_with_indices(x, 3),
        [distinct(1, 2, 5, 5)],
    ),
    "channel_shuffle": (lambda F, x: F.channel_shuffle(x, 3), [arr(2, 6, 2, 2)]),
    "pdist": (lambda F, x: F.pdist(x), [arr(5, 3)]),
    "pdist p1": (lambda F, x: F.pdist(x, p=1), [arr(4, 3)]),
    "multilabel_margin_loss": (lambda F, x: F.multilabel_margin_loss(x, const(F, ML_TARGET)), [arr(3, 4)]),
    "multilabel_margin_loss none": (
        lambda F, x: F.multilabel_margin_loss(x, const(F, ML_TARGET), reduction="none"),
        [arr(3, 4)],
    ),
    "multilabel_margin_loss 1d": (
        lambda F, x: F.multilabel_margin_loss(x, const(F, np.array([2, -1, 0]))),
        [arr(3)],
    ),
    "triplet_margin_with_distance_loss": (
        lambda F, a, p, n: F.triplet_margin_with_distance_loss(a, p, n, swap=True),
        [arr(4, 3), arr(4, 3), arr(4, 3)],
    ),
    "triplet_margin_with_distance_loss cosine": (
        lambda F, a, p, n: F.triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda x, y: 1 - F.cosine_similarity(x, y), margin=0.5, reduction="sum"
        ),
        [arr(4, 3), arr(4, 3), arr(4, 3)],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    check(*CASES[name])


def test_max_unpool3d_inverts_max_pool3d():
    x = distinct(1, 2, 4, 4, 2)
    y, idx = ag.functional.max_pool3d(ag.tensor(x), 2, return_indices=True)
    z = ag.functional.max_unpool3d(y, idx, 2)
    ty, tidx = torch.nn.functional.max_pool3d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_allclose(z._data, torch.nn.functional.max_unpool3d(ty, tidx, 2).numpy())


def test_gumbel_softmax():
    ag.manual_seed(0)
    logits = ag.tensor(np.log(np.array([[0.7, 0.2, 0.1]] * 4000)), requires_grad=True)
    soft = ag.functional.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft._data.sum(-1), 1.0)
    hard = ag.functional.gumbel_softmax(logits, hard=True)
    assert set(np.unique(hard._data)) == {0.0, 1.0} and np.all(hard._data.sum(-1) == 1)
    np.testing.assert_allclose(hard._data.mean(0), [0.7, 0.2, 0.1], atol=0.03)  # Gumbel-max sampling
    hard.sum().backward()  # straight-through: the soft sample's gradient (softmax rows sum to 1 -> 0)
    np.testing.assert_allclose(logits.grad._data, 0.0, atol=1e-12)
    with pytest.raises(ValueError):
        ag.functional.gumbel_softmax(logits, tau=0.0)


MODULES = [
    ("MaxPool3d", (2,), {"stride": 1}, distinct(1, 2, 3, 3, 3)),
    ("AvgPool3d", (2,), {"ceil_mode": True}, arr(1, 2, 3, 3, 3)),
    ("AdaptiveAvgPool3d", ((1, 2, 2),), {}, arr(2, 2, 3, 4, 4)),
    ("AdaptiveMaxPool3d", (2,), {}, distinct(1, 1, 4, 3, 4)),
    ("LPPool3d", (2, 2), {}, arr(1, 1, 2, 4, 4, low=0.1)),
    ("ChannelShuffle", (2,), {}, arr(2, 4, 3)),
]


@pytest.mark.parametrize("case", MODULES, ids=[c[0] for c in MODULES])
def test_modules_match_torch(case):
    name, args, kwargs, x = case
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    same_state_dict_layout(ours, theirs)
    torch_parity(ours, theirs, x)


def test_loss_modules():
    ours, theirs = nn.MultiLabelMarginLoss(), torch.nn.MultiLabelMarginLoss()
    x = arr(3, 4)
    np.testing.assert_allclose(
        ours(ag.tensor(x), ag.tensor(ML_TARGET)).item(),
        theirs(torch.tensor(x), torch.tensor(ML_TARGET)).item(),
    )
    a, p, n = arr(4, 3), arr(4, 3), arr(4, 3)
    ours = nn.TripletMarginWithDistanceLoss(margin=0.3)
    theirs = torch.nn.TripletMarginWithDistanceLoss(margin=0.3)
    np.testing.assert_allclose(
        ours(ag.tensor(a), ag.tensor(p), ag.tensor(n)).item(),
        theirs(torch.tensor(a), torch.tensor(p), torch.tensor(n)).item(),
    )
    with pytest.raises(ValueError):
        nn.TripletMarginWithDistanceLoss(margin=0.0)
