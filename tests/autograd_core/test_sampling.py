"""multinomial: shapes, reproducibility under manual_seed, the distribution, errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.ops.sampling import multinomial


def test_shapes_dtype_and_seeded_reproducibility():
    w = ag.tensor([[0.1, 0.5, 0.4], [1.0, 1.0, 0.0]])
    ag.manual_seed(3)
    a = multinomial(w, 5, replacement=True)
    ag.manual_seed(3)
    b = w.multinomial(5, True)
    assert a.shape == (2, 5) and a.dtype == np.int64
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert multinomial(ag.ones(4), 4).shape == (4,)


def test_frequencies_follow_the_weights_with_replacement():
    ag.manual_seed(0)
    w = np.array([1.0, 0.0, 3.0, 6.0])
    draws = multinomial(ag.tensor(w), 40000, replacement=True).numpy()
    freq = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(freq, w / w.sum(), atol=0.01)
    assert freq[1] == 0.0


def test_without_replacement_draws_distinct_categories_in_weighted_order():
    ag.manual_seed(1)
    rows = multinomial(ag.tensor(np.tile([8.0, 1.0, 1.0, 0.0], (5000, 1))), 3).numpy()
    assert all(len(set(r)) == 3 for r in rows[:100])
    assert not (rows[:, :3] == 3).any()          # zero weight never drawn while others remain
    first = np.bincount(rows[:, 0], minlength=4) / len(rows)
    np.testing.assert_allclose(first[:3], [0.8, 0.1, 0.1], atol=0.02)


def test_explicit_generator_is_used():
    a = multinomial(ag.ones(10), 5, generator=np.random.default_rng(7))
    b = multinomial(ag.ones(10), 5, generator=np.random.default_rng(7))
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("w,n,repl,match", [
    ([1.0, 2.0], 3, False, "without replacement"),
    ([-1.0, 2.0], 1, True, "element < 0"),
    ([0.0, 0.0], 1, True, "sum of probabilities"),
    ([[[1.0]]], 1, True, "1 or 2 dim"),
    ([1.0, 2.0], 0, True, "n_sample <= 0"),
])
def test_errors(w, n, repl, match):
    with pytest.raises(RuntimeError, match=match):
        multinomial(ag.tensor(w), n, replacement=repl)


def test_a_bad_generator_is_refused():
    with pytest.raises(TypeError, match="generator"):
        multinomial(ag.ones(3), 1, generator=7)
