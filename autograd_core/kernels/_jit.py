"""What the kernel modules share: a lazy `njit`, when to go parallel, and the checks at the boundary.

`import numba` costs about 0.25 s, so nothing here imports it. `njit` below records the function and
its options; numba is imported and the loop compiled (or loaded from numba's on-disk cache) on the
first call. Inside a jitted function, `prange` and calls to other `njit` functions are the real numba
objects; called from Python, `prange` is plain `range`. A `parallel=True` kernel also has a serial
twin, `kernel.serial`, for inputs too small to repay a parallel launch; `sized` picks one.

A kernel module uses them like this:

    from ._jit import PARALLEL_MIN_CHEAP, njit, prange, sized

    @njit(cache=True, parallel=True)
    def _double(x, out):
        for i in prange(x.size):  # iteration i writes out[i] only
            out[i] = 2 * x[i]

    def double(x):
        out = np.empty_like(x)
        sized(_double, x.size, PARALLEL_MIN_CHEAP)(x, out)  # the serial twin below the threshold
        return out
"""

from __future__ import annotations

import functools
import types

import numpy as np

from . import _threads
from ._cache import jit_cached

# Below these sizes a kernel runs its serial loop. A parallel launch costs ~2 us while numba's OpenMP
# threads still spin from the last launch and ~20 us once they sleep (OMP_WAIT_POLICY=PASSIVE), ~1.3 us
# with the tbb layer (kernels/_threads.py) and ~32 us with workqueue; measured on 2 cores, loops of
# plain arithmetic break even near 1e5 elements, loops calling exp/erf/log near 1e4.
PARALLEL_MIN_CHEAP = 1 << 17
PARALLEL_MIN_MATH = 1 << 14

# reassoc lets LLVM split a sum over SIMD lanes, contract lets it fuse a*b+c. No nnan/ninf: NaN and
# inf must keep propagating as in NumPy and PyTorch.
FASTMATH = {"reassoc", "contract"}

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
HALF = np.dtype(np.float16)

# fastmath for loops calling the vectorised math of `_vmath`: fused multiply-adds only. reassoc
# would let LLVM regroup the range reductions there and lose their extra precision.
CONTRACT = {"contract"}

Size2 = int | tuple[int, int]  # a 2-d kernel's size, stride, padding or dilation: one int, or (h, w)


def prange(*args):
    """Stands for `numba.prange`: plain `range` when called from Python."""
    return range(*args)


class LazyKernel:
    """A function to be compiled by `numba.njit(**options)` on its first call.

    A parallel kernel also has `.serial`: the same loop compiled without `parallel=True` (its `prange`
    runs as `range`), for inputs too small to repay a parallel launch. It is cached under its own name.
    """

    def __init__(self, py_func, options, suffix=""):
        self.py_func = py_func
        self.options = options
        self.suffix = suffix
        self._compiled = None
        self._serial = None
        self.__doc__ = py_func.__doc__
        self.__name__ = py_func.__name__ + suffix

    def __call__(self, *args):
        if self.options.get("parallel"):
            return _threads.launch(self, args)  # serial in a forked child (see _threads)
        return self.compiled()(*args)

    def compiled(self):
        """The numba dispatcher, compiled or loaded from the cache on first use."""
        if self._compiled is None:
            self._compiled = self._build()
        return self._compiled

    @property
    def serial(self) -> LazyKernel:
        if not self.options.get("parallel"):
            return self
        if self._serial is None:
            self._serial = LazyKernel(self.py_func, dict(self.options, parallel=False), "__serial")
        return self._serial

    def _build(self):
        numba = _import_numba()

        # Numba reads globals when it compiles: give it a copy of the module's namespace in which
        # `prange` is numba's and every lazy kernel this one calls is already a numba function. The
        # code object is the same, so numba's cache (keyed by file, qualified name and bytecode) applies.
        namespace = dict(self.py_func.__globals__)
        for name in self.py_func.__code__.co_names:
            value = namespace.get(name)
            if value is prange:
                namespace[name] = numba.prange
            elif isinstance(value, LazyKernel):
                if value._compiled is None:
                    value._compiled = value._build()
                namespace[name] = value._compiled
            elif isinstance(value, LazyIntrinsic):
                namespace[name] = value.build(numba)
        func = types.FunctionType(
            self.py_func.__code__, namespace, self.py_func.__name__,
            self.py_func.__defaults__, self.py_func.__closure__,
        )
        func.__qualname__ = self.py_func.__qualname__ + self.suffix  # a separate cache entry per variant
        func.__module__ = self.py_func.__module__
        return jit_cached(numba, func, self.options)  # numba's njit, with the cache of _cache.py


