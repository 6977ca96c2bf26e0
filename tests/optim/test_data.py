"""ag.data: TensorDataset, Dataset subclasses and DataLoader batching and shuffling."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core.data import DataLoader, Dataset, TensorDataset, default_collate


def ids_dataset(n=10):
    """Sample i is (a row holding i, the label i): batches tell which samples they hold."""
    x = ag.tensor(np.repeat(np.arange(n, dtype=np.float32)[:, None], 3, axis=1))
    return TensorDataset(x, ag.arange(n))


def epoch_ids(loader):
    return np.concatenate([y._data for _, y in loader])


def test_lazy_submodule():
    assert ag.data.DataLoader is DataLoader


def test_tensor_dataset():
    ds = ids_dataset(5)
    assert len(ds) == 5
    x, y = ds[2]
    assert x.tolist() == [2.0, 2.0, 2.0] and y.item() == 2
    with pytest.raises(ValueError, match=r"same size in dim 0.*\[4, 3\]"):
        TensorDataset(ag.zeros(4, 2), ag.zeros(3))
    with pytest.raises(TypeError, match="Tensor"):
        TensorDataset([1, 2, 3])


@pytest.mark.parametrize("drop_last, sizes", [(False, [4, 4, 2]), (True, [4, 4])])
def test_batch_shapes_and_len(drop_last, sizes):
    loader = DataLoader(ids_dataset(10), batch_size=4, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(batches) == len(sizes)
    assert [x.shape for x, _ in batches] == [(n, 3) for n in sizes]
    assert [y.shape for _, y in batches] == [(n,) for n in sizes]
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int64
    assert not batches[0][0].requires_grad


def test_no_shuffle_keeps_order():
    assert epoch_ids(DataLoader(ids_dataset(7), batch_size=3)).tolist() == list(range(7))


def test_shuffle_covers_every_sample_once_and_differs_between_epochs():
    loader = DataLoader(ids_dataset(50), batch_size=8, shuffle=True)
    ag.manual_seed(0)
    first, second = epoch_ids(loader), epoch_ids(loader)
    for ids in (first, second):
        assert sorted(ids.tolist()) == list(range(50))
    assert first.tolist() != second.tolist()
    assert first.tolist() != list(range(50))


def test_shuffle_reproducible_with_manual_seed():
    loader = DataLoader(ids_dataset(30), batch_size=4, shuffle=True)
    ag.manual_seed(123)
    run1 = [epoch_ids(loader) for _ in range(3)]
    ag.manual_seed(123)
    run2 = [epoch_ids(loader) for _ in range(3)]
    for a, b in zip(run1, run2):
        np.testing.assert_array_equal(a, b)


def test_shuffle_with_drop_last_gives_distinct_samples():
    loader = DataLoader(ids_dataset(10), batch_size=4, shuffle=True, drop_last=True)
    ids = epoch_ids(loader)
    assert len(ids) == 8 and len(set(ids.tolist())) == 8


def test_batches_are_copies():
    ds = ids_dataset(4)
    (x, _), = list(DataLoader(ds, batch_size=4))
    x._data[...] = -1
    assert ds.tensors[0]._data.min() == 0


class Pairs(Dataset):
    """A generic dataset: each sample is (a float32 array, a Python int, a Python float)."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return np.full(2, i, dtype=np.float32), i, i / 2


def test_generic_dataset_is_stacked():
    batches = list(DataLoader(Pairs(), batch_size=2))
    assert len(batches) == 3
    x, label, half = batches[1]
    assert x.shape == (2, 2) and x.dtype == np.float32 and x._data[:, 0].tolist() == [2.0, 3.0]
    assert label.dtype == np.int64 and label.tolist() == [2, 3]
    assert half.dtype == np.float64 and half.tolist() == [1.0, 1.5]  # Python floats collate to float64, as torch


def test_fast_path_equals_stacking_samples():
    ds = TensorDataset(ag.randn(9, 2, 3), ag.randint(0, 5, (9,)))
    ag.manual_seed(7)
    fast = list(DataLoader(ds, batch_size=4, shuffle=True))
    ag.manual_seed(7)
    slow = list(DataLoader(ds, batch_size=4, shuffle=True, collate_fn=default_collate))
    for (fx, fy), (sx, sy) in zip(fast, slow):
        np.testing.assert_array_equal(fx._data, sx._data)
        np.testing.assert_array_equal(fy._data, sy._data)


def test_dataset_is_abstract_and_batch_size_validated():
    with pytest.raises(TypeError):
        Dataset()
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ids_dataset(), batch_size=0)
    with pytest.raises(TypeError, match="batch must contain"):
        default_collate([object(), object()])


def test_dict_samples():
    batch = default_collate([{"x": ag.ones(2), "y": 1}, {"x": ag.zeros(2), "y": 0}])
    assert batch["x"].shape == (2, 2) and batch["y"].tolist() == [1, 0]
