"""The issue-12 functionals keep float32 in float32: outputs and input gradients."""

import numpy as np
import pytest

import autograd_core as ag

F = ag.functional
CALLS = {
    "silu": F.silu,
    "mish": F.mish,
    "elu": F.elu,
    "selu": F.selu,
    "celu": F.celu,
    "hardtanh": F.hardtanh,
    "relu6": F.relu6,
    "hardswish": F.hardswish,
    "hardsigmoid": F.hardsigmoid,
    "logsigmoid": F.logsigmoid,
    "softsign": F.softsign,
    "tanhshrink": F.tanhshrink,
    "softshrink": F.softshrink,
    "hardshrink": F.hardshrink,
    "threshold": lambda t: F.threshold(t, 0.1, 2.0),
    "gelu tanh": lambda t: F.gelu(t, approximate="tanh"),
    "glu": F.glu,
    "softmin": lambda t: F.softmin(t, 1),
    "layer_norm": lambda t: F.layer_norm(t, (4,)),
    "group_norm": lambda t: F.group_norm(t.reshape(1, 3, 4), 3),
    "rms_norm": lambda t: F.rms_norm(t, (4,)),
    "normalize": F.normalize,
    "interpolate linear": lambda t: F.interpolate(t.reshape(1, 3, 4), scale_factor=2, mode="linear"),
    "pad reflect": lambda t: F.pad(t, (1, 1), mode="reflect"),
    "conv_transpose1d": lambda t: F.conv_transpose1d(t.reshape(1, 3, 4), ag.ones(3, 2, 2)),
    "conv3d": lambda t: F.conv3d(t.reshape(1, 1, 3, 2, 2), ag.ones(2, 1, 2, 2, 2)),
    "avg_pool1d ceil": lambda t: F.avg_pool1d(t.reshape(1, 3, 4), 3, 2, 1, ceil_mode=True),
    "max_pool1d dilation": lambda t: F.max_pool1d(t.reshape(1, 3, 4), 2, 1, dilation=2),
    "adaptive_avg_pool1d": lambda t: F.adaptive_avg_pool1d(t.reshape(1, 3, 4), 3),
    "unfold": lambda t: F.unfold(t.reshape(1, 1, 3, 4), 2),
    "smooth_l1_loss": lambda t: F.smooth_l1_loss(t, ag.zeros(3, 4)),
    "kl_div": lambda t: F.kl_div(t, ag.ones(3, 4) * 0.25, reduction="batchmean"),
    "nll_loss weight": lambda t: F.nll_loss(t, ag.tensor([0, 3, 1]), weight=ag.ones(4)),
    "cross_entropy weight": lambda t: F.cross_entropy(
        t, ag.tensor([0, 3, 1]), weight=ag.ones(4), label_smoothing=0.1
    ),
    "gaussian_nll_loss": lambda t: F.gaussian_nll_loss(t, ag.zeros(3, 4), ag.ones(3, 4)),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_float32_stays_float32(name):
    x = ag.tensor(np.random.default_rng(0).uniform(-4, 4, (3, 4)).astype(np.float32), requires_grad=True)
    y = CALLS[name](x)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
