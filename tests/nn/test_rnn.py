"""Recurrent layers and cells: PyTorch parity (outputs, states, every gradient), gradchecks,
long sequences, and the graph behaviour of the fused time loop."""

import numpy as np
import pytest
from nn_testing import gradcheck_module, same_state_dict_layout, torch_parity

import autograd_core as ag
import nn


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# (class, kwargs, input shape, initial state shape(s) or None); input size 3, hidden size 4.
SEQUENCE_CASES = [
    ("RNN", {}, (5, 2, 3), None),
    ("RNN", {"nonlinearity": "relu"}, (5, 2, 3), None),
    ("RNN", {"num_layers": 2}, (5, 2, 3), (2, 2, 4)),
    ("RNN", {"num_layers": 2, "nonlinearity": "relu", "batch_first": True}, (2, 5, 3), None),
    ("RNN", {"num_layers": 2, "batch_first": True}, (2, 5, 3), (2, 2, 4)),
    ("RNN", {"bias": False}, (4, 3, 3), (1, 3, 4)),
    ("RNN", {"bidirectional": True, "num_layers": 2}, (4, 2, 3), (4, 2, 4)),
    ("RNN", {"num_layers": 2}, (5, 3), (2, 4)),  # unbatched
    ("RNN", {}, (1, 2, 3), None),  # one step, no h0: W_hh gets a zero gradient
    ("LSTM", {}, (5, 2, 3), None),
    ("LSTM", {"num_layers": 2, "batch_first": True}, (2, 5, 3), ((2, 2, 4), (2, 2, 4))),
    ("LSTM", {"bidirectional": True}, (4, 2, 3), ((2, 2, 4), (2, 2, 4))),
    ("LSTM", {"bias": False}, (4, 3), None),
    ("GRU", {}, (5, 2, 3), None),
    ("GRU", {"num_layers": 2}, (5, 2, 3), (2, 2, 4)),
    ("GRU", {"batch_first": True, "bidirectional": True}, (2, 4, 3), None),
    ("GRU", {"bias": False}, (4, 3), (1, 4)),
]
CELL_CASES = [
    ("RNNCell", {}, (2, 3), (2, 4)),
    ("RNNCell", {"nonlinearity": "relu"}, (2, 3), None),
    ("RNNCell", {"bias": False}, (3,), (4,)),
    ("LSTMCell", {}, (2, 3), ((2, 4), (2, 4))),
    ("LSTMCell", {}, (2, 3), None),
    ("LSTMCell", {"bias": False}, (3,), None),
    ("GRUCell", {}, (2, 3), (2, 4)),
    ("GRUCell", {}, (3,), None),
]
CASES = SEQUENCE_CASES + CELL_CASES
IDS = [f"{c}{k}{x}{'h0' if h else ''}".replace(" ", "") for c, k, x, h in CASES]


def state(shape, seed=1):
    if shape is None:
        return None
    if isinstance(shape[0], tuple):
        return tuple(state(s, seed + i) for i, s in enumerate(shape))
    return rand(*shape, seed=seed)


def inputs(x_shape, h_shape):
    h = state(h_shape)
    return [rand(*x_shape)] + ([] if h is None else [h])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_torch(case):
    torch = pytest.importorskip("torch")
    name, kwargs, x_shape, h_shape = case
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(3, 4, **kwargs)
    ours = getattr(nn, name)(3, 4, **kwargs)
    same_state_dict_layout(ours, theirs)
    assert nn.utils.count_parameters(ours) == sum(p.numel() for p in theirs.parameters())
    torch_parity(ours, theirs, *inputs(x_shape, h_shape))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck(case):
    name, kwargs, x_shape, h_shape = case
    ag.manual_seed(0)
    assert gradcheck_module(getattr(nn, name)(3, 4, **kwargs), *inputs(x_shape, h_shape))


def test_gradient_through_part_of_the_output_matches_torch():
    # Steps after the last one used get no gradient at all; their buffers must stay zero.
    torch = pytest.importorskip("torch")
    for name in ("RNN", "LSTM", "GRU"):
        torch.manual_seed(0)
        theirs, ours = getattr(torch.nn, name)(3, 4), getattr(nn, name)(3, 4)
        torch_parity(ours, theirs, rand(6, 2, 3), call=lambda m, x: m(x)[0][1:3])


def test_parameter_names_and_order_match_torch():
    torch = pytest.importorskip("torch")
    ours = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    theirs = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_parameters()][:5] == [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse"]
    assert ours.weight_ih_l1.shape == (20, 10)  # 4 gates x hidden, input 2 x hidden
    cell_names = [n for n, _ in nn.GRUCell(2, 3).named_parameters()]
    assert cell_names == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]


