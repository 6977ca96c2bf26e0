"""The adjoint op pairs behind padding, resampling, unfold/fold, conv3d, conv_transpose
and max_unpool: each op is the other's backward, so <A x, y> == <x, Aᵀ y>, both pass
gradcheck, and first-order backward runs on plain arrays."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.ops.axis_index import AxisScatterAdd, AxisTake, axis_take
from autograd_core.ops.unfold import Col2Im, Im2Col

rng = np.random.default_rng(0)
IDX = np.array([3, 0, 0, 2, 3, 3])
GEOMETRY = ((2, 3), (1, 2), ((1, 0), (0, 2)), (2, 1))  # kernel, dilation, (lo, hi) padding, stride


def _inner(a, b):
    return float((a * b).sum())


def test_axis_take_and_scatter_add_are_adjoint():
    x, y = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 6, 3))
    ax = AxisTake.forward(AxisTake(), x, 1, IDX)
    aty = AxisScatterAdd.forward(AxisScatterAdd(), y, 1, IDX, 4)
    assert np.isclose(_inner(ax, y), _inner(x, aty))
    np.testing.assert_allclose(aty[:, 3], y[:, [0, 4, 5]].sum(1))


def test_im2col_and_col2im_are_adjoint():
    x = rng.standard_normal((2, 3, 5, 6))
    cols = Im2Col.forward(Im2Col(), x, *GEOMETRY, 0.0)
    y = rng.standard_normal(cols.shape)
    back = Col2Im.forward(Col2Im(), y, (5, 6), *GEOMETRY)
    assert np.isclose(_inner(cols, y), _inner(x, back))


@pytest.mark.parametrize(
    "fn, shape",
    [
        (lambda t: axis_take(t, 1, IDX), (2, 4, 3)),
        (lambda t: AxisScatterAdd.apply(t, 1, IDX, 5), (2, 6, 3)),
    ],
)
def test_axis_ops_gradcheck(fn, shape):
    x = ag.tensor(rng.standard_normal(shape), requires_grad=True)
    assert ag.gradcheck(fn, (x,))


def test_im2col_col2im_gradcheck():
    x = ag.tensor(rng.standard_normal((1, 2, 5, 6)), requires_grad=True)
    assert ag.gradcheck(lambda t: Im2Col.apply(t, *GEOMETRY, 0.0), (x,))
    cols = ag.tensor(
        rng.standard_normal(Im2Col.forward(Im2Col(), x._data, *GEOMETRY, 0.0).shape), requires_grad=True
    )
    assert ag.gradcheck(lambda t: Col2Im.apply(t, (5, 6), *GEOMETRY), (cols,))


def test_empty_index():
    x = ag.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    y = axis_take(x, 1, np.zeros(0, dtype=np.int64))
    assert y.shape == (2, 0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad._data, 0)
    with pytest.raises(IndexError):
        axis_take(x, 1, [4])
