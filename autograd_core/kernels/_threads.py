"""Who runs on the cores: Numba's threading layer, fork, and how many threads BLAS may use.

Three problems, measured on 2 cores, and what this module does about each:

1. Beside PyTorch. `torch` ships its own `libgomp.so.1`; once it is loaded, Numba's OpenMP layer
   binds to that same runtime (same soname), which read its wait policy when torch was imported:
   unless told otherwise its idle threads spin ~300,000 pauses after every parallel kernel
   (measured: 2-5 ms of CPU per launch, against ~0.04 ms with OMP_WAIT_POLICY=PASSIVE) and starve
   the BLAS threads and the next kernel (CNN step 1.8x, MLP batch 1024 8x slower than alone).
   Numba's own `workqueue` layer avoids that runtime but costs ~32 us a small launch against
   ~7.5 us (OpenMP, passive) and wakes two threads per launch, which a loaded machine makes
   worse: the CNN step's 22 launches made it 1.2-1.8x slower than alone.
   So the kernels use Numba's `tbb` layer whenever the `tbb` package is installed (a dependency
   on the platforms it has wheels for): Intel TBB is a runtime of its own, so nothing torch
   loaded or configured touches it, whichever was imported first. It launches in ~1.3 us; its
   idle workers do spin ~0.5 ms after a kernel (yielding, measured not to slow a two-thread GEMM
   that follows), which only matters when the machine has no spare core, where point 4 runs the
   kernels serially anyway. pip puts libtbb in `<prefix>/lib`, off the loader's path, so
   `_load_tbb` loads it by its full path before Numba looks for it. Without tbb: OpenMP told to
   wait passively (OMP_WAIT_POLICY=PASSIVE, set before libgomp starts), or `workqueue` when
   another library's OpenMP runtime is already loaded and spins. A layer the user chose
   (NUMBA_THREADING_LAYER, NUMBA_THREADING_LAYER_PRIORITY, numba.config) is kept. torch's own
   threads and settings are never changed, except that in the OpenMP fallback the passive wait
   policy is also what a torch imported later reads (it then shares that runtime).

2. fork. GNU OpenMP cannot run a parallel region in a child forked after the parent used it (the
   child aborts: "fork() called from a process already using GNU OpenMP"), so a `multiprocessing`
   pool or DataLoader workers started after training would die. A fork handler marks the child,
   and there every parallel kernel runs its serial twin (one thread per worker, as PyTorch gives
   its DataLoader workers). The tbb layer survives a fork from the main thread (Numba stops and
   restarts TBB around it), so there the child keeps its threads, as with workqueue; after a fork
   from another thread Numba cannot stop TBB first, and the child runs serial twins.

3. Oversubscription. OpenBLAS's idle threads spin too, and on a loaded machine a multi-threaded
   small GEMM or LAPACK call can take 10-20x its single-threaded time (a sweep of np.linalg.lstsq
   on (100, d): 9.3 s with 2 threads, 0.5 s with one, while other processes ran). So at import
   BLAS is held to one thread. A GEMM large enough to repay more cores is cut into blocks on the
   kernels' own threads, one single-threaded BLAS call each (`gemm_parts`, `kernels/gemm.py`), so
   that BLAS's threads never start: they would spin ~0.1 s after each call and halve the speed of
   the parallel kernel that follows. Where NumPy's BLAS cannot be called that way, `gemm_threads`
   raises BLAS to every core for the large GEMM and lowers it again after. BLAS and the kernels
   therefore never hold more threads than cores while either is busy. A thread count the user set through
   OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS or AUTOGRAD_CORE_BLAS_THREADS is kept.

4. Other processes. On a shared machine (this project's benchmarks ran beside six other jobs on
   2 cores) a parallel region waits for its slowest thread, and a descheduled thread stalls it for
   a whole time slice: a GPT step took 60-90 ms with BLAS on one thread and 200-500 ms with two.
   So while the 1-minute load average is at least cores + 1 (checked at most once a second),
   large GEMMs stay on one BLAS thread and parallel kernels run their serial twins.
   AUTOGRAD_CORE_ADAPTIVE_THREADS=0 turns this off.

Parallel kernels hold the GIL, so two Python threads never launch at once; the non-blocking lock
in `launch` keeps that true for any kernel that may release it (a second caller runs serially
instead of doubling the threads).

    >>> from autograd_core.kernels import _threads
    >>> _threads.get_num_threads() >= 1
    True
"""

