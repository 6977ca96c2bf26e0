"""multinomial: draw category indices from rows of non-negative weights, with the
library's shared generator (so `ag.manual_seed` makes the draws reproducible).

With replacement each draw is an inverse-CDF lookup of a uniform number in the row's
cumulative weights. Without replacement we use the exponential race: give category i
the key E_i / w_i with E_i ~ Exp(1) and take the k smallest keys; this draws the
categories in exactly the order of successive weighted sampling without replacement.

    >>> import autograd_core as ag
    >>> _ = ag.manual_seed(0)
    >>> ag.tensor([0.0, 1.0, 0.0]).multinomial(2, replacement=True)
    tensor([1, 1])
"""

from __future__ import annotations

import numpy as np

from .. import random as _random


def _numpy_rng(generator) -> np.random.Generator:
    """The NumPy generator behind `generator=`: the shared one for None, a numpy Generator
    as is, or the one an autograd_core.Generator wraps."""
    if generator is None:
        return _random.generator()
    if isinstance(generator, np.random.Generator):
        return generator
    inner = getattr(generator, "_rng", None)
    if isinstance(inner, np.random.Generator):
        return inner
    raise TypeError(f"multinomial: generator must be an autograd_core.Generator, "
                    f"got {type(generator).__name__}")


def multinomial(input, num_samples: int, replacement: bool = False, *, generator=None):
    """Sample `num_samples` indices from each row of `input` (1-D or 2-D, non-negative
    weights that need not sum to one). Returns int64 of shape (num_samples,) or
    (rows, num_samples). `generator`: an `autograd_core.Generator` or a `numpy.random.Generator`
    (default: the shared one).

        >>> import autograd_core as ag
        >>> ag.ones(2, 5).multinomial(3).shape
        (2, 3)
    """
    from ..tensor import Tensor

    w = input._data if isinstance(input, Tensor) else np.asarray(input)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {w.shape}")
    if w.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got {w.dtype}")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples (got {num_samples})")
    n = w.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError(
            f"multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement "
            f"({num_samples} > {n})"
        )
    rows = w.reshape(-1, n).astype(np.float64)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _numpy_rng(generator)
    if replacement:
        cdf = np.cumsum(rows, axis=1)
        u = rng.random((rows.shape[0], num_samples)) * cdf[:, -1:]
        # side="right": a draw equal to a boundary skips categories of zero weight
        out = np.stack([np.searchsorted(c, ui, side="right") for c, ui in zip(cdf, u)])
        out = np.minimum(out, n - 1)
    else:
        with np.errstate(divide="ignore"):
            keys = rng.standard_exponential(rows.shape) / rows  # weight 0 -> inf: drawn last
        out = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    out = out.astype(np.int64)
    return Tensor._make(out.reshape(num_samples) if w.ndim == 1 else out, None)


TENSOR_METHODS = {"multinomial": multinomial}
