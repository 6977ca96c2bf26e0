"""`DataLoader`: batches from a dataset, read in this process or by worker processes,
with `torch.utils.data.DataLoader`'s arguments and ordering.

With `num_workers > 0` each worker is a separate process (started with
`multiprocessing_context`, by default Python's default start method, as PyTorch does).
Map-style datasets: the batches' index lists are dealt to the workers in turn, at most
`prefetch_factor` per worker ahead, and the batches come back in sampler order.
Iterable datasets: every worker iterates its own copy (split the stream with
`get_worker_info()`), and batches are taken from the workers in turn.

    >>> import autograd_core as ag
    >>> from autograd_core.data import DataLoader, TensorDataset
    >>> loader = DataLoader(TensorDataset(ag.arange(10)), batch_size=4, num_workers=2)
    >>> [b.tolist() for (b,) in loader]
    [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
"""

from __future__ import annotations

import itertools
import multiprocessing
import numbers
import os
import queue
import random
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import random as _random
from .data_collate import default_collate, default_convert
from .data_datasets import Dataset, IterableDataset, TensorDataset, as_numpy_generator
from .data_sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "WorkerInfo", "get_worker_info"]


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker process knows about itself (`get_worker_info()` inside a worker)."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker process: its `WorkerInfo` (id, num_workers, seed, and its
    copy of the dataset); in the main process: None.

        >>> get_worker_info() is None
        True
    """
    return _worker_info


class _ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback."""

    def __init__(self, where: str) -> None:
        import sys

        exc_type, exc, _ = sys.exc_info()
        self.exc_type = exc_type
        self.message = f"Caught {exc_type.__name__} {where}.\nOriginal {traceback.format_exc()}"

    def reraise(self) -> None:
        try:
            error = self.exc_type(self.message)
        except Exception:  # an exception type whose constructor wants other arguments
            error = RuntimeError(self.message)
        raise error


@dataclass(frozen=True)
class _WorkerDone:
    """A worker's iterable dataset is exhausted."""

    worker_id: int


