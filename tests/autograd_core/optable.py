"""The one table of op specs behind the op tests (forward vs NumPy, gradcheck, PyTorch parity).

A row names an operation, calls it through autograd_core, gives an independent NumPy
reference of its forward and, where PyTorch has the same operation, its torch form. Each
row lists the input shapes to try and how to draw the inputs (a domain), chosen so that
finite differences are valid: positive values for log/sqrt, values away from the kinks of
abs/relu/clamp, distinct values for max/min.

Adding an op = one row here; `test_ops.py` picks it up.

    >>> spec = OPS[0]
    >>> spec.name, spec.shapes[0]
    ('a + b', ((3, 1), (1, 4)))
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

import autograd_core as ag

# A torch_fn that is this marker means "the autograd_core expression works on torch tensors as is".
SAME = "same"


def th():
    """The torch module, imported only by the torch-parity tests (the rest runs without torch)."""
    import torch

    return torch


# -- domains: how to draw one input of a given shape ---------------------------------------
def _flat(shape) -> int:
    return math.prod(shape)


def normal(rng, shape):
    return rng.standard_normal(_flat(shape)).reshape(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, _flat(shape)).reshape(shape)


def avoiding(*kinks, gap=0.1):
    """Values in [-2, 2] at least `gap` from every kink, so no finite difference straddles one."""

    def draw(rng, shape):
        x = rng.uniform(-2.0, 2.0, _flat(shape))
        while True:
            bad = np.zeros(x.shape, dtype=bool)
            for k in kinks:
                bad |= np.abs(x - k) < gap
            if not bad.any():
                return x.reshape(shape)
            x[bad] = rng.uniform(-2.0, 2.0, int(bad.sum()))

    return draw


def spaced(offset=0.0):
    """Distinct values on the grid 0.25·k + offset (no ties, gaps far above gradcheck's eps).
    Two inputs drawn with offsets 0 and 0.125 never tie with each other either."""

    def draw(rng, shape):
        n = _flat(shape)
        return ((rng.permutation(n) - n // 2) * 0.25 + offset).reshape(shape)

    return draw


def with_zeros(k):
    """Non-zero values except exact zeros at the first `k` flat positions."""

    def draw(rng, shape):
        x = avoiding(0.0, gap=0.3)(rng, shape).reshape(-1)
        x[:k] = 0.0
        return x.reshape(shape)

    return draw


def mask(rng, shape):
    return (rng.random(_flat(shape)) < 0.5).reshape(shape)


# -- the spec -------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpSpec:
    name: str
    fn: Callable  # autograd_core: (*inputs) -> Tensor or tuple of Tensors
    ref: Callable  # NumPy: (*arrays) -> array or tuple of arrays
    torch_fn: Callable | str | None  # torch: (*torch tensors) -> ...; SAME; None if torch lacks it
    shapes: tuple  # tuples of input shapes to try
    domain: Callable | tuple = normal  # one draw for every input, or one per input
    const: tuple = ()  # positions passed as plain arrays (no gradient), e.g. where's condition
    out_dtype: object = None  # None: float outputs keep the inputs' dtype
    eps: float = 1e-6  # gradcheck step (larger for ops that round through float32)

    def draws(self, n_inputs: int) -> tuple:
        return self.domain if isinstance(self.domain, tuple) else (self.domain,) * n_inputs


def _shape_id(shape) -> str:
    return "x".join(map(str, shape)) or "0d"


def case_id(spec: OpSpec, shapes) -> str:
    return f"{spec.name}|{','.join(_shape_id(s) for s in shapes)}"


def cases(with_torch: bool = False) -> list:
    """(spec, shapes) pairs for pytest.mark.parametrize, with readable ids."""
    import pytest

    return [
        pytest.param(spec, shapes, id=case_id(spec, shapes))
        for spec in OPS
        for shapes in spec.shapes
        if not with_torch or spec.torch_fn is not None
    ]


def make_arrays(spec: OpSpec, shapes, dtype) -> list:
    """Reproducible inputs for one case: float draws in `dtype`, other constants as drawn."""
    rng = np.random.default_rng(zlib.crc32(case_id(spec, shapes).encode()))
    arrays = []
    for draw, shape in zip(spec.draws(len(shapes)), shapes):
        x = np.asarray(draw(rng, tuple(shape)))
        arrays.append(x.astype(dtype) if x.dtype.kind == "f" else x)
    return arrays


def make_inputs(spec: OpSpec, arrays) -> list:
    """autograd_core inputs: Tensors that require grad, constants left as arrays."""
    return [a if i in spec.const else ag.tensor(a, requires_grad=True) for i, a in enumerate(arrays)]


def outputs(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


# -- NumPy references that need more than one line -------------------------------------------
_erf = np.vectorize(math.erf, otypes=[np.float64])


def np_gelu(x):
    return x * 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))


def np_softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def np_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def np_log_softmax(x, axis):
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def np_pieces(x, sizes, axis):
    """x cut along `axis` into pieces of the given sizes (the expected split/chunk)."""
    bounds = np.cumsum(sizes)[:-1]
    return tuple(np.split(x, bounds, axis=axis))


def np_gather(x, axis, index):
    """torch.gather by its definition: out[p] = x[p with p[axis] replaced by index[p]]."""
    out = np.empty(index.shape, dtype=x.dtype)
    for p in np.ndindex(*index.shape):
        src = list(p)
        src[axis] = index[p]
        out[p] = x[tuple(src)]
    return out


# -- shape groups -----------------------------------------------------------------------------
def one(*shapes) -> tuple:
    """Shape cases for a one-input op: one((2, 3), ()) == (((2, 3),), ((),))."""
    return tuple((s,) for s in shapes)


UNARY = one((), (5,), (2, 3), (2, 1, 3))
BINARY = (
    ((3, 1), (1, 4)),
    ((4,), (2, 3, 4)),
    ((2, 1, 4), (3, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((), ()),
    ((1,), (3,)),
    ((2, 3), (2, 3)),
)
MATMUL = (
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((3, 4), (4,)),
    ((2, 3), (3, 4)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 3)),
    ((1, 2, 3), (2, 3, 2)),
)
# A constant NumPy array on the left of a Tensor (numpy defers to the reflected operator).
WITH_ARRAY = (((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((), (2,)), ((2, 3), ()))

away0 = avoiding(0.0, gap=0.3)  # denominators, and abs/relu whose kink is at 0
clamp_kinks = avoiding(-0.5, 0.5)
unequal = (spaced(0.0), spaced(0.125))  # two inputs that never tie


def F():
    """torch.nn.functional, imported lazily."""
    return th().nn.functional


ARITHMETIC = [
    OpSpec("a + b", lambda a, b: a + b, np.add, SAME, BINARY),
    OpSpec("a - b", lambda a, b: a - b, np.subtract, SAME, BINARY),
    OpSpec("a * b", lambda a, b: a * b, np.multiply, SAME, BINARY),
    OpSpec("a / b", lambda a, b: a / b, np.divide, SAME, BINARY, (normal, away0)),
    OpSpec("a ** b", lambda a, b: a**b, np.power, SAME, BINARY, (positive, normal)),
    OpSpec("ag.add", ag.add, np.add, lambda a, b: th().add(a, b), BINARY[:3]),
    OpSpec("ag.div", ag.div, np.divide, lambda a, b: th().div(a, b), BINARY[:3], (normal, away0)),
    OpSpec("-x", lambda x: -x, np.negative, SAME, UNARY),
    OpSpec("x + 2", lambda x: x + 2, lambda x: x + 2.0, SAME, UNARY),
    OpSpec("2 + x", lambda x: 2 + x, lambda x: 2.0 + x, SAME, UNARY),
    OpSpec("x - 2.5", lambda x: x - 2.5, lambda x: x - 2.5, SAME, UNARY),
    OpSpec("2 - x", lambda x: 2 - x, lambda x: 2.0 - x, SAME, UNARY),
    OpSpec("3 * x", lambda x: 3 * x, lambda x: 3.0 * x, SAME, UNARY),
    OpSpec("x / 4", lambda x: x / 4, lambda x: x * 0.25, SAME, UNARY),
    OpSpec("2 / x", lambda x: 2 / x, lambda x: 2.0 * np.reciprocal(x), SAME, UNARY, away0),
    OpSpec("x ** 2", lambda x: x**2, np.square, SAME, UNARY),
    OpSpec("x ** 3", lambda x: x**3, lambda x: x * x * x, SAME, UNARY),
    OpSpec("x ** 0.5", lambda x: x**0.5, np.sqrt, SAME, UNARY, positive),
    OpSpec("x ** -1.5", lambda x: x**-1.5, lambda x: 1.0 / (x * np.sqrt(x)), SAME, UNARY, positive),
    OpSpec("2 ** x", lambda x: 2**x, lambda x: np.exp(x * math.log(2.0)), SAME, UNARY),
    OpSpec("arr + x", lambda c, x: c + x, np.add, SAME, WITH_ARRAY, const=(0,)),
    OpSpec("arr - x", lambda c, x: c - x, np.subtract, SAME, WITH_ARRAY, const=(0,)),
    OpSpec("arr * x", lambda c, x: c * x, np.multiply, SAME, WITH_ARRAY, const=(0,)),
    OpSpec("arr / x", lambda c, x: c / x, np.divide, SAME, WITH_ARRAY, (normal, away0), const=(0,)),
    OpSpec("arr ** x", lambda c, x: c**x, np.power, SAME, WITH_ARRAY, (positive, normal), const=(0,)),
    OpSpec("x - arr", lambda x, c: x - c, np.subtract, SAME, WITH_ARRAY, const=(1,)),
    OpSpec("a @ b", lambda a, b: a @ b, np.matmul, SAME, MATMUL),
    OpSpec("ag.matmul", ag.matmul, np.matmul, lambda a, b: th().matmul(a, b), MATMUL[:5]),
    OpSpec("arr @ x", lambda c, x: c @ x, np.matmul, SAME, (((2, 3), (3, 4)), ((3,), (2, 3, 2))), const=(0,)),
]

MATH = [
    OpSpec("abs", lambda x: x.abs(), np.abs, SAME, UNARY, away0),
    OpSpec("abs()", lambda x: abs(x), np.abs, SAME, UNARY, away0),
    OpSpec("exp", lambda x: x.exp(), np.exp, SAME, UNARY),
    OpSpec("log", lambda x: x.log(), np.log, SAME, UNARY, positive),
    OpSpec("log1p", lambda x: ag.log1p(x), lambda x: np.log(1.0 + x), lambda x: x.log1p(), UNARY, positive),
    OpSpec("sqrt", lambda x: x.sqrt(), np.sqrt, SAME, UNARY, positive),
    OpSpec("sin", lambda x: x.sin(), np.sin, SAME, UNARY),
    OpSpec("cos", lambda x: ag.cos(x), np.cos, lambda x: x.cos(), UNARY),
    OpSpec("tanh", lambda x: x.tanh(), np.tanh, SAME, UNARY),
    OpSpec("sigmoid", lambda x: x.sigmoid(), lambda x: 1.0 / (1.0 + np.exp(-x)), SAME, UNARY),
    OpSpec("relu", lambda x: x.relu(), lambda x: np.where(x > 0, x, 0.0), SAME, UNARY, away0),
    OpSpec("leaky_relu(0.1)", lambda x: x.leaky_relu(0.1), lambda x: np.where(x > 0, x, 0.1 * x),
           lambda x: F().leaky_relu(x, 0.1), UNARY, away0),
    OpSpec("gelu", lambda x: ag.gelu(x), np_gelu, lambda x: F().gelu(x), UNARY),
    OpSpec("softplus", lambda x: x.softplus(), np_softplus, lambda x: F().softplus(x), UNARY),
    OpSpec("softplus(beta=2,threshold=1)", lambda x: x.softplus(beta=2.0, threshold=1.0),
           lambda x: np_softplus(x, 2.0, 1.0), lambda x: F().softplus(x, beta=2.0, threshold=1.0),
           UNARY, avoiding(0.5)),
    OpSpec("clamp(min=-.5)", lambda x: x.clamp(min=-0.5), lambda x: np.where(x < -0.5, -0.5, x), SAME,
           UNARY, clamp_kinks),
    OpSpec("clamp(max=.5)", lambda x: x.clamp(max=0.5), lambda x: np.where(x > 0.5, 0.5, x), SAME,
           UNARY, clamp_kinks),
    OpSpec("clamp(-.5,.5)", lambda x: ag.clamp(x, -0.5, 0.5), lambda x: np.minimum(np.maximum(x, -0.5), 0.5),
           lambda x: x.clamp(-0.5, 0.5), UNARY, clamp_kinks),
    OpSpec("maximum", lambda a, b: a.maximum(b), lambda a, b: np.where(a > b, a, b), SAME, BINARY, unequal),
    OpSpec("ag.minimum", ag.minimum, lambda a, b: np.where(a < b, a, b), lambda a, b: th().minimum(a, b),
           BINARY, unequal),
    OpSpec("where", ag.where, np.where, lambda c, a, b: th().where(c, a, b),
           (((2, 1), (1, 3), ()), ((3,), (2, 3), (2, 3)), ((), (2,), (2,)), ((2, 3), (2, 3), (3,))),
           (mask, normal, normal), const=(0,)),
    OpSpec("where(c, x, 0.5)", lambda c, x: ag.where(c, x, 0.5), lambda c, x: np.where(c, x, 0.5),
           lambda c, x: th().where(c, x, 0.5), (((2, 3), (2, 3)), ((2, 1), (3,))), (mask, normal),
           const=(0,)),
]


# -- reductions ---------------------------------------------------------------------------------
def _kw_name(kw: dict) -> str:
    return ",".join("keepdim" if k == "keepdim" else f"{k}={v}" for k, v in kw.items())


def _np_axis(kw: dict, ndim: int) -> dict:
    """NumPy's axis/keepdims for torch's dim/keepdim (a 0-d tensor accepts dim 0 or -1 in torch)."""
    return {"axis": kw.get("dim") if ndim else None, "keepdims": kw.get("keepdim", False)}


def _int_dim(kw: dict) -> bool:
    return not isinstance(kw.get("dim"), tuple)


def reduction(name, np_fn, kws, full, along, domain=normal, torch_ok=lambda kw: True, tag="") -> list:
    """Rows for `x.<name>(**kw)`, one per kw, referenced by np_fn(x, axis=, keepdims=).
    Full reductions (no dim) try the shapes `full`, the others `along`."""
    return [
        OpSpec(
            f"{name}({_kw_name(kw)}){tag}",
            lambda x, kw=kw: getattr(x, name)(**kw),
            lambda x, kw=kw: np_fn(x, **_np_axis(kw, x.ndim)),
            SAME if torch_ok(kw) else None,
            along if "dim" in kw else full,
            domain,
        )
        for kw in kws
    ]


def _ddof(np_fn, ddof):
    return lambda x, axis, keepdims: np_fn(x, axis=axis, keepdims=keepdims, ddof=ddof)


def _np_logsumexp(x, axis, keepdims):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


def _np_norm(p):
    def norm(x, axis, keepdims):
        if p == 1:
            return np.sum(np.abs(x), axis=axis, keepdims=keepdims)
        if p == 2:
            return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
        return np.max(np.abs(x), axis=axis, keepdims=keepdims)

    return norm


def _torch_logsumexp(kw):
    """torch.logsumexp needs a dim: all of them for a full reduction."""
    dim = kw.get("dim")
    return lambda x: x.logsumexp(tuple(range(x.ndim)) if dim is None else dim, kw.get("keepdim", False))


DIMS = [{}, {"dim": 1}, {"dim": -1, "keepdim": True}, {"dim": (0, 2)}, {"dim": (0, 2), "keepdim": True}]
FULL = one((), (5,), (2, 3, 4))
ALONG = one((2, 3, 4), (3, 1, 2))
ZERO_D = one((), (5,))  # dim=0 on a 0-d tensor is valid in torch
VAR_FULL, VAR_ALONG = one((5,), (2, 3, 4)), one((2, 3, 4), (2, 2, 3))  # n > 1 in every reduced dim

REDUCTIONS = [
    *reduction("sum", np.sum, DIMS, FULL, ALONG),
    *reduction("mean", np.mean, DIMS, FULL, ALONG),
    *reduction("var", _ddof(np.var, 1), DIMS, VAR_FULL, VAR_ALONG),
    *reduction("var", _ddof(np.var, 0), [{"unbiased": False}, {"dim": 1, "unbiased": False}], FULL, ALONG),
    *reduction("std", _ddof(np.std, 1), DIMS[:4], VAR_FULL, VAR_ALONG),
    *reduction("std", _ddof(np.std, 0), [{"dim": (0, 2), "unbiased": False}], FULL, ALONG),
    *reduction("amax", np.max, DIMS, FULL, ALONG, spaced()),
    *reduction("amin", np.min, DIMS, FULL, ALONG, spaced()),
    *reduction("max", np.max, [{}], FULL, (), spaced()),
    *reduction("min", np.min, [{}], FULL, (), spaced()),
    *reduction("prod", np.prod, DIMS, FULL, ALONG, torch_ok=_int_dim),
    *reduction("prod", np.prod, [{}, {"dim": 0}, {"dim": 1}], one((5,)), one((2, 3)), with_zeros(1),
              tag=" one 0"),
    *reduction("prod", np.prod, [{}, {"dim": 0}, {"dim": 1}], one((5,)), one((2, 3)), with_zeros(2),
              tag=" two 0s"),
    *reduction("norm", _np_norm(2), DIMS, FULL, ALONG),
    *reduction("norm", _np_norm(1), [{"p": 1}, {"p": 1, "dim": 1}], FULL, ALONG, away0),
    *reduction("norm", _np_norm(np.inf), [{"p": np.inf}, {"p": np.inf, "dim": -1}], FULL, ALONG, spaced(0.1)),
]
REDUCTIONS += [
    OpSpec(f"logsumexp({_kw_name(kw)})", lambda x, kw=kw: x.logsumexp(**kw),
           lambda x, kw=kw: _np_logsumexp(x, **_np_axis(kw, x.ndim)), _torch_logsumexp(kw),
           ALONG if "dim" in kw else FULL)
    for kw in DIMS
]

# torch accepts dim 0 / -1 on a 0-d tensor (the tensor itself); so must we.
REDUCTIONS += [
    *reduction("sum", np.sum, [{"dim": 0}], (), ZERO_D),
    *reduction("mean", np.mean, [{"dim": -1}], (), ZERO_D),
    *reduction("var", _ddof(np.var, 0), [{"dim": 0, "unbiased": False}], (), ZERO_D),
    *reduction("amax", np.max, [{"dim": 0}], (), ZERO_D, spaced()),
    *reduction("amin", np.min, [{"dim": -1, "keepdim": True}], (), ZERO_D, spaced()),
    *reduction("prod", np.prod, [{"dim": 0}], (), ZERO_D),
    *reduction("norm", _np_norm(2), [{"dim": 0}], (), ZERO_D),
    OpSpec("logsumexp(dim=0)", lambda x: x.logsumexp(0), lambda x: _np_logsumexp(x, None, False), SAME,
           ZERO_D),
]


def _np_max_dim(np_fn, np_arg, kw):
    """The expected (values, indices) of x.max(dim)/x.min(dim)."""

    def ref(x):
        values = np_fn(x, **_np_axis(kw, x.ndim))
        indices = np_arg(x, **_np_axis(kw, x.ndim))
        return values, indices

    return ref


# max/min along a dim give (values, indices), like torch; the gradient flows through values.
REDUCTIONS += [
    OpSpec(f"{name}({_kw_name(kw)})", lambda x, kw=kw, name=name: tuple(getattr(x, name)(**kw)),
           _np_max_dim(np_fn, np_arg, kw), lambda x, kw=kw, name=name: tuple(getattr(x, name)(**kw)),
           shapes, spaced())
    for name, np_fn, np_arg in (("max", np.max, np.argmax), ("min", np.min, np.argmin))
    for kw, shapes in (({"dim": 1}, ALONG), ({"dim": -1, "keepdim": True}, ALONG), ({"dim": 0}, ZERO_D))
]

SOFTMAX = [
    OpSpec(f"{name}({dim})", lambda x, name=name, dim=dim: getattr(x, name)(dim),
           lambda x, np_fn=np_fn, dim=dim: np_fn(x, dim if x.ndim else None), SAME, shapes)
    for name, np_fn in (("softmax", np_softmax), ("log_softmax", np_log_softmax))
    for dim, shapes in (
        (-1, one((), (4,), (2, 3), (2, 3, 4))),
        (0, one((4,), (2, 3, 4))),
        (1, one((2, 3, 4), (2, 1, 3))),
    )
] + [
    OpSpec("ag.softmax(x,1)", lambda x: ag.softmax(x, 1), lambda x: np_softmax(x, 1), lambda x: x.softmax(1),
           one((2, 3))),
    OpSpec("ag.log_softmax(x,0)", lambda x: ag.log_softmax(x, 0), lambda x: np_log_softmax(x, 0),
           lambda x: x.log_softmax(0), one((2, 3))),
]


# -- shape ops and casts --------------------------------------------------------------------------
def rearrange(label, call, ref, shape, torch_fn=SAME, **kw) -> OpSpec:
    """A one-input row tried at one shape (the call's arguments are written for that shape)."""
    return OpSpec(label, call, ref, torch_fn, one(shape), **kw)


SHAPE = [
    rearrange("reshape(4,-1)", lambda x: x.reshape(4, -1), lambda x: x.reshape(4, 6), (2, 3, 4)),
    rearrange("reshape((3,2))", lambda x: x.reshape((3, 2)), lambda x: x.reshape(3, 2), (6,)),
    rearrange("reshape(1,1) 0d", lambda x: x.reshape(1, 1), lambda x: x.reshape(1, 1), ()),
    rearrange("reshape(())", lambda x: x.reshape(()), lambda x: x.reshape(()), (1, 1)),
    rearrange("view(-1)", lambda x: x.view(-1), lambda x: x.reshape(6), (2, 3)),
    rearrange("view(3,-1,2)", lambda x: x.view(3, -1, 2), lambda x: x.reshape(3, 2, 2), (2, 6)),
    rearrange("flatten()", lambda x: x.flatten(), lambda x: x.reshape(24), (2, 3, 4)),
    rearrange("flatten() 0d", lambda x: x.flatten(), lambda x: x.reshape(1), ()),
    rearrange("flatten(1)", lambda x: x.flatten(1), lambda x: x.reshape(2, 12), (2, 3, 4)),
    rearrange("flatten(0,1)", lambda x: x.flatten(0, 1), lambda x: x.reshape(6, 4), (2, 3, 4)),
    rearrange("ag.flatten(-2,-1)", lambda x: ag.flatten(x, -2, -1), lambda x: x.reshape(2, 1, 12),
              (2, 1, 3, 4),
              lambda x: x.flatten(-2, -1)),
    rearrange("squeeze()", lambda x: x.squeeze(), lambda x: x.reshape(3, 2), (1, 3, 1, 2)),
    rearrange("squeeze(0)", lambda x: x.squeeze(0), lambda x: x.reshape(3, 1, 2), (1, 3, 1, 2)),
    rearrange("squeeze(-2)", lambda x: x.squeeze(-2), lambda x: x.reshape(1, 3, 2), (1, 3, 1, 2)),
    rearrange("squeeze(1) no-op", lambda x: x.squeeze(1), lambda x: x.copy(), (1, 3, 1, 2)),
    rearrange("squeeze() 0d", lambda x: x.squeeze(), lambda x: x.copy(), ()),
    rearrange("unsqueeze(0)", lambda x: x.unsqueeze(0), lambda x: x[None], (2, 3)),
    rearrange("unsqueeze(2)", lambda x: x.unsqueeze(2), lambda x: x[:, :, None], (2, 3)),
    rearrange("unsqueeze(-1)", lambda x: x.unsqueeze(-1), lambda x: x[..., None], (2, 3)),
    rearrange("unsqueeze(-3)", lambda x: x.unsqueeze(-3), lambda x: x[None], (2, 3)),
    rearrange("unsqueeze(0) 0d", lambda x: x.unsqueeze(0), lambda x: x.reshape(1), ()),
    rearrange("transpose(0,2)", lambda x: x.transpose(0, 2), lambda x: np.swapaxes(x, 0, 2), (2, 3, 4)),
    rearrange("transpose(-1,-2)", lambda x: x.transpose(-1, -2), lambda x: np.swapaxes(x, 1, 2), (2, 3, 4)),
    rearrange("permute(2,0,1)", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1), (2, 3, 4)),
    rearrange("permute((1,0))", lambda x: x.permute((1, 0)), lambda x: np.transpose(x), (2, 3)),
    rearrange(".T", lambda x: x.T, lambda x: np.transpose(x), (2, 3)),
    rearrange(".T 1d", lambda x: x.T, lambda x: x.copy(), (3,), lambda x: x.permute(0)),
    rearrange(".T 3d", lambda x: x.T, lambda x: x.transpose(2, 1, 0), (2, 3, 4),
              lambda x: x.permute(2, 1, 0)),  # torch's .T is deprecated beyond 2-D
    rearrange("expand(2,-1,4)", lambda x: x.expand(2, -1, 4), lambda x: np.tile(x, (2, 1, 4)), (3, 1)),
    rearrange("expand(3)", lambda x: x.expand(3), lambda x: np.broadcast_to(x, (3,)), (1,)),
    rearrange("expand(2,3) 0d", lambda x: x.expand(2, 3), lambda x: np.broadcast_to(x, (2, 3)), ()),
    rearrange("broadcast_to", lambda x: x.broadcast_to((2, 3, 4)), lambda x: np.tile(x, (2, 1, 4)), (3, 1)),
    rearrange("ag.broadcast_to", lambda x: ag.broadcast_to(x, (4, 2)), lambda x: np.stack([x] * 4), (2,),
              lambda x: x.broadcast_to((4, 2))),
    rearrange("repeat(2,1,2)", lambda x: x.repeat(2, 1, 2), lambda x: np.tile(x[None], (2, 1, 2)), (2, 3)),
    rearrange("repeat(2,3)", lambda x: x.repeat(2, 3), lambda x: np.tile(x, (2, 3)), (2, 1)),
    rearrange("repeat(2)", lambda x: x.repeat(2), lambda x: np.concatenate([x, x]), (3,)),
    rearrange("repeat(3) 0d", lambda x: x.repeat(3), lambda x: np.full(3, x), ()),
    rearrange("flip(0)", lambda x: x.flip(0), lambda x: x[::-1], (2, 3)),
    rearrange("flip((0,2))", lambda x: x.flip((0, 2)), lambda x: x[::-1, :, ::-1], (2, 3, 4)),
    rearrange("flip(-1)", lambda x: x.flip(-1), lambda x: x[..., ::-1], (5,)),
    rearrange("flip(0) 0d", lambda x: x.flip(0), lambda x: x.copy(), ()),  # valid in torch
    rearrange("transpose(0,-1) 0d", lambda x: x.transpose(0, -1), lambda x: x.copy(), ()),  # valid in torch
    rearrange("clone", lambda x: x.clone(), lambda x: x.copy(), (2, 3)),
    rearrange("clone 0d", lambda x: x.clone(), lambda x: x.copy(), ()),
    # Casts fix the output dtype; rounding through float32 needs a wider gradcheck step (the map is linear).
    rearrange("astype(float32)", lambda x: x.astype(ag.float32), lambda x: x, (2, 3),
              lambda x: x.to(th().float32),
              out_dtype=np.float32, eps=1e-2),
    rearrange("float()", lambda x: x.float(), lambda x: x, (2, 3), out_dtype=np.float32, eps=1e-2),
    rearrange("double()", lambda x: x.double(), lambda x: x, (2, 3), out_dtype=np.float64),
    rearrange("double() 0d", lambda x: x.double(), lambda x: x, (), out_dtype=np.float64),
    rearrange("to(float64)", lambda x: x.to(np.float64), lambda x: x, (5,), lambda x: x.double(),
              out_dtype=np.float64),
    rearrange("float().double()*3", lambda x: x.float().double() * 3,
              lambda x: 3 * x.astype(np.float32).astype(np.float64), (4,),
              out_dtype=np.float64, eps=1e-2),
]

JOIN = [
    OpSpec("cat(dim=0)", lambda *ts: ag.cat(ts, 0), lambda *xs: np.concatenate(xs, 0),
           lambda *ts: th().cat(ts, 0), (((2, 3), (1, 3), (4, 3)), ((3,), (2,)))),
    OpSpec("cat(dim=-1)", lambda *ts: ag.cat(list(ts), dim=-1), lambda *xs: np.concatenate(xs, -1),
           lambda *ts: th().cat(ts, -1), (((2, 1), (2, 3)), ((2, 3, 1), (2, 3, 2)))),
    *[
        OpSpec(f"stack(dim={d})", lambda *ts, d=d: ag.stack(ts, d), lambda *xs, d=d: np.stack(xs, d),
               lambda *ts, d=d: th().stack(ts, d), (((2, 3),) * 3, ((4,), (4,))))
        for d in (0, 1, -1)
    ],
    OpSpec("stack 0d", lambda *ts: ag.stack(ts), lambda *xs: np.stack(xs), lambda *ts: th().stack(ts),
           (((), (), ()),)),
    rearrange("split(2,dim=1)", lambda x: x.split(2, dim=1), lambda x: np_pieces(x, [2, 2, 1], 1), (3, 5)),
    rearrange("split([1,3,1],1)", lambda x: x.split([1, 3, 1], 1), lambda x: np_pieces(x, [1, 3, 1], 1),
              (3, 5)),
    rearrange("split(4)", lambda x: x.split(4), lambda x: np_pieces(x, [4, 2], 0), (6,)),
    rearrange("ag.split(x,[2,1],-1)", lambda x: ag.split(x, [2, 1], -1), lambda x: np_pieces(x, [2, 1], 1),
              (2, 3),
              lambda x: x.split([2, 1], -1)),
    rearrange("chunk(3,dim=1)", lambda x: x.chunk(3, dim=1), lambda x: np_pieces(x, [2, 2, 1], 1), (2, 5)),
    rearrange("chunk(4) of 6", lambda x: x.chunk(4), lambda x: np_pieces(x, [2, 2, 2], 0), (6,)),
    rearrange("ag.chunk(x,2,-1)", lambda x: ag.chunk(x, 2, -1), lambda x: np_pieces(x, [2, 1], 1), (2, 3),
              lambda x: x.chunk(2, -1)),
    rearrange("pad((1,2))", lambda x: ag.pad(x, (1, 2)), lambda x: np.pad(x, ((0, 0), (1, 2))), (2, 3),
              lambda x: F().pad(x, (1, 2))),
    rearrange("pad((1,0,0,2),value=1.5)", lambda x: ag.pad(x, (1, 0, 0, 2), value=1.5),
              lambda x: np.pad(x, ((0, 0), (0, 2), (1, 0)), constant_values=1.5), (2, 3, 4),
              lambda x: F().pad(x, (1, 0, 0, 2), value=1.5)),
    rearrange("pad((0,1,1,1,2,0))", lambda x: ag.pad(x, (0, 1, 1, 1, 2, 0)),
              lambda x: np.pad(x, ((2, 0), (1, 1), (0, 1))), (1, 2, 3),
              lambda x: F().pad(x, (0, 1, 1, 1, 2, 0))),
]


# -- indexing --------------------------------------------------------------------------------------
MASK_34 = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
REPEATS = np.array([[1, 1], [0, 2]])


def _convert_key(key, convert):
    """The key with every ndarray in it passed through `convert` (to an ag or torch Tensor)."""
    if isinstance(key, tuple):
        return tuple(_convert_key(k, convert) for k in key)
    return convert(key) if isinstance(key, np.ndarray) else key


def index(label, shape, key, as_tensor=False, torch_ok=True) -> OpSpec:
    """x[key]; with as_tensor the arrays in the key are given as Tensors (ag.tensor / torch.tensor)."""
    ag_key = _convert_key(key, ag.tensor) if as_tensor else key
    torch_fn = (lambda x: x[_convert_key(key, th().tensor)]) if torch_ok else None
    return OpSpec(f"x[{label}]", lambda x: x[ag_key], lambda x: x[key], torch_fn, one(shape))


INDEXING = [
    index("1", (3, 4), 1),
    index("-1", (3, 4), -1),
    index("1,-2", (2, 3, 4), (1, -2)),
    index("0 of 1-d", (5,), 0),
    index("::2", (5, 2), slice(None, None, 2)),
    index("1:,::3", (3, 4), (slice(1, None), slice(None, None, 3))),
    index("::-2 (numpy only)", (5,), slice(None, None, -2), torch_ok=False),
    index("None,:,None", (3, 4), (None, slice(None), None)),
    index("...,1", (2, 3, 4), (Ellipsis, 1)),
    index("0,...,None", (2, 3, 4), (0, Ellipsis, None)),
    index("... 0d", (), Ellipsis),
    index("None 0d", (), None),
    index("mask", (3, 4), MASK_34),
    index("mask Tensor", (3, 4), MASK_34, as_tensor=True),
    index("row mask", (3, 4), np.array([True, False, True])),
    index("[0,0,2]", (3, 4), [0, 0, 2]),
    index("[[1,1],[0,2]]", (3, 2), REPEATS),
    index("Tensor[2,0,2]", (3, 4), np.array([2, 0, 2]), as_tensor=True),
    index("Tensor(1) 0-d", (3, 4), np.array(1), as_tensor=True),
    index(":,[1,1,3]", (3, 4), (slice(None), [1, 1, 3])),
    index("[0,0,1],1:3", (3, 4), ([0, 0, 1], slice(1, 3))),
    index("1:,[0,0]", (3, 4), (slice(1, None), np.array([0, 0]))),
    index("[0,1,1],:,[3,3,0]", (2, 3, 4), ([0, 1, 1], slice(None), [3, 3, 0])),
    index("...,[0,0]", (2, 3, 4), (Ellipsis, [0, 0])),
    index("None,[0,0]", (3, 4), (None, [0, 0])),
    index("row mask,[[1],[1]]", (3, 4), (np.array([True, False, True]), np.array([[1], [1]]))),
]
SELECT_GATHER = [
    OpSpec(f"index_select({dim},{idx})", lambda x, dim=dim, idx=idx: x.index_select(dim, ag.tensor(idx)),
           lambda x, dim=dim, idx=idx: np.take(x, idx, axis=dim),
           lambda x, dim=dim, idx=idx: x.index_select(dim, th().tensor(idx)), one(shape))
    for dim, idx, shape in ((0, [0, 2, 2, 3, 0], (4, 3)), (1, [2, 2], (4, 3)), (-1, [1, 0, 1], (2, 2, 2)))
] + [
    OpSpec("ag.index_select(x,0,list)", lambda x: ag.index_select(x, 0, [1, 1]), lambda x: x[[1, 1]],
           lambda x: x.index_select(0, th().tensor([1, 1])), one((3, 2))),
] + [
    OpSpec(f"gather({dim},{idx.tolist()})", lambda x, dim=dim, idx=idx: x.gather(dim, ag.tensor(idx)),
           lambda x, dim=dim, idx=idx: np_gather(x, dim, idx),
           lambda x, dim=dim, idx=idx: x.gather(dim, th().tensor(idx)), one(shape))
    for dim, idx, shape in (
        (1, np.array([[0, 0, 3], [1, 1, 1], [2, 0, 2]]), (3, 4)),
        (0, np.array([[2, 2, 0, 1], [0, 0, 0, 0]]), (3, 4)),
        (-1, np.array([[[1, 1]], [[0, 1]]]), (2, 1, 2)),
        # torch allows an index smaller than the input in the other dims
        (1, np.array([[0, 2]]), (3, 4)),
        (0, np.array([[1, 1], [2, 0]]), (3, 4)),
    )
]

OPS = ARITHMETIC + MATH + REDUCTIONS + SOFTMAX + SHAPE + JOIN + INDEXING + SELECT_GATHER
