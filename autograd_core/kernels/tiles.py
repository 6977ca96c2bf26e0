"""Matrix products held in registers, on AVX-512 CPUs: stacks of small ones and 2-D GEMMs.

`gemm.stacked` ran a stack like 16 x (64, 64) @ (64, 64) as one BLAS call per matrix, and
`gemm.split` a 2-D product as one BLAS call per core. NumPy's OpenBLAS is a DYNAMIC_ARCH build; on
this machine's CPU (AMD Zen 5, two 512-bit FMA units) the environment sets OPENBLAS_CORETYPE=Haswell,
so it runs its Haswell kernels, 256 bits wide, and it packs both operands on every call: ~120
GFLOP/s a core at best, 98 for one (64, 64) @ (64, 64) product (5.4 us). (Without that variable it
picks its SkylakeX kernels, ~240 GFLOP/s a core: the tiles then roughly match it on 2-D products,
0.73-1.17 of its time on the MLP's and GPT's shapes, and still lead on stacks, 0.66-0.95 of its
time, as they skip the packing.) Here a product is cut into tiles of 8 rows by two 512-bit vectors of columns
(32 float32, 16 float64, the last one masked), or 16 rows by one vector when there are few
columns. A tile keeps its 16 accumulators in registers through the whole k loop. Each step loads the
tile's row of `b`, and for each row broadcasts one element of `a` and issues one FMA per vector.
Measured on one core, float32: (64, 64) @ (64, 64) in 2.0 us (260 GFLOP/s), (128, 784) @ (784, 256)
in 215 us (240 GFLOP/s, BLAS: 420 us). A 2-D product gives each thread a block of whole tiles, one
column panel of `b` at a time (kept in cache while the block's row tiles read it).

Nothing is packed except a `b` stored column by column (a Linear layer's `x @ w.T`), which is copied
row by row into scratch first, 16 x 16 blocks transposed in registers (`_make_transpose`). `a` is
read one element at a time, so any strides serve and a transposed `a` costs nothing. Without cache
blocking of their own, the tiles take only the sizes where they were measured faster (`suits`).

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


class _Vectors:
    """LLVM code for 512-bit vectors of float32 (16 lanes) or float64 (8), for the intrinsics below:
    addresses are int64 values, strides count elements."""

    def __init__(self, builder, double: bool):
        from llvmlite import ir
        from numba.core import cgutils

        self.ir, self.builder = ir, builder
        self.real = ir.DoubleType() if double else ir.FloatType()
        self.size = 8 if double else 4
        self.lanes = 64 // self.size
        self.vec = ir.VectorType(self.real, self.lanes)
        self.i32, self.i64 = ir.IntType(32), ir.IntType(64)
        self.ptr = ir.PointerType()
        self.zero = ir.Constant(self.vec, [0.0] * self.lanes)
        self.undef = ir.Constant(self.vec, ir.Undefined)
        mask_t = ir.VectorType(ir.IntType(1), self.lanes)
        self.none = ir.Constant(mask_t, [0] * self.lanes)
        suffix = f"v{self.lanes}f{8 * self.size}"
        module = builder.module
        self._fma = cgutils.get_or_insert_function(module, ir.FunctionType(self.vec, [self.vec] * 3),
                                                   f"llvm.fma.{suffix}")
        self._load = cgutils.get_or_insert_function(
            module, ir.FunctionType(self.vec, [self.ptr, self.i32, mask_t, self.vec]),
            f"llvm.masked.load.{suffix}.p0")
        self._store = cgutils.get_or_insert_function(
            module, ir.FunctionType(ir.VoidType(), [self.vec, self.ptr, self.i32, mask_t]),
            f"llvm.masked.store.{suffix}.p0")

    def const(self, value: int):
        return self.ir.Constant(self.i64, value)

    def address(self, base, offset_elements):
        return self.builder.add(base, self.builder.mul(offset_elements, self.const(self.size)))

    def below(self, count):
        """The mask whose lane j is live when j < count (an int64 value)."""
        ir, b, lanes = self.ir, self.builder, self.lanes
        wide = ir.VectorType(self.i64, lanes)
        splat = b.insert_element(ir.Constant(wide, ir.Undefined), count, ir.Constant(self.i32, 0))
        splat = b.shuffle_vector(splat, ir.Constant(wide, ir.Undefined), ir.Constant(ir.VectorType(self.i32, lanes),
                                                                                      [0] * lanes))
        return b.icmp_signed("<", ir.Constant(wide, list(range(lanes))), splat)

    def load(self, address, mask):
        """Lanes under `mask` from memory, 0 elsewhere; nothing outside the mask is read."""
        return self.builder.call(self._load, [self.builder.inttoptr(address, self.ptr),
                                              self.ir.Constant(self.i32, self.size), mask, self.zero])

    def store(self, value, address, mask):
        self.builder.call(self._store, [value, self.builder.inttoptr(address, self.ptr),
                                        self.ir.Constant(self.i32, self.size), mask])

    def broadcast(self, address):
        """The element at `address` in every lane."""
        ir, b = self.ir, self.builder
        x = b.load(b.inttoptr(address, self.real.as_pointer()), align=self.size)
        return b.shuffle_vector(b.insert_element(self.undef, x, ir.Constant(self.i32, 0)), self.undef,
                                ir.Constant(ir.VectorType(self.i32, self.lanes), [0] * self.lanes))

    def fma(self, x, y, z):
        return self.builder.call(self._fma, [x, y, z])

    def shuffle(self, x, y, indices):
        """Lane j: `indices[j]` of x's lanes followed by y's."""
        ir = self.ir
        return self.builder.shuffle_vector(x, y, ir.Constant(ir.VectorType(self.i32, self.lanes), indices))


def _make_tile(numba):
    """`tile(rows, vecs, one, pa, ars, acs, pb, ldb, pc, ldc, k, m_valid, n_valid)`.

    c[r, j] = sum over t < k of a[r, t] * b[t, j], for r < min(rows, m_valid) and
    j < min(vecs * W, n_valid), where W is the lanes of a 512-bit vector of `one`'s dtype. The
    addresses (pa, pb, pc) and the strides in elements: a[r, t] at pa + r*ars + t*acs, b[t, j] at
    pb + t*ldb + j, c[r, j] at pc + r*ldc + j. `rows` and `vecs` are literal ints; the rows x vecs
    accumulators are allocas that LLVM keeps in registers. Rows beyond m_valid read a's row 0
    and are not stored; columns beyond n_valid are masked off in loads and stores."""
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
            V = _Vectors(builder, signature.args[2] == types.float64)
            lanes = V.lanes
            # one mask per vector of columns: lane j of vector v is live when v*lanes + j < n_valid
            masks = [V.below(builder.sub(n_valid, V.const(v * lanes))) for v in range(nvecs)]
            live = [builder.icmp_signed("<", V.const(r), m_valid) for r in range(nrows)]
            a_rows = [builder.select(live[r], V.address(pa, builder.mul(V.const(r), ars)), pa) for r in range(nrows)]
            acc = [[cgutils.alloca_once_value(builder, V.zero) for _ in range(nvecs)] for _ in range(nrows)]

            with cgutils.for_range(builder, k) as loop:
                t = loop.index
                b_row = V.address(pb, builder.mul(t, ldb))
                b_vecs = [V.load(V.address(b_row, V.const(v * lanes)), masks[v]) for v in range(nvecs)]
                a_step = builder.mul(builder.mul(t, acs), V.const(V.size))
                for r in range(nrows):
                    x = V.broadcast(builder.add(a_rows[r], a_step))
                    for v in range(nvecs):
                        builder.store(V.fma(x, b_vecs[v], builder.load(acc[r][v])), acc[r][v])

            for r in range(nrows):
                with builder.if_then(live[r]):
                    c_row = V.address(pc, builder.mul(V.const(r), ldc))
                    for v in range(nvecs):
                        V.store(builder.load(acc[r][v]), V.address(c_row, V.const(v * lanes)), masks[v])
            return context.get_dummy_value()

        return sig, codegen

    return tile


def _make_transpose(numba):
    """`transpose(one, src, lds, dst, ldd, rows_valid, cols_valid)`: dst[j, i] = src[i, j] for a
    block of W x W elements (W the lanes of `one`'s dtype), i < rows_valid, j < cols_valid; src[i, j]
    at src + i*lds + j, dst[j, i] at dst + j*ldd + i. W rows are loaded (masked), transposed in
    registers in log2(W) rounds of two-vector shuffles (round b pairs rows i and i + b, trading
    their b-lane blocks), and stored (masked). Copying b stored column by column this way takes
    0.06-0.14 ns an element on one core; the element-by-element loop it replaced took 0.26, and 3.6
    where b's columns were 4 KB apart (every read in the same L1 set)."""
    from numba import types
    from numba.extending import intrinsic

    @intrinsic
    def transpose(typingctx, one, src, lds, dst, ldd, rows_valid, cols_valid):
        if not isinstance(one, types.Float):
            return None
        sig = types.void(one, *[types.int64] * 6)

        def codegen(context, builder, signature, args):
            src, lds, dst, ldd, rows_valid, cols_valid = args[1:]
            V = _Vectors(builder, signature.args[0] == types.float64)
            lanes = V.lanes
            cols = V.below(cols_valid)
            rows = []
            for i in range(lanes):  # rows past rows_valid load nothing (all lanes masked off)
                mask = builder.select(builder.icmp_signed("<", V.const(i), rows_valid), cols, V.none)
                rows.append(V.load(V.address(src, builder.mul(V.const(i), lds)), mask))
            b = lanes // 2
            while b:
                low = [j if j & b == 0 else lanes + j - b for j in range(lanes)]
                high = [j + b if j & b == 0 else lanes + j for j in range(lanes)]
                for i in range(lanes):
                    if i & b == 0:
                        x, y = rows[i], rows[i + b]
                        rows[i], rows[i + b] = V.shuffle(x, y, low), V.shuffle(x, y, high)
                b //= 2
            live = V.below(rows_valid)
            for j in range(lanes):  # row j of the result is column j of the block
                mask = builder.select(builder.icmp_signed("<", V.const(j), cols_valid), live, V.none)
                V.store(rows[j], V.address(dst, builder.mul(V.const(j), ldd)), mask)
            return context.get_dummy_value()

        return sig, codegen

    return transpose


def _make_wide(numba):
    """`wide()`: True when the kernel calling it is compiled for AVX-512F (a constant)."""
    from llvmlite import ir
    from numba import types
    from numba.extending import intrinsic

    from ._vmath import compiled_for_avx512

    @intrinsic
    def wide(typingctx):
        def codegen(context, builder, signature, args):
            return ir.Constant(ir.IntType(8), int(compiled_for_avx512(context)))

        return types.boolean(), codegen

    return wide


def _at(address: int, shape: tuple, strides: tuple, dtype) -> np.ndarray:
    """The array of `dtype` at `address` with these shape and strides (in elements), over memory
    the caller owns: the Python twins below read and write the kernels' operands through it."""
    import ctypes

    dtype = np.dtype(dtype)
    if 0 in shape:
        return np.empty(shape, dtype)
    extent = 1 + sum((n - 1) * s for n, s in zip(shape, strides))
    flat = np.frombuffer((ctypes.c_char * (extent * dtype.itemsize)).from_address(address), dtype)
    return np.lib.stride_tricks.as_strided(flat, shape, tuple(s * dtype.itemsize for s in strides))


def _tile_py(rows, vecs, one, pa, ars, acs, pb, ldb, pc, ldc, k, m_valid, n_valid):
    """`tile` in NumPy (what NUMBA_DISABLE_JIT runs, and the reference its tests use)."""
    dtype = np.asarray(one).dtype
    r = min(rows, m_valid)
    c = min(vecs * 64 // dtype.itemsize, n_valid)
    a, b = _at(pa, (r, k), (ars, acs), dtype), _at(pb, (k, c), (ldb, 1), dtype)
    _at(pc, (r, c), (ldc, 1), dtype)[...] = a @ b if k else 0


def _transpose_py(one, src, lds, dst, ldd, rows_valid, cols_valid):
    """`transpose` in NumPy."""
    dtype = np.asarray(one).dtype
    lanes = 64 // dtype.itemsize
    r, c = min(lanes, rows_valid), min(lanes, cols_valid)
    _at(dst, (c, r), (ldd, 1), dtype)[...] = _at(src, (r, c), (lds, 1), dtype).T


def _wide_py():
    return False


tile = LazyIntrinsic(_make_tile, _tile_py)
transpose = LazyIntrinsic(_make_transpose, _transpose_py)
wide = LazyIntrinsic(_make_wide, _wide_py)


@njit(cache=True)
def _compiled_wide():
    return wide()


# The tiles have no cache blocking of their own: each row tile reads its rows of a whole (k
# elements each), and each thread reads all of b once per block of rows. Measured on 2 cores,
# float32, against one BLAS call per core, over m in {128 .. 8192}, k in {64, 256, 1024},
# n in {64 .. 4096} and the layouts NN, NT (b copied) and TN (a read down its columns): with
# k <= 256 the tiles took 0.5-0.8 of BLAS's time (0.94 at most); with k = 1024 they did too while
# n <= 1024 and m <= 2048 (1.04 at most), but up to 1.3x BLAS's with n = 4096 and 1.8x for a TN
# product with m = 8192. So the tiles take products of short rows (k of at most 1 KB) and those of
# rows up to 4 KB with at most 4 KB of columns and at most 8 MiB of a; BLAS's blocking the rest.
SHORT_ROW_BYTES = 1 << 10
ROW_BYTES_MAX = 1 << 12
A_BYTES_MAX = 1 << 23


def suits(itemsize: int, m: int, k: int, n: int) -> bool:
    """True for (m, k) @ (k, n) products of `itemsize`-byte floats that the tiles serve well."""
    row = k * itemsize
    return row <= SHORT_ROW_BYTES or (row <= ROW_BYTES_MAX and n * itemsize <= ROW_BYTES_MAX
                                      and m * row <= A_BYTES_MAX)


def fits() -> bool:
    """True when the kernels are compiled for AVX-512F, where `stack` applies (found once)."""
    if "wide" not in _FITS:
        from ._jit import _import_numba

        _FITS["wide"] = not _import_numba().config.DISABLE_JIT and bool(_compiled_wide())
    return _FITS["wide"]


@njit(cache=True, inline="always")
def _rows(one, size, pa, ars, acs, pb, ldb, pc, n, k, lo, hi):
    """Rows lo..hi of c = a @ b (c's rows n elements apart), one column panel of b at a time, each
    read by the rows' tiles while it is in cache: 8 x 32 float32 tiles (8 x 16 float64), or
    16 x 16 (16 x 8) when n is a single vector. `size`: one's bytes."""
    lanes = 64 // size
    if n > lanes:
        for c in range(0, n, 2 * lanes):
            for r in range(lo, hi, 8):
                tile(8, 2, one, pa + r * ars * size, ars, acs, pb + c * size, ldb, pc + (r * n + c) * size, n, k,
                     hi - r, n - c)
    else:
        for r in range(lo, hi, 16):
            tile(16, 1, one, pa + r * ars * size, ars, acs, pb, ldb, pc + r * n * size, n, k, hi - r, n)


@njit(cache=True, inline="always")
def _copy_rows(one, size, pb, ldb, dst, step, k, lo, hi):
    """Columns lo..hi of b (k x n, stored column by column, columns ldb apart) into rows of dst
    (`step` apart), in blocks transposed in registers. `size`: one's bytes."""
    lanes = 64 // size
    for j in range(lo, hi, lanes):
        for t in range(0, k, lanes):
            transpose(one, pb + (j * ldb + t) * size, ldb, dst + (t * step + j) * size, step, hi - j, k - t)


@njit(cache=True, parallel=True)
def _stack4(a, b, out, scratch, one, ars, acs, ldb, pack):
    """out[i, j] = a[i, j] @ b[i, j] over both batch dims, tile by tile. a's matrices at element
    strides (ars, acs); b's rows at ldb, or (pack) b's matrices stored column by column, copied row
    by row into scratch[i*n1 + j] first (rows `_padded`). out and scratch are C-contiguous."""
    n1, m, n, k = out.shape[1], out.shape[2], out.shape[3], a.shape[3]
    size = out.itemsize
    for i in prange(out.shape[0] * n1):
        i0 = i // n1
        i1 = i - i0 * n1
        pa = a.ctypes.data + i0 * a.strides[0] + i1 * a.strides[1]
        pb = b.ctypes.data + i0 * b.strides[0] + i1 * b.strides[1]
        step = ldb
        if pack:
            step = scratch.shape[2]
            dst = scratch.ctypes.data + i * k * step * size
            _copy_rows(one, size, pb, ldb, dst, step, k, 0, n)
            pb = dst
        _rows(one, size, pa, ars, acs, pb, step, out.ctypes.data + i * m * n * size, n, k, 0, m)


def stack(a: np.ndarray, b: np.ndarray, ars: int, acs: int, ldb: int, pack: bool,
          parallel: bool = True) -> np.ndarray:
    """a @ b for two 4-D stacks with the same two batch dims, float32 or float64, on the kernels'
    threads; only where `fits()`. Each of a's matrices has its elements at (ars, acs) element
    strides; b's rows are `ldb` elements apart, or (pack) b's matrices are stored column by column
    (columns `ldb` apart) and are copied first. `parallel=False`: on the calling thread. The caller
    checks shapes and layouts (`gemm.stacked`)."""
    out = np.empty(a.shape[:-1] + b.shape[-1:], a.dtype)
    shape = (out.shape[0] * out.shape[1], b.shape[-2], _padded(b.shape[-1], a.dtype)) if pack else (1, 1, 1)
    kernel = _stack4 if parallel else _stack4.serial
    kernel(a, b, out, np.empty(shape, a.dtype), a.dtype.type(1.0), ars, acs, ldb, pack)
    return out


@njit(cache=True, parallel=True)
def _gemm2(a, b, out, scratch, one, ars, acs, ldb, pack, parts, bias, with_bias):
    """out = a @ b (+ bias on every row) for 2-D operands, out's rows cut into `parts` blocks of
    whole tiles, one per thread. a's elements at (ars, acs) element strides; b's rows at ldb, or
    (pack) b stored column by column, copied row by row into scratch first (in parallel, rows
    `_padded`). out and scratch are C-contiguous."""
    m, n, k = out.shape[0], out.shape[1], a.shape[1]
    size = out.itemsize
    lanes = 64 // size
    pb, step = b.ctypes.data, ldb
    if pack:
        step = scratch.shape[1]
        for block in prange((n + lanes - 1) // lanes):
            _copy_rows(one, size, pb, ldb, scratch.ctypes.data, step, k, block * lanes, min(n, (block + 1) * lanes))
        pb = scratch.ctypes.data
    rows = 8 if n > lanes else 16
    count = (m + rows - 1) // rows
    for p in prange(parts):
        lo = count * p // parts * rows
        hi = min(m, count * (p + 1) // parts * rows)
        _rows(one, size, a.ctypes.data, ars, acs, pb, step, out.ctypes.data, n, k, lo, hi)
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
    scratch = np.empty((b.shape[0], _padded(b.shape[1], a.dtype)) if pack else (1, 1), a.dtype)
    kernel = _gemm2 if parts > 1 else _gemm2.serial
    kernel(a, b, out, scratch, a.dtype.type(1.0), ars, acs, ldb, pack, parts,
           NO_BIAS[a.dtype] if bias is None else bias, bias is not None)
    return out


def _padded(n: int, dtype) -> int:
    """The row length of the scratch a b stored column by column is copied into: n and one vector
    more, so that rows are never a multiple of 4 KB apart, where every row of a column panel falls
    in the same cache sets ((1024, 1024) @ (1024, 1024) read from such a copy: 15 ms against 8)."""
    return n + 64 // dtype.itemsize


# The bias argument of a product without one (the kernels take an array either way).
NO_BIAS = {np.dtype(np.float32): np.zeros(1, np.float32), np.dtype(np.float64): np.zeros(1)}
