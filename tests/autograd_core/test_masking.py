"""masked_fill, tril, triu: forward against PyTorch, float64 gradcheck, edge cases."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.ops.masking import masked_fill, tril, triu

torch = pytest.importorskip("torch")
rng = np.random.default_rng(0)


@pytest.mark.parametrize("xshape,mshape", [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (2, 4)), ((), ()),
                                           ((0, 3), (3,)), ((2, 1, 3), (1, 5, 1))])
def test_masked_fill_matches_torch_and_gradchecks(xshape, mshape):
    x = rng.standard_normal(xshape)
    m = rng.random(mshape) < 0.5
    expected = torch.masked_fill(torch.tensor(x), torch.tensor(m), -7.5).numpy()
    got = masked_fill(ag.tensor(x), ag.tensor(m), -7.5)
    np.testing.assert_array_equal(got.numpy(), expected)
    xt = ag.tensor(x, requires_grad=True)
    if x.size:  # gradcheck perturbs elements; an empty input has none
        assert ag.gradcheck(lambda a: masked_fill(a, ag.tensor(m), 2.0), (xt,))


def test_masked_fill_method_and_tensor_value_gets_the_gradient():
    x = rng.standard_normal((3, 4))
    m = rng.random((3, 4)) < 0.5
    xt, vt = ag.tensor(x, requires_grad=True), ag.tensor(1.5, dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda a, v: a.masked_fill(ag.tensor(m), v), (xt, vt))
    tx, tv = torch.tensor(x, requires_grad=True), torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    (tx.masked_fill(torch.tensor(m), tv) * torch.tensor(x)).sum().backward()
    (xt.masked_fill(ag.tensor(m), vt) * ag.tensor(x)).sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(vt.grad.numpy(), tv.grad.numpy())


def test_masked_fill_keeps_integer_dtype_and_rejects_bad_masks():
    out = ag.tensor([1, 2, 3]).masked_fill(ag.tensor([True, False, False]), 9)
    assert out.dtype == np.int64 and out.tolist() == [9, 2, 3]
    with pytest.raises(TypeError, match="boolean masks"):
        ag.ones(3).masked_fill(ag.ones(3), 0.0)
    with pytest.raises(ValueError, match="masked_fill.*shape"):
        ag.ones(3).masked_fill(ag.tensor([True, False]), 0.0)
    with pytest.raises(ValueError, match="0-dimensional"):
        ag.ones(3).masked_fill(ag.tensor([True, False, True]), ag.ones(3))


@pytest.mark.parametrize("fn", ["tril", "triu"])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (2, 3, 4), (0, 3), (2, 0, 0)])
@pytest.mark.parametrize("diagonal", [0, 1, -1, 7, -7])
def test_triangles_match_torch(fn, shape, diagonal):
    x = rng.standard_normal(shape)
    expected = getattr(torch, fn)(torch.tensor(x), diagonal=diagonal).numpy()
    ours = {"tril": tril, "triu": triu}[fn]
    np.testing.assert_array_equal(ours(ag.tensor(x), diagonal=diagonal).numpy(), expected)
    np.testing.assert_array_equal(getattr(ag.tensor(x), fn)(diagonal).numpy(), expected)


@pytest.mark.parametrize("fn", [tril, triu])
def test_triangles_gradcheck_and_reject_1d(fn):
    x = ag.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    assert ag.gradcheck(lambda a: fn(a, 1), (x,))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        fn(ag.ones(3))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        fn(ag.tensor(1.0))


@pytest.mark.skipif(not hasattr(ag, "gradgradcheck"),
                    reason="higher-order gradients are not in this build yet")
def test_gradgradcheck():
    m = ag.tensor(rng.random((3, 4)) < 0.5)
    for fn in (lambda a: masked_fill(a * a, m, 2.0), lambda a: tril(a * a, -1), lambda a: triu(a * a, 1)):
        assert ag.gradgradcheck(fn, (ag.tensor(rng.standard_normal((3, 4)), requires_grad=True),))
