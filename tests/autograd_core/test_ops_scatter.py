"""Scatter, index_* and masked ops against PyTorch: values and gradients (repeated
indices, include_self, ties and zeros in the reductions), gradcheck in float64."""

import numpy as np
import pytest
from parity import check, params, raises_like_torch, rand

import autograd_core as ag

R = rand
IDX = np.array([[0, 1, 0], [2, 0, 2]])  # repeats in every column
IDX1 = np.array([[1, 0, 2], [0, 0, 1]])  # for dim=1 of a (2, 3) tensor
NG = {"gradcheck": False}
TIE_SRC = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 0.5]])
TIE_IN = np.array([[1.0, 0.0, 3.0], [0.5, 2.0, -1.0], [1.0, 1.0, 1.0]])
ZSRC = np.array([[0.0, 2.0, 1.5], [-1.0, 0.0, 0.0]])
ZIN = np.array([[1.5, 0.0, 2.0], [0.5, 1.2, -1.0], [0.0, 0.7, 3.0]])

CASES = [
    (
        "scatter src",
        lambda m, x, s, i: m.scatter(x, 0, i, s),
        R(3, 3),
        R(2, 3),
        np.array([[0, 1, 2], [2, 0, 1]]),
    ),
    ("scatter repeats", lambda m, x, s, i: x.scatter(0, i, s), R(3, 3), R(2, 3), IDX, NG),
    (
        "scatter dim1",
        lambda m, x, s, i: m.scatter(x, 1, i[:, :1], s),
        R(2, 3),
        R(2, 3),
        IDX1,
        {"const": (1,)},
    ),
    (
        "scatter small index",
        lambda m, x, s, i: m.scatter(x, -1, i[:1, :2], s),
        R(2, 3),
        R(2, 4),
        IDX1,
        {"const": (1,)},
    ),
    ("scatter value", lambda m, x, i: m.scatter(x, 1, i, 2.5), R(2, 3), IDX1),
    ("scatter value kw", lambda m, x, i: x.scatter(1, i, value=-1.0), R(2, 3), IDX1),
    (
        "scatter reduce add",
        lambda m, x, s, i: m.scatter(x, 0, i, s, reduce="add"),
        R(3, 3),
        R(2, 3),
        IDX,
        {"grad": False},
    ),
    (
        "scatter reduce multiply",
        lambda m, x, s, i: x.scatter(0, i, s, reduce="multiply"),
        R(3, 3),
        R(2, 3),
        IDX,
        {"grad": False},
    ),
    (
        "scatter int",
        lambda m, x, s, i: m.scatter(x, 1, i, s),
        np.zeros((2, 3), np.int64),
        np.arange(6).reshape(2, 3),
        np.array([[2, 0, 1], [1, 2, 0]]),
    ),
    ("scatter_add", lambda m, x, s, i: m.scatter_add(x, 0, i, s), R(3, 3), R(2, 3), IDX),
    ("scatter_add dim1", lambda m, x, s, i: x.scatter_add(-1, i, s), R(2, 3), R(2, 3), IDX1),
    ("scatter_add 0d", lambda m, x, s, i: m.scatter_add(x, 0, i, s), R(), R(), np.array(0)),
    ("scatter_add empty", lambda m, x, s, i: m.scatter_add(x, 0, i, s), R(3), R(0), np.zeros(0, np.int64)),
    ("scatter_reduce sum", lambda m, x, s, i: m.scatter_reduce(x, 0, i, s, "sum"), R(3, 3), R(2, 3), IDX),
    (
        "scatter_reduce sum excl",
        lambda m, x, s, i: m.scatter_reduce(x, 0, i, s, "sum", include_self=False),
        R(3, 3),
        R(2, 3),
        IDX,
    ),
    ("scatter_reduce mean", lambda m, x, s, i: m.scatter_reduce(x, 0, i, s, "mean"), R(3, 3), R(2, 3), IDX),
    (
        "scatter_reduce mean excl",
        lambda m, x, s, i: x.scatter_reduce(0, i, s, "mean", include_self=False),
        R(3, 3),
        R(2, 3),
        IDX,
    ),
    (
        "scatter_reduce mean int",
        lambda m, x, s, i: m.scatter_reduce(x, 0, i, s, "mean"),
        np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]),
        np.array([[2, 4, 5], [1, 1, 2]]),
        IDX,
    ),
    ("scatter_reduce amax", lambda m, x, s, i: m.scatter_reduce(x, 0, i, s, "amax"), R(3, 3), R(2, 3), IDX),
    (
        "scatter_reduce amin excl",
        lambda m, x, s, i: m.scatter_reduce(x, 0, i, s, "amin", include_self=False),
        R(3, 3),
        R(2, 3),
        IDX,
    ),
    (
        "scatter_reduce amax ties",
        lambda m, x, s, i: m.scatter_reduce(x, 0, i, s, "amax"),
        TIE_IN,
        TIE_SRC,
        IDX,
        NG,
    ),
    (
        "scatter_reduce amin ties",
        lambda m, x, s, i: m.scatter_reduce(x, 0, i, s, "amin"),
        TIE_IN,
        TIE_SRC,
        IDX,
        NG,
    ),
    ("scatter_reduce prod", lambda m, x, s, i: m.scatter_reduce(x, 0, i, s, "prod"), R(3, 3), R(2, 3), IDX),
    (
        "scatter_reduce prod excl",
        lambda m, x, s, i: m.scatter_reduce(x, 0, i, s, "prod", include_self=False),
        R(3, 3),
        R(2, 3),
        IDX,
    ),
    (
        "scatter_reduce prod zeros",
        lambda m, x, s, i: m.scatter_reduce(x, 0, i, s, "prod"),
        ZIN,
        ZSRC,
        IDX,
        NG,
    ),
    (
        "scatter_reduce prod zeros excl",
        lambda m, x, s, i: m.scatter_reduce(x, 0, i, s, "prod", include_self=False),
        ZIN,
        ZSRC,
        IDX,
        NG,
    ),
    ("index_add", lambda m, x, s, i: m.index_add(x, 0, i, s), R(3, 2), R(4, 2), np.array([0, 2, 0, 1])),
    (
        "index_add alpha dim",
        lambda m, x, s, i: x.index_add(1, i, s, alpha=2.5),
        R(2, 3),
        R(2, 2),
        np.array([2, 2]),
    ),
    (
        "index_add int",
        lambda m, x, s, i: m.index_add(x, 0, i, s),
        np.zeros(3, np.int64),
        np.array([1, 2, 3]),
        np.array([0, 0, 2]),
    ),
    ("index_copy", lambda m, x, s, i: m.index_copy(x, 0, i, s), R(4, 2), R(2, 2), np.array([3, 1])),
    ("index_copy dim", lambda m, x, s, i: x.index_copy(-1, i, s), R(2, 4), R(2, 2), np.array([0, 2])),
    ("index_fill", lambda m, x, i: m.index_fill(x, 1, i, -2.0), R(2, 3), np.array([0, -1])),
    ("index_fill tensor value", lambda m, x, v, i: x.index_fill(0, i, v), R(3, 2), R(), np.array([1, 1])),
    ("index_put", lambda m, x, v, i: m.index_put(x, (i,), v), R(4, 2), R(2, 2), np.array([3, 0])),
    ("index_put broadcast", lambda m, x, v, i: x.index_put((i, i), v), R(4, 4), R(1), np.array([3, 0, 1])),
    (
        "index_put accumulate",
        lambda m, x, v, i: m.index_put(x, (i,), v, accumulate=True),
        R(4, 2),
        R(3, 2),
        np.array([3, 0, 3]),
    ),
    ("index_put bool", lambda m, x, v: x.index_put((x > 0,), v), R(3, 3), R()),
    ("masked_scatter", lambda m, x, s: m.masked_scatter(x, x > 0, s), R(3, 3), R(10)),
    ("masked_scatter broadcast", lambda m, x, s: x.masked_scatter(x[0] > 0, s), R(3, 3), R(10)),
    ("masked_select", lambda m, x: m.masked_select(x, x > 0), R(3, 4)),
    ("masked_select broadcast", lambda m, x, y: m.masked_select(x, y > 0), R(3, 1), R(4)),
    ("take", lambda m, x, i: m.take(x, i), R(3, 4), np.array([[0, -1], [5, 5]])),
    ("take 0d index", lambda m, x, i: x.take(i), R(3, 4), np.array(7)),
    (
        "take_along_dim",
        lambda m, x, i: m.take_along_dim(x, i, 1),
        R(3, 4),
        np.array([[0, 3], [1, 1], [2, 0]]),
    ),
    ("take_along_dim broadcast", lambda m, x, i: m.take_along_dim(x, i, 0), R(3, 4), np.array([[2], [0]])),
    ("take_along_dim argsort", lambda m, x: x.take_along_dim(x.argsort(-1), -1), R(3, 4)),
    ("take_along_dim none", lambda m, x, i: m.take_along_dim(x, i), R(3, 4), np.array([11, 0, 0])),
    ("nonzero", lambda m, x: m.nonzero(x), np.array([[0, 1, 2], [3, 0, 0]])),
    ("nonzero as_tuple", lambda m, x: x.nonzero(as_tuple=True), np.array([[0, 1, 2], [3, 0, 0]])),
    ("nonzero 1d bool", lambda m, x: m.nonzero(x > 0), R(5)),
    ("nonzero empty", lambda m, x: m.nonzero(x), np.zeros((0, 2))),
    ("argwhere", lambda m, x: m.argwhere(x), np.array([[0.0, 1.0], [2.0, 0.0]])),
]


