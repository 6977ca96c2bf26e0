"""GEMMs split over the cores on the kernels' threads: register tiles on AVX-512, else one
single-threaded BLAS call per block.

Two uses: a large 2-D product cut into blocks of rows or columns (`split`, for `ops.linalg.gemm`:
BLAS's own threads never start, see `_threads` point 3), and a stack of small GEMMs split by matrix
(`stacked`).

numpy.matmul runs a stack such as attention's (64 x (64, 32) @ (32, 64)) as one small GEMM after
another on the calling thread. Splitting the stack between Python threads (NumPy releases the GIL
in each GEMM) costs ~20-40 us a hand-off, as much as the work it shares at these sizes. Here the
split is a `prange` over the matrices, so the hand-off is the kernels' own (~2 us with the tbb
layer), and each iteration calls the single-threaded `?gemm` of the BLAS NumPy itself uses, through
its address (`blas_gemm`), found once with threadpoolctl and checked on a small product before it
is trusted. Measured on 2 cores, 64 x (64, 32) @ (32, 64) float32: 92 us against 162 us for
numpy.matmul and 155 us for the Python threads (PyTorch's bmm: 94 us).

Where the kernels are compiled for AVX-512F (`tiled`), both uses compute each block in register
tiles of their own instead of calling BLAS (`tiles`). NumPy's OpenBLAS runs its 256-bit Haswell
kernels here (the environment sets OPENBLAS_CORETYPE=Haswell) on a Zen 5 CPU with 512-bit FMA
units: float32, (64, 64) @ (64, 64) takes 2.0 us against 5.4, and (128, 784) @ (784, 256) on 2
cores 122 us against 238 (one block per core each).

Where neither applies (NumPy built on another BLAS, a platform threadpoolctl cannot read), with
NUMBA_DISABLE_JIT, or for dtypes other than float32/float64, `split` and `stacked` return None and
the caller uses numpy.matmul: the plain-NumPy twin, and the reference the tests compare with.

    >>> out = stacked(np.ones((4, 2, 3), np.float32), np.ones((4, 3, 5), np.float32))
    >>> out is None or out.shape == (4, 2, 5)
    True
"""

from __future__ import annotations

import platform

import numpy as np

from . import tiles
from ._jit import LazyIntrinsic, njit, prange

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112  # CBLAS enum values
_TILED = (np.dtype(np.float32), np.dtype(np.float64))
_GEMM = {"found": False, np.dtype(np.float32): 0, np.dtype(np.float64): 0}


def _make_call(numba):
    """An intrinsic calling cblas_?gemm at an address held in an int64: one indirect call in LLVM.

    Integers go as 64-bit values: an ILP64 BLAS (NumPy's `scipy_cblas_sgemm64_`) takes them as they
    are, and on x86-64, where each argument has a register or an 8-byte stack slot, an LP64 BLAS
    reads the low 32 bits of each (`_find_gemm` uses LP64 builds there only)."""
    from llvmlite import ir
    from numba.core import types
    from numba.extending import intrinsic

    @intrinsic
    def call_gemm(typingctx, fn, ta, tb, m, n, k, alpha, a, lda, b, ldb, c, ldc):
        if not isinstance(alpha, types.Float):
            return None
        sig = types.void(types.int64, types.int64, types.int64, types.int64, types.int64, types.int64,
                         alpha, types.int64, types.int64, types.int64, types.int64, types.int64,
                         types.int64)

        def codegen(context, builder, signature, args):
            i64 = ir.IntType(64)
            real = ir.FloatType() if signature.args[6] == types.float32 else ir.DoubleType()
            fnty = ir.FunctionType(ir.VoidType(), [i64] * 6 + [real] + [i64] * 4 + [real] + [i64] * 2)
            target = builder.inttoptr(args[0], fnty.as_pointer())
            ints = [context.cast(builder, v, t, types.int64) for v, t in zip(args, signature.args)]
            zero = ir.Constant(real, 0.0)
            builder.call(target, [ir.Constant(i64, _ROW_MAJOR), ints[1], ints[2], ints[3], ints[4], ints[5],
                                  args[6], ints[7], ints[8], ints[9], ints[10], zero, ints[11], ints[12]])
            return context.get_dummy_value()

        return sig, codegen

    return call_gemm


