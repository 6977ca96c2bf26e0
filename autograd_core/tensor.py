"""`Tensor`: an ndarray plus what the graph needs. Every method is a one-line call into
the op functions in `ops/`, where each operation's forward and backward live.

    >>> import autograd_core as ag
    >>> w = ag.tensor([[1.0, 2.0]], requires_grad=True)
    >>> y = (w @ ag.tensor([3.0, 4.0])).sum()
    >>> y.backward(); w.grad
    tensor([[3., 4.]])
"""

from __future__ import annotations

import weakref
from collections import namedtuple

import numpy as np

from . import devices, dtypes, engine, function, numpy_interop, version
from .dtypes import as_array, is_floating, resolve_dtype
from .ops import activation as A
from .ops import elementwise as E
from .ops import index as I
from .ops import linalg as L
from .ops import shape as S
from .ops import softmax as SM

_ValuesIndices = namedtuple("_ValuesIndices", ["values", "indices"])


class RemovableHandle:
    """Returned by `register_hook`; `remove()` takes the hook off again."""

    def __init__(self, hooks: list, fn):
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> x.shape, x.dtype
    ((2,), dtype('float32'))
    """

    # _vc: the storage's version counter (version.py), None until first needed;
    # _view: (base, chain of view ops) when this tensor is a view of another's storage.
    # _vc, _view and _hooks are rarely set: they live in the (lazily created) instance dict,
    # with None as the class-level default, so creating a tensor does not pay for them.
    __slots__ = ("_data", "grad", "requires_grad", "grad_fn", "__dict__", "__weakref__")
    _vc = None
    _view = None
    _hooks = None
    # NumPy functions called on Tensors run the matching differentiable op (numpy_interop).
    __array_priority__ = 1000

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """NumPy ufuncs applied to a Tensor run the matching differentiable op."""
        return numpy_interop.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        """NumPy functions (np.sum, np.concatenate, ...) on Tensors run the matching differentiable op."""
        return numpy_interop.array_function(func, args, kwargs)

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        """Make a tensor from a number, a nested list, an array or another Tensor."""
        if isinstance(data, Tensor):
            data = data._data
        arr = as_array(data, resolve_dtype(dtype))
        if requires_grad and not is_floating(arr.dtype):
            raise RuntimeError(
                f"only floating-point tensors can require gradients, but this one has dtype "
                f"{arr.dtype}. Create it from floats or pass dtype=ag.float32."
            )
        self._data = arr
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.grad_fn = None

    @classmethod
    def _make(cls, data: np.ndarray, grad_fn) -> Tensor:
        """Wrap an op's output without re-validating it (the hot path)."""
        t = object.__new__(Tensor)
        t._data = data
        t.grad = None
        t.requires_grad = grad_fn is not None
        t.grad_fn = grad_fn
        return t

    # -- attributes --------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        """The size of each dimension, as a tuple."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The element type."""
        return self._data.dtype

    @property
    def data(self) -> Tensor:
        """The same storage as a Tensor outside the graph (PyTorch's `.data`)."""
        return Tensor._make(self._data, None)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def is_leaf(self) -> bool:
        """True for a tensor no recorded operation produced (user-made or outside the graph)."""
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:
        """The dimensions in reverse order (the transpose of a matrix)."""
        return S.permute(self, tuple(reversed(range(self.ndim))))

    def size(self, dim: int | None = None):
        """The shape as a tuple, or the size of one dimension when `dim` is given."""
        return self._data.shape if dim is None else self._data.shape[dim]

    def numel(self) -> int:
        """The number of elements."""
        return int(self._data.size)

    def dim(self) -> int:
        """The number of dimensions (same as `ndim`)."""
        return self._data.ndim

    def __len__(self) -> int:
        """The size of the first dimension."""
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    # -- conversion ----------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying array (shared, like torch's .numpy()); `force=True` also works on a
        tensor that requires grad (and returns a copy, as PyTorch does)."""
        if force:
            return self._data.copy()
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        """The values as a NumPy array, so `np.asarray(t)` works."""
        if dtype is not None and dtype != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted, got shape {self.shape}")
        return self._data.item()

    def tolist(self):
        """The values as (nested) Python lists of numbers."""
        return self._data.tolist()

    def __float__(self) -> float:
        """The value of a one-element tensor as a Python float."""
        return float(self.item())

    def __int__(self) -> int:
        """The value of a one-element tensor as a Python int."""
        return int(self.item())

    def __bool__(self) -> bool:
        """The truth value of a one-element tensor; more elements are ambiguous and raise."""
        if self._data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self._data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self._data.item())

    def __index__(self) -> int:
        """A one-element integer tensor used as a Python index."""
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of one element can be used as an index")
        return int(self._data.item())

    def __repr__(self) -> str:
        """`tensor([...])` with the dtype and grad_fn when they are not the defaults."""
        body = np.array2string(self._data, separator=", ", prefix="tensor(", precision=4,
                               threshold=1000, edgeitems=3)
        extras = []
        if self._data.size == 0 and self._data.ndim != 1:
            extras.append(f"size={tuple(self._data.shape)}")
        if self._data.dtype not in (dtypes.default_float, np.int64, np.bool_) or (
                self._data.size == 0 and self._data.dtype != dtypes.default_float):
            extras.append(f"dtype=autograd_core.{self._data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    def __format__(self, spec: str) -> str:
        """Format a 0-d tensor like its number; other tensors as their repr."""
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return format(repr(self), spec) if spec else repr(self)

    __hash__ = object.__hash__  # __eq__ is elementwise, identity hashing keeps graphs in dicts

    # -- graph ---------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None) -> None:
        """Accumulate d self / d leaf into every leaf's .grad (see engine.backward);
        `create_graph=True` records the backward pass so the gradients are differentiable."""
        engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """The same storage (and version counter), cut from the graph."""
        t = Tensor._make(self._data, None)
        version.share_counter(self, t)
        return t

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph, making it a leaf."""
        if self._view is not None and self.grad_fn is not None:
            raise RuntimeError("detach_(): can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self.requires_grad = False
        return self

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's storage has seen (PyTorch's `_version`)."""
        return 0 if self._vc is None else self._vc[0]

    @property
    def _base(self):
        """The tensor whose storage this view shares, or None."""
        return None if self._view is None else self._view[0]

    def is_view(self) -> bool:
        """True when this tensor shares the storage of another (it is a view of it)."""
        return self._view is not None

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set requires_grad on a leaf, in place."""
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and not is_floating(self._data.dtype):
            raise RuntimeError(
                f"only Tensors of floating point and complex dtype can require gradients, got {self._data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        return self

    @property
    def retains_grad(self) -> bool:
        """True when `retain_grad()` made this non-leaf keep its `.grad`."""
        return self.grad_fn is not None and getattr(self.grad_fn, "_retains", None) is not None

    def retain_grad(self) -> None:
        """Keep .grad on a non-leaf tensor after backward()."""
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return  # leaves keep their grad anyway
        node = self.grad_fn
        if getattr(node, "_retains", None) is not None:
            return
        ref = weakref.ref(self)

        def keep(grad):
            t = ref()
            if t is not None:
                if isinstance(grad, Tensor) and grad.requires_grad:  # recorded backward
                    t.grad = grad if t.grad is None else t.grad + grad
                elif t.grad is None:
                    t.grad = Tensor._make(np.array(grad._data, copy=True), None)
                else:
                    t.grad._data = t.grad._data + grad._data

        node._retains = keep
        node.register_prehook(keep)

    def register_hook(self, fn) -> RemovableHandle:
        """Call fn(grad) when this tensor's gradient is computed; a returned Tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(fn)
            return RemovableHandle(self._hooks, fn)
        self.grad_fn.register_prehook(fn)
        return RemovableHandle(self.grad_fn.pre_hooks, fn)

    def register_post_accumulate_grad_hook(self, hook) -> RemovableHandle:
        """Call hook(self) after backward has accumulated into this leaf's .grad."""
        if self.grad_fn is not None or not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook() needs a leaf that requires grad")
        return RemovableHandle(engine.register_post_accumulate_grad_hook(self, hook), hook)

    # -- copies, dtypes and devices ---------------------------------------------------------
    def astype(self, dtype, copy: bool = True) -> Tensor:
        """A copy with another dtype (NumPy's spelling of `.to(dtype)`)."""
        dtype = resolve_dtype(dtype)
        if dtype == self._data.dtype and not copy:
            return self
        return E.cast(self, dtype)

    def to(self, *args, **kwargs) -> Tensor:
        """`.to(dtype)`, `.to(device)`, `.to(device, dtype)`, `.to(other)`: this tensor
        itself when nothing changes, else a converted copy (in the graph)."""
        dtype, copy = devices.parse_to(args, kwargs)
        if dtype is None or dtype == self._data.dtype:
            return self.clone() if copy else self
        return E.cast(self, dtype)

    def type(self, dtype=None, non_blocking: bool = False):
        """The dtype's name without an argument; a converted tensor with one."""
        if dtype is None:
            return devices.type_name(self._data.dtype)
        return self.to(resolve_dtype(dtype))

    def type_as(self, other) -> Tensor:
        """A copy converted to the dtype of `other` (this tensor itself when it already has it)."""
        return self.to(other._data.dtype)

    def float(self) -> Tensor:
        """Convert to float32."""
        return self.to(np.float32)

    def double(self) -> Tensor:
        """Convert to float64."""
        return self.to(np.float64)

    def half(self) -> Tensor:
        """Convert to float16."""
        return self.to(np.float16)

    def long(self) -> Tensor:
        """Convert to int64."""
        return self.to(np.int64)

    def int(self) -> Tensor:
        """Convert to int32."""
        return self.to(np.int32)

    def short(self) -> Tensor:
        """Convert to int16."""
        return self.to(np.int16)

    def char(self) -> Tensor:
        """Convert to int8."""
        return self.to(np.int8)

    def byte(self) -> Tensor:
        """Convert to uint8."""
        return self.to(np.uint8)

    def bool(self) -> Tensor:
        """Convert to bool."""
        return self.to(np.bool_)

    def is_floating_point(self) -> bool:
        """True when the dtype is a floating-point type."""
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        """True when the dtype is complex (never, here)."""
        return self._data.dtype.kind == "c"

    @property
    def device(self):
        """Where the tensor lives: always the CPU."""
        return devices.CPU

    @property
    def is_cpu(self) -> bool:
        """Always True: this build computes on the CPU."""
        return True

    def stride(self, dim: int | None = None):
        """Steps (in elements) between neighbours along each dim, as PyTorch's strides."""
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[dim]

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes taken by the elements."""
        return self._data.nbytes

    def __pos__(self) -> Tensor:
        """+t: the tensor itself (PyTorch returns it unchanged)."""
        return self

    def __contains__(self, value) -> bool:
        """`value in t`: some element equals value."""
        return bool(np.any(self._data == (value._data if isinstance(value, Tensor) else value)))

    @property
    def is_cuda(self) -> bool:
        """False: tensors live on the CPU (likewise is_mps, is_sparse, is_quantized, is_meta)."""
        return False

    is_mps = is_cuda
    is_sparse = is_cuda
    is_quantized = is_cuda
    is_meta = is_cuda

    def cpu(self) -> Tensor:
        """This tensor itself (it is already on the CPU)."""
        return self

    def cuda(self, device=None, non_blocking: bool = False) -> Tensor:
        """Raises: this project runs on the CPU only."""
        raise devices.no_accelerator("cuda")

    def get_device(self) -> int:
        """-1, PyTorch's answer for a CPU tensor."""
        return -1

    def pin_memory(self) -> Tensor:
        """This tensor itself: pinned memory only matters for GPU transfers."""
        return self

    def share_memory_(self) -> Tensor:
        """This tensor itself: no move to shared memory is needed on the CPU here."""
        return self

    def is_shared(self) -> bool:
        """False: the storage is not in shared memory."""
        return False

    def clone(self, memory_format=None) -> Tensor:
        """A copy with its own storage that stays in the graph (gradients flow back)."""
        return E.clone(self)

    def __deepcopy__(self, memo) -> Tensor:
        """`copy.deepcopy` of a leaf: new storage, with `.grad` and `requires_grad` copied."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol"
            )
        new = type(self).__new__(type(self))
        new._data = self._data.copy()
        new.grad = None if self.grad is None else self.grad.__deepcopy__(memo)
        new.requires_grad = self.requires_grad
        new.grad_fn = None
        for k, v in self.__dict__.items():  # attributes a subclass or user set; not storage links
            if k not in ("_vc", "_view", "_hooks"):
                new.__dict__[k] = v
        memo[id(self)] = new
        return new

    def __setitem__(self, key, value) -> None:
        """Write values into the selected elements in place (`t[idx] = v`)."""
        I.setitem_(self, key, value)

    # -- arithmetic ----------------------------------------------------------------------
    def __add__(self, other):
        """Elementwise `self + other`, broadcasting."""
        return _add(self, other)

    def __radd__(self, other):
        """Elementwise `other + self`, for a number or array on the left."""
        return _add(other, self)

    def __sub__(self, other):
        """Elementwise `self - other`, broadcasting."""
        return E.sub(self, other)

    def __rsub__(self, other):
        """Elementwise `other - self`, for a number or array on the left."""
        return E.sub(other, self)

    def __mul__(self, other):
        """Elementwise `self * other`, broadcasting."""
        return _mul(self, other)

    def __rmul__(self, other):
        """Elementwise `other * self`, for a number or array on the left."""
        return _mul(other, self)

    def __truediv__(self, other):
        """Elementwise true division `self / other`, broadcasting."""
        return _div(self, other)

    def __rtruediv__(self, other):
        """Elementwise `other / self`, for a number or array on the left."""
        return _div(other, self)

    def __pow__(self, other):
        """Elementwise power `self ** other`, broadcasting."""
        return E.Pow.apply(self, other)

    def __rpow__(self, other):
        """Elementwise `other ** self`, for a number or array on the left."""
        return E.Pow.apply(other, self)

    def __matmul__(self, other):
        """Matrix product `self @ other` (1-D, 2-D and batched, like `matmul`)."""
        return L.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        """Matrix product `other @ self`, for an array on the left."""
        return L.MatMul.apply(other, self)

    def __neg__(self):
        """Elementwise negation `-self`."""
        return E.Neg.apply(self)

    def __abs__(self):
        """Elementwise absolute value, `abs(self)`."""
        return E.Abs.apply(self)

    # Comparisons give bool tensors outside the graph.
    def __eq__(self, other):
        """Elementwise `==`: a bool tensor, outside the graph."""
        return Tensor._make(np.asarray(self._data == _raw(other)), None)

    def __ne__(self, other):
        """Elementwise `!=`: a bool tensor, outside the graph."""
        return Tensor._make(np.asarray(self._data != _raw(other)), None)

    def __lt__(self, other):
        """Elementwise `<`: a bool tensor, outside the graph."""
        return Tensor._make(np.asarray(self._data < _raw(other)), None)

    def __le__(self, other):
        """Elementwise `<=`: a bool tensor, outside the graph."""
        return Tensor._make(np.asarray(self._data <= _raw(other)), None)

    def __gt__(self, other):
        """Elementwise `>`: a bool tensor, outside the graph."""
        return Tensor._make(np.asarray(self._data > _raw(other)), None)

    def __ge__(self, other):
        """Elementwise `>=`: a bool tensor, outside the graph."""
        return Tensor._make(np.asarray(self._data >= _raw(other)), None)

    def eq(self, other):
        """Elementwise equality with a tensor or number, as a bool tensor."""
        return self == other

    def ne(self, other):
        """Elementwise inequality with a tensor or number, as a bool tensor."""
        return self != other

    def lt(self, other):
        """Elementwise `self < other`, as a bool tensor."""
        return self < other

    def le(self, other):
        """Elementwise `self <= other`, as a bool tensor."""
        return self <= other

    def gt(self, other):
        """Elementwise `self > other`, as a bool tensor."""
        return self > other

    def ge(self, other):
        """Elementwise `self >= other`, as a bool tensor."""
        return self >= other

    def __getitem__(self, key):
        """Index with ints, slices, None, Ellipsis, bool masks or integer tensors (`t[idx]`)."""
        return I.getitem(self, key)

    def __iter__(self):
        """Iterate over the first dimension, yielding one sub-tensor per index."""
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (I.GetItem.apply(self, i) for i in range(len(self._data)))

    # -- math -----------------------------------------------------------------------------
    def abs(self):
        """Elementwise absolute value."""
        return E.Abs.apply(self)

    def exp(self):
        """Elementwise e to the power of each element."""
        return E.Exp.apply(self)

    def log(self):
        """Elementwise natural logarithm."""
        return E.Log.apply(self)

    def log1p(self):
        """Elementwise log(1 + x), accurate for small x."""
        return E.Log1p.apply(self)

    def sqrt(self):
        """Elementwise square root."""
        return E.Sqrt.apply(self)

    def sin(self):
        """Elementwise sine (radians)."""
        return E.Sin.apply(self)

    def cos(self):
        """Elementwise cosine (radians)."""
        return E.Cos.apply(self)

    def tanh(self):
        """Elementwise hyperbolic tangent."""
        return _tanh(self)

    def sigmoid(self):
        """Elementwise logistic sigmoid 1 / (1 + exp(-x))."""
        return A.Sigmoid.apply(self)

    def relu(self):
        """Elementwise max(x, 0)."""
        return A.Relu.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01):
        """Elementwise x for x >= 0, else negative_slope * x."""
        return A.leaky_relu(self, negative_slope)

    def gelu(self):
        """Elementwise Gaussian error linear unit, x * Phi(x)."""
        return A.Gelu.apply(self)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0):
        """Elementwise log(1 + exp(beta * x)) / beta, linear above `threshold`."""
        return A.softplus(self, beta, threshold)

    def clamp(self, min=None, max=None):  # noqa: A002
        """Limit each element to [min, max] (either bound may be None); `clip` is an alias."""
        return E.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        """Elementwise larger of this tensor and `other`."""
        return E.Maximum.apply(self, other)

    def minimum(self, other):
        """Elementwise smaller of this tensor and `other`."""
        return E.Minimum.apply(self, other)

    def pow(self, other):
        """Elementwise power `self ** exponent`."""
        return E.Pow.apply(self, other)

    def add(self, other, alpha=1):
        """Elementwise `self + alpha * other`."""
        return E.add(self, other, alpha)

    def sub(self, other, alpha=1):
        """Elementwise `self - alpha * other`."""
        return E.sub(self, other, alpha)

    def mul(self, other):
        """Elementwise product with a tensor or number."""
        return _mul(self, other)

    def div(self, other):
        """Elementwise true division by a tensor or number."""
        return _div(self, other)

    def neg(self):
        """Elementwise negation."""
        return E.Neg.apply(self)

    def matmul(self, other):
        """Matrix product with 1-D, 2-D and batched broadcasting rules (`@`)."""
        return L.MatMul.apply(self, other)

    # -- reductions: bound from ops/reduce.py (TENSOR_METHODS) -----------------------------
    def softmax(self, dim: int):
        """exp(x) / sum(exp(x)) along `dim`, computed stably."""
        return SM.softmax(self, dim)

    def log_softmax(self, dim: int):
        """log(softmax(x)) along `dim`, computed stably."""
        return SM.log_softmax(self, dim)

    # -- shape ----------------------------------------------------------------------------
    def reshape(self, *shape):
        """The same elements in a new shape (a view when possible; `view` is an alias)."""
        return S.reshape(self, *shape)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        """Merge dims `start_dim`..`end_dim` into one."""
        return S.flatten(self, start_dim, end_dim)

    def squeeze(self, dim=None):
        """Remove dimensions of size 1 (all, or those in `dim`)."""
        return S.squeeze(self, dim)

    def unsqueeze(self, dim: int):
        """Insert a dimension of size 1 at position `dim`."""
        return S.unsqueeze(self, dim)

    def transpose(self, dim0: int, dim1: int):
        """Swap dimensions `dim0` and `dim1`."""
        return S.transpose(self, dim0, dim1)

    def permute(self, *dims):
        """Reorder the dimensions as given."""
        return S.permute(self, *dims)

    def expand(self, *shape):
        """Broadcast size-1 dimensions to a larger shape without copying (-1 keeps a size)."""
        return S.expand(self, *shape)

    def broadcast_to(self, shape):
        """Broadcast to `shape`, like `expand`."""
        return S.broadcast_to(self, shape)

    def expand_as(self, other):
        """Broadcast to the shape of `other`."""
        return S.expand(self, other.shape)

    def repeat(self, *sizes):
        """Tile the tensor `sizes[i]` times along each dimension."""
        return S.repeat(self, *sizes)

    def flip(self, dims):
        """Reverse the order of elements along the given dims."""
        return S.flip(self, dims)

    def split(self, split_size_or_sections, dim: int = 0):
        """Split into pieces of a given size, or of the listed sizes, along `dim`."""
        return S.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0):
        """Split into `chunks` nearly equal pieces along `dim` (the last may be smaller)."""
        return S.chunk(self, chunks, dim)

    def index_select(self, dim: int, index):
        """The entries at the positions `index` along `dim`."""
        return I.index_select(self, dim, index)

    def gather(self, dim: int, index):
        """Pick values along `dim` at the positions given by `index` (same number of dims)."""
        return I.gather(self, dim, index)

    def narrow(self, dim: int, start: int, length: int):
        """The slice of `length` elements along `dim` starting at `start` (a view)."""
        return I.narrow(self, dim, start, length)


def _raw(x):
    return x._data if isinstance(x, Tensor) else x


def _bind_method_tables() -> None:
    """Bind each family's TENSOR_METHODS (see ops/__init__.py) onto Tensor."""
    import importlib

    from . import ops

    for family in ops.METHOD_TABLES:
        module = importlib.import_module(f"{ops.__name__}.{family}")
        for name, fn in module.TENSOR_METHODS.items():
            setattr(Tensor, name, fn)
    from .inplace import tensor_methods

    for name, fn in tensor_methods().items():  # add_, mul_, __iadd__, zero_, ...
        setattr(Tensor, name, fn)


# The hottest operators call their op's bound apply directly (one lookup less per call).
_add, _mul, _div, _tanh = E.Add.apply, E.Mul.apply, E.Div.apply, A.Tanh.apply

function.Tensor = Tensor  # see function.py: the ops wrap their results in this class
_bind_method_tables()
