"""autograd_core: a Tensor that records a graph, a backward engine that walks it, and
the functional operations built on them.

>>> import autograd_core as ag
>>> x = ag.tensor([2.0], requires_grad=True)
>>> (x ** 3).sum().backward(); x.grad
tensor([12.])
"""

from .creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    meshgrid,
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
    tril_indices,
    triu_indices,
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
from .kernels import _threads as _kernel_threads
from .kernels._threads import configure_blas as _configure_blas
from .memory import tune_allocator as _tune_allocator
from .ops.activation import gelu, leaky_relu, relu, sigmoid, softplus, tanh
from .ops.activation_ext import celu, hardshrink, prelu, rrelu, selu, threshold
from .ops.conv3d import conv3d
from .ops.conv_transpose import conv_transpose1d, conv_transpose2d, conv_transpose3d
from .ops.decomp import cdist, det, logdet, slogdet
from .ops.decomp import inv as inverse
from .ops.decomp_more import matrix_exp, matrix_power, pinverse
from .ops.dropout_ext import alpha_dropout, feature_alpha_dropout
from .ops.elementwise import (
    abs,
    add,
    clamp,
    cos,
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
from .ops.embedding import bilinear
from .ops.index import gather, index_select, narrow
from .ops.linalg import matmul
from .ops.logical import (
    allclose,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    equal,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    isreal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
)
from .ops.masking import masked_fill, tril, triu
from .ops.norm import cosine_similarity, group_norm, layer_norm, pairwise_distance, pdist, rms_norm
from .ops.ordering import (
    argsort,
    bucketize,
    kthvalue,
    median,
    mode,
    msort,
    nanmedian,
    nanquantile,
    quantile,
    searchsorted,
    sort,
    unique,
    unique_consecutive,
)
from .ops.pointwise import (
    acos,
    acosh,
    addcdiv,
    addcmul,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    ceil,
    clamp_max,
    clamp_min,
    copysign,
    cosh,
    deg2rad,
    digamma,
    div,
    divide,
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    fix,
    float_power,
    floor,
    floor_divide,
    fmod,
    frac,
    heaviside,
    hypot,
    lerp,
    lgamma,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    logit,
    nan_to_num,
    polygamma,
    rad2deg,
    reciprocal,
    remainder,
    round,
    rsqrt,
    sgn,
    sign,
    signbit,
    sinc,
    sinh,
    softsign,
    square,
    tan,
    true_divide,
    trunc,
    xlogy,
)
from .ops.pool3d import max_pool3d
from .ops.pool_ext import adaptive_avg_pool1d, avg_pool1d, max_pool1d, max_pool2d
from .ops.products import (
    addbmm,
    addmm,
    addmv,
    addr,
    baddbmm,
    bmm,
    cross,
    diag,
    diag_embed,
    diagonal,
    dot,
    einsum,
    ger,
    inner,
    kron,
    mm,
    mv,
    outer,
    t,
    tensordot,
    trace,
    vdot,
)
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
from .ops.reduce_more import all, aminmax, any, count_nonzero, nanmean, nansum, std_mean, var_mean  # noqa: A004 - PyTorch's names
from .ops.resample import channel_shuffle, pixel_shuffle, pixel_unshuffle
from .ops.sampling import multinomial
from .ops.scan import cummax, cummin, cumprod, cumsum, diff, logcumsumexp
from .ops.scatter import (
    argwhere,
    index_add,
    index_copy,
    index_fill,
    index_put,
    masked_scatter,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    scatter_reduce,
    take,
    take_along_dim,
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
from .ops.shape_more import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    column_stack,
    dsplit,
    dstack,
    fliplr,
    flipud,
    hsplit,
    hstack,
    moveaxis,
    movedim,
    narrow_copy,
    ravel,
    repeat_interleave,
    roll,
    rot90,
    row_stack,
    select,
    swapaxes,
    swapdims,
    tensor_split,
    tile,
    unbind,
    unflatten,
    vsplit,
    vstack,
)
from .ops.softmax import log_softmax, softmax
from .ops.sorting import topk
from .ops.stats import (
    bincount,
    block_diag,
    cartesian_prod,
    combinations,
    corrcoef,
    cov,
    cumulative_trapezoid,
    dist,
    histc,
    trapezoid,
    trapz,
)
from .random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .serialization import CheckpointError, load, save
from .tensor import Tensor

clip = clamp

_tune_allocator()  # keep freed array memory for the next training step (see memory.py)
_configure_blas()  # BLAS on one thread outside large GEMMs: no oversubscription (kernels/_threads.py)

__version__ = "0.1.0"

# Submodules loaded on first use, so `import autograd_core` stays quick.
_LAZY = {
    "functional", "viz", "data", "kernels", "nn", "optim", "utils", "autograd", "func", "linalg",
    "distributed", "distributions", "testing", "backends", "accelerator",
}

# PyTorch's constants and type names.
inf, nan, pi, e = 1e309, 1e309 - 1e309, 3.141592653589793, 2.718281828459045  # float is ag.float here
newaxis = None
preserve_format, contiguous_format, channels_last = "preserve_format", "contiguous_format", "channels_last"
dtype = type(float32)  # the type of ag.float32 etc. (NumPy's dtype)


class Size(tuple):
    """PyTorch's torch.Size: a tuple of dims (a tensor's `.shape` is a plain tuple here)."""

    def numel(self) -> int:
        n = 1
        for d in self:
            n *= d
        return n


def is_tensor(obj) -> bool:
    """True for autograd_core Tensors (and Parameters)."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:  # noqa: A002 - PyTorch's argument name
    return input._data.dtype.kind == "f"


def is_complex(input: Tensor) -> bool:  # noqa: A002
    return input._data.dtype.kind == "c"


def numel(input: Tensor) -> int:  # noqa: A002
    return input._data.size


def result_type(a, b):
    """PyTorch's torch.result_type of two tensors or scalars."""
    from .dtypes import result_type as _result_type

    return _result_type(*(x._data if isinstance(x, Tensor) else x for x in (a, b)))


def can_cast(from_, to) -> bool:
    from .inplace import _can_cast

    return _can_cast(from_, to)


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor",  # noqa: A001
            options=None, disable: bool = False, **mode_and_more):
    """PyTorch's torch.compile, accepted: returns the module or function unchanged (this
    project has no compiler; its kernels are compiled by Numba already)."""
    if model is None:
        return lambda m: m
    return model


