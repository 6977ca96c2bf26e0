"""nn.MultiheadAttention against torch.nn.MultiheadAttention: state-dict layout, outputs,
input and parameter gradients (float64) for every option."""

from __future__ import annotations

import numpy as np
import pytest
from nn_testing import same_state_dict_layout, torch_parity

import autograd_core as ag
import nn

torch = pytest.importorskip("torch")
rng = np.random.default_rng(0)
E, H, L, S, N = 8, 2, 5, 6, 3


def _pair(**kwargs):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(E, H, dtype=torch.float64, **kwargs)
    return nn.MultiheadAttention(E, H, **kwargs), theirs


def _x(*shape):
    return rng.standard_normal(shape)


def _padding_mask(n, s):
    m = rng.random((n, s)) < 0.4
    m[:, 0] = False  # every query keeps one key: fully masked rows are NaN in torch's weights path
    return m


@pytest.mark.parametrize("kwargs", [{}, {"bias": False}, {"add_bias_kv": True}, {"add_zero_attn": True},
                                    {"kdim": 4, "vdim": 3}, {"batch_first": True}])
def test_state_dict_layout(kwargs):
    ours, theirs = _pair(**kwargs)
    same_state_dict_layout(ours, theirs)
    assert type(ours.out_proj).__name__ == type(theirs.out_proj).__name__


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights,average", [(False, True), (True, True), (True, False)])
def test_cross_attention_outputs_and_weights(batch_first, need_weights, average):
    ours, theirs = _pair(batch_first=batch_first)
    shape = (N, L, E) if batch_first else (L, N, E)
    kshape = (N, S, E) if batch_first else (S, N, E)

    def call(m, q, k, v):
        out, w = m(q, k, v, need_weights=need_weights, average_attn_weights=average)
        return (out, w) if need_weights else out

    torch_parity(ours, theirs, _x(*shape), _x(*kshape), _x(*kshape), call=call)


@pytest.mark.parametrize("need_weights", [False, True])
def test_self_attention_with_masks(need_weights):
    ours, theirs = _pair(batch_first=True)
    bool_mask = rng.random((L, L)) < 0.3
    np.fill_diagonal(bool_mask, False)
    float_mask = rng.standard_normal((N * H, L, L))
    kpm = _padding_mask(N, L)
    absent = np.zeros(0)  # torch_parity takes arrays only: an empty one stands for "no mask"
    for attn_mask, key_padding_mask in ((bool_mask, None), (float_mask, None), (None, kpm), (bool_mask, kpm),
                                         (float_mask, kpm), (None, kpm.astype(np.float64) * -3.0)):
        def call(m, x, am, kp):
            am, kp = (None if mk.shape == (0,) else mk for mk in (am, kp))
            return m(x, x, x, attn_mask=am, key_padding_mask=kp, need_weights=need_weights)[0]

        masks = [absent if a is None else a for a in (attn_mask, key_padding_mask)]
        torch_parity(ours, theirs, _x(N, L, E), *masks, call=call)


@pytest.mark.parametrize("need_weights", [False, True])
def test_is_causal_hint_uses_the_given_mask(need_weights):
    ours, theirs = _pair(batch_first=True)
    causal = np.triu(np.ones((L, L), dtype=bool), 1)
    torch_parity(ours, theirs, _x(N, L, E), causal,
                 call=lambda m, x, am: m(x, x, x, attn_mask=am, is_causal=True, need_weights=need_weights)[0])
    with pytest.raises(RuntimeError, match="attn_mask"):
        ours(ag.randn(N, L, E, dtype=ag.float64), ag.randn(N, L, E, dtype=ag.float64),
             ag.randn(N, L, E, dtype=ag.float64), is_causal=True)


@pytest.mark.parametrize("kwargs", [{"kdim": 4, "vdim": 3}, {"bias": False}, {"add_bias_kv": True},
                                    {"add_zero_attn": True}, {"add_bias_kv": True, "add_zero_attn": True}])
def test_options(kwargs):
    ours, theirs = _pair(**kwargs)
    kd, vd = kwargs.get("kdim", E), kwargs.get("vdim", E)
    kpm = _padding_mask(N, S)
    am = rng.random((L, S)) < 0.3
    am[:, 0] = False
    torch_parity(ours, theirs, _x(L, N, E), _x(S, N, kd), _x(S, N, vd), am, kpm,
                 call=lambda m, q, k, v, a, p: m(q, k, v, attn_mask=a, key_padding_mask=p))


def test_unbatched_input_and_dropout_in_eval():
    ours, theirs = _pair(dropout=0.3)
    ours.eval()
    theirs.eval()
    torch_parity(ours, theirs, _x(L, E), _x(S, E), _x(S, E))


def test_dropout_in_training_changes_the_weights_and_needs_the_seed():
    mha = nn.MultiheadAttention(E, H, dropout=0.5, batch_first=True)
    x = ag.randn(N, L, E)
    ag.manual_seed(1)
    a = mha(x, x, x, need_weights=False)[0]
    ag.manual_seed(1)
    b = mha(x, x, x, need_weights=False)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    mha.eval()
    c = mha(x, x, x, need_weights=False)[0]
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())


def test_bad_arguments():
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(E, H)
    with pytest.raises(ValueError, match="last dim"):
        mha(ag.randn(L, N, E + 1), ag.randn(S, N, E), ag.randn(S, N, E))
