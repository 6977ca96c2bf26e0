"""kernels/tiles.py: register-tiled products of small matrices on AVX-512, against numpy.matmul
(the plain-NumPy twin the callers fall back to) over the shapes where tiles end part-way: rows
past a multiple of 8 or 16, columns past a vector, a stored column by column (read in place) and
b stored column by column (copied first)."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from test_vmath import _AVX2_ONLY  # this directory is on sys.path (pytest's rootdir-relative imports)

from autograd_core.kernels import gemm, tiles

ROOT = pathlib.Path(__file__).resolve().parents[3]
needs_tiles = pytest.mark.skipif(not tiles.fits(), reason="kernels not compiled for AVX-512F (or no JIT)")


def _r(*shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _run(a, b, dtype):
    """tiles.stack on 4-D stacks, a and b in the layouts their strides give."""
    size = np.dtype(dtype).itemsize
    a4, b4 = a[None], b[None]
    ars, acs = a4.strides[-2] // size, a4.strides[-1] // size
    pack = b4.strides[-1] != size
    ldb = b4.strides[-1] // size if pack else b4.strides[-2] // size
    return tiles.stack(a4, b4, ars, acs, ldb, pack)[0]


@needs_tiles
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m", [1, 7, 8, 9, 17])
@pytest.mark.parametrize("n", [1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 65])
def test_every_tile_edge_matches_numpy(dtype, m, n):
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    for k in (1, 5, 64):
        a, b = _r(3, m, k, dtype=dtype), _r(3, k, n, dtype=dtype, seed=1)
        want = np.matmul(a, b)
        for a_view in (a, np.swapaxes(np.ascontiguousarray(np.swapaxes(a, 1, 2)), 1, 2)):
            for b_view in (b, np.swapaxes(np.ascontiguousarray(np.swapaxes(b, 1, 2)), 1, 2)):
                got = _run(a_view, b_view, dtype)
                assert got.dtype == dtype and got.shape == want.shape
                np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.sqrt(k),
                                           err_msg=f"k={k} a {a_view.strides} b {b_view.strides}")


@needs_tiles
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_masked_columns_write_nothing_past_each_matrix(dtype):
    # 9 x 17 outputs: the last vector of each row holds 1 (float32) or 1 (float64) live lane; the
    # kernel writes through addresses, so a store past a row would land in the next matrix or
    # past the array, here a sentinel
    a, b = _r(4, 9, 6, dtype=dtype), _r(4, 6, 17, dtype=dtype, seed=1)
    buf = np.full(4 * 9 * 17 + 64, 7.0, dtype)
    out = buf[:4 * 9 * 17].reshape(1, 4, 9, 17)
    one = np.dtype(dtype).type(1.0)
    tiles._stack4(a[None], b[None], out, np.empty((1, 1, 1), dtype), one, 6, 1, 17, False)
    np.testing.assert_allclose(out[0], a @ b, rtol=1e-5)
    assert (buf[4 * 9 * 17:] == 7.0).all()


@needs_tiles
def test_nan_and_inf_propagate_as_in_numpy():
    a, b = _r(2, 9, 4), _r(2, 4, 20, seed=1)
    a[0, 3, 1], b[1, 2, 5], a[1, 0, 0] = np.nan, np.inf, 0.0
    b[1, 0, 7] = np.inf  # 0 * inf: nan in that column of row 0
    got, want = _run(a, b, np.float32), np.matmul(a, b)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-5)


@needs_tiles
def test_stacked_uses_tiles_for_both_batch_dims_and_broadcast_strides():
    # gemm.stacked: (2, 3) batch dims, b broadcast over the first (stride 0), a's heads strided
    a = _r(2, 3, 8, 12).transpose(0, 1, 3, 2)  # each matrix read transposed, in place
    b = np.broadcast_to(_r(1, 3, 8, 40, seed=1), (2, 3, 8, 40))
    np.testing.assert_allclose(gemm.stacked(a, b), np.matmul(a, b), rtol=1e-5, atol=1e-5)


@needs_tiles
def test_serial_twin_matches():
    a, b = _r(1, 5, 10, 3), _r(1, 5, 3, 21, seed=1)
    out = np.empty((1, 5, 10, 21), np.float32)
    tiles._stack4.serial(a, b, out, np.empty((1, 1, 1), np.float32), np.float32(1), 3, 1, 21, False)
    np.testing.assert_allclose(out, a @ b, rtol=1e-5)


def test_no_tiles_when_compiled_without_avx512(tmp_path):
    # 16 accumulators of 512 bits do not fit AVX2's registers: compiled for an AVX2-only CPU,
    # `fits` is False and stacks keep their BLAS calls (or numpy.matmul), with the same values
    code = """
