"""Matrix products held in registers, on AVX-512 CPUs: stacks of small ones and 2-D GEMMs.

`gemm.stacked` ran a stack like 16 x (64, 64) @ (64, 64) as one BLAS call per matrix, and
`gemm.split` a 2-D product as one BLAS call per core. NumPy's OpenBLAS is a DYNAMIC_ARCH build, and
on this machine's CPU (AMD Zen 5, two 512-bit FMA units) it runs its Haswell kernels, 256 bits wide,
and packs both operands on every call: ~120 GFLOP/s a core at best, 98 for one (64, 64) @ (64, 64)
product (5.4 us). Here a product is cut into tiles of 8 rows by two 512-bit vectors of columns
(32 float32, 16 float64, the last one masked), or 16 rows by one vector when there are few
columns. A tile keeps its 16 accumulators in registers through the whole k loop. Each step loads the
tile's row of `b`, and for each row broadcasts one element of `a` and issues one FMA per vector.
Measured on one core, float32: (64, 64) @ (64, 64) in 2.0 us (260 GFLOP/s), (128, 784) @ (784, 256)
in 215 us (240 GFLOP/s, BLAS: 420 us). A 2-D product gives each thread a block of whole tiles, one
column panel of `b` at a time (kept in cache while the block's row tiles read it).

Nothing is packed except a `b` stored column by column (a Linear layer's `x @ w.T`), which is copied
row by row into scratch first (~0.26 ns an element). `a` is read one element at a time, so any
strides serve and a transposed `a` costs nothing.

The tiles are LLVM vector code (`_make_tile`). They are used only where numba compiles for
AVX-512F (`fits`): elsewhere 16 accumulators of 512 bits do not fit the 16 AVX2 registers, and
`gemm` keeps its BLAS calls. With NUMBA_DISABLE_JIT there are no tiles either, and the callers use
numpy.matmul, the plain-NumPy twin the tests compare with.

    >>> a, b = np.ones((1, 2, 3, 4), np.float32), np.ones((1, 2, 4, 5), np.float32)
    >>> bool(not fits() or (stack(a, b, 4, 1, 5, False) == 4).all())
    True
"""

from __future__ import annotations

import numpy as np

from ._jit import LazyIntrinsic, njit, prange

_FITS: dict = {}


