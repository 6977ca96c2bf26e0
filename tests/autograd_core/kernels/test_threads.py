"""Threads: fork after a parallel kernel, torch imported first, BLAS held to one thread outside
large GEMMs, and parallel kernels launched from several Python threads."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from autograd_core.kernels import _threads, activations, reference

ROOT = Path(__file__).resolve().parents[3]
# These run numba's threading layers in subprocesses; with NUMBA_DISABLE_JIT there are none to run
needs_jit = pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"),
                               reason="NUMBA_DISABLE_JIT=1: no numba threading layer to test")


def _run(code, *args, timeout=240, script=None, **env):
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                             "AUTOGRAD_CORE_BLAS_THREADS", "NUMBA_THREADING_LAYER", "OMP_WAIT_POLICY")}
    full_env.update(env, PYTHONPATH=str(ROOT))
    command = [sys.executable, str(script)] if script else [sys.executable, "-c", code]
    result = subprocess.run(command + [str(a) for a in args], capture_output=True, text=True, cwd=ROOT,
                            env=full_env, timeout=timeout)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.split()


def _run_file(script, *args, timeout=240, **env):
    return _run(None, *args, timeout=timeout, script=script, **env)


FORK_POOL = """
import multiprocessing as mp
import sys
import threading
import numpy as np
import numba
import autograd_core as ag
from autograd_core.kernels import _threads, activations

x = np.linspace(-3, 3, 1 << 18, dtype=np.float32)
activations.relu_forward(x)  # large enough for the parallel loop: the threading layer starts here
ag.functional.gelu(ag.tensor(x)).sum()

def work(i):
    return float(activations.relu_forward(x + i).sum()), _threads._state["serial_only"]

if __name__ == "__main__":
    got = []
    def run_pool():
        with mp.get_context("fork").Pool(2) as pool:
            got.extend(pool.map_async(work, range(3)).get(timeout=120))
    if sys.argv[1] == "main":
        run_pool()
    else:
        thread = threading.Thread(target=run_pool)
        thread.start()
        thread.join()
    want = [work(i)[0] for i in range(3)]
    print(numba.threading_layer(), all(abs(a - b) <= 1e-6 * abs(b) for (a, _), b in zip(got, want)),
          all(serial for _, serial in got))
"""


@needs_jit
@pytest.mark.parametrize("forking_thread", ["main", "other"])
def test_a_forked_pool_runs_kernels_after_the_parent_ran_parallel_ones(tmp_path, forking_thread):
    script = tmp_path / "pool.py"
    script.write_text(FORK_POOL)
    result = subprocess.run([sys.executable, str(script), forking_thread], capture_output=True, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT),
                                           "AUTOGRAD_CORE_ADAPTIVE_THREADS": "0"},
                            timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    layer, ok, serial = result.stdout.split()
    assert ok == "True"
    # children of a fork from another thread run serial twins under tbb, and under GNU OpenMP always
    assert serial == str(layer == "omp" or (layer == "tbb" and forking_thread == "other"))


# One script, three import orders: torch before the project, torch after the first kernel, no torch.
# It prints the layer, whether OMP_WAIT_POLICY was set for torch to read, and the kernels' results.
ORDERS = """
import os, sys
import numpy as np
order = sys.argv[1]
if order == "torch_first":
    import torch
from autograd_core.kernels import _threads, activations, conv, pool, softmax
if sys.argv[2] == "no_tbb":
    _threads._load_tbb = lambda: False  # as on a machine without the tbb package
rng = np.random.default_rng(0)
x = rng.standard_normal((16, 4, 32, 32)).astype(np.float32)
w = rng.standard_normal((8, 4, 3, 3)).astype(np.float32)
y = conv.conv2d_forward(x, w, None, 1, 1, 1)  # parallel loops from the first call on
if order == "torch_after":
    import torch
    torch.ones(512, 512).sum()
g = rng.standard_normal(y.shape).astype(np.float32)
dx, dw, _ = conv.conv2d_backward(x, w, g, 1, 1, 1, need_x=True, need_w=True, need_b=False)
big = rng.standard_normal(1 << 18).astype(np.float32)
out = dict(y=y, dx=dx, dw=dw, relu=activations.relu_forward(big), gelu=activations.gelu_forward(big),
           pool=pool.max_pool2d_forward(y, 2)[0], soft=softmax.softmax_forward(big.reshape(256, -1)))
