"""Run a script under `mpiexec -n N` for the distributed tests (skips when MPI is missing)."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = pathlib.Path(__file__).resolve().parent / "scripts"


def mpiexec() -> str | None:
    beside = pathlib.Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


needs_mpi = pytest.mark.skipif(
    importlib.util.find_spec("mpi4py") is None or mpiexec() is None,
    reason='needs mpi4py and mpiexec: pip install -e ".[distributed]"',
)


THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "NUMBA_NUM_THREADS")


def launch(script: str, n: int, *args: str, timeout: float = 90, one_thread: bool = True
           ) -> tuple[int, str, float]:
    """(exit code, stdout+stderr, seconds) of `mpiexec -n n python scripts/<script> args`
    (`script` = "-m package.module" runs a module instead). `one_thread`: each rank is told to
    use one thread (as the other tests want); False leaves thread counts to the library."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    for name in THREAD_ENV + ("MKL_NUM_THREADS", "AUTOGRAD_CORE_BLAS_THREADS"):
        env.pop(name, None)
    if one_thread:
        env.update({name: "1" for name in THREAD_ENV})
    target = script.split() if script.startswith("-m ") else [str(SCRIPTS / script)]
    command = [mpiexec(), "-n", str(n), sys.executable, *target, *args]
    start = time.perf_counter()
    # Its own session, so that a hang can be ended with every process it started.
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=ROOT, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"mpiexec -n {n} {script} {' '.join(args)} hung for {timeout} s:\n{out}")
    return proc.returncode, out, time.perf_counter() - start
