"""Layers: shapes, float64 gradchecks (input and every parameter), and PyTorch parity."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nn_testing import gradcheck_module, same_state_dict_layout, torch_parity

import autograd_core as ag
import nn


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# (class name, args, kwargs, input shape): the same call builds ours (nn.X) and torch.nn.X.
LAYERS = [
    ("Linear", (4, 3), {}, (5, 4)),
    ("Linear", (4, 3), {"bias": False}, (2, 5, 4)),
    ("Conv1d", (2, 3, 3), {"stride": 2, "padding": 1}, (2, 2, 9)),
    ("Conv1d", (2, 3, 2), {"dilation": 2, "bias": False}, (1, 2, 7)),
    ("Conv2d", (2, 3, 3), {"padding": 1}, (2, 2, 5, 5)),
    ("Conv2d", (2, 2, (2, 3)), {"stride": (2, 1), "padding": (1, 0)}, (1, 2, 5, 6)),
    ("Conv2d", (1, 2, 2), {"padding": "same"}, (1, 1, 4, 5)),
    ("Conv2d", (2, 2, 3), {"dilation": 2, "padding": "valid"}, (1, 2, 7, 6)),
    ("MaxPool1d", (2,), {}, (2, 3, 8)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1}, (2, 2, 6, 6)),
    ("MaxPool2d", ((2, 3),), {"stride": (1, 2)}, (1, 2, 5, 7)),
    ("AvgPool2d", (2,), {}, (2, 2, 6, 4)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1}, (1, 2, 5, 5)),
    ("BatchNorm1d", (3,), {}, (6, 3)),
    ("BatchNorm1d", (3,), {}, (4, 3, 5)),
    ("BatchNorm1d", (3,), {"bias": False}, (5, 3)),
    ("BatchNorm2d", (2,), {}, (3, 2, 3, 4)),
    ("BatchNorm2d", (2,), {"affine": False}, (3, 2, 3, 4)),
    ("LayerNorm", (4,), {}, (3, 4)),
    ("LayerNorm", ((3, 4),), {}, (2, 3, 4)),
    ("LayerNorm", (4,), {"bias": False}, (3, 4)),
    ("LayerNorm", (5,), {"elementwise_affine": False}, (2, 5)),
    ("Flatten", (), {}, (2, 3, 4)),
    ("Flatten", (0, 1), {}, (2, 3, 4)),
    ("Identity", (3,), {"x": 1}, (3,)),
    ("ReLU", (), {}, (3, 4)),
    ("LeakyReLU", (0.2,), {}, (3, 4)),
    ("Sigmoid", (), {}, (3, 4)),
    ("Tanh", (), {}, (3, 4)),
    ("GELU", (), {}, (3, 4)),
    ("GELU", ("tanh",), {}, (3, 4)),
    ("Softplus", (), {"beta": 2.0, "threshold": 3.0}, (3, 4)),
    ("Softmax", (), {"dim": 1}, (3, 4)),
    ("Softmax", (0,), {}, (3, 4)),
    ("LogSoftmax", (), {"dim": -1}, (2, 3, 4)),
]
IDS = [f"{c}{a}{k}".replace(" ", "") for c, a, k, _ in LAYERS]


def build_pair(torch, case):
    name, args, kwargs, _ = case
    torch.manual_seed(0)
    return getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", LAYERS, ids=IDS)
def test_matches_torch(case):
    torch = pytest.importorskip("torch")
    ours, theirs = build_pair(torch, case)
    same_state_dict_layout(ours, theirs)
    assert nn.utils.count_parameters(ours) == sum(p.numel() for p in theirs.parameters())
    torch_parity(ours, theirs, rand(*case[3]))


# (Max pooling is not differentiable at ties; random normal inputs have none.)
@pytest.mark.parametrize("case", LAYERS, ids=IDS)
def test_gradcheck(case):
    name, args, kwargs, shape = case
    ag.manual_seed(0)
    assert gradcheck_module(getattr(nn, name)(*args, **kwargs), rand(*shape))


def torch_mlp(t, sizes, act, dropout=0.0):
    layers = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [t.nn.Linear(a, b), act()] + ([t.nn.Dropout(dropout)] if dropout else [])
    return t.nn.Sequential(*layers, t.nn.Linear(sizes[-2], sizes[-1]))


@pytest.mark.parametrize("hidden, act, dropout",
                         [([5, 3], "ReLU", 0.0), ([5], "Tanh", 0.3), ([], "ReLU", 0.0)])
def test_mlp_matches_torch_sequential(hidden, act, dropout):
    torch = pytest.importorskip("torch")
    theirs = torch_mlp(torch, [4, *hidden, 2], getattr(torch.nn, act), dropout).eval()
    ours = nn.MLP(4, hidden, 2, activation=getattr(nn, act), dropout=dropout).eval()
    same_state_dict_layout(ours, theirs)
    assert nn.utils.count_parameters(ours) == sum(p.numel() for p in theirs.parameters())
    torch_parity(ours, theirs, rand(3, 4))
    assert gradcheck_module(ours, rand(3, 4))


def test_small_cnn_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                 torch.nn.Flatten(), torch.nn.Linear(8, 3))
    ours = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3))
    torch_parity(ours, theirs, rand(2, 1, 6, 6))


@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (3, 3, 2, 2))])
def test_batchnorm_eval_gradcheck_and_parity(name, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = build_pair(torch, (name, (3,), {}, shape))
    x = rand(*shape)
    with torch.no_grad():  # non-trivial running statistics
        theirs.running_mean.uniform_(-1, 1)
        theirs.running_var.uniform_(0.5, 2)
        theirs.weight.uniform_(0.5, 2)
        theirs.bias.uniform_(-1, 1)
    theirs.eval()
    ours.eval()
    torch_parity(ours, theirs, x)
    assert gradcheck_module(ours, x)


@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
@pytest.mark.parametrize("dims", [(8, 3), (6, 3, 4), (4, 3, 2, 5)])
def test_batchnorm_running_stats_follow_torch(momentum, dims):
    torch = pytest.importorskip("torch")
    cls = "BatchNorm2d" if len(dims) == 4 else "BatchNorm1d"
    theirs = getattr(torch.nn, cls)(3, momentum=momentum).double()
    ours = getattr(nn, cls)(3, momentum=momentum).double()
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = rng.standard_normal(dims) * 3 + 1
        theirs(torch.tensor(x))
        ours(ag.tensor(x))
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key]._data, value.numpy(), rtol=1e-12, atol=1e-12)
    assert int(ours.num_batches_tracked.item()) == 4
    theirs.eval()
    ours.eval()
    x = rng.standard_normal(dims)
    np.testing.assert_allclose(ours(ag.tensor(x))._data, theirs(torch.tensor(x)).detach().numpy(), atol=1e-12)


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    bn = nn.BatchNorm1d(2, track_running_stats=False).eval()
    assert bn.running_mean is None and "running_mean" not in bn.state_dict()
    y = bn(ag.tensor(rand(10, 2)))
    np.testing.assert_allclose(y._data.mean(0), 0, atol=1e-6)


def test_batchnorm_rejects_one_value_per_channel_and_wrong_rank():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(ag.randn(1, 3))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(ag.randn(2, 3))
    nn.BatchNorm1d(3).eval()(ag.randn(1, 3))  # fine with running statistics


def test_layernorm_checks_trailing_shape():
    with pytest.raises(ValueError, match=r"normalized_shape=\[4\]"):
        nn.LayerNorm(4)(ag.randn(4, 3))


def test_embedding_matches_torch_with_repeated_ids_and_padding():
    torch = pytest.importorskip("torch")
    ids = np.array([[1, 2, 1], [0, 4, 1]])
    for padding_idx in (None, 1):
        torch.manual_seed(0)
        theirs = torch.nn.Embedding(5, 3, padding_idx=padding_idx)
        ours = nn.Embedding(5, 3, padding_idx=padding_idx)
        same_state_dict_layout(ours, theirs)
        torch_parity(ours, theirs, ids)
    assert not ours.weight.grad._data[1].any()  # the padding row gets nothing


def test_embedding_accumulates_and_pads():
    emb = nn.Embedding(4, 2, padding_idx=-1)
    assert emb.padding_idx == 3 and not emb.weight._data[3].any()
    emb(ag.tensor([0, 0, 2, 0])).sum().backward()
    np.testing.assert_allclose(emb.weight.grad._data[:, 0], [3, 0, 1, 0])
    # The padding row is deliberately cut from the gradient: gradcheck a table without one.
    assert gradcheck_module(nn.Embedding(4, 2), np.array([[0, 1], [1, 3]]))
    with pytest.raises(IndexError, match="out of range"):
        emb(ag.tensor([4]))
    with pytest.raises(TypeError, match="integers"):
        emb(ag.tensor([0.0]))


def test_embedding_from_pretrained_is_frozen_copy():
    w = ag.randn(3, 2)
    emb = nn.Embedding.from_pretrained(w)
    assert not emb.weight.requires_grad and emb.weight._data is not w._data
    np.testing.assert_array_equal(emb(ag.tensor([2]))._data, w._data[[2]])
    assert nn.utils.count_parameters(emb) == 0


def test_dropout_scales_in_train_and_is_identity_in_eval():
    drop = nn.Dropout(0.25)
    x = ag.ones(200, 100)
    y = drop(x)._data
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    assert drop.eval()(x) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_is_reproducible_under_manual_seed_and_masks_the_gradient():
    x = ag.ones(50, requires_grad=True)
    ag.manual_seed(3)
    a = nn.Dropout(0.5)(x)
    ag.manual_seed(3)
    b = nn.Dropout(0.5)(x)
    np.testing.assert_array_equal(a._data, b._data)
    a.sum().backward()
    np.testing.assert_array_equal(x.grad._data, a._data)  # grad = mask / (1 - p) = output for x = 1


def test_dropout_gradcheck_with_a_fixed_mask():
    drop = nn.Dropout(0.4)
    x = ag.tensor(rand(3, 5), requires_grad=True)

    def fn(t):
        ag.manual_seed(11)  # the same mask on every call
        return drop(t)

    assert ag.gradcheck(fn, (x,))


def test_conv_rejects_unsupported_options_and_checks_channels():
    with pytest.raises(ValueError, match="groups"):
        nn.Conv2d(3, 2, 3, groups=2)  # in_channels not divisible by groups
    with pytest.raises(ValueError, match="strided"):
        nn.Conv1d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="channels"):
        nn.Conv2d(3, 2, 3)(ag.zeros(1, 2, 5, 5))


def test_conv_and_pool_shapes_and_reprs():
    conv = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
    assert conv(ag.zeros(2, 3, 9, 9)).shape == (2, 8, 5, 5)
    assert repr(conv) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"
    assert repr(nn.Conv1d(1, 2, 3)) == "Conv1d(1, 2, kernel_size=(3,), stride=(1,))"
    assert nn.MaxPool2d(2, ceil_mode=True)(ag.zeros(1, 1, 5, 5)).shape == (1, 1, 3, 3)
    assert nn.Conv1d(2, 2, 4, padding="same")(ag.zeros(1, 2, 7)).shape == (1, 2, 7)


def test_mlp_structure_and_keys():
    mlp = nn.MLP(784, [256, 128], 10)
    assert isinstance(mlp, nn.Sequential) and len(mlp) == 5
    assert list(mlp.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    dropped = nn.MLP(4, [8, 8], 2, activation=lambda: nn.LeakyReLU(0.2), dropout=0.1)
    assert [type(m).__name__ for m in dropped] == ["Linear", "LeakyReLU", "Dropout"] * 2 + ["Linear"]
    assert dropped[1].negative_slope == 0.2
    shared = nn.MLP(4, 3, 2, activation=nn.GELU())
    assert isinstance(shared[1], nn.GELU)
    assert isinstance(mlp[1:3], nn.Sequential) and not isinstance(mlp[1:3], nn.MLP)
    with pytest.raises(ValueError, match="dropout"):
        nn.MLP(2, [2], 2, dropout=1.0)


def test_softmax_without_dim_follows_torch_legacy_rule():
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = nn.Softmax()(ag.tensor(rand(2, 3)))
    np.testing.assert_allclose(y._data.sum(1), 1.0)


@given(batch=st.integers(1, 4), lead=st.lists(st.integers(1, 3), max_size=2),
       n_in=st.integers(1, 5), n_out=st.integers(1, 5))
def test_linear_shapes_for_any_leading_dims(batch, lead, n_in, n_out):
    x = ag.zeros(batch, *lead, n_in)
    assert nn.Linear(n_in, n_out)(x).shape == (batch, *lead, n_out)


@given(n=st.integers(2, 6), c=st.integers(1, 4), length=st.integers(1, 4))
def test_batchnorm_output_is_normalised_per_channel(n, c, length):
    x = ag.tensor(np.random.default_rng(n * 100 + c).standard_normal((n, c, length)) * 5 + 2)
    y = nn.BatchNorm1d(c)(x)._data
    np.testing.assert_allclose(y.mean(axis=(0, 2)), 0, atol=1e-5)
    var = y.var(axis=(0, 2))
    raw_var = x._data.var(axis=(0, 2))
    np.testing.assert_allclose(var, raw_var / (raw_var + 1e-5), rtol=1e-3)
