"""`autograd_core.func` is PyTorch's `torch.func`: derivatives as function transforms.

`grad(f)` is a function returning f's gradient; transforms compose (`hessian` is
`jacfwd(jacrev(f))`, `vmap(grad(loss))` gives per-example gradients), and
`functional_call` runs a module with parameters given in a dict. Arguments and results
may be Tensors or nested tuples, lists and dicts of them.

    >>> import autograd_core as ag
    >>> from autograd_core.func import grad
    >>> grad(grad(lambda x: (x ** 3).sum()))(ag.tensor(2.0))
    tensor(12.)

Everything runs in reverse mode on the engine's recorded backward (`create_graph`):
`jvp` and `jacfwd` give forward-mode results through the double-vjp trick, and `vmap`
runs the function once on batched values where every op it uses has a batching rule
(`_vmap/`), and example by example otherwise (the results are the same).
"""

from __future__ import annotations

import contextlib

import numpy as np

from . import _vmap
from .grad_mode import enable_grad


def _grad(outputs, inputs, grad_outputs=None, **kwargs):
    """engine.grad, or its batched form when vmap's batched run gives batched values."""
    if _vmap.ACTIVE[0]:
        from ._vmap.grads import engine_grad

        return engine_grad(outputs, inputs, grad_outputs, **kwargs)
    from .engine import grad

    return grad(outputs, inputs, grad_outputs, **kwargs)


def _tensor():
    from .tensor import Tensor

    return Tensor


# -- nested containers ("pytrees") ---------------------------------------------------------
def tree_flatten(tree) -> tuple[list, object]:
    """The Tensors (and other leaves) of nested tuples/lists/dicts, and how to rebuild it."""
    if isinstance(tree, (tuple, list)):
        leaves, specs = [], []
        for item in tree:
            sub, spec = tree_flatten(item)
            leaves += sub
            specs.append((len(sub), spec))
        return leaves, (type(tree), specs)
    if isinstance(tree, dict):
        leaves, specs = [], []
        for key, item in tree.items():
            sub, spec = tree_flatten(item)
            leaves += sub
            specs.append((key, len(sub), spec))
        return leaves, (dict, specs)
    return [tree], None


def tree_unflatten(leaves: list, spec):
    if spec is None:
        return leaves[0]
    kind, specs = spec
    if kind is dict:
        out, k = {}, 0
        for key, n, sub in specs:
            out[key] = tree_unflatten(leaves[k:k + n], sub)
            k += n
        return out
    items, k = [], 0
    for n, sub in specs:
        items.append(tree_unflatten(leaves[k:k + n], sub))
        k += n
    if kind is tuple or kind is list:
        return kind(items)
    return kind(*items)  # namedtuples


def _differentiable_copy(x, nested: bool):
    """A stand-in for input x to differentiate against: connected to an enclosing
    transform's graph when there is one, a fresh leaf otherwise."""
    Tensor = _tensor()
    if _vmap.ACTIVE[0]:  # inside vmap's batched run: one gradient per example
        from ._vmap.grads import stand_in

        s = stand_in(x, nested)
        if s is not None:
            return s
    if not isinstance(x, Tensor):
        raise TypeError(f"func transforms differentiate Tensors, got {type(x).__name__}")
    if nested and x.requires_grad:
        from .ops.elementwise import clone

        return clone(x)
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"func.grad: only floating point inputs can be differentiated, got {x.dtype}")
    return x.detach().requires_grad_(True)


def _argnums(argnums, n):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not -n <= a < n:
            raise RuntimeError(f"Got argnums={argnums} but only {n} positional inputs")
    return nums


