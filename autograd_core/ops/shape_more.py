"""More shape ops: views (select, unbind, movedim, swapaxes, unflatten, Tensor.unfold,
view_as, expand_as), rearrangements (roll, rot90, repeat_interleave, tile, tensor_split,
the stacks), the `new_*` constructors and the size queries.

An op whose result shares memory with its input returns a NumPy view and says so with
`is_view = True` on its class.

    >>> import autograd_core as ag
    >>> x = ag.arange(6).reshape(2, 3)
    >>> [t.tolist() for t in x.unbind(1)]
    [[0, 3], [1, 4], [2, 5]]
"""

from __future__ import annotations

import numpy as np

from ..dtypes import as_array, resolve_dtype
from ..function import Op, ShapeError
from .flat import is_raw, put_add_flat, take_flat
from .shape import Permute, Reshape, _dim, _shape_arg, cat, expand, flip, reshape, transpose


def _t():
    from ..tensor import Tensor

    return Tensor


# -- views --------------------------------------------------------------------------------------
class Select(Op):
    """input[..., index, ...] along `axis` (a view); backward pads g back with zeros."""

    is_view = True

    @staticmethod
    def forward(ctx, a, axis, index):
        ctx.info = (a.shape, axis, index)
        return a[(slice(None),) * axis + (index,)]

    @staticmethod
    def backward(ctx, g):
        from .shape import Pad

        shape, axis, index = ctx.info
        widths = tuple((index, shape[axis] - index - 1) if d == axis else (0, 0) for d in range(len(shape)))
        g = np.expand_dims(g, axis)
        out = Pad.forward(Pad(), g, widths, 0.0) if is_raw(g) else Pad.apply(g, widths, 0.0)
        return out, None, None


def select(input, dim: int, index: int):
    """The slice at `index` along `dim`, with that dim removed (a view).

    >>> import autograd_core as ag
    >>> ag.arange(6).reshape(2, 3).select(1, -1).tolist()
    [2, 5]
    """
    if input.ndim == 0:
        raise IndexError("select: cannot select from a 0-d tensor")
    axis = _dim(dim, input.ndim, "select")
    n = input.shape[axis]
    if not -n <= index < n:
        raise IndexError(f"select: index {index} is out of range for dim {dim} of size {n}")
    return Select.apply(input, axis, int(index) % n)


def unbind(input, dim: int = 0) -> tuple:
    """The slices along `dim` (views), as a tuple."""
    axis = _dim(dim, input.ndim, "unbind")
    return tuple(Select.apply(input, axis, i) for i in range(input.shape[axis]))


class MovePermute(Permute):
    """A transpose-like view (movedim, swapaxes); the same maths as permute."""

    is_view = True


class ViewReshape(Reshape):
    """A reshape that shares memory (unflatten, view_as)."""

    is_view = True


def movedim(input, source, destination):
    """Move dims `source` to positions `destination` (ints or sequences), keeping the order
    of the others (a view)."""
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} differ in length")
    src = [_dim(d, input.ndim, "movedim") for d in src]
    dst = [_dim(d, input.ndim, "movedim") for d in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"movedim: repeated dim in source {source} or destination {destination}")
    order = [d for d in range(input.ndim) if d not in src]
    perm = [None] * input.ndim
    for s, d in zip(src, dst):
        perm[d] = s
    rest = iter(order)
    perm = [p if p is not None else next(rest) for p in perm]
    return MovePermute.apply(input, tuple(perm))


moveaxis = movedim


def swapaxes(input, axis0: int, axis1: int):
    """Swap two dims (a view); the same as transpose."""
    if input.ndim == 0:
        return transpose(input, axis0, axis1)
    perm = list(range(input.ndim))
    a, b = _dim(axis0, input.ndim, "swapaxes"), _dim(axis1, input.ndim, "swapaxes")
    perm[a], perm[b] = perm[b], perm[a]
    return MovePermute.apply(input, tuple(perm))


swapdims = swapaxes


