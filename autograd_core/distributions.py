"""Probability distributions (`ag.distributions`, = `torch.distributions`): `Normal`,
`Categorical` and `Bernoulli`, with differentiable `log_prob` and `entropy` built from
the library's ops, sampling from the shared generator (`ag.manual_seed` fixes it), and
`Normal.rsample` for reparameterised (differentiable) samples.

    >>> import autograd_core as ag
    >>> from autograd_core.distributions import Categorical, Normal
    >>> logits = ag.tensor([0.0, 1.0, 2.0], requires_grad=True)
    >>> dist = Categorical(logits=logits)
    >>> loss = -dist.log_prob(ag.tensor(2))        # REINFORCE-style objective
    >>> loss.backward(); logits.grad.shape
    (3,)
    >>> Normal(0.0, 1.0).sample((4, 2)).shape
    (4, 2)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import random as _random
from .functional import binary_cross_entropy_with_logits
from .grad_mode import no_grad
from .tensor import Tensor

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "kl_divergence"]

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


def _as_tensor(value: Any, like: Tensor | None = None) -> Tensor:
    """Numbers and arrays as Tensors: Python numbers take the dtype of `like` (else float32)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, numbers.Number):
        dtype = like.dtype if like is not None and like.dtype.kind == "f" else np.float32
        return Tensor._make(np.asarray(value, dtype=dtype), None)
    return Tensor._make(np.asarray(value), None)


def _broadcast_all(*values: Any) -> list[Tensor]:
    """Tensors of one broadcast shape (differentiable expands), as torch's broadcast_all."""
    like = next((v for v in values if isinstance(v, Tensor)), None)
    tensors = [_as_tensor(v, like) for v in values]
    shape = np.broadcast_shapes(*(t.shape for t in tensors))
    return [t if t.shape == shape else t.expand(*shape) for t in tensors]


def _shape(sample_shape: Sequence[int] | int) -> tuple[int, ...]:
    return (int(sample_shape),) if isinstance(sample_shape, numbers.Integral) else tuple(sample_shape)


def _clamp_probs(probs: Tensor) -> Tensor:
    eps = float(np.finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


class Distribution:
    """Base of distributions: `batch_shape` (independent distributions held together),
    `event_shape` (the shape of one draw), `sample`, `log_prob`, `entropy`, `mean`, `variance`."""

    has_rsample = False

    def __init__(self, batch_shape: tuple = (), event_shape: tuple = (), validate_args: bool | None = None) -> None:
        self._batch_shape, self._event_shape = tuple(batch_shape), tuple(event_shape)
        self._validate_args = True if validate_args is None else bool(validate_args)

    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        return self._event_shape

    @property
    def stddev(self) -> Tensor:
        return self.variance.sqrt()

    def _extended_shape(self, sample_shape: Sequence[int] | int = ()) -> tuple:
        return _shape(sample_shape) + self._batch_shape + self._event_shape

    def _invalid(self, name: str, value: Tensor, constraint: str) -> ValueError:
        return ValueError(f"Expected parameter {name} (Tensor of shape {tuple(value.shape)}) of distribution "
                          f"{self!r} to satisfy the constraint {constraint}, but found invalid values:\n{value}")

    def __repr__(self) -> str:
        params = ", ".join(f"{name}: {getattr(self, name).shape}" for name in self._param_names)
        return f"{type(self).__name__}({params})"

    _param_names: tuple = ()


class Normal(Distribution):
    """The normal distribution N(loc, scale²), elementwise over the broadcast shape of
    `loc` and `scale`::

        log_prob(x) = −(x − loc)² / (2 scale²) − log scale − log √(2π)
        entropy     = ½ + ½ log(2π) + log scale

        >>> import autograd_core as ag
        >>> d = Normal(ag.tensor([0.0, 1.0]), 2.0)
        >>> d.log_prob(ag.tensor([0.0, 1.0])).numpy().round(4)
        array([-1.6121, -1.6121], dtype=float32)
    """

    has_rsample = True
    _param_names = ("loc", "scale")

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = _broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)
        if self._validate_args and not (self.scale._data > 0).all():
            raise self._invalid("scale", self.scale, "GreaterThan(lower_bound=0.0)")

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale**2

    def sample(self, sample_shape: Sequence[int] | int = ()) -> Tensor:
        """Draws of shape sample_shape + batch_shape, outside the graph."""
        with no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape: Sequence[int] | int = ()) -> Tensor:
        """Reparameterised draws loc + ε·scale (ε ~ N(0, 1)): gradients reach loc and scale."""
        shape = self._extended_shape(sample_shape)
        eps = _random.generator().standard_normal(shape).astype(self.loc.dtype)
        return self.loc + Tensor._make(eps, None) * self.scale

    def log_prob(self, value: Any) -> Tensor:
        value = _as_tensor(value, self.loc)
        if self._validate_args and np.isnan(value._data).any():
            raise ValueError(f"Normal.log_prob: the value must be real, got NaN in {value}")
        return -((value - self.loc) ** 2) / (2 * self.scale**2) - self.scale.log() - _LOG_SQRT_2PI

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()


