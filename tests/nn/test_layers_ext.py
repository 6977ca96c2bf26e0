"""Layers added for issue 12 against torch.nn: state_dict keys and shapes, default
initialisation statistics, outputs, input and parameter gradients (weights copied through
the state dict), and float64 gradchecks of the parametrised ones."""

import numpy as np
import pytest
from nn_testing import gradcheck_module, same_state_dict_layout, torch_parity

import autograd_core as ag
import nn

torch = pytest.importorskip("torch")


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def distinct(*shape):
    n = int(np.prod(shape))
    return ((np.random.default_rng(0).permutation(n) - n // 2) * 0.1).reshape(shape)


# (class name, args, kwargs, input shape or array)
LAYERS = [
    ("GroupNorm", (2, 4), {}, (3, 4, 5)),
    ("GroupNorm", (3, 6), {"affine": False, "eps": 1e-3}, (2, 6, 2, 2)),
    ("InstanceNorm1d", (3,), {}, (2, 3, 5)),
    ("InstanceNorm1d", (3,), {"affine": True}, (3, 5)),
    ("InstanceNorm2d", (2,), {"affine": True, "track_running_stats": True}, (2, 2, 3, 4)),
    ("InstanceNorm3d", (2,), {}, (1, 2, 2, 3, 2)),
    ("BatchNorm3d", (2,), {}, (3, 2, 2, 2, 2)),
    ("RMSNorm", (4,), {}, (2, 3, 4)),
    ("RMSNorm", ((3, 4),), {"eps": 1e-3, "elementwise_affine": False}, (2, 3, 4)),
    ("LocalResponseNorm", (3,), {}, (2, 5, 3)),
    ("ZeroPad1d", (2,), {}, (2, 3, 4)),
    ("ZeroPad2d", ((1, 0, 2, -1),), {}, (1, 2, 3, 4)),
    ("ConstantPad1d", ((1, 2), 3.5), {}, (2, 3)),
    ("ConstantPad2d", (1, -1.0), {}, (1, 3, 3)),
    ("ConstantPad3d", (1, 0.5), {}, (1, 1, 2, 2, 2)),
    ("ReflectionPad1d", (2,), {}, (2, 3, 4)),
    ("ReflectionPad2d", ((1, 2, 0, 1),), {}, (1, 2, 3, 4)),
    ("ReplicationPad1d", ((3, 1),), {}, (1, 2, 3)),
    ("ReplicationPad2d", (2,), {}, (2, 3, 3)),
    ("ReplicationPad3d", (1,), {}, (1, 1, 2, 2, 3)),
    ("CircularPad1d", (1,), {}, (1, 2, 3)),
    ("CircularPad2d", ((1, 0, 2, 1),), {}, (1, 1, 3, 3)),
    ("Upsample", (), {"scale_factor": 2}, (1, 2, 3, 3)),
    ("Upsample", (), {"size": (5, 4), "mode": "bilinear"}, (1, 2, 3, 3)),
    ("Upsample", (), {"scale_factor": 1.5, "mode": "linear", "align_corners": True}, (1, 2, 4)),
    ("UpsamplingNearest2d", (), {"scale_factor": 3}, (1, 1, 2, 3)),
    ("UpsamplingBilinear2d", ((4, 5),), {}, (1, 2, 3, 3)),
    ("PixelShuffle", (2,), {}, (1, 8, 2, 3)),
    ("PixelUnshuffle", (2,), {}, (1, 2, 4, 2)),
    ("Unfold", ((2, 3),), {"padding": 1, "stride": 2}, (2, 2, 4, 5)),
    ("Fold", ((3, 4), 2), {}, (2, 8, 6)),
    ("Conv3d", (2, 4, 2), {}, (2, 2, 3, 4, 3)),
    (
        "Conv3d",
        (4, 2, (1, 2, 2)),
        {"groups": 2, "padding": 1, "stride": (1, 2, 1), "bias": False},
        (1, 4, 2, 3, 4),
    ),
    ("Conv3d", (1, 2, 3), {"padding": 1, "padding_mode": "reflect"}, (1, 1, 3, 3, 4)),
    ("Conv3d", (1, 2, 3), {"padding": 1, "padding_mode": "circular"}, (1, 1, 3, 3, 4)),
    ("ConvTranspose1d", (3, 2, 3), {"stride": 2}, (2, 3, 5)),
    ("ConvTranspose1d", (4, 6, 3), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}, (1, 4, 4)),
    ("ConvTranspose2d", (2, 3, 3), {"stride": 2, "padding": 1}, (2, 2, 3, 3)),
    ("ConvTranspose2d", (2, 2, (2, 3)), {"dilation": (2, 1), "bias": False}, (1, 2, 3, 3)),
    ("ConvTranspose3d", (2, 2, 2), {"stride": 2}, (1, 2, 2, 2, 2)),
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}, distinct(2, 2, 9)),
    ("MaxPool2d", (2,), {"ceil_mode": True}, distinct(1, 2, 5, 5)),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1, "return_indices": True}, distinct(1, 2, 6, 6)),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, (2, 2, 7)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (1, 2, 6, 6)),
    ("AvgPool2d", (2,), {"divisor_override": 3}, (1, 2, 4, 4)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 7)),
    ("AdaptiveAvgPool2d", ((2, 3),), {}, (2, 2, 5, 7)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 4, 4)),
    ("AdaptiveMaxPool1d", (3,), {}, distinct(2, 2, 8)),
    ("AdaptiveMaxPool2d", ((2, 2),), {"return_indices": True}, distinct(1, 2, 5, 5)),
    ("LPPool1d", (2, 3), {"stride": 2}, np.abs(rand(2, 2, 7)) + 0.1),
    ("LPPool2d", (2, 2), {}, np.abs(rand(1, 2, 4, 4)) + 0.1),
]
IDS = [f"{c}{a}{k}".replace(" ", "") for c, a, k, _ in LAYERS]