def test_initialisation_is_uniform_in_one_over_sqrt_hidden():
    ag.manual_seed(0)
    rnn = nn.GRU(10, 16, num_layers=2)
    values = np.concatenate([p._data.ravel() for p in rnn.parameters()])
    assert np.abs(values).max() <= 0.25 and np.abs(values).max() > 0.24
    assert abs(values.mean()) < 0.01
    ag.manual_seed(0)
    again = nn.GRU(10, 16, num_layers=2)
    np.testing.assert_array_equal(again.weight_hh_l1._data, rnn.weight_hh_l1._data)


def test_long_sequence_backpropagates_without_recursion_error():
    ag.manual_seed(0)
    rnn = nn.RNN(2, 3)
    x = ag.tensor(rand(5000, 1, 2) * 0.1)
    out, h = rnn(x)
    (out.sum() + h.sum()).backward()
    assert rnn.weight_hh_l0.grad.shape == (3, 3)
    assert np.isfinite(rnn.weight_hh_l0.grad._data).all() and rnn.weight_hh_l0.grad._data.any()


def test_second_backward_needs_retain_graph_and_then_doubles_gradients():
    rnn = nn.GRU(3, 4)
    out, _ = rnn(ag.tensor(rand(4, 2, 3)))
    loss = out.sum()
    loss.backward(retain_graph=True)
    first = {n: p.grad._data.copy() for n, p in rnn.named_parameters()}
    loss.backward()
    for n, p in rnn.named_parameters():
        np.testing.assert_allclose(p.grad._data, 2 * first[n], rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def _grads(rnn, x, pick):
    rnn.zero_grad()
    pick(rnn(x)[0]).sum().backward()
    return {n: p.grad._data.copy() for n, p in rnn.named_parameters()}


@pytest.mark.parametrize("name", ["RNN", "GRU"])
def test_backward_from_two_outputs_of_one_retained_graph(name):
    # Each backward through the retained graph starts from fresh gradient buffers.
    ag.manual_seed(0)
    rnn, x = getattr(nn, name)(3, 4), ag.tensor(rand(5, 2, 3))
    last, first = _grads(rnn, x, lambda o: o[-1]), _grads(rnn, x, lambda o: o[0])
    rnn.zero_grad()
    out = rnn(x)[0]
    out[-1].sum().backward(retain_graph=True)
    out[0].sum().backward()
    for n, p in rnn.named_parameters():
        np.testing.assert_allclose(p.grad._data, last[n] + first[n], rtol=1e-5, atol=1e-6)


def test_no_grad_forward_gives_same_output_and_no_graph():
    rnn = nn.LSTM(3, 4, num_layers=2)
    x = ag.tensor(rand(4, 2, 3))
    with ag.no_grad():
        out, (h, c) = rnn(x)
    assert out.grad_fn is None and not out.requires_grad
    np.testing.assert_allclose(out._data, rnn(x)[0]._data, rtol=1e-6)


def test_gradient_reaches_the_input_and_initial_state():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    emb_t, rnn_t = torch.nn.Embedding(7, 3), torch.nn.RNN(3, 4, batch_first=True)
    emb, rnn = nn.Embedding(7, 3), nn.RNN(3, 4, batch_first=True)
    model_t, model = torch.nn.ModuleList([emb_t, rnn_t]), nn.ModuleList([emb, rnn])
    ids = np.array([[1, 2, 3, 1], [6, 0, 0, 2]])
    torch_parity(model, model_t, ids, call=lambda m, i: m[1](m[0](i))[0])


def test_dropout_between_layers_only_in_training():
    rnn = nn.RNN(3, 8, num_layers=2, dropout=0.5)
    x = ag.tensor(rand(4, 2, 3))
    ag.manual_seed(0)
    a = rnn(x)[0]._data
    ag.manual_seed(1)
    b = rnn(x)[0]._data
    assert not np.allclose(a, b)
    rnn.eval()
    np.testing.assert_array_equal(rnn(x)[0]._data, rnn(x)[0]._data)


def test_float32_stays_float32():
    out, h = nn.RNN(3, 4)(ag.randn(5, 2, 3))
    assert out.dtype == np.float32 and h.dtype == np.float32


def test_shape_errors_are_clear():
    rnn = nn.RNN(3, 4, num_layers=2)
    with pytest.raises(ValueError, match="input_size. Expected 3, got 5"):
        rnn(ag.zeros(2, 1, 5))
    with pytest.raises(ValueError, match=r"Expected hidden size \(2, 1, 4\), got \[1, 1, 4\]"):
        rnn(ag.zeros(2, 1, 3), ag.zeros(1, 1, 4))
    with pytest.raises(ValueError, match="2D or 3D"):
        rnn(ag.zeros(2, 1, 1, 3))
    with pytest.raises(TypeError, match=r"\(h_0, c_0\)"):
        nn.LSTM(3, 4)(ag.zeros(2, 1, 3), ag.zeros(1, 1, 4))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="1D or 2D"):
        nn.GRUCell(3, 4)(ag.zeros(1, 1, 3))