def _make_tile(numba):
    """`tile(rows, vecs, one, pa, ars, acs, pb, ldb, pc, ldc, k, m_valid, n_valid)`.

    c[r, j] = sum over t < k of a[r, t] * b[t, j], for r < min(rows, m_valid) and
    j < min(vecs * W, n_valid), where W is the lanes of a 512-bit vector of `one`'s dtype. The
    addresses (pa, pb, pc) and the strides in elements: a[r, t] at pa + r*ars + t*acs, b[t, j] at
    pb + t*ldb + j, c[r, j] at pc + r*ldc + j. `rows` and `vecs` are literal ints; the rows x vecs
    accumulators are allocas that LLVM keeps in registers. Rows beyond m_valid read a's row 0
    and are not stored; columns beyond n_valid are masked off in loads and stores."""
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def tile(typingctx, rows, vecs, one, pa, ars, acs, pb, ldb, pc, ldc, k, m_valid, n_valid):
        if not (isinstance(rows, types.IntegerLiteral) and isinstance(vecs, types.IntegerLiteral)
                and isinstance(one, types.Float)):
            return None
        nrows, nvecs = rows.literal_value, vecs.literal_value
        sig = types.void(rows, vecs, one, *[types.int64] * 10)

        def codegen(context, builder, signature, args):
            pa, ars, acs, pb, ldb, pc, ldc, k, m_valid, n_valid = args[3:]
            double = signature.args[2] == types.float64
            real = ir.DoubleType() if double else ir.FloatType()
            size = 8 if double else 4
            lanes = 64 // size
            vec = ir.VectorType(real, lanes)
            i32, i64 = ir.IntType(32), ir.IntType(64)
            mask_t = ir.VectorType(ir.IntType(1), lanes)
            suffix = f"v{lanes}f{8 * size}"
            fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vec, [vec] * 3),
                                                 f"llvm.fma.{suffix}")
            ptr = ir.PointerType()
            load = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(vec, [ptr, i32, mask_t, vec]), f"llvm.masked.load.{suffix}.p0")
            store = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), [vec, ptr, i32, mask_t]),
                f"llvm.masked.store.{suffix}.p0")

            def const(v):
                return ir.Constant(i64, v)

            def address(base, offset_elements):
                return builder.add(base, builder.mul(offset_elements, const(size)))

            # One mask per vector of columns: lane j of vector v is live when v*lanes + j < n_valid.
            iota = ir.Constant(ir.VectorType(i64, lanes), list(range(lanes)))
            masks = []
            for v in range(nvecs):
                left = builder.sub(n_valid, const(v * lanes))
                splat = builder.insert_element(ir.Constant(ir.VectorType(i64, lanes), ir.Undefined), left,
                                               ir.Constant(i32, 0))
                splat = builder.shuffle_vector(splat, ir.Constant(ir.VectorType(i64, lanes), ir.Undefined),
                                               ir.Constant(ir.VectorType(i32, lanes), [0] * lanes))
                masks.append(builder.icmp_signed("<", iota, splat))
            live = [builder.icmp_signed("<", const(r), m_valid) for r in range(nrows)]
            a_rows = [builder.select(live[r], address(pa, builder.mul(const(r), ars)), pa) for r in range(nrows)]
            zero = ir.Constant(vec, [0.0] * lanes)
            acc = [[cgutils.alloca_once_value(builder, zero) for _ in range(nvecs)] for _ in range(nrows)]
            splat_all = ir.Constant(ir.VectorType(i32, lanes), [0] * lanes)
            undef = ir.Constant(vec, ir.Undefined)

            with cgutils.for_range(builder, k) as loop:
                t = loop.index
                b_row = address(pb, builder.mul(t, ldb))
                b_vecs = [builder.call(load, [builder.inttoptr(address(b_row, const(v * lanes)), ptr),
                                              ir.Constant(i32, size), masks[v], zero])
                          for v in range(nvecs)]
                a_step = builder.mul(builder.mul(t, acs), const(size))
                for r in range(nrows):
                    x = builder.load(builder.inttoptr(builder.add(a_rows[r], a_step), real.as_pointer()),
                                     align=size)
                    x = builder.shuffle_vector(builder.insert_element(undef, x, ir.Constant(i32, 0)), undef,
                                               splat_all)
                    for v in range(nvecs):
                        builder.store(builder.call(fma, [x, b_vecs[v], builder.load(acc[r][v])]), acc[r][v])

            for r in range(nrows):
                with builder.if_then(live[r]):
                    c_row = address(pc, builder.mul(const(r), ldc))
                    for v in range(nvecs):
                        builder.call(store, [builder.load(acc[r][v]),
                                             builder.inttoptr(address(c_row, const(v * lanes)), ptr),
                                             ir.Constant(i32, size), masks[v]])
            return context.get_dummy_value()

        return sig, codegen

    return tile


def _make_wide(numba):
    """`wide()`: True when the kernel calling it is compiled for AVX-512F (a constant)."""
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic

    from ._vmath import _has_scalef

    @intrinsic
    def wide(typingctx):
        def codegen(context, builder, signature, args):
            return ir.Constant(ir.IntType(8), int(_has_scalef(context)))

        return types.boolean(), codegen

    return wide


def _tile_py(*args):
    raise TypeError("tiles.tile runs only in compiled kernels; `fits` is False without the JIT")


def _wide_py():
    return False


tile = LazyIntrinsic(_make_tile, _tile_py)
wide = LazyIntrinsic(_make_wide, _wide_py)


@njit(cache=True)
def _compiled_wide():
    return wide()


def fits() -> bool:
    """True when the kernels are compiled for AVX-512F, where `stack` applies (found once)."""
    if "wide" not in _FITS:
        from ._jit import _import_numba

        _FITS["wide"] = not _import_numba().config.DISABLE_JIT and bool(_compiled_wide())
    return _FITS["wide"]


@njit(cache=True, parallel=True)
def _stack4(a, b, out, scratch, one, ars, acs, ldb, pack):
    """out[i, j] = a[i, j] @ b[i, j] over both batch dims, tile by tile. a's matrices at element
    strides (ars, acs); b's rows at ldb, or (pack) b's matrices stored column by column, copied row
    by row into scratch[i*n1 + j] first. out and scratch are C-contiguous."""
    n1, m, n, k = out.shape[1], out.shape[2], out.shape[3], a.shape[3]
    size = out.itemsize
    lanes = 64 // size
    for i in prange(out.shape[0] * n1):
        i0 = i // n1
        i1 = i - i0 * n1
        pa = a.ctypes.data + i0 * a.strides[0] + i1 * a.strides[1]
        pb = b.ctypes.data + i0 * b.strides[0] + i1 * b.strides[1]
        step = ldb
        if pack:
            src = b[i0, i1]
            dst = scratch[i]
            for t in range(k):  # contiguous writes; the strided reads stay in L1 for these sizes
                for j in range(n):
                    dst[t, j] = src[t, j]
            pb = scratch.ctypes.data + i * k * n * size
            step = n
        pc = out.ctypes.data + i * m * n * size
        if n > lanes:
            for r in range(0, m, 8):
                for c in range(0, n, 2 * lanes):
                    tile(8, 2, one, pa + r * ars * size, ars, acs, pb + c * size, step,
                         pc + (r * n + c) * size, n, k, m - r, n - c)
        else:
            for r in range(0, m, 16):
                tile(16, 1, one, pa + r * ars * size, ars, acs, pb, step, pc + r * n * size, n, k, m - r, n)


