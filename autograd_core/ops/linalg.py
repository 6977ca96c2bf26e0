"""matmul with numpy.matmul's semantics: 1-D vectors, 2-D matrices, batched stacks.

For C = A @ B: dA = G @ Bᵀ and dB = Aᵀ @ G on the last two dims; a 1-D operand is
treated as a row (left) or column (right) vector and the extra dim removed again;
batch dims that were broadcast are summed back by the engine.

A batched operand against a 2-D matrix, (..., m, k) @ (k, n), is one GEMM over the
flattened batch, (B·m, k) @ (k, n), forward and backward, and so is dB = Aᵀ G summed over
the batch: numpy.matmul would run B small GEMMs (and the engine would then sum B partial
weight gradients). A large GEMM gets every core for BLAS (`gemm`); a stack of matrices is
split by batch over the cores (`stack_matmul`).

    >>> import autograd_core as ag
    >>> (ag.ones(2, 3) @ ag.ones(3)).shape
    (2,)
"""

from __future__ import annotations

import numpy as np

from ..function import Op, ShapeError
from ..kernels import _threads
from ..kernels._threads import batched_matmul, cores
from ..kernels.gemm import split as split_gemm
from ..kernels.gemm import stacked
from ..kernels.gemm import tiled as tiled_gemm
from ..kernels.sums import total


def _swap(x):
    return np.swapaxes(x, -1, -2)


def _rows(x):
    """x (..., k) as a 2-D (rows, k) matrix (a copy only if x's batch is not contiguous)."""
    return x.reshape(_rows_of(x.shape), x.shape[-1])  # -1 is ambiguous for size 0


def _flat_matmul(x, w, bias=None):
    """x (..., m, k) @ w (k, n) (+ bias) as one GEMM over the flattened batch; works on arrays and
    Tensors."""
    x2 = _rows(x)
    if isinstance(x2, np.ndarray) and isinstance(w, np.ndarray):
        out = gemm(x2, w, bias=bias)
    else:
        out = x2 @ w if bias is None else x2 @ w + bias
    return out.reshape(tuple(x.shape[:-1]) + (w.shape[-1],))


# From this many multiply-adds a product runs in register tiles where they apply (`gemm.tiled`),
# on one core below GEMM_PARALLEL_MIN: (128, 256) @ (256, 10) 7.6 us against numpy.matmul's 10.0;
# below, the tiles' ~3 us of set-up loses ((64, 64) @ (64, 64): 5.0 against 5.4, (32, 32)^2: 3.2 / 1.6).
TILED_MIN = 1 << 18

# A stack of matrices is split over the cores (batched_matmul) from this many multiply-adds on, and
# from TILED_SPLIT_MIN where it runs in register tiles (`gemm.tiled`); from STACK_TILED_MIN, tiles on
# the calling thread. Measured on 2 cores, float32: 8 x (32, 32) @ (32, 32) took 6.6 us in
# numpy.matmul, 3.3 in tiles; 16 x (64, 32) @ (32, 64) 40 us, 18 in tiles, 13 split over the cores.
SPLIT_MIN = 1 << 22
TILED_SPLIT_MIN = 1 << 20
STACK_TILED_MIN = 1 << 16


def gemm(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None, bias=None) -> np.ndarray:
    """a @ b (+ bias, added to every row) for two 2-D arrays. A product large enough to repay a
    second core is cut into one block per core on the kernels' threads (`gemm.split`, which also
    adds the bias to each block while it is in cache), each block computed in register tiles on
    AVX-512 (`kernels.tiles`, also used on one core from `TILED_MIN`) or by one single-threaded BLAS
    call. So BLAS never starts threads of its own: OpenBLAS's idle threads spin ~0.1 s after a
    multi-threaded call and halved the speed of the parallel kernel that came next (measured: a
    (1024, 128) @ (128, 64) GEMM followed by sigmoid over 3e5 elements, 162 us with BLAS's threads,
    137 us split).
    Where NumPy's BLAS cannot be called that way, BLAS gets every core for the product instead
    (`kernels._threads.gemm_threads`).

    Splitting over Python threads was measured too, and rejected: the ~20 us hand-off made the MLP
    step at batch 128 40% slower.

        >>> gemm(np.ones((2, 3)), np.ones((3, 4))).shape
        (2, 4)
    """
    m, k, n = a.shape[0], a.shape[1], b.shape[1]
    result = fused = None
    work = m * k * n
    tiled = work >= TILED_MIN and tiled_gemm(a.dtype, m, k, n)
    if work < _threads.GEMM_PARALLEL_MIN and not tiled:  # one core: no thread bookkeeping (~2 us a call)
        result = np.matmul(a, b, out=out)
    else:
        parts = _threads.gemm_parts(m, k, n)
        if parts > 1 or tiled:
            fused = bias if type(bias) is np.ndarray and bias.dtype == a.dtype and bias.ndim == 1 else None
            result = split_gemm(a, b, parts, out, fused)
        if result is None:
            fused = None
            with _threads.gemm_threads(m, k, n):
                result = np.matmul(a, b, out=out)
    if bias is not None and fused is None:
        result += bias  # the product is fresh (or the caller's `out`): add in place
    return result


