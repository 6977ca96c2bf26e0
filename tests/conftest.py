"""Shared test settings."""

import os

from hypothesis import settings

# Hypothesis: deterministic and quick in CI; no deadline because first calls may compile kernels.
settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
