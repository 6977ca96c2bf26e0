"""scaled_dot_product_attention: forward and gradients against PyTorch (float64) for every
mask kind, is_causal, scale, GQA and dropout; gradcheck; errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.functional import scaled_dot_product_attention as sdpa

torch = pytest.importorskip("torch")
TF = torch.nn.functional
rng = np.random.default_rng(0)


def _inputs(qshape, kshape, vshape):
    return [rng.standard_normal(s) for s in (qshape, kshape, vshape)]


def _compare(arrays, mask=None, mask_grad=False, **kwargs):
    """Same output and same gradients for q, k, v (and a float mask) as torch."""
    tq = [torch.tensor(a, requires_grad=True) for a in arrays]
    oq = [ag.tensor(a, requires_grad=True) for a in arrays]
    tm = om = None
    if mask is not None:
        tm = torch.tensor(mask, requires_grad=mask_grad)
        om = ag.tensor(mask, requires_grad=mask_grad)
    t_out = TF.scaled_dot_product_attention(*tq, attn_mask=tm, **kwargs)
    o_out = sdpa(*oq, attn_mask=om, **kwargs)
    np.testing.assert_allclose(o_out.detach().numpy(), t_out.detach().numpy(), atol=1e-12, rtol=1e-10)
    cot = rng.standard_normal(o_out.shape)
    (t_out * torch.tensor(cot)).sum().backward()
    (o_out * ag.tensor(cot)).sum().backward()
    for t, o in zip(tq + ([tm] if mask_grad else []), oq + ([om] if mask_grad else [])):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), atol=1e-12, rtol=1e-10)


@pytest.mark.parametrize("shapes", [((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6)), ((5, 4), (6, 4), (6, 3)),
                                    ((2, 1, 4, 8), (2, 1, 4, 8), (2, 1, 4, 8))])
def test_no_mask(shapes):
    _compare(_inputs(*shapes))


@pytest.mark.parametrize("mshape", [(5, 7), (2, 1, 5, 7), (2, 3, 5, 7), (1, 7)])
def test_bool_mask_true_means_attend(mshape):
    mask = rng.random(mshape) < 0.6
    _compare(_inputs((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 4)), mask)


def test_bool_mask_with_fully_masked_rows_gives_zeros():
    mask = rng.random((5, 7)) < 0.5
    mask[1] = False
    _compare(_inputs((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 4)), mask)


@pytest.mark.parametrize("mshape", [(5, 7), (2, 3, 5, 7)])
def test_float_mask_is_added_and_gets_its_gradient(mshape):
    mask = rng.standard_normal(mshape)
    _compare(_inputs((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 4)), mask, mask_grad=True)


def test_float_mask_with_minus_inf():
    mask = np.where(rng.random((5, 7)) < 0.6, 0.0, -np.inf)
    mask[0] = -np.inf
    _compare(_inputs((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 4)), mask)


@pytest.mark.parametrize("L,S", [(6, 6), (4, 7), (7, 4)])
def test_is_causal_alone_and_with_a_mask(L, S):
    arrays = _inputs((2, 2, L, 4), (2, 2, S, 4), (2, 2, S, 4))
    _compare(arrays, is_causal=True)
    _compare(arrays, mask=rng.random((L, S)) < 0.7, is_causal=True)


def test_scale_and_gqa():
    _compare(_inputs((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 4)), scale=0.37)
    _compare(_inputs((2, 6, 5, 4), (2, 2, 7, 4), (2, 2, 7, 3)), enable_gqa=True, is_causal=True)


def test_gradcheck_float64():
    q, k, v = (ag.tensor(a, requires_grad=True) for a in _inputs((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 3)))
    mask = ag.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    assert ag.gradcheck(lambda a, b, c, m: sdpa(a, b, c, attn_mask=m), (q, k, v, mask))
    keep = ag.tensor(rng.random((3, 5)) < 0.6)
    assert ag.gradcheck(lambda a, b, c: sdpa(a, b, c, attn_mask=keep, is_causal=True), (q, k, v))
    kg, vg = (ag.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 1, 5, 4), (2, 1, 5, 3)))
    assert ag.gradcheck(lambda a, b, c: sdpa(a, b, c, enable_gqa=True), (q, kg, vg))


def test_dropout_uses_the_shared_generator_and_matches_the_composite():
    arrays = _inputs((2, 2, 4, 3), (2, 2, 6, 3), (2, 2, 6, 3))
    q, k, v = (ag.tensor(a, requires_grad=True) for a in arrays)
    ag.manual_seed(5)
    out = sdpa(q, k, v, dropout_p=0.3)
    ag.manual_seed(5)
    again = sdpa(q, k, v, dropout_p=0.3)
    np.testing.assert_array_equal(out.detach().numpy(), again.detach().numpy())
    # the mask it used: dropped weights are exactly the zeros of P ⊙ D; rebuild that with torch
    p = torch.softmax(torch.tensor(arrays[0]) @ torch.tensor(arrays[1]).transpose(-1, -2) / np.sqrt(3), -1)
    ag.manual_seed(5)
    from autograd_core.kernels.dropout import dropout_mask
    drop = torch.tensor(dropout_mask(tuple(p.shape), 0.3, ag.random.generator(), np.float64))
    tq = [torch.tensor(a, requires_grad=True) for a in arrays]
    tp = torch.softmax(tq[0] @ tq[1].transpose(-1, -2) / np.sqrt(3), -1)
    expected = (tp * drop) @ tq[2]
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-12)
    cot = rng.standard_normal(out.shape)
    (expected * torch.tensor(cot)).sum().backward()
    (out * ag.tensor(cot)).sum().backward()
    for t, o in zip(tq, (q, k, v)):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), atol=1e-12)
    assert (sdpa(q, k, v, dropout_p=1.0).detach().numpy() == 0).all()


def test_errors_name_the_function():
    q = ag.randn(2, 3, 4)
    with pytest.raises(ValueError, match="scaled_dot_product_attention.*last dim"):
        sdpa(q, ag.randn(2, 3, 5), ag.randn(2, 3, 5))
    with pytest.raises(ValueError, match="same length"):
        sdpa(q, ag.randn(2, 3, 4), ag.randn(2, 5, 4))
    with pytest.raises(ValueError, match="multiple"):
        sdpa(ag.randn(1, 3, 2, 4), ag.randn(1, 2, 2, 4), ag.randn(1, 2, 2, 4), enable_gqa=True)
    with pytest.raises(TypeError, match="bool or float"):
        sdpa(q, q, q, attn_mask=ag.tensor(np.ones((3, 3), dtype=np.int64)))
    with pytest.raises(ValueError, match="dropout_p"):
        sdpa(q, q, q, dropout_p=1.5)


def test_float32_stays_float32():
    q = ag.randn(1, 2, 3, 4)
    out = sdpa(q, q, q, attn_mask=ag.zeros(3, 3, dtype=ag.float64), is_causal=True)
    assert out.dtype == np.float32


def test_recomputed_probabilities_for_higher_order_gradients_equal_the_saved_ones():
    # The backward recomputes P with Tensor-friendly operations when it is differentiated
    # itself; on arrays that formula must give the very P the forward saved.
    from autograd_core.ops.attention import _probabilities, _probabilities_tensor

    q, k = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((2, 3, 7, 4))
    keep = rng.random((5, 7)) < 0.5
    keep[2] = False
    bias = np.where(rng.random((5, 7)) < 0.2, -np.inf, rng.standard_normal((5, 7)))
    for b, m in ((None, None), (bias, None), (None, keep), (bias, keep)):
        np.testing.assert_allclose(_probabilities_tensor(q, k, 0.5, b, m), _probabilities(q, k, 0.5, b, m),
                                   atol=1e-15)


needs_gradgradcheck = pytest.mark.skipif(not hasattr(ag, "gradgradcheck"),
                                         reason="higher-order gradients are not in this build yet")


@needs_gradgradcheck
@pytest.mark.parametrize("case", ["plain", "bool_and_causal", "float_mask", "gqa"])
def test_gradgradcheck(case):
    # The backward recomputes P from Q and K when it is itself differentiated; with the
    # saved P taken as a constant the second derivatives would be wrong.
    def t(*shape):
        return ag.tensor(rng.standard_normal(shape), requires_grad=True)

    q, k, v = t(1, 2, 3, 4), t(1, 2, 5, 4), t(1, 2, 5, 3)
    keep = rng.random((3, 5)) < 0.6
    keep[:, 0] = True
    if case == "plain":
        fn, inputs = (lambda a, b, c: sdpa(a, b, c)), (q, k, v)
    elif case == "bool_and_causal":
        fn, inputs = (lambda a, b, c: sdpa(a, b, c, attn_mask=ag.tensor(keep), is_causal=True)), (q, k, v)
    elif case == "float_mask":
        fn, inputs = (lambda a, b, c, m: sdpa(a, b, c, attn_mask=m)), (q, k, v, t(3, 5))
    else:
        fn, inputs = (lambda a, b, c: sdpa(a, b, c, enable_gqa=True)), (q, t(1, 1, 5, 4), t(1, 1, 5, 3))
    assert ag.gradgradcheck(fn, inputs)


def test_mask_must_broadcast_to_the_scores():
    # PyTorch refuses a mask with more batch dims than the scores (it does not broadcast the output)
    q = ag.randn(5, 4)
    with pytest.raises(RuntimeError, match="attn_mask of shape"):
        sdpa(q, ag.randn(7, 4), ag.randn(7, 4), attn_mask=ag.tensor(rng.random((2, 5, 7)) < 0.5))
    with pytest.raises(RuntimeError, match="attn_mask of shape"):
        sdpa(q, ag.randn(7, 4), ag.randn(7, 4), attn_mask=ag.zeros(5, 6))
