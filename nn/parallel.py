"""`DistributedDataParallel`: N processes train one model as if on their concatenated batch.

The gradient of the mean loss over the whole batch is the mean of the ranks' gradients, so
averaging gradients after backward makes N ranks step exactly like one. DDP does it while
backward is still running: parameters are grouped, in reverse registration order (roughly the
order backward reaches them), into buckets of at most `bucket_cap_mb`; a hook after each
parameter's gradient accumulation copies the gradient into its bucket, and a full bucket starts
a non-blocking MPI all-reduce at once, so communication overlaps the rest of the backward pass.
When backward ends, a queued callback waits for the buckets and writes the averages back into
each `.grad` in place. MPI only advances a non-blocking collective inside MPI calls, so while
buckets are in flight a background thread (distributed/progress.py) keeps its engine turning.
Buckets are always started in the same order on every rank, as MPI requires of collectives.

    >>> import autograd_core.distributed as dist                      # doctest: +SKIP
    >>> dist.init_process_group("mpi")
    >>> model = DistributedDataParallel(nn.Linear(4, 2))              # rank 0's weights everywhere
    >>> model(x).pow(2).mean().backward()                            # grads averaged over ranks
"""

from __future__ import annotations

import contextlib
import time

import numpy as np

from autograd_core import Tensor, engine, is_grad_enabled
from autograd_core.distributed import all_gather_object
from autograd_core.distributed.process_group import _check_group, current, wait_all
from autograd_core.distributed.progress import background_progress

from .module import Module

_FIRST_BUCKET_BYTES = 1024 * 1024  # a small first bucket starts communicating early (as PyTorch)


class _Bucket:
    def __init__(self, indices: list[int], sizes: list[int], dtype) -> None:
        self.indices = indices
        self.offsets = dict(zip(indices, np.cumsum([0] + sizes[:-1]).tolist()))
        self.buffer = np.zeros(sum(sizes), dtype=dtype)
        self.missing = len(indices)
        self.request = None


