"""Execute every notebook in notebooks/ top to bottom and fail on any error.

The notebooks run in a temporary copy (the committed files, with their saved outputs, are
never rewritten) with notebooks/ as the working directory, in the `python3` kernel. They
import the installed packages (`pip install -e .`); the repository root is also put on the
kernel's PYTHONPATH so that a plain checkout works too.
"""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 120


def test_there_are_at_least_five_notebooks():
    assert len(NOTEBOOKS) >= 5, f"expected at least five notebooks in {NOTEBOOK_DIR}, found {len(NOTEBOOKS)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_without_errors(path, tmp_path, monkeypatch):
    if shutil.which("dot") is None and "ag.viz." in path.read_text():
        pytest.skip(f"{path.name} draws backward graphs, which needs Graphviz's `dot` program "
                    "(not installed; apt-get install graphviz)")
    pythonpath = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + (os.pathsep + pythonpath if pythonpath else ""))
    # Small matmuls and a second busy process (pytest -n) make multi-threaded BLAS spin far
    # more than it computes; one thread keeps the notebooks' run time steady.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, os.environ.get(var, "1"))

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    try:
        client.execute()
    finally:
        # The executed copy goes to a temporary file, for inspection after a failure.
        nbformat.write(notebook, tmp_path / path.name)
