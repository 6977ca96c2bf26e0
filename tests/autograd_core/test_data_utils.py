"""autograd_core.data against torch.utils.data: datasets, random_split, samplers,
default_collate and the single-process DataLoader's batching rules. Index sequences of
random samplers are not torch's (another generator); their structure is compared."""

import collections
import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import data

torch = pytest.importorskip("torch")
tdata = torch.utils.data

Point = collections.namedtuple("Point", ["x", "y"])


def as_plain(value):
    """Tensors of either library -> (dtype name, nested list); containers recursively."""
    if isinstance(value, ag.Tensor):
        return ("tensor", str(value._data.dtype), value._data.tolist())
    if isinstance(value, torch.Tensor):
        return ("tensor", str(value.numpy().dtype), value.tolist())
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, [as_plain(v) for v in value])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [as_plain(v) for v in value])
    return value


def to_torch(sample):
    if isinstance(sample, ag.Tensor):
        return torch.tensor(sample._data)
    if isinstance(sample, dict):
        return {k: to_torch(v) for k, v in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(to_torch(v) for v in sample))
    if isinstance(sample, (list, tuple)):
        return type(sample)(to_torch(v) for v in sample)
    return sample


COLLATE_CASES = {
    "tensors": [ag.tensor([1.0, 2.0]), ag.tensor([3.0, 4.0])],
    "ints": [1, 2, 3],
    "floats": [0.5, 1.5],
    "bools": [True, False],
    "numpy scalars": [np.float32(1.0), np.float32(2.5)],
    "numpy int scalars": [np.int32(1), np.int32(2)],
    "arrays": [np.zeros((2, 2), np.float32), np.ones((2, 2), np.float32)],
    "strings": ["a", "b"],
    "tuples": [(ag.ones(2), 1, "a"), (ag.zeros(2), 2, "b")],
    "lists": [[1.0, 2], [3.0, 4]],
    "dicts": [{"x": ag.ones(3), "meta": {"id": 1, "name": "p"}}, {"x": ag.zeros(3), "meta": {"id": 2, "name": "q"}}],
    "namedtuples": [Point(ag.ones(1), 1.0), Point(ag.zeros(1), 2.0)],
    "nested": [([np.arange(2), {"k": (1, 2.0)}], 3), ([np.arange(2, 4), {"k": (5, 6.0)}], 4)],
}


@pytest.mark.parametrize("name", sorted(COLLATE_CASES))
def test_default_collate_matches_torch(name):
    samples = COLLATE_CASES[name]
    ours = data.default_collate(samples)
    theirs = tdata.default_collate([to_torch(s) for s in samples])
    assert as_plain(ours) == as_plain(theirs)


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        data.default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="equal size"):
        data.default_collate([ag.ones(2), ag.ones(3)])
    with pytest.raises(TypeError, match="found object"):
        data.default_collate([object()])
    with pytest.raises(TypeError, match="dtype <U1"):
        data.default_collate([np.array(["a"]), np.array(["b"])])


@pytest.mark.parametrize("sample", [np.arange(3), {"a": np.float64(2.0), "b": "s"}, (np.zeros(1), 5), [1, 2]])
def test_default_convert_matches_torch(sample):
    assert as_plain(data.default_convert(sample)) == as_plain(tdata.default_convert(sample))


class Squares(data.Dataset):
    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"i": i, "sq": float(i * i)}


class TorchSquares(tdata.Dataset):
    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"i": i, "sq": float(i * i)}


