"""DataLoader with worker processes: the same batches and order as num_workers=0 (and as
torch's workers for an iterable dataset), worker seeds and get_worker_info, errors,
timeouts, persistent workers, start methods, and workers started after parallel kernels."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import data

ROOT = Path(__file__).resolve().parents[2]


class Probe(data.Dataset):
    """Sample i says which process read it, with that worker's id and seed."""

    def __init__(self, n=20, fail_at=None, delay=0.0):
        self.n, self.fail_at, self.delay = n, fail_at, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise KeyError(f"sample {i} is broken")
        time.sleep(self.delay)
        info = data.get_worker_info()
        worker = -1 if info is None else info.id
        seed = -1 if info is None else info.seed
        return {"i": i, "worker": worker, "seed": seed, "pid": os.getpid(), "draw": float(ag.rand(1).item())}


class Stream(data.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = data.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


def plain(batch):
    return batch if isinstance(batch, int) else batch.tolist()


def ids(loader):
    return [b["i"] if isinstance(b["i"], int) else b["i"].tolist() for b in loader]


@pytest.mark.parametrize("options", [dict(batch_size=3), dict(batch_size=4, drop_last=True),
                                     dict(batch_size=None), dict(batch_size=2, sampler=[5, 1, 1, 9, 0])])
def test_workers_give_the_same_batches_in_order(options):
    expected = ids(data.DataLoader(Probe(), **options)) if options.get("batch_size") else None
    loader = data.DataLoader(Probe(), num_workers=2, **options)
    got = ids(loader)
    if expected is not None:
        assert got == expected
    else:
        assert got == list(range(20))
    assert len(loader) == len(got)


def test_batches_are_dealt_round_robin_with_seeds_and_worker_info():
    init_calls = []
    loader = data.DataLoader(Probe(12), batch_size=2, num_workers=3, prefetch_factor=1,
                             generator=np.random.default_rng(7), worker_init_fn=init_calls.append)
    batches = list(loader)
    workers = [b["worker"].tolist() for b in batches]
    assert workers == [[k % 3] * 2 for k in range(6)]  # batch k from worker k mod num_workers, as torch
    seeds = {w: b["seed"][0].item() for w, b in zip((k % 3 for k in range(6)), batches)}
    assert seeds[1] == seeds[0] + 1 and seeds[2] == seeds[0] + 2
    assert len({b["pid"][0].item() for b in batches} | {os.getpid()}) == 4
    # ag's generator is seeded per worker: the workers' draws differ from one another
    assert len({b["draw"][0].item() for b in batches[:3]}) == 3
    assert init_calls == []  # worker_init_fn ran in the workers, not here
    assert data.get_worker_info() is None


def test_worker_init_fn_runs_in_each_worker():
    loader = data.DataLoader(Probe(4), batch_size=1, num_workers=2, worker_init_fn=_seed_worker)
    draws = [b["draw"].item() for b in loader]
    # both workers reseeded to 1234: batches 0, 1 are each worker's first draw, batches 2, 3 the second
    assert draws[0] == draws[1] and draws[2] == draws[3] and draws[0] != draws[2]


def _seed_worker(worker_id):
    ag.manual_seed(1234)  # every worker the same stream


def test_shuffle_with_workers_is_reproducible_and_complete():
    def epoch(seed):
        loader = data.DataLoader(Probe(), batch_size=3, shuffle=True, num_workers=2,
                                 generator=np.random.default_rng(seed))
        return [i for b in ids(loader) for i in b]

    first = epoch(1)
    assert sorted(first) == list(range(20)) and first == epoch(1) and first != epoch(2)


def test_iterable_dataset_matches_torch_worker_order():
    torch = pytest.importorskip("torch")

    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            return iter(range(info.id, 11, info.num_workers))

    for options in (dict(batch_size=2), dict(batch_size=2, drop_last=True), dict(batch_size=None)):
        ours = [plain(b) for b in data.DataLoader(Stream(11), num_workers=2, **options)]
        theirs = [plain(b) for b in torch.utils.data.DataLoader(TorchStream(), num_workers=2, **options)]
        assert ours == theirs, options


def test_worker_error_is_raised_here_with_its_traceback():
    loader = data.DataLoader(Probe(fail_at=5), batch_size=2, num_workers=2)
    with pytest.raises(KeyError, match=r"(?s)Caught KeyError in DataLoader worker process 0.*sample 5 is broken"):
        list(loader)


def test_timeout_raises():
    loader = data.DataLoader(Probe(4, delay=1.5), batch_size=1, num_workers=1, timeout=0.3)
    with pytest.raises(RuntimeError, match="timed out after 0.3 seconds"):
        next(iter(loader))


def test_persistent_workers_are_reused_and_epochs_restart():
    loader = data.DataLoader(Probe(8), batch_size=2, num_workers=2, persistent_workers=True)
    first, second = list(loader), list(loader)
    assert ids(first) == ids(second) == ids(data.DataLoader(Probe(8), batch_size=2))
    assert {b["pid"][0].item() for b in first} == {b["pid"][0].item() for b in second}
    partial = iter(loader)
    next(partial)  # abandon an epoch half way: the next one starts cleanly
    assert ids(loader) == ids(first)
    stream = data.DataLoader(Stream(5), batch_size=2, num_workers=2, persistent_workers=True)
    assert [b.tolist() for b in stream] == [b.tolist() for b in stream] == [[0, 2], [1, 3], [4]]
    del loader, stream


def test_spawn_context():
    loader = data.DataLoader(Probe(6), batch_size=3, num_workers=2, multiprocessing_context="spawn")
    assert ids(loader) == [[0, 1, 2], [3, 4, 5]]


def run_script(body):
    script = textwrap.dedent(body)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=90, env=env,
                          cwd=str(ROOT))


def test_workers_after_parallel_kernels_ran():
    """The default start method after a parallel (Numba) kernel ran in this process."""
    result = run_script("""
        import autograd_core as ag, nn
        from autograd_core.data import DataLoader, TensorDataset
        conv = nn.Conv2d(3, 4, 3)
        conv(ag.randn(4, 3, 12, 12)).sum().backward()
        loader = DataLoader(TensorDataset(ag.arange(10)), batch_size=4, num_workers=2)
        print([b.tolist() for (b,) in loader])
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]"


def test_worker_dying_is_reported_not_hung():
    result = run_script("""
        import os
        from autograd_core import data
        class Dies(data.Dataset):
            def __len__(self): return 4
            def __getitem__(self, i): os._exit(3)
        try:
            list(data.DataLoader(Dies(), num_workers=2))
        except RuntimeError as error:
            print("raised:", error)
    """)
    assert "exited unexpectedly" in result.stdout and "exit code(s) 3" in result.stdout, result.stderr
