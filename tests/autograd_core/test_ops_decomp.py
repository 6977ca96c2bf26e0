"""torch.linalg's factorisations and norms against PyTorch, with gradcheck in float64 on
well-conditioned inputs (gauge-invariant functions of svd/eigh/qr vectors)."""

import math

import numpy as np
import pytest
from parity import check, params, raises_like_torch, rand

R = rand


def spd(n, batch=()):
    a = R(*batch, n, n, seed=3)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def well(n, batch=()):
    return R(*batch, n, n, seed=5) + 3 * np.eye(n)


def sym(m, a):
    return (a + a.mT) / 2


CASES = [
    ("det", lambda m, a: m.linalg.det(a), well(3)),
    ("det batch", lambda m, a: m.linalg.det(a), well(3, (2,))),
    ("Tensor.det", lambda m, a: a.det(), well(2)),
    # at a singular matrix PyTorch (2.13, CPU) returns a zero gradient; the derivative of det
    # there is adj(A)ᵀ, which is what gradcheck confirms for ours
    (
        "det singular",
        lambda m, a: m.linalg.det(a),
        np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]]),
        {"torch_grad": False},
    ),
    (
        "det singular batch",
        lambda m, a: m.linalg.det(a),
        np.stack([np.array([[1.0, 2.0], [2.0, 4.0]]), well(2)]),
        {"torch_grad": False},
    ),
    ("slogdet", lambda m, a: m.linalg.slogdet(a), -well(3)),
    ("logdet", lambda m, a: m.logdet(a), spd(3)),
    ("inv", lambda m, a: m.linalg.inv(a), well(3)),
    ("inv batch", lambda m, a: m.linalg.inv(a), well(3, (2, 2))),
    ("inverse", lambda m, a: a.inverse(), well(3)),
    ("solve", lambda m, a, b: m.linalg.solve(a, b), well(3), R(3, 2)),
    ("solve vector", lambda m, a, b: m.linalg.solve(a, b), well(3), R(3)),
    ("solve batch vector", lambda m, a, b: m.linalg.solve(a, b), well(3, (2,)), R(2, 3)),
    ("solve broadcast", lambda m, a, b: m.linalg.solve(a, b), well(3), R(2, 3, 2)),
    ("solve right", lambda m, a, b: m.linalg.solve(a, b, left=False), well(3), R(2, 3)),
    ("cholesky", lambda m, a: m.linalg.cholesky(a @ a.mT + 3 * m.eye(3, dtype=a.dtype)), R(3, 3)),
    (
        "cholesky upper",
        lambda m, a: m.linalg.cholesky(a @ a.mT + 3 * m.eye(3, dtype=a.dtype), upper=True),
        R(3, 3),
    ),
    ("qr", lambda m, a: m.linalg.qr(a), R(4, 3)),
    ("qr square batch", lambda m, a: m.linalg.qr(a), R(2, 3, 3)),
    (
        "svd reconstruct",
        lambda m, a: (lambda u, s, vh: (u * s.unsqueeze(-2)) @ vh)(*m.linalg.svd(a, full_matrices=False)),
        R(4, 3),
    ),
    ("svd S", lambda m, a: m.linalg.svd(a, full_matrices=False)[1], R(3, 4)),
    (
        "svd gauge-free",
        lambda m, a: (lambda u, s, vh: (u @ u.mT, vh.mT @ vh, s))(*m.linalg.svd(a, full_matrices=False)),
        R(4, 3),
    ),
    (
        "svd UV products",
        lambda m, a: (lambda u, s, vh: u @ vh)(*m.linalg.svd(a, full_matrices=False)),
        R(3, 3),
    ),
    ("svdvals", lambda m, a: m.linalg.svdvals(a), R(2, 3, 5)),
    ("eigh values", lambda m, a: m.linalg.eigh(sym(m, a))[0], R(4, 4)),
    (
        "eigh projector",
        lambda m, a: (lambda w, v: (v * w.unsqueeze(-2)) @ v.mT)(*m.linalg.eigh(sym(m, a))),
        R(4, 4),
    ),
    (
        "eigh first vector",
        lambda m, a: (lambda w, v: v[:, :1] @ v[:, :1].mT)(*m.linalg.eigh(sym(m, a))),
        R(3, 3),
    ),
    ("eigvalsh", lambda m, a: m.linalg.eigvalsh(sym(m, a)), R(2, 3, 3)),
    ("vector_norm", lambda m, a: m.linalg.vector_norm(a), R(2, 3)),
    ("vector_norm dim", lambda m, a: m.linalg.vector_norm(a, dim=-1, keepdim=True), R(2, 3)),
    ("vector_norm 1", lambda m, a: m.linalg.vector_norm(a, 1, dim=(0, 1)), R(2, 3)),
    ("vector_norm 3", lambda m, a: m.linalg.vector_norm(a, 3, dim=0), R(2, 3)),
    ("vector_norm 0.5", lambda m, a: m.linalg.vector_norm(a, 0.5), R(4)),
    ("vector_norm inf", lambda m, a: m.linalg.vector_norm(a, math.inf, dim=1), R(2, 3)),
    ("vector_norm -inf", lambda m, a: m.linalg.vector_norm(a, -math.inf), R(2, 3)),
    ("vector_norm 0", lambda m, a: m.linalg.vector_norm(a, 0), np.array([0.0, 1.5, -2.0])),
    ("vector_norm at zero", lambda m, a: m.linalg.vector_norm(a * 0), R(3)),
    ("matrix_norm fro", lambda m, a: m.linalg.matrix_norm(a), R(2, 3, 4)),
    ("matrix_norm nuc", lambda m, a: m.linalg.matrix_norm(a, "nuc"), R(3, 4)),
    ("matrix_norm 2", lambda m, a: m.linalg.matrix_norm(a, 2), R(3, 4)),
    ("matrix_norm -2", lambda m, a: m.linalg.matrix_norm(a, -2, keepdim=True), R(2, 3, 4)),
    ("matrix_norm 1", lambda m, a: m.linalg.matrix_norm(a, 1), R(3, 4)),
    ("matrix_norm -1", lambda m, a: m.linalg.matrix_norm(a, -1), R(3, 4)),
    ("matrix_norm inf", lambda m, a: m.linalg.matrix_norm(a, math.inf, dim=(0, 2)), R(3, 4, 2)),
    ("matrix_norm -inf keepdim", lambda m, a: m.linalg.matrix_norm(a, -math.inf, keepdim=True), R(2, 3, 4)),
    ("norm default", lambda m, a: m.linalg.norm(a), R(2, 3, 4)),
    ("norm dim", lambda m, a: m.linalg.norm(a, dim=1), R(2, 3)),
    ("norm ord vector", lambda m, a: m.linalg.norm(a, 3), R(4)),
    ("norm ord matrix", lambda m, a: m.linalg.norm(a, "fro"), R(3, 4)),
    ("norm matrix dims", lambda m, a: m.linalg.norm(a, 1, dim=(1, 2)), R(2, 3, 4)),
    ("cdist", lambda m, a, b: m.cdist(a, b), R(4, 3), R(5, 3, seed=1)),
    ("cdist batch p1", lambda m, a, b: m.cdist(a, b, p=1), R(2, 4, 3), R(2, 5, 3, seed=1)),
    ("cdist inf", lambda m, a, b: m.cdist(a, b, p=math.inf), R(4, 3), R(5, 3, seed=1)),
    ("cdist p3", lambda m, a, b: m.cdist(a, b, p=3.0), R(4, 3), R(5, 3, seed=1)),
]


@pytest.mark.parametrize("call,arrays,opts", params(CASES))
def test_matches_torch(call, arrays, opts):
    check(call, *arrays, **{"rtol": 1e-6, "atol": 1e-9, **opts})


ERRORS = [
    ("det not square", lambda m, a: m.linalg.det(a), R(2, 3)),
    ("inv singular", lambda m, a: m.linalg.inv(a), np.ones((2, 2))),
    ("cholesky not pd", lambda m, a: m.linalg.cholesky(a), -np.eye(2)),
    ("solve shapes", lambda m, a, b: m.linalg.solve(a, b), well(3), R(2, 2)),
    ("cdist dims", lambda m, a, b: m.cdist(a, b), R(4, 3), R(4, 2)),
]


@pytest.mark.parametrize("name,call,arrays", [pytest.param(c[0], c[1], c[2:], id=c[0]) for c in ERRORS])
def test_rejects_like_torch(name, call, arrays):
    raises_like_torch(call, *arrays)