class LazyIntrinsic:
    """A numba intrinsic (LLVM code for one scalar operation) made when a kernel that calls it is
    compiled: `make(numba)` returns it. Called from Python (or with NUMBA_DISABLE_JIT=1), `py_func` runs.
    """

    def __init__(self, make, py_func):
        self.make = make
        self.py_func = py_func
        self._made = None
        self.__name__ = py_func.__name__
        self.__doc__ = py_func.__doc__

    def __call__(self, *args):
        return self.py_func(*args)

    def build(self, numba):
        if numba.config.DISABLE_JIT:
            return self.py_func
        if self._made is None:
            self._made = self.make(numba)
        return self._made


def _import_numba():
    """Import numba and choose its threading layer before the first parallel kernel.

    On few cores, threads that spin after a parallel kernel starve the BLAS threads of
    the matmul that usually comes next: measured on 2 cores, a pooling kernel followed by
    a matmul took 8 ms instead of 1.6 ms, and under outside load spinning made steps
    10-60x slower. `_threads.choose_threading_layer` picks Numba's tbb layer (a runtime of
    its own, whatever torch loaded first), else OpenMP told to wait passively (libgomp reads
    OMP_WAIT_POLICY when numba's layer starts, so setting it here works), or numba's own
    workqueue when another library's OpenMP runtime is already loaded.
    """
    import numba

    if not _threads.layer_chosen():
        _threads.choose_threading_layer(numba)
    return numba


def njit(*, cache: bool, **options):
    """`numba.njit` that compiles on first call; `cache=True` is required at every use."""
    if not cache:
        raise ValueError("kernels are compiled with cache=True")

    def wrap(py_func):
        return LazyKernel(py_func, dict(options, cache=True))

    return wrap


def sized(kernel: LazyKernel, size: int, threshold: int) -> LazyKernel:
    """`kernel` itself from `threshold` elements on, its serial twin below."""
    return kernel if size >= threshold else kernel.serial


def float_array(a, kernel: str, name: str = "x") -> np.ndarray:
    """`a` as a C-contiguous float32/float64 array; float16 comes back as float32 (the kernels
    compute in float32 for it, as PyTorch does on the CPU; `half_in_float32` casts the results
    back). Any other dtype: TypeError naming the kernel and the dtype."""
    a = np.asarray(a)
    if a.dtype == HALF:
        return np.asarray(a, dtype=np.float32, order="C")
    if a.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{kernel}: {name} must be float16, float32 or float64, got {a.dtype} "
                        f"with shape {a.shape}")
    return np.asarray(a, order="C")  # not ascontiguousarray, which turns a 0-d array into 1-d


def _as_half(result):
    if isinstance(result, np.ndarray):  # float64 side results (layer norm's statistics) stay float64
        return result.astype(HALF) if result.dtype == np.float32 else result
    if isinstance(result, tuple):
        return tuple(_as_half(r) for r in result)
    return result


def half_in_float32(kernel):
    """Decorates a public kernel: when an array argument is float16, the kernel computes in float32
    (`float_array` converts it) and its float32 results are returned as float16.

        >>> half_in_float32(lambda x: float_array(x, "double") * 2)(np.ones(2, np.float16)).dtype
        dtype('float16')
    """
    @functools.wraps(kernel)
    def wrapper(*args, **kwargs):
        result = kernel(*args, **kwargs)
        for a in args:  # a plain loop: this runs on every activation call
            if type(a) is np.ndarray and a.dtype.char == "e":
                return _as_half(result)
        return result

    return wrapper


def same_shape(a, ref: np.ndarray, kernel: str, name: str, ref_name: str = "x") -> np.ndarray:
    """`a` as a C-contiguous array of `ref`'s dtype; ValueError if the shapes differ."""
    a = np.asarray(a)
    if a.shape != ref.shape:
        raise ValueError(f"{kernel}: {name} has shape {a.shape} but {ref_name} has shape {ref.shape}")
    return np.asarray(a, dtype=ref.dtype, order="C")


def int_pair(v, kernel: str, name: str, low: int) -> tuple[int, int]:
    """An int or a pair of ints as a pair, each at least `low`."""
    pair = (v, v) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(pair) != 2 or not all(isinstance(p, (int, np.integer)) for p in pair):
        raise ValueError(f"{kernel}: {name} must be an int or a pair of ints, got {v!r}")
    if min(pair) < low:
        raise ValueError(f"{kernel}: {name} must be >= {low}, got {v!r}")
    return int(pair[0]), int(pair[1])


def int_single(v, kernel: str, name: str, low: int) -> int:
    """An int (or a 1-tuple of one) that is at least `low`."""
    if isinstance(v, (tuple, list)) and len(v) == 1:
        v = v[0]
    if not isinstance(v, (int, np.integer)):
        raise ValueError(f"{kernel}: {name} must be an int, got {v!r}")
    if v < low:
        raise ValueError(f"{kernel}: {name} must be >= {low}, got {v!r}")
    return int(v)