def unflatten(input, dim: int, sizes):
    """Split dim `dim` into `sizes` (one may be -1), a view."""
    axis = _dim(dim, input.ndim, "unflatten")
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise ValueError("unflatten: sizes must be non-empty")
    n = input.shape[axis]
    known = int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1 or (-1 not in sizes and known != n) or (-1 in sizes and (known == 0 or n % known)):
        raise ShapeError(f"unflatten: sizes {sizes} do not multiply to {n}, the size of dim {dim}")
    sizes = tuple(n // known if s == -1 else s for s in sizes)
    return ViewReshape.apply(input, tuple(input.shape[:axis]) + sizes + tuple(input.shape[axis + 1 :]))


class Unfold(Op):
    """Sliding windows along one dim as a new last dim (a strided view); the backward
    adds each window's gradient back at the positions it read (windows may overlap)."""

    is_view = True

    @staticmethod
    def forward(ctx, a, axis, size, step):
        positions = np.arange(a.size, dtype=np.int64).reshape(a.shape)
        ctx.info = (a.shape, _windows(positions, axis, size, step).copy())
        return _windows(a, axis, size, step)

    @staticmethod
    def backward(ctx, g):
        shape, positions = ctx.info
        return put_add_flat(g, positions, shape), None, None, None


def _windows(a, axis, size, step):
    if a.ndim == 0:  # a 0-d tensor unfolds into one window of its single element
        shape, strides = (size,), (0,)
    else:
        count = (a.shape[axis] - size) // step + 1
        shape = a.shape[:axis] + (count,) + a.shape[axis + 1 :] + (size,)
        strides = a.strides[:axis] + (a.strides[axis] * step,) + a.strides[axis + 1 :] + (a.strides[axis],)
    return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=a.flags.writeable)


def unfold(input, dimension: int, size: int, step: int):
    """Tensor.unfold: every `size`-long window along `dimension`, `step` apart, as a new
    last dim (a view)."""
    axis = _dim(dimension, input.ndim, "unfold")
    n = input.shape[axis] if input.ndim else 1
    if size < 0 or size > n:
        raise RuntimeError(f"unfold: size {size} exceeds the size {n} of dim {dimension}")
    if step <= 0:
        raise RuntimeError(f"unfold: step must be positive, got {step}")
    return Unfold.apply(input, axis, int(size), int(step))


def view_as(input, other):
    """input viewed with other's shape."""
    return ViewReshape.apply(input, tuple(other.shape))


def reshape_as(input, other):
    """input reshaped to other's shape (a view when possible)."""
    return reshape(input, tuple(other.shape))


def expand_as(input, other):
    """input broadcast to other's shape (a view)."""
    return expand(input, tuple(other.shape))


# -- rearrangements -----------------------------------------------------------------------------
class Roll(Op):
    @staticmethod
    def forward(ctx, a, shifts, axes):
        ctx.info = (shifts, axes)
        return np.roll(a, shifts, axes)

    @staticmethod
    def backward(ctx, g):
        shifts, axes = ctx.info
        back = tuple(-s for s in shifts)
        return (np.roll(g, back, axes) if is_raw(g) else Roll.apply(g, back, axes)), None, None


def roll(input, shifts, dims=None):
    """Shift elements cyclically along `dims` (the flattened tensor when None)."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise ValueError(f"roll: {len(shifts)} shifts need as many dims")
        return reshape(Roll.apply(reshape(input, (-1,)), shifts, (0,)), tuple(input.shape))
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(dims) != len(shifts):
        raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    axes = tuple(_dim(d, input.ndim, "roll") for d in dims)
    return Roll.apply(input, shifts, axes)


def rot90(input, k: int = 1, dims=(0, 1)):
    """Rotate by 90° k times in the plane of `dims`, from the first towards the second."""
    if len(dims) != 2 or input.ndim < 2:
        raise ValueError(
            f"rot90: needs two dims and a tensor of at least 2 dims, got {dims} and {input.ndim}"
        )
    d0, d1 = (_dim(d, input.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise ValueError(f"rot90: dims must differ, got {dims}")
    k %= 4
    if k == 1:
        return transpose(flip(input, (d1,)), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(transpose(input, d0, d1), (d1,))
    from .elementwise import clone

    return clone(input)


def fliplr(input):
    """Reverse dim 1."""
    if input.ndim < 2:
        raise ValueError(f"fliplr: input must have at least 2 dims, got shape {tuple(input.shape)}")
    return flip(input, (1,))


def flipud(input):
    """Reverse dim 0."""
    if input.ndim < 1:
        raise ValueError("flipud: input must have at least 1 dim")
    return flip(input, (0,))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (or slice along `dim`) `repeats` times (an int or a tensor of
    per-element counts); repeat_interleave(counts) alone gives repeat_interleave(arange(n), counts)."""
    from ..tensor import Tensor

    if repeats is None:  # the one-argument form: input holds the counts
        counts = input._data
        if counts.ndim != 1 or counts.dtype.kind not in "iu":
            raise ValueError(
                f"repeat_interleave: repeats must be a 1-D integer tensor, got {counts.dtype} {counts.shape}"
            )
        return Tensor._make(np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts), None)
    x = input
    if dim is None:
        x, axis = reshape(input, (-1,)), 0
    else:
        axis = _dim(dim, input.ndim, "repeat_interleave")
        if x.ndim == 0:
            x = reshape(x, (1,))
    n = x.shape[axis]
    reps = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if reps.dtype.kind not in "iu" or reps.ndim > 1 or (reps.ndim == 1 and reps.shape[0] not in (1, n)):
        raise ValueError(
            f"repeat_interleave: repeats must be an int or 1-D integer tensor of size 1 or {n}, "
            f"got {reps.dtype} of shape {reps.shape}"
        )
    if reps.size and reps.min() < 0:
        raise ValueError("repeat_interleave: repeats must be non-negative")
    index = np.repeat(np.arange(n, dtype=np.int64), reps.reshape(-1) if reps.ndim else int(reps))
    if output_size is not None and output_size != index.shape[0]:
        raise ValueError(f"repeat_interleave: output_size {output_size} differs from {index.shape[0]}")
    return index_along(x, axis, index)


