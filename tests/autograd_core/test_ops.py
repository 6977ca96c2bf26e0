"""Every differentiable op, driven by the table in optable.py: forward against NumPy (float64 and
float32), gradcheck in float64, and forward + gradients against PyTorch; then ties, and
gradcheck's own ability to fail."""

import numpy as np
import pytest
from optable import SAME, cases, make_arrays, make_inputs, outputs

import autograd_core as ag

TOL = {np.float64: {"rtol": 1e-9, "atol": 1e-12}, np.float32: {"rtol": 2e-5, "atol": 2e-5}}


def _is_float(x) -> bool:
    return np.asarray(x).dtype.kind == "f"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("spec,shapes", cases())
def test_forward_matches_numpy(spec, shapes, dtype):
    arrays = make_arrays(spec, shapes, dtype)
    ours = outputs(spec.fn(*make_inputs(spec, arrays)))
    # The reference sees the very same values, in float64.
    expected = outputs(spec.ref(*[a.astype(np.float64) if _is_float(a) else a for a in arrays]))
    assert len(ours) == len(expected)
    for out, ref in zip(ours, expected):
        assert isinstance(out, ag.Tensor)
        assert out.shape == np.shape(ref)
        if _is_float(ref):
            assert out.dtype == (spec.out_dtype or dtype)
            np.testing.assert_allclose(out._data, ref, **TOL[out.dtype.type])
        else:  # indices
            assert out.dtype == np.int64
            np.testing.assert_array_equal(out._data, ref)


@pytest.mark.parametrize("spec,shapes", cases())
def test_gradcheck(spec, shapes):
    inputs = make_inputs(spec, make_arrays(spec, shapes, np.float64))
    assert ag.gradcheck(spec.fn, inputs, eps=spec.eps)


@pytest.mark.parametrize("spec,shapes", cases())
def test_gradgradcheck(spec, shapes):
    """The second-order column: every op's backward is itself differentiable."""
    inputs = make_inputs(spec, make_arrays(spec, shapes, np.float64))
    assert ag.autograd.gradgradcheck(spec.fn, inputs, eps=spec.eps)


@pytest.mark.parametrize("spec,shapes", cases(with_torch=True))
def test_hessian_vector_product_matches_torch(spec, shapes):
    """d/dx <J(x)ᵀu, v> (autograd.grad twice) against PyTorch's."""
    torch = pytest.importorskip("torch")
    arrays = make_arrays(spec, shapes, np.float64)
    rng = np.random.default_rng(1)
    results = []
    for lib, fn in ((ag, spec.fn), (torch, spec.fn if spec.torch_fn == SAME else spec.torch_fn)):
        xs = [lib.tensor(a, requires_grad=i not in spec.const) if i not in spec.const else
              (a if lib is ag else torch.tensor(a)) for i, a in enumerate(arrays)]
        wanted = [x for i, x in enumerate(xs) if i not in spec.const]
        outs = [o for o in outputs(fn(*xs)) if o.dtype.is_floating_point if lib is torch] if lib is torch \
            else [o for o in outputs(fn(*xs)) if o.dtype.kind == "f"]
        local = np.random.default_rng(1)
        us = [lib.tensor(local.standard_normal(tuple(o.shape))) for o in outs]
        vs = [lib.tensor(local.standard_normal(tuple(x.shape))) for x in wanted]
        gs = lib.autograd.grad(outs, wanted, us, create_graph=True, allow_unused=True)
        total = sum(((g * v).sum() for g, v in zip(gs, vs) if g is not None and g.requires_grad),
                    lib.tensor(0.0, dtype=lib.float64))
        if not total.requires_grad:
            results.append([np.zeros(tuple(x.shape)) for x in wanted])
            continue
        hv = lib.autograd.grad(total, wanted, allow_unused=True)
        results.append([np.zeros(tuple(x.shape)) if h is None else h.detach().numpy(force=True)
                        for h, x in zip(hv, wanted)])
    del rng
    for mine, theirs in zip(*results):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("spec,shapes", cases(with_torch=True))
def test_matches_torch(spec, shapes):
    torch = pytest.importorskip("torch")
    arrays = make_arrays(spec, shapes, np.float64)
    ours_in = make_inputs(spec, arrays)
    theirs_in = [torch.tensor(a, requires_grad=i not in spec.const) for i, a in enumerate(arrays)]
    ours = outputs(spec.fn(*ours_in))
    theirs = outputs((spec.fn if spec.torch_fn == SAME else spec.torch_fn)(*theirs_in))
    assert len(ours) == len(theirs)

    rng = np.random.default_rng(0)
    upstream = []
    for out, ref in zip(ours, theirs):
        ref = ref.detach().numpy()
        assert out.shape == ref.shape and out.dtype == ref.dtype
        np.testing.assert_allclose(out._data, ref, rtol=1e-6, atol=1e-6)
        upstream.append(rng.standard_normal(ref.shape).astype(ref.dtype) if _is_float(ref) else None)

    pairs = [(o, t, g) for o, t, g in zip(ours, theirs, upstream) if g is not None]
    for out, _, g in pairs:
        out.backward(ag.tensor(g), retain_graph=True)
    torch.autograd.backward([t for _, t, _ in pairs], [torch.tensor(g) for _, _, g in pairs])
    for i, (mine, ref) in enumerate(zip(ours_in, theirs_in)):
        if i in spec.const:
            continue
        expected = np.zeros(ref.shape) if ref.grad is None else ref.grad.numpy()
        assert mine.grad is not None, f"input {i} got no gradient"
        assert mine.grad.shape == mine.shape
        np.testing.assert_allclose(mine.grad._data, expected, rtol=1e-6, atol=1e-6, err_msg=f"input {i}")


