"""Version counters and views: the one place that knows when a storage changed.

Every storage carries a counter (`t._version`), bumped by each in-place change; views
share their base's counter. A backward node remembers the *clock* when it was recorded
(`node.stamp`). A counter is `[version, clock at the last bump]`, and the clock is global
and only grows, so "this saved tensor was modified after the node saved it" is simply
`counter[1] > node.stamp`. When nothing anywhere was modified in place since a node was
recorded (`clock[0] == node.stamp`), backward skips the check entirely: one integer
comparison per node on the common path.

    >>> import autograd_core as ag
    >>> x = ag.ones(3, requires_grad=True)
    >>> y = x * 1.0
    >>> z = y * y
    >>> with ag.no_grad():
    ...     _ = y.add_(1)
    >>> y._version
    1
    >>> z.sum().backward()   # doctest: +SKIP
    RuntimeError: one of the variables needed for gradient computation has been modified ...
"""

from __future__ import annotations

import numpy as np

# The global clock of in-place changes (a list so that readers see updates in place).
clock = [0]


def counter(t) -> list:
    """`t`'s version counter, created on first use (most tensors never need one)."""
    vc = t._vc
    if vc is None:
        vc = t._vc = [0, 0, t.grad_fn]  # version, clock at last bump, the storage's producer
    return vc


def bump(t) -> None:
    """Record an in-place change of `t`'s storage."""
    vc = t._vc
    if vc is None:
        vc = t._vc = [0, 0, t.grad_fn]
    clock[0] += 1
    vc[0] += 1
    vc[1] = clock[0]


def share_counter(src, dst) -> None:
    """`dst` shares `src`'s storage (detach, views): they share one counter."""
    dst._vc = counter(src)


def mark_view(out, args, op, kwargs) -> None:
    """After a view op: when `out` shares memory with its input, remember its base and the
    chain of view ops from that base (to replay on the base, as PyTorch's CopySlices),
    and share the base's version counter."""
    base = args[0]
    if not np.may_share_memory(out._data, base._data):
        return
    if base._view is not None:
        root, chain = base._view
    else:
        root, chain = base, ()
    out._view = (root, chain + ((op, args[1:], kwargs),))
    out._vc = counter(root)


def replay_view(chain, x):
    """Apply a view chain to `x` (a Tensor, recorded, or an ndarray, raw)."""
    from .tensor import Tensor

    if isinstance(x, Tensor):
        for op, extra, kwargs in chain:
            x = op.apply(x, *extra, **kwargs)
        return x
    for op, extra, kwargs in chain:
        x = op.forward(op(), x, *(e._data if isinstance(e, Tensor) else e for e in extra), **kwargs)
    return x


def check_saved(node) -> None:
    """Raise if an input that `node` saved was modified in place after it was saved."""
    from .tensor import Tensor

    saved = node.saved
    if not saved or not isinstance(saved, tuple):
        return
    stamp = node.stamp
    for a in node.args:
        if not isinstance(a, Tensor) or a._vc is None or a._vc[1] <= stamp:
            continue
        if any(s is a._data for s in saved):
            vc = a._vc
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{a.dtype} {list(a.shape)}] is at version {vc[0]}, which was "
                f"modified after {node.name} saved it; an in-place edit of a tensor that backward "
                "needs (optimizer step, x += ..., x[...] = ...) must come after backward(), or "
                "work on a .clone(). Hint: ag.autograd.set_detect_anomaly(True) shows the "
                "forward operation."
            )
    if getattr(node, "stale_output", False):
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: the output of {node.name}, which its backward needs, was "
            "changed in place after it was computed. Use an out-of-place operation or .clone()."
        )


def note_inplace(t) -> None:
    """Before `t`'s storage changes: nodes that saved it as their *output* can no longer
    run (inputs are checked through the version counter instead). The nodes to ask are
    the tensor's, its base's, and the storage's producer (reached through aliases such
    as `.detach()`, which share the counter)."""
    nodes = {t.grad_fn}
    if t._view is not None:
        nodes.add(t._view[0].grad_fn)
    if t._vc is not None:
        nodes.add(t._vc[2])
    for node in nodes:
        saved = None if node is None else node.saved
        if not isinstance(saved, tuple):
            continue
        for s in saved:
            if type(s) is np.ndarray and id(s) == node.out_id and np.may_share_memory(s, t._data):
                node.stale_output = True
