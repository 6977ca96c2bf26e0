"""The newcomer's path without Graphviz's `dot` (issue 16, item 12), which the README calls
optional: the tests that render skip with a reason, and the demo prints its accuracy, writes the
training-curve PNG and the graph's .dot source, and says how to render it. Both run in a
subprocess whose PATH has no `dot`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _env_without_dot(tmp_path):
    empty_bin = tmp_path / "bin-without-dot"
    empty_bin.mkdir(exist_ok=True)
    return {**os.environ, "PATH": str(empty_bin), "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1",
            "MPLBACKEND": "Agg"}


def test_demo_completes_without_dot(tmp_path):
    pytest.importorskip("sklearn", reason="the demo's digits come with scikit-learn")
    pytest.importorskip("matplotlib", reason="the demo plots its training curves")
    out = tmp_path / "demo_output"
    result = subprocess.run(
        [sys.executable, "-m", "autograd_core.demo", "--out", str(out), "--epochs", "1", "--no-progress"],
        capture_output=True, text=True, env=_env_without_dot(tmp_path), cwd=tmp_path, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "test accuracy:" in result.stdout
    assert (out / "training_curves.png").stat().st_size > 0
    source = (out / "backward_graph.dot").read_text()
    assert source.startswith("digraph") and "Backward" in source
    assert not (out / "backward_graph.svg").exists()
    assert "not installed" in result.stdout and "dot -Tsvg" in result.stdout


def test_rendering_tests_skip_with_a_reason_without_dot(tmp_path):
    pytest.importorskip("nbclient", reason="the notebook tests need nbclient")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "-q",
         "tests/test_notebooks.py::test_notebook_runs_without_errors[01_autograd_and_the_backward_graph.ipynb]",
         "tests/autograd_core/test_viz.py"],
        capture_output=True, text=True, env=_env_without_dot(tmp_path), cwd=ROOT, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "SKIPPED" in result.stdout and "01_autograd_and_the_backward_graph.ipynb draws" in result.stdout
    assert "Graphviz's dot is not installed" in result.stdout  # test_viz's rendering cases
