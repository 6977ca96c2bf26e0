"""How kernels are compiled: importing them is cheap (no numba, no compiling), and with
NUMBA_DISABLE_JIT=1 the same loops run as Python and give the same results."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograd_core.kernels import _jit

ROOT = Path(__file__).resolve().parents[3]

# Import the kernel modules under a bare `autograd_core` package, so the engine's imports do not count.
_BARE_PACKAGE = f"""
import sys, types
package = types.ModuleType("autograd_core")
package.__path__ = [{str(ROOT / "autograd_core")!r}]
sys.modules["autograd_core"] = package
"""


def _run(code, **env):
    result = subprocess.run([sys.executable, "-c", _BARE_PACKAGE + code], capture_output=True, text=True,
                            cwd=ROOT, env={**os.environ, **env}, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_importing_the_kernels_imports_no_numba():
    out = _run("""
import time
start = time.perf_counter()
from autograd_core.kernels import activations, conv, dropout, pool, reference, softmax
print("numba" in sys.modules, time.perf_counter() - start)
""")
    numba_loaded, seconds = out.split()
    assert numba_loaded == "False"
    assert float(seconds) < 1.0  # ~0.1 s; generous for a loaded machine


def test_kernels_give_the_same_results_with_numba_disabled():
    out = _run("""
import numpy as np
from autograd_core.kernels import activations, conv, pool, reference, softmax
rng = np.random.default_rng(0)
x, w, b = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
y = conv.conv2d_forward(x, w, b, 2, 1, (2, 1))
g = rng.standard_normal(y.shape)
checks = [
    (y, reference.conv2d_forward(x, w, b, 2, 1, (2, 1))),
    *zip(conv.conv2d_backward(x, w, g, 2, 1, (2, 1)), reference.conv2d_backward(x, w, g, 2, 1, (2, 1))),
    *zip(pool.max_pool2d_forward(x, 3, 2, 1), reference.max_pool2d_forward(x, 3, 2, 1)),
    (softmax.log_softmax_forward(x), reference.log_softmax_forward(x)),
    (activations.gelu_backward(x, x), reference.gelu_backward(x, x)),
]
print(max(float(np.abs(a - e).max()) for a, e in checks))
import numba
print(numba.config.DISABLE_JIT)
""", NUMBA_DISABLE_JIT="1")
    worst, disabled = out.split()
    assert disabled in ("1", "True") and float(worst) < 1e-12


def test_cache_is_required_and_serial_twin():
    with pytest.raises(ValueError, match="cache=True"):
        _jit.njit(cache=False)

    @_jit.njit(cache=True)
    def serial_only(x):
        return x

    assert serial_only.serial is serial_only
    from autograd_core.kernels import activations

    x = np.arange(-3.0, 3.0)
    out_parallel, out_serial = np.empty_like(x), np.empty_like(x)
    activations._relu(x, out_parallel)
    activations._relu.serial(x, out_serial)
    np.testing.assert_array_equal(out_parallel, out_serial)
    assert activations._relu.serial.__name__ == "_relu__serial"


def test_vectorised_math_runs_as_python_with_numba_disabled():
    out = _run("""
import numpy as np
from autograd_core.kernels import activations, conv, reference, softmax
x = np.linspace(-5, 5, 37).astype(np.float32)
checks = [(getattr(activations, f + "_forward")(x), getattr(reference, f + "_forward")(x))
          for f in ("sigmoid", "gelu", "silu", "softplus")]
checks += [(activations.gelu_forward(x, "tanh"), reference.gelu_forward(x, "tanh")),
           (softmax.softmax_forward(x.reshape(1, -1)), reference.softmax_forward(x.reshape(1, -1)))]
rng = np.random.default_rng(0)
xx = rng.standard_normal((1, 4, 7, 7)).astype(np.float32)
w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
checks.append((conv.conv2d_forward(xx, w, None, 2, 1, 1, 2),
               reference.conv2d_forward(xx, w, None, 2, 1, 1, 2)))
print(max(float(np.abs(a.astype(np.float64) - e).max()) for a, e in checks))
""", NUMBA_DISABLE_JIT="1")
    assert float(out) < 1e-6
