"""Recurrent layers with PyTorch's parameter names, shapes, gate order and initialisation.

    RNN:  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)        (or relu)
    LSTM: i, f, g, o = σ, σ, tanh, σ of (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), split in 4
          c_t = f ⊙ c_{t-1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)
    GRU:  r, z = σ(W_i{r,z} x_t + b_i{r,z} + W_h{r,z} h_{t-1} + b_h{r,z})
          n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn)),   h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

The sequence layers project the inputs of all steps with one `linear`, then unroll the
time loop on the graph with one `RecurrentStep` node per step (see `recurrence.py`) and
the gate nonlinearities as ordinary Tensor ops. The cells are plain compositions.

    >>> import autograd_core as ag
    >>> import nn
    >>> out, (h, c) = nn.LSTM(8, 16, num_layers=2, batch_first=True)(ag.randn(4, 10, 8))
    >>> out.shape, h.shape, c.shape
    ((4, 10, 16), (2, 4, 16), (2, 4, 16))
"""

from __future__ import annotations

import math
import warnings

import autograd_core.functional as F
from autograd_core import Tensor, cat, empty, is_grad_enabled, stack, zeros
from autograd_core.ops.recurrence import run_steps

from . import _checks, init
from .module import Module
from .parameter import Parameter

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_ELMAN = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}


# -- gate updates, shared by the cells and the sequence layers ---------------------------
def lstm_update(z: Tensor, c: Tensor | None) -> tuple[Tensor, Tensor]:
    """(h, c) from the pre-activations z = [i, f, g, o] (B, 4H) and c_{t-1} (None: zeros)."""
    n = z.shape[-1] // 4
    s = z.sigmoid()  # one node for i, f, o (the g quarter of it goes unused)
    i, f, o = s[..., :n], s[..., n:2 * n], s[..., 3 * n:]
    g = z[..., 2 * n:3 * n].tanh()
    c = i * g if c is None else f * c + i * g
    return o * c.tanh(), c


def gru_update(rz: Tensor, gi_n: Tensor, gh_n: Tensor, h: Tensor | None) -> Tensor:
    """h_t from the r/z pre-activations (B, 2H), W_in x + b_in, W_hn h + b_hn and h_{t-1}."""
    n_hidden = rz.shape[-1] // 2
    gates = rz.sigmoid()
    r, z = gates[..., :n_hidden], gates[..., n_hidden:]
    n = (gi_n + r * gh_n).tanh()
    return n - z * n if h is None else n + z * (h - n)  # (1 - z) n + z h, in fewer nodes


def _activation(nonlinearity: str):
    if nonlinearity == "tanh":
        return F.tanh
    if nonlinearity == "relu":
        return F.relu
    raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")


