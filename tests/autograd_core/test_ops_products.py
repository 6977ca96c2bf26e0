"""einsum, the matrix products, diagonals and transposes against PyTorch (values, dtypes,
gradients) with gradcheck in float64."""

import numpy as np
import pytest
from parity import OURS, check, raises_like_torch, rand

import autograd_core as ag

R = rand

CASES = [
    ("einsum matmul", lambda m, a, b: m.einsum("ij,jk->ik", a, b), R(2, 3), R(3, 4)),
    ("einsum implicit", lambda m, a, b: m.einsum("ij,jk", a, b), R(2, 3), R(3, 4)),
    ("einsum implicit order", lambda m, a, b: m.einsum("ba,ac", a, b), R(2, 3), R(3, 4)),
    ("einsum batch", lambda m, a, b: m.einsum("bij,bjk->bik", a, b), R(2, 2, 3), R(2, 3, 4)),
    ("einsum ellipsis", lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b), R(2, 1, 2, 3), R(5, 3, 4)),
    ("einsum ellipsis implicit", lambda m, a, b: m.einsum("...ij,...jk", a, b), R(2, 2, 3), R(3, 4)),
    ("einsum ellipsis summed", lambda m, a: m.einsum("...ij->ij", a), R(2, 3, 2, 3)),
    ("einsum trace", lambda m, a: m.einsum("ii", a), R(3, 3)),
    ("einsum diag", lambda m, a: m.einsum("ii->i", a), R(3, 3)),
    ("einsum diag3", lambda m, a: m.einsum("iii->i", a), R(2, 2, 2)),
    ("einsum repeated kept", lambda m, a, b: m.einsum("iij,jk->ik", a, b), R(3, 3, 2), R(2, 4)),
    ("einsum sum", lambda m, a: m.einsum("ij->", a), R(2, 3)),
    ("einsum transpose", lambda m, a: m.einsum("ij->ji", a), R(2, 3)),
    ("einsum outer", lambda m, a, b: m.einsum("i,j->ij", a, b), R(3), R(4)),
    ("einsum three", lambda m, a, b, c: m.einsum("ij,jk,kl->il", a, b, c), R(2, 3), R(3, 4), R(4, 2)),
    ("einsum attention", lambda m, q, k: m.einsum("bhqd,bhkd->bhqk", q, k), R(2, 2, 3, 4), R(2, 2, 5, 4)),
    ("einsum list", lambda m, a, b: m.einsum("ij,jk->ik", [a, b]), R(2, 3), R(3, 4)),
    ("einsum sublist", lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2], [0, 2]), R(2, 3), R(3, 4)),
    ("einsum spaces", lambda m, a, b: m.einsum("i j , j k -> i k", a, b), R(2, 3), R(3, 4)),
    ("einsum broadcast 1", lambda m, a, b: m.einsum("ij,ij->ij", a, b), R(1, 3), R(2, 3)),
    ("einsum 0d", lambda m, a, b: m.einsum(",i->i", a, b), R(), R(3)),
    ("einsum empty", lambda m, a, b: m.einsum("ij,jk->ik", a, b), R(0, 3), R(3, 2)),
    ("einsum empty contraction", lambda m, a, b: m.einsum("ij,jk->ik", a, b), R(2, 0), R(0, 2)),
    (
        "einsum float32",
        lambda m, a, b: m.einsum("ij,jk->ik", a, b),
        R(2, 3).astype(np.float32),
        R(3, 4).astype(np.float32),
    ),
    (
        "einsum int",
        lambda m, a, b: m.einsum("ij,jk->ik", a, b),
        np.arange(6).reshape(2, 3),
        np.arange(12).reshape(3, 4),
    ),
    ("mm", lambda m, a, b: m.mm(a, b), R(2, 3), R(3, 4)),
    ("Tensor.mm", lambda m, a, b: a.mm(b), R(2, 3), R(3, 4)),
    ("bmm", lambda m, a, b: m.bmm(a, b), R(2, 2, 3), R(2, 3, 4)),
    ("Tensor.bmm", lambda m, a, b: a.bmm(b), R(2, 2, 3), R(2, 3, 4)),
    ("mv", lambda m, a, b: m.mv(a, b), R(2, 3), R(3)),
    ("dot", lambda m, a, b: m.dot(a, b), R(3), R(3)),
    ("vdot", lambda m, a, b: m.vdot(a, b), R(3), R(3)),
    ("outer", lambda m, a, b: m.outer(a, b), R(3), R(4)),
    ("ger", lambda m, a, b: a.ger(b), R(3), R(4)),
    ("inner", lambda m, a, b: m.inner(a, b), R(2, 3), R(4, 3)),
    ("addmm", lambda m, c, a, b: m.addmm(c, a, b), R(2, 4), R(2, 3), R(3, 4)),
    ("addmm broadcast", lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2.0), R(4), R(2, 3), R(3, 4)),
    (
        "addmm beta 0 nan",
        lambda m, c, a, b: m.addmm(c.detach() * float("nan"), a, b, beta=0),
        R(2, 4),
        R(2, 3),
        R(3, 4),
    ),
    (
        "baddbmm",
        lambda m, c, a, b: m.baddbmm(c, a, b, beta=2.0, alpha=0.5),
        R(2, 2, 4),
        R(2, 2, 3),
        R(2, 3, 4),
    ),
    ("addbmm", lambda m, c, a, b: m.addbmm(c, a, b), R(2, 4), R(3, 2, 3), R(3, 3, 4)),
    ("addmv", lambda m, c, a, b: m.addmv(c, a, b, alpha=3), R(2), R(2, 3), R(3)),
    ("addr", lambda m, c, a, b: m.addr(c, a, b), R(2, 3), R(2), R(3)),
    ("tensordot 2", lambda m, a, b: m.tensordot(a, b), R(2, 3, 4), R(3, 4, 5)),
    ("tensordot 0", lambda m, a, b: m.tensordot(a, b, dims=0), R(2, 3), R(2)),
    ("tensordot lists", lambda m, a, b: m.tensordot(a, b, dims=([1, 0], [0, 2])), R(2, 3, 4), R(3, 5, 2)),
    ("tensordot neg", lambda m, a, b: m.tensordot(a, b, dims=([-1], [0])), R(2, 3), R(3, 5)),
    ("kron", lambda m, a, b: m.kron(a, b), R(2, 3), R(3, 2)),
    ("kron ndims", lambda m, a, b: m.kron(a, b), R(2), R(3, 2)),
    ("cross", lambda m, a, b: m.cross(a, b, dim=1), R(2, 3), R(2, 3)),
    ("cross broadcast", lambda m, a, b: m.cross(a, b, dim=-1), R(1, 3), R(4, 3)),
    ("cross default dim", lambda m, a, b: m.cross(a, b), R(2, 3, 3), R(2, 3, 3)),
    ("linalg.cross", lambda m, a, b: m.linalg.cross(a, b), R(4, 3), R(4, 3)),
    ("diagonal", lambda m, a: m.diagonal(a), R(3, 4)),
    ("diagonal offset", lambda m, a: m.diagonal(a, 1), R(3, 4)),
    ("diagonal negative offset", lambda m, a: m.diagonal(a, -2), R(3, 4)),
    ("diagonal offset past", lambda m, a: m.diagonal(a, 5), R(3, 4)),
    ("diagonal dims", lambda m, a: a.diagonal(0, -1, 0), R(3, 2, 4)),
    ("diagonal dims offset", lambda m, a: a.diagonal(offset=1, dim1=2, dim2=0), R(3, 2, 4)),
    ("diag 1d", lambda m, a: m.diag(a), R(3)),
    ("diag 1d offset", lambda m, a: m.diag(a, -1), R(3)),
    ("diag 2d", lambda m, a: m.diag(a, 1), R(3, 4)),
    ("diag_embed", lambda m, a: m.diag_embed(a), R(2, 3)),
    ("diag_embed dims", lambda m, a: m.diag_embed(a, offset=1, dim1=0, dim2=2), R(2, 3)),
    ("diag_embed negative", lambda m, a: m.diag_embed(a, -1, -1, -2), R(2, 3)),
    ("trace", lambda m, a: m.trace(a), R(3, 4)),
    ("t", lambda m, a: a.t(), R(2, 3)),
    ("t 1d", lambda m, a: m.t(a), R(3)),
    ("t 0d", lambda m, a: a.t(), R()),
    ("mT", lambda m, a: a.mT, R(2, 3, 4)),
    ("mH", lambda m, a: a.mH, R(2, 3, 4)),
    ("H", lambda m, a: a.H, R(2, 3)),
]