class Stream(data.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = data.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter([(i, float(i)) for i in range(start, self.n, step)])

    def __len__(self):
        return self.n


class TorchStream(tdata.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = tdata.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter([(i, float(i)) for i in range(start, self.n, step)])

    def __len__(self):
        return self.n


LOADER_CASES = [
    dict(batch_size=3),
    dict(batch_size=3, drop_last=True),
    dict(batch_size=None),
    dict(batch_size=4, sampler=[9, 0, 5, 5, 2]),
    dict(batch_sampler=[[1, 2], [7], [3, 3, 0]]),
    dict(batch_size=2, collate_fn=lambda samples: [s["i"] for s in samples]),
]


@pytest.mark.parametrize("options", LOADER_CASES, ids=[str(sorted(o)) for o in LOADER_CASES])
def test_map_style_loader_matches_torch(options):
    ours = data.DataLoader(Squares(), **options)
    theirs = tdata.DataLoader(TorchSquares(), **options)
    assert len(ours) == len(theirs)
    assert [as_plain(b) for b in ours] == [as_plain(b) for b in theirs]


@pytest.mark.parametrize("options", [dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)])
def test_iterable_loader_matches_torch(options):
    ours, theirs = data.DataLoader(Stream(8), **options), tdata.DataLoader(TorchStream(8), **options)
    assert len(ours) == len(theirs)
    assert [as_plain(b) for b in ours] == [as_plain(b) for b in theirs]


@pytest.mark.parametrize(("options", "message"), [
    (dict(batch_sampler=[[0]], batch_size=2), "mutually exclusive"),
    (dict(batch_sampler=[[0]], shuffle=True), "mutually exclusive"),
    (dict(sampler=[0, 1], shuffle=True), "mutually exclusive with shuffle"),
    (dict(batch_size=None, drop_last=True), "drop_last"),
    (dict(num_workers=-1), "num_workers"),
    (dict(timeout=-1), "timeout"),
    (dict(prefetch_factor=2), "prefetch_factor"),
    (dict(persistent_workers=True), "persistent_workers"),
])
def test_loader_option_errors_as_torch(options, message):
    with pytest.raises(ValueError, match=message):
        data.DataLoader(Squares(), **options)
    with pytest.raises(ValueError):
        tdata.DataLoader(TorchSquares(), **options)


def test_iterable_dataset_refuses_shuffle_and_sampler():
    for options in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match="IterableDataset"):
            data.DataLoader(Stream(3), **options)


def test_shuffle_uses_generator_and_covers_every_index():
    loader = data.DataLoader(Squares(20), batch_size=6, shuffle=True, generator=np.random.default_rng(3))
    first = [i for b in loader for i in b["i"].tolist()]
    second = [i for b in loader for i in b["i"].tolist()]
    assert sorted(first) == sorted(second) == list(range(20)) and first != second
    again = data.DataLoader(Squares(20), batch_size=6, shuffle=True, generator=np.random.default_rng(3))
    assert [i for b in again for i in b["i"].tolist()] == first


# -- datasets ---------------------------------------------------------------------------
def test_subset_concat_chain_match_torch():
    x = np.arange(12).reshape(6, 2)
    ours_base, theirs_base = data.TensorDataset(ag.tensor(x)), tdata.TensorDataset(torch.tensor(x))
    ours = data.ConcatDataset([data.Subset(ours_base, [5, 1, 3]), ours_base])
    theirs = tdata.ConcatDataset([tdata.Subset(theirs_base, [5, 1, 3]), theirs_base])
    assert len(ours) == len(theirs) and ours.cumulative_sizes == theirs.cumulative_sizes
    for i in list(range(len(ours))) + [-1, -9]:
        assert ours[i][0].tolist() == theirs[i][0].tolist()
    with pytest.raises(ValueError, match="exceed"):
        ours[-10]
    with pytest.raises(ValueError, match="empty"):
        data.ConcatDataset([])
    with pytest.raises(TypeError, match="IterableDataset"):
        data.ConcatDataset([Stream(2)])
    chained = Stream(2) + Stream(3)
    assert isinstance(chained, data.ChainDataset) and list(chained) == [(0, 0.0), (1, 1.0), (0, 0.0), (1, 1.0),
                                                                         (2, 2.0)]
    assert len(chained) == 5 and isinstance(ours_base + ours_base, data.ConcatDataset)


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.33, 0.33, 0.34], [0.5, 0.5], [0.1, 0.1, 0.8]])
def test_random_split_sizes_match_torch(lengths):
    ours = data.random_split(Squares(10), lengths, generator=np.random.default_rng(0))
    theirs = tdata.random_split(TorchSquares(10), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s.indices) == list(range(10))
    again = data.random_split(Squares(10), lengths, generator=np.random.default_rng(0))
    assert [s.indices for s in again] == [s.indices for s in ours]


