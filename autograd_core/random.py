"""The one random generator behind every draw in autograd_core, nn and optim.

>>> import autograd_core as ag
>>> ag.manual_seed(0); a = ag.randn(2)
>>> ag.manual_seed(0); bool((a == ag.randn(2)).all())
True
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the shared generator so every later random draw is reproducible."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator() -> np.random.Generator:
    """The shared generator (re-read it after manual_seed, which replaces it)."""
    return _generator


def get_rng_state() -> dict:
    """The generator's state, e.g. to store in a checkpoint."""
    return _generator.bit_generator.state


def set_rng_state(new_state: dict) -> None:
    _generator.bit_generator.state = new_state
