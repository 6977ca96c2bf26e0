"""Values and errors that other projects' test suites found to differ from PyTorch (issue 16,
item 6). Each case runs on autograd_core and, when installed, on PyTorch: both must agree with
the expected value written here, so the table is checked against the reference too."""

import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import functional as agF


def _libs():
    libs = [pytest.param((ag, agF), id="ag")]
    try:
        import torch
        import torch.nn.functional as tF
        libs.append(pytest.param((torch, tF), id="torch"))
    except ImportError:  # the ag cases still run
        pass
    return libs


LIBS = _libs()


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t._data)


@pytest.mark.parametrize("libs", LIBS)
def test_unbatched_cross_entropy_gives_probability_target_a_gradient(libs):
    lib, F = libs
    logits = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
    target = lib.tensor([0.2, 0.3, 0.5], dtype=lib.float64, requires_grad=True)
    F.cross_entropy(logits, target).backward()
    assert target.grad is not None
    log_q = np.log(np.exp([0.5, -1.0, 2.0]) / np.exp([0.5, -1.0, 2.0]).sum())
    np.testing.assert_allclose(_np(target.grad), -log_q, rtol=1e-12)


def test_unbatched_probability_target_gradcheck():
    logits = ag.tensor([0.5, -1.0, 2.0], dtype=ag.float64, requires_grad=True)
    target = ag.tensor([0.2, 0.3, 0.5], dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(lambda x, t: agF.cross_entropy(x, t, label_smoothing=0.1), (logits, target))


@pytest.mark.parametrize("libs", LIBS)
def test_pow_exponent_gradient_at_zero_base(libs):
    lib, _ = libs
    y = lib.tensor([-1.0, -2.0, 0.0, 1.0, 2.5], dtype=lib.float64, requires_grad=True)
    (lib.tensor(0.0, dtype=lib.float64) ** y).sum().backward()
    np.testing.assert_array_equal(_np(y.grad), [-np.inf, -np.inf, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("libs", LIBS)
def test_pow_exponent_gradient_elsewhere_is_out_log_base(libs):
    lib, _ = libs
    a = lib.tensor([0.0, 2.0, 3.0], dtype=lib.float64)
    y = lib.tensor([-1.0, 1.5, 2.0], dtype=lib.float64, requires_grad=True)
    (a ** y).sum().backward()
    np.testing.assert_allclose(_np(y.grad), [-np.inf, 2 ** 1.5 * np.log(2), 9 * np.log(3)])


@pytest.mark.parametrize("libs", LIBS)
@pytest.mark.parametrize("start,end,steps,expected", [
    (-5, 5, 7, [-5, -3, -1, 0, 1, 3, 5]),
    (0, 10, 4, [0, 3, 6, 10]),
    (5, -5, 4, [5, 1, -1, -5]),
])
def test_integer_linspace_truncates_toward_zero(libs, start, end, steps, expected):
    lib, _ = libs
    out = lib.linspace(start, end, steps, dtype=lib.int64)
    assert _np(out).dtype == np.int64
    np.testing.assert_array_equal(_np(out), expected)


@pytest.mark.parametrize("libs", LIBS)
def test_linspace_refuses_bool_and_negative_steps(libs):
    lib, _ = libs
    with pytest.raises(RuntimeError):
        lib.linspace(0, 1, 3, dtype=getattr(lib, "bool", np.bool_))  # ag.bool: the lead adds it
    with pytest.raises(RuntimeError):
        lib.linspace(0, 1, -1)


@pytest.mark.parametrize("libs", LIBS)
@pytest.mark.parametrize("fn", ["var", "std"])
@pytest.mark.parametrize("data,correction,expected", [
    ([1.0, 2.0, 3.0], 3, np.inf),
    ([1.0, 2.0, 3.0], 5, np.inf),
    ([1.0, 1.0, 1.0], 3, np.nan),
    ([1.0], 1, np.nan),
])
def test_var_std_with_correction_at_least_n(libs, fn, data, correction, expected):
    lib, _ = libs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn about the degrees of freedom
        out = getattr(lib.tensor(data, dtype=lib.float64), fn)(correction=correction)
    np.testing.assert_array_equal(_np(out), expected)


def test_var_with_correction_at_least_n_warns():
    with pytest.warns(RuntimeWarning, match="degrees of freedom"):
        ag.tensor([1.0, 2.0]).var(correction=2)


@pytest.mark.parametrize("libs", LIBS)
def test_permute_errors(libs):
    lib, _ = libs
    x = lib.zeros(2, 3)
    with pytest.raises(RuntimeError):
        x.permute(0, 0)
    with pytest.raises(RuntimeError):
        x.permute(0)
    with pytest.raises(IndexError):
        x.permute(0, 2)
    assert tuple(x.permute(-1, 0).shape) == (3, 2)


@pytest.mark.parametrize("libs", LIBS)
def test_clamp_without_bounds_is_a_runtime_error(libs):
    lib, _ = libs
    x = lib.zeros(3)
    with pytest.raises(RuntimeError, match="min.*max"):
        x.clip(None, None)
    with pytest.raises(RuntimeError):
        lib.clamp(x)
