"""Shape ops: views and rearrangements whose backward undoes the rearrangement.

reshape/squeeze/unsqueeze/flatten are one op (a reshape); expand and broadcast_to
return the gradient in the expanded shape and let the engine's `unbroadcast` sum it
back; repeat sums over its tiles; cat/stack/split/chunk/pad slice the gradient.

    >>> import autograd_core as ag
    >>> ag.arange(6.0).reshape(2, 3).T.shape
    (3, 2)
"""

from __future__ import annotations

import numpy as np

from ..function import Op, ShapeError


def _shape_arg(shape) -> tuple:
    """Accept f(2, 3), f((2, 3)) and f([2, 3])."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _dim(d, ndim, name):
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"{name}: dim {d} is out of range for a tensor with {ndim} dims")
    return d % n


class Reshape(Op):
    is_view = True  # shares memory with its input (version.mark_view)

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ShapeError(f"reshape: cannot view shape {a.shape} ({a.size} elements) as {shape}") from None

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class Permute(Op):
    is_view = True  # shares memory with its input (version.mark_view)

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return np.transpose(a, dims)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, np.argsort(ctx.dims)), None


class Expand(Op):
    """Broadcast to a larger shape (a view); the engine sums the gradient back down."""

    is_view = True  # shares memory with its input (version.mark_view)

    @staticmethod
    def forward(ctx, a, shape):
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None


class Repeat(Op):
    """Tile like torch.repeat / np.tile; the gradient sums over the copies."""

    @staticmethod
    def forward(ctx, a, reps):
        a_shape = (1,) * (len(reps) - a.ndim) + a.shape
        ctx.info = (a.shape, a_shape, reps)
        return np.tile(a.reshape(a_shape), reps)

    @staticmethod
    def backward(ctx, g):
        in_shape, a_shape, reps = ctx.info
        split = []
        for r, s in zip(reps, a_shape):
            split += [r, s]
        g = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return g.reshape(in_shape), None


class Flip(Op):
    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return np.flip(a, axes)

    @staticmethod
    def backward(ctx, g):
        return np.flip(g, ctx.axes), None


class Cat(Op):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.info = (axis, np.cumsum([a.shape[axis] for a in arrays])[:-1])
        try:
            return np.concatenate(arrays, axis=axis)
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ShapeError(f"cat: tensors must match except in dim {axis}, got {shapes}") from None

    @staticmethod
    def backward(ctx, g):
        axis, bounds = ctx.info
        return tuple(np.split(g, bounds, axis=axis))


class Stack(Op):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        try:
            return np.stack(arrays, axis=axis)
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ShapeError(f"stack: all tensors must have the same shape, got {shapes}") from None

    @staticmethod
    def backward(ctx, g):
        return tuple(np.moveaxis(g, ctx.axis, 0))


class Pad(Op):
    """Constant padding with F.pad's layout: (left, right) pairs starting from the last dim."""

    @staticmethod
    def forward(ctx, a, widths, value):
        ctx.slices = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape))
        return np.pad(a, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.slices], None, None


def reshape(a, *shape):
    """View `a` with a new shape; one dim may be -1."""
    return Reshape.apply(a, _shape_arg(shape))