def _vjp_setup(func, args, argnums, has_aux, kwargs):
    """Run func on differentiable stand-ins of args[argnums]; return what grad/vjp need."""
    nums = _argnums(argnums, len(args))
    args = list(args)
    flat_by_num, specs = [], []
    nested = False
    for a in nums:
        leaves, spec = tree_flatten(args[a])
        nested = nested or any(getattr(x, "requires_grad", False) for x in leaves)
        flat_by_num.append(leaves)
        specs.append(spec)
    stand_ins = []
    for a, leaves, spec in zip(nums, flat_by_num, specs):
        copies = [_differentiable_copy(x, nested) for x in leaves]
        stand_ins.append(copies)
        args[a] = tree_unflatten(copies, spec)
    out = func(*args, **kwargs)
    aux = None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise RuntimeError("has_aux=True: the function must return a (output, aux) tuple")
        out, aux = out
    return out, aux, stand_ins, specs, nums, nested


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """A function returning (gradient of func at argnums, func's value)."""

    def wrapper(*args, **kwargs):
        Tensor = _tensor()
        with enable_grad():
            out, aux, stand_ins, specs, nums, nested = _vjp_setup(func, args, argnums, has_aux, kwargs)
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError(
                    "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                    f"{getattr(out, 'shape', type(out).__name__)}"
                )
            flat = [x for xs in stand_ins for x in xs]
            if out.requires_grad:
                gs = _grad(out, flat, create_graph=nested, allow_unused=True, materialize_grads=True)
            else:
                gs = tuple(Tensor._make(np.zeros(x.shape, dtype=x.dtype), None) for x in flat)
        if not nested:
            gs = tuple(g.detach() for g in gs)
            out = out.detach()
        grads, k = [], 0
        for xs, spec in zip(stand_ins, specs):
            grads.append(tree_unflatten(list(gs[k:k + len(xs)]), spec))
            k += len(xs)
        result = grads[0] if isinstance(argnums, int) else tuple(grads)
        return (result, (out, aux)) if has_aux else (result, out)

    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """The gradient of a scalar function, as a function of the same arguments.

        >>> import autograd_core as ag
        >>> grad(lambda x, y: (x * y).sum(), argnums=1)(ag.tensor([2.0]), ag.tensor([3.0]))
        tensor([2.])
    """
    both = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = both(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn[, aux]): vjp_fn(cotangents) gives one gradient per primal."""
    Tensor = _tensor()
    with enable_grad():
        out, aux, stand_ins, specs, nums, nested = _vjp_setup(
            func, primals, tuple(range(len(primals))), has_aux, {})
    flat_out, out_spec = tree_flatten(out)
    flat_in = [x for xs in stand_ins for x in xs]

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        cts, _ = tree_flatten(cotangents)
        if len(cts) != len(flat_out):
            raise RuntimeError(f"vjp_fn: expected {len(flat_out)} cotangents, got {len(cts)}")
        live = [(o, c) for o, c in zip(flat_out, cts) if o.requires_grad]
        make_graph = nested if create_graph is None else create_graph
        with enable_grad():
            if live:
                gs = _grad([o for o, _ in live], flat_in, [c for _, c in live], retain_graph=True,
                           create_graph=make_graph, allow_unused=True, materialize_grads=True)
            else:
                gs = tuple(Tensor._make(np.zeros(x.shape, dtype=x.dtype), None) for x in flat_in)
        if not make_graph:
            gs = tuple(g.detach() for g in gs)
        result, k = [], 0
        for xs, spec in zip(stand_ins, specs):
            result.append(tree_unflatten(list(gs[k:k + len(xs)]), spec))
            k += len(xs)
        return tuple(result)

    shown = out if nested else tree_unflatten([o.detach() for o in flat_out], out_spec)
    return (shown, vjp_fn, aux) if has_aux else (shown, vjp_fn)


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """(func(*primals), J·tangents), by differentiating a vjp against its cotangent."""
    Tensor = _tensor()
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise RuntimeError("jvp: expected primals and tangents to have the same length")
    with enable_grad():
        out, aux, stand_ins, specs, nums, nested = _vjp_setup(
            func, primals, tuple(range(len(primals))), has_aux, {})
        flat_out, out_spec = tree_flatten(out)
        flat_in = [x for xs in stand_ins for x in xs]
        flat_tan = [t for tan in tangents for t in tree_flatten(tan)[0]]
        # The cotangents to differentiate against (per example inside a batched vmap).
        us = [_differentiable_copy(Tensor._make(np.zeros(o.shape, dtype=o.dtype), None), False) for o in flat_out]
        live = [(o, u) for o, u in zip(flat_out, us) if o.requires_grad]
        if live:
            gs = _grad([o for o, _ in live], flat_in, [u for _, u in live], create_graph=True,
                       allow_unused=True)
            terms = [(g * t).sum() for g, t in zip(gs, flat_tan) if g is not None and g.requires_grad]
        else:
            terms = []
        if terms:
            total = terms[0]
            for t in terms[1:]:
                total = total + t
            jv = _grad(total, us, create_graph=nested, allow_unused=True, materialize_grads=True)
        else:
            jv = tuple(Tensor._make(np.zeros(o.shape, dtype=o.dtype), None) for o in flat_out)
    if not nested:
        jv = tuple(j.detach() for j in jv)
        flat_out = [o.detach() for o in flat_out]
    result = (tree_unflatten(flat_out, out_spec), tree_unflatten(list(jv), out_spec))
    return result + (aux,) if has_aux else result


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian of func with respect to argnums, one vector-Jacobian product per
    output element: shape output.shape + input.shape."""
    from .ops.shape import stack

    def wrapper(*args, **kwargs):
        Tensor = _tensor()
        with enable_grad():
            out, aux, stand_ins, specs, nums, nested = _vjp_setup(func, args, argnums, has_aux, kwargs)
            flat_out, out_spec = tree_flatten(out)
            flat_in = [x for xs in stand_ins for x in xs]
            per_output = []
            for o in flat_out:
                rows = []
                flat = o.reshape(-1)
                for k in range(flat.shape[0]):
                    if o.requires_grad:
                        gs = _grad(flat[k], flat_in, retain_graph=True, create_graph=nested,
                                   allow_unused=True, materialize_grads=True)
                    else:
                        gs = tuple(Tensor._make(np.zeros(x.shape, dtype=x.dtype), None) for x in flat_in)
                    rows.append(gs)
                blocks = []
                for j, x in enumerate(flat_in):
                    if rows:
                        block = stack([r[j] for r in rows], 0).reshape(tuple(o.shape) + tuple(x.shape))
                    else:
                        block = Tensor._make(np.zeros(tuple(o.shape) + tuple(x.shape), dtype=x.dtype), None)
                    blocks.append(block if nested else block.detach())
                grouped, k = [], 0
                for xs, spec in zip(stand_ins, specs):
                    grouped.append(tree_unflatten(blocks[k:k + len(xs)], spec))
                    k += len(xs)
                per_output.append(grouped[0] if isinstance(argnums, int) else tuple(grouped))
        result = tree_unflatten(per_output, out_spec)
        return (result, aux) if has_aux else result

    return wrapper


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The Jacobian of func (PyTorch computes it in forward mode; here it is computed in
    reverse mode, which gives the same values)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """The Hessian of a scalar function: jacfwd(jacrev(func))."""
    return jacfwd(jacrev(func, argnums), argnums)


