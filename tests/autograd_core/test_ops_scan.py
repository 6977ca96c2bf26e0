"""Scans and ordering ops against PyTorch: values, indices, dtypes and gradients, with
gradcheck in float64 (ties, NaNs, zeros, empty and 0-d tensors included)."""

import numpy as np
import pytest
from parity import check, params, raises_like_torch, rand

R = rand
TIES = np.array([[1.0, 3.0, 3.0, 0.5], [2.0, 2.0, -1.0, 2.0], [0.0, 1.0, 0.0, 1.0]])
NAN = np.array([[1.0, np.nan, 3.0, 0.5, np.nan], [2.0, 0.0, -1.0, 4.0, 1.0]])
ZEROS = np.array(
    [[1.5, 0.0, 2.0, -1.0, 0.0, 3.0], [0.0, 2.0, 0.5, 1.0, 2.0, -0.5], [1.0, 2.0, 0.5, 1.5, -2.0, 0.7]]
)
INTS = np.array([[3, 1, 2, 1], [0, 5, 5, -2]])
SPACED = np.random.default_rng(1).permutation(24).reshape(2, 3, 4) * 0.25

SCANS = [
    ("cumsum", lambda m, x: m.cumsum(x, 1), R(2, 3, 4)),
    ("cumsum neg dim", lambda m, x: x.cumsum(-1), R(2, 3)),
    ("cumsum 0d", lambda m, x: m.cumsum(x, 0), R()),
    ("cumsum empty", lambda m, x: m.cumsum(x, 0), R(0, 3)),
    ("cumsum int", lambda m, x: m.cumsum(x, 1), INTS),
    ("cumsum bool", lambda m, x: m.cumsum(x > 1, 0), INTS),
    ("cumsum dtype", lambda m, x: m.cumsum(x, 0, dtype=m.float64), INTS),
    ("cumsum float32", lambda m, x: m.cumsum(x, 0), R(5).astype(np.float32)),
    ("cumprod", lambda m, x: m.cumprod(x, 1), R(2, 5)),
    ("cumprod zeros", lambda m, x: m.cumprod(x, 1), ZEROS),
    ("cumprod zeros dim0", lambda m, x: x.cumprod(0), ZEROS),
    ("cumprod 0d", lambda m, x: m.cumprod(x, 0), R()),
    ("cumprod int", lambda m, x: m.cumprod(x, 1), INTS),
    ("cummax", lambda m, x: m.cummax(x, 1), TIES, {"gradcheck": False}),
    ("cummin", lambda m, x: x.cummin(0), TIES, {"gradcheck": False}),
    ("cummax nan", lambda m, x: m.cummax(x, 1), NAN, {"gradcheck": False}),
    ("cummin nan", lambda m, x: m.cummin(x, 1), NAN, {"gradcheck": False}),
    ("cummax int", lambda m, x: m.cummax(x, 1), INTS),
    ("cummax 0d", lambda m, x: m.cummax(x, 0), R()),
    ("logcumsumexp", lambda m, x: m.logcumsumexp(x, 1), R(2, 5)),
    ("logcumsumexp big", lambda m, x: m.logcumsumexp(x * 400, 0), R(4, 3)),
    ("logcumsumexp 0d", lambda m, x: x.logcumsumexp(0), R()),
    ("diff", lambda m, x: m.diff(x), R(2, 5)),
    ("diff n2 dim0", lambda m, x: m.diff(x, n=2, dim=0), R(4, 3)),
    (
        "diff prepend append",
        lambda m, x, p, a: m.diff(x, dim=1, prepend=p, append=a),
        R(2, 3),
        R(2, 1),
        R(2, 2),
    ),
    ("diff int", lambda m, x: x.diff(), INTS),
    ("diff bool", lambda m, x: m.diff(x > 1), INTS),
    ("diff n too large", lambda m, x: m.diff(x, n=5), R(3)),
]

