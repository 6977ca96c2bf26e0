"""nn.functional normalisation, padding, resampling, unfold/fold, convolutions and pooling
(issue 12) against torch.nn.functional in float64: forward, input gradients, gradcheck."""

import numpy as np
import pytest
from fn_parity import check, to_ours, to_torch

import autograd_core as ag

torch = pytest.importorskip("torch")
rng = np.random.default_rng(1)


def arr(*shape, low=-2.0, high=2.0):
    return rng.uniform(low, high, shape)


def distinct(*shape):
    # No ties (max pooling is not differentiable at ties), gaps far above gradcheck's eps.
    n = int(np.prod(shape))
    return ((rng.permutation(n) - n // 2) * 0.1).reshape(shape)


RM, RV = arr(3), arr(3, low=0.5)


def const(F, a):
    """A constant tensor of the library `F` belongs to."""
    return to_torch(a, grad=False) if F.__name__.startswith("torch") else to_ours(a, grad=False)


NORM = {
    "layer_norm": (lambda F, x, w, b: F.layer_norm(x, (4,), w, b), [arr(2, 3, 4), arr(4), arr(4)]),
    "layer_norm 2d no affine": (lambda F, x: F.layer_norm(x, (3, 4), eps=1e-3), [arr(2, 3, 4)]),
    "rms_norm": (lambda F, x, w: F.rms_norm(x, (4,), w), [arr(2, 3, 4), arr(4)]),
    "rms_norm eps": (lambda F, x: F.rms_norm(x, [3, 4], eps=1e-2), [arr(2, 3, 4)]),
    "group_norm": (lambda F, x, w, b: F.group_norm(x, 2, w, b), [arr(2, 4, 3, 2), arr(4), arr(4)]),
    "group_norm 1 group": (lambda F, x: F.group_norm(x, 1), [arr(3, 6, 5)]),
    "batch_norm train": (
        lambda F, x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        [arr(4, 3, 2), arr(3), arr(3)],
    ),
    "batch_norm eval": (
        lambda F, x, w: F.batch_norm(x, const(F, RM), const(F, RV), w, training=False),
        [arr(4, 3), arr(3)],
    ),
    "instance_norm": (
        lambda F, x, w, b: F.instance_norm(x, weight=w, bias=b),
        [arr(2, 3, 5), arr(3), arr(3)],
    ),
    "instance_norm 2d": (lambda F, x: F.instance_norm(x), [arr(2, 3, 4, 3)]),
    "local_response_norm": (lambda F, x: F.local_response_norm(x, 3, alpha=0.1), [arr(2, 5, 4)]),
    "local_response_norm even": (lambda F, x: F.local_response_norm(x, 4, k=2.0), [arr(1, 6, 3, 2)]),
    "normalize": (lambda F, x: F.normalize(x), [arr(3, 4)]),
    "normalize p1 dim -1": (lambda F, x: F.normalize(x, p=1, dim=-1), [arr(2, 3, 4)]),
    "cosine_similarity": (lambda F, a, b: F.cosine_similarity(a, b), [arr(3, 4), arr(3, 4)]),
    "cosine_similarity broadcast": (
        lambda F, a, b: F.cosine_similarity(a, b, dim=-1),
        [arr(3, 4), arr(1, 4)],
    ),
    "pairwise_distance": (lambda F, a, b: F.pairwise_distance(a, b), [arr(3, 4), arr(3, 4)]),
    "pairwise_distance p1 keepdim": (
        lambda F, a, b: F.pairwise_distance(a, b, p=1.0, keepdim=True),
        [arr(3, 4), arr(3, 4) + 3],
    ),
}

PAD = {
    f"pad {mode} {widths}": (lambda F, x, m=mode, w=widths: F.pad(x, w, mode=m), [arr(*shape)])
    for mode, widths, shape in [
        ("constant", (1, 2), (2, 3)),
        ("constant", (1, -1, 2, 0), (2, 3, 4)),
        ("constant", (-1, -1), (2, 5)),
        ("reflect", (2, 1), (2, 3, 5)),
        ("reflect", (1, 2, 2, 0), (1, 2, 4, 3)),
        ("reflect", (-1, 2), (1, 2, 5)),
        ("replicate", (3, 1), (2, 4)),
        ("replicate", (1, 2, 0, 3), (1, 2, 3, 3)),
        ("replicate", (1, 1, 1, 1, 2, 0), (1, 1, 2, 3, 2)),
        ("circular", (2, 1), (2, 3, 4)),
        ("circular", (1, 2, 2, 1), (1, 2, 3, 3)),
    ]
}
# Negative widths: constant and circular crop first, reflect and replicate pad first (PyTorch's orders).
for mode, widths, shape in [
    ("reflect", (2, 2, 3, -2), (1, 2, 4, 4)),
    ("replicate", (-1, 2, 2, -1), (1, 2, 1, 2)),
    ("circular", (1, 2, -1, 1), (1, 2, 4, 4)),
    ("circular", (2, -2, 3, -2), (1, 1, 5, 5)),
]:
    PAD[f"pad {mode} {widths}"] = (lambda F, x, m=mode, w=widths: F.pad(x, w, mode=m), [arr(*shape)])
PAD["pad constant value"] = (lambda F, x: F.pad(x, (1, 1, 1, 1), value=2.5), [arr(2, 3)])

RESAMPLE = {}
for mode, shape, kwargs in [
    ("nearest", (1, 2, 5), {"scale_factor": 2}),
    ("nearest", (1, 2, 3, 4), {"size": (5, 7)}),
    ("nearest", (1, 1, 5, 6), {"scale_factor": 0.5}),
    ("nearest", (1, 1, 2, 3, 2), {"size": 3}),
    ("nearest-exact", (1, 2, 3, 5), {"size": (7, 3)}),
    ("linear", (2, 2, 5), {"size": 8}),
    ("linear", (2, 2, 5), {"size": 8, "align_corners": True}),
    ("linear", (1, 2, 6), {"scale_factor": 0.7}),
    ("bilinear", (1, 2, 3, 4), {"scale_factor": 2}),
    ("bilinear", (1, 2, 3, 4), {"size": (5, 3), "align_corners": True}),
    ("bilinear", (1, 1, 4, 4), {"scale_factor": 1.5, "recompute_scale_factor": True}),
    ("bicubic", (1, 2, 4, 5), {"size": (7, 6)}),
    ("bicubic", (1, 1, 4, 4), {"scale_factor": 2, "align_corners": True}),
    ("trilinear", (1, 1, 2, 3, 3), {"scale_factor": 2}),
    ("area", (1, 2, 6, 5), {"size": (4, 3)}),
    ("area", (1, 2, 7), {"size": 3}),
    # dims above 256 take the gather path instead of the dense weight matrix
    ("linear", (1, 1, 300), {"size": 457}),
    # a dim whose size does not change is copied (PyTorch's rule), whatever the scale factor
    ("bilinear", (1, 2, 2, 3), {"scale_factor": (1.3, 2)}),
    ("nearest", (1, 2, 3, 2), {"scale_factor": (1.3, 2)}),
    ("trilinear", (1, 1, 2, 3, 2), {"scale_factor": (2, 1.3, 1.5)}),
    ("bicubic", (1, 1, 2, 260), {"size": (3, 131), "align_corners": True}),
    ("bilinear", (1, 2, 9, 11), {"size": (4, 5), "antialias": True}),
    ("bilinear", (1, 1, 6, 7), {"scale_factor": 0.4, "antialias": True, "align_corners": True}),
    ("bicubic", (1, 2, 9, 8), {"size": (4, 11), "antialias": True}),
    ("lanczos", (1, 1, 9, 11), {"size": (4, 13), "antialias": True}),
]:
    RESAMPLE[f"interpolate {mode} {kwargs}"] = (
        lambda F, x, m=mode, kw=kwargs: F.interpolate(x, mode=m, **kw),
        [arr(*shape)],
    )
RESAMPLE.update(
    {
        "pixel_shuffle": (lambda F, x: F.pixel_shuffle(x, 2), [arr(2, 8, 2, 3)]),
        "pixel_shuffle unbatched": (lambda F, x: F.pixel_shuffle(x, 3), [arr(9, 2, 2)]),
        "pixel_unshuffle": (lambda F, x: F.pixel_unshuffle(x, 2), [arr(1, 2, 4, 6)]),
        "unfold": (lambda F, x: F.unfold(x, 2), [arr(2, 3, 4, 5)]),
        "unfold all args": (
            lambda F, x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
            [arr(1, 2, 5, 6)],
        ),
        "unfold unbatched": (lambda F, x: F.unfold(x, 3, padding=1), [arr(2, 3, 3)]),
        "fold": (lambda F, x: F.fold(x, (4, 5), 2), [arr(2, 12, 12)]),
        "fold all args": (
            lambda F, x: F.fold(x, (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
            [arr(1, 12, 12)],
        ),
    }
)

CONV = {
    "conv3d": (lambda F, x, w, b: F.conv3d(x, w, b), [arr(2, 2, 4, 3, 4), arr(3, 2, 2, 2, 2), arr(3)]),
    "conv3d args": (
        lambda F, x, w: F.conv3d(x, w, stride=(1, 2, 1), padding=1, dilation=(2, 1, 1), groups=2),
        [arr(1, 4, 5, 4, 3), arr(2, 2, 2, 3, 2)],
    ),
    "conv3d same": (lambda F, x, w: F.conv3d(x, w, padding="same"), [arr(1, 1, 3, 4, 3), arr(2, 1, 2, 3, 2)]),
    "conv3d unbatched": (lambda F, x, w: F.conv3d(x, w), [arr(2, 3, 3, 3), arr(1, 2, 2, 2, 2)]),
    "conv_transpose1d": (
        lambda F, x, w, b: F.conv_transpose1d(x, w, b),
        [arr(2, 3, 5), arr(3, 2, 3), arr(2)],
    ),
    "conv_transpose1d args": (
        lambda F, x, w: F.conv_transpose1d(x, w, stride=3, padding=2, output_padding=1, dilation=2, groups=2),
        [arr(2, 4, 5), arr(4, 3, 3)],
    ),
    "conv_transpose1d op beyond pad": (
        lambda F, x, w: F.conv_transpose1d(x, w, stride=3, output_padding=2),
        [arr(1, 2, 4), arr(2, 1, 2)],
    ),
    "conv_transpose2d": (
        lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1),
        [arr(2, 3, 3, 4), arr(3, 2, 3, 3), arr(2)],
    ),
    "conv_transpose2d args": (
        lambda F, x, w: F.conv_transpose2d(
            x, w, stride=(2, 1), padding=(1, 0), output_padding=(1, 0), groups=3, dilation=(1, 2)
        ),
        [arr(1, 6, 3, 3), arr(6, 1, 2, 3)],
    ),
    "conv_transpose2d unbatched": (lambda F, x, w: F.conv_transpose2d(x, w), [arr(2, 3, 3), arr(2, 2, 2, 2)]),
    "conv_transpose3d": (
        lambda F, x, w: F.conv_transpose3d(x, w, stride=2),
        [arr(1, 2, 2, 2, 3), arr(2, 1, 2, 2, 2)],
    ),
}

POOL = {
    "max_pool1d dilation ceil": (
        lambda F, x: F.max_pool1d(x, 3, 2, 1, dilation=2, ceil_mode=True),
        [distinct(2, 3, 10)],
    ),
    "max_pool1d indices": (lambda F, x: F.max_pool1d(x, 2, return_indices=True), [distinct(2, 2, 7)]),
    "max_pool2d indices": (
        lambda F, x: F.max_pool2d(x, 3, 2, 1, return_indices=True),
        [distinct(1, 2, 6, 7)],
    ),
    "max_pool2d ceil": (lambda F, x: F.max_pool2d(x, 2, ceil_mode=True), [distinct(1, 2, 5, 7)]),
    "max_pool2d dilation": (
        lambda F, x: F.max_pool2d(x, (2, 3), (1, 2), (1, 1), dilation=(2, 1)),
        [distinct(2, 1, 6, 7)],
    ),
    "max_pool2d unbatched": (lambda F, x: F.max_pool2d(x, 2), [distinct(2, 4, 4)]),
    "avg_pool1d": (lambda F, x: F.avg_pool1d(x, 3, 2, 1), [arr(2, 3, 8)]),
    "avg_pool1d ceil no pad count": (
        lambda F, x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        [arr(2, 3, 8)],
    ),
    "avg_pool2d ceil": (lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True), [arr(1, 2, 6, 7)]),
    "avg_pool2d exclude pad": (
        lambda F, x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
        [arr(1, 2, 5, 5)],
    ),
    "avg_pool2d divisor": (lambda F, x: F.avg_pool2d(x, 2, divisor_override=3), [arr(1, 2, 4, 4)]),
    "avg_pool2d unbatched": (lambda F, x: F.avg_pool2d(x, 2, 1), [arr(2, 4, 3)]),
    "lp_pool1d": (lambda F, x: F.lp_pool1d(x, 2, 3, 2), [arr(2, 3, 8, low=0.2)]),
    "lp_pool2d p3": (lambda F, x: F.lp_pool2d(x, 3, 2, ceil_mode=True), [arr(1, 2, 5, 5, low=0.2)]),
    "adaptive_avg_pool1d": (lambda F, x: F.adaptive_avg_pool1d(x, 3), [arr(2, 3, 7)]),
    "adaptive_avg_pool2d": (lambda F, x: F.adaptive_avg_pool2d(x, (3, 2)), [arr(2, 3, 7, 5)]),
    "adaptive_avg_pool2d None": (lambda F, x: F.adaptive_avg_pool2d(x, (None, 4)), [arr(2, 6, 5)]),
    "adaptive_avg_pool2d upsample": (lambda F, x: F.adaptive_avg_pool2d(x, 5), [arr(1, 2, 3, 4)]),
    "adaptive_max_pool1d": (
        lambda F, x: F.adaptive_max_pool1d(x, 4, return_indices=True),
        [distinct(2, 3, 9)],
    ),
    "adaptive_max_pool2d": (
        lambda F, x: F.adaptive_max_pool2d(x, (2, 3), return_indices=True),
        [distinct(1, 2, 5, 7)],
    ),
    "adaptive_max_pool2d unbatched": (lambda F, x: F.adaptive_max_pool2d(x, 2), [distinct(2, 5, 4)]),
}

CASES = {**NORM, **PAD, **RESAMPLE, **CONV, **POOL}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    call, inputs = CASES[name]
    check(call, inputs)


@pytest.mark.parametrize("n", [1, 2])
def test_max_unpool_inverts_max_pool(n):
    x = distinct(2, 3, *(6,) * n)
    outs = []
    for lib, conv, F in ((ag, to_ours, ag.functional), (torch, to_torch, torch.nn.functional)):
        xt = conv(x)
        pool, unpool = getattr(F, f"max_pool{n}d"), getattr(F, f"max_unpool{n}d")
        y, idx = pool(xt, 2, return_indices=True)
        y = y.detach().requires_grad_(True) if lib is torch else ag.tensor(y._data, requires_grad=True)
        z = unpool(y, idx, 2, output_size=x.shape[2:])
        (z * conv(np.arange(z.numel()).reshape(tuple(z.shape)) * 1.0, grad=False)).sum().backward()
        outs.append(
            (
                z.detach().numpy() if lib is torch else z._data,
                y.grad.numpy() if lib is torch else y.grad._data,
            )
        )
    np.testing.assert_allclose(outs[0][0], outs[1][0])
    np.testing.assert_allclose(outs[0][1], outs[1][1])


@pytest.mark.parametrize("mode, shape", [("nearest", (1, 2, 3)), ("bicubic", (1, 1, 2, 3))])
def test_unchanged_size_resamples_like_torch_forward(mode, shape):
    # Here PyTorch resamples in forward but its backward takes the identity shortcut, so only
    # the values can be compared; our gradient is the true one (gradcheck).
    x = arr(*shape)
    ours = ag.functional.interpolate(ag.tensor(x), scale_factor=1.3, mode=mode)
    theirs = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=1.3, mode=mode)
    np.testing.assert_allclose(ours._data, theirs.numpy(), atol=1e-12)
    t = ag.tensor(x, requires_grad=True)
    assert ag.gradcheck(lambda v: ag.functional.interpolate(v, scale_factor=1.3, mode=mode), (t,))


def test_batch_norm_updates_running_stats_like_torch():
    x = arr(5, 3, 2)
    rm, rv = np.zeros(3), np.ones(3)
    ours_m, ours_v = ag.tensor(rm.copy()), ag.tensor(rv.copy())
    th_m, th_v = torch.tensor(rm.copy()), torch.tensor(rv.copy())
    ag.functional.batch_norm(ag.tensor(x), ours_m, ours_v, training=True, momentum=0.3)
    torch.nn.functional.batch_norm(torch.tensor(x), th_m, th_v, training=True, momentum=0.3)
    np.testing.assert_allclose(ours_m._data, th_m.numpy())
    np.testing.assert_allclose(ours_v._data, th_v.numpy())


def test_instance_norm_running_stats_like_torch():
    x = arr(4, 3, 5)
    ours_m, ours_v = ag.zeros(3, dtype=ag.float64), ag.ones(3, dtype=ag.float64)
    th_m, th_v = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    ag.functional.instance_norm(ag.tensor(x), ours_m, ours_v, momentum=0.2)
    torch.nn.functional.instance_norm(torch.tensor(x), th_m, th_v, momentum=0.2)
    np.testing.assert_allclose(ours_m._data, th_m.numpy())
    np.testing.assert_allclose(ours_v._data, th_v.numpy())


def test_empty_batch():
    F = ag.functional
    assert F.interpolate(ag.zeros(0, 2, 3), scale_factor=2).shape == (0, 2, 6)
    assert F.pad(ag.zeros(0, 3), (1, 1), mode="constant").shape == (0, 5)
    assert F.conv_transpose2d(ag.zeros(0, 2, 3, 3), ag.zeros(2, 1, 2, 2)).shape == (0, 1, 4, 4)
    assert F.adaptive_avg_pool2d(ag.zeros(0, 2, 4, 4), 2).shape == (0, 2, 2, 2)
    assert F.layer_norm(ag.zeros(0, 4), (4,)).shape == (0, 4)


@pytest.mark.parametrize(
    "call",
    [
        lambda F: F.pad(ag.zeros(1, 2, 3), (1, 1), mode="reflect", value=1.0),
        lambda F: F.pad(ag.zeros(1, 2, 3), (3, 0), mode="reflect"),
        lambda F: F.pad(ag.zeros(3), (1, 1), mode="replicate"),
        lambda F: F.pad(ag.zeros(3), (1, 1, 1)),
        lambda F: F.pad(ag.zeros(1, 1), (-1, 1, 2, -2)),
        lambda F: F.pad(ag.zeros(3), (1, 1), mode="wrap"),
        lambda F: F.interpolate(ag.zeros(1, 1, 3), size=4, scale_factor=2),
        lambda F: F.interpolate(ag.zeros(1, 1, 3), size=4, mode="bilinear"),
        lambda F: F.interpolate(ag.zeros(1, 1, 3), size=4, align_corners=True),
        lambda F: F.interpolate(ag.zeros(1, 1, 3), size=4, mode="linear", antialias=True),
        lambda F: F.interpolate(ag.zeros(1, 1, 3, 3), size=4, mode="lanczos"),
        lambda F: F.pixel_shuffle(ag.zeros(1, 3, 2, 2), 2),
        lambda F: F.fold(ag.zeros(1, 5, 4), (3, 3), 2),
        lambda F: F.group_norm(ag.zeros(2, 5, 3), 2),
        lambda F: F.layer_norm(ag.zeros(2, 5), (4,)),
        lambda F: F.batch_norm(ag.zeros(1, 3), None, None, training=True),
        lambda F: F.conv_transpose2d(ag.zeros(1, 2, 3, 3), ag.zeros(2, 1, 2, 2), stride=2, output_padding=2),
        lambda F: F.conv3d(ag.zeros(1, 3, 4, 4, 4), ag.zeros(2, 2, 2, 2, 2)),
        lambda F: F.max_pool2d(ag.zeros(1, 1, 4, 4), 2, padding=2),
        lambda F: F.avg_pool2d(ag.zeros(1, 1, 4, 4), 2, divisor_override=0),
        lambda F: F.max_unpool2d(ag.zeros(1, 1, 2, 2), ag.tensor(np.full((1, 1, 2, 2), 99)), 2),
    ],
)
def test_bad_arguments_raise(call):
    with pytest.raises((ValueError, RuntimeError, IndexError, TypeError)):
        call(ag.functional)
