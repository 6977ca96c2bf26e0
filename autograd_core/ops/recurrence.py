"""The time loop of the recurrent layers: one graph node per step, weight gradients batched.

A recurrent layer computes, for each step t (PyTorch's formulation),

    gi   = X W_ihᵀ + b_ih                 all T steps in one `linear`, (T, B, G)
    gh_t = h_{t-1} W_hhᵀ + b_hh           the only per-step matmul
    z_t  = gi_t + gh_t                    (RNN, LSTM; then the gate nonlinearities)

Written with library ops alone, each step would be several nodes, produce its own W_hh
gradient (a small matmul plus an accumulation in the engine, per step), and `gi[t]` by
indexing would hand each slice a full (T, B, G) gradient: O(T²) work. Fusing buys
measured speed (benchmarks/bench_rnn.py), so two ops cooperate through a shared
`RecurrenceState`:

* `Recurrence`, one node fed by gi, W_hh and b_hh, whose output is a placeholder scalar;
* `RecurrentStep`, one node per step, fed by that placeholder and h_{t-1}. Its forward
  reads gi_t and W_hh from the state; its backward writes d z_t into the state's buffers
  and returns d h_{t-1} = d gh_t · W_hh.

Every step has an edge to the `Recurrence` node, so the engine runs that node's backward
after all steps'. It returns d gi (the buffer), d W_hh = Σ_t d gh_tᵀ h_{t-1} as ONE matmul
over all steps, and d b_hh. Back-propagation through time is still the engine's iterative
walk over T unrolled step nodes (5,000 steps are fine), with the arithmetic of a fused kernel.

Higher-order gradients (`create_graph=True`) take the same route with Tensors: each step's
`graph_backward` computes d z_t and d h_{t-1} = d gh_t · W_hh with recorded ops and leaves
d gi_t, d gh_t and h_{t-1} (as Tensors) in the state; `Recurrence.graph_backward` stacks them
and returns d gi, d W_hh and d b_hh as recorded ops too, so they can be differentiated again.
Nothing extra is kept in forward for this: h_{t-1} is the array already kept for d W_hh,
re-attached to the graph through the step's edge to it.

For the Elman RNN the step also applies tanh/relu (one node per step); for LSTM and GRU
it returns the pre-activations and the gates are ordinary Tensor ops. GRU needs its n-gate
pieces apart (n = tanh(gi_n + r ⊙ gh_n)), so with `gru=True` the step returns
(B, 4H) = [gi_rz + gh_rz, gi_n, gh_n] instead of the sum.

    >>> import autograd_core as ag
    >>> import nn
    >>> out, h_n = nn.RNN(3, 4)(ag.randn(5, 2, 3))
    >>> out.shape, h_n.shape
    ((5, 2, 4), (1, 2, 4))
"""

from __future__ import annotations

import numpy as np

from autograd_core import Tensor
from autograd_core.function import Op
from autograd_core.ops.shape import cat, stack


class RecurrenceState:
    """What the steps of one layer and direction share: inputs, saved h_{t-1}, gradient buffers."""

    __slots__ = ("gi", "w_hh", "b_hh", "gru", "activation", "keep_h", "h_prev", "d_gi", "d_gh",
                 "recorded")

    def __init__(self, gru: bool = False, activation: str | None = None, keep_h: bool = True):
        self.gru = gru
        self.activation = activation
        self.keep_h = keep_h  # store h_{t-1} for d W_hh (not needed without gradients)
        self.gi = self.w_hh = self.b_hh = None
        self.h_prev = self.d_gi = self.d_gh = None
        # Under create_graph: step t -> (d gi_t, d gh_t, h_{t-1} or None), all Tensors.
        self.recorded = None

    def buffers(self, dtype) -> None:
        if self.d_gi is None:
            self.d_gi = np.zeros(self.gi.shape, dtype=dtype)
            # Without the GRU split, d gh_t = d z_t = d gi_t: one buffer serves both.
            self.d_gh = np.zeros(self.gi.shape, dtype=dtype) if self.gru else self.d_gi


