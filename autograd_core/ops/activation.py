"""Activation functions as differentiable ops.

Each keeps what its derivative needs: tanh and sigmoid their output
(tanh' = 1 - y², σ' = y(1 - y)), relu/leaky_relu/gelu/softplus their input.
The heavy loops live in `autograd_core.kernels.activations`, which picks Numba or
NumPy per function by what measured faster.

    >>> import autograd_core as ag
    >>> ag.relu(ag.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""

from __future__ import annotations

import numpy as np

from ..function import Op, constant
from ..grad_mode import state
from ..kernels import activations as K

# Below this many elements a kernel's checks and launch cost more than the arithmetic: small
# float32/float64 arrays take the kernel's NumPy formula directly.
SMALL = 2048


class Tanh(Op):
    @staticmethod
    def forward(ctx, a):
        out = np.tanh(a) if a.dtype.char in "fd" else K.tanh_forward(a)  # the kernel is np.tanh too
        ctx.saved = (out,)
        return out

    @staticmethod
    def backward(ctx, g):
        y = ctx.saved[0]
        if type(g) is not np.ndarray:
            return g * (1 - y * y)  # the kernel's formula, differentiable when recorded
        if g.size < SMALL and g.dtype is y.dtype and y.dtype.char in "fd":
            return g * (constant(1, y.dtype) - y * y)
        return K.tanh_backward(y, g)


class Sigmoid(Op):
    @staticmethod
    def forward(ctx, a):
        out = K.sigmoid_forward(a)
        ctx.saved = (out,)
        return out

    @staticmethod
    def backward(ctx, g):
        if type(g) is not np.ndarray:
            y = ctx.saved[0]
            return g * y * (1 - y)
        return K.sigmoid_backward(ctx.saved[0], g)


class Relu(Op):
    @staticmethod
    def forward(ctx, a):
        ctx.saved = (a,)
        return K.relu_forward(a)

    @staticmethod
    def backward(ctx, g):
        if type(g) is not np.ndarray:
            return np.where(ctx.saved[0] > 0, g, 0)
        return K.relu_backward(ctx.saved[0], g)


class LeakyRelu(Op):
    @staticmethod
    def forward(ctx, a, slope):
        ctx.saved = (a,)
        ctx.slope = slope
        return K.leaky_relu_forward(a, slope)

    @staticmethod
    def backward(ctx, g):
        if type(g) is not np.ndarray:
            return np.where(ctx.saved[0] > 0, g, g * ctx.slope), None
        return K.leaky_relu_backward(ctx.saved[0], g, ctx.slope), None


def _keeps_derivative(a) -> bool:
    """Whether an activation's forward should also compute its derivative (one fused pass that
    makes the backward a multiplication): only when a gradient will be asked for."""
    return state.grad_enabled and getattr(a, "requires_grad", False)


def _forward(ctx, a, keep, name, forward, *params):
    """The forward of an activation that may keep dy/dx: with `keep`, y and dy/dx in one fused pass
    (`kernels.activations.forward_and_derivative`), else `forward(a, *params)` alone."""
    ctx.saved = (a,)
    if keep:
        y, ctx.dydx = K.forward_and_derivative(name, a, *params)
        return y
    ctx.dydx = None
    return forward(a, *params)


def _times_derivative(ctx, g):
    """The first-order backward of an op that kept dy/dx: g * dy/dx in the output's dtype, written
    over dy/dx, which only this node holds. The node then drops it: a second backward through a
    retained graph computes the derivative again from x, with the op's own backward kernel."""
    d, ctx.dydx = ctx.dydx, None
    return K.times_derivative(g, d, into_d=True)


def _grads(ctx, grad):
    """`grad` alone or with a None for every other argument, as the op was applied: tensor methods
    call an op with the input only, the functions also pass whether to keep the derivative."""
    rest = len(ctx.next) - 1
    return (grad,) + (None,) * rest if rest else grad


class Gelu(Op):
    """x·Φ(x) with the exact normal CDF (PyTorch's default, approximate='none')."""

    @staticmethod
    def forward(ctx, a, keep=False):
        return _forward(ctx, a, keep, "gelu", K.gelu_forward)

    @staticmethod
    def backward(ctx, g):
        if type(g) is not np.ndarray:  # d/dx x·Φ(x) = Φ(x) + x·φ(x)
            from .pointwise import erf

            x = ctx.saved[0]
            cdf = 0.5 * (1 + erf(x * 0.7071067811865476))
            return _grads(ctx, g * (cdf + x * np.exp(-0.5 * x * x) * 0.3989422804014327))
        if ctx.dydx is not None:
            return _grads(ctx, _times_derivative(ctx, g))
        return _grads(ctx, K.gelu_backward(ctx.saved[0], g))