import numpy as np
from autograd_core.kernels import gemm, tiles
a, b = (np.random.default_rng(s).standard_normal((4, 9, 6)).astype(np.float32) for s in (0, 1))
out = gemm.stacked(a, np.swapaxes(b, 1, 2))
assert out is None or np.allclose(out, a @ np.swapaxes(b, 1, 2), rtol=1e-5)
print(tiles.fits())
"""
    env = dict(os.environ, NUMBA_CPU_NAME="haswell", NUMBA_CPU_FEATURES=_AVX2_ONLY,
               NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True)
    assert out.stdout.split()[-1] == "False"


@needs_tiles
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("parts", [1, 2, 3])
@pytest.mark.parametrize("m, k, n", [(5, 3, 40), (37, 70, 33), (64, 9, 16), (130, 20, 7)])
def test_two_d_products_in_blocks_of_rows(dtype, parts, m, k, n):
    # gemm.split on tiles: a read in place either way, b copied when stored column by column,
    # blocks of whole tiles per thread (more threads than tiles included), bias added per block
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    a, b, bias = _r(m, k, dtype=dtype), _r(k, n, dtype=dtype, seed=1), _r(n, dtype=dtype, seed=2)
    want = a @ b + bias
    for a_view in (a, np.ascontiguousarray(a.T).T):
        for b_view in (b, np.ascontiguousarray(b.T).T):
            out = np.full((m, n), np.nan, dtype)
            got = gemm.split(a_view, b_view, parts, out=out, bias=bias)
            assert got is out
            np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.sqrt(k))
            np.testing.assert_allclose(gemm.split(a_view, b_view, parts), a @ b, rtol=rtol, atol=rtol * np.sqrt(k))


@needs_tiles
def test_matmul_between_the_tiles_threshold_and_the_parallel_one_uses_tiles(monkeypatch):
    # (128, 256) @ (256, 10): above TILED_MIN, below GEMM_PARALLEL_MIN: one core, in tiles
    from autograd_core.ops import linalg

    calls = []
    real = tiles.gemm
    monkeypatch.setattr(tiles, "gemm", lambda *args, **kw: calls.append(args[6]) or real(*args, **kw))
    a, b = _r(128, 256), _r(256, 10, seed=1)
    np.testing.assert_allclose(linalg.gemm(a, b), a @ b, rtol=1e-5, atol=1e-5)
    assert calls == [1]
    np.testing.assert_allclose(linalg.gemm(a[:4], b), a[:4] @ b, rtol=1e-5)  # below TILED_MIN: numpy
    assert calls == [1]


@needs_tiles
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_b_copied_from_columns_4kb_apart_and_ragged_blocks(dtype):
    # b = w.T with w's rows 4 KB apart (k = 1024 float32) and sizes that are no multiple of the
    # 16 x 16 (8 x 8) blocks the copy transposes
    for m, k, n in ((9, 1024 // np.dtype(dtype).itemsize * 4, 21), (33, 37, 50)):
        x, w = _r(m, k, dtype=dtype), _r(n, k, dtype=dtype, seed=1)
        rtol = 1e-4 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(gemm.split(x, w.T, 2), x @ w.T, rtol=rtol, atol=rtol * np.sqrt(k))
        xs, ws = _r(3, m, k, dtype=dtype), _r(3, n, k, dtype=dtype, seed=2)
        np.testing.assert_allclose(gemm.stacked(xs, np.swapaxes(ws, 1, 2)), xs @ np.swapaxes(ws, 1, 2),
                                   rtol=rtol, atol=rtol * np.sqrt(k))


def test_sizes_the_tiles_leave_to_blas():
    # rows of a up to 1 KB always; up to 4 KB with at most 4 KB of b's columns and 8 MiB of a
    assert tiles.suits(4, 8192, 256, 4096)
    assert tiles.suits(4, 2048, 1024, 1024) and tiles.suits(8, 2048, 512, 512)
    assert not tiles.suits(4, 4096, 1024, 1024)  # 16 MiB of a
    assert not tiles.suits(4, 128, 1024, 4096)   # 16 KB rows of b
    assert not tiles.suits(4, 16, 2048, 16)      # 8 KB rows of a


@needs_tiles
def test_stack_matmul_runs_small_stacks_in_tiles_on_the_calling_thread(monkeypatch):
    # 8 x (32, 32) @ (32, 32), 2**18 multiply-adds: tiles on this thread; 16 x (64, 32) @ (32, 64),
    # 2**21: split over the cores; 2 x (4, 4) @ (4, 4): numpy.matmul
    from autograd_core.kernels import _threads
    from autograd_core.ops import linalg

    monkeypatch.setattr(_threads, "machine_busy", lambda: False)  # a loaded machine runs serially
    calls = []
    real = tiles.stack
    monkeypatch.setattr(tiles, "stack", lambda *args: calls.append(args[6]) or real(*args))
    for shape_a, shape_b, want in (((8, 32, 32), (8, 32, 32), [False]), ((16, 64, 32), (16, 32, 64), [True]),
                                   ((2, 4, 4), (2, 4, 4), [])):
        calls.clear()
        a, b = _r(*shape_a), _r(*shape_b, seed=1)
        np.testing.assert_allclose(linalg.stack_matmul(a, b), a @ b, rtol=1e-5, atol=1e-5)
        assert calls == want, shape_a


def test_products_from_several_python_threads_give_the_right_results():
    # 2-D products split over the cores, in tiles on one core, and stacks, from six threads at once
    # (a parallel launch that finds the kernels busy runs serially; the serial tiles are reentrant)
    import threading

    from autograd_core.ops import linalg

    # the stacks with b read in place and with b stored column by column (copied first)
    cases = [(_r(256, 300), _r(300, 200, seed=1)), (_r(128, 256), _r(10, 256, seed=1).T),
             (_r(16, 64, 32), _r(16, 32, 64, seed=1)), (_r(8, 32, 32), _r(8, 32, 32, seed=1)),
             (_r(16, 64, 32), np.swapaxes(_r(16, 64, 32, seed=1), 1, 2)),
             (_r(8, 32, 32), np.swapaxes(_r(8, 32, 32, seed=1), 1, 2))]
    results = [None] * len(cases)

    def work(i):
        a, b = cases[i]
        for _ in range(20):
            results[i] = linalg.gemm(a, b) if a.ndim == 2 else linalg.stack_matmul(a, b)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (a, b), got in zip(cases, results):
        np.testing.assert_allclose(got, np.matmul(a.astype(np.float64), b), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_python_twins_of_tile_and_transpose(dtype):
    # what NUMBA_DISABLE_JIT runs: the same addresses and strides, computed by NumPy, and nothing
    # written outside the valid rows and columns
    one = np.dtype(dtype).type(1.0)
    lanes = 64 // np.dtype(dtype).itemsize
    a, b = _r(8, 9, dtype=dtype), _r(5, 2 * lanes + 3, dtype=dtype, seed=1)  # a read transposed
    c = np.full((12, 2 * lanes + 3), 7.0, dtype)
    tiles._tile_py(8, 2, one, a.ctypes.data, 1, 9, b.ctypes.data, b.shape[1], c.ctypes.data, c.shape[1],
                   5, 6, 2 * lanes - 1)
    np.testing.assert_allclose(c[:6, :2 * lanes - 1], a.T[:6, :5] @ b[:, :2 * lanes - 1], rtol=1e-5)
    assert (c[6:] == 7).all() and (c[:, 2 * lanes - 1:] == 7).all()
    src, dst = _r(lanes, lanes + 2, dtype=dtype), np.full((lanes + 1, lanes + 4), 7.0, dtype)
    tiles._transpose_py(one, src.ctypes.data, src.shape[1], dst.ctypes.data, dst.shape[1], lanes - 1, lanes - 2)
    np.testing.assert_array_equal(dst[:lanes - 2, :lanes - 1], src[:lanes - 1, :lanes - 2].T)
    assert (dst[lanes - 2:] == 7).all() and (dst[:, lanes - 1:] == 7).all()


def test_the_kernels_run_as_python_under_numba_disable_jit():
    # NUMBA_DISABLE_JIT: the stack and 2-D kernels, b copied and not, ragged tiles, against NumPy
    code = """
