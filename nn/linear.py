"""Dense layers: `Linear`, `Identity`, `Flatten` and the `MLP` built from them.

    >>> import autograd_core as ag
    >>> import nn
    >>> nn.Linear(3, 2)(ag.ones(4, 3)).shape
    (4, 2)
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import autograd_core.functional as F
from autograd_core import Tensor, empty

from . import _checks, init
from .activation import ReLU
from .containers import Sequential
from .dropout import Dropout
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """y = x Wᵀ + b with W of shape (out_features, in_features), as PyTorch.

    Initialised like PyTorch: W ~ kaiming_uniform_(a=√5), i.e. U(-1/√in, 1/√in), and the
    bias U(-1/√in, 1/√in).
        >>> Linear(4, 2).weight.shape
        (2, 4)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None):
        super().__init__()
        self.in_features = _checks.size("Linear", "in_features", in_features)
        self.out_features = _checks.size("Linear", "out_features", out_features)
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)  # one fused node

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input; takes (and ignores) any constructor arguments, like PyTorch."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Flatten(Module):
    """Flatten dims start_dim..end_dim into one: (N, C, H, W) -> (N, C·H·W) by default.

        >>> import autograd_core as ag
        >>> Flatten()(ag.zeros(2, 3, 4)).shape
        (2, 12)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class MLP(Sequential):
    """A multi-layer perceptron: (Linear, activation[, Dropout]) per hidden size, then Linear.

    It *is* a Sequential, so its children are numbered in order and its state_dict keys
    are those of the equivalent `torch.nn.Sequential`: for `MLP(784, [256, 128], 10)`
    the Linears are "0", "2", "4" ("0.weight", "0.bias", ..., "4.bias") with the
    activations at "1", "3"; with `dropout > 0` each hidden block is three modules, so the
    Linears are "0", "3", "6". Dropout has no parameters, so it never changes the count.

        >>> import nn
        >>> nn.utils.count_parameters(nn.MLP(784, [256, 128], 10))
        235146

    `activation` is a Module class or any zero-argument factory (`lambda: nn.LeakyReLU(0.2)`);
    a Module instance is copied for each layer.
    """

    def __init__(self, in_features: int, hidden_sizes: Sequence[int] | int, out_features: int,
                 activation: type[Module] | Callable[[], Module] | Module = ReLU, dropout: float = 0.0):
        if isinstance(hidden_sizes, int):
            hidden_sizes = [hidden_sizes]
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP: dropout must be in [0, 1), got {dropout}")
        layers: list[Module] = []
        width = in_features
        for size in hidden_sizes:
            layers.append(Linear(width, size))
            layers.append(copy.deepcopy(activation) if isinstance(activation, Module) else activation())
            if dropout > 0:
                layers.append(Dropout(dropout))
            width = size
        layers.append(Linear(width, out_features))
        super().__init__(*layers)
        self.in_features = in_features
        self.hidden_sizes = list(hidden_sizes)
        self.out_features = out_features