class Recurrence(Op):
    """Gathers the gradients of all steps into gi, W_hh and b_hh (see the module docstring)."""

    @staticmethod
    def forward(ctx, gi, w_hh, b_hh, state):
        state.gi, state.w_hh, state.b_hh = gi, w_hh, b_hh
        ctx.state = state
        return np.zeros((), dtype=gi.dtype)

    @staticmethod
    def backward(ctx, g):
        state = ctx.state
        d_gi, d_gh = state.d_gi, state.d_gh
        # Fresh buffers for a later backward through a retained graph.
        state.d_gi = state.d_gh = None
        if d_gi is None:
            return None, None, None, None
        _, need_w, need_b, _ = ctx.next
        d_w = d_b = None
        if need_w is not None and state.h_prev is not None:
            width = d_gh.shape[-1]
            d_w = d_gh.reshape(-1, width).T @ state.h_prev.reshape(-1, state.h_prev.shape[-1])
        elif need_w is not None:
            d_w = np.zeros(state.w_hh.shape, dtype=d_gi.dtype)  # no step had an h_{t-1}
        if need_b is not None:
            d_b = d_gh.sum(axis=(0, 1))
        return d_gi, d_w, d_b, None

    def graph_backward(self, grad) -> tuple:
        """The same gradients as `backward`, as recorded ops on the Tensors the steps left
        in the state (see RecurrentStep.graph_backward), so they can be differentiated again."""
        state = self.state
        recorded, state.recorded = state.recorded, None
        if not recorded:
            return None, None, None, None
        need_gi, need_w, need_b, _ = self.next
        steps = sorted(recorded)
        d_gi = d_w = d_b = None
        if need_gi is not None:
            shape = state.gi.shape
            zero = Tensor._make(np.zeros(shape[1:], dtype=state.gi.dtype), None)
            # A step the backward did not reach contributes nothing.
            d_gi = stack([recorded[t][0] if t in recorded else zero for t in range(shape[0])])
        if need_w is not None or need_b is not None:
            d_gh = stack([recorded[t][1] for t in steps])  # (steps, B, G)
            if need_b is not None:
                d_b = d_gh.sum(axis=(0, 1))
            if need_w is not None and recorded[steps[0]][2] is not None:
                h = stack([recorded[t][2] for t in steps])
                d_w = d_gh.reshape(-1, d_gh.shape[-1]).T @ h.reshape(-1, h.shape[-1])
            elif need_w is not None:  # no step had an h_{t-1}
                d_w = Tensor._make(np.zeros(state.w_hh.shape, dtype=state.w_hh.dtype), None)
        return d_gi, d_w, d_b, None