def index_along(x, axis: int, index: np.ndarray):
    """x's slices at the 1-D positions `index` along `axis` (differentiable; repeats accumulate)."""
    shape = tuple(x.shape)
    strides = [int(np.prod(shape[d + 1 :])) for d in range(len(shape))]
    coords = np.ix_(*[index if d == axis else np.arange(n) for d, n in enumerate(shape)])
    flat = sum(c * s for c, s in zip(coords, strides)) if shape else np.zeros((), np.int64)
    return take_flat(x, np.asarray(flat, dtype=np.int64))


def tile(input, dims):
    """Repeat the whole tensor `dims[i]` times along each dim (dims shorter than the tensor
    are padded with ones in front)."""
    from .shape import repeat

    dims = _shape_arg((dims,) if isinstance(dims, int) else tuple(dims))
    dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, dims)


def tensor_split(input, indices_or_sections, dim: int = 0) -> tuple:
    """Split into `sections` nearly equal parts (the first n % sections one longer) or at
    the given indices; the parts are views."""
    from ..tensor import Tensor
    from .index import narrow

    axis = _dim(dim, input.ndim, "tensor_split")
    n = input.shape[axis]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        spec = spec._data.tolist()
    if isinstance(spec, (int, np.integer)):
        k = int(spec)
        if k <= 0:
            raise ValueError(f"tensor_split: number of sections must be positive, got {k}")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        bounds = np.cumsum([0] + sizes)
    else:
        points = [min(max(int(p) if p >= 0 else int(p) + n, 0), n) for p in spec]
        bounds = [0] + points + [n]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        lo = min(lo, n)
        out.append(narrow(input, axis, lo, max(hi - lo, 0)))
    return tuple(out)


def _split_dim(input, spec, dim, name):
    if isinstance(spec, int) and input.shape[dim] % spec:
        raise RuntimeError(f"{name}: dim {dim} of size {input.shape[dim]} is not divisible by {spec}")
    return tensor_split(input, spec, dim)


def hsplit(input, sections):
    """tensor_split along dim 1 (dim 0 for 1-D); an int must divide the size."""
    if input.ndim == 0:
        raise RuntimeError("hsplit: needs at least 1 dim")
    return _split_dim(input, sections, 1 if input.ndim > 1 else 0, "hsplit")


def vsplit(input, sections):
    """tensor_split along dim 0 of a tensor with at least 2 dims."""
    if input.ndim < 2:
        raise RuntimeError(f"vsplit: needs at least 2 dims, got {input.ndim}")
    return _split_dim(input, sections, 0, "vsplit")


def dsplit(input, sections):
    """tensor_split along dim 2 of a tensor with at least 3 dims."""
    if input.ndim < 3:
        raise RuntimeError(f"dsplit: needs at least 3 dims, got {input.ndim}")
    return _split_dim(input, sections, 2, "dsplit")


def _atleast(tensors, n, name):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(_atleast_one(t, n) for t in tensors[0])
    out = tuple(_atleast_one(t, n) for t in tensors)
    return out[0] if len(out) == 1 else out


