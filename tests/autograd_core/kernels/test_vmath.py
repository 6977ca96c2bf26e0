"""The vectorised exp of `_vmath` (float64 and float32) against NumPy's libm, limits included."""

import math
import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np

from autograd_core.kernels import _vmath as M
from autograd_core.kernels._vmath import fma32

ROOT = Path(__file__).resolve().parents[3]


def _ulps32(got, want64):
    want32 = want64.astype(np.float32)
    return np.abs(got.astype(np.float64) - want64) / np.spacing(np.abs(want32)).astype(np.float64)


def _arguments(rng, low, high):
    return np.concatenate([rng.uniform(low, high, 6000), np.linspace(-2, 2, 2001),
                           np.linspace(low - 5, low + 5, 1001)])


def test_exp_float64_is_libm_accurate_down_to_the_subnormals():
    exp = M.exp.compiled()
    v = _arguments(np.random.default_rng(0), -745, 709)
    got = np.array([exp(np.float64(a)) for a in v])
    want = np.exp(v)
    normal = want > 2.3e-308
    assert (np.abs(got[normal] / want[normal] - 1) <= 4e-16).all()
    assert (np.abs(got[~normal] - want[~normal]) <= 2 * 4.9e-324).all()  # subnormal spacing


def test_exp32_within_its_ulp_bound():
    exp32 = M.exp32.compiled()
    v = _arguments(np.random.default_rng(1), -104, 88.7).astype(np.float32)
    got = np.array([exp32(a) for a in v], dtype=np.float32)
    assert _ulps32(got, np.exp(v.astype(np.float64))).max() <= 1.0  # the docstring's bound


def test_exp_limits_and_the_masked_values_of_attention():
    # -inf and -1e9 are the masks of causal attention: they give exactly 0 (taken without a
    # subnormal intermediate, which only speed shows), NaN stays NaN, overflow is inf
    for fn, kind in ((M.exp.compiled(), np.float64), (M.exp32.compiled(), np.float32)):
        low = M._EXP_MIN if kind is np.float64 else M._F_MIN  # where the result becomes 0
        for a, want in ((-math.inf, 0.0), (-1e9, 0.0), (-1e4, 0.0), (math.inf, math.inf), (1e4, math.inf),
                        (0.0, 1.0), (-0.0, 1.0), (low, 0.0), (np.nextafter(kind(low), kind(-1e9)), 0.0)):
            assert fn(kind(a)) <= 1.5e-45 if want == 0 else fn(kind(a)) == want, (fn, a)
        assert math.isnan(fn(kind(math.nan)))


_AVX2_ONLY = ("+64bit,+avx,+avx2,+bmi,+bmi2,+cmov,+cx16,+f16c,+fma,+lzcnt,+movbe,+popcnt,+sse,+sse2,+sse3,"
              "+sse4.1,+sse4.2,+ssse3,-avx512f,-avx512vl,-avx512bw,-avx512dq")


def test_exp32_gives_the_same_bits_with_and_without_avx512(tmp_path):
    # exp32 puts 2**n on with `scale32`: LLVM's ldexp (one vscalefps) where the kernels are
    # compiled for AVX-512, two factors built from bits elsewhere. Both round once, so the
    # results, subnormal ones included, are the same bits; compiled for an AVX2-only CPU here.
    v = _arguments(np.random.default_rng(3), -104, 88.7).astype(np.float32)
    np.save(tmp_path / "v.npy", v)
    code = f"""
import numpy as np
from autograd_core.kernels import _vmath as M
exp32 = M.exp32.compiled()
v = np.load({str(tmp_path / "v.npy")!r})
np.save({str(tmp_path / "avx2.npy")!r}, np.array([exp32(a) for a in v], dtype=np.float32))
"""
    env = dict(os.environ, NUMBA_CPU_NAME="haswell", NUMBA_CPU_FEATURES=_AVX2_ONLY,
               NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
    exp32 = M.exp32.compiled()
    here = np.array([exp32(a) for a in v], dtype=np.float32)
    np.testing.assert_array_equal(np.load(tmp_path / "avx2.npy").view(np.int32), here.view(np.int32))
    assert ((here > 0) & (here < np.finfo(np.float32).tiny)).sum() > 100  # subnormal results among them


def test_exp32_pair_is_accurate_to_a_small_fraction_of_an_ulp():
    # hi + lo, both float32, within 0.2 ulp of float32 of e**v (SiLU's derivative rests on it), 0.6
    # below -70 where lo is subnormal; hi is hi + lo rounded, and below the range both parts are 0
    pair = M.exp32_pair.compiled()
    v = np.concatenate([np.random.default_rng(4).uniform(-87, 88.7, 20000), np.linspace(-2, 2, 4001)])
    v = v.astype(np.float32)
    hi, lo = np.array([pair(a) for a in v], dtype=np.float32).T
    want = np.exp(v.astype(np.float64))
    got = hi.astype(np.float64) + lo.astype(np.float64)
    ulps = np.abs(got - want) / np.spacing(want.astype(np.float32)).astype(np.float64)
    # as Python (NUMBA_DISABLE_JIT) the products round before their sums, not in FMAs: 0.25
    assert ulps[v >= -70].max() <= (0.25 if numba.config.DISABLE_JIT else 0.2) and ulps.max() <= 0.6
    normal = v >= -70  # below, lo is subnormal and may round to a tie at half an ulp of hi
    np.testing.assert_array_equal((hi[normal].astype(np.float64) + lo[normal]).astype(np.float32), hi[normal])
    assert pair(np.float32(-104.0)) == (0.0, 0.0)


def test_fma32_rounds_once():
    # 1 - q r, r = 1/q rounded to float32, is exactly a float32 (and exact in float64): a fused
    # multiply-add returns it exactly, a product rounded before the subtraction does not
    from autograd_core.kernels._jit import njit

    kernel = njit(cache=True)(_residuals)
    q = np.random.default_rng(5).uniform(1, 2, 4096).astype(np.float32)
    r = (1 / q).astype(np.float32)
    out = np.empty_like(q)
    kernel(q, r, out)
    want = (1 - q.astype(np.float64) * r.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(out, want)
    assert np.count_nonzero(want) > 1000


def _residuals(q, r, out):
    for i in range(q.size):
        out[i] = fma32(-q[i], r[i], np.float32(1.0))
