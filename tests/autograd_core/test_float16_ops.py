"""float16 tensors through every Numba-backed op: computed in float32 inside, float16 out, as
PyTorch on the CPU; other dtypes raise TypeError naming the kernel and the dtype."""

import numpy as np
import pytest

import autograd_core as ag

F = ag.functional

OPS = {
    "relu": F.relu, "leaky_relu": F.leaky_relu, "sigmoid": F.sigmoid, "tanh": F.tanh, "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"), "softplus": F.softplus,
    "softmax": lambda x: F.softmax(x, dim=1), "log_softmax": lambda x: F.log_softmax(x, dim=-1),
    "max_pool2d": lambda x: F.max_pool2d(x, 2), "avg_pool2d": lambda x: F.avg_pool2d(x, 2),
    "max_pool1d": lambda x: F.max_pool1d(x[:, :, 0], 2),
    "conv2d": lambda x: F.conv2d(x, ag.ones(3, 1, 3, 3, dtype=ag.float16), groups=3),
    "conv1d": lambda x: F.conv1d(x[:, :, 0], ag.ones(2, 3, 3, dtype=ag.float16)),
    "cross_entropy": lambda x: F.cross_entropy(x[:, :, 0, 0], ag.tensor(np.array([1, 2]))),
}


def _x():
    return np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float16)


@pytest.mark.parametrize("name", OPS)
def test_float16_forward_and_backward(name):
    x = ag.tensor(_x(), requires_grad=True)
    y = OPS[name](x)
    assert y.dtype == ag.float16
    y.sum().backward()
    assert x.grad.dtype == ag.float16 and np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("name", ["gelu", "sigmoid", "softmax", "log_softmax", "conv2d", "max_pool2d"])
def test_float16_matches_torch(name):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    theirs = {"gelu": tf.gelu, "sigmoid": torch.sigmoid, "softmax": lambda t: tf.softmax(t, dim=1),
              "log_softmax": lambda t: tf.log_softmax(t, dim=-1),
              "conv2d": lambda t: tf.conv2d(t, torch.ones(3, 1, 3, 3, dtype=torch.float16), groups=3),
              "max_pool2d": lambda t: tf.max_pool2d(t, 2)}[name]
    x0 = _x()
    ours = OPS[name](ag.tensor(x0)).numpy().astype(np.float32)
    ref = theirs(torch.from_numpy(x0)).float().numpy()
    np.testing.assert_allclose(ours, ref, rtol=2e-3, atol=2e-3)


def test_an_integer_tensor_names_the_kernel_and_dtype():
    with pytest.raises(TypeError, match="gelu_forward.*int64"):
        F.gelu(ag.tensor(np.arange(3)))