ORDERING = [
    ("sort", lambda m, x: m.sort(x), SPACED),
    ("sort ties", lambda m, x: m.sort(x, 1), TIES, {"gradcheck": False}),
    ("sort descending ties", lambda m, x: m.sort(x, 1, descending=True), TIES, {"gradcheck": False}),
    (
        "sort stable kw",
        lambda m, x: m.sort(x, dim=0, descending=True, stable=True),
        TIES,
        {"gradcheck": False},
    ),
    ("sort nan", lambda m, x: m.sort(x), NAN, {"gradcheck": False}),
    ("sort nan descending", lambda m, x: x.sort(descending=True), NAN, {"gradcheck": False}),
    ("sort int", lambda m, x: m.sort(x, 0), INTS),
    ("sort 0d", lambda m, x: m.sort(x), R()),
    ("sort empty", lambda m, x: m.sort(x, 0), R(0, 2)),
    ("argsort", lambda m, x: m.argsort(x, 1, descending=True), TIES, {"gradcheck": False}),
    ("argsort stable", lambda m, x: x.argsort(dim=0, stable=True), TIES, {"gradcheck": False}),
    ("msort", lambda m, x: m.msort(x), TIES, {"gradcheck": False}),
    ("kthvalue", lambda m, x: m.kthvalue(x, 2, 1), SPACED),
    ("kthvalue keepdim", lambda m, x: x.kthvalue(2, 0, keepdim=True), SPACED),
    ("median all", lambda m, x: m.median(x), SPACED),
    ("median dim", lambda m, x: m.median(x, 1), SPACED),
    ("median dim even", lambda m, x: x.median(-1, keepdim=True), SPACED),
    ("median ties", lambda m, x: m.median(x, 1), TIES, {"gradcheck": False}),
    ("median nan", lambda m, x: m.median(x, 1), NAN, {"gradcheck": False}),
    ("median nan all", lambda m, x: m.median(x), NAN, {"gradcheck": False}),
    ("median int", lambda m, x: m.median(x, 1), INTS),
    ("nanmedian", lambda m, x: m.nanmedian(x, 1), NAN, {"gradcheck": False}),
    ("nanmedian all", lambda m, x: m.nanmedian(x), NAN, {"gradcheck": False}),
    ("mode", lambda m, x: m.mode(x, 1), TIES, {"gradcheck": False}),
    ("mode int", lambda m, x: m.mode(x), INTS),
    ("mode dim0", lambda m, x: x.mode(0, keepdim=True), TIES, {"gradcheck": False}),
    ("quantile", lambda m, x: m.quantile(x, 0.3), SPACED),
    ("quantile dim", lambda m, x: m.quantile(x, 0.75, dim=1), SPACED),
    (
        "quantile tensor q",
        lambda m, x, q: m.quantile(x, q, dim=-1, keepdim=True),
        SPACED,
        np.array([0.0, 0.5, 0.9, 1.0]),
    ),
    ("quantile keepdim none", lambda m, x: m.quantile(x, 0.4, keepdim=True), SPACED),
    ("quantile lower", lambda m, x: m.quantile(x, 0.4, dim=1, interpolation="lower"), SPACED),
    ("quantile higher", lambda m, x: m.quantile(x, 0.4, dim=1, interpolation="higher"), SPACED),
    ("quantile midpoint", lambda m, x: m.quantile(x, 0.4, dim=1, interpolation="midpoint"), SPACED),
    (
        "quantile nearest",
        lambda m, x, q: m.quantile(x, q, dim=2, interpolation="nearest"),
        SPACED,
        np.array([0.5, 1 / 6, 0.25]),
    ),
    ("quantile nan", lambda m, x: m.quantile(x, 0.5, dim=1), NAN, {"gradcheck": False}),
    ("nanquantile", lambda m, x: m.nanquantile(x, 0.5, dim=1), NAN, {"gradcheck": False}),
    ("Tensor.quantile", lambda m, x: x.quantile(0.2), SPACED),
    ("unique", lambda m, x: m.unique(x), INTS),
    ("unique all", lambda m, x: m.unique(x, return_inverse=True, return_counts=True), INTS),
    (
        "unique dim",
        lambda m, x: m.unique(x, dim=0, return_inverse=True, return_counts=True),
        np.array([[1, 2], [0, 1], [1, 2]]),
    ),
    (
        "unique nan",
        lambda m, x: m.unique(x, return_counts=True),
        np.array([1.0, np.nan, np.nan, 0.5, 1.0]),
        {"grad": False},
    ),
    (
        "unique unsorted",
        lambda m, x: m.unique(x, sorted=False, return_inverse=True),
        np.array([3, 1, 2, 1, 3]),
    ),
    ("Tensor.unique", lambda m, x: x.unique(return_counts=True), TIES, {"gradcheck": False}),
    (
        "unique_consecutive",
        lambda m, x: m.unique_consecutive(x, return_inverse=True, return_counts=True),
        np.array([1, 1, 2, 2, 3, 1, 1, 2]),
    ),
    (
        "unique_consecutive dim",
        lambda m, x: m.unique_consecutive(x, return_counts=True, dim=0),
        np.array([[1, 2], [1, 2], [0, 1], [1, 2]]),
    ),
    (
        "searchsorted",
        lambda m, s, v: m.searchsorted(s, v),
        np.array([1.0, 2.0, 2.0, 5.0]),
        np.array([[2.0, 0.0], [6.0, 3.0]]),
    ),
    (
        "searchsorted right",
        lambda m, s, v: m.searchsorted(s, v, right=True),
        np.array([1.0, 2.0, 2.0, 5.0]),
        np.array([2.0, 5.0]),
    ),
    (
        "searchsorted side int32",
        lambda m, s, v: m.searchsorted(s, v, side="right", out_int32=True),
        np.array([1, 3, 3]),
        np.array([3, 0]),
    ),
    (
        "searchsorted nd",
        lambda m, s, v: m.searchsorted(s, v),
        np.array([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]),
        np.array([[3.0, 6.0], [1.0, 4.0]]),
    ),
    (
        "searchsorted sorter",
        lambda m, s, v, o: m.searchsorted(s, v, sorter=o),
        np.array([5.0, 1.0, 3.0]),
        np.array([2.0, 4.0]),
        np.array([1, 2, 0]),
    ),
    (
        "bucketize",
        lambda m, v, b: m.bucketize(v, b),
        np.array([[0.5, 2.0], [3.0, 9.0]]),
        np.array([1.0, 2.0, 3.0]),
    ),
    (
        "bucketize right",
        lambda m, v, b: m.bucketize(v, b, right=True),
        np.array([0.5, 2.0, 3.0]),
        np.array([1.0, 2.0, 3.0]),
    ),
]


@pytest.mark.parametrize("call,arrays,opts", params(SCANS + ORDERING))
def test_matches_torch(call, arrays, opts):
    check(call, *arrays, **{"const": (1, 2, 3), **opts})


ERRORS = [
    ("cumsum dim", lambda m, x: m.cumsum(x, 2), R(2, 3)),
    ("kthvalue k", lambda m, x: m.kthvalue(x, 4, 1), R(2, 3)),
    ("quantile q", lambda m, x: m.quantile(x, 1.5), R(3)),
    ("quantile interpolation", lambda m, x: m.quantile(x, 0.5, interpolation="cubic"), R(3)),
    ("quantile int", lambda m, x: m.quantile(x, 0.5), INTS),
    ("sort dim", lambda m, x: m.sort(x, 3), R(2, 3)),
]


@pytest.mark.parametrize("name,call,arrays", [pytest.param(c[0], c[1], c[2:], id=c[0]) for c in ERRORS])
def test_rejects_like_torch(name, call, arrays):
    raises_like_torch(call, *arrays)