class RecurrentStep(Op):
    """z_t from gi_t and h_{t-1} (None: a zero initial state) for step `t`; with
    `state.activation` ('tanh' or 'relu', the Elman RNN) the step returns h_t = act(z_t)."""

    ordering_inputs = (0,)  # the placeholder from Recurrence: it only orders the walk

    @staticmethod
    def forward(ctx, handle, state, t, h):
        gi_t = state.gi[t]
        b = state.b_hh
        ctx.info = (state, t)
        if state.gru:
            gh = _hidden_projection(state, t, h, gi_t.shape)
            two = 2 * (gi_t.shape[-1] // 3)
            return np.concatenate([gi_t[:, :two] + gh[:, :two], gi_t[:, two:], gh[:, two:]], axis=1)
        if h is None:
            z = gi_t + b if b is not None else gi_t.copy()
        else:
            z = _hidden_projection(state, t, h, gi_t.shape)
            z += gi_t  # in place: z is the fresh matmul result
        if state.activation is None:
            return z
        # The Elman nonlinearity, fused: one node per step instead of two.
        if state.activation == "tanh":
            np.tanh(z, out=z)
        else:
            np.maximum(z, 0, out=z)
        ctx.saved = (z,)
        return z

    @staticmethod
    def backward(ctx, g):
        state, t = ctx.info
        state.buffers(g.dtype)
        if state.activation == "tanh":
            (y,) = ctx.saved
            d = y * y  # g · (1 - y²), in one temporary
            np.subtract(1, d, out=d)
            d *= g
            g = d
        elif state.activation == "relu":
            (y,) = ctx.saved
            g = g * (y > 0)
        if state.gru:
            two = g.shape[-1] // 2
            width = 3 * two // 2
            state.d_gi[t] = g[:, :width]
            d_gh = state.d_gh[t]
            d_gh[:, :two] = g[:, :two]
            d_gh[:, two:] = g[:, width:]
        else:
            state.d_gi[t] = g
            d_gh = g
        d_h = d_gh @ state.w_hh if ctx.next[3] is not None else None
        return np.zeros((), dtype=g.dtype), None, None, d_h

    def graph_backward(self, grad) -> tuple:
        """`backward` with recorded ops: d z_t from the output Tensor (Elman), d h_{t-1} =
        d gh_t · W_hh with W_hh as the graph's Tensor; d gi_t, d gh_t and h_{t-1} go to the
        state for `Recurrence.graph_backward`."""
        state, t = self.info
        if state.activation is not None:
            y = self.saved[0]
            if state.activation == "tanh":
                grad = grad * (1 - _on_graph(y, self) ** 2)  # d tanh = 1 - y², y on the graph
            else:
                grad = np.where(y > 0, grad, 0)  # the mask is a constant
        if state.gru:
            two = grad.shape[-1] // 2
            width = 3 * two // 2
            d_gi, d_gh = grad[:, :width], cat([grad[:, :two], grad[:, width:]], 1)
        else:
            d_gi = d_gh = grad
        loop, _, _, h_edge = self.next
        d_h = None
        if h_edge is not None:
            w_edge = loop.next[1] if loop is not None else None
            d_h = d_gh @ _on_graph(state.w_hh, w_edge)
        if loop is None:  # nothing before this step needs d gi, d W_hh or d b_hh
            return None, None, None, d_h
        if state.recorded is None:
            state.recorded = {}
        # h_{t-1} was kept (a zero row for a step that had none) when W_hh needs a gradient.
        h = None if state.h_prev is None else _on_graph(state.h_prev[t], h_edge)
        state.recorded[t] = (d_gi, d_gh, h)
        return Tensor._make(np.zeros((), dtype=grad.dtype), None), None, None, d_h


def _on_graph(value: np.ndarray, edge) -> Tensor:
    """The Tensor behind a graph edge, with `value` (its forward value) as data: a leaf is
    itself, a node's output is re-wrapped on that node, no edge gives a constant."""
    if isinstance(edge, Tensor):
        return edge
    return Tensor._make(value, edge)


def _hidden_projection(state: RecurrenceState, t: int, h, shape: tuple) -> np.ndarray:
    """gh_t = h_{t-1} W_hhᵀ + b_hh as a fresh array, keeping h_{t-1} for d W_hh."""
    b = state.b_hh
    if h is None:
        return np.zeros(shape, dtype=state.gi.dtype) if b is None else np.broadcast_to(b, shape)
    if state.keep_h:
        if state.h_prev is None:
            state.h_prev = np.zeros(state.gi.shape[:2] + h.shape[-1:], dtype=h.dtype)
        state.h_prev[t] = h
    gh = h @ state.w_hh.T
    if b is not None:
        gh += b
    return gh


def run_steps(gi: Tensor, w_hh: Tensor, b_hh: Tensor | None, initial, order, update,
              gru: bool = False, activation: str | None = None, keep_h: bool = True) -> list:
    """Unroll one layer and direction: for t in `order`, z_t = step(h_{t-1}), then
    `carry = update(z_t, carry)` (the gate nonlinearities, plain Tensor ops; None when the
    step applies `activation` itself). `carry` is h, or (h, c) for an LSTM; `initial` is
    its starting value (None: zeros). Returns the T carries in time order."""
    state = RecurrenceState(gru=gru, activation=activation, keep_h=keep_h)
    handle = Recurrence.apply(gi, w_hh, b_hh, state)
    outs = [None] * gi.shape[0]
    carry = initial
    for t in order:
        h = carry[0] if isinstance(carry, tuple) else carry
        z = RecurrentStep.apply(handle, state, t, h)
        carry = z if update is None else update(z, carry)
        outs[t] = carry
    return outs