# -- cells ---------------------------------------------------------------------------------
class _CellBase(Module):
    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=None):
        super().__init__()
        self.input_size = _checks.size(type(self).__name__, "input_size", input_size)
        self.hidden_size = _checks.size(type(self).__name__, "hidden_size", hidden_size)
        self.bias = bias
        width = self._gates * hidden_size
        self.weight_ih = Parameter(empty(width, input_size, dtype=dtype))
        self.weight_hh = Parameter(empty(width, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(width, dtype=dtype))
            self.bias_hh = Parameter(empty(width, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _batched(self, x: Tensor, hx):
        """Unbatched (H_in,) input becomes (1, H_in); returns x, hx and whether to squeeze back."""
        if x.ndim not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got {x.ndim}D instead")
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}: input has {x.shape[-1]} features, expected {self.input_size}"
            )
        if x.ndim == 2:
            return x, hx, False
        if isinstance(hx, tuple):
            hx = tuple(h.unsqueeze(0) for h in hx)
        elif hx is not None:
            hx = hx.unsqueeze(0)
        return x.unsqueeze(0), hx, True

    def _zeros(self, x: Tensor) -> Tensor:
        return zeros(x.shape[0], self.hidden_size, dtype=x.dtype)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s


class RNNCell(_CellBase):
    """One Elman step: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu).

        >>> import autograd_core as ag
        >>> RNNCell(3, 5)(ag.randn(2, 3)).shape
        (2, 5)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, dtype)
        self._act = _activation(nonlinearity)
        self.nonlinearity = nonlinearity

    def forward(self, x: Tensor, hx: Tensor | None = None) -> Tensor:
        x, hx, squeeze = self._batched(x, hx)
        hx = hx if hx is not None else self._zeros(x)  # as PyTorch: W_hh gets a (zero) gradient
        h = self._act(F.linear(x, self.weight_ih, self.bias_ih) + F.linear(hx, self.weight_hh, self.bias_hh))
        return h.squeeze(0) if squeeze else h

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + f", nonlinearity={self.nonlinearity}"


class LSTMCell(_CellBase):
    """One LSTM step; returns (h', c'). Gates in PyTorch's order i, f, g, o.

        >>> import autograd_core as ag
        >>> h, c = LSTMCell(3, 5)(ag.randn(2, 3))
        >>> h.shape, c.shape
        ((2, 5), (2, 5))
    """

    _gates = 4

    def forward(self, x: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        x, hx, squeeze = self._batched(x, hx)
        h, c = hx if hx is not None else (self._zeros(x), self._zeros(x))
        z = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(h, self.weight_hh, self.bias_hh)
        h, c = lstm_update(z, c)
        return (h.squeeze(0), c.squeeze(0)) if squeeze else (h, c)


class GRUCell(_CellBase):
    """One GRU step; gates in PyTorch's order r, z, n.

        >>> import autograd_core as ag
        >>> GRUCell(3, 5)(ag.randn(2, 3)).shape
        (2, 5)
    """

    _gates = 3

    def forward(self, x: Tensor, hx: Tensor | None = None) -> Tensor:
        x, hx, squeeze = self._batched(x, hx)
        n = self.hidden_size
        gi = F.linear(x, self.weight_ih, self.bias_ih)
        gh = F.linear(hx if hx is not None else self._zeros(x), self.weight_hh, self.bias_hh)
        h = gru_update(gi[..., :2 * n] + gh[..., :2 * n], gi[..., 2 * n:], gh[..., 2 * n:], hx)
        return h.squeeze(0) if squeeze else h


# -- sequence layers ---------------------------------------------------------------------
class _RNNBase(Module):
    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, dtype=None):
        super().__init__()
        layer = type(self).__name__
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{layer}: dropout should be a number in range [0, 1] representing the "
                             f"probability of an element being zeroed, got {dropout!r}")
        for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                            ("num_layers", num_layers)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{layer}: {name} should be of type int, got {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"{layer}: {name} must be greater than zero, got {value}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{layer}: dropout is applied after every recurrent layer but the last, so "
                          f"dropout={dropout} with num_layers=1 has no effect", UserWarning, stacklevel=2)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        directions = 2 if bidirectional else 1
        width = _GATES[mode] * hidden_size
        # PyTorch's registration order: per layer, per direction: w_ih, w_hh, b_ih, b_hh.
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for direction in range(directions):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                setattr(self, "weight_ih" + sfx, Parameter(empty(width, layer_input, dtype=dtype)))
                setattr(self, "weight_hh" + sfx, Parameter(empty(width, hidden_size, dtype=dtype)))
                if bias:
                    setattr(self, "bias_ih" + sfx, Parameter(empty(width, dtype=dtype)))
                    setattr(self, "bias_hh" + sfx, Parameter(empty(width, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _weights(self, layer: int, direction: int) -> tuple:
        sfx = f"_l{layer}" + ("_reverse" if direction else "")
        p = self._parameters
        return p["weight_ih" + sfx], p["weight_hh" + sfx], p.get("bias_ih" + sfx), p.get("bias_hh" + sfx)

    def _check_hidden(self, h: Tensor, batch: int, batched: bool, what: str = "hidden") -> None:
        expected = (self.num_layers * (2 if self.bidirectional else 1),) + ((batch,) if batched else ()) + (
            self.hidden_size,)
        if tuple(h.shape) != expected:
            raise ValueError(f"{type(self).__name__}: Expected {what} size {expected}, got {list(h.shape)}")

    def _update(self):
        """The per-step function `carry = update(z, carry)` for this mode."""
        if self.mode == "LSTM":
            return lambda z, carry: lstm_update(z, carry[1])
        if self.mode == "GRU":
            n = self.hidden_size
            return lambda z, h: gru_update(z[:, :2 * n], z[:, 2 * n:3 * n], z[:, 3 * n:], h)
        return None  # the Elman step applies tanh/relu itself

    def _run(self, x: Tensor, h0: Tensor | None, c0: Tensor | None):
        """x: (T, B, H_in). Returns output (T, B, D·H) and the final (h, c) per layer and direction."""
        directions = 2 if self.bidirectional else 1
        update = self._update()
        last_h, last_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
                k = layer * directions + direction
                h = h0[k] if h0 is not None else None
                initial = (h, c0[k] if c0 is not None else None) if self.mode == "LSTM" else h
                gi = F.linear(x, w_ih, b_ih)  # the input projection of all T steps at once
                order = range(x.shape[0] - 1, -1, -1) if direction else range(x.shape[0])
                keep_h = is_grad_enabled() and w_hh.requires_grad
                carries = run_steps(gi, w_hh, b_hh, initial, order, update, gru=self.mode == "GRU",
                                    activation=_ELMAN.get(self.mode), keep_h=keep_h)
                final = carries[order[-1]]
                if self.mode == "LSTM":
                    last_h.append(final[0])
                    last_c.append(final[1])
                    outputs.append(stack([hc[0] for hc in carries]))
                else:
                    last_h.append(final)
                    outputs.append(stack(carries))
            x = outputs[0] if directions == 1 else cat(outputs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        h_n = stack(last_h)
        return x, h_n, (stack(last_c) if last_c else None)

    def forward(self, x: Tensor, hx=None):
        name = type(self).__name__
        if x.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {x.ndim}D instead")
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {x.shape[-1]}"
            )
        batched = x.ndim == 3
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        elif not batched:
            x = x.unsqueeze(1)
        if x.shape[0] == 0:
            raise ValueError(f"{name}: the input sequence is empty")
        h0 = c0 = None
        if hx is not None:
            if self.mode == "LSTM":
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
                h0, c0 = hx
                self._check_hidden(c0, x.shape[1], batched, "cell")
            else:
                h0 = hx
            self._check_hidden(h0, x.shape[1], batched)
            if not batched:
                h0 = h0.unsqueeze(1)
                c0 = c0.unsqueeze(1) if c0 is not None else None
        out, h_n, c_n = self._run(x, h0, c0)
        if batched and self.batch_first:
            out = out.transpose(0, 1)
        elif not batched:
            out, h_n = out.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        return (out, (h_n, c_n)) if self.mode == "LSTM" else (out, h_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity=relu"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(_RNNBase):
    """Elman RNN over (L, B, H_in) (or (B, L, H_in) with batch_first, or unbatched (L, H_in));
    returns (output, h_n) with output (L, B, D·H) and h_n (num_layers·D, B, H).

        >>> import autograd_core as ag
        >>> out, h = RNN(4, 8, num_layers=2, nonlinearity="relu")(ag.randn(6, 3, 4))
        >>> out.shape, h.shape
        ((6, 3, 8), (2, 3, 8))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype=None):
        _activation(nonlinearity)  # validate before building anything
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype)
        self.nonlinearity = nonlinearity


class LSTM(_RNNBase):
    """LSTM; returns (output, (h_n, c_n)). Optional hx = (h_0, c_0)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)


class GRU(_RNNBase):
    """GRU; returns (output, h_n). Optional h_0."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)