def test_random_split_errors_and_warnings():
    with pytest.raises(ValueError, match="does not equal"):
        data.random_split(Squares(10), [3, 3])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parts = data.random_split(Squares(2), [0.1, 0.1, 0.8])
    assert [len(p) for p in parts] == [1, 0, 1] and any("index 1 is 0" in str(w.message) for w in caught)


def test_random_split_follows_manual_seed():
    ag.manual_seed(5)
    a = [s.indices for s in data.random_split(Squares(10), [5, 5])]
    ag.manual_seed(5)
    assert [s.indices for s in data.random_split(Squares(10), [5, 5])] == a


# -- samplers ----------------------------------------------------------------------------
def test_samplers_structure_matches_torch():
    rng = np.random.default_rng(0)
    source = range(7)
    assert list(data.SequentialSampler(source)) == list(tdata.SequentialSampler(source))
    for kwargs in (dict(), dict(num_samples=17), dict(num_samples=4), dict(replacement=True, num_samples=30)):
        ours = list(data.RandomSampler(source, generator=rng, **kwargs))
        theirs = list(tdata.RandomSampler(source, **kwargs))
        assert len(ours) == len(theirs) == len(data.RandomSampler(source, **kwargs))
        assert set(ours) <= set(source)
        if not kwargs.get("replacement"):
            for start in range(0, len(ours), 7):  # whole permutations, then part of one
                chunk = ours[start:start + 7]
                assert len(set(chunk)) == len(chunk)
    subset = [10, 20, 30, 40]
    assert sorted(data.SubsetRandomSampler(subset, generator=rng)) == subset
    for drop_last in (False, True):
        ours = list(data.BatchSampler(range(10), 3, drop_last))
        assert ours == list(tdata.BatchSampler(range(10), 3, drop_last))
        assert len(data.BatchSampler(range(10), 3, drop_last)) == len(ours)


def test_weighted_random_sampler():
    rng = np.random.default_rng(0)
    draws = list(data.WeightedRandomSampler([1.0, 0.0, 3.0], 4000, generator=rng))
    counts = np.bincount(draws, minlength=3)
    assert counts[1] == 0 and 0.7 < counts[2] / 4000 < 0.8
    unique = list(data.WeightedRandomSampler(ag.tensor([1.0, 2.0, 3.0, 4.0]), 4, replacement=False, generator=rng))
    assert sorted(unique) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="num_samples"):
        data.WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="without replacement"):
        data.WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
    with pytest.raises(ValueError, match="1d"):
        data.WeightedRandomSampler([[1.0]], 1)


@pytest.mark.parametrize(("build", "error"), [
    (lambda: data.BatchSampler(range(3), 0, False), ValueError),
    (lambda: data.BatchSampler(range(3), 2, None), ValueError),
    (lambda: data.RandomSampler(range(3), replacement=1), TypeError),
    (lambda: data.RandomSampler(range(3), num_samples=0), ValueError),
])
def test_sampler_errors_as_torch(build, error):
    with pytest.raises(error):
        build()


def test_generator_helper_accepts_numpy_style_objects():
    class Wrapped:
        def __init__(self):
            self._generator = np.random.default_rng(0)

    assert isinstance(data.as_numpy_generator(Wrapped()), np.random.Generator)
    with pytest.raises(TypeError, match="generator"):
        data.as_numpy_generator(42)
