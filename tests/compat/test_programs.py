"""The compatibility corpus: real PyTorch programs (tutorials, pytorch/examples, a course's
notebooks), ported by renaming `torch` and swapping the data, run with autograd_core; and,
when PyTorch is importable, run again with PyTorch from the same initial weights and data,
losses compared step by step.

Every program is `programs/<name>.py` with `run(torch, steps=...)` returning per-step losses;
its header says where it came from and what changed besides the rename. Classes the
originals define at module level are built by a small factory taking the namespace, since the
namespace is an argument here. The runs use float64 (the default dtype is set to float64 in
both libraries for the run, and programs that name a dtype take it as an argument), so the
only differences left are summation order and BLAS rounding; tolerances are per program.

A program that stops at something autograd_core lacks stays as PyTorch wrote it and is marked
xfail(strict=True) with the missing names; the test also checks that it stops at the first of
them (`first`), so a program cannot hide a new, different failure behind an old reason.
"""

from __future__ import annotations

import importlib
import inspect
import math
from dataclasses import dataclass

import numpy as np
import pytest

import autograd_core


@dataclass(frozen=True)
class Program:
    steps: int
    # rtol 1e-6 for float64 programs: the libraries differ by rounding (~1e-16 relative per
    # step) that training carries along; the largest seen is 6e-14 (L-BFGS)
    rtol: float = 1e-6
    missing: str | None = None   # what autograd_core lacks, for the xfail reason
    first: str | None = None     # a fragment of the error it stops at today


PROGRAMS: dict[str, Program] = {
    "polynomial_tensor": Program(300),
    "polynomial_autograd": Program(300),
    "polynomial_custom_function": Program(300),
    "polynomial_nn": Program(300),
    "polynomial_optim": Program(300),
    "polynomial_module": Program(300),
    "dynamic_net": Program(300),
    "cifar10_cnn": Program(200),
    "fashion_mlp": Program(20),
    "mnist_cnn": Program(20),
    "time_sequence_prediction": Program(4),
    "regression_poly": Program(200),
    "checkpoint": Program(200),
    "word_language_model": Program(16),
    # float32 throughout, as the notebook (`.float()`): sums over ~2000 bigrams in float32
    # differ by ~2e-7 relative between the libraries, hence 1e-5
    "makemore_bigram": Program(50, rtol=1e-5),
    "makemore_mlp": Program(100),
}


def _params():
    out = []
    for name, program in PROGRAMS.items():
        marks = []
        if program.missing:
            marks = [pytest.mark.xfail(strict=True, raises=(AttributeError, TypeError),
                                       reason=program.missing)]
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def _run(lib, name, deterministic):
    """Run one program with `lib` in float64, restoring the default dtype afterwards."""
    module = importlib.import_module(f"tests.compat.programs.{name}")
    kwargs = {"steps": PROGRAMS[name].steps}
    accepted = inspect.signature(module.run).parameters
    if "dtype" in accepted:
        kwargs["dtype"] = lib.float64
    if "deterministic" in accepted:
        kwargs["deterministic"] = deterministic
    previous = lib.get_default_dtype()
    lib.set_default_dtype(lib.float64)
    try:
        return [float(v) for v in module.run(lib, **kwargs)]
    finally:
        lib.set_default_dtype(previous)


def _run_ours(name, deterministic):
    """As _run with autograd_core; an expected failure must be the one recorded."""
    first = PROGRAMS[name].first
    try:
        return _run(autograd_core, name, deterministic)
    except (AttributeError, TypeError) as exc:
        if first is not None and first not in str(exc):
            pytest.fail(f"{name} now stops at something else: {type(exc).__name__}: {exc}")
        raise


@pytest.mark.parametrize("name", _params())
def test_program_runs_and_learns(name):
    losses = _run_ours(name, deterministic=False)
    # `steps` caps the training; a program with a stopping criterion may end earlier
    assert 0 < len(losses) <= PROGRAMS[name].steps
    assert all(math.isfinite(v) for v in losses), losses
    # Every program trains: its mean loss over the last tenth of the steps is below the mean
    # over the first tenth (a tenth, not one step, because mini-batch losses are noisy)
    k = max(1, len(losses) // 10)
    assert np.mean(losses[-k:]) < np.mean(losses[:k]), (losses[:k], losses[-k:])


@pytest.mark.parametrize("name", _params())
def test_program_matches_pytorch(name):
    torch = pytest.importorskip("torch", reason="the losses are compared with PyTorch's")
    ours = _run_ours(name, deterministic=True)
    theirs = _run(torch, name, deterministic=True)
    np.testing.assert_allclose(ours, theirs, rtol=PROGRAMS[name].rtol, atol=0)


def test_every_program_file_is_listed():
    from pathlib import Path

    folder = Path(__file__).parent / "programs"
    files = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")}
    assert files == set(PROGRAMS)


def test_readme_table_lists_every_program_with_its_status():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## PyTorch programs known to run", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip(" `"): line.split("|")[-2].strip()
            for line in section.splitlines() if line.startswith("| `")}
    assert set(rows) == set(PROGRAMS)
    for name, status in rows.items():
        assert (status == "runs, matches") == (PROGRAMS[name].missing is None), (name, status)
