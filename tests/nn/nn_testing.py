"""Helpers shared by the nn tests: float64 gradchecks of a module, and PyTorch parity.

`torch_parity(ours, theirs, *inputs)` copies the torch module's weights into ours via
`state_dict` -> our `load_state_dict` (numpy arrays), runs both on the same float64
inputs, back-propagates the same random cotangent, and compares outputs, input gradients
and every parameter gradient by name.
"""

from __future__ import annotations

import numpy as np

import autograd_core as ag


def flat_outputs(out) -> list:
    """Tensors of a possibly nested tuple (LSTM returns (out, (h, c)))."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flat_outputs(o)]
    return [out]


def gradcheck_module(module, *inputs, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """gradcheck in float64 with respect to every float input AND every parameter.

    `inputs` are arrays or tuples of arrays (an LSTM's (h_0, c_0)). gradcheck perturbs
    its inputs' arrays in place; passing the parameters as extra inputs (which the
    function ignores) perturbs the module's own weights."""
    module.double()

    def convert(x):
        if isinstance(x, tuple):
            return tuple(convert(v) for v in x)
        arr = np.asarray(x)
        if arr.dtype.kind != "f":
            return ag.tensor(arr)
        return ag.tensor(arr.astype(np.float64), requires_grad=True)

    structured = [convert(x) for x in inputs]
    leaves = flat_outputs(tuple(structured))
    params = tuple(module.parameters())

    def rebuild(values, it):
        if isinstance(values, tuple):
            return tuple(rebuild(v, it) for v in values)
        return next(it)

    def fn(*args):
        it = iter(args[:len(leaves)])
        return tuple(flat_outputs(module(*(rebuild(x, it) for x in structured))))

    return ag.gradcheck(fn, tuple(leaves) + params, atol=atol, rtol=rtol)


def load_from_torch(ours, theirs) -> None:
    """Copy torch weights into our module (as numpy arrays), in float64."""
    ours.double()
    theirs.double()
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []


def _cotangents(outs, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(o.shape) for o in outs]


def torch_parity(ours, theirs, *inputs, atol: float = 1e-10, rtol: float = 1e-8, load: bool = True,
                 grad_inputs: bool = True, call=None):
    """Same outputs, input gradients and parameter gradients as the torch module.

    `inputs` are numpy arrays (float ones get gradients) or tuples of them (LSTM states).
    Returns our outputs."""
    import torch

    if load:
        load_from_torch(ours, theirs)

    def convert(x, lib):
        if isinstance(x, tuple):
            return tuple(convert(v, lib) for v in x)
        arr = np.asarray(x)
        floating = arr.dtype.kind == "f"
        if lib == "torch":
            t = torch.tensor(arr.astype(np.float64) if floating else arr)
            return t.requires_grad_(grad_inputs) if floating else t
        t = ag.tensor(arr.astype(np.float64) if floating else arr)
        return t.requires_grad_(grad_inputs) if floating else t

    t_in = [convert(x, "torch") for x in inputs]
    o_in = [convert(x, "ours") for x in inputs]
    t_out = flat_outputs((call or (lambda m, *a: m(*a)))(theirs, *t_in))
    o_out = flat_outputs((call or (lambda m, *a: m(*a)))(ours, *o_in))
    assert len(t_out) == len(o_out)
    for t, o in zip(t_out, o_out):
        assert tuple(t.shape) == o.shape, (tuple(t.shape), o.shape)
        np.testing.assert_allclose(o._data, t.detach().numpy(), atol=atol, rtol=rtol)
    vs = _cotangents(o_out)
    t_live = [(t, v) for t, v in zip(t_out, vs) if t.requires_grad]
    if not t_live:
        return o_out
    sum((t * torch.tensor(v)).sum() for t, v in t_live).backward()
    sum((o * ag.tensor(v)).sum() for o, v in zip(o_out, vs) if o.requires_grad).backward()
    for t, o in zip(flat_outputs(tuple(t_in)), flat_outputs(tuple(o_in))):
        if isinstance(o, ag.Tensor) and o.requires_grad:
            expected = t.grad.numpy() if t.grad is not None else np.zeros(o.shape)
            got = o.grad._data if o.grad is not None else np.zeros(o.shape)
            np.testing.assert_allclose(got, expected, atol=atol, rtol=rtol)
    ours_params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        expected = p.grad.numpy() if p.grad is not None else np.zeros(tuple(p.shape))
        mine = ours_params[name].grad
        got = mine._data if mine is not None else np.zeros(ours_params[name].shape)
        np.testing.assert_allclose(got, expected, atol=atol, rtol=rtol, err_msg=f"gradient of {name}")
    return o_out


def same_state_dict_layout(ours, theirs) -> None:
    """Same keys, in the same order, with the same shapes."""
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    for key, value in theirs_sd.items():
        assert ours_sd[key].shape == tuple(value.shape), key
