"""Dropout variants, embeddings (F.embedding, Embedding options, EmbeddingBag), Bilinear,
Unflatten, CosineSimilarity and PairwiseDistance (issue 12) against PyTorch."""

import numpy as np
import pytest
from fn_parity import check, to_ours, to_torch
from nn_testing import gradcheck_module, same_state_dict_layout, torch_parity

import autograd_core as ag
import nn

torch = pytest.importorskip("torch")
rng = np.random.default_rng(4)


def arr(*shape):
    return rng.uniform(-2, 2, shape)


def const(F, a):
    return to_torch(a, grad=False) if F.__name__.startswith("torch") else to_ours(a, grad=False)


IDS = np.array([[1, 3, 3], [0, 4, 1]])
FLAT, OFFSETS = np.array([1, 3, 3, 0, 4, 1, 2]), np.array([0, 2, 2, 5])
CASES = {
    "embedding": (lambda F, w: F.embedding(const(F, IDS), w), [arr(5, 3)]),
    "embedding padding_idx": (lambda F, w: F.embedding(const(F, IDS), w, padding_idx=3), [arr(5, 3)]),
    "embedding scale_grad_by_freq": (
        lambda F, w: F.embedding(const(F, IDS), w, scale_grad_by_freq=True),
        [arr(5, 3)],
    ),
    "embedding_bag mean 2d": (lambda F, w: F.embedding_bag(const(F, IDS), w), [arr(5, 3)]),
    "embedding_bag sum offsets": (
        lambda F, w: F.embedding_bag(const(F, FLAT), w, const(F, OFFSETS), mode="sum"),
        [arr(5, 3)],
    ),
    "embedding_bag max offsets": (
        lambda F, w: F.embedding_bag(const(F, FLAT), w, const(F, OFFSETS), mode="max"),
        [arr(5, 3)],
    ),
    "embedding_bag last offset padding": (
        lambda F, w: F.embedding_bag(
            const(F, FLAT), w, const(F, np.array([0, 3, 7])), include_last_offset=True, padding_idx=3
        ),
        [arr(5, 3)],
    ),
    "embedding_bag per_sample_weights": (
        lambda F, w, p: F.embedding_bag(
            const(F, FLAT), w, const(F, OFFSETS), mode="sum", per_sample_weights=p
        ),
        [arr(5, 3), arr(7)],
    ),
    "bilinear": (
        lambda F, a, b, w, bias: F.bilinear(a, b, w, bias),
        [arr(4, 3), arr(4, 2), arr(5, 3, 2), arr(5)],
    ),
    "bilinear 3d no bias": (
        lambda F, a, b, w: F.bilinear(a, b, w),
        [arr(2, 4, 3), arr(2, 4, 2), arr(5, 3, 2)],
    ),
    "dropout2d eval": (lambda F, x: F.dropout2d(x, 0.5, training=False), [arr(2, 3, 2, 2)]),
    "alpha_dropout eval": (lambda F, x: F.alpha_dropout(x, 0.5), [arr(2, 3)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_functional_matches_torch(name):
    # padding_idx and scale_grad_by_freq change the gradient on purpose (PyTorch's
    # definition), so finite differences cannot agree there; torch parity still holds.
    check(*CASES[name], gradcheck="padding_idx" not in name and "freq" not in name)


def test_embedding_max_norm_renormalises_in_place_like_torch():
    w = arr(5, 3) * 3
    ours, theirs = ag.tensor(w.copy()), torch.tensor(w.copy())
    a = ag.functional.embedding(ag.tensor(IDS), ours, max_norm=1.5, norm_type=1.0)
    b = torch.nn.functional.embedding(torch.tensor(IDS), theirs, max_norm=1.5, norm_type=1.0)
    np.testing.assert_allclose(a._data, b.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours._data, theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("fn, spatial", [("dropout1d", 1), ("dropout2d", 2), ("dropout3d", 3)])
def test_channel_dropout_zeroes_whole_channels(fn, spatial):
    ag.manual_seed(0)
    x = ag.tensor(np.ones((8, 16) + (3,) * spatial), requires_grad=True)
    y = getattr(ag.functional, fn)(x, 0.5)
    per_channel = y._data.reshape(8, 16, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0.2 < (per_channel[..., 0] == 0).mean() < 0.8
    y.sum().backward()
    np.testing.assert_allclose(x.grad._data, y._data)
    unbatched = getattr(ag.functional, fn)(ag.ones(*(4,) + (2,) * spatial), 0.5)
    assert unbatched.shape == (4,) + (2,) * spatial


def test_alpha_dropout_keeps_mean_and_variance():
    ag.manual_seed(0)
    x = ag.tensor(np.random.default_rng(0).standard_normal(200_000))
    y = ag.functional.alpha_dropout(x, 0.3, training=True)._data
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    f = ag.functional.feature_alpha_dropout(ag.ones(4, 6, 5), 0.5, training=True)._data
    assert np.all(np.ptp(f, axis=-1) == 0)


MODULES = [
    ("Bilinear", (3, 2, 4), {}, [(5, 3), (5, 2)]),
    ("Bilinear", (3, 2, 4), {"bias": False}, [(2, 5, 3), (2, 5, 2)]),
    ("Unflatten", (1, (2, -1)), {}, [(3, 6, 2)]),
    ("Unflatten", (-1, (2, 2)), {}, [(3, 4)]),
    ("CosineSimilarity", (), {"dim": 0}, [(4, 3), (4, 3)]),
    ("PairwiseDistance", (), {"p": 3.0, "keepdim": True}, [(4, 3), (4, 3)]),
    ("Dropout1d", (0.3,), {}, [(2, 3, 4)]),
    ("Dropout2d", (), {}, [(2, 3, 4, 2)]),
    ("Dropout3d", (), {}, [(1, 2, 2, 2, 2)]),
    ("AlphaDropout", (0.2,), {}, [(3, 4)]),
    ("FeatureAlphaDropout", (0.2,), {}, [(3, 4, 2)]),
]


@pytest.mark.parametrize("case", MODULES, ids=[f"{c[0]}{c[1]}{c[2]}" for c in MODULES])
def test_modules_match_torch(case):
    name, args, kwargs, shapes = case
    torch.manual_seed(0)
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    same_state_dict_layout(ours, theirs)
    ours.eval(), theirs.eval()  # dropout layers are the identity in eval mode, as torch's
    torch_parity(ours, theirs, *[arr(*s) for s in shapes])


def test_bilinear_init_and_gradcheck():
    layer = nn.Bilinear(9, 2, 3)
    bound = 1 / 3
    assert np.abs(layer.weight._data).max() <= bound and np.abs(layer.bias._data).max() <= bound
    assert gradcheck_module(nn.Bilinear(3, 2, 2), arr(4, 3), arr(4, 2))


def test_embedding_options_match_torch():
    torch.manual_seed(0)
    ours = nn.Embedding(6, 3, padding_idx=2, scale_grad_by_freq=True)
    theirs = torch.nn.Embedding(6, 3, padding_idx=2, scale_grad_by_freq=True)
    same_state_dict_layout(ours, theirs)
    torch_parity(ours, theirs, np.array([[2, 1, 1], [5, 2, 0]]))
    pre = nn.Embedding.from_pretrained(ag.tensor(arr(4, 2)), max_norm=1.0)
    assert not pre.weight.requires_grad and pre.max_norm == 1.0
    with pytest.raises(TypeError):
        ours(ag.tensor([0.5]))
    with pytest.raises(IndexError):
        ours(ag.tensor([6]))


def test_embedding_bag_module_matches_torch():
    torch.manual_seed(0)
    ours, theirs = nn.EmbeddingBag(6, 3, mode="sum"), torch.nn.EmbeddingBag(6, 3, mode="sum")
    same_state_dict_layout(ours, theirs)
    torch_parity(ours, theirs, FLAT, OFFSETS)
    with pytest.raises(ValueError):
        nn.EmbeddingBag(6, 3, mode="median")
    with pytest.raises(ValueError):
        ours(ag.tensor(IDS), ag.tensor([0, 1]))


@pytest.mark.parametrize(
    "build", [lambda: nn.Dropout2d(1.5), lambda: nn.Unflatten(1, (-1, -1)), lambda: nn.AlphaDropout(-0.1)]
)
def test_bad_constructor_arguments(build):
    with pytest.raises(ValueError):
        build()


def test_unflatten_size_mismatch():
    with pytest.raises(ValueError):
        nn.Unflatten(1, (4, 2))(ag.zeros(2, 6))
