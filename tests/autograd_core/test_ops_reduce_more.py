"""nansum/nanmean, count_nonzero, aminmax, std_mean/var_mean, all/any with dim against PyTorch."""

import numpy as np
import pytest
from parity import check, params, raises_like_torch, rand

R = rand
NAN = np.array([[1.0, np.nan, 3.0, 0.5], [np.nan, np.nan, np.nan, np.nan], [2.0, 0.0, -1.0, 4.0]])
INTS = np.array([[0, 1, 2], [3, 0, 0]])
SPACED = np.random.default_rng(2).permutation(12).reshape(3, 4) * 0.5
NG = {"gradcheck": False}

CASES = [
    ("nansum", lambda m, x: m.nansum(x), NAN, NG),
    ("nansum dim", lambda m, x: x.nansum(1, keepdim=True), NAN, NG),
    ("nansum plain", lambda m, x: m.nansum(x, (0, 1)), R(2, 3)),
    ("nansum int", lambda m, x: m.nansum(x, 0), INTS),
    ("nanmean", lambda m, x: m.nanmean(x), NAN, NG),
    ("nanmean dim", lambda m, x: m.nanmean(x, dim=1), NAN, {"grad": False}),
    # (PyTorch's gradient through an all-NaN lane is NaN, ours 0: rows with a number only)
    ("nanmean dim grad", lambda m, x: m.nanmean(x[::2], dim=1), NAN, NG),
    ("nanmean plain", lambda m, x: x.nanmean(-1, keepdim=True), R(2, 3)),
    ("count_nonzero", lambda m, x: m.count_nonzero(x), INTS),
    ("count_nonzero dim", lambda m, x: (m.count_nonzero(x, 0), x.count_nonzero(dim=(0, 1))), INTS),
    ("aminmax", lambda m, x: m.aminmax(x), SPACED),
    ("aminmax dim", lambda m, x: x.aminmax(dim=1, keepdim=True), SPACED),
    ("aminmax int", lambda m, x: m.aminmax(x, dim=-1), INTS),
    ("var_mean", lambda m, x: m.var_mean(x), R(3, 4)),
    ("var_mean dim", lambda m, x: m.var_mean(x, 1, keepdim=True), R(3, 4)),
    ("var_mean correction", lambda m, x: m.var_mean(x, dim=(0, 1), correction=0), R(3, 4)),
    ("var_mean unbiased", lambda m, x: m.var_mean(x, 0, False), R(3, 4)),
    ("std_mean", lambda m, x: m.std_mean(x, dim=0), R(3, 4)),
    ("std_mean correction 2", lambda m, x: m.std_mean(x, -1, correction=2, keepdim=True), R(3, 4)),
    ("all any", lambda m, x: (m.all(x), m.any(x), m.all(x, 1), m.any(x, dim=0, keepdim=True)), INTS),
    ("all any dims", lambda m, x: (m.all(x > 0, dim=(0, 1)), m.any(x < 0, (1,))), R(2, 3, 4)),
    ("all any empty", lambda m, x: (m.all(x), m.any(x), m.all(x, 0)), np.zeros((0, 2))),
    ("all uint8", lambda m, x: (m.all(x), m.any(x, 1)), INTS.astype(np.uint8)),
]


@pytest.mark.parametrize("call,arrays,opts", params(CASES))
def test_matches_torch(call, arrays, opts):
    check(call, *arrays, **opts)


ERRORS = [
    ("nanmean int", lambda m, x: m.nanmean(x), INTS),
    ("all dim", lambda m, x: m.all(x, 3), INTS),
    ("aminmax empty", lambda m, x: m.aminmax(x), np.zeros((0,))),
]


@pytest.mark.parametrize("call,arrays,opts", params(ERRORS))
def test_rejects_like_torch(call, arrays, opts):
    raises_like_torch(call, *arrays)
