"""topk: values and indices against PyTorch, gradients through the values."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.ops.sorting import topk

torch = pytest.importorskip("torch")
rng = np.random.default_rng(1)


@pytest.mark.parametrize("shape,k,dim", [((7,), 3, 0), ((4, 6), 2, -1), ((4, 6), 4, 0), ((2, 3, 5), 5, -1),
                                         ((2, 3, 5), 0, 1), ((3, 0), 0, 1), ((0, 4), 2, 1)])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_torch(shape, k, dim, largest):
    x = rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)  # no ties
    v, i = torch.topk(torch.tensor(x), k, dim=dim, largest=largest)
    got = topk(ag.tensor(x), k, dim=dim, largest=largest)
    np.testing.assert_array_equal(got.values.numpy(), v.numpy())
    np.testing.assert_array_equal(got.indices.numpy(), i.numpy())
    assert got.indices.dtype == np.int64
    method = ag.tensor(x).topk(k, dim, largest)
    np.testing.assert_array_equal(method[0].numpy(), v.numpy())


def test_topk_values_gradcheck_and_grad_matches_torch():
    x = rng.standard_normal((3, 6))
    xt = ag.tensor(x, requires_grad=True)
    assert ag.gradcheck(lambda a: topk(a, 3, dim=1).values, (xt,))
    tx = torch.tensor(x, requires_grad=True)
    (torch.topk(tx, 2, dim=0).values * 3).sum().backward()
    (topk(xt, 2, dim=0).values * 3).sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy(), tx.grad.numpy())


def test_topk_zero_dim_nan_and_errors():
    r = topk(ag.tensor(3.0), 1)
    assert r.values.shape == () and r.indices.item() == 0 and r.values.item() == 3.0
    x = np.array([1.0, np.nan, 3.0])
    expected = torch.topk(torch.tensor(x), 2).indices
    np.testing.assert_array_equal(topk(ag.tensor(x), 2).indices.numpy(), expected)
    with pytest.raises(RuntimeError, match="out of range"):
        topk(ag.ones(3), 4)
    with pytest.raises(IndexError, match="dim"):
        topk(ag.ones(3), 1, dim=2)
    assert type(r).__name__ == "topk" and r._fields == ("values", "indices")