np.savez(sys.argv[3], **out)
import numba
print(numba.threading_layer(), os.environ.get("OMP_WAIT_POLICY", "unset"))
"""


def _orders(tmp_path, tbb):
    script = tmp_path / "orders.py"
    script.write_text(ORDERS)
    found = {}
    for order in ("solo", "torch_first", "torch_after"):
        npz = tmp_path / f"{order}.npz"
        # a parallel kernel runs even on a busy machine
        found[order] = _run_file(script, order, tbb, npz, AUTOGRAD_CORE_ADAPTIVE_THREADS="0")
        found[order].append(dict(np.load(npz)))
    for order in ("torch_first", "torch_after"):
        for name, want in found["solo"][2].items():
            np.testing.assert_array_equal(found[order][2][name], want, err_msg=f"{order}: {name}")
    return {order: tuple(v[:2]) for order, v in found.items()}


@needs_jit
def test_tbb_layer_is_used_in_every_import_order_with_the_same_results(tmp_path):
    pytest.importorskip("torch")
    if not _threads._load_tbb():
        pytest.skip("the tbb package (a dependency on this platform) is not installed")
    # torch's own wait policy is left alone: OMP_WAIT_POLICY is not set for it to read
    assert _orders(tmp_path, "tbb") == {order: ("tbb", "unset")
                                         for order in ("solo", "torch_first", "torch_after")}


@needs_jit
def test_without_tbb_torch_first_selects_workqueue_with_the_same_results(tmp_path):
    pytest.importorskip("torch")
    # Without tbb: passive OpenMP alone or before torch (torch then shares that runtime), and
    # workqueue when torch's spinning libgomp is already loaded.
    assert _orders(tmp_path, "no_tbb") == {"solo": ("omp", "PASSIVE"), "torch_first": ("workqueue", "unset"),
                                           "torch_after": ("omp", "PASSIVE")}


@needs_jit
def test_a_layer_the_user_chose_is_kept():
    pytest.importorskip("torch")
    out = _run("""
import torch, numpy as np, numba
from autograd_core.kernels import activations
activations.relu_forward(np.ones(1 << 18, np.float32))
print(numba.threading_layer())
""", NUMBA_THREADING_LAYER="omp", AUTOGRAD_CORE_ADAPTIVE_THREADS="0")
    assert out == ["omp"]


def test_blas_runs_one_thread_outside_large_gemms():
    pytest.importorskip("threadpoolctl")
    out = _run("""