@contextlib.contextmanager
def _swapped(module, tensors: dict, strict: bool):
    """Temporarily give `module` the parameters and buffers named in `tensors`."""
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(dict(module.named_buffers(remove_duplicate=False)) if hasattr(module, "named_buffers")
                 else {n: b for n, b in _named_buffers(module)})
    unknown = [k for k in tensors if k not in named]
    if unknown:
        raise RuntimeError(f"functional_call: unexpected keys {unknown} for {type(module).__name__}")
    if strict:
        missing = [k for k in named if k not in tensors]
        if missing:
            raise RuntimeError(f"functional_call: missing keys {missing} (strict=True)")
    saved = []
    try:
        for name, value in tensors.items():
            owner = module.get_submodule(name.rpartition(".")[0]) if "." in name else module
            leaf = name.rpartition(".")[2]
            store = "_parameters" if leaf in owner.__dict__["_parameters"] else "_buffers"
            saved.append((owner.__dict__[store], leaf, owner.__dict__[store][leaf]))
            owner.__dict__[store][leaf] = value
        yield
    finally:
        for store, leaf, old in reversed(saved):
            store[leaf] = old


def _named_buffers(module, prefix=""):
    for name, b in module.__dict__["_buffers"].items():
        if b is not None:
            yield (f"{prefix}{name}", b)
    for name, child in module.__dict__["_modules"].items():
        if child is not None:
            yield from _named_buffers(child, f"{prefix}{name}.")


