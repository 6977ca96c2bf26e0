"""one_hot against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.functional import one_hot

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("idx,n", [([0, 2, 1], -1), ([[0, 1], [3, 3]], 5), (2, 4), (np.zeros((0,), int), 3)])
def test_one_hot_matches_torch(idx, n):
    expected = torch.nn.functional.one_hot(torch.tensor(idx), n).numpy()
    got = one_hot(ag.tensor(idx), n)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.numpy(), expected)


@pytest.mark.parametrize("idx,n,match", [([0, 3], 3, "smaller than num_classes"), ([-1], 3, "non-negative"),
                                         (np.zeros((0,), int), -1, "empty"), ([0.5], 2, "index tensors")])
def test_one_hot_errors(idx, n, match):
    with pytest.raises(RuntimeError, match=match):
        one_hot(ag.tensor(idx), n)