import threadpoolctl
import autograd_core
from autograd_core.kernels import _threads
blas = lambda: max(i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas")
before = blas()
with _threads.gemm_threads(1024, 1024, 1024):
    inside = blas()
print(before, inside, blas(), _threads.cores())
""", AUTOGRAD_CORE_ADAPTIVE_THREADS="0")
    before, inside, after, cores = map(int, out)
    assert (before, inside, after) == (1, cores, 1)


def test_a_blas_thread_count_the_user_set_is_kept():
    pytest.importorskip("threadpoolctl")
    out = _run("""
import threadpoolctl
import autograd_core
from autograd_core.kernels import _threads
with _threads.gemm_threads(1024, 1024, 1024):
    pass
print(max(i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"))
""", OPENBLAS_NUM_THREADS="2")
    assert out == ["2"]


def test_parallel_kernels_from_several_threads_give_the_right_results():
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(1 << 18).astype(np.float32) for _ in range(4)]
    results = [None] * len(inputs)

    def work(i):
        for _ in range(5):
            results[i] = activations.gelu_forward(inputs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for x, y in zip(inputs, results):
        np.testing.assert_allclose(y, reference.gelu_forward(x.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_set_num_threads_checks_its_argument():
    with pytest.raises(ValueError, match="set_num_threads"):
        _threads.set_num_threads(0)


def test_a_busy_machine_keeps_blas_and_kernels_on_one_thread(monkeypatch):
    calls = []
    monkeypatch.setitem(_threads._state, "adaptive", True)
    monkeypatch.setitem(_threads._state, "busy_checked", -1e9)
    monkeypatch.setattr(_threads.os, "getloadavg", lambda: (_threads.cores() + 1.5, 0.0, 0.0))
    assert _threads.machine_busy()
    monkeypatch.setitem(_threads._state, "blas_low", 1)
    monkeypatch.setitem(_threads._state, "blas_high", 2)
    monkeypatch.setattr(_threads, "_set_blas", calls.append)
    with _threads.gemm_threads(4096, 4096, 4096):
        pass
    assert calls == []  # BLAS was not raised

    class Kernel:
        def serial(self, *args):
            return "serial"

        def compiled(self):
            return lambda *args: "parallel"

    assert _threads.launch(Kernel(), ()) == "serial"
    monkeypatch.setitem(_threads._state, "busy_checked", -1e9)
    monkeypatch.setattr(_threads.os, "getloadavg", lambda: (0.1, 0.0, 0.0))
    assert not _threads.machine_busy()
    assert _threads.launch(Kernel(), ()) == "parallel"


def _fresh_state(monkeypatch, cores=4):
    from autograd_core.kernels import _threads

    for name in ("AUTOGRAD_CORE_BLAS_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                 "NUMBA_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(_threads._state, "cores", cores)
    monkeypatch.setitem(_threads._state, "threads_chosen", False)
    monkeypatch.setitem(_threads._state, "blas_low", 1)
    monkeypatch.setitem(_threads._state, "blas_high", cores)
    calls = []
    monkeypatch.setattr(_threads, "_set_threads", calls.append)
    return _threads, calls


def test_ranks_on_one_machine_share_its_cores(monkeypatch):
    threads, calls = _fresh_state(monkeypatch, cores=4)
    threads.share_cores(1)
    threads.share_cores(2)
    threads.share_cores(3)
    threads.share_cores(8)
    assert calls == [2, 1, 1]  # one process alone keeps every core


def test_a_thread_count_the_user_chose_is_kept(monkeypatch):
    threads, calls = _fresh_state(monkeypatch)
    monkeypatch.setenv("NUMBA_NUM_THREADS", "3")
    threads.share_cores(2)
    monkeypatch.delenv("NUMBA_NUM_THREADS")
    monkeypatch.setitem(threads._state, "threads_chosen", True)
    threads.share_cores(2)
    assert calls == []


def test_set_num_threads_marks_the_choice_and_sets_the_count(monkeypatch):
    threads, calls = _fresh_state(monkeypatch)
    threads.set_num_threads(3)
    assert calls == [3] and threads._state["threads_chosen"]
    with pytest.raises(ValueError, match="set_num_threads"):
        threads.set_num_threads(0)



def test_set_num_threads_before_any_kernel_still_chooses_the_layer():
    """numba.set_num_threads starts numba's threads; called first, it must not pick a layer before
    the kernels choose theirs (tbb where installed)."""
    if not _threads._load_tbb():
        pytest.skip("the tbb package (a dependency on this platform) is not installed")
    out = _run("""
import numpy as np, numba
import autograd_core as ag
from autograd_core.kernels import activations
ag.set_num_threads(2)
activations.relu_forward(np.ones(1 << 18, np.float32))
print(numba.threading_layer())
""", AUTOGRAD_CORE_ADAPTIVE_THREADS="0")
    assert out == ["tbb"]


def test_large_gemms_split_only_while_the_library_manages_blas(monkeypatch):
    """With BLAS held to one thread by the library, a large GEMM is cut into one block per core; a
    BLAS thread count the user set (blas_low None) leaves the product to BLAS's own threads."""
    monkeypatch.setitem(_threads._state, "adaptive", False)
    monkeypatch.setitem(_threads._state, "serial_only", False)
    monkeypatch.setitem(_threads._state, "blas_low", 1)
    monkeypatch.setitem(_threads._state, "blas_high", 2)
    assert _threads.gemm_parts(1024, 1024, 1024) == 2
    assert _threads.gemm_parts(8, 8, 8) == 1  # too small to repay a second core
    monkeypatch.setitem(_threads._state, "blas_low", None)
    assert _threads.gemm_parts(1024, 1024, 1024) == 1