def _call_gemm_py(fn, ta, tb, m, n, k, alpha, a, lda, b, ldb, c, ldc):
    """The same call through ctypes (the loop run as Python)."""
    import ctypes

    real = ctypes.c_float if np.asarray(alpha).dtype == np.float32 else ctypes.c_double
    i64 = ctypes.c_int64
    proto = ctypes.CFUNCTYPE(None, i64, i64, i64, i64, i64, i64, real, i64, i64, i64, i64, real, i64, i64)
    proto(int(fn))(_ROW_MAJOR, int(ta), int(tb), int(m), int(n), int(k), float(alpha), int(a), int(lda),
                   int(b), int(ldb), 0.0, int(c), int(ldc))


call_gemm = LazyIntrinsic(_make_call, _call_gemm_py)


@njit(cache=True, parallel=True)
def _gemm4(fn, a, b, out, ta, lda, tb, ldb, alpha):
    """out[i, j] = a[i, j] @ b[i, j] for each (i, j) of the two batch dims, one BLAS call each: a and
    b are strided views whose matrices BLAS reads in place (`_layout`), out is C-contiguous."""
    inner, m, n, k = out.shape[1], out.shape[2], out.shape[3], a.shape[3]
    sa0, sa1, sb0, sb1 = a.strides[0], a.strides[1], b.strides[0], b.strides[1]
    pa, pb, pc = a.ctypes.data, b.ctypes.data, out.ctypes.data
    step = m * n * out.itemsize
    for i in prange(out.shape[0] * inner):
        i0 = i // inner
        i1 = i - i0 * inner
        call_gemm(fn, ta, tb, m, n, k, alpha, pa + i0 * sa0 + i1 * sa1, lda, pb + i0 * sb0 + i1 * sb1, ldb,
                  pc + i * step, n)


def _layout(x: np.ndarray) -> tuple[int, int] | None:
    """(CBLAS transpose flag, leading dimension) under which BLAS reads each matrix of `x`
    (its last two dims) in place, or None when it cannot (negative, zero or odd strides)."""
    size = x.itemsize
    r, c = x.shape[-2], x.shape[-1]
    sr, sc = x.strides[-2], x.strides[-1]
    if (sc == size or c == 1) and sr % size == 0 and sr // size >= max(1, c):
        return _NO_TRANS, sr // size
    if (sr == size or r == 1) and sc % size == 0 and sc // size >= max(1, r):
        return _TRANS, sc // size
    if r == 1 and c == 1:
        return _NO_TRANS, 1
    return None