@pytest.mark.parametrize("call,arrays,opts", params(CASES))
def test_matches_torch(call, arrays, opts):
    check(call, *arrays, **opts)


def test_where_one_argument_is_nonzero_as_tuple():
    torch = pytest.importorskip("torch")
    from autograd_core.ops.scatter import where_nonzero

    x = np.array([[0, 1], [1, 1]])
    ours, theirs = where_nonzero(ag.tensor(x)), torch.where(torch.tensor(x))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o._data, t.numpy())


ERRORS = [
    ("scatter index dims", lambda m, x, s, i: m.scatter(x, 0, i[0], s), R(3, 3), R(2, 3), IDX),
    ("scatter index range", lambda m, x, s, i: m.scatter(x, 0, i + 3, s), R(3, 3), R(2, 3), IDX),
    ("scatter float index", lambda m, x, s: m.scatter(x, 0, s, s), R(3, 3), R(2, 3)),
    ("scatter dtype", lambda m, x, s, i: m.scatter(x, 0, i, s.float()), R(3, 3), R(2, 3), IDX),
    ("scatter_reduce name", lambda m, x, s, i: m.scatter_reduce(x, 0, i, s, "median"), R(3, 3), R(2, 3), IDX),
    ("scatter negative", lambda m, x, s, i: m.scatter(x, 0, i - 1, s), R(3, 3), R(2, 3), IDX),
    ("index_add negative", lambda m, x, s, i: m.index_add(x, 0, i, s), R(3), R(1), np.array([-1])),
    ("index_add shape", lambda m, x, s, i: m.index_add(x, 0, i, s), R(3, 2), R(4, 3), np.array([0, 2, 0, 1])),
    ("index_copy range", lambda m, x, s, i: m.index_copy(x, 0, i, s), R(3, 2), R(1, 2), np.array([3])),
    ("take range", lambda m, x, i: m.take(x, i), R(2, 2), np.array([4])),
    ("masked_select mask dtype", lambda m, x: m.masked_select(x, x), R(2, 2)),
]


@pytest.mark.parametrize("call,arrays,opts", params(ERRORS))
def test_rejects_like_torch(call, arrays, opts):
    raises_like_torch(call, *arrays)