from __future__ import annotations

import math
import os
import threading
import time

import numpy as np

# A GEMM of at least this many multiply-adds (m*k*n) runs on every core: ~0.1 ms on one core,
# where a second thread's start-up (~20 us) is repaid.
GEMM_PARALLEL_MIN = 1 << 21

_BLAS_ENV = ("AUTOGRAD_CORE_BLAS_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# A stack of GEMMs is split over the cores (see `batched_matmul`) from this many multiply-adds on.
BATCHED_PARALLEL_MIN = 1 << 19

_launch_lock = threading.Lock()
_state = {
    "serial_only": False,  # set in a child forked after GNU OpenMP ran in the parent (point 2)
    "fork_from_main": True,  # the last fork came from the main thread
    "blas": None,  # the BLAS controllers from threadpoolctl, found once
    "blas_low": None,  # threads BLAS keeps outside large GEMMs (None: leave BLAS alone)
    "blas_high": None,  # threads for a large GEMM
    "blas_now": None,
    "layer_chosen": False,
    "pool": None,  # worker threads for `batched_matmul`, started on first use
    "busy": False,  # the machine's run queue exceeds its cores (point 4)
    "busy_checked": -1e9,
    "adaptive": os.environ.get("AUTOGRAD_CORE_ADAPTIVE_THREADS", "1") != "0",
    "cores": None,  # CPUs this process may run on (`cores`)
    "threads_chosen": False,  # the user called set_num_threads
}

LOAD_CHECK_S = 1.0  # how often the load average is read (a ~5 us read of /proc/loadavg)


def machine_busy() -> bool:
    """True while other processes keep more threads runnable than this machine has cores."""
    if not _state["adaptive"]:
        return False
    now = time.monotonic()
    if now - _state["busy_checked"] > LOAD_CHECK_S:
        _state["busy_checked"] = now
        try:
            _state["busy"] = os.getloadavg()[0] >= cores() + 1
        except (OSError, AttributeError):  # no load average on this platform
            _state["busy"] = False
    return _state["busy"]


def cores() -> int:
    """CPUs this process may run on, read once (a system call of ~1 us, and the matmul ops ask on
    every call); as PyTorch's thread count, it does not follow later affinity changes."""
    found = _state["cores"]
    if found is None:
        try:
            found = len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            found = os.cpu_count() or 1
        _state["cores"] = found
    return found


def _foreign_openmp_spins() -> bool:
    """True when an OpenMP runtime is already loaded and was not told to wait passively."""
    if os.environ.get("OMP_WAIT_POLICY", "").upper() == "PASSIVE":
        return False
    try:
        with open("/proc/self/maps") as maps:
            names = {line.rsplit("/", 1)[-1].strip() for line in maps if "/" in line}
    except OSError:
        return False
    return any(name.startswith(("libgomp", "libiomp", "libomp")) for name in names)


_TBB_NAMES = {"linux": "libtbb.so.12", "darwin": "libtbb.12.dylib", "win32": "tbb12.dll"}
TBB_MIN_INTERFACE = 12060  # the oldest TBB Numba's tbb layer accepts (2021 update 6)


def _load_tbb() -> bool:
    """Make the TBB runtime of the `tbb` package loadable by Numba; True when it is.

    Loaded once with RTLD_GLOBAL by its full path, later lookups by name (Numba's, and the
    dynamic loader's for Numba's tbbpool extension) find it already in the process."""
    import ctypes
    import sys

    name = _TBB_NAMES.get(sys.platform)
    if name is None:
        return False
    try:
        lib = ctypes.CDLL(name)  # already on the loader's path (conda, a system package)
    except OSError:
        lib = None
        try:
            from importlib import metadata

            files = metadata.distribution("tbb").files or []
            found = [f for f in files if f.name == name]
        except Exception:  # not installed, or metadata without a file list
            found = []
        for entry in found:
            path = str(entry.locate())
            try:
                if sys.platform == "win32":
                    os.add_dll_directory(os.path.dirname(path))
                lib = ctypes.CDLL(path, mode=getattr(ctypes, "RTLD_GLOBAL", 0))
                break
            except OSError:
                continue
    if lib is None:
        return False
    try:
        version = lib.TBB_runtime_interface_version
        version.restype = ctypes.c_int
        return version() >= TBB_MIN_INTERFACE
    except AttributeError:
        return False


def choose_threading_layer(numba) -> None:
    """Called once, after `import numba` and before the first parallel kernel (see point 1)."""
    _state["layer_chosen"] = True
    config = numba.config
    if (os.environ.get("NUMBA_THREADING_LAYER") or os.environ.get("NUMBA_THREADING_LAYER_PRIORITY")
            or str(config.THREADING_LAYER).lower() != "default"
            or list(config.THREADING_LAYER_PRIORITY) != ["tbb", "omp", "workqueue"]):
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # the user's layer; if it is omp, no spinning
        return
    if _load_tbb():
        # "default" tries the priority order and falls back to the next layer if one fails to load.
        if _foreign_openmp_spins():
            config.THREADING_LAYER_PRIORITY = ["tbb", "workqueue", "omp"]
        return
    if _foreign_openmp_spins():
        config.THREADING_LAYER = "workqueue"
    else:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when libgomp starts


def layer_chosen() -> bool:
    return _state["layer_chosen"]


def _before_fork() -> None:
    _state["fork_from_main"] = threading.current_thread() is threading.main_thread()


def _after_fork_in_child() -> None:
    _state["pool"] = None  # its threads did not survive the fork
    # GNU OpenMP breaks in the child, and TBB may when the fork came from a thread other than the
    # one that started it (Numba can stop TBB only from that one, as a rule the main thread);
    # workqueue restarts its threads itself.
    if _state["layer_chosen"]:
        try:
            from numba.np.ufunc import parallel

            layer = parallel._threading_layer if parallel._is_initialized else None
        except (ImportError, AttributeError):
            layer = "omp"  # cannot tell: be safe
        if layer == "omp" or (layer == "tbb" and not _state.get("fork_from_main", True)):
            _state["serial_only"] = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


def launch(kernel, args):
    """Run a parallel kernel, or its serial twin in a forked child or while another thread runs one."""
    if _state["serial_only"] or machine_busy() or not _launch_lock.acquire(blocking=False):
        return kernel.serial(*args)
    try:
        return kernel.compiled()(*args)
    finally:
        _launch_lock.release()


# ---- BLAS ----------------------------------------------------------------------------------------


def _blas_controllers():
    if _state["blas"] is None:
        try:
            import threadpoolctl

            found = threadpoolctl.ThreadpoolController().select(user_api="blas").lib_controllers
        except Exception:  # threadpoolctl missing or a library it cannot read: leave BLAS alone
            found = []
        _state["blas"] = found
    return _state["blas"]


def _set_blas(n: int) -> None:
    if _state["blas_now"] != n:
        for controller in _blas_controllers():
            controller.set_num_threads(n)
        _state["blas_now"] = n


def configure_blas() -> None:
    """At import: BLAS on one thread outside large GEMMs, unless the user chose a count."""
    if any(os.environ.get(name) for name in _BLAS_ENV):
        return
    if not _blas_controllers():
        return
    _state["blas_low"], _state["blas_high"] = 1, cores()
    _set_blas(1)


def gemm_parts(m: int, k: int, n: int) -> int:
    """Blocks a GEMM of m*k*n multiply-adds is cut into, one per kernel thread (`gemm.split`);
    1 for one BLAS call on the calling thread (small work, a loaded machine, a forked child, or a
    BLAS thread count the user chose, which BLAS's own threads then honour)."""
    if (_state["blas_low"] is None or m * k * n < GEMM_PARALLEL_MIN or _state["serial_only"]
            or machine_busy()):
        return 1
    return _state["blas_high"]


class gemm_threads:  # noqa: N801 - used as a context manager, like a function
    """Every core for BLAS while a GEMM of m*k*n multiply-adds at least `GEMM_PARALLEL_MIN` runs.
    A small class rather than a generator: it wraps every matmul, so its cost matters."""

    __slots__ = ("raised",)

    def __init__(self, m: int, k: int, n: int):
        low = _state["blas_low"]
        self.raised = not (low is None or m * k * n < GEMM_PARALLEL_MIN or machine_busy())

    def __enter__(self):
        if self.raised:
            _set_blas(_state["blas_high"])
        return self

    def __exit__(self, *exc):
        if self.raised:
            _set_blas(_state["blas_low"])
        return False


def _pool():
    if _state["pool"] is None:
        from concurrent.futures import ThreadPoolExecutor

        _state["pool"] = ThreadPoolExecutor(max(1, cores() - 1), thread_name_prefix="autograd_core-gemm")
    return _state["pool"]


def batched_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.matmul(a, b) for stacks with the same batch dims, the batch split over the cores.

    numpy.matmul runs a stack as one small GEMM after another, and with BLAS held to one thread
    (point 3) that uses one core. `gemm.stacked` splits the stack in a parallel kernel, one BLAS call
    per matrix (1.5-1.9x on 2 cores for attention-sized stacks, 32 x (64, 32) @ (32, 64) and up),
    or register tiles of its own on AVX-512 (`tiles`: 16 x (64, 64) @ (64, 64) in 20 us, against 41).
    Where it does not apply (no BLAS address found, other dtypes, more than two batch dims) the
    calling thread and `cores() - 1` pool threads each take a share of the batch into one output
    array, NumPy releasing the GIL inside the GEMMs (~20 us a hand-off).

        >>> batched_matmul(np.ones((2, 1, 3)), np.ones((2, 3, 1)))[:, 0, 0]
        array([3., 3.])
    """
    parts = min(cores() if _state["blas_low"] is not None else 1, a.shape[0] if a.ndim >= 3 else 1)
    if (parts < 2 or _state["serial_only"] or machine_busy()
            or a.ndim != b.ndim or a.shape[:-2] != b.shape[:-2]
            or a.shape[-1] != b.shape[-2]
            or math.prod(a.shape[:-1]) * a.shape[-1] * b.shape[-1] < BATCHED_PARALLEL_MIN):
        return np.matmul(a, b)
    from .gemm import stacked

    out = stacked(a, b)
    if out is not None:
        return out
    out = np.empty(a.shape[:-1] + b.shape[-1:], np.result_type(a, b))
    bounds = np.linspace(0, a.shape[0], parts + 1).astype(int)
    jobs = [_pool().submit(np.matmul, a[lo:hi], b[lo:hi], out=out[lo:hi])
            for lo, hi in zip(bounds[1:-1], bounds[2:])]
    np.matmul(a[:bounds[1]], b[:bounds[1]], out=out[:bounds[1]])
    for job in jobs:
        job.result()
    return out


def set_num_threads(n: int) -> None:
    """Threads for the kernels and for large GEMMs (as `torch.set_num_threads`)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    _state["threads_chosen"] = True
    _set_threads(n)


def _set_threads(n: int) -> None:
    if _state["blas_low"] is not None:
        _state["blas_high"] = n
    else:
        _set_blas(n)
    # The user asked for threads: paying numba's import here is expected. Through `_import_numba`,
    # so that the threading layer is chosen (point 1) before numba starts its threads.
    from ._jit import _import_numba

    numba = _import_numba()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))


def share_cores(processes: int) -> None:
    """`processes` processes of one job run on this machine (the ranks of an MPI job, told by
    `distributed.init_process_group`): each takes cores() // processes threads for its kernels
    and GEMMs, so that together they do not oversubscribe the cores. A thread count the user chose
    (`set_num_threads`, or OPENBLAS/OMP/MKL/NUMBA_NUM_THREADS, AUTOGRAD_CORE_BLAS_THREADS) is kept.
    PyTorch's torchrun sets one thread per process in the same situation."""
    if (processes <= 1 or _state["threads_chosen"]
            or any(os.environ.get(name) for name in _BLAS_ENV + ("NUMBA_NUM_THREADS",))):
        return
    _set_threads(max(1, cores() // processes))


def get_num_threads() -> int:
    """Threads a large GEMM or a parallel kernel uses."""
    return _state["blas_high"] or cores()
