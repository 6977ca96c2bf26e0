"""The backwards written with the public ops run unchanged on Tensors (the higher-order
gradient design): re-running a node's backward with Tensor inputs records a graph whose
own gradient matches finite differences of the first-order gradient (a gradgradcheck)."""

import numpy as np
import pytest
from parity import OURS

import autograd_core as ag
from autograd_core.ops.decomp import QR, SVD


def tensor_backward(out, inputs, v):
    """Re-run out's node backward with Tensors: saved inputs/outputs map to the Tensors."""
    node = out.grad_fn
    by_id = {id(t._data): t for t in inputs}
    by_id[id(out._data)] = out

    def lift(x):
        return by_id.get(id(x), x)

    saved = node.saved
    if saved is not None:
        node.saved = tuple(lift(s) for s in saved)
    try:
        with ag.enable_grad():
            grads = type(node).backward(node, v)
    finally:
        node.saved = saved
    return grads if isinstance(grads, tuple) else (grads,)


def first_grad(fn, arrays, v, k):
    xs = [ag.tensor(a, requires_grad=True) for a in arrays]
    fn(*xs).backward(ag.tensor(v))
    return xs[k].grad._data


CASES = [
    ("take_flat", lambda x: OURS.take(x, ag.tensor([[0, 3], [3, 5]])), [(2, 3)]),
    ("cumsum", lambda x: OURS.cumsum(x, 1), [(2, 3)]),
    ("cumprod", lambda x: OURS.cumprod(x, 1), [(2, 4)]),
    ("logcumsumexp", lambda x: OURS.logcumsumexp(x, 0), [(4, 2)]),
    ("det", lambda x: OURS.linalg.det(x), [(3, 3)]),
    ("solve", lambda a, b: OURS.linalg.solve(a, b), [(3, 3), (3, 2)]),
    ("inv", lambda x: OURS.linalg.inv(x), [(3, 3)]),
    # the factorisations' nodes output U, S, Vh (Q, R) packed side by side
    ("svd", lambda x: SVD.apply(x), [(3, 2)]),
    ("qr", lambda x: QR.apply(x, "reduced"), [(3, 2)]),
    ("svdvals", lambda x: OURS.linalg.svdvals(x), [(3, 2)]),
    ("einsum", lambda a, b: OURS.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)]),
    ("einsum diag", lambda a: OURS.einsum("ii->i", a), [(3, 3)]),
    ("diagonal", lambda x: OURS.diagonal(x, 1), [(3, 4)]),
    (
        "scatter_reduce prod",
        lambda x, s: OURS.scatter_reduce(x, 0, ag.tensor([0, 0, 2]), s, "prod"),
        [(3,), (3,)],
    ),
    ("roll", lambda x: OURS.roll(x, 1, 0), [(3, 2)]),
    ("unfold", lambda x: x.unfold(0, 2, 1), [(4,)]),
]


def _draw(shapes, name):
    rng = np.random.default_rng(len(name))
    arrays = [rng.uniform(0.5, 1.5, s) for s in shapes]
    if name in ("det", "solve", "cholesky"):
        a = arrays[0]
        arrays[0] = a @ a.T + 3 * np.eye(a.shape[0])
    return arrays


@pytest.mark.parametrize("name,fn,shapes", CASES, ids=[c[0] for c in CASES])
def test_backward_on_tensors_is_differentiable(name, fn, shapes):
    arrays = _draw(shapes, name)
    xs = [ag.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    rng = np.random.default_rng(1)
    v = rng.standard_normal(out.shape)
    vt = ag.tensor(v, requires_grad=True)
    grads = tensor_backward(out, xs, vt)
    for k, g in enumerate(grads[: len(xs)]):
        if g is None:
            continue
        assert isinstance(g, ag.Tensor) and g.requires_grad, f"input {k}: backward did not record a graph"
        expected = first_grad(fn, arrays, v, k)
        np.testing.assert_allclose(np.broadcast_to(g._data, expected.shape), expected, rtol=1e-10, atol=1e-12)
        # second order: d <w, grad_k> / d (inputs, upstream gradient) against central differences
        w = rng.standard_normal(expected.shape)
        for x in xs + [vt]:
            x.grad = None
        (g * ag.tensor(w)).sum().backward(retain_graph=True)
        for j, x in enumerate(xs + [vt]):
            base = arrays + [v]
            numeric = np.zeros(base[j].shape)
            for idx in np.ndindex(base[j].shape):
                plus, minus = [a.copy() for a in base], [a.copy() for a in base]
                plus[j][idx] += 1e-6
                minus[j][idx] -= 1e-6
                numeric[idx] = (
                    np.sum(first_grad(fn, plus[:-1], plus[-1], k) * w)
                    - np.sum(first_grad(fn, minus[:-1], minus[-1], k) * w)
                ) / 2e-6
            got = np.zeros(base[j].shape) if x.grad is None else x.grad._data
            np.testing.assert_allclose(
                got, numeric, rtol=1e-4, atol=1e-6, err_msg=f"d grad_{k} / d input {j}"
            )
