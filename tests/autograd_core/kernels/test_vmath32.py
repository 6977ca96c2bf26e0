"""The float32-accuracy math of `_vmath32` against float64 references (scipy where it has them)."""

import math

import numpy as np
import pytest

from autograd_core.kernels import _vmath32 as M


def _scalar(fn):
    """The kernel-side function callable per element from Python (compiled, or plain Python under
    NUMBA_DISABLE_JIT)."""
    compiled = fn.compiled()
    return lambda v: compiled(np.float64(v))


def test_exp_neg_to_float32_accuracy_and_its_limits():
    exp_neg = _scalar(M.exp_neg)
    a = -np.concatenate([np.random.default_rng(0).uniform(0, 740, 4000), np.linspace(0, 2, 2001)])
    got = np.array([exp_neg(v) for v in a])
    want = np.exp(a)
    fine = a > -708
    assert (np.abs(got[fine] / want[fine] - 1) <= 2.0**-27).all()
    assert (got[~fine] == 0).all()
    assert math.isnan(exp_neg(math.nan)) and exp_neg(-math.inf) == 0.0 and exp_neg(0.0) == 1.0


def test_log1p_unit_to_float32_accuracy():
    log1p_unit = _scalar(M.log1p_unit)
    a = np.concatenate([np.random.default_rng(1).uniform(0, 1, 4000), np.geomspace(1e-300, 1, 600), [0.0, 1.0]])
    got = np.array([log1p_unit(v) for v in a])
    want = np.log1p(a)
    np.testing.assert_array_equal(got[a == 0], 0.0)
    assert (np.abs(got[a > 0] / want[a > 0] - 1) <= 2.0**-28).all()


def test_normal_tail_to_float32_accuracy():
    special = pytest.importorskip("scipy.special")
    tail = M.normal_tail.compiled()
    x = np.concatenate([np.random.default_rng(2).uniform(-14, 14, 4000), np.linspace(-1, 1, 2001)])
    x = x.astype(np.float32).astype(np.float64)  # the kernels pass float32 values
    got = np.array([tail(v) for v in x])
    want_q = 0.5 * special.erfc(np.abs(x) / math.sqrt(2))
    assert (np.abs(got[:, 0] / want_q - 1) <= 0.9 * 2.0**-24).all()
    assert (np.abs(got[:, 1] / np.exp(-0.5 * x * x) - 1) <= 2.0**-27).all()
    q_inf, e_inf = tail(math.inf)
    assert q_inf == 0.0 and e_inf == 0.0
    assert all(math.isnan(v) for v in tail(math.nan))
