"""autograd_core: a Tensor that records a graph, a backward engine that walks it, and
the functional operations built on them.

>>> import autograd_core as ag
>>> x = ag.tensor([2.0], requires_grad=True)
>>> (x ** 3).sum().backward(); x.grad
tensor([12.])
"""

from .creation import (
    arange,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    normal,
    ones,
    ones_like,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .devices import cuda, device, mps
from .dtypes import (
    bool_,
    complex64,
    complex128,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
)
from .dtypes import bool_ as bool  # noqa: A001 - PyTorch's spellings of the dtypes
from .dtypes import complex64 as cfloat
from .dtypes import complex128 as cdouble
from .dtypes import float16 as half
from .dtypes import float32 as float  # noqa: A001
from .dtypes import float64 as double
from .dtypes import int16 as short
from .dtypes import int32 as int  # noqa: A001
from .dtypes import int64 as long
from .function import Function, ShapeError
from .grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .memory import tune_allocator as _tune_allocator
from .ops.activation import gelu, leaky_relu, relu, sigmoid, softplus, tanh
from .ops.elementwise import (
    abs,
    add,
    clamp,
    cos,
    div,
    exp,
    log,
    log1p,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sin,
    sqrt,
    sub,
    where,
)
from .ops.index import gather, index_select, narrow
from .ops.linalg import matmul
from .ops.reduce import (
    amax,
    amin,
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    std,
    sum,
    var,
)
from .ops.shape import (
    broadcast_to,
    cat,
    chunk,
    expand,
    flatten,
    flip,
    pad,
    permute,
    repeat,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)
from .ops.softmax import log_softmax, softmax
from .random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .serialization import CheckpointError, load, save
from .tensor import Tensor

clip = clamp

_tune_allocator()  # keep freed array memory for the next training step (see memory.py)

__version__ = "0.1.0"

# Submodules loaded on first use, so `import autograd_core` stays quick.
_LAZY = {
    "functional", "viz", "data", "kernels", "nn", "optim", "utils", "autograd", "func", "linalg",
    "distributed", "distributions", "testing", "backends", "special", "fft",
}


def is_tensor(obj) -> bool:
    """True for autograd_core Tensors (and Parameters)."""
    return isinstance(obj, Tensor)


def is_floating_point(t: Tensor) -> bool:
    return t._data.dtype.kind == "f"


def is_complex(t: Tensor) -> bool:
    return t._data.dtype.kind == "c"


def numel(t: Tensor) -> int:
    return t._data.size


def result_type(a, b):
    """PyTorch's torch.result_type of two tensors or scalars."""
    from .dtypes import result_type as _result_type

    return _result_type(*(x._data if isinstance(x, Tensor) else x for x in (a, b)))


def can_cast(from_, to) -> bool:
    from .inplace import _can_cast

    return _can_cast(from_, to)


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor", mode=None,  # noqa: A001
            options=None, disable: bool = False):
    """PyTorch's torch.compile, accepted: returns the module or function unchanged (this
    project has no compiler; its kernels are compiled by Numba already)."""
    if model is None:
        return lambda m: m
    return model


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None) -> None:
    """How tensors print (NumPy's print options underneath)."""
    import numpy as _np

    options = {k: v for k, v in dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                                     linewidth=linewidth).items() if v is not None}
    if sci_mode is not None:
        options["suppress"] = not sci_mode
    _np.set_printoptions(**options)


def set_num_threads(n: int) -> None:
    """Threads for the Numba kernels (BLAS keeps its own setting)."""
    import numba

    numba.set_num_threads(n)


def get_num_threads() -> int:
    import numba

    return numba.get_num_threads()


def is_nonzero(t: Tensor):
    return t.__bool__()


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted: every kernel here is deterministic already."""


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'autograd_core' has no attribute {name!r}")