def _input(spec):
    return spec if isinstance(spec, np.ndarray) else rand(*spec)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("case", LAYERS, ids=IDS)
def test_matches_torch(case):
    name, args, kwargs, spec = case
    torch.manual_seed(0)
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    same_state_dict_layout(ours, theirs)
    torch_parity(ours, theirs, _input(spec))
    for key, value in theirs.state_dict().items():  # buffers after a training step match too
        np.testing.assert_allclose(ours.state_dict()[key]._data, value.numpy(), atol=1e-10)


@pytest.mark.parametrize(
    "case",
    [
        c
        for c in LAYERS
        if c[0] in ("GroupNorm", "InstanceNorm2d", "RMSNorm", "Conv3d", "ConvTranspose1d", "ConvTranspose2d")
    ],
    ids=lambda c: f"{c[0]}{c[1]}",
)
def test_gradcheck(case):
    name, args, kwargs, spec = case
    ag.manual_seed(0)
    assert gradcheck_module(getattr(nn, name)(*args, **kwargs), _input(spec))


def test_instance_norm_eval_uses_running_stats():
    ours, theirs = (
        nn.InstanceNorm1d(3, track_running_stats=True),
        torch.nn.InstanceNorm1d(3, track_running_stats=True),
    )
    x = rand(4, 3, 6)
    torch_parity(ours, theirs, x)
    ours.eval(), theirs.eval()
    torch_parity(ours, theirs, rand(2, 3, 6, seed=1), load=False)


@pytest.mark.parametrize(
    "name, args, fan_in",
    [
        ("Conv3d", (4, 8, 3), 4 * 27),
        ("ConvTranspose2d", (4, 8, 3), 8 * 9),
        ("ConvTranspose1d", (6, 4, 5, 1, 0, 0, 2), 2 * 5),
    ],
)
def test_default_init_bounds(name, args, fan_in):
    ag.manual_seed(0)
    layer = getattr(nn, name)(*args)
    bound = 1 / np.sqrt(fan_in)  # kaiming_uniform_(a=√5) gives U(±1/√fan_in), as the bias
    assert np.abs(layer.bias._data).max() <= bound
    # the weight has enough entries (>= 60) for its largest to come close to the bound
    assert bound >= np.abs(layer.weight._data).max() > 0.8 * bound


def test_conv_transpose_output_size():
    torch.manual_seed(0)
    ours, theirs = (
        nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1),
        torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1),
    )
    x = rand(1, 2, 4, 4)
    torch_parity(ours, theirs, x, call=lambda m, t: m(t, output_size=(8, 8)))
    with pytest.raises(ValueError):
        ours(ag.tensor(x), output_size=(10, 10))


@pytest.mark.parametrize(
    "lazy, concrete, shape",
    [
        ("LazyLinear", "Linear", (2, 5)),
        ("LazyConv2d", "Conv2d", (1, 3, 6, 6)),
        ("LazyConv1d", "Conv1d", (2, 4, 7)),
    ],
)
def test_lazy_modules_infer_in_features(lazy, concrete, shape):
    args = (4,) if lazy == "LazyLinear" else (4, 3)
    layer = getattr(nn, lazy)(*args)
    assert layer.weight is None and list(layer.parameters()) == []
    out = layer(ag.randn(*shape))
    assert type(layer) is getattr(nn, concrete)
    theirs = getattr(torch.nn, lazy)(*args)
    theirs(torch.randn(*shape))
    same_state_dict_layout(layer, theirs)
    assert out.shape == tuple(theirs(torch.randn(*shape)).shape)
    torch_parity(layer, theirs, rand(*shape))