def set_printoptions(precision=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None,
                     **more) -> None:
    """How tensors print (NumPy's print options underneath; `threshold=` as PyTorch's)."""
    import numpy as _np

    options = {k: v for k, v in dict(precision=precision, threshold=more.get("threshold"),
                                     edgeitems=edgeitems, linewidth=linewidth).items() if v is not None}
    if sci_mode is not None:
        options["suppress"] = not sci_mode
    _np.set_printoptions(**options)


def set_num_threads(n: int) -> None:
    """Threads for the parallel kernels and large GEMMs, as `torch.set_num_threads`; a count set
    here is also what each rank keeps under `distributed` (see kernels/_threads.py).

        >>> set_num_threads(get_num_threads())
    """
    import builtins  # `int` and `bool` here are the dtypes

    if isinstance(n, builtins.bool) or not isinstance(n, builtins.int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    _kernel_threads.set_num_threads(n)


def get_num_threads() -> int:
    """Threads a parallel kernel or a large GEMM uses (as `torch.get_num_threads`).

        >>> get_num_threads() >= 1
        True
    """
    return _kernel_threads.get_num_threads()


def is_nonzero(input: Tensor):  # noqa: A002
    return input.__bool__()


def set_float32_matmul_precision(precision: str) -> None:
    """Accepted: float32 matmuls always run at full float32 precision here."""
    if precision not in ("highest", "high", "medium"):
        raise ValueError(f"set_float32_matmul_precision: unknown precision {precision!r}")


def get_float32_matmul_precision() -> str:
    return "highest"


def use_deterministic_algorithms(*enabled, warn_only: bool = False) -> None:
    """Accepted: every kernel here is deterministic already."""


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'autograd_core' has no attribute {name!r}")