def stack(a: np.ndarray, b: np.ndarray, ars: int, acs: int, ldb: int, pack: bool) -> np.ndarray:
    """a @ b for two 4-D stacks with the same two batch dims, float32 or float64, on the kernels'
    threads; only where `fits()`. Each of a's matrices has its elements at (ars, acs) element
    strides; b's rows are `ldb` elements apart, or (pack) b's matrices are stored column by column
    (columns `ldb` apart) and are copied first. The caller checks shapes and layouts
    (`gemm.stacked`)."""
    out = np.empty(a.shape[:-1] + b.shape[-1:], a.dtype)
    shape = (out.shape[0] * out.shape[1],) + b.shape[-2:] if pack else (1, 1, 1)
    _stack4(a, b, out, np.empty(shape, a.dtype), a.dtype.type(1.0), ars, acs, ldb, pack)
    return out


@njit(cache=True, parallel=True)
def _gemm2(a, b, out, scratch, one, ars, acs, ldb, pack, parts, bias, with_bias):
    """out = a @ b (+ bias on every row) for 2-D operands, out's rows cut into `parts` blocks of
    whole tiles, one per thread. a's elements at (ars, acs) element strides; b's rows at ldb, or
    (pack) b stored column by column, copied row by row into scratch first (in parallel). out and
    scratch are C-contiguous."""
    m, n, k = out.shape[0], out.shape[1], a.shape[1]
    size = out.itemsize
    lanes = 64 // size
    pb, step = b.ctypes.data, ldb
    if pack:
        for t in prange(k):
            dst = scratch[t]
            for j in range(n):
                dst[j] = b[t, j]
        pb, step = scratch.ctypes.data, n
    rows = 8 if n > lanes else 16
    cols = 2 * lanes if n > lanes else lanes
    count = (m + rows - 1) // rows
    pa, pc = a.ctypes.data, out.ctypes.data
    for p in prange(parts):
        lo = count * p // parts * rows
        hi = min(m, count * (p + 1) // parts * rows)
        for c in range(0, n, cols):
            for r in range(lo, hi, rows):
                if n > lanes:
                    tile(8, 2, one, pa + r * ars * size, ars, acs, pb + c * size, step,
                         pc + (r * n + c) * size, n, k, hi - r, n - c)
                else:
                    tile(16, 1, one, pa + r * ars * size, ars, acs, pb, step, pc + r * n * size, n, k, hi - r, n)
        if with_bias:
            for i in range(lo, hi):
                row = out[i]
                for j in range(n):
                    row[j] += bias[j]


def gemm(a: np.ndarray, b: np.ndarray, ars: int, acs: int, ldb: int, pack: bool, parts: int,
         out: np.ndarray | None = None, bias: np.ndarray | None = None) -> np.ndarray:
    """a @ b (+ bias) for 2-D float32/float64 operands in `parts` blocks of rows on the kernels'
    threads (1: the serial twin); only where `fits()`. Strides and `pack` as in `stack`; out, when
    given, is C-contiguous; bias has b.shape[1] elements of a's dtype. The caller checks them
    (`gemm.split`)."""
    m, n = a.shape[0], b.shape[1]
    if out is None:
        out = np.empty((m, n), a.dtype)
    scratch = np.empty(b.shape if pack else (1, 1), a.dtype)
    kernel = _gemm2 if parts > 1 else _gemm2.serial
    kernel(a, b, out, scratch, a.dtype.type(1.0), ars, acs, ldb, pack, parts,
           NO_BIAS[a.dtype] if bias is None else bias, bias is not None)
    return out


# The bias argument of a product without one (the kernels take an array either way).
NO_BIAS = {np.dtype(np.float32): np.zeros(1, np.float32), np.dtype(np.float64): np.zeros(1)}
