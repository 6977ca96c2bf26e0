"""Conv3d, transposed convolutions (ConvTranspose1d/2d/3d) and the lazy layers
(LazyLinear, LazyConv1d/2d/3d) with PyTorch's weight layouts, arguments and default
initialisation (kaiming_uniform_(a=√5) weights, U(±1/√fan_in) biases).

    >>> import autograd_core as ag
    >>> import nn
    >>> nn.ConvTranspose2d(4, 2, 3, stride=2)(ag.zeros(1, 4, 5, 5)).shape
    (1, 2, 11, 11)
"""

from __future__ import annotations

from autograd_core import Tensor, empty
from autograd_core.ops.conv3d import conv3d
from autograd_core.ops.conv_transpose import conv_transpose_nd
from autograd_core.ops.padding import pad
from autograd_core.ops.unfold import ntuple

from . import init
from .module import Module
from .parameter import Parameter

_PADDING_MODES = {"zeros": None, "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


class _ConvBase(Module):
    _n = 3
    _transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype=None,
        output_padding=0,
    ):
        super().__init__()
        name, n = type(self).__name__, self._n
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must "
                f"be divisible by groups ({groups})"
            )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {tuple(_PADDING_MODES)}, got {padding_mode!r}"
            )
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}')
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", name)
        self.stride = ntuple(stride, n, "stride", name)
        self.dilation = ntuple(dilation, n, "dilation", name)
        self.output_padding = ntuple(output_padding, n, "output_padding", name)
        if isinstance(padding, str):
            if padding not in ("valid", "same") or self._transposed:
                raise ValueError(f"{name}: invalid padding string {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = ntuple(padding, n, "padding", name)
        if any(v <= 0 for v in self.kernel_size + self.stride + self.dilation):
            raise ValueError(f"{name}: kernel_size, stride and dilation must be positive")
        self.padding_mode = padding_mode
        self.transposed = self._transposed
        shape = (
            (in_channels, out_channels // groups)
            if self._transposed
            else (out_channels, in_channels // groups)
        )
        self.weight = Parameter(empty(*shape, *self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_layer_init_(self.weight, self.bias)

    def extra_repr(self) -> str:
        n = self._n
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv3d(_ConvBase):
    """3-D convolution over (N, C_in, D, H, W); weight (out, in/groups, kD, kH, kW)."""

    _n = 3

    def forward(self, x: Tensor) -> Tensor:
        mode = _PADDING_MODES[self.padding_mode]
        if mode is not None and not isinstance(self.padding, str):
            widths = []
            for p in reversed(self.padding):
                widths += [p, p]
            return conv3d(
                pad(x, widths, mode), self.weight, self.bias, self.stride, 0, self.dilation, self.groups
            )
        return conv3d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class _ConvTransposeNd(_ConvBase):
    _transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        dtype=None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            dtype,
            output_padding,
        )

    def _output_padding(self, x: Tensor, output_size) -> tuple:
        if output_size is None:
            return self.output_padding
        n = self._n
        size = tuple(int(v) for v in output_size)[-n:]
        if len(size) != n:
            raise ValueError(
                f"{type(self).__name__}: output_size must have {n} or {n + 2} elements, got {output_size}"
            )
        pads = []
        for i, want in enumerate(size):
            lo = (
                (x.shape[x.ndim - n + i] - 1) * self.stride[i]
                - 2 * self.padding[i]
                + self.dilation[i] * (self.kernel_size[i] - 1)
                + 1
            )
            if not lo <= want < lo + max(self.stride[i], self.dilation[i]):
                raise ValueError(
                    f"{type(self).__name__}: requested an output size of {size}, but valid "
                    f"sizes in dim {i} range from {lo} to {lo + self.stride[i] - 1}"
                )
            pads.append(want - lo)
        return tuple(pads)

    def forward(self, x: Tensor, output_size=None) -> Tensor:
        return conv_transpose_nd(
            f"conv_transpose{self._n}d",
            self._n,
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self._output_padding(x, output_size),
            self.groups,
            self.dilation,
        )


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution; weight (in, out/groups, k).

    >>> import autograd_core as ag
    >>> ConvTranspose1d(2, 3, 4, stride=2)(ag.zeros(1, 2, 5)).shape
    (1, 3, 12)
    """

    _n = 1


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution; weight (in, out/groups, kH, kW)."""

    _n = 2


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution; weight (in, out/groups, kD, kH, kW)."""

    _n = 3


# -- lazy layers ---------------------------------------------------------------------------
def _become(module: Module, fresh: Module) -> None:
    """Give `module` the attributes and parameters of the freshly built `fresh`, then its class
    (PyTorch's lazy modules likewise turn into their concrete class after the first call)."""
    keep = {"training", "_parameters", "_buffers", "_modules", "_non_persistent_buffers"}
    for key, value in fresh.__dict__.items():
        if key not in keep and not key.startswith("_"):
            object.__setattr__(module, key, value)
    for name, param in fresh._parameters.items():
        module.register_parameter(name, param)
    for name, buf in fresh._buffers.items():
        module.register_buffer(name, buf, persistent=name not in fresh._non_persistent_buffers)
    for key in ("_bias", "_dtype", "_args"):  # the lazy module's own construction arguments
        module.__dict__.pop(key, None)
    module.__class__ = type(fresh)


class LazyLinear(Module):
    """A Linear whose in_features is read from the first input; it then becomes a Linear.

    >>> import autograd_core as ag
    >>> layer = LazyLinear(3)
    >>> layer(ag.zeros(2, 5)).shape, layer.weight.shape
    ((2, 3), (3, 5))
    """

    def __init__(self, out_features: int, bias: bool = True, dtype=None):
        super().__init__()
        self.in_features = 0
        self.out_features = out_features
        self._bias, self._dtype = bias, dtype
        self.register_parameter("weight", None)
        self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        from .linear import Linear

        if x.ndim == 0:
            raise ValueError("LazyLinear: the input must have at least 1 dim")
        _become(self, Linear(x.shape[-1], self.out_features, self._bias, dtype=self._dtype))
        return self(x)


class _LazyConv(Module):
    _transposed = False

    _n = 2

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype=None,
    ):
        super().__init__()
        self.in_channels, self.out_channels = 0, out_channels
        self._args = dict(
            kernel_size=kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=bias,
            padding_mode=padding_mode,
        )
        self._dtype = dtype
        self.register_parameter("weight", None)
        self.register_parameter("bias", None)

    def _concrete(self):
        from .conv import Conv1d, Conv2d

        if self._transposed:
            return {1: ConvTranspose1d, 2: ConvTranspose2d, 3: ConvTranspose3d}[self._n]
        return {1: Conv1d, 2: Conv2d, 3: Conv3d}[self._n]

    def forward(self, x: Tensor) -> Tensor:
        n = self._n
        if x.ndim not in (n + 1, n + 2):
            raise ValueError(
                f"{type(self).__name__}: expected {n + 1}D or {n + 2}D input, got shape {x.shape}"
            )
        channels = x.shape[0] if x.ndim == n + 1 else x.shape[1]
        _become(self, self._concrete()(channels, self.out_channels, dtype=self._dtype, **self._args))
        return self(x)


class LazyConv1d(_LazyConv):
    """A Conv1d whose in_channels is read from the first input."""

    _n = 1


class LazyConv2d(_LazyConv):
    """A Conv2d whose in_channels is read from the first input.

    >>> import autograd_core as ag
    >>> LazyConv2d(4, 3)(ag.zeros(1, 2, 5, 5)).shape
    (1, 4, 3, 3)
    """

    _n = 2


class LazyConv3d(_LazyConv):
    """A Conv3d whose in_channels is read from the first input."""

    _n = 3


class _LazyConvTranspose(_LazyConv):
    _transposed = True

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        dtype=None,
    ):
        super().__init__(
            out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode, dtype
        )
        self._args["output_padding"] = output_padding


class LazyConvTranspose1d(_LazyConvTranspose):
    """A ConvTranspose1d whose in_channels is read from the first input."""

    _n = 1


class LazyConvTranspose2d(_LazyConvTranspose):
    """A ConvTranspose2d whose in_channels is read from the first input."""

    _n = 2


class LazyConvTranspose3d(_LazyConvTranspose):
    """A ConvTranspose3d whose in_channels is read from the first input."""

    _n = 3


class _LazyNorm(Module):
    """A batch/instance norm whose num_features is read from dim 1 of the first input."""

    _target = ""
    _spatial = 1

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype=None,
    ):
        super().__init__()
        self.num_features = 0
        self._args = dict(
            eps=eps, momentum=momentum, affine=affine, track_running_stats=track_running_stats, dtype=dtype
        )
        self.register_parameter("weight", None)
        self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        from . import normalization, normalization_ext

        cls = getattr(normalization, self._target, None) or getattr(normalization_ext, self._target)
        unbatched = self._target.startswith("Instance") and x.ndim == self._spatial + 1
        if x.ndim < 2:
            raise ValueError(f"{type(self).__name__}: expected at least 2D input, got shape {x.shape}")
        _become(self, cls(x.shape[0] if unbatched else x.shape[1], **self._args))
        return self(x)


def _lazy_norm(name, target, spatial, doc):
    # PyTorch's lazy norms default to affine=True and track_running_stats=True, instance norms too.
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, dtype=None):
        _LazyNorm.__init__(self, eps, momentum, affine, track_running_stats, dtype)

    return type(
        name,
        (_LazyNorm,),
        {
            "_target": target,
            "_spatial": spatial,
            "__init__": __init__,
            "__doc__": doc,
            "__module__": __name__,
        },
    )


LazyBatchNorm1d = _lazy_norm("LazyBatchNorm1d", "BatchNorm1d", 1, "A BatchNorm1d with lazy num_features.")
LazyBatchNorm2d = _lazy_norm("LazyBatchNorm2d", "BatchNorm2d", 2, "A BatchNorm2d with lazy num_features.")
LazyBatchNorm3d = _lazy_norm("LazyBatchNorm3d", "BatchNorm3d", 3, "A BatchNorm3d with lazy num_features.")
LazyInstanceNorm1d = _lazy_norm(
    "LazyInstanceNorm1d", "InstanceNorm1d", 1, "An InstanceNorm1d with lazy num_features."
)
LazyInstanceNorm2d = _lazy_norm(
    "LazyInstanceNorm2d", "InstanceNorm2d", 2, "An InstanceNorm2d with lazy num_features."
)
LazyInstanceNorm3d = _lazy_norm(
    "LazyInstanceNorm3d", "InstanceNorm3d", 3, "An InstanceNorm3d with lazy num_features."
)
