"""One check shared by the op-family tables (test_ops_<family>.py): run a call written
once against the module (`m` is autograd_core or torch) on the same arrays, then compare
values, dtypes and shapes with PyTorch, gradients for a random upstream with PyTorch's,
and gradcheck every float64 input in float64.

    >>> check(lambda m, x: m.cumsum(x, 0), np.arange(3.0))   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag

# The families' public functions before the lead lists them in autograd_core/__init__.py:
# `m.einsum` in a call resolves here first, then in autograd_core.
FAMILIES = [
    "products",
    "decomp",
    "scatter",
    "pointwise",
    "logical",
    "scan",
    "ordering",
    "reduce_more",
    "shape_more",
    "decomp_more",
    "stats",
]


class _Ours:
    def __init__(self):
        import importlib

        self._modules = []
        for name in FAMILIES:
            try:
                self._modules.append(importlib.import_module(f"autograd_core.ops.{name}"))
            except ModuleNotFoundError:
                pass
        import autograd_core.creation as creation

        self._modules += [creation, ag]

    def __getattr__(self, name):
        if name == "linalg":
            import autograd_core.linalg as linalg

            return linalg
        for m in self._modules:
            if hasattr(m, name) and not name.startswith("_"):
                return getattr(m, name)
        raise AttributeError(f"autograd_core has no {name!r}")


OURS = _Ours()


def _outputs(out) -> list:
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _outputs(x)]
    return [out]


def _np_dtype(t):
    return np.dtype(str(t.dtype).replace("torch.", "").replace("bool", "bool_"))


def _is_tensor(x) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.ndarray)


def check(
    call,
    *arrays,
    grad: bool = True,
    rtol: float = 1e-7,
    atol: float = 1e-9,
    gradcheck: bool = True,
    const: tuple = (),
    eps: float = 1e-6,
    torch_grad: bool = True,
    gradgradcheck: bool = True,
):
    """Compare call(OURS, *tensors) with call(torch, *tensors); float64 inputs not in
    `const` require grad (when `grad`)."""
    arrays = [np.asarray(a) for a in arrays]
    needs = [grad and a.dtype == np.float64 and i not in const for i, a in enumerate(arrays)]

    def ours_inputs():
        return [ag.tensor(a.copy(), requires_grad=n) for a, n in zip(arrays, needs)]

    ours_in = ours_inputs()
    ours = _outputs(call(OURS, *ours_in))
    if gradcheck and any(needs) and all(a.size for a in arrays):  # gradcheck needs elements

        def fn(*xs):
            return tuple(o for o in _outputs(call(OURS, *xs)) if _is_tensor(o) and o.dtype.kind == "f")

        if fn(*ours_inputs()) and any(o.requires_grad for o in fn(*ours_inputs())):
            assert ag.gradcheck(fn, ours_inputs(), eps=eps)
            if gradgradcheck:  # the second-order column: the backward is differentiable too
                assert ag.autograd.gradgradcheck(fn, ours_inputs(), eps=eps)

    torch = pytest.importorskip("torch")
    theirs_in = [torch.tensor(a.copy(), requires_grad=n) for a, n in zip(arrays, needs)]
    theirs = _outputs(call(torch, *theirs_in))
    assert len(ours) == len(theirs)
    rng = np.random.default_rng(0)
    pairs = []
    for o, t in zip(ours, theirs):
        if not _is_tensor(t):  # plain Python results (bool, int, shapes)
            assert o == t, (o, t)
            continue
        assert isinstance(o, ag.Tensor), type(o)
        ref = t.detach().numpy()
        assert o.shape == ref.shape, (o.shape, ref.shape)
        assert o.dtype == _np_dtype(t), (o.dtype, t.dtype)
        np.testing.assert_allclose(o.detach()._data, ref, rtol=rtol, atol=atol, equal_nan=True)
        if o.requires_grad and t.requires_grad:
            pairs.append((o, t, rng.standard_normal(ref.shape)))
    if not pairs or not torch_grad:
        return
    for o, _, g in pairs:
        o.backward(ag.tensor(g.astype(o.dtype)), retain_graph=True)
    torch.autograd.backward(
        [t for _, t, _ in pairs], [torch.tensor(g.astype(_np_dtype(t))) for _, t, g in pairs]
    )
    for i, (mine, ref) in enumerate(zip(ours_in, theirs_in)):
        if not needs[i]:
            continue
        expected = np.zeros(ref.shape) if ref.grad is None else _grad_array(ref.grad)
        got = np.zeros(mine.shape) if mine.grad is None else mine.grad._data
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8, err_msg=f"gradient of input {i}")


def _grad_array(grad):
    try:
        return grad.numpy()
    except RuntimeError:  # PyTorch's ZeroTensor (a gradient known to be zero)
        return np.zeros(tuple(grad.shape))


def params(rows) -> list:
    """pytest params from rows (name, call, *arrays[, options dict])."""
    out = []
    for row in rows:
        name, call, *arrays = row
        opts = arrays.pop() if arrays and isinstance(arrays[-1], dict) else {}
        out.append(pytest.param(call, arrays, opts, id=name))
    return out


def raises_like_torch(call, *arrays):
    """Both libraries reject the call (any exception type of theirs; ours must be a
    TypeError, ValueError, IndexError or RuntimeError)."""
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception):  # noqa: B017 - PyTorch's error types vary by op
        call(torch, *[torch.tensor(a) for a in arrays])
    with pytest.raises((TypeError, ValueError, IndexError, RuntimeError)):
        call(OURS, *[ag.tensor(a) for a in arrays])


def rand(*shape, seed=0, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed + 7 * len(shape) + sum(shape)).uniform(lo, hi, shape)