@pytest.mark.parametrize(
    "lazy, concrete, args, shape",
    [
        ("LazyBatchNorm2d", "BatchNorm2d", (), (4, 3, 2, 2)),
        ("LazyBatchNorm1d", "BatchNorm1d", (), (5, 3)),
        ("LazyInstanceNorm1d", "InstanceNorm1d", (), (2, 3, 5)),
        ("LazyInstanceNorm2d", "InstanceNorm2d", (), (3, 4, 5, 2)),
        ("LazyConvTranspose2d", "ConvTranspose2d", (4, 3), (1, 2, 4, 4)),
        ("LazyConvTranspose1d", "ConvTranspose1d", (2, 3), (2, 3, 5)),
    ],
)
def test_more_lazy_modules(lazy, concrete, args, shape):
    layer, theirs = getattr(nn, lazy)(*args), getattr(torch.nn, lazy)(*args)
    layer(ag.randn(*shape))
    theirs(torch.randn(*shape))
    assert type(layer) is getattr(nn, concrete)
    same_state_dict_layout(layer, theirs)
    torch_parity(layer, theirs, rand(*shape))
    for key, value in theirs.state_dict().items():  # running statistics after a step
        np.testing.assert_allclose(layer.state_dict()[key]._data, value.numpy(), atol=1e-10)


def test_data_parallel_runs_the_module_on_cpu():
    torch.manual_seed(0)
    ours, theirs = nn.DataParallel(nn.Linear(3, 2)), torch.nn.DataParallel(torch.nn.Linear(3, 2))
    same_state_dict_layout(ours, theirs)
    torch_parity(ours, theirs, rand(4, 3))
    with pytest.raises(TypeError):
        nn.DataParallel(lambda x: x)


def test_lazy_module_state_dict_roundtrip():
    a, b = nn.LazyLinear(3), nn.LazyLinear(3)
    a(ag.randn(2, 4))
    b(ag.randn(1, 4))
    b.load_state_dict(a.state_dict())
    np.testing.assert_allclose(b.weight._data, a.weight._data)


@pytest.mark.parametrize(
    "build",
    [
        lambda: nn.GroupNorm(3, 4),
        lambda: nn.Conv3d(3, 4, 2, groups=2),
        lambda: nn.ConvTranspose2d(2, 2, 2, padding_mode="reflect"),
        lambda: nn.Conv3d(1, 1, 2, padding_mode="mirror"),
        lambda: nn.ZeroPad2d((1, 2, 3)),
        lambda: nn.Conv3d(1, 1, 2, stride=2, padding="same"),
    ],
)
def test_bad_constructor_arguments(build):
    with pytest.raises(ValueError):
        build()


def test_sync_batch_norm_single_process_matches_torch():
    torch.manual_seed(0)
    ours, theirs = nn.SyncBatchNorm(3), torch.nn.SyncBatchNorm(3)
    same_state_dict_layout(ours, theirs)
    torch_parity(ours, theirs, rand(4, 3, 2, 2))
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key]._data, value.numpy(), atol=1e-10)
    model = nn.Sequential(nn.Conv2d(1, 3, 1), nn.BatchNorm2d(3))
    bn_weight = model[1].weight
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert type(converted[1]) is nn.SyncBatchNorm and converted[1].weight is bn_weight
    assert list(converted.state_dict()) == list(
        torch.nn.SyncBatchNorm.convert_sync_batchnorm(
            torch.nn.Sequential(torch.nn.Conv2d(1, 3, 1), torch.nn.BatchNorm2d(3))
        ).state_dict()
    )


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("PReLU", (3,), {"init": 0.1}),
        ("PReLU", (), {}),
        ("GroupNorm", (2, 4), {}),
        ("RMSNorm", ((2, 3),), {}),
        ("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True}),
        ("BatchNorm3d", (2,), {}),
        ("SyncBatchNorm", (2,), {}),
    ],
)
def test_deterministic_default_init_equals_torch(name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key]._data, value.numpy())


@pytest.mark.parametrize(
    "name, args, fan_in", [("Bilinear", (6, 2, 3), 6), ("ConvTranspose3d", (2, 4, 2), 4 * 8)]
)
def test_random_default_init_is_uniform_like_torch(name, args, fan_in):
    ag.manual_seed(0)
    weight = getattr(nn, name)(*args).weight._data
    bound = 1 / np.sqrt(fan_in)
    assert np.abs(weight).max() <= bound and abs(weight.std() - bound / np.sqrt(3)) < 0.35 * bound
