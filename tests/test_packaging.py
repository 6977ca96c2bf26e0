"""Packaging (issue 16, items 15 and 16): the `notebooks` extra exists and covers what the
notebooks import, the README says how to open them, and the license is an SPDX string that
setuptools builds without a deprecation warning."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]


def _names(requirements):
    return {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower().replace("_", "-") for r in requirements}


def test_notebooks_extra_has_jupyter_and_the_notebooks_packages():
    extra = _names(PROJECT["optional-dependencies"]["notebooks"])
    assert {"jupyterlab", "matplotlib", "scikit-learn", "tqdm"} <= extra


def test_notebooks_extra_covers_every_third_party_import_of_the_notebooks():
    provided = _names(PROJECT["dependencies"]) | _names(PROJECT["optional-dependencies"]["notebooks"])
    ours = {"autograd_core", "nn", "optim"}
    distribution = {"sklearn": "scikit-learn"}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            for line in "".join(cell["source"]).splitlines():
                match = re.match(r"\s*(?:import|from)\s+(\w+)", line)
                if not match or match.group(1) in ours or match.group(1) in sys.stdlib_module_names:
                    continue
                name = distribution.get(match.group(1), match.group(1)).lower()
                assert name in provided, f"{path.name} imports {match.group(1)}, missing from the extra"


def test_readme_says_how_to_open_the_notebooks():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The notebooks", 1)[1].split("\n## ", 1)[0]
    assert 'pip install -e ".[notebooks]"' in section
    assert "jupyter lab notebooks/" in section


def test_license_is_an_spdx_expression_with_a_setuptools_that_reads_it():
    assert PROJECT["license"] == "MIT"
    requires = PYPROJECT["build-system"]["requires"]
    (setuptools_req,) = [r for r in requires if r.startswith("setuptools")]
    version = re.search(r">=\s*([\d.]+)", setuptools_req).group(1)
    assert tuple(int(p) for p in version.split(".")) >= (77, 0, 3)


def test_metadata_builds_without_a_license_deprecation_warning(tmp_path):
    setuptools = pytest.importorskip("setuptools")
    if tuple(int(p) for p in setuptools.__version__.split(".")[:2]) < (77, 0):
        pytest.skip(f"setuptools {setuptools.__version__} predates SPDX license strings")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for package in ("autograd_core", "nn", "optim"):
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "meta").mkdir()
    result = subprocess.run(
        [sys.executable, "-c", "from setuptools import build_meta as b; "
                               "print(b.prepare_metadata_for_build_wheel('../meta'))"],
        cwd=src, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert "license" not in output.lower() or "deprecat" not in output.lower(), output[-3000:]
    metadata = next((tmp_path / "meta").glob("*.dist-info/METADATA")).read_text()
    assert "License-Expression: MIT" in metadata