class Bernoulli(Distribution):
    """The Bernoulli distribution: 1 with probability `probs` (or `sigmoid(logits)`), else 0.

        log_prob(x) = x·log p + (1 − x)·log(1 − p)  (computed from the logits, stably)

        >>> import autograd_core as ag
        >>> d = Bernoulli(probs=ag.tensor([0.25, 0.5]))
        >>> d.log_prob(ag.tensor([1.0, 0.0])).exp().tolist()
        [0.25, 0.5]
    """

    _param_names = ("probs",)

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.probs = _as_tensor(probs)
            clamped = _clamp_probs(self.probs)
            self.logits = clamped.log() - (-clamped).log1p()
        else:
            self.logits = _as_tensor(logits)
            self.probs = self.logits.sigmoid()
        super().__init__(self.probs.shape, (), validate_args)
        if self._validate_args and probs is not None and not ((self.probs._data >= 0) & (self.probs._data <= 1)).all():
            raise self._invalid("probs", self.probs, "Interval(lower_bound=0.0, upper_bound=1.0)")

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        return Tensor._make((self.probs._data > 0.5).astype(self.probs.dtype), None)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Sequence[int] | int = ()) -> Tensor:
        """0/1 draws (in the probabilities' dtype) of shape sample_shape + batch_shape."""
        shape = self._extended_shape(sample_shape)
        u = _random.generator().random(shape)
        return Tensor._make((u < np.broadcast_to(self.probs._data, shape)).astype(self.probs.dtype), None)

    def log_prob(self, value: Any) -> Tensor:
        value = _as_tensor(value, self.logits)
        if self._validate_args and not np.isin(value._data, (0, 1)).all():
            raise ValueError(f"Bernoulli.log_prob: the value must be 0 or 1 (Boolean support), got {value}")
        logits, value = _broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value.to(logits.dtype), reduction="none")

    def entropy(self) -> Tensor:
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")


class Categorical(Distribution):
    """A categorical distribution over 0 … K−1, with `probs` (normalised over the last
    dim) or `logits` (normalised as log-probabilities); the other dims are the batch.

        >>> import autograd_core as ag
        >>> d = Categorical(probs=ag.tensor([[1.0, 3.0], [1.0, 1.0]]))
        >>> d.probs, d.batch_shape
        (tensor([[0.25, 0.75],
                [0.5 , 0.5 ]]), (2,))
    """

    _param_names = ("probs",)

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        param = _as_tensor(probs if probs is not None else logits)
        if param.ndim < 1:
            raise ValueError("`probs` or `logits` parameter must be at least one-dimensional.")
        if probs is not None:
            if validate_args is not False and (param._data < 0).any():
                raise ValueError(f"Expected parameter probs (Tensor of shape {tuple(param.shape)}) of distribution "
                                 "Categorical to satisfy the constraint Simplex(), but found invalid values")
            self.probs = param / param.sum(-1, keepdim=True)
            self.logits = _clamp_probs(self.probs).log()
        else:
            self.logits = param - param.logsumexp(-1, keepdim=True)
            self.probs = self.logits.softmax(-1)
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], (), validate_args)

    @property
    def param_shape(self) -> tuple:
        return self.probs.shape

    @property
    def mean(self) -> Tensor:
        return Tensor._make(np.full(self._batch_shape, np.nan, dtype=self.probs.dtype), None)

    @property
    def mode(self) -> Tensor:
        return Tensor._make(self.probs._data.argmax(-1), None)

    @property
    def variance(self) -> Tensor:
        return Tensor._make(np.full(self._batch_shape, np.nan, dtype=self.probs.dtype), None)

    def sample(self, sample_shape: Sequence[int] | int = ()) -> Tensor:
        """int64 category draws of shape sample_shape + batch_shape (inverse-CDF sampling)."""
        sample_shape = _shape(sample_shape)
        cdf = np.cumsum(self.probs._data.astype(np.float64), axis=-1)
        cdf /= cdf[..., -1:]  # exact 1 at the end despite rounding
        u = _random.generator().random(sample_shape + self._batch_shape)
        counts = (u[..., None] >= np.broadcast_to(cdf, sample_shape + cdf.shape)).sum(-1)
        return Tensor._make(np.minimum(counts, self._num_events - 1).astype(np.int64), None)

    def log_prob(self, value: Any) -> Tensor:
        value = _as_tensor(value)
        raw = np.asarray(value._data)
        if self._validate_args and (raw.dtype.kind == "f" and (raw != np.round(raw)).any()
                                    or (raw < 0).any() or (raw >= self._num_events).any()):
            raise ValueError(f"Categorical.log_prob: the value must be an integer in [0, {self._num_events - 1}], "
                             f"got {value}")
        index = raw.astype(np.int64)[..., None]
        shape = np.broadcast_shapes(index.shape, self.logits.shape[:-1] + (1,))
        logits = self.logits.expand(*(shape[:-1] + (self._num_events,)))
        index = Tensor._make(np.ascontiguousarray(np.broadcast_to(index, shape)), None)
        return logits.gather(-1, index).squeeze(-1)

    def entropy(self) -> Tensor:
        min_real = float(np.finfo(self.logits.dtype).min)
        return -(self.logits.clamp(min=min_real) * self.probs).sum(-1)


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p ‖ q) for two distributions of the same family (Normal, Bernoulli, Categorical).

        >>> import autograd_core as ag
        >>> kl_divergence(Normal(0.0, 1.0), Normal(0.0, 1.0)).item()
        0.0
    """
    if isinstance(p, Normal) and isinstance(q, Normal):
        var_ratio = (p.scale / q.scale) ** 2
        t1 = ((p.loc - q.loc) / q.scale) ** 2
        return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())
    if isinstance(p, Bernoulli) and isinstance(q, Bernoulli):
        t1 = p.probs * (p.logits.softplus() * -1 + q.logits.softplus() + p.logits - q.logits)
        t2 = (1 - p.probs) * (q.logits.softplus() - p.logits.softplus())
        return t1 + t2
    if isinstance(p, Categorical) and isinstance(q, Categorical):
        return (p.probs * (p.logits - q.logits)).sum(-1)
    raise TypeError(f"kl_divergence: no formula for {type(p).__name__} and {type(q).__name__}")