def flatten(a, start_dim: int = 0, end_dim: int = -1):
    """Merge dims start_dim..end_dim into one."""
    if a.ndim == 0:
        return reshape(a, (1,))
    s, e = _dim(start_dim, a.ndim, "flatten"), _dim(end_dim, a.ndim, "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shape = a.shape
    # The merged size is spelled out, not -1: -1 is ambiguous when another dim is 0 (a zero batch).
    merged = int(np.prod(shape[s : e + 1], dtype=np.int64))
    return reshape(a, shape[:s] + (merged,) + shape[e + 1 :])


def squeeze(a, dim=None):
    """Drop size-1 dims (all of them, or those in `dim` that have size 1)."""
    shape = a.shape
    if dim is None:
        new = tuple(n for n in shape if n != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        drop = {_dim(d, a.ndim, "squeeze") for d in dims}
        new = tuple(n for i, n in enumerate(shape) if not (i in drop and n == 1))
    return reshape(a, new) if new != shape else a


def unsqueeze(a, dim: int):
    """Insert a size-1 dim at position `dim`."""
    d = _dim(dim, a.ndim + 1, "unsqueeze")
    shape = a.shape
    return reshape(a, shape[:d] + (1,) + shape[d:])


def permute(a, *dims):
    """Reorder dims."""
    dims = _shape_arg(dims)
    if len(dims) != a.ndim:
        raise RuntimeError(f"permute: the tensor of shape {a.shape} has {a.ndim} dims but {len(dims)} "
                           f"were given ({dims})")
    axes = tuple(_dim(d, a.ndim, "permute") for d in dims)  # IndexError out of range, as torch
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"permute: duplicate dims are not allowed, got {dims} for shape {a.shape}")
    return Permute.apply(a, axes)


def transpose(a, dim0: int, dim1: int):
    """Swap two dims."""
    if a.ndim == 0:
        _dim(dim0, 0, "transpose"), _dim(dim1, 0, "transpose")  # validate, as torch
        return Permute.apply(a, ())
    dims = list(range(a.ndim))
    d0, d1 = _dim(dim0, a.ndim, "transpose"), _dim(dim1, a.ndim, "transpose")
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(a, tuple(dims))


def expand(a, *shape):
    """Broadcast to `shape` without copying; -1 keeps a dim's size."""
    shape = _shape_arg(shape)
    lead = len(shape) - a.ndim
    if lead < 0:
        raise ShapeError(f"expand: cannot expand shape {a.shape} to fewer dims {shape}")
    full = tuple(a.shape[i - lead] if (n == -1 and i >= lead) else n for i, n in enumerate(shape))
    try:
        np.broadcast_shapes(a.shape, full)
    except ValueError:
        raise ShapeError(f"expand: shape {a.shape} cannot be expanded to {shape}") from None
    return Expand.apply(a, full)


def broadcast_to(a, shape):
    """Broadcast to `shape` (NumPy's rules)."""
    return expand(a, tuple(shape))


def repeat(a, *sizes):
    """Tile the tensor `sizes[i]` times along each dim, like torch.repeat."""
    reps = _shape_arg(sizes)
    if len(reps) < a.ndim:
        raise ValueError(f"repeat: {len(reps)} sizes given for a tensor with {a.ndim} dims")
    return Repeat.apply(a, reps)


def flip(a, dims):
    """Reverse the order of elements along `dims`."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = tuple(_dim(d, a.ndim, "flip") for d in dims)
    return Flip.apply(a, axes if a.ndim else ())


def cat(tensors, dim: int = 0):
    """Concatenate along an existing dim."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    tensors = _promoted(tensors)
    return Cat.apply(*tensors, axis=_dim(dim, tensors[0].ndim, "cat"))


def _promoted(tensors: list) -> list:
    """cat/stack take tensors of mixed dtypes and promote them, as PyTorch's do."""
    from ..dtypes import promote_types
    from .elementwise import cast

    first = tensors[0].dtype
    if all(t.dtype == first for t in tensors):
        return tensors
    target = first
    for t in tensors[1:]:
        target = promote_types(target, t.dtype)
    return [t if t.dtype == target else cast(t, target) for t in tensors]


def stack(tensors, dim: int = 0):
    """Stack along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    tensors = _promoted(tensors)
    return Stack.apply(*tensors, axis=_dim(dim, tensors[0].ndim + 1, "stack"))


def split(a, split_size_or_sections, dim: int = 0):
    """Split into chunks of a given size (int) or of the given sizes (list), as torch.split."""
    from .index import narrow

    d = _dim(dim, a.ndim, "split")
    n = a.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError(f"split: split size must be positive, got {size}")
        sizes = [min(size, n - s) for s in range(0, n, size)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} do not add up to {n}, the size of dim {dim}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(a, d, start, s))
        start += s
    return tuple(out)


def chunk(a, chunks: int, dim: int = 0):
    """Split into `chunks` pieces of ceil(n / chunks) (the last may be smaller)."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = a.shape[_dim(dim, a.ndim, "chunk")]
    size = -(-n // chunks) if n else 1
    return split(a, max(size, 1), dim)


def pad(a, pad, value: float = 0.0):
    """Constant padding; `pad` lists (left, right) pairs from the last dim backwards."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > a.ndim:
        raise ValueError(f"pad: {pad} must hold (left, right) pairs for at most {a.ndim} dims")
    if any(p < 0 for p in pad):
        raise ValueError(f"pad: negative padding {pad} is not supported")
    widths = [(0, 0)] * a.ndim
    for i in range(len(pad) // 2):
        widths[a.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return Pad.apply(a, tuple(widths), value)
