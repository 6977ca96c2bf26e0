"""Creation functions follow PyTorch's dtype rules and the shared seed."""

import numpy as np
import pytest

import autograd_core as ag


@pytest.mark.parametrize(
    "data, dtype",
    [([1.0, 2.0], np.float32), (1.5, np.float32), ([1, 2], np.int64), (3, np.int64),
     ([True, False], np.bool_), (np.zeros(2, dtype=np.float64), np.float64),
     (np.zeros(2, dtype=np.int32), np.int32)],
)
def test_tensor_dtype_rules(data, dtype):
    assert ag.tensor(data).dtype == dtype
    assert ag.Tensor(data).dtype == dtype


def test_dtype_argument_and_aliases():
    assert ag.tensor([1, 2], dtype=ag.float64).dtype == np.float64
    assert ag.zeros(2, dtype=np.float64).dtype == np.float64
    assert ag.ones(2, 3).dtype == np.float32
    assert ag.tensor([1.0]).astype(ag.int64).dtype == np.int64
    assert ag.tensor([1.0]).to(ag.float64).dtype == np.float64
    assert ag.tensor([1.0]).double().float().dtype == np.float32


@pytest.mark.parametrize(
    "make, shape, dtype",
    [
        (lambda: ag.zeros(2, 3), (2, 3), np.float32),
        (lambda: ag.zeros((2, 3)), (2, 3), np.float32),
        (lambda: ag.ones(4), (4,), np.float32),
        (lambda: ag.full((2, 2), 7.0), (2, 2), np.float32),
        (lambda: ag.full((2,), 7), (2,), np.int64),
        (lambda: ag.empty(3), (3,), np.float32),
        (lambda: ag.zeros_like(ag.ones(2, dtype=ag.float64)), (2,), np.float64),
        (lambda: ag.ones_like(ag.ones(3)), (3,), np.float32),
        (lambda: ag.full_like(ag.ones(3), 2.0), (3,), np.float32),
        (lambda: ag.arange(5), (5,), np.int64),
        (lambda: ag.arange(0, 1, 0.25), (4,), np.float32),
        (lambda: ag.linspace(0, 1, 5), (5,), np.float32),
        (lambda: ag.eye(3), (3, 3), np.float32),
        (lambda: ag.randn(2, 3), (2, 3), np.float32),
        (lambda: ag.rand(4), (4,), np.float32),
        (lambda: ag.randint(0, 10, (3,)), (3,), np.int64),
    ],
)
def test_creation_shapes_and_dtypes(make, shape, dtype):
    t = make()
    assert t.shape == shape and t.dtype == dtype


def test_requires_grad_flag_on_creation():
    assert ag.zeros(2, requires_grad=True).requires_grad
    assert ag.randn(2, requires_grad=True).is_leaf


def test_manual_seed_reproduces_draws():
    ag.manual_seed(123)
    a = (ag.randn(3)._data, ag.rand(2)._data, ag.randint(0, 100, (4,))._data)
    ag.manual_seed(123)
    b = (ag.randn(3)._data, ag.rand(2)._data, ag.randint(0, 100, (4,))._data)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_attributes():
    t = ag.ones(2, 3)
    assert t.ndim == 2 and t.numel() == 6 and len(t) == 2 and t.size() == (2, 3) and t.size(1) == 3
    assert t.T.shape == (3, 2)
    assert ag.tensor(2.5).item() == 2.5 and ag.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert "requires_grad=True" in repr(ag.ones(1, requires_grad=True))


def test_object_data_is_refused():
    with pytest.raises(TypeError, match="cannot build a Tensor"):
        ag.tensor([object()])
