"""Helpers the ported programs share, so that one program run with `autograd_core` and with
PyTorch starts from the same numbers.

Each port adds exactly one line to the original program after building its model:
`same_init(torch, model, seed)`, which overwrites every parameter with numbers drawn from a
seeded NumPy generator (PyTorch's own default initialisers draw from PyTorch's generator, whose
stream this project does not reproduce). Data the originals draw with `torch.randn` is drawn
from NumPy the same way.
"""

from __future__ import annotations

import math

import numpy as np


def same_init(torch, model, seed: int = 0) -> None:
    """Overwrite `model`'s parameters with seeded NumPy draws of PyTorch's default scale.

    Weights (two or more dims) get U(-1/sqrt(fan_in), 1/sqrt(fan_in)) as `nn.Linear` and
    `nn.Conv2d` do; vectors and scalars get U(-0.1, 0.1). Example::

        model = torch.nn.Linear(3, 1)
        same_init(torch, model, seed=0)
    """
    rng = np.random.default_rng(seed)
    state = model.state_dict()
    new = {}
    for name, value in state.items():
        shape = tuple(value.shape)
        bound = 1.0 / math.sqrt(int(np.prod(shape[1:]))) if len(shape) >= 2 else 0.1
        array = rng.uniform(-bound, bound, size=shape)
        new[name] = torch.tensor(array, dtype=value.dtype)
    model.load_state_dict(new)


def digits(n: int | None = None, seed: int = 0):
    """scikit-learn's bundled 8x8 digits as float64 images in [0, 1] and int64 labels, shuffled
    by a seeded NumPy generator (the stand-in for MNIST, FashionMNIST and CIFAR-10)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    order = np.random.default_rng(seed).permutation(len(data.target))
    images = (data.images[order] / 16.0).astype(np.float64)
    labels = data.target[order].astype(np.int64)
    if n is not None:
        images, labels = images[:n], labels[:n]
    return images, labels


def stdlib_words() -> list[str]:
    """Lower-case alphabetic words from texts that ship with Python (the Zen of Python and the
    standard library's module names): a word list that needs no download."""
    import sys

    zen = stdlib_text()
    words = {w.strip(".,!*-'").lower() for w in zen.split()}
    words |= {name.lower() for name in sys.stdlib_module_names}
    return sorted(w for w in words if w.isalpha() and w.isascii() and len(w) >= 2)


def stdlib_text() -> str:
    """The Zen of Python, a text every Python ships (decoded from the `this` module)."""
    import codecs
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # `import this` prints the poem once
        import this
    return codecs.decode(this.s, "rot13")