@pytest.mark.parametrize("name,call,arrays", [pytest.param(c[0], c[1], c[2:], id=c[0]) for c in CASES])
def test_matches_torch(name, call, arrays):
    check(call, *arrays)


ERRORS = [
    ("mm 3d", lambda m, a, b: m.mm(a, b), R(2, 2, 3), R(3, 4)),
    ("mm mismatch", lambda m, a, b: m.mm(a, b), R(2, 3), R(2, 4)),
    ("bmm batch", lambda m, a, b: m.bmm(a, b), R(2, 2, 3), R(3, 3, 4)),
    ("dot sizes", lambda m, a, b: m.dot(a, b), R(3), R(4)),
    ("einsum operands", lambda m, a: m.einsum("ij,jk", a), R(2, 3)),
    ("einsum dims", lambda m, a: m.einsum("ijk", a), R(2, 3)),
    ("einsum out letter", lambda m, a: m.einsum("ij->ik", a), R(2, 3)),
    ("einsum sizes", lambda m, a, b: m.einsum("ij,jk", a, b), R(2, 3), R(4, 4)),
    ("t 3d", lambda m, a: a.t(), R(2, 2, 2)),
    ("cross ndims", lambda m, a, b: m.cross(a, b, dim=-1), R(3), R(4, 3)),
    ("cross size", lambda m, a, b: m.cross(a, b, dim=0), R(2, 3), R(2, 3)),
    ("diagonal same dims", lambda m, a: m.diagonal(a, 0, 1, 1), R(2, 3)),
]


