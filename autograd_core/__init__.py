"""autograd_core: a Tensor that records a graph, a backward engine that walks it, and
the functional operations built on them.

>>> import autograd_core as ag
>>> x = ag.tensor([2.0], requires_grad=True)
>>> (x ** 3).sum().backward(); x.grad
tensor([12.])
"""

from .creation import (
    arange,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import bool_, float16, float32, float64, int32, int64
from .function import Function, ShapeError
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck
from .kernels._threads import configure_blas as _configure_blas
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
from .random import get_rng_state, manual_seed, set_rng_state
from .serialization import CheckpointError, load, save
from .tensor import Tensor

clip = clamp

_tune_allocator()  # keep freed array memory for the next training step (see memory.py)
_configure_blas()  # BLAS on one thread outside large GEMMs: no oversubscription (kernels/_threads.py)

__version__ = "0.1.0"

# Submodules loaded on first use, so `import autograd_core` stays quick.
_LAZY = {"functional", "viz", "data", "kernels"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'autograd_core' has no attribute {name!r}")
