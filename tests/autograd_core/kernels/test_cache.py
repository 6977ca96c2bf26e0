"""The on-disk kernel cache (issue 16, items 7 and 13): damaged entries are recompiled and
replaced, an unusable cache directory means running uncached with one warning, the cache
directory is private, and the first compilation is announced once on stderr while a warm run
is silent. Each run is a fresh Python process with its own temporary NUMBA_CACHE_DIR."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from autograd_core.kernels import _cache

ROOT = Path(__file__).resolve().parents[3]

# Two kernels, so "once" is tested; the printed sum checks that the results are right.
SCRIPT = """
import numpy as np
from autograd_core.kernels import activations
x = np.linspace(-1.0, 1.0, 9)
print(activations.relu_forward(x).sum() + activations.relu_backward(x, np.ones_like(x)).sum())
"""
EXPECTED = "6.5"  # relu sums to 2.5, its gradient to 4


def _run(env_changes, unset=()):
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_DISABLE_JIT", "NUMBA_CACHE_DIR", *unset)}
    env.update(PYTHONPATH=str(ROOT), **env_changes)
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == EXPECTED
    return result.stderr


def _entries(cache):
    return [p for p in Path(cache).rglob("*") if p.suffix in (".nbi", ".nbc")]


def test_first_compilation_is_announced_once_and_a_warm_run_is_silent(tmp_path):
    cold = _run({"NUMBA_CACHE_DIR": str(tmp_path)})
    assert cold.count("compiling the Numba kernels") == 1
    assert str(tmp_path) in cold
    assert _entries(tmp_path)
    warm = _run({"NUMBA_CACHE_DIR": str(tmp_path)})
    assert "compiling" not in warm and "Warning" not in warm


def _empty(path):
    path.write_bytes(b"")


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage(path):
    path.write_bytes(b"\x80\x04\x95" + bytes(range(256)) * 3)


def _overflow(path):
    path.write_bytes(b"\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\x7f")  # a frame of 2**63 bytes


@pytest.mark.parametrize("suffix", [".nbi", ".nbc"])
@pytest.mark.parametrize("damage", [_empty, _truncate, _garbage, _overflow])
def test_damaged_entries_are_recompiled_and_replaced(tmp_path, suffix, damage):
    _run({"NUMBA_CACHE_DIR": str(tmp_path)})
    targets = [p for p in _entries(tmp_path) if p.suffix == suffix]
    assert targets
    for path in targets:
        damage(path)
    repaired = _run({"NUMBA_CACHE_DIR": str(tmp_path)})  # this failed with EOFError, UnpicklingError...
    assert repaired.count("damaged kernel cache entry") == 1
    assert "recompiled and its entry replaced" in repaired
    again = _run({"NUMBA_CACHE_DIR": str(tmp_path)})  # the entries were rewritten: a warm, quiet run
    assert "damaged" not in again and "compiling" not in again


def test_no_usable_directory_runs_uncached_with_one_warning(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    err = _run({"NUMBA_CACHE_DIR": str(blocker / "cache")})
    assert err.count("KernelCacheWarning") == 1
    assert "compiled on every run" in err and "NUMBA_CACHE_DIR" in err


def test_unwritable_home_runs_uncached_with_one_warning(tmp_path):
    blocker = tmp_path / "home-is-a-file"
    blocker.write_text("")
    err = _run({"HOME": str(blocker)}, unset=("XDG_CACHE_HOME",))
    assert err.count("KernelCacheWarning") == 1 and "compiled on every run" in err


def test_a_directory_others_can_write_is_never_used(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    err = _run({"NUMBA_CACHE_DIR": str(shared)})
    assert "compiled on every run" in err
    assert list(shared.iterdir()) == []  # nothing written there, nothing read from there


def test_the_cache_directory_is_created_private(tmp_path):
    cache = tmp_path / "fresh" / "cache"
    _run({"NUMBA_CACHE_DIR": str(cache)})
    for path in [cache, *(p for p in cache.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_default_root_is_per_user(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _cache.cache_root() == str(tmp_path / "autograd_core" / "kernels")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert _cache.cache_root() == str(tmp_path / "mine")


def test_private_directory_rules(tmp_path):
    assert _cache.private_directory(str(tmp_path / "new"))
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) & 0o077 == 0
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    open_dir.chmod(0o775)
    assert not _cache.private_directory(str(open_dir))
    (tmp_path / "link").symlink_to(tmp_path / "new")
    assert not _cache.private_directory(str(tmp_path / "link"))
    (tmp_path / "file").write_text("")
    assert not _cache.private_directory(str(tmp_path / "file"))
