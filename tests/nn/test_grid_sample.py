"""F.affine_grid and F.grid_sample (issue 12) against PyTorch in float64: values and
gradients for the input, the grid and the affine parameters, every padding mode, both
align_corners settings; gradcheck."""

import numpy as np
import pytest
from fn_parity import check

import autograd_core as ag

torch = pytest.importorskip("torch")
rng = np.random.default_rng(7)
X = rng.standard_normal((2, 3, 5, 6))
THETA = rng.standard_normal((2, 2, 3)) * 0.8

CASES = {}
for align in (False, True):
    for padding in ("zeros", "border", "reflection"):
        CASES[f"stn bilinear {padding} align={align}"] = (
            lambda F, x, t, p=padding, a=align: F.grid_sample(
                x, F.affine_grid(t, (2, 3, 4, 7), align_corners=a), "bilinear", p, a
            ),
            [X, THETA],
        )
        CASES[f"nearest {padding} align={align}"] = (
            lambda F, x, p=padding, a=align: F.grid_sample(
                x, F.affine_grid(torch_or_ours(F, THETA), (2, 3, 4, 7), align_corners=a), "nearest", p, a
            ),
            [X],
        )
CASES["affine_grid 3d"] = (
    lambda F, t: F.affine_grid(t, (1, 2, 2, 3, 4), align_corners=False),
    [rng.standard_normal((1, 3, 4))],
)
CASES["grid_sample free grid"] = (
    lambda F, x, g: F.grid_sample(x, g, align_corners=False),
    [X[:1], rng.uniform(-1.3, 1.3, (1, 3, 4, 2))],
)


def torch_or_ours(F, a):
    return torch.tensor(a) if F.__name__.startswith("torch") else ag.tensor(a)


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    call, inputs = CASES[name]
    check(call, inputs)


@pytest.mark.parametrize(
    "call",
    [
        lambda F: F.grid_sample(ag.zeros(1, 1, 3, 3), ag.zeros(1, 2, 2, 2), mode="bicubic"),
        lambda F: F.grid_sample(ag.zeros(1, 1, 3, 3), ag.zeros(1, 2, 2, 2), padding_mode="wrap"),
        lambda F: F.grid_sample(ag.zeros(1, 1, 3, 3), ag.zeros(2, 2, 2, 2)),
        lambda F: F.affine_grid(ag.zeros(1, 2, 3), (1, 1, 2, 2, 2)),
        lambda F: F.affine_grid(ag.zeros(1, 2, 3), (1, 1, 4)),
    ],
)
def test_bad_arguments(call):
    with pytest.raises((ValueError, RuntimeError)):
        call(ag.functional)