def functional_call(module, parameter_and_buffer_dicts, args=(), kwargs=None, *, tie_weights: bool = True,
                    strict: bool = False):
    """Call `module` with the parameters and buffers in the given dict(s) in place of its own.

        >>> import autograd_core as ag, nn
        >>> lin = nn.Linear(2, 1)
        >>> params = {k: ag.zeros_like(v) for k, v in lin.named_parameters()}
        >>> functional_call(lin, params, (ag.ones(1, 2),))
        tensor([[0.]])
    """
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        merged = dict(dicts)
    else:
        merged = {}
        for d in dicts:
            clash = set(merged) & set(d)
            if clash:
                raise ValueError(f"functional_call: {sorted(clash)} appear in more than one dict")
            merged.update(d)
    args = args if isinstance(args, tuple) else (args,)
    with _swapped(module, merged, strict):
        return module(*args, **(kwargs or {}))


def _select(x, dim: int, index: int):
    from .ops.index import getitem

    dim = dim % x.ndim
    return getitem(x, (slice(None),) * dim + (index,))


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """Map func over a batch dim of its inputs (`in_dims`: one int or None per argument,
    or nested like the argument) and stack the results along `out_dims`.

    func runs once, on values that carry the whole batch (`_vmap/`: batching rules for the
    common ops, and `grad`/`vjp`/`jacrev` inside give one gradient per example); where some
    step has no rule, the call runs example by example instead, with the same results.
    `chunk_size` runs that many examples at a time. Random draws give each example its own
    numbers (randomness="error" or "different"; PyTorch raises for "error") or, with
    randomness="same", the same numbers for every example.

        >>> import autograd_core as ag
        >>> vmap(lambda row: row.sum())(ag.ones(3, 2))
        tensor([2., 2., 2.])
    """
    from .ops.shape import stack

    same = randomness == "same"

    def wrapper(*args, **kwargs):
        if randomness not in ("error", "different", "same"):
            raise RuntimeError(f"vmap: only allowed values for randomness are 'error', 'different', or "
                               f"'same', got {randomness!r}")
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap: in_dims has {len(dims)} entries for {len(args)} arguments")
        flat_args, specs, flat_dims = [], [], []
        for a, d in zip(args, dims):
            leaves, spec = tree_flatten(a)
            if isinstance(d, (tuple, list, dict)):
                dleaves, _ = tree_flatten(d)
            else:
                dleaves = [d] * len(leaves)
            flat_args.append(leaves)
            specs.append(spec)
            flat_dims.append(dleaves)
        sizes = {x.shape[d] for leaves, ds in zip(flat_args, flat_dims)
                 for x, d in zip(leaves, ds) if d is not None}
        if not sizes:
            raise ValueError("vmap: at least one input must be mapped over (in_dims all None)")
        if len(sizes) > 1:
            raise ValueError(f"vmap: mapped inputs have different batch sizes {sorted(sizes)}")
        (n,) = sizes
        # One run on batched values (or one per chunk); a step without a batching rule (or an
        # error, which the loop then reports as it would) sends the whole call to the loop below.
        from ._vmap import batched, execute

        try:
            if chunk_size is None or chunk_size >= n:
                out = execute.run(func, flat_args, flat_dims, specs, n, out_dims, kwargs, same)
            else:
                out = execute.run_chunked(func, flat_args, flat_dims, specs, n, out_dims, kwargs, chunk_size, same)
            batched.stats["batched"] += 1
            return out
        except (Exception, batched.NoBatchRule) as exc:
            batched.stats["fallback"] += 1
            batched.stats["last_reason"] = f"{type(exc).__name__}: {exc}"
        from . import random as _random

        state = _random.get_rng_state() if same else None
        results = []
        for i in range(n):
            if same:  # every example draws the same numbers
                _random.set_rng_state(state)
            call_args = []
            for leaves, ds, spec in zip(flat_args, flat_dims, specs):
                picked = [x if d is None else _select(x, d, i) for x, d in zip(leaves, ds)]
                call_args.append(tree_unflatten(picked, spec))
            results.append(func(*call_args, **kwargs))
        flat_results = [tree_flatten(r)[0] for r in results]
        out_spec = tree_flatten(results[0])[1]
        odims = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(flat_results[0])
        stacked = [stack([r[j] for r in flat_results], odims[j]) for j in range(len(flat_results[0]))]
        return tree_unflatten(stacked, out_spec)

    return wrapper


__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "vjp", "vmap"]
