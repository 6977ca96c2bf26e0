"""Transformer layers against torch.nn: state-dict layout, outputs and parameter gradients
after loading torch's weights (float64), for each option; and a tiny GPT trained for five
AdamW steps whose losses equal torch's."""

from __future__ import annotations

import numpy as np
import pytest
from nn_testing import same_state_dict_layout, torch_parity

import autograd_core as ag
import nn
import optim

torch = pytest.importorskip("torch")
rng = np.random.default_rng(0)
D, H, FF = 8, 2, 16


def _x(*shape):
    return rng.standard_normal(shape)


OPTIONS = [
    {},
    {"norm_first": True},
    {"activation": "gelu"},
    {"batch_first": True, "norm_first": True, "activation": "gelu"},
    {"bias": False, "layer_norm_eps": 1e-3},
]


def _callable_activation(lib):
    return (torch.nn.functional.silu if lib == "torch" else (lambda x: x * x.sigmoid()))


@pytest.mark.parametrize("kwargs", OPTIONS + ["callable"])
def test_encoder_layer(kwargs):
    if kwargs == "callable":
        ours = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation=_callable_activation("ours"))
        theirs = torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, dtype=torch.float64,
                                                  activation=_callable_activation("torch"))
        kwargs = {}
    else:
        ours = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, **kwargs)
        theirs = torch.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, dtype=torch.float64, **kwargs)
    same_state_dict_layout(ours, theirs)
    shape = (3, 5, D) if kwargs.get("batch_first") else (5, 3, D)
    kpm = rng.random((3, 5)) < 0.3
    kpm[:, 0] = False
    torch_parity(ours, theirs, _x(*shape))
    torch_parity(ours, theirs, _x(*shape), kpm, call=lambda m, x, p: m(x, src_key_padding_mask=p))


@pytest.mark.parametrize("kwargs", OPTIONS)
def test_decoder_layer(kwargs):
    ours = nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, **kwargs)
    theirs = torch.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, dtype=torch.float64, **kwargs)
    same_state_dict_layout(ours, theirs)
    bf = kwargs.get("batch_first")
    tgt, mem = (_x(3, 4, D), _x(3, 6, D)) if bf else (_x(4, 3, D), _x(6, 3, D))
    causal = np.triu(np.ones((4, 4), dtype=bool), 1)
    torch_parity(ours, theirs, tgt, mem, causal,
                 call=lambda m, t, s, c: m(t, s, tgt_mask=c, tgt_is_causal=True))


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_and_decoder_stacks_with_final_norm(norm_first):
    def pair(lib):
        n = nn if lib == "ours" else torch.nn
        kw = {} if lib == "ours" else {"dtype": torch.float64}
        enc_layer = n.TransformerEncoderLayer(D, H, FF, dropout=0.0, norm_first=norm_first, **kw)
        enc = n.TransformerEncoder(enc_layer, num_layers=2, norm=n.LayerNorm(D, **kw),
                                   enable_nested_tensor=False)
        dec_layer = n.TransformerDecoderLayer(D, H, FF, dropout=0.0, norm_first=norm_first, **kw)
        dec = n.TransformerDecoder(dec_layer, num_layers=2, norm=n.LayerNorm(D, **kw))
        return enc, dec

    (oe, od), (te, td) = pair("ours"), pair("torch")
    same_state_dict_layout(oe, te)
    same_state_dict_layout(od, td)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64).numpy()
    torch_parity(oe, te, _x(5, 2, D), mask, call=lambda m, x, c: m(x, mask=c))
    torch_parity(od, td, _x(5, 2, D), _x(7, 2, D), mask, call=lambda m, t, s, c: m(t, s, tgt_mask=c))


def test_layers_are_independent_copies():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, FF), num_layers=3)
    w = [layer.linear1.weight for layer in enc.layers]
    assert w[0] is not w[1] and np.array_equal(w[0].detach().numpy(), w[1].detach().numpy())