class _Fetcher:
    """Reads one batch (or one sample) for a task; the same code in-process and in workers."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable | None, drop_last: bool,
                 batch_size: int | None) -> None:
        self.dataset, self.auto_collation = dataset, auto_collation
        self.drop_last, self.batch_size = drop_last, batch_size
        self.fast = collate_fn is None and auto_collation and isinstance(dataset, TensorDataset)
        self.collate_fn = collate_fn or (default_collate if auto_collation else default_convert)
        self.iterator: Iterator | None = None

    def restart(self) -> None:
        self.iterator = iter(self.dataset) if isinstance(self.dataset, IterableDataset) else None

    def fetch(self, task: Any) -> Any:
        """The batch for `task` (a list of indices, an index, or None for the next of a stream);
        raises StopIteration when a stream is exhausted."""
        if self.iterator is not None:
            if not self.auto_collation:
                return self.collate_fn(next(self.iterator))
            samples = list(itertools.islice(self.iterator, self.batch_size))
            if not samples or (self.drop_last and len(samples) < self.batch_size):
                raise StopIteration
            return self.collate_fn(samples)
        if not self.auto_collation:
            return self.collate_fn(self.dataset[task])
        if self.fast:  # one fancy index per tensor instead of stacking samples
            return self.dataset.take(np.asarray(task, dtype=np.int64))
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(task) if callable(getitems) else [self.dataset[i] for i in task]
        return self.collate_fn(samples)


def _seed_everything(seed: int) -> None:
    _random.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)


def _worker_loop(fetcher: _Fetcher, index_queue, result_queue, seed: int, init_fn: Callable | None,
                 worker_id: int, num_workers: int, parent_pid: int) -> None:
    """A worker process: answer (epoch, task number, task) messages until told to stop (None)."""
    global _worker_info
    _seed_everything(seed)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=fetcher.dataset)
    init_error = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher.restart()
    except Exception:
        init_error = _ExceptionWrapper(f"in DataLoader worker process {worker_id} while starting")
    done = False
    while True:
        try:
            message = index_queue.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent_pid:  # the main process is gone: do not linger
                break
            continue
        if message is None:
            break
        epoch, task_number, task = message
        if task == "restart":  # a persistent worker starts a new epoch
            done = False
            try:
                fetcher.restart()
            except Exception:
                init_error = _ExceptionWrapper(f"in DataLoader worker process {worker_id} while restarting")
            continue
        if init_error is not None:
            result = init_error
        elif done:
            result = _WorkerDone(worker_id)
        else:
            try:
                result = fetcher.fetch(task)
            except StopIteration:
                done = True
                result = _WorkerDone(worker_id)
            except Exception:
                result = _ExceptionWrapper(f"in DataLoader worker process {worker_id}")
        result_queue.put((epoch, task_number, result))


class _MultiProcessIterator:
    """The main process's side of the workers: deals tasks, keeps order, watches for trouble."""

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        context = loader.multiprocessing_context
        if context is None:
            context = multiprocessing.get_context()
        elif isinstance(context, str):
            context = multiprocessing.get_context(context)
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor if loader.prefetch_factor is not None else 2
        self._persistent = loader.persistent_workers
        self._iterable = isinstance(loader.dataset, IterableDataset)
        base_seed = int(as_numpy_generator(loader.generator).integers(0, 2**62))
        fetcher = _Fetcher(loader.dataset, loader._auto_collation, loader._user_collate_fn, loader.drop_last,
                           loader.batch_size)
        self._result_queue = context.Queue()
        self._index_queues, self._workers = [], []
        for worker_id in range(self._num_workers):
            index_queue = context.Queue()
            worker = context.Process(
                target=_worker_loop,
                args=(fetcher, index_queue, self._result_queue, base_seed + worker_id, loader.worker_init_fn,
                      worker_id, self._num_workers, os.getpid()),
                daemon=True,
            )
            worker.start()
            self._index_queues.append(index_queue)
            self._workers.append(worker)
        self._shut_down = False
        self._epoch = 0
        self._start_epoch(first=True)

    def _start_epoch(self, first: bool = False) -> None:
        if not first:
            self._epoch += 1
            for index_queue in self._index_queues:
                index_queue.put((self._epoch, -1, "restart"))
        self._tasks = iter(self._loader._index_sampler) if not self._iterable else itertools.repeat(None)
        self._active = [True] * self._num_workers
        self._turn = itertools.cycle(range(self._num_workers))
        self._sent = self._received = 0
        self._pending: dict[int, list] = {}  # task number -> [worker id] or [worker id, result]
        for _ in range(self._prefetch * self._num_workers):
            self._send_task()

    def _send_task(self) -> None:
        if not any(self._active):
            return
        try:
            task = next(self._tasks)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._turn)
            if self._active[worker_id]:
                break
        self._index_queues[worker_id].put((self._epoch, self._sent, task))
        self._pending[self._sent] = [worker_id]
        self._sent += 1

    def __iter__(self) -> _MultiProcessIterator:
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def __next__(self) -> Any:
        while True:
            # Skip tasks sent to workers whose stream has ended: no batch will come for them.
            while self._received < self._sent:
                entry = self._pending[self._received]
                if len(entry) == 2 or self._active[entry[0]]:
                    break
                del self._pending[self._received]
                self._received += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            entry = self._pending[self._received]
            if len(entry) == 2:
                del self._pending[self._received]
                self._received += 1
                self._send_task()
                return self._unwrap(entry[1])
            task_number, result = self._next_result()
            if isinstance(result, _WorkerDone):
                self._active[result.worker_id] = False
                continue
            if task_number == self._received:
                del self._pending[task_number]
                self._received += 1
                self._send_task()
                return self._unwrap(result)
            self._pending[task_number].append(result)  # early: keep it until its turn

    def _unwrap(self, result: Any) -> Any:
        if isinstance(result, _ExceptionWrapper):
            if not self._persistent:
                self._shutdown()
            result.reraise()
        return result

    def _next_result(self) -> tuple[int, Any]:
        timeout = self._loader.timeout
        start = time.monotonic()
        while True:
            try:
                epoch, task_number, result = self._result_queue.get(timeout=1.0 if timeout <= 0 else
                                                                    min(1.0, timeout))
            except queue.Empty:
                dead = [w for w, active in zip(self._workers, self._active) if active and not w.is_alive()]
                if dead:
                    self._shutdown()
                    raise RuntimeError(
                        f"DataLoader worker (pid(s) {', '.join(str(w.pid) for w in dead)}) exited unexpectedly "
                        f"(exit code(s) {', '.join(str(w.exitcode) for w in dead)}); if the dataset runs "
                        "parallel kernels inside a forked worker, pass multiprocessing_context='spawn' or "
                        "'forkserver'") from None
                if timeout > 0 and time.monotonic() - start >= timeout:
                    self._shutdown()
                    raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None
                continue
            if epoch == self._epoch:  # results of an abandoned earlier epoch are dropped
                return task_number, result

    def _shutdown(self) -> None:
        if self._shut_down:
            return
        self._shut_down = True
        for worker, index_queue in zip(self._workers, self._index_queues):
            if worker.is_alive():
                try:
                    index_queue.put(None)
                except (OSError, ValueError):
                    pass
        for worker in self._workers:
            worker.join(timeout=5.0)
            if worker.is_alive():
                worker.terminate()
                worker.join(timeout=1.0)
        for q in [*self._index_queues, self._result_queue]:
            q.cancel_join_thread()
            q.close()

    def __del__(self) -> None:
        try:
            self._shutdown()
        except Exception:  # interpreter shutdown: modules may already be gone
            pass


def _check_non_negative_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"DataLoader: {name} option should be a non-negative integer, got {value!r}")
    return int(value)


