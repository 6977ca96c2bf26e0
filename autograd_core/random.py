"""Random number generation: one default generator behind every draw in autograd_core,
nn and optim, and `ag.Generator` objects for draws that must not disturb it.

    >>> import autograd_core as ag
    >>> ag.manual_seed(0); a = ag.randn(2)
    >>> ag.manual_seed(0); bool((a == ag.randn(2)).all())
    True
    >>> g = ag.Generator().manual_seed(42)
    >>> bool((ag.rand(3, generator=g) == ag.rand(3, generator=ag.Generator().manual_seed(42))).all())
    True
"""

from __future__ import annotations

import numpy as np


class Generator:
    """A seeded source of random numbers (PyTorch's `torch.Generator`), passed as
    `generator=` to random functions, samplers and DataLoaders."""

    def __init__(self, device="cpu"):
        from .devices import check_device

        check_device(device)
        self._initial = int(np.random.SeedSequence().entropy % (2 ** 63))
        self._rng = np.random.default_rng(self._initial)

    @property
    def device(self):
        from .devices import CPU

        return CPU

    def manual_seed(self, seed: int) -> Generator:
        """Reseed; returns the generator, as PyTorch's does."""
        seed = int(seed)
        self._initial = seed
        self._rng = np.random.default_rng(seed % (2 ** 64))
        return self

    def seed(self) -> int:
        """Reseed from fresh entropy and return the new seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (2 ** 63)))
        return self._initial

    def initial_seed(self) -> int:
        return self._initial

    def get_state(self) -> dict:
        return self._rng.bit_generator.state

    def set_state(self, new_state: dict) -> Generator:
        self._rng.bit_generator.state = new_state
        return self

    def __repr__(self) -> str:
        return f"<autograd_core.Generator seed={self._initial}>"


default_generator = Generator()
default_generator.manual_seed(default_generator.initial_seed())


def manual_seed(seed: int) -> Generator:
    """Reseed the default generator so every later random draw is reproducible."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Reseed the default generator non-deterministically; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def generator() -> np.random.Generator:
    """The default generator's NumPy generator (read it again after manual_seed)."""
    return default_generator._rng


def numpy_generator(gen: Generator | None) -> np.random.Generator:
    """The NumPy generator behind `generator=` (the default one when None)."""
    if gen is None:
        return default_generator._rng
    if isinstance(gen, Generator):
        return gen._rng
    if isinstance(gen, np.random.Generator):
        return gen
    raise TypeError(f"generator must be an autograd_core.Generator, got {type(gen).__name__}")


def get_rng_state() -> dict:
    """The default generator's state, e.g. to store in a checkpoint."""
    return default_generator.get_state()


def set_rng_state(new_state: dict) -> None:
    default_generator.set_state(new_state)
