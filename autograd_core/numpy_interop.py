"""NumPy functions on Tensors: `np.exp(t)`, `np.where(c, t, 0)`, `np.sum(t, axis=1)`.

Tensors answer NumPy's protocols (`__array_ufunc__`, `__array_function__`) by running the
matching autograd_core op, so the result is a Tensor in the graph. This is what lets an
op's backward be written once, with NumPy calls: on the first-order path it runs on raw
arrays at NumPy's speed, and when the backward pass is recorded (`create_graph=True`)
the very same code runs on Tensors and builds a differentiable graph.

NumPy functions without a differentiable counterpart run on the raw arrays when no
argument requires grad (the result is wrapped as a Tensor), and raise a TypeError naming
the function otherwise: never a silent cut in the graph.

    >>> import numpy as np, autograd_core as ag
    >>> x = ag.tensor([0.0, 1.0], requires_grad=True)
    >>> np.exp(x)
    tensor([1.    , 2.7183], grad_fn=<ExpBackward0 object at ...>)
"""

from __future__ import annotations

import numpy as np

from .grad_mode import state

_UFUNCS: dict = {}
_FUNCTIONS: dict = {}

# Ufuncs whose derivative is zero or undefined everywhere: their result is a constant.
_CONSTANT_UFUNCS = {
    np.sign, np.isfinite, np.isnan, np.isinf, np.floor, np.ceil, np.trunc, np.rint,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not, np.signbit,
    np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert, np.floor_divide,
}


def _build_tables() -> None:
    from .ops import activation as A
    from .ops import elementwise as E
    from .ops import linalg as L
    from .ops import products as P
    from .ops import reduce as R
    from .ops import scan as SC
    from .ops import scatter as SCT
    from .ops import shape as S

    _UFUNCS.update({
        np.add: E.add, np.subtract: E.sub, np.multiply: E.mul, np.true_divide: E.div,
        np.power: E.pow, np.negative: E.neg, np.positive: lambda a: a, np.absolute: E.abs,
        np.exp: E.exp, np.log: E.log, np.log1p: E.log1p, np.sqrt: E.sqrt, np.sin: E.sin,
        np.cos: E.cos, np.tanh: A.tanh, np.maximum: E.maximum, np.minimum: E.minimum,
        np.matmul: L.matmul, np.square: lambda a: E.mul(a, a),
        np.reciprocal: lambda a: E.div(1.0, a),
    })
    from .ops import pointwise as PW

    # The pointwise family: every ufunc whose name the family also uses (np.sinh -> PW.sinh, ...).
    for name in ("sinh", "cosh", "tan", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh",
                 "expm1", "exp2", "log2", "log10", "logaddexp", "logaddexp2", "hypot", "arctan2",
                 "float_power", "fmod", "remainder", "deg2rad", "rad2deg", "sinc", "copysign"):
        ufunc, fn = getattr(np, name, None), getattr(PW, name, None)
        if isinstance(ufunc, np.ufunc) and fn is not None:
            _UFUNCS.setdefault(ufunc, fn)
    _FUNCTIONS.update({
        np.where: lambda c, x=None, y=None: E.where(c, x, y),
        np.sum: lambda a, axis=None, dtype=None, out=None, keepdims=False, **kw: R.sum(a, axis, keepdims),
        np.mean: lambda a, axis=None, dtype=None, out=None, keepdims=False, **kw: R.mean(a, axis, keepdims),
        np.broadcast_to: lambda a, shape, subok=False: S.broadcast_to(a, shape),
        np.expand_dims: _expand_dims,
        np.transpose: lambda a, axes=None: S.permute(
            a, tuple(reversed(range(a.ndim))) if axes is None else tuple(axes)),
        np.swapaxes: lambda a, axis1, axis2: S.transpose(a, axis1, axis2),
        np.moveaxis: _moveaxis,
        np.reshape: lambda a, shape=None, order="C", **kw: S.reshape(a, shape if shape is not None else kw["newshape"]),
        np.squeeze: lambda a, axis=None: S.squeeze(a, axis),
        np.concatenate: lambda arrays, axis=0, **kw: S.cat([_as_tensor(x) for x in arrays], axis),
        np.stack: lambda arrays, axis=0, **kw: S.stack([_as_tensor(x) for x in arrays], axis),
        np.split: _split,
        np.clip: lambda a, a_min=None, a_max=None, **kw: E.clamp(a, a_min, a_max),
        np.flip: lambda a, axis=None: S.flip(a, tuple(range(a.ndim)) if axis is None else axis),
        np.tile: lambda a, reps: S.repeat(a, *((reps,) if isinstance(reps, int) else reps)),
        np.zeros_like: lambda a, dtype=None, **kw: np.zeros(a.shape, dtype=dtype or a.dtype),
        np.ones_like: lambda a, dtype=None, **kw: np.ones(a.shape, dtype=dtype or a.dtype),
        np.full_like: lambda a, fill_value, dtype=None, **kw: np.full(a.shape, fill_value, dtype=dtype or a.dtype),
        np.empty_like: lambda a, dtype=None, **kw: np.zeros(a.shape, dtype=dtype or a.dtype),
        np.cumsum: lambda a, axis=None, dtype=None, out=None: SC.cumsum(a.reshape(-1) if axis is None else a,
                                                                        0 if axis is None else axis),
        np.cumprod: lambda a, axis=None, dtype=None, out=None: SC.cumprod(a.reshape(-1) if axis is None else a,
                                                                          0 if axis is None else axis),
        np.einsum: lambda eq, *ops, **kw: P.einsum(eq, *[_as_tensor(o) for o in ops]),
        np.take_along_axis: lambda a, indices, axis: SCT.take_along_dim(a, _as_tensor(indices), axis),
        np.shape: lambda a: tuple(a.shape),
        np.ndim: lambda a: a.ndim,
        np.size: lambda a, axis=None: a.numel() if axis is None else a.shape[axis],
    })


