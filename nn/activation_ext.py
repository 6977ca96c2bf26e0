"""More activation layers: thin modules over `autograd_core.ops.activation_ext`, with
PyTorch's constructor arguments (`inplace` accepted; the result is a new Tensor).

    >>> import autograd_core as ag
    >>> import nn
    >>> nn.ReLU6()(ag.tensor([-1.0, 7.0]))
    tensor([0., 6.])
"""

from __future__ import annotations

from autograd_core import Tensor, empty
from autograd_core.ops import activation_ext as A
from autograd_core.ops.softmax import softmax

from . import init
from .module import Module
from .parameter import Parameter


def _inplace(flag: bool) -> str:
    return "inplace=True" if flag else ""


class SiLU(Module):
    """x·σ(x)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return A.silu(x)

    def extra_repr(self) -> str:
        return _inplace(self.inplace)


class Mish(SiLU):
    """x·tanh(softplus(x))."""

    def forward(self, x: Tensor) -> Tensor:
        return A.mish(x)


class Hardswish(SiLU):
    """x·relu6(x + 3)/6."""

    def forward(self, x: Tensor) -> Tensor:
        return A.hardswish(x)


class Hardsigmoid(SiLU):
    """relu6(x + 3)/6."""

    def forward(self, x: Tensor) -> Tensor:
        return A.hardsigmoid(x)


class SELU(SiLU):
    """scale·elu(x, alpha) with the self-normalising constants."""

    def forward(self, x: Tensor) -> Tensor:
        return A.selu(x)


class ELU(Module):
    """x for x > 0, alpha·(eˣ - 1) otherwise."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return A.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """max(0, x) + min(0, alpha·(e^{x/alpha} - 1))."""

    def forward(self, x: Tensor) -> Tensor:
        return A.celu(x, self.alpha)


class Hardtanh(Module):
    """Clamp to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val {min_val} cannot be greater than max_val {max_val}")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return A.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace(self.inplace)


class LogSigmoid(Module):
    """log σ(x)."""

    def forward(self, x: Tensor) -> Tensor:
        return A.logsigmoid(x)


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, x: Tensor) -> Tensor:
        return A.softsign(x)


class Tanhshrink(Module):
    """x - tanh(x)."""

    def forward(self, x: Tensor) -> Tensor:
        return A.tanhshrink(x)


class Softshrink(Module):
    """Shrink towards 0 by lambd; 0 inside [-lambd, lambd]."""

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        if lambd < 0:
            raise ValueError(f"Softshrink: lambda must be greater or equal to 0, but found to be {lambd}")
        self.lambd = lambd

    def forward(self, x: Tensor) -> Tensor:
        return A.softshrink(x, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    """x outside [-lambd, lambd], 0 inside."""

    def __init__(self, lambd: float = 0.5):
        Module.__init__(self)
        self.lambd = lambd

    def forward(self, x: Tensor) -> Tensor:
        return A.hardshrink(x, self.lambd)


class Threshold(Module):
    """x where x > threshold, `value` elsewhere."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return A.threshold(x, self.threshold, self.value)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class Softmin(Module):
    """softmax(-x) along `dim`."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return A.softmin(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels of (N, C, H, W) or (C, H, W)."""

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input with 3 or 4 dims, got shape {x.shape}")
        return softmax(x, -3)


class GLU(Module):
    """a·σ(b) with (a, b) the halves of the input along `dim`."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return A.glu(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class PReLU(Module):
    """Leaky ReLU with a learnt slope: one (num_parameters=1) or one per channel; `weight`
    starts at `init` (0.25), as PyTorch.

        >>> PReLU(3).weight.shape
        (3,)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=None):
        super().__init__()
        if num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be positive, got {num_parameters}")
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(empty(num_parameters, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, x: Tensor) -> Tensor:
        return A.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomised leaky ReLU: slopes ~ U(lower, upper) while training, their mean in eval."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        if lower > upper:
            raise ValueError(f"RReLU: lower bound {lower} must be <= upper bound {upper}")
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return A.rrelu(x, self.lower, self.upper, self.training)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")
