"""Inverted dropout: keep each element with probability 1 - p and scale it by 1/(1-p).

    mask = (u >= p) / (1 - p),  u ~ Uniform[0, 1) drawn from `rng` in the array's dtype
    y = x * mask,  dx = g * mask

so E[y] = x and evaluation needs no rescaling. Plain NumPy: the draw dominates and must come from the
caller's `numpy.random.Generator` (a seeded generator reproduces the mask), and the two multiplies
are single SIMD passes that a Numba loop does not beat.

    >>> y, mask = dropout_forward(np.ones(4), 0.5, np.random.default_rng(0))
    >>> sorted(set(mask.tolist())) <= [0.0, 2.0]
    True
"""

from __future__ import annotations

import numpy as np

from ._jit import FLOAT_DTYPES, HALF, float_array, half_in_float32, same_shape


def _check_p(kernel: str, p: float) -> float:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{kernel}: p must be in [0, 1], got {p}")
    return float(p)


def dropout_mask(shape: tuple[int, ...], p: float, rng: np.random.Generator,
                 dtype: np.dtype | type = np.float32) -> np.ndarray:
    """An array of `shape` holding 0 with probability p and 1/(1-p) otherwise; all zeros for p = 1.

    >>> dropout_mask((3,), 0.0, np.random.default_rng(0), np.float64)
    array([1., 1., 1.])
    """
    p = _check_p("dropout_mask", p)
    dtype = np.dtype(dtype)
    if dtype not in FLOAT_DTYPES and dtype != HALF:
        raise TypeError(f"dropout_mask: dtype must be float16, float32 or float64, got {dtype}")
    if p == 1.0:
        return np.zeros(shape, dtype)
    # Generator.random draws float32 directly, at half the cost of float64 (and has no float16)
    mask = rng.random(shape, dtype=np.float32 if dtype == HALF else dtype) >= p
    return np.multiply(mask, dtype.type(1.0 / (1.0 - p)), dtype=dtype)


@half_in_float32
def dropout_forward(x: np.ndarray, p: float, rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray | None]:
    """(x * mask, mask); p = 0 returns x itself and mask None, p = 1 zeros.

    >>> y, mask = dropout_forward(np.arange(3.0), 0.0, np.random.default_rng(0))
    >>> y, mask
    (array([0., 1., 2.]), None)
    """
    p = _check_p("dropout_forward", p)
    x = float_array(x, "dropout_forward")
    if p == 0.0:
        return x, None
    mask = dropout_mask(x.shape, p, rng, x.dtype)
    return x * mask, mask


@half_in_float32
def dropout_backward(g: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """dx = g * mask (g itself when mask is None, the p = 0 case).

    >>> dropout_backward(np.ones(2), np.array([0.0, 2.0]))
    array([0., 2.])
    """
    g = float_array(g, "dropout_backward", "g")
    if mask is None:
        return g
    mask = same_shape(mask, g, "dropout_backward", "mask", "g")
    return g * mask
