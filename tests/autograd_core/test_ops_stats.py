"""The compositions of torch.linalg (multi_dot, matrix_power, pinv, lstsq, ...) and the
counting/statistics/combinatorics ops against PyTorch, with gradcheck in float64."""

import numpy as np
import pytest
from parity import check, params, raises_like_torch, rand

R = rand
W = R(3, 3, seed=5) + 3 * np.eye(3)
INTS = np.array([0, 1, 1, 3, 0, 5])

CASES = [
    ("multi_dot", lambda m, a, b, c: m.linalg.multi_dot([a, b, c]), R(2, 3), R(3, 4), R(4, 2)),
    ("multi_dot vectors", lambda m, a, b, c: m.linalg.multi_dot([a, b, c]), R(3), R(3, 4), R(4)),
    ("matrix_power 3", lambda m, a: m.linalg.matrix_power(a, 3), R(3, 3)),
    ("matrix_power 0", lambda m, a: m.linalg.matrix_power(a, 0), R(2, 3, 3)),
    ("matrix_power -2", lambda m, a: a.matrix_power(-2), W),
    ("matrix_exp", lambda m, a: m.linalg.matrix_exp(a), R(3, 3)),
    ("matrix_exp big", lambda m, a: a.matrix_exp(), R(2, 3, 3) * 4),
    ("pinv", lambda m, a: m.linalg.pinv(a), R(4, 3)),
    ("pinv wide", lambda m, a: m.linalg.pinv(a), R(2, 3)),
    ("pinverse", lambda m, a: a.pinverse(), R(3, 2)),
    ("matrix_rank", lambda m, a: m.linalg.matrix_rank(a @ a.mT), R(4, 2), {"grad": False}),
    ("matrix_rank tol", lambda m, a: m.linalg.matrix_rank(a, atol=1.0), R(3, 3), {"grad": False}),
    ("lstsq", lambda m, a, b: m.linalg.lstsq(a, b).solution, R(5, 3), R(5, 2)),
    ("lstsq vector", lambda m, a, b: m.linalg.lstsq(a, b).solution, R(5, 3), R(5)),
    ("lstsq gelsd", lambda m, a, b: tuple(m.linalg.lstsq(a, b, driver="gelsd")), R(5, 3), R(5, 2)),
    ("solve_triangular upper", lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True), W, R(3, 2)),
    (
        "solve_triangular lower right",
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, left=False),
        W,
        R(2, 3),
    ),
    (
        "solve_triangular unit",
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True, unitriangular=True),
        W,
        R(3, 2),
    ),
    ("vecdot", lambda m, a, b: m.linalg.vecdot(a, b), R(2, 3), R(3)),
    ("linalg.diagonal", lambda m, a: m.linalg.diagonal(a, offset=1), R(2, 3, 4)),
    ("linalg.matmul", lambda m, a, b: m.linalg.matmul(a, b), R(2, 3), R(3)),
    ("bincount", lambda m, x: m.bincount(x), INTS),
    ("bincount minlength", lambda m, x: x.bincount(minlength=8), INTS),
    ("bincount weights", lambda m, x, w: m.bincount(x, w), INTS, R(6), {"grad": False}),
    ("bincount weights f32", lambda m, x, w: m.bincount(x, weights=w), INTS, R(6).astype(np.float32)),
    ("histc", lambda m, x: m.histc(x, bins=4, min=0, max=3), np.array([1.0, 2.0, 1.0, 3.0, -1.0, 2.5])),
    ("histc auto", lambda m, x: x.histc(bins=5), R(20), {"grad": False}),
    ("cov", lambda m, x: m.cov(x), R(3, 5)),
    ("cov 1d", lambda m, x: m.cov(x, correction=0), R(5)),
    (
        "cov weights",
        lambda m, x, f, a: m.cov(x, fweights=f, aweights=a),
        R(2, 4),
        np.array([1, 2, 1, 3]),
        R(4, lo=0.5, hi=1.5),
    ),
    ("corrcoef", lambda m, x: m.corrcoef(x), R(3, 6)),
    ("trapezoid", lambda m, y: m.trapezoid(y), R(2, 5)),
    ("trapezoid dx dim", lambda m, y: m.trapezoid(y, dx=0.5, dim=0), R(4, 3)),
    ("trapezoid x", lambda m, y, x: m.trapezoid(y, x), R(2, 5), np.cumsum(R(5, lo=0.1, hi=1.0))),
    ("trapz", lambda m, y: m.trapz(y), R(4)),
    ("cumulative_trapezoid", lambda m, y: m.cumulative_trapezoid(y, dim=0), R(4, 2)),
    (
        "cumulative_trapezoid x",
        lambda m, y, x: m.cumulative_trapezoid(y, x),
        R(2, 5),
        np.cumsum(R(5, lo=0.1, hi=1.0)),
    ),
    ("dist", lambda m, a, b: m.dist(a, b), R(2, 3), R(3)),
    ("dist p", lambda m, a, b: a.dist(b, 3), R(2, 3), R(2, 3, seed=1)),
    ("block_diag", lambda m, a, b, c: m.block_diag(a, b, c), R(2, 2), R(3), R(1, 3)),
    ("block_diag 0d", lambda m, a, b: m.block_diag(a, b), R(), R(2, 1)),
    ("cartesian_prod", lambda m, a, b: m.cartesian_prod(a, b), R(2), R(3)),
    ("cartesian_prod one", lambda m, a: m.cartesian_prod(a), R(3)),
    ("combinations", lambda m, a: m.combinations(a), R(4)),
    ("combinations r3 repl", lambda m, a: m.combinations(a, 3, with_replacement=True), R(3)),
    ("combinations too long", lambda m, a: m.combinations(a, 4), R(3)),
    (
        "queries",
        lambda m, a: (
            m.is_tensor(a),
            m.is_tensor(1.0),
            m.is_floating_point(a),
            a.is_floating_point(),
            m.is_nonzero(a[:1]),
        ),
        R(3),
        {"gradcheck": False},
    ),
]


@pytest.mark.parametrize("call,arrays,opts", params(CASES))
def test_matches_torch(call, arrays, opts):
    check(
        call,
        *arrays,
        **{
            "rtol": 1e-6,
            "atol": 1e-9,
            "const": (1, 2) if len(arrays) > 1 and arrays[1].dtype.kind == "i" else (),
            **opts,
        },
    )


ERRORS = [
    ("bincount negative", lambda m, x: m.bincount(x - 1), INTS),
    ("bincount 2d", lambda m, x: m.bincount(x.reshape(2, 3)), INTS),
    ("multi_dot one", lambda m, a: m.linalg.multi_dot([a]), R(2, 2)),
    ("matrix_power shape", lambda m, a: m.linalg.matrix_power(a, 2), R(2, 3)),
    ("combinations 2d", lambda m, a: m.combinations(a), R(2, 2)),
    ("is_nonzero many", lambda m, a: m.is_nonzero(a), R(2)),
]


@pytest.mark.parametrize("call,arrays,opts", params(ERRORS))
def test_rejects_like_torch(call, arrays, opts):
    raises_like_torch(call, *arrays)