def _as_tensor(x):
    from .tensor import Tensor

    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x), None)


def _expand_dims(a, axis):
    from .ops import shape as S

    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    ndim = a.ndim + len(axes)
    axes = sorted(ax % ndim for ax in axes)
    shape = list(a.shape)
    for ax in axes:
        shape.insert(ax, 1)
    return S.reshape(a, tuple(shape))


def _moveaxis(a, source, destination):
    from .ops import shape as S

    src = [s % a.ndim for s in ((source,) if isinstance(source, int) else source)]
    dst = [d % a.ndim for d in ((destination,) if isinstance(destination, int) else destination)]
    order = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return S.permute(a, tuple(order))


def _split(a, indices_or_sections, axis=0):
    from .ops.index import narrow

    n = a.shape[axis]
    if isinstance(indices_or_sections, int):
        size = n // indices_or_sections
        bounds = [size * i for i in range(1, indices_or_sections)]
    else:
        bounds = [int(b) for b in indices_or_sections]
    edges = [0] + bounds + [n]
    return [narrow(a, axis, lo, max(hi - lo, 0)) for lo, hi in zip(edges[:-1], edges[1:])]


def _tracked(args) -> bool:
    from .tensor import Tensor

    stack = list(args)
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            if x.requires_grad:
                return True
        elif isinstance(x, (list, tuple)):
            stack.extend(x)
    return False


def _raw(x):
    from .tensor import Tensor

    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return type(x)(_raw(v) for v in x)
    return x


def _wrap(result):
    from .tensor import Tensor

    if isinstance(result, np.ndarray):
        return Tensor._make(result, None)
    if isinstance(result, tuple):
        return tuple(_wrap(r) for r in result)
    if isinstance(result, list):
        return [_wrap(r) for r in result]
    return result


def array_ufunc(ufunc, method, inputs, kwargs):
    """Tensor.__array_ufunc__: a differentiable op for the common ufuncs."""
    if not _UFUNCS:
        _build_tables()
    fn = _UFUNCS.get(ufunc)
    if method == "__call__" and fn is not None and not kwargs:
        return fn(*inputs)
    if state.grad_enabled and ufunc not in _CONSTANT_UFUNCS and _tracked(inputs):
        raise TypeError(
            f"numpy.{ufunc.__name__} ({method}) is not differentiable on autograd_core Tensors that "
            "require grad; use the autograd_core function of the same name, or .detach() first"
        )
    raw_kwargs = {k: _raw(v) for k, v in kwargs.items()}
    out = kwargs.get("out")
    result = getattr(ufunc, method)(*_raw(inputs), **raw_kwargs)
    if out is not None:  # wrote into the given Tensors' storage
        from . import version

        for o in out if isinstance(out, tuple) else (out,):
            if hasattr(o, "_vc"):
                version.bump(o)
        return out[0] if isinstance(out, tuple) and len(out) == 1 else out
    return _wrap(result)


def array_function(func, args, kwargs):
    """Tensor.__array_function__: differentiable versions of the NumPy functions that
    backward formulas use; others run on raw arrays when nothing requires grad."""
    if not _FUNCTIONS:
        _build_tables()
    fn = _FUNCTIONS.get(func)
    if fn is not None:
        return fn(*args, **kwargs)
    if state.grad_enabled and (_tracked(args) or _tracked(tuple(kwargs.values()))):
        raise TypeError(
            f"numpy.{func.__name__} is not differentiable on autograd_core Tensors that require "
            "grad; use the autograd_core function of the same name, or .detach() first"
        )
    result = func(*_raw(args), **{k: _raw(v) for k, v in kwargs.items()})
    return result