def stack_matmul(x, y):
    """x @ y for stacks of matrices (arrays or, when a backward is differentiated, Tensors).

    For arrays, BLAS stays on one thread and the cores share the work one of two ways: a batch of at
    least `cores()` matrices is split by batch, one BLAS call (or register tiles, `gemm.tiled`) per
    matrix on the kernels' threads (`batched_matmul`; a batch that broadcasts is expanded first, as
    views); fewer matrices are each split into blocks over the cores (`gemm`). Work below
    `SPLIT_MIN` multiply-adds (`TILED_SPLIT_MIN` in tiles) stays on the calling thread, in tiles
    from `STACK_TILED_MIN`.

        >>> stack_matmul(np.ones((4, 2, 3)), np.ones((1, 3, 5))).shape
        (4, 2, 5)
    """
    if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
        return x @ y
    if x.ndim >= 3 and y.ndim >= 3 and x.shape[-1] == 1 and y.shape[-2] == 1:
        # One outer product per matrix (the weight gradient of per-example products, as under
        # func.vmap): a broadcast multiply is the same numbers, ~3x faster than NumPy's
        # matmul, which runs each (k, 1) @ (1, n) as its own tiny product.
        return x * y
    if min(x.ndim, y.ndim) >= 2 and max(x.ndim, y.ndim) >= 3 and x.shape[-1] == y.shape[-2]:
        if x.shape[:-2] != y.shape[:-2]:
            try:
                batch = np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
            except ValueError:
                batch = None
            if batch is not None:
                x = np.broadcast_to(x, batch + x.shape[-2:])
                y = np.broadcast_to(y, batch + y.shape[-2:])
        if x.shape[:-2] == y.shape[:-2]:
            work = x.size * y.shape[-1]  # multiply-adds
            tiled = (work >= STACK_TILED_MIN and x.ndim <= 4 and x.dtype == y.dtype  # as `stacked` takes
                     and tiled_gemm(x.dtype, x.shape[-2], x.shape[-1], y.shape[-1]))
            if x.shape[0] >= cores() and work >= (TILED_SPLIT_MIN if tiled else SPLIT_MIN):
                return batched_matmul(x, y)
            if x.ndim == 3 and x.shape[0] < cores():  # a few large matrices: each split over the cores
                out = np.empty(x.shape[:-1] + y.shape[-1:], np.result_type(x, y))
                for i in range(x.shape[0]):
                    gemm(x[i], y[i], out=out[i])
                return out
            if tiled:
                out = stacked(x, y, parallel=False)
                if out is not None:
                    return out
    return np.matmul(x, y)


def _product(a, b):
    """a @ b of two 2-D operands: `gemm` for arrays, the matmul op for Tensors (double backward)."""
    return gemm(a, b) if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) else a @ b


def _rows_of(shape) -> int:
    rows = 1
    for d in shape[:-1]:
        rows *= d
    return rows


class MatMul(Op):
    @staticmethod
    def forward(ctx, a, b):
        ctx.saved = (a, b)
        if a.ndim >= 2 and b.ndim == 2 and a.shape[-1] == b.shape[0]:
            return _flat_matmul(a, b)
        try:
            return stack_matmul(a, b)
        except (ValueError, IndexError):
            raise ShapeError(f"matmul: shapes {np.shape(a)} and {np.shape(b)} are not aligned") from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        need_a, need_b = ctx.next
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if need_a is not None else None), (g * a if need_b is not None else None)
        if a.ndim == 1:  # (k) @ (..., k, n) -> (..., n)
            g2 = g[..., None, :]
            if need_a is not None:
                ga = (g2 @ _swap(b))[..., 0, :]
            if need_b is not None:
                gb = a[:, None] * g2
            return ga, gb
        if b.ndim == 1:  # (..., m, k) @ (k) -> (..., m)
            g2 = g[..., :, None]
            if need_a is not None:
                ga = g2 * b
            if need_b is not None:
                gb = (_swap(a) @ g2)[..., 0]
            return ga, gb
        if b.ndim == 2:  # (..., m, k) @ (k, n): every gradient is one GEMM over the flat batch
            if need_a is not None:
                ga = _flat_matmul(g, b.T)
            if need_b is not None:
                gb = _product(_rows(a).T, _rows(g))
            return ga, gb
        if need_a is not None:
            ga = stack_matmul(g, _swap(b))
        if need_b is not None:
            gb = stack_matmul(_swap(a), g)
        return ga, gb


def matmul(a, b):
    """Matrix product with numpy.matmul's broadcasting rules."""
    return MatMul.apply(a, b)


class Linear(Op):
    """y = x Wᵀ + b fused into one node: one GEMM forward (`gemm`), two backward.

    dx = g W,  dW = gᵀ x (batch dims flattened),  db = Σ g over batch dims.
    """

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.saved = (x, w)
        if x.ndim == 0 or x.shape[-1] != w.shape[-1]:
            raise ShapeError(
                f"linear: input of shape {x.shape} does not fit weight of shape {w.shape} "
                f"(expected last dim {w.shape[-1]})"
            )
        if x.ndim >= 2:
            return _flat_matmul(x, w.T, b)  # the bias added by the GEMM's threads (`gemm`)
        out = np.matmul(x, w.T)
        if b is not None:
            out += b  # the matmul result is fresh: add the bias in place
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        need_x, need_w, need_b = ctx.next
        gx = gw = gb = None
        if need_x is not None:
            gx = _flat_matmul(g, w) if g.ndim >= 2 else g @ w
        if need_w is not None or need_b is not None:
            g2 = _rows(g)
            if need_w is not None:
                gw = _product(g2.T, _rows(x))
            if need_b is not None:
                gb = total(g2, (0,))
        return gx, gw, gb


def linear(x, weight, bias=None):
    """x @ weight.T + bias, with PyTorch's weight layout (out_features, in_features)."""
    if weight.ndim != 2:
        raise ShapeError(f"linear: weight must be 2-D (out, in), got shape {weight.shape}")
    return Linear.apply(x, weight, bias)