@pytest.mark.parametrize("batch_first", [False, True])
def test_full_transformer(batch_first):
    torch.manual_seed(0)
    kw = dict(d_model=D, nhead=H, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=FF, dropout=0.0,
              batch_first=batch_first)
    ours, theirs = nn.Transformer(**kw), torch.nn.Transformer(dtype=torch.float64, **kw)
    same_state_dict_layout(ours, theirs)
    src, tgt = (_x(2, 6, D), _x(2, 4, D)) if batch_first else (_x(6, 2, D), _x(4, 2, D))
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(4, dtype=ag.float64).numpy()
    skpm = rng.random((2, 6)) < 0.3
    skpm[:, 0] = False
    torch_parity(ours, theirs, src, tgt, tgt_mask, skpm,
                 call=lambda m, s, t, c, p: m(s, t, tgt_mask=c, src_key_padding_mask=p,
                                              memory_key_padding_mask=p))


def test_transformer_initialises_matrices_with_xavier_and_checks_shapes():
    model = nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                           dim_feedforward=64)
    w = model.encoder.layers[0].linear1.weight.detach().numpy()
    bound = np.sqrt(6.0 / (16 + 64))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    with pytest.raises(RuntimeError, match="batch number"):
        model(ag.randn(5, 2, 16), ag.randn(5, 3, 16))
    with pytest.raises(RuntimeError, match="d_model"):
        model(ag.randn(5, 2, 8), ag.randn(5, 2, 8))


def test_generate_square_subsequent_mask_matches_torch():
    ours = nn.Transformer.generate_square_subsequent_mask(4)
    expected = torch.nn.Transformer.generate_square_subsequent_mask(4).numpy()
    np.testing.assert_array_equal(ours.numpy(), expected)
    assert ours.dtype == np.float32


def test_bad_activation_is_refused():
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerEncoderLayer(D, H, activation="swish")


# -- a tiny GPT, written once against a torch-like namespace --------------------------------------
def build_gpt(lib_nn, lib, vocab=11, d=8, heads=2, layers=2, context=6):
    class GPT(lib_nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = lib_nn.Embedding(vocab, d)
            self.pos = lib_nn.Embedding(context, d)
            self.blocks = lib_nn.ModuleList([
                lib_nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, activation="gelu",
                                               batch_first=True, norm_first=True) for _ in range(layers)])
            self.ln_f = lib_nn.LayerNorm(d)
            self.head = lib_nn.Linear(d, vocab, bias=False)
            self.head.weight = self.tok.weight  # weight tying

        def forward(self, idx):
            t = idx.shape[1]
            x = self.tok(idx) + self.pos(lib.arange(t))
            mask = lib_nn.Transformer.generate_square_subsequent_mask(t, dtype=x.dtype)
            for block in self.blocks:
                x = block(x, src_mask=mask, is_causal=True)
            return self.head(self.ln_f(x))

    return GPT()


def test_tiny_gpt_five_adamw_steps_match_torch():
    torch.manual_seed(0)
    theirs = build_gpt(torch.nn, torch).double()
    ours = build_gpt(nn, ag).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert ours.head.weight is ours.tok.weight
    data = rng.integers(0, 11, (4, 7))
    x, y = data[:, :-1], data[:, 1:]
    t_opt = torch.optim.AdamW(theirs.parameters(), lr=1e-2, weight_decay=0.1)
    o_opt = optim.AdamW(ours.parameters(), lr=1e-2, weight_decay=0.1)
    losses = {"torch": [], "ours": []}
    for _ in range(5):
        runs = (("torch", theirs, t_opt, torch.nn.functional), ("ours", ours, o_opt, ag.functional))
        for lib, model, opt, F in runs:
            mod = torch if lib == "torch" else ag
            opt.zero_grad()
            logits = model(mod.tensor(x))
            loss = F.cross_entropy(logits.reshape(-1, 11), mod.tensor(y).reshape(-1))
            loss.backward()
            opt.step()
            losses[lib].append(loss.item())
    np.testing.assert_allclose(losses["ours"], losses["torch"], rtol=0, atol=1e-5)
    assert losses["ours"][-1] < losses["ours"][0]