import numpy as np
from autograd_core.kernels import tiles
rng = np.random.default_rng(0)
a, b = rng.standard_normal((1, 3, 9, 5)).astype(np.float32), rng.standard_normal((1, 3, 20, 5)).astype(np.float32)
bt = np.swapaxes(b, 2, 3)  # (5, 20) matrices stored column by column
out = np.empty((1, 3, 9, 20), np.float32)
scratch = np.empty((3, 5, 20 + 16), np.float32)
tiles._stack4(a, bt, out, scratch, np.float32(1), 5, 1, 5, True)
assert np.allclose(out, a @ bt, rtol=1e-5, atol=1e-5)
x, w, bias = a[0, 0].astype(np.float64), b[0, 0].astype(np.float64), np.arange(20.0)
y = tiles.gemm(x, w.T, 5, 1, 5, True, 2, bias=bias)
assert np.allclose(y, x @ w.T + bias, rtol=1e-12), y
print(tiles.fits())
"""
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True)
    assert out.stdout.split()[-1] == "False"  # and the callers never take this path there


@needs_tiles
def test_stacks_with_more_batch_dims_than_tiles_take_keep_the_old_threshold(monkeypatch):
    # 2 x 2 x 4 x (64, 32) @ (32, 64), 2**21 multiply-adds: `stacked` takes at most two batch dims,
    # so this stack is not split early for tiles (the split would fall back to Python threads)
    from autograd_core.ops import linalg

    calls = []
    monkeypatch.setattr(linalg, "batched_matmul", lambda *args: calls.append(1) or np.matmul(*args))
    a, b = _r(2, 2, 4, 64, 32), _r(2, 2, 4, 32, 64, seed=1)
    np.testing.assert_allclose(linalg.stack_matmul(a, b), a @ b, rtol=1e-5, atol=1e-5)
    assert calls == []
    a4, b4 = a.reshape(2, 8, 64, 32), b.reshape(2, 8, 32, 64)  # two batch dims: split, in tiles
    np.testing.assert_allclose(linalg.stack_matmul(a4, b4), a4 @ b4, rtol=1e-5, atol=1e-5)
    assert calls == [1]
