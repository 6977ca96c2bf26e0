"""Advanced indexing places the indexed dims as PyTorch does (ints are applied first, so
x[1, :, idx] keeps the slice in front), forward and gradient, for many index patterns."""

import numpy as np
import pytest
from parity import check

I = np.array([1, 0])  # noqa: E741
J = np.array([[1, 0], [3, 3]])
M = np.array([True, False, True])

PATTERNS = [
    ("1,:,i", lambda x, i, j, m: x[1, :, i]),
    ("0d,:,i", lambda x, i, j, m: x[i[0], :, i]),
    ("-1,:,i", lambda x, i, j, m: x[-1, :, i]),
    (":,1,i", lambda x, i, j, m: x[:, 1, i]),
    ("i,1", lambda x, i, j, m: x[i, 1]),
    ("i,:,1", lambda x, i, j, m: x[i, :, 1]),
    ("...,1,i", lambda x, i, j, m: x[..., 1, i]),
    ("1,...,i", lambda x, i, j, m: x[1, ..., i]),
    ("1,...,j", lambda x, i, j, m: x[1, ..., j]),
    ("i,i,1", lambda x, i, j, m: x[i, i, 1]),
    ("1,i,:,i", lambda x, i, j, m: x[1, i, :, i]),
    ("None,1,:,i", lambda x, i, j, m: x[None, 1, :, i]),
    ("1,None,:,j", lambda x, i, j, m: x[1, None, :, j]),
    ("i,None,i", lambda x, i, j, m: x[i, None, i]),
    (":,i,None,i", lambda x, i, j, m: x[:, i, None, i]),
    ("1,m", lambda x, i, j, m: x[1, m]),
    ("1,m,:,1", lambda x, i, j, m: x[1, m, :, 1]),
    ("i,m,1", lambda x, i, j, m: x[i, m, 1]),
    ("1,2,i", lambda x, i, j, m: x[1, 2, i]),
    ("1,:,:,j", lambda x, i, j, m: x[1, :, :, j]),
    ("j,1,:,j", lambda x, i, j, m: x[j[:, :1] % 2, 1, :, j]),
    ("i repeated", lambda x, i, j, m: x[1, :, i[[0, 0, 1]]]),
    ("slices only", lambda x, i, j, m: x[1, :2, 1:3]),
    ("ints only", lambda x, i, j, m: x[1, 2, 3]),
    ("i only", lambda x, i, j, m: x[:, :, i]),
]


@pytest.mark.parametrize("name,index", PATTERNS, ids=[p[0] for p in PATTERNS])
def test_placement_matches_torch(name, index):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))

    # the index arrays are built inside the call, per library, from the same values
    def call(m, t):
        return index(t, m.tensor(I), m.tensor(J), m.tensor(M))

    check(call, x)


def test_out_of_range_int_next_to_an_array_raises():
    import autograd_core as ag

    with pytest.raises(IndexError):
        ag.zeros(2, 3)[2, ag.tensor([0])]