_TANH_K0 = 0.7978845608028654  # sqrt(2/pi)
_TANH_K1 = 0.044715


class GeluTanh(Op):
    """x/2·(1 + tanh(√(2/π)(x + 0.044715x³))): GELU with approximate='tanh'."""

    @staticmethod
    def forward(ctx, a, keep=False):
        return _forward(ctx, a, keep, "gelu_tanh", lambda x: K.gelu_forward(x, "tanh"))

    @staticmethod
    def backward(ctx, g):
        if type(g) is not np.ndarray:  # recorded: the derivative written with differentiable ops
            x = ctx.saved[0]
            t = np.tanh(_TANH_K0 * (x + _TANH_K1 * x * x * x))
            du = _TANH_K0 * (1 + 3 * _TANH_K1 * x * x)
            return _grads(ctx, g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du))
        if ctx.dydx is not None:
            return _grads(ctx, _times_derivative(ctx, g))
        return _grads(ctx, K.gelu_backward(ctx.saved[0], g, "tanh"))


class Silu(Op):
    """x·σ(x) (swish), one fused kernel each way."""

    @staticmethod
    def forward(ctx, a, keep=False):
        return _forward(ctx, a, keep, "silu", K.silu_forward)

    @staticmethod
    def backward(ctx, g):
        if type(g) is not np.ndarray:
            x = ctx.saved[0]
            s = Sigmoid.apply(x)
            return _grads(ctx, g * (s * (1 + x * (1 - s))))
        if ctx.dydx is not None:
            return _grads(ctx, _times_derivative(ctx, g))
        return _grads(ctx, K.silu_backward(ctx.saved[0], g))


class Softplus(Op):
    """log(1 + exp(βx))/β, linear where βx > threshold (PyTorch's rule)."""

    @staticmethod
    def forward(ctx, a, beta, threshold, keep=False):
        ctx.params = (beta, threshold)
        return _forward(ctx, a, keep, "softplus", K.softplus_forward, beta, threshold)

    @staticmethod
    def backward(ctx, g):
        beta, threshold = ctx.params
        if type(g) is not np.ndarray:
            x = ctx.saved[0]
            grad = np.where(x * beta > threshold, g, g * Sigmoid.apply(x * beta))
        elif ctx.dydx is not None:
            grad = _times_derivative(ctx, g)
        else:
            grad = K.softplus_backward(ctx.saved[0], g, beta, threshold)
        return (grad,) + (None,) * (len(ctx.next) - 1)


def tanh(a):
    return Tanh.apply(a)


def sigmoid(a):
    return Sigmoid.apply(a)


def relu(a, inplace: bool = False):
    """max(a, 0); `inplace=True` writes the result into `a` (see inplace.py)."""
    return a.relu_() if inplace else Relu.apply(a)


def leaky_relu(a, negative_slope: float = 0.01, inplace: bool = False):
    """a where a > 0, else negative_slope·a; `inplace=True` writes into `a`."""
    if inplace:
        from ..inplace import apply_inplace

        return apply_inplace(a, "leaky_relu_", LeakyRelu.apply, negative_slope)
    return LeakyRelu.apply(a, negative_slope)


def gelu(a, approximate: str = "none"):
    """x·Φ(x); approximate='tanh' uses x/2·(1 + tanh(√(2/π)(x + 0.044715x³))), as PyTorch.

    >>> import autograd_core as ag
    >>> ag.functional.gelu(ag.tensor([0.0]), approximate="tanh")
    tensor([0.])
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return (GeluTanh if approximate == "tanh" else Gelu).apply(a, _keeps_derivative(a))


def silu(a):
    """x·σ(x), by the fused kernels of `autograd_core.kernels.activations`.

    >>> import autograd_core as ag
    >>> silu(ag.tensor([0.0]))
    tensor([0.])
    """
    return Silu.apply(a, _keeps_derivative(a))


def softplus(a, beta: float = 1.0, threshold: float = 20.0):
    return Softplus.apply(a, beta, threshold, _keeps_derivative(a))