class DistributedDataParallel(Module):
    """Wrap `module` so that backward averages its gradients across all ranks.

    Args as PyTorch's: `broadcast_buffers` (send rank 0's buffers, e.g. BatchNorm running
    statistics, before each forward), `bucket_cap_mb` (bucket size), `find_unused_parameters`
    (parameters that got no gradient in a backward count as zero instead of being an error).
    `device_ids`, `output_device`, `gradient_as_bucket_view` and `static_graph` are accepted for
    compatibility and change nothing on the CPU.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False) -> None:
        super().__init__()
        _check_group(process_group)
        state = current()
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._names = [n for n, _ in named]
        self._params = [p for _, p in named]
        self._verify_same_model(module)
        self._sync_module_state(everything=True)
        self._buckets = self._make_buckets(25.0 if bucket_cap_mb is None else bucket_cap_mb)
        self._bucket_of = {i: b for b in self._buckets for i in b.indices}
        self._world = state.size
        self._sync_pass = False  # decided at forward: no_sync() turns it off
        self._pass_active = False
        self._ready = [False] * len(self._params)
        self._next_bucket = 0
        # perf_counter() when the last backward began and ended waiting for its all-reduces
        # (benchmarks/bench_distributed.py measures the exposed communication with it)
        self._last_wait = (0.0, 0.0)
        # MPI progress while backward computes, so that started buckets really overlap it
        self._progress_thread = background_progress() if state.size > 1 else None
        self._holding_progress = False
        for i, p in enumerate(self._params):
            p.register_post_accumulate_grad_hook(self._make_hook(i))

    # -- construction ------------------------------------------------------------------------
    def _verify_same_model(self, module: Module) -> None:
        """Every rank must wrap the same architecture; say which parameter differs if not."""
        mine = [f"{n} {t._data.dtype}{tuple(t.shape)}" for n, t in module.state_dict().items()]
        everyone = [None] * current().size
        all_gather_object(everyone, mine)
        for rank, theirs in enumerate(everyone):
            if theirs != mine:
                diff = next((f"{a!r} vs {b!r}" for a, b in zip(mine, theirs) if a != b),
                            f"{len(mine)} vs {len(theirs)} entries")
                raise ValueError(f"DistributedDataParallel: rank {current().rank}'s model differs from rank "
                                 f"{rank}'s ({diff}); every rank must build the same model")

    def _sync_module_state(self, everything: bool) -> None:
        """Broadcast rank 0's parameters (construction only) and buffers, in place."""
        tensors = list(self.module.buffers())
        if everything:
            tensors = list(self.module.parameters()) + tensors
        state = current()
        requests, copies = [], []
        for t in tensors:
            arr = t._data
            if arr.flags.c_contiguous:
                buf = arr.reshape(-1)  # a view: the broadcast lands in the tensor itself
            else:
                buf = np.ascontiguousarray(arr).reshape(-1)
                copies.append((arr, buf))
            requests.append(state.comm.Ibcast(buf, root=0))
        wait_all(requests, "DistributedDataParallel (broadcasting rank 0's parameters and buffers)")
        for arr, buf in copies:
            np.copyto(arr, buf.reshape(arr.shape))

    def _make_buckets(self, cap_mb: float) -> list[_Bucket]:
        buckets, current_ids, current_bytes, limit = [], [], 0, _FIRST_BUCKET_BYTES
        cap = max(1, int(cap_mb * 1024 * 1024))
        limit = min(limit, cap)

        def close():
            nonlocal current_ids, current_bytes, limit
            if current_ids:
                dtype = self._params[current_ids[0]]._data.dtype
                buckets.append(_Bucket(current_ids, [self._params[i]._data.size for i in current_ids], dtype))
                current_ids, current_bytes, limit = [], 0, cap

        for i in reversed(range(len(self._params))):
            p = self._params[i]
            if current_ids and (self._params[current_ids[0]]._data.dtype != p._data.dtype
                                or current_bytes + p._data.nbytes > limit):
                close()
            current_ids.append(i)
            current_bytes += p._data.nbytes
        close()
        return buckets

    # -- forward -----------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        self._sync_pass = self.require_backward_grad_sync and is_grad_enabled()
        self._reset_pass()
        if self.broadcast_buffers and self.require_forward_param_sync and self._world > 1:
            if any(True for _ in self.module.buffers()):
                self._sync_module_state(everything=False)
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, forward/backward only accumulate local gradients; the first backward after
        leaving it averages everything accumulated (gradient accumulation without extra traffic)."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # -- backward ----------------------------------------------------------------------------
    def _reset_pass(self) -> None:
        if self._holding_progress:
            self._progress_thread.release()
            self._holding_progress = False
        self._pass_active = False
        self._next_bucket = 0
        self._ready = [False] * len(self._params)
        for bucket in self._buckets:
            bucket.missing, bucket.request = len(bucket.indices), None

    def _make_hook(self, index: int):
        def hook(param: Tensor) -> None:
            if self._sync_pass:
                self._grad_ready(index, param)
        return hook

    def _grad_ready(self, index: int, param: Tensor) -> None:
        if not self._pass_active:
            self._pass_active = True
            engine.queue_callback(self._finish_backward)
        if self._ready[index]:
            return
        self._ready[index] = True
        bucket = self._bucket_of[index]
        start = bucket.offsets[index]
        bucket.buffer[start: start + param._data.size] = param.grad._data.reshape(-1)
        bucket.missing -= 1
        if bucket.missing == 0:
            self._launch_ready_buckets()
        else:
            self._progress()

    def _launch_ready_buckets(self) -> None:
        state = current()
        while self._next_bucket < len(self._buckets) and self._buckets[self._next_bucket].missing == 0:
            bucket = self._buckets[self._next_bucket]
            bucket.request = state.comm.Iallreduce(state.MPI.IN_PLACE, bucket.buffer, op=state.MPI.SUM)
            self._next_bucket += 1
            if self._progress_thread is not None and not self._holding_progress:
                self._progress_thread.hold()
                self._holding_progress = True
        self._progress()

    def _progress(self) -> None:
        """MPI moves non-blocking collectives forward only inside MPI calls: poke it."""
        launched = [b.request for b in self._buckets[: self._next_bucket]]
        if launched:
            current().MPI.Request.Testall(launched)

    def _finish_backward(self) -> None:
        # One synchronised backward per DDP forward: a later backward (e.g. through the inner
        # module on one rank only) must not start collectives the other ranks never join.
        self._pass_active = self._sync_pass = False
        unused = [i for i, ready in enumerate(self._ready) if not ready]
        if unused and not self.find_unused_parameters:
            names = ", ".join(self._names[i] for i in unused)
            raise RuntimeError(
                f"DistributedDataParallel: parameters received no gradient in this backward: {names}. "
                "They were not used to produce the loss; pass find_unused_parameters=True to "
                "DistributedDataParallel, or remove them from the model")
        for i in unused:  # a local gradient from no_sync steps still counts, else zero
            param, bucket = self._params[i], self._bucket_of[i]
            start = bucket.offsets[i]
            view = bucket.buffer[start: start + param._data.size]
            view[...] = 0 if param.grad is None else param.grad._data.reshape(-1)
            bucket.missing -= 1
        state = current()
        used = None
        if self.find_unused_parameters:
            had = np.array([ready or p.grad is not None for ready, p in zip(self._ready, self._params)],
                           dtype=np.int8)
            used = np.empty_like(had)
            extra = [state.comm.Iallreduce(had, used, op=state.MPI.MAX)]
        else:
            extra = []
        self._launch_ready_buckets()
        start_wait = time.perf_counter()
        wait_all([b.request for b in self._buckets] + extra, "DistributedDataParallel gradient all-reduce")
        self._last_wait = (start_wait, time.perf_counter())
        for bucket in self._buckets:
            bucket.buffer *= bucket.buffer.dtype.type(1.0 / self._world)
            for i in bucket.indices:
                param = self._params[i]
                start = bucket.offsets[i]
                average = bucket.buffer[start: start + param._data.size].reshape(param.shape)
                if param.grad is not None:
                    np.copyto(param.grad._data, average)
                elif used is not None and used[i]:
                    param.grad = Tensor._make(average.copy(), None)
        self._reset_pass()