# -- ties ---------------------------------------------------------------------------------------
X = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 0.0]])
H = 0.5
TIES = [  # (call, d sum(call(X)) / dX): amax/amin and full max()/min() share evenly between ties
    (lambda x: x.amax(), [[0, H, H], [0, 0, 0]]),
    (lambda x: x.max(), [[0, H, H], [0, 0, 0]]),
    (lambda x: x.amin(), [[0, 0, 0], [0, H, H]]),
    (lambda x: x.min(), [[0, 0, 0], [0, H, H]]),
    (lambda x: x.amax(dim=1), [[0, H, H], [1, 0, 0]]),
    (lambda x: x.amin(dim=(1,), keepdim=True), [[1, 0, 0], [0, H, H]]),
    (lambda x: x.amax(dim=(0, 1)), [[0, H, H], [0, 0, 0]]),
    (lambda x: x.amin(0), [[1, 0, 0], [0, 1, 1]]),
    (lambda x: (x * 2).amax() + x.amin(), [[0, 1, 1], [0, H, H]]),
]


@pytest.mark.parametrize("call,expected", TIES)
def test_ties_split_the_gradient_evenly(call, expected):
    x = ag.tensor(X, requires_grad=True)
    call(x).sum().backward()
    np.testing.assert_array_equal(x.grad._data, np.array(expected, dtype=float))


Y = np.array([[3.0, 1.0, 3.0], [0.0, 0.0, 2.0], [5.0, 5.0, 5.0]])  # ties in every row


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_dim_sends_the_gradient_to_the_returned_index(name, keepdim):
    x = ag.tensor(Y, requires_grad=True)
    values, indices = getattr(x, name)(1, keepdim=keepdim)
    values.sum().backward()
    rows, idx = np.arange(3), indices._data.reshape(3)
    assert values.shape == ((3, 1) if keepdim else (3,))
    np.testing.assert_array_equal(Y[rows, idx], values._data.reshape(3))
    one_hot = np.zeros((3, 3))
    one_hot[rows, idx] = 1.0
    np.testing.assert_array_equal(x.grad._data, one_hot)


BINARY_TIES = [  # fn, a, b, d sum(fn(a, b))/da, d/db: a tie sends half to each side
    (ag.maximum, [1.0, 2.0, 3.0], [1.0, 0.0, 3.0], [H, 1, H], [H, 0, H]),
    (ag.minimum, [1.0, 2.0, 3.0], [1.0, 0.0, 3.0], [H, 0, H], [H, 1, H]),
    (ag.maximum, [[1.0], [2.0]], [1.0, 1.0, 0.0], [[2], [3]], [H, H, 0]),
    (ag.minimum, [[1.0], [2.0]], [1.0, 1.0, 0.0], [[1], [0]], [1.5, 1.5, 2]),
]


@pytest.mark.parametrize("fn,a,b,grad_a,grad_b", BINARY_TIES)
def test_maximum_and_minimum_ties_split_evenly(fn, a, b, grad_a, grad_b):
    ta, tb = ag.tensor(np.array(a), requires_grad=True), ag.tensor(np.array(b), requires_grad=True)
    fn(ta, tb).sum().backward()
    np.testing.assert_array_equal(ta.grad._data, np.array(grad_a, dtype=float))
    np.testing.assert_array_equal(tb.grad._data, np.array(grad_b, dtype=float))


TIE_CALLS = [call for call, _ in TIES] + [
    lambda x: x.max(1).values,
    lambda x: x.min(0, keepdim=True).values,
    lambda x: x.max(-1).values * x.min(1).values,
    lambda x: x.maximum(x.flip(1)),
    lambda x: x.minimum(x.flip(1)),
    lambda x: x.maximum(x[:, :1]),
]


