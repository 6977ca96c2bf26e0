"""Normal, Bernoulli and Categorical against torch.distributions: log_prob, entropy,
mean/variance, KL, gradients (gradcheck in float64), sample shapes and frequencies."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

rng = np.random.default_rng(0)
LOC = rng.standard_normal((3, 1))
SCALE = rng.uniform(0.5, 2.0, (1, 4))
PROBS = rng.uniform(0.05, 0.95, (2, 3))
CAT = rng.uniform(0.1, 1.0, (2, 5))
LOGITS = rng.standard_normal((2, 5)) * 3


def t(x):
    return torch.tensor(x)


def a(x):
    return ag.tensor(x)


def close(ours, theirs, rtol=1e-10):
    np.testing.assert_allclose(np.asarray(ours._data), theirs.detach().numpy(), rtol=rtol, atol=1e-12)


CASES = {
    "Normal": (lambda lib, f: lib.Normal(f(LOC), f(SCALE)), rng.standard_normal((3, 4))),
    "Normal-scalar-scale": (lambda lib, f: lib.Normal(f(LOC), 1.5), rng.standard_normal((2, 3, 1))),
    "Bernoulli-probs": (lambda lib, f: lib.Bernoulli(probs=f(PROBS)), rng.integers(0, 2, (2, 3)).astype(float)),
    "Bernoulli-logits": (lambda lib, f: lib.Bernoulli(logits=f(LOGITS)), rng.integers(0, 2, (2, 5)).astype(float)),
    "Categorical-probs": (lambda lib, f: lib.Categorical(probs=f(CAT)), rng.integers(0, 5, (4, 2))),
    "Categorical-logits": (lambda lib, f: lib.Categorical(logits=f(LOGITS)), rng.integers(0, 5, (2,))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_torch(name):
    build, value = CASES[name]
    ours, theirs = build(D, a), build(TD, t)
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == tuple(theirs.event_shape)
    close(ours.log_prob(a(value)), theirs.log_prob(t(value)))
    close(ours.entropy(), theirs.entropy())
    if not name.startswith("Categorical"):
        close(ours.mean, theirs.mean)
        close(ours.variance, theirs.variance)
        close(ours.stddev, theirs.stddev)
    if hasattr(theirs, "probs"):
        close(ours.probs, theirs.probs)
        close(ours.logits, theirs.logits)
    for shape in ((), (5,), (2, 3)):
        sample = ours.sample(shape)
        assert sample.shape == tuple(theirs.sample(shape).shape) and not sample.requires_grad
        assert sample.dtype == theirs.sample(shape).numpy().dtype


@pytest.mark.parametrize(("pair", "p", "q"), [
    ("Normal", lambda lib, f: lib.Normal(f(LOC), f(SCALE)), lambda lib, f: lib.Normal(0.3, f(SCALE[:, ::-1].copy()))),
    ("Bernoulli", lambda lib, f: lib.Bernoulli(probs=f(PROBS)), lambda lib, f: lib.Bernoulli(logits=f(LOGITS[:, :3]))),
    ("Categorical", lambda lib, f: lib.Categorical(probs=f(CAT)), lambda lib, f: lib.Categorical(logits=f(LOGITS))),
])
def test_kl_matches_torch(pair, p, q):
    close(D.kl_divergence(p(D, a), q(D, a)), TD.kl_divergence(p(TD, t), q(TD, t)))


def test_gradients():
    value_n = ag.tensor(rng.standard_normal((3, 4)))
    assert ag.gradcheck(lambda loc, scale: D.Normal(loc, scale).log_prob(value_n).sum(),
                        (ag.tensor(LOC, requires_grad=True), ag.tensor(SCALE, requires_grad=True)))
    assert ag.gradcheck(lambda scale: D.Normal(0.0, scale).entropy().sum(), (ag.tensor(SCALE, requires_grad=True),))
    labels = ag.tensor(np.array([1, 4]))
    assert ag.gradcheck(lambda logits: D.Categorical(logits=logits).log_prob(labels).sum(),
                        (ag.tensor(LOGITS, requires_grad=True),))
    assert ag.gradcheck(lambda probs: D.Categorical(probs=probs).entropy().sum(), (ag.tensor(CAT, requires_grad=True),))
    value_b = ag.tensor(np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]))
    assert ag.gradcheck(lambda probs: D.Bernoulli(probs=probs).log_prob(value_b).sum(),
                        (ag.tensor(PROBS, requires_grad=True),))
    assert ag.gradcheck(lambda logits: D.Bernoulli(logits=logits).entropy().sum(),
                        (ag.tensor(LOGITS, requires_grad=True),))


def test_rsample_is_differentiable_and_sample_is_not():
    loc, scale = ag.tensor([1.0, 2.0], requires_grad=True), ag.tensor([0.5, 3.0], requires_grad=True)
    ag.manual_seed(3)
    draws = D.Normal(loc, scale).rsample((1000,))
    draws.sum().backward()
    np.testing.assert_allclose(loc.grad._data, [1000.0, 1000.0])
    ag.manual_seed(3)
    eps = (D.Normal(loc, scale).sample((1000,))._data - loc._data) / scale._data
    np.testing.assert_allclose(scale.grad._data, eps.sum(0), rtol=1e-5)
    assert abs(eps.mean()) < 0.1 and abs(eps.std() - 1) < 0.1


def test_sampling_frequencies_and_seed():
    ag.manual_seed(0)
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]])
    draws = D.Categorical(probs=ag.tensor(probs)).sample((20000,))._data
    assert draws.shape == (20000, 2) and draws.dtype == np.int64
    for row in range(2):
        np.testing.assert_allclose(np.bincount(draws[:, row], minlength=3) / 20000, probs[row], atol=0.015)
    flips = D.Bernoulli(probs=ag.tensor([0.2, 0.9])).sample((20000,))._data
    np.testing.assert_allclose(flips.mean(0), [0.2, 0.9], atol=0.015)
    ag.manual_seed(1)
    first = D.Normal(0.0, 1.0).sample((3,))
    ag.manual_seed(1)
    assert first.tolist() == D.Normal(0.0, 1.0).sample((3,)).tolist()


def test_invalid_arguments_raise_like_torch():
    for build in (lambda lib: lib.Normal(0.0, -1.0), lambda lib: lib.Bernoulli(probs=1.5),
                  lambda lib: lib.Categorical(probs=None), lambda lib: lib.Bernoulli(probs=0.5, logits=0.0)):
        with pytest.raises(ValueError):
            build(D)
        with pytest.raises(ValueError):
            build(TD)
    with pytest.raises(ValueError, match="0 or 1"):
        D.Bernoulli(probs=0.5).log_prob(ag.tensor(0.5))
    with pytest.raises(ValueError, match="integer"):
        D.Categorical(logits=ag.zeros(3)).log_prob(ag.tensor(3))
    with pytest.raises(TypeError, match="no formula"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(probs=0.5))
