"""Tensor.register_post_accumulate_grad_hook and engine.queue_callback (used by DDP)."""

import gc

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import engine


def test_hook_sees_the_accumulated_grad_once_per_backward():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad._data.copy()))
    (x * 2 + x * 3).sum().backward()  # two paths, one accumulation
    (x * x).sum().backward()
    assert len(seen) == 2
    np.testing.assert_allclose(seen[0], [5.0, 5.0])
    np.testing.assert_allclose(seen[1], [7.0, 9.0])  # 5 + 2x: after accumulation
    handle.remove()
    x.sum().backward()
    assert len(seen) == 2


def test_hook_matches_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ag, torch):
        w = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        b = lib.tensor([0.5], requires_grad=True)
        order = []
        for name, leaf in (("w", w), ("b", b)):
            leaf.register_post_accumulate_grad_hook(
                lambda t, name=name, order=order: order.append((name, t.grad.sum().item())))
        ((w * 2).sum() + b.sum() * 4).backward()
        results.append(sorted(order))
    assert results[0] == results[1]


def test_only_on_leaves_that_require_grad():
    with pytest.raises(RuntimeError, match="leaf"):
        ag.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)
    x = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)


def test_hooks_leave_with_their_tensor():
    x = ag.tensor([1.0], requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda t: None)
    key = id(x)
    assert key in engine._post_accumulate_hooks
    del x
    gc.collect()
    assert key not in engine._post_accumulate_hooks


def test_queued_callback_runs_after_every_leaf_is_accumulated():
    a = ag.tensor([1.0], requires_grad=True)
    b = ag.tensor([2.0], requires_grad=True)
    grads_at_end, queued = [], []

    def queue(t):
        if not queued:
            queued.append(t)
            engine.queue_callback(lambda: grads_at_end.append((a.grad.item(), b.grad.item())))

    a.register_post_accumulate_grad_hook(queue)
    b.register_post_accumulate_grad_hook(queue)
    (a * b).sum().backward()
    assert grads_at_end == [(2.0, 1.0)]
    assert engine._final_callbacks == []


def test_a_failing_backward_drops_queued_callbacks():
    x = ag.tensor([1.0], requires_grad=True)
    ran = []

    def fail(t):
        engine.queue_callback(lambda: ran.append(1))
        raise ValueError("hook failed")

    x.register_post_accumulate_grad_hook(fail)
    with pytest.raises(ValueError, match="hook failed"):
        (x * 2).sum().backward()
    assert ran == [] and engine._final_callbacks == []
