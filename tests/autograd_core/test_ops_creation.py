"""Creation functions against PyTorch: arange/linspace/logspace values (PyTorch's rounding)
and dtypes, full's dtype inference, tensor() on nested 0-d tensors and NumPy scalars,
tril/triu_indices, meshgrid (with gradients), as_tensor, empty_like."""

import numpy as np
import pytest
from parity import OURS, check, params

import autograd_core as ag

torch = pytest.importorskip("torch")


def same(ours, theirs):
    ref = theirs.numpy()
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == ref.dtype, (ours.dtype, ref.dtype)
    if ref.dtype.kind == "f":
        # PyTorch's vectorised loops round some steps twice: agree to the last bit or two
        np.testing.assert_allclose(
            ours._data, ref, rtol=2.5e-7 if ref.dtype == np.float32 else 1e-15, atol=1e-15
        )
    else:
        np.testing.assert_array_equal(ours._data, ref)


CALLS = [
    lambda m: m.arange(5),
    lambda m: m.arange(0, 1, 0.1),
    lambda m: m.arange(-1.0, 1.0, 0.3, dtype=m.float64),
    lambda m: m.arange(0.5, 3),
    lambda m: m.arange(10, 0, -3),
    lambda m: m.arange(0, 10, 3, dtype=m.float32),
    lambda m: m.arange(1, 4.5, 0.5, dtype=m.float64),
    lambda m: m.arange(0, 2.5, 1, dtype=m.int64),
    lambda m: m.arange(m.tensor(3)),
    lambda m: m.arange(0.1, 7.3, 0.7),
    lambda m: m.linspace(0, 1, 7),
    lambda m: m.linspace(-1.3, 7.1, 9),
    lambda m: m.linspace(0, 1, 1),
    lambda m: m.linspace(2, 3, 0),
    lambda m: m.linspace(0.1, 99.3, 1000),
    lambda m: m.linspace(3, -2, 6, dtype=m.float64),
    lambda m: m.linspace(0, 10, 5, dtype=m.int64),
    lambda m: m.logspace(0, 2, 5),
    lambda m: m.logspace(-1.5, 2.5, 7, base=2),
    lambda m: m.logspace(0, 3, 4, dtype=m.float64),
    lambda m: m.full((2,), 3),
    lambda m: m.full((2, 1), True),
    lambda m: m.full([3], 1.5),
    lambda m: m.full((2,), 1.5, dtype=m.float64),
    lambda m: m.tril_indices(3, 4, 1),
    lambda m: m.tril_indices(4, 3),
    lambda m: m.triu_indices(4, 3, -1),
    lambda m: m.triu_indices(3, 3, 1),
    lambda m: m.tensor([m.tensor(1.0, dtype=m.float64), m.tensor(2.0, dtype=m.float64)]),
    lambda m: m.tensor([m.tensor(1), 2.5]),
    lambda m: m.tensor([[m.tensor(1), m.tensor(2)], [3, 4]]),
    lambda m: m.tensor([m.tensor(True), 1]),
    lambda m: m.tensor([np.float64(1.5), 2.0]),
    lambda m: m.tensor([np.float32(1.5), 2]),
    lambda m: m.tensor([np.int32(3), 1]),
    lambda m: m.tensor([np.float16(1), 1.5]),
    lambda m: m.tensor(np.float64(1.5)),
    lambda m: m.tensor([[1, 2], [3, 4]], dtype=m.float64),
    lambda m: m.tensor([]),
    lambda m: m.as_tensor([1, 2]),
    lambda m: m.as_tensor([1.0, 2.0], dtype=m.float64),
    lambda m: m.empty_like(m.zeros(2, 3, dtype=m.float64)).zero_(),
    lambda m: m.zeros((2, 3)),
    lambda m: m.ones([2]),
    lambda m: m.eye(2, 3),
]


@pytest.mark.parametrize("k", range(len(CALLS)))
def test_matches_torch(k):
    same(CALLS[k](OURS), CALLS[k](torch))


def test_arange_rejects_a_step_of_the_wrong_sign():
    with pytest.raises(RuntimeError):
        torch.arange(5, 2)
    with pytest.raises(ValueError):
        OURS.arange(5, 2)


def test_as_tensor_shares_memory_with_arrays_and_tensors():
    a = np.arange(3.0)
    t = OURS.as_tensor(a)
    a[0] = 9.0
    assert t[0].item() == 9.0
    x = ag.tensor([1.0, 2.0])
    assert OURS.as_tensor(x) is x
    assert OURS.as_tensor(a, dtype=ag.float32).dtype == np.float32


def test_tensor_rejects_multi_element_tensors_in_lists():
    with pytest.raises(ValueError):
        torch.tensor([torch.ones(2), torch.ones(2)])
    with pytest.raises(ValueError):
        OURS.tensor([ag.ones(2), ag.ones(2)])


MESH = [
    ("meshgrid ij", lambda m, a, b: m.meshgrid(a, b, indexing="ij"), np.arange(3.0), np.arange(4.0) * 0.5),
    ("meshgrid xy", lambda m, a, b: m.meshgrid(a, b, indexing="xy"), np.arange(3.0), np.arange(4.0) * 0.5),
    (
        "meshgrid three xy",
        lambda m, a, b, c: m.meshgrid([a, b, c], indexing="xy"),
        np.arange(2.0),
        np.arange(3.0),
        np.arange(4.0),
    ),
    ("meshgrid 0d", lambda m, a, b: m.meshgrid(a, b, indexing="ij"), np.array(1.5), np.arange(2.0)),
]


@pytest.mark.parametrize("call,arrays,opts", params(MESH))
def test_meshgrid_matches_torch_with_gradients(call, arrays, opts):
    check(call, *arrays, **opts)


RANDOM = [
    lambda m: m.randn_like(m.zeros(2, 3)),
    lambda m: m.rand_like(m.zeros(4, dtype=m.float64)),
    lambda m: m.randint_like(m.zeros(3, dtype=m.int64), 5),
    lambda m: m.randint_like(m.zeros(3), 2, 9),
    lambda m: m.normal(0.0, 1.0, size=(2, 3)),
    lambda m: m.normal(m.zeros(2, 3, dtype=m.float64), 1.0),
    lambda m: m.normal(m.zeros(3), m.ones(2, 1)),
]


@pytest.mark.parametrize("k", range(len(RANDOM)))
def test_random_creation_shapes_and_dtypes_match_torch(k):
    ours, theirs = RANDOM[k](OURS), RANDOM[k](torch)
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == theirs.numpy().dtype


def test_random_creation_draws_from_the_right_distribution():
    ag.manual_seed(0)
    x = OURS.normal(OURS.full((200_000,), 3.0), 2.0)
    assert abs(x.mean().item() - 3.0) < 0.02 and abs(x.std().item() - 2.0) < 0.02
    u = OURS.rand_like(ag.zeros(100_000))
    assert 0.0 <= u.min().item() and u.max().item() < 1.0 and abs(u.mean().item() - 0.5) < 0.01
    r = OURS.randint_like(ag.zeros(10_000), 2, 5)
    assert set(np.unique(r._data)) == {2.0, 3.0, 4.0}
    ag.manual_seed(1)
    a = OURS.randn_like(ag.zeros(5))
    ag.manual_seed(1)
    assert np.array_equal(a._data, OURS.randn_like(ag.zeros(5))._data)