def _atleast_one(t, n):
    shape = tuple(t.shape)
    if len(shape) >= n:
        return t
    if n == 3 and len(shape) == 2:
        return reshape(t, shape + (1,))
    if n == 3 and len(shape) == 1:
        return reshape(t, (1,) + shape + (1,))
    return reshape(t, (1,) * (n - len(shape)) + shape)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (0-d ones become (1,))."""
    return _atleast(tensors, 1, "atleast_1d")


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims (leading ones added)."""
    return _atleast(tensors, 2, "atleast_2d")


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims (numpy's placement: (n,) -> (1, n, 1), (m, n) -> (m, n, 1))."""
    return _atleast(tensors, 3, "atleast_3d")


def hstack(tensors):
    """Concatenate along dim 1 (dim 0 for 1-D tensors)."""
    ts = [atleast_1d(t) for t in tensors]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    """Concatenate along dim 0 after atleast_2d."""
    return cat([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def dstack(tensors):
    """Concatenate along dim 2 after atleast_3d."""
    return cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors):
    """Tensors of 0/1 dims become columns, the rest are hstacked."""
    cols = [reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in tensors]
    return cat(cols, 1)


def narrow_copy(input, dim: int, start: int, length: int):
    """A copy of narrow(input, dim, start, length)."""
    from .elementwise import clone
    from .index import narrow

    return clone(narrow(input, _dim(dim, input.ndim, "narrow_copy"), start, length))


def ravel(input):
    """The flattened tensor (a view when contiguous)."""
    return reshape(input, (-1,))


# -- memory layout, constructors and queries -----------------------------------------------------
def contiguous(input, memory_format=None):
    """input itself when its memory is C-contiguous, else a C-contiguous copy."""
    from .elementwise import clone

    return input if input._data.flags.c_contiguous else clone(input)


def is_contiguous(input, memory_format=None) -> bool:
    """True when the elements lie in row-major order without gaps."""
    return bool(input._data.flags.c_contiguous)


def _new(self, data, requires_grad):
    t = _t()._make(data, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False):
    """Zeros of `size` with self's dtype (unless dtype= is given)."""
    return _new(self, np.zeros(_shape_arg(size), dtype=resolve_dtype(dtype) or self.dtype), requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False):
    """Ones of `size` with self's dtype (unless dtype= is given)."""
    return _new(self, np.ones(_shape_arg(size), dtype=resolve_dtype(dtype) or self.dtype), requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False):
    """An uninitialised tensor of `size` with self's dtype (unless dtype= is given)."""
    return _new(self, np.empty(_shape_arg(size), dtype=resolve_dtype(dtype) or self.dtype), requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False):
    """`fill_value` everywhere in `size`, with self's dtype (unless dtype= is given)."""
    size = (size,) if isinstance(size, int) else tuple(size)
    return _new(self, np.full(size, fill_value, dtype=resolve_dtype(dtype) or self.dtype), requires_grad)


def new_tensor(self, data, *, dtype=None, device=None, requires_grad: bool = False):
    """A copy of `data` with self's dtype (unless dtype= is given), outside any graph."""
    Tensor = _t()
    raw = data._data if isinstance(data, Tensor) else data
    return _new(self, as_array(raw, resolve_dtype(dtype) or self.dtype), requires_grad)


def nelement(input) -> int:
    """The number of elements (numel)."""
    return int(input._data.size)


numel = nelement


def element_size(input) -> int:
    """Bytes per element."""
    return int(input._data.itemsize)


TENSOR_METHODS = {
    "select": select,
    "unbind": unbind,
    "movedim": movedim,
    "moveaxis": movedim,
    "swapaxes": swapaxes,
    "swapdims": swapaxes,
    "unflatten": unflatten,
    "unfold": unfold,
    "view_as": view_as,
    "reshape_as": reshape_as,
    "expand_as": expand_as,
    "roll": roll,
    "rot90": rot90,
    "fliplr": fliplr,
    "flipud": flipud,
    "repeat_interleave": repeat_interleave,
    "tile": tile,
    "tensor_split": tensor_split,
    "hsplit": hsplit,
    "vsplit": vsplit,
    "dsplit": dsplit,
    "narrow_copy": narrow_copy,
    "ravel": ravel,
    "contiguous": contiguous,
    "is_contiguous": is_contiguous,
    "new_zeros": new_zeros,
    "new_ones": new_ones,
    "new_empty": new_empty,
    "new_full": new_full,
    "new_tensor": new_tensor,
    "nelement": nelement,
    "element_size": element_size,
}