@pytest.mark.parametrize("data", [X, Y], ids=["X", "Y"])
@pytest.mark.parametrize("k", range(len(TIE_CALLS)))
def test_ties_match_torch(k, data):
    torch = pytest.importorskip("torch")
    ours, theirs = ag.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, ref = TIE_CALLS[k](ours), TIE_CALLS[k](theirs)
    np.testing.assert_allclose(out._data, ref.detach().numpy())
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(ours.grad._data, theirs.grad.numpy())


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_max_dim_indices_match_torch_on_ties(name, dim):
    torch = pytest.importorskip("torch")
    ours = getattr(ag.tensor(Y), name)(dim).indices._data
    theirs = getattr(torch.tensor(Y), name)(dim).indices.numpy()
    np.testing.assert_array_equal(ours, theirs)


# -- values where finite differences cannot look: PyTorch's conventions -----------------------------
BOUNDARY = [  # (label, call, data, d sum(call(x)) / dx, expected output or None)
    ("abs at 0", lambda x: x.abs(), [0.0, -1.0, 2.0], [0, -1, 1], None),
    ("relu at 0", lambda x: x.relu(), [0.0, -1.0, 2.0], [0, 0, 1], None),
    ("clamp at its bounds", lambda x: x.clamp(-0.5, 0.5), [-0.5, 0.5, 0.0, 1.0], [1, 1, 1, 0], None),
    ("norm of zeros", lambda x: x.norm(), [0.0, 0.0], [0, 0], 0.0),
    ("norm(dim) of a zero row", lambda x: x.norm(dim=1), [[0.0, 0.0], [3.0, 4.0]], [[0, 0], [0.6, 0.8]],
     [0.0, 5.0]),
    ("x ** 2 at 0", lambda x: x**2, [0.0, 1.5], [0, 3], None),
    ("x ** 0 at 0", lambda x: x**0, [0.0, 1.5], [0, 0], [1.0, 1.0]),
    ("std of constant data", lambda x: x.std(), [1.0, 1.0, 1.0], [0, 0, 0], 0.0),
    ("softmax of 1e4 logits", lambda x: x.softmax(0), [1e4, 0.0, -1e4], [0, 0, 0], [1.0, 0.0, 0.0]),
    ("log_softmax of 1e4 logits", lambda x: x.log_softmax(0), [1e4, 0.0], [-1, 1], [0.0, -1e4]),
    ("logsumexp of 1e4 logits", lambda x: x.logsumexp(0), [1e4, 1e4], [0.5, 0.5], 1e4 + np.log(2.0)),
]


@pytest.mark.parametrize("label,call,data,grad,out", BOUNDARY, ids=[b[0] for b in BOUNDARY])
def test_boundary_values_follow_torch_conventions(label, call, data, grad, out):
    x = ag.tensor(np.array(data), requires_grad=True)
    y = call(x)
    if out is not None:
        np.testing.assert_allclose(y._data, out, rtol=1e-12, atol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad._data, np.array(grad, dtype=float), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("label,call,data,grad,out", BOUNDARY, ids=[b[0] for b in BOUNDARY])
def test_boundary_values_match_torch(label, call, data, grad, out):
    torch = pytest.importorskip("torch")
    ours, theirs = ag.tensor(np.array(data), requires_grad=True), torch.tensor(data, requires_grad=True,
                                                                                dtype=torch.float64)
    y, ref = call(ours), call(theirs)
    np.testing.assert_allclose(y._data, ref.detach().numpy(), rtol=1e-12)
    y.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(ours.grad._data, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


# -- gradcheck must be able to fail ---------------------------------------------------------------
class Cube(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x**2 * grad  # the derivative of x³ is 3x²


class CubeWrongAtOneElement(Cube):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        g = (3 * x**2 * grad)._data.copy()
        g[1, 2] += 0.5
        return ag.tensor(g)


class WrongProductRule(ag.Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * y, grad * y  # the second should be grad * x


def _x(*shape):
    return ag.tensor(np.random.default_rng(1).uniform(0.5, 1.5, shape), requires_grad=True)


def test_gradcheck_passes_a_correct_custom_function():
    assert ag.gradcheck(Cube.apply, (_x(2, 3),))


def test_gradcheck_fails_a_wrong_backward_and_names_the_op():
    with pytest.raises(ag.GradcheckError, match=r"WrongCubeBackward.*input 0.*element \(\d+, \d+\)"):
        ag.gradcheck(WrongCube.apply, (_x(2, 3),))
    assert ag.gradcheck(WrongCube.apply, (_x(2, 3),), raise_exception=False) is False


def test_gradcheck_reports_the_wrong_element():
    with pytest.raises(ag.GradcheckError, match=r"CubeWrongAtOneElementBackward.*element \(1, 2\)"):
        ag.gradcheck(CubeWrongAtOneElement.apply, (_x(2, 3),))


def test_gradcheck_reports_the_wrong_input():
    x, y = _x(3), _x(3) * 2
    y = ag.tensor(y._data, requires_grad=True)
    with pytest.raises(ag.GradcheckError, match=r"WrongProductRuleBackward.*input 1"):
        ag.gradcheck(WrongProductRule.apply, (x, y))
