"""Shared test settings and the `lib` fixture: compatibility tests run the same body with
autograd_core and, when it is installed, with real PyTorch (a test that fails on PyTorch
is testing the wrong thing)."""

import importlib.util
import os

import pytest
from hypothesis import settings

# Hypothesis: deterministic and quick in CI; no deadline because first calls may compile kernels.
settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

HAVE_TORCH = importlib.util.find_spec("torch") is not None


@pytest.fixture(params=["autograd_core", "torch"])
def lib(request):
    """The library under test: autograd_core, or torch itself as the reference."""
    if request.param == "torch":
        if not HAVE_TORCH:
            pytest.skip("torch is not installed (pip install torch==2.13.0 to run the reference side)")
        import torch

        return torch
    import autograd_core

    return autograd_core