class DataLoader:
    """Iterate over a dataset in batches, as `torch.utils.data.DataLoader`.

    Args:
        dataset: a map-style `Dataset` (`len` and `[i]`) or an `IterableDataset`.
        batch_size: samples per batch; None yields single samples (converted, not collated).
        shuffle: a new random order every epoch (a `RandomSampler` drawing from `generator`,
            or from the shared generator reseeded by `ag.manual_seed`).
        sampler: the order of indices (any iterable of indices); excludes `shuffle`.
        batch_sampler: yields whole lists of indices; excludes batch_size, shuffle, sampler, drop_last.
        num_workers: worker processes (0: load in this process).
        collate_fn: list of samples -> batch (default `default_collate`).
        pin_memory, pin_memory_device: accepted; nothing to pin on a CPU.
        drop_last: drop a last batch smaller than `batch_size`.
        timeout: seconds to wait for a worker's batch before raising (0: forever).
        worker_init_fn: called in each worker with its id, after seeding.
        multiprocessing_context: start method name ('fork', 'spawn', 'forkserver') or context.
        generator: draws the shuffle order and the workers' base seed (a NumPy-style generator).
        prefetch_factor: batches loaded ahead per worker (default 2; needs num_workers > 0).
        persistent_workers: keep the workers between epochs (needs num_workers > 0).

    Each worker seeds `ag`'s generator, Python's `random` and NumPy's global generator with
    base_seed + worker id, a base seed drawn from `generator` when iteration starts.
    Batches from a `TensorDataset` with the default collation are cut with one fancy index per tensor.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Any = None, batch_sampler: Sampler | Any = None, num_workers: int = 0,
                 collate_fn: Callable[[list], Any] | None = None, pin_memory: bool = False, drop_last: bool = False,
                 timeout: float = 0, worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, generator: Any = None, *, prefetch_factor: int | None = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True) -> None:
        self.num_workers = _check_non_negative_int("num_workers", num_workers)
        if timeout < 0:
            raise ValueError("DataLoader: timeout option should be non-negative")
        if self.num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified in multiprocessing; "
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None")
        if prefetch_factor is not None and (isinstance(prefetch_factor, bool) or prefetch_factor < 0):
            raise ValueError("DataLoader: prefetch_factor option should be non-negative")
        if persistent_workers and self.num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if isinstance(dataset, IterableDataset):
            for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value not in (None, False):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, "
                                     f"but got {name}={value!r}")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None:
            if drop_last:
                raise ValueError("DataLoader: batch_size=None option disables auto-batching and is mutually "
                                 "exclusive with drop_last")
        elif isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int or None, got {batch_size!r}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if sampler is None and not isinstance(dataset, IterableDataset):
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and sampler is not None:
            batch_sampler = BatchSampler(sampler, int(batch_size), bool(drop_last))
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.drop_last = bool(drop_last)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.generator = generator
        self._user_collate_fn = collate_fn
        self.collate_fn = collate_fn or (default_collate if self._auto_collation else default_convert)
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.timeout, self.worker_init_fn = timeout, worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = (2 if prefetch_factor is None else prefetch_factor) if self.num_workers else None
        self.persistent_workers = bool(persistent_workers)
        self.in_order = in_order
        self._iterator: _MultiProcessIterator | None = None

    @property
    def _auto_collation(self) -> bool:
        return self.batch_size is not None or self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation and self.batch_sampler is not None else self.sampler

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # a TypeError when the stream has no length, as in PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self._index_sampler)

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers == 0:
            return self._single_process()
        if not self.persistent_workers:
            return _MultiProcessIterator(self)
        if self._iterator is None or self._iterator._shut_down:
            self._iterator = _MultiProcessIterator(self)
        else:
            self._iterator._start_epoch()
        return self._iterator

    def _single_process(self) -> Iterator[Any]:
        fetcher = _Fetcher(self.dataset, self._auto_collation, self._user_collate_fn, self.drop_last,
                           self.batch_size)
        fetcher.restart()
        tasks = itertools.repeat(None) if isinstance(self.dataset, IterableDataset) else iter(self._index_sampler)
        for task in tasks:
            try:
                batch = fetcher.fetch(task)
            except StopIteration:
                return
            yield batch

    def __del__(self) -> None:
        iterator = self.__dict__.get("_iterator")
        if iterator is not None:
            try:
                iterator._shutdown()
            except Exception:  # interpreter shutdown: modules may already be gone
                pass

    def __repr__(self) -> str:
        size = len(self.dataset) if hasattr(self.dataset, "__len__") else "?"
        return (f"DataLoader({type(self.dataset).__name__} of {size}, batch_size={self.batch_size}, "
                f"shuffle={isinstance(self.sampler, RandomSampler)}, drop_last={self.drop_last}, "
                f"num_workers={self.num_workers})")
