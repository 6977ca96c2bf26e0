"""Graph-free compute kernels: NumPy arrays and ints in, NumPy arrays out.

One module per family, each with a plain-NumPy twin in `reference`:

    activations   relu, leaky_relu, sigmoid, tanh, gelu (exact and tanh), softplus, silu
    softmax       softmax, log_softmax, cross_entropy along the last axis
    conv          conv1d, conv2d (PyTorch layouts, groups), and their input/weight gradients
    pool          max_pool1d, max_pool2d, avg_pool2d
    dropout       inverted dropout masks from a numpy Generator

Shared pieces: `_jit` (lazy compilation, argument checks, float16 computed in float32), `_vmath`
(exp, log, log1p, erfc that vectorise inside kernels) and `_threads` (threading layer, fork, BLAS
threads). Every kernel takes float16, float32 or float64 arrays; other dtypes raise TypeError.

Importing this package or any kernel module is cheap: numba is imported, and each loop compiled or
loaded from numba's on-disk cache, on the first call (see `_jit`).

    >>> import numpy as np
    >>> from autograd_core.kernels import activations
    >>> activations.relu_forward(np.array([-1.0, 2.0]))
    array([0., 2.])
"""