@pytest.mark.parametrize("name,call,arrays", [pytest.param(c[0], c[1], c[2:], id=c[0]) for c in ERRORS])
def test_rejects_like_torch(name, call, arrays):
    raises_like_torch(call, *arrays)


def test_diagonal_is_a_writable_view():
    x = ag.zeros(3, 4)
    d = x.diagonal(1)
    d._data[...] = 7.0
    assert x[0, 1].item() == 7.0 and x[2, 3].item() == 7.0 and x[0, 0].item() == 0.0
    assert OURS.diagonal(x).is_view if hasattr(ag.Tensor, "is_view") else True


def test_einsum_second_order_backward_is_an_einsum():
    # The backward of einsum on Tensors records einsums itself (double backward).
    a = ag.tensor(R(2, 3), requires_grad=True)
    b = ag.tensor(R(3, 4), requires_grad=True)
    from autograd_core.ops.products import Einsum

    out = OURS.einsum("ij,jk->ik", a, b)
    node = out.grad_fn
    g = ag.tensor(np.ones((2, 4)), requires_grad=True)
    with ag.enable_grad():
        node.saved = (a, b)
        ga, gb = Einsum.backward(node, g)
    assert isinstance(ga, ag.Tensor) and ga.requires_grad
    np.testing.assert_allclose(ga._data, np.ones((2, 4)) @ b._data.T)
    ga.sum().backward()
    np.testing.assert_allclose(b.grad._data, np.ones((3, 4)) * 2)
