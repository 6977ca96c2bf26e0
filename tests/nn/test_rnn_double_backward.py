"""Double backward (create_graph=True) through the fused time loop of nn.RNN/LSTM/GRU:
gradgradcheck in float64 with respect to the input, the initial state and the weights,
PyTorch parity of a gradient-penalty step, a third derivative, and agreement with the same
net unrolled with cells (whose operations are ordinary twice-differentiable ops)."""

import numpy as np
import pytest

import autograd_core as ag
import nn

T, B, N_IN, N_HID = 3, 2, 3, 4


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _states(name, kwargs, seed=1):
    """h0 (and c0 for an LSTM) of the right shape, as float64 arrays."""
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    count = 2 if name == "LSTM" else 1
    return [rand(layers, B, N_HID, seed=seed + i) * 0.5 for i in range(count)]


def _input_shape(kwargs):
    return (B, T, N_IN) if kwargs.get("batch_first") else (T, B, N_IN)


def _call(module, name, x, states):
    if not states:
        return module(x)
    return module(x, tuple(states) if name == "LSTM" else states[0])


# (class, kwargs, with h0/c0)
CASES = [
    ("RNN", {}, False),
    ("RNN", {"nonlinearity": "relu"}, True),
    ("RNN", {"num_layers": 2}, True),
    ("RNN", {"nonlinearity": "relu", "bidirectional": True}, False),
    ("RNN", {"bias": False, "batch_first": True}, True),
    ("LSTM", {}, False),
    ("LSTM", {}, True),
    ("LSTM", {"num_layers": 2, "bias": False}, True),
    ("LSTM", {"bidirectional": True, "batch_first": True}, False),
    ("GRU", {}, True),
    ("GRU", {"num_layers": 2, "batch_first": True}, False),
    ("GRU", {"bidirectional": True, "bias": False}, True),
]
IDS = [f"{c}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}{'-h0' if h else ''}"
       for c, kw, h in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradgradcheck_input_state_and_weights(case):
    name, kwargs, with_state = case
    ag.manual_seed(0)
    module = getattr(nn, name)(N_IN, N_HID, **kwargs).double()
    names = [n for n, _ in module.named_parameters()]
    x = ag.tensor(rand(*_input_shape(kwargs)), requires_grad=True)
    states = [ag.tensor(s, requires_grad=True) for s in (_states(name, kwargs) if with_state else [])]
    params = [ag.tensor(p._data.copy(), requires_grad=True) for p in module.parameters()]
    n_states = len(states)

    def fn(x, *rest):
        state, weights = list(rest[:n_states]), rest[n_states:]
        out = ag.func.functional_call(module, dict(zip(names, weights)), (x,) if not state else
                                      ((x, tuple(state)) if name == "LSTM" else (x, state[0])))
        # The output sequence and the final state(s), as the module returns them.
        flat = [out[0]] + (list(out[1]) if name == "LSTM" else [out[1]])
        return tuple(flat)

    assert ag.autograd.gradgradcheck(fn, (x, *states, *params), atol=1e-5, rtol=1e-3)


def _penalty_grads(module, name, x, states, lib):
    """The penalty's first-order gradients; .grad of x, states and weights after
    backward of the penalty Σ |d loss / d input|²."""
    out = _call(module, name, x, states)
    flat = [out[0]] + (list(out[1]) if isinstance(out[1], tuple) else [out[1]])
    total = sum((o * o).sum() * (0.5 + i) for i, o in enumerate(flat))
    inputs = [x] + list(states)
    gs = lib.autograd.grad(total, inputs, create_graph=True)
    penalty = sum((g ** 2).sum() for g in gs)
    penalty.backward()
    return gs


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradient_penalty_matches_torch(case):
    torch = pytest.importorskip("torch", reason="the parity test compares with PyTorch")
    name, kwargs, with_state = case
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(N_IN, N_HID, **kwargs).double()
    ours = getattr(nn, name)(N_IN, N_HID, **kwargs).double()
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    x0, s0 = rand(*_input_shape(kwargs)), (_states(name, kwargs) if with_state else [])
    xt = torch.tensor(x0, requires_grad=True)
    st = [torch.tensor(s, requires_grad=True) for s in s0]
    xo = ag.tensor(x0, requires_grad=True)
    so = [ag.tensor(s, requires_grad=True) for s in s0]
    g_theirs = _penalty_grads(theirs, name, xt, st, torch)
    g_ours = _penalty_grads(ours, name, xo, so, ag)
    for mine, ref in zip(g_ours, g_theirs):
        np.testing.assert_allclose(mine._data, ref.detach().numpy(), atol=1e-10, rtol=1e-8)
    for mine, ref in zip([xo] + so, [xt] + st):
        np.testing.assert_allclose(mine.grad._data, ref.grad.numpy(), atol=1e-10, rtol=1e-8)
    ours_params = dict(ours.named_parameters())
    for pname, p in theirs.named_parameters():
        got = ours_params[pname].grad
        assert got is not None, pname
        np.testing.assert_allclose(got._data, p.grad.numpy(), atol=1e-10, rtol=1e-8,
                                   err_msg=f"second-order gradient of {pname}")
    # The penalty really reaches the recurrent weights through the time loop.
    assert np.abs(ours_params["weight_hh_l0"].grad._data).max() > 1e-6


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_third_derivative_matches_torch(name):
    torch = pytest.importorskip("torch", reason="the parity test compares with PyTorch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(N_IN, N_HID).double()
    ours = getattr(nn, name)(N_IN, N_HID).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    results = []
    for lib, module, tensor in ((torch, theirs, torch.tensor), (ag, ours, ag.tensor)):
        x = tensor(rand(T, B, N_IN), requires_grad=True)
        w = module.weight_hh_l0
        (g,) = lib.autograd.grad((module(x)[0] ** 3).sum(), x, create_graph=True)
        (gw,) = lib.autograd.grad((g ** 2).sum(), w, create_graph=True)
        (gx,) = lib.autograd.grad((gw * gw).sum(), x)
        results.append(np.asarray(gx.detach().numpy() if lib is torch else gx._data))
    np.testing.assert_allclose(results[1], results[0], atol=1e-10, rtol=1e-8)


def _unrolled(cell_cls, module, x, h0):
    """The same one-layer net, step by step with a cell sharing the module's weights."""
    cell = cell_cls(N_IN, N_HID).double()
    for suffix in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        setattr(cell, suffix, getattr(module, suffix + "_l0"))
    h, outs = h0, []
    for t in range(x.shape[0]):
        h = cell(x[t], h)
        outs.append(h)
    return ag.stack(outs)


def test_hessian_vector_product_equals_the_cell_loop():
    # No PyTorch needed: the fused loop and a GRUCell loop give the same second derivatives.
    ag.manual_seed(0)
    gru = nn.GRU(N_IN, N_HID).double()
    x = ag.tensor(rand(T, B, N_IN), requires_grad=True)
    h0 = ag.tensor(rand(1, B, N_HID, seed=3), requires_grad=True)
    v = ag.tensor(rand(T, B, N_IN, seed=4))
    hvps = []
    for run in (lambda: gru(x, h0)[0], lambda: _unrolled(nn.GRUCell, gru, x, h0[0])):
        params = [gru.weight_hh_l0, gru.bias_ih_l0, h0]
        (g,) = ag.autograd.grad((run() ** 2).sum(), x, create_graph=True)
        hvps.append([t._data for t in ag.autograd.grad((g * v).sum(), [x] + params)])
    for fused, loop in zip(*hvps):
        np.testing.assert_allclose(fused, loop, atol=1e-12, rtol=1e-10)


def test_gradient_penalty_through_a_frozen_rnn_reaches_the_initial_state():
    # No weight needs a gradient: the recorded step backward uses W_hh as a constant.
    ag.manual_seed(0)
    rnn = nn.RNN(N_IN, N_HID).double().requires_grad_(False)
    h0 = ag.tensor(rand(1, B, N_HID, seed=2), requires_grad=True)
    x = ag.tensor(rand(T, B, N_IN))
    (g,) = ag.autograd.grad((rnn(x, h0)[0] ** 2).sum(), h0, create_graph=True)
    (gg,) = ag.autograd.grad((g ** 2).sum(), h0)
    eps = 1e-6
    base = h0._data.copy()
    numeric = np.zeros(base.size)
    for j in range(base.size):
        vals = []
        for sign in (1, -1):
            h = base.copy()
            h.reshape(-1)[j] += sign * eps
            hh = ag.tensor(h, requires_grad=True)
            (gj,) = ag.autograd.grad((rnn(x, hh)[0] ** 2).sum(), hh)
            vals.append(float((gj._data ** 2).sum()))
        numeric[j] = (vals[0] - vals[1]) / (2 * eps)
    np.testing.assert_allclose(gg._data.reshape(-1), numeric, atol=1e-6, rtol=1e-5)


def test_first_order_backward_after_a_recorded_one_through_the_same_graph():
    # The recorded pass leaves no state behind that a later plain backward would pick up.
    ag.manual_seed(0)
    lstm = nn.LSTM(N_IN, N_HID).double()
    x = ag.tensor(rand(T, B, N_IN), requires_grad=True)
    out = lstm(x)[0]
    loss = (out ** 2).sum()
    loss.backward(retain_graph=True)
    first = {n: p.grad._data.copy() for n, p in lstm.named_parameters()}
    lstm.zero_grad()
    ag.autograd.grad(loss, x, create_graph=True)
    loss.backward()
    for n, p in lstm.named_parameters():
        np.testing.assert_allclose(p.grad._data, first[n], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["RNN", "GRU"])
def test_computed_weights_get_second_order_gradients_like_torch(name):
    # Weights that are outputs of other ops (weight norm, hypernetworks, MAML's inner step)
    # enter the time loop as graph nodes, not leaves.
    torch = pytest.importorskip("torch", reason="the parity test compares with PyTorch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(N_IN, N_HID).double()
    ours = getattr(nn, name)(N_IN, N_HID).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    grads = []
    for lib, module, tensor, call in ((torch, theirs, torch.tensor, torch.func.functional_call),
                                      (ag, ours, ag.tensor, ag.func.functional_call)):
        base = {k: tensor(v.detach().numpy() if lib is torch else v._data.copy(), requires_grad=True)
                for k, v in module.named_parameters()}
        scaled = {k: v * 1.5 for k, v in base.items()}
        x = tensor(rand(T, B, N_IN), requires_grad=True)
        (g,) = lib.autograd.grad((call(module, scaled, (x,))[0] ** 2).sum(), x, create_graph=True)
        (g ** 2).sum().backward()
        grads.append({k: (v.grad.numpy() if lib is torch else v.grad._data) for k, v in base.items()})
    for k, ref in grads[0].items():
        np.testing.assert_allclose(grads[1][k], ref, atol=1e-10, rtol=1e-8, err_msg=k)
