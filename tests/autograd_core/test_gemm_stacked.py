"""kernels/gemm.py: stacks of GEMMs split over the cores, one BLAS call per matrix (or register
tiles, `kernels.tiles`), against numpy.matmul (its plain-NumPy twin) for every layout BLAS can read
in place and those it cannot. Every test runs on both paths."""

import numpy as np
import pytest

from autograd_core.kernels import gemm, tiles

needs_blas = pytest.mark.skipif(not gemm.blas_gemm(np.dtype(np.float32)),
                                reason="no OpenBLAS cblas_sgemm found (NumPy on another BLAS, or no JIT)")


@pytest.fixture(autouse=True, params=["tiles", "blas"])
def path(request, monkeypatch):
    """Register tiles where the kernels are compiled for AVX-512F, and the BLAS calls (the path
    everywhere else) with the tiles turned off."""
    if request.param == "tiles" and not tiles.fits():
        pytest.skip("kernels not compiled for AVX-512F (or no JIT): no tiles")
    if request.param == "blas":
        monkeypatch.setattr(tiles, "fits", lambda: False)
    return request.param


def _r(*shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _views(a):
    """The same values as `a` in several memory layouts."""
    t = np.ascontiguousarray(np.swapaxes(a, -1, -2))
    padded = np.zeros(a.shape[:-1] + (a.shape[-1] + 3,), a.dtype)
    padded[..., :a.shape[-1]] = a
    flipped = np.ascontiguousarray(a[..., ::-1, :])
    return {
        "contiguous": a,
        "transposed": np.swapaxes(t, -1, -2),       # each matrix column-major
        "row-padded": padded[..., :a.shape[-1]],    # leading dimension > columns
        "negative": flipped[..., ::-1, :],          # negative row stride: copied first
        "every-other": np.repeat(a, 2, axis=-1)[..., ::2],  # column stride 2: copied first
    }


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batch", [(5,), (3, 4), (1,), (2, 1)])
def test_every_layout_matches_numpy(dtype, batch):
    a0, b0 = _r(*batch, 6, 7, dtype=dtype), _r(*batch, 7, 4, dtype=dtype, seed=1)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for name_a, a in _views(a0).items():
        for name_b, b in _views(b0).items():
            out = gemm.stacked(a, b)
            assert out is not None and out.dtype == dtype and out.shape == batch + (6, 4), (name_a, name_b)
            np.testing.assert_allclose(out, np.matmul(a0, b0), rtol=rtol, atol=rtol, err_msg=f"{name_a} @ {name_b}")


@needs_blas
def test_attention_views_and_broadcast_batch():
    """Heads split out of a fused qkv projection (strided views, never copied), and a batch dim
    that broadcasts (stride 0)."""
    b, t, h, hd = 3, 5, 2, 4
    qkv = _r(b, t, 3 * h * hd, dtype=np.float32)
    q = qkv[:, :, :h * hd].reshape(b, t, h, hd).transpose(0, 2, 1, 3)
    k = qkv[:, :, h * hd:2 * h * hd].reshape(b, t, h, hd).transpose(0, 2, 1, 3)
    np.testing.assert_allclose(gemm.stacked(q, np.swapaxes(k, -1, -2)), q @ np.swapaxes(k, -1, -2), rtol=1e-5)
    w = np.broadcast_to(_r(1, 4, 6, dtype=np.float32), (3, 4, 6))
    x = _r(3, 2, 4, dtype=np.float32)
    np.testing.assert_allclose(gemm.stacked(x, w), x @ w, rtol=1e-5)


@needs_blas
@pytest.mark.parametrize("sa, sb", [((4, 1, 3), (4, 3, 1)), ((4, 1, 1), (4, 1, 5)), ((2, 5, 1), (2, 1, 5))])
def test_size_one_matrix_dims(sa, sb):
    a, b = _r(*sa), _r(*sb, seed=1)
    np.testing.assert_allclose(gemm.stacked(a, b), a @ b, rtol=1e-12)


def test_cases_it_leaves_to_numpy():
    """None (the caller then uses numpy.matmul) for mixed or non-float dtypes, empty dims, more than
    two batch dims, batch dims that differ, and 2-D operands."""
    f = _r(2, 3, 4)
    assert gemm.stacked(f, _r(2, 4, 5).astype(np.float32)) is None
    assert gemm.stacked(f.astype(np.int64), _r(2, 4, 5).astype(np.int64)) is None
    assert gemm.stacked(_r(2, 0, 4), _r(2, 4, 5)) is None
    assert gemm.stacked(_r(2, 3, 0), _r(2, 0, 5)) is None
    assert gemm.stacked(_r(2, 2, 2, 3, 4), _r(2, 2, 2, 4, 5)) is None
    assert gemm.stacked(f, _r(3, 4, 5)) is None
    assert gemm.stacked(_r(3, 4), _r(4, 5)) is None


@needs_blas
def test_unaligned_operand_is_copied():
    raw = np.zeros(2 * 3 * 4 * 4 + 1, np.uint8)
    a = raw[1:].view(np.float32).reshape(2, 3, 4)
    assert not a.flags.aligned
    a[...] = _r(2, 3, 4, dtype=np.float32)
    b = _r(2, 4, 5, dtype=np.float32)
    np.testing.assert_allclose(gemm.stacked(a, b), a @ b, rtol=1e-5)


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_python_twin_of_the_blas_call(dtype):
    """`call_gemm` run as Python (what NUMBA_DISABLE_JIT would run) calls the same BLAS function."""
    a, b = _r(3, 2, dtype=dtype), _r(3, 4, dtype=dtype, seed=1)  # a read transposed: (2, 3)
    out = np.full((2, 4), np.nan, dtype)
    gemm._call_gemm_py(gemm.blas_gemm(np.dtype(dtype)), gemm._TRANS, gemm._NO_TRANS, 2, 4, 3, dtype(1.0),
                       a.ctypes.data, 2, b.ctypes.data, 4, out.ctypes.data, 4)
    np.testing.assert_allclose(out, a.T @ b, rtol=1e-5)


@needs_blas
def test_serial_twin_matches():
    a, b = _r(4, 2, 8, 3, dtype=np.float32), _r(4, 2, 3, 6, dtype=np.float32, seed=1)
    out = np.empty((4, 2, 8, 6), np.float32)
    gemm._gemm4.serial(gemm.blas_gemm(a.dtype), a, b, out, gemm._NO_TRANS, 3, gemm._NO_TRANS, 6, np.float32(1))
    np.testing.assert_allclose(out, a @ b, rtol=1e-5)


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, k, n", [(7, 5, 3), (3, 5, 7), (1, 4, 9), (9, 4, 1), (2, 1, 2)])
@pytest.mark.parametrize("parts", [1, 2, 3])
def test_split_gemm_matches_numpy(dtype, m, k, n, parts):
    """Blocks of rows (tall products) or of columns (wide ones), each layout of each operand."""
    a0, b0 = _r(m, k, dtype=dtype), _r(k, n, dtype=dtype, seed=1)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for name_a, a in _views(a0).items():
        for name_b, b in _views(b0).items():
            out = gemm.split(a, b, parts)
            np.testing.assert_allclose(out, a0 @ b0, rtol=rtol, atol=rtol, err_msg=f"{name_a} @ {name_b}")


@needs_blas
def test_split_gemm_writes_into_out_and_declines_what_it_cannot_do():
    a, b = _r(6, 4, dtype=np.float32), _r(4, 5, dtype=np.float32, seed=1)
    out = np.full((6, 5), np.nan, np.float32)
    assert gemm.split(a, b, 2, out) is out
    np.testing.assert_allclose(out, a @ b, rtol=1e-5)
    assert gemm.split(a, b, 2, np.empty((5, 6), np.float32).T) is None  # out not C-contiguous
    assert gemm.split(a, b.astype(np.float64), 2) is None
    assert gemm.split(a[None], b, 2) is None
    assert gemm.split(np.empty((0, 4), np.float32), b, 2) is None


@needs_blas
def test_linalg_gemm_takes_the_split_path(monkeypatch):
    """Large products go through `gemm.split` (BLAS never threads itself) and agree with NumPy."""
    from autograd_core.kernels import _threads
    from autograd_core.ops import linalg

    calls = []
    real = linalg.split_gemm
    monkeypatch.setattr(_threads, "GEMM_PARALLEL_MIN", 0)  # this small product counts as large
    monkeypatch.setattr(_threads, "gemm_parts", lambda m, k, n: 2)
    monkeypatch.setattr(linalg, "split_gemm", lambda *args: calls.append(1) or real(*args))
    a, b = _r(33, 17), _r(17, 9, seed=1)
    np.testing.assert_allclose(linalg.gemm(a, b), a @ b, rtol=1e-12)
    assert calls


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, n", [(9, 4), (4, 9)])
def test_split_gemm_adds_the_bias_in_each_block(dtype, m, n):
    a0, b0 = _r(m, 5, dtype=dtype), _r(5, n, dtype=dtype, seed=1)
    bias = _r(n, dtype=dtype, seed=2)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for parts in (1, 2, 3):
        np.testing.assert_allclose(gemm.split(a0, b0, parts, bias=bias), a0 @ b0 + bias, rtol=rtol, atol=rtol)
    assert gemm.split(a0, b0, 2, bias=bias[:-1]) is None  # wrong length: left to NumPy's broadcasting


@needs_blas
def test_linear_with_bias_on_the_split_path_matches_torch_formula(monkeypatch):
    import autograd_core as ag
    from autograd_core.kernels import _threads

    monkeypatch.setattr(_threads, "gemm_parts", lambda m, k, n: 2)
    x, w, b = _r(3, 7, 5), _r(4, 5, seed=1), _r(4, seed=2)
    out = ag.functional.linear(ag.tensor(x), ag.tensor(w), ag.tensor(b))
    np.testing.assert_allclose(out.numpy(), x @ w.T + b, rtol=1e-12)
    out32 = ag.functional.linear(ag.tensor(x.astype(np.float32)), ag.tensor(w.astype(np.float32)),
                                 ag.tensor(b.astype(np.float32)))
    np.testing.assert_allclose(out32.numpy(), x @ w.T + b, rtol=1e-5)
