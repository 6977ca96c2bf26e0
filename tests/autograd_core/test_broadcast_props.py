"""Property tests: the elementwise binary ops (and where) under random mutually broadcastable
shapes, 0-d included. The forward must equal NumPy's, and each input's gradient must equal an
independent computation: the elementwise partial derivative times the upstream gradient,
added into the input element that each output element was broadcast from."""

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from optable import mask, normal, positive, spaced

import autograd_core as ag


@dataclass(frozen=True)
class Binary:
    fn: Callable  # autograd_core
    ref: Callable  # NumPy forward
    partials: Callable  # NumPy: broadcast inputs -> one partial derivative per input (None: constant)
    domains: tuple = (normal, normal)


OPS = {
    "add": Binary(lambda a, b: a + b, np.add, lambda a, b: (np.ones_like(a), np.ones_like(b))),
    "sub": Binary(lambda a, b: a - b, np.subtract, lambda a, b: (np.ones_like(a), -np.ones_like(b))),
    "mul": Binary(lambda a, b: a * b, np.multiply, lambda a, b: (b, a)),
    "div": Binary(lambda a, b: a / b, np.divide, lambda a, b: (1 / b, -a / b**2), (normal, positive)),
    "pow": Binary(lambda a, b: a**b, np.power, lambda a, b: (b * a ** (b - 1), a**b * np.log(a)),
                  (positive, normal)),
    "maximum": Binary(ag.maximum, np.maximum, lambda a, b: (a > b, b > a), (spaced(0.0), spaced(0.125))),
    "minimum": Binary(ag.minimum, np.minimum, lambda a, b: (a < b, b < a), (spaced(0.0), spaced(0.125))),
    "where": Binary(ag.where, np.where, lambda c, a, b: (None, c, ~c), (mask, normal, normal)),
}


def gather_back(contrib: np.ndarray, shape: tuple) -> np.ndarray:
    """Add each element of `contrib` (output-shaped) into the input element it was broadcast from.

    Label every input element with its flat index, broadcast the labels to the output shape
    and add by label: no summing over axes, so this does not share the engine's logic."""
    n = int(np.prod(shape))
    labels = np.broadcast_to(np.arange(n).reshape(shape), contrib.shape)
    return np.bincount(labels.ravel(), weights=contrib.ravel(), minlength=n)


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_binary_op_under_broadcasting(name, data):
    op = OPS[name]
    shapes, out_shape = data.draw(
        mutually_broadcastable_shapes(num_shapes=len(op.domains), min_dims=0, max_dims=4, max_side=4),
        label="shapes",
    )
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    arrays = [draw(rng, shape) for draw, shape in zip(op.domains, shapes)]
    inputs = [a if a.dtype == bool else ag.tensor(a, requires_grad=True) for a in arrays]

    out = op.fn(*inputs)
    assert out.shape == out_shape
    np.testing.assert_allclose(out._data, op.ref(*arrays), rtol=1e-12, atol=0)

    upstream = rng.standard_normal(out_shape)
    out.backward(ag.tensor(upstream))
    partials = op.partials(*[np.broadcast_to(a, out_shape) for a in arrays])
    for i, (x, partial) in enumerate(zip(inputs, partials)):
        if partial is None:
            continue
        expected = gather_back(upstream * partial, x.shape).reshape(x.shape)
        assert x.grad is not None and x.grad.shape == x.shape, f"input {i}"
        np.testing.assert_allclose(x.grad._data, expected, rtol=1e-10, atol=1e-12, err_msg=f"input {i}")