def _readable(x: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """`x` (or a C-contiguous copy when BLAS cannot read it in place) and its `_layout`."""
    layout = _layout(x) if x.flags.aligned else None
    if layout is None:
        x = np.ascontiguousarray(x)
        layout = (_NO_TRANS, x.shape[-1])
    return x, layout


def _element_strides(layout: tuple[int, int]) -> tuple[int, int]:
    """The (row, column) strides in elements of a matrix with this `_layout`, as `tiles` reads it."""
    flag, ld = layout
    return (ld, 1) if flag == _NO_TRANS else (1, ld)


def blas_gemm(dtype) -> int:
    """Address of NumPy's BLAS cblas_?gemm for float32/float64 (0 when unavailable), found once."""
    if not _GEMM["found"]:
        _GEMM["found"] = True
        _GEMM.update(_find_gemm())
    return _GEMM.get(dtype, 0)


def _find_gemm() -> dict:
    import ctypes

    from ._jit import _import_numba

    if _import_numba().config.DISABLE_JIT:
        return {}
    try:
        import threadpoolctl

        paths = [c.filepath for c in threadpoolctl.ThreadpoolController().select(internal_api="openblas")
                 .lib_controllers]
    except Exception:  # threadpoolctl missing, or a library it cannot read
        return {}
    found = {}
    for path in paths:
        try:
            lib = ctypes.CDLL(path)  # already loaded by NumPy: the same handle
        except OSError:
            continue
        for dtype, letter in ((np.dtype(np.float32), "s"), (np.dtype(np.float64), "d")):
            for affix in _AFFIXES:  # as OpenBLAS builds name their symbols (threadpoolctl's list)
                fn = getattr(lib, affix[0] + f"cblas_{letter}gemm" + affix[1], None)
                if fn is not None:
                    break
            # 64-bit integers fit an LP64 BLAS only where each stack argument takes an 8-byte slot
            # (x86-64); elsewhere (Apple's arm64 packs them) only an ILP64 build is called.
            if fn is None or dtype in found or not (affix[1] or _EIGHT_BYTE_SLOTS):
                continue
            address = ctypes.cast(fn, ctypes.c_void_p).value or 0
            if address and _verified(fn, dtype):
                found[dtype] = address
    return found


_AFFIXES = (("", ""), ("scipy_", "64_"), ("", "64_"), ("scipy_", ""), ("", "_64"), ("scipy_", "_64"))
_EIGHT_BYTE_SLOTS = platform.machine().lower() in ("x86_64", "amd64")


def _verified(fn, dtype) -> bool:
    """Call the function through ctypes on a small transposed product; trust it only if it agrees
    with numpy.matmul (a wrong symbol or calling convention shows up here, not in a kernel)."""
    import ctypes

    real = ctypes.c_float if dtype == np.float32 else ctypes.c_double
    fn.restype = None
    fn.argtypes = [ctypes.c_int64] * 6 + [real] + [ctypes.c_void_p, ctypes.c_int64] * 2 + [real] + [
        ctypes.c_void_p, ctypes.c_int64]
    a = np.arange(1, 7, dtype=dtype).reshape(2, 3)  # read as a.T: (3, 2)
    b = np.arange(1, 9, dtype=dtype).reshape(2, 4)
    out = np.full((3, 4), np.nan, dtype)
    try:
        fn(_ROW_MAJOR, _TRANS, _NO_TRANS, 3, 4, 2, 1.0, a.ctypes.data, 3, b.ctypes.data, 4, 0.0,
           out.ctypes.data, 4)
    except Exception:
        return False
    return bool(np.array_equal(out, a.T @ b))


def tiled(dtype, m: int, k: int, n: int) -> bool:
    """True when `split` and `stacked` compute (m, k) @ (k, n) products of `dtype` in register
    tiles (`tiles`): compiled for AVX-512F, and a size the tiles serve (`tiles.suits`)."""
    return dtype in _TILED and tiles.suits(dtype.itemsize, m, k, n) and tiles.fits()


def stacked(a: np.ndarray, b: np.ndarray, parallel: bool = True) -> np.ndarray | None:
    """a @ b for two stacks with the same batch dims (at most two of them), float32 or float64,
    split over the kernels' threads (or on the calling thread: `parallel=False`), in register tiles
    where `tiled` and one BLAS call per matrix elsewhere; None where neither applies (then use
    numpy.matmul).

        >>> stacked(np.ones((2, 2, 3)), np.ones((2, 3, 1), np.float32)) is None  # mixed dtypes
        True
    """
    dtype = a.dtype
    if (b.dtype != dtype or a.ndim != b.ndim or not 3 <= a.ndim <= 4 or a.shape[:-2] != b.shape[:-2]
            or a.shape[-1] != b.shape[-2] or 0 in a.shape or 0 in b.shape):
        return None
    wide = tiled(dtype, a.shape[-2], a.shape[-1], b.shape[-1])
    fn = 0 if wide else blas_gemm(dtype)
    if not (wide or fn):
        return None
    three = a.ndim == 3
    if three:
        a, b = a[None], b[None]
    a, la = _readable(a)
    b, lb = _readable(b)
    if wide:
        out = tiles.stack(a, b, *_element_strides(la), lb[1], lb[0] == _TRANS, parallel)
    else:
        out = np.empty(a.shape[:-1] + b.shape[-1:], dtype)
        (_gemm4 if parallel else _gemm4.serial)(fn, a, b, out, la[0], la[1], lb[0], lb[1], dtype.type(1.0))
    return out[0] if three else out


@njit(cache=True, parallel=True)
def _gemm_split(fn, a, b, out, ta, lda, tb, ldb, alpha, parts, by_rows, bias, with_bias):
    """out = a @ b (+ bias on every row) for 2-D operands, out's rows (or columns) cut into `parts`
    blocks, one BLAS call each, the bias added to a block while it is still in that core's cache;
    out is C-contiguous."""
    m, n, k = out.shape[0], out.shape[1], a.shape[1]
    size = out.itemsize
    pa, pb, pc = a.ctypes.data, b.ctypes.data, out.ctypes.data
    for p in prange(parts):
        if by_rows:
            lo, hi = m * p // parts, m * (p + 1) // parts
            row = lda if ta == _NO_TRANS else 1  # where row `lo` of a starts, in elements
            call_gemm(fn, ta, tb, hi - lo, n, k, alpha, pa + lo * row * size, lda, pb, ldb, pc + lo * n * size, n)
            if with_bias:
                for i in range(lo, hi):
                    row = out[i]
                    for j in range(n):
                        row[j] += bias[j]
        else:
            lo, hi = n * p // parts, n * (p + 1) // parts
            col = 1 if tb == _NO_TRANS else ldb
            call_gemm(fn, ta, tb, m, hi - lo, k, alpha, pa, lda, pb + lo * col * size, ldb, pc + lo * size, n)
            if with_bias:
                for i in range(m):
                    row = out[i]  # a 1-d view: the loop vectorises (out[i, j] took ~3 ns an element)
                    for j in range(lo, hi):
                        row[j] += bias[j]


def split(a: np.ndarray, b: np.ndarray, parts: int, out: np.ndarray | None = None,
          bias: np.ndarray | None = None) -> np.ndarray | None:
    """a @ b (+ bias, a vector of b.shape[1] added to every row) for 2-D float32/float64 operands,
    cut into `parts` blocks run on the kernels' threads: register tiles where `tiled`, else BLAS on
    one thread in each; None where this path does not apply (then use numpy.matmul).

        >>> r = split(np.ones((4, 3)), np.ones((3, 2)), 2, bias=np.array([1.0, 2.0]))
        >>> r is None or r.tolist() == [[4.0, 5.0]] * 4
        True
    """
    dtype = a.dtype
    if (b.dtype != dtype or a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0] or 0 in a.shape
            or 0 in b.shape or (out is not None and (out.dtype != dtype or not out.flags.c_contiguous))
            or (bias is not None and (bias.dtype != dtype or bias.shape != (b.shape[1],)))):
        return None
    wide = tiled(dtype, a.shape[-2], a.shape[-1], b.shape[-1])
    fn = 0 if wide else blas_gemm(dtype)
    if not (wide or fn):
        return None
    a, la = _readable(a)
    b, lb = _readable(b)
    if wide:
        return tiles.gemm(a, b, *_element_strides(la), lb[1], lb[0] == _TRANS, parts, out, bias)
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), dtype)
    # Blocks of rows unless there are few: each block then reads b whole, and measured on 2 cores
    # rows beat columns from ~32 rows whatever the shape ((128,784)@(784,256): 237 against 252 us).
    by_rows = a.shape[0] >= 16 * parts or a.shape[0] >= b.shape[1]
    _gemm_split(fn, a, b, out, la[0], la[1], lb[0], lb[1], dtype.type(1.0), parts, by_rows,
                tiles.NO_BIAS[dtype] if bias is None else bias, bias is not None)
    return out

