"""Collectives on Tensors, in place on their raw arrays, over MPI's non-blocking calls.

Before moving data, every collective exchanges a one-line description of its arguments (name,
dtype, shape, op, root) among all ranks, so that a mismatch raises on every rank with all the
shapes named, instead of corrupting memory or hanging. `async_op=True` returns a `Work`
whose `wait()` finishes the job (copy-back, AVG's division).

    >>> t = ag.tensor([float(dist.get_rank())])           # doctest: +SKIP
    >>> dist.all_reduce(t, op=dist.ReduceOp.SUM); t       # on 2 ranks
    tensor([1.])
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from .process_group import DistError, _check_group, current, wait_all

_META_BYTES = 192


class ReduceOp:
    """How all_reduce / reduce / reduce_scatter combine the ranks' values."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"


_MPI_OPS = {"sum": "SUM", "avg": "SUM", "product": "PROD", "min": "MIN", "max": "MAX",
            "band": "BAND", "bor": "BOR", "bxor": "BXOR"}


class Work:
    """A collective in flight (async_op=True): `wait()` blocks until done, then the tensors hold it."""

    def __init__(self, requests: list, what: str, finish: Callable[[], None] | None = None,
                 result: list | None = None) -> None:
        self._requests, self._what, self._finish, self._result = requests, what, finish, result or []
        self._done = False

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            self._finish()

    def wait(self, timeout=None) -> bool:
        """Block until the collective is done (or the group's timeout passes: DistError)."""
        if not self._done:
            seconds = None if timeout is None else getattr(timeout, "total_seconds", lambda: timeout)()
            wait_all(self._requests, self._what, seconds)
            self._complete()
        return True

    def is_completed(self) -> bool:
        """Non-blocking: True once the collective has finished (and its results are in place)."""
        if not self._done and current().MPI.Request.Testall(self._requests):
            self._complete()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def result(self) -> list:
        self.wait()
        return self._result


def _array(tensor, what: str, name: str = "tensor") -> np.ndarray:
    data = getattr(tensor, "_data", None)
    if not isinstance(data, np.ndarray):
        raise TypeError(f"{what}: {name} must be a Tensor, got {type(tensor).__name__}")
    return data


def _describe(arr: np.ndarray) -> str:
    return f"{arr.dtype}{tuple(arr.shape)}"


def agree(what: str, description: str) -> None:
    """Every rank states its arguments; any difference raises on every rank, naming all of them."""
    state = current()
    if state.size == 1:
        return
    text = description.encode()
    if len(text) > _META_BYTES:  # long shape lists: compare a digest, keep the readable head
        text = text[: _META_BYTES - 42] + b"~" + hashlib.sha1(text).hexdigest().encode()
    mine = np.zeros(_META_BYTES, dtype=np.uint8)
    mine[: len(text)] = np.frombuffer(text, dtype=np.uint8)
    everyone = np.empty((state.size, _META_BYTES), dtype=np.uint8)
    wait_all([state.comm.Iallgather(mine, everyone)], what)
    seen = [bytes(row).rstrip(b"\0").decode() for row in everyone]
    if any(s != seen[0] for s in seen):
        listing = "; ".join(f"rank {r}: {s}" for r, s in enumerate(seen))
        raise DistError(f"{what}: the ranks called it with different arguments ({listing})")


def _contiguous(arr: np.ndarray) -> tuple[np.ndarray, Callable[[], None] | None]:
    """A C-contiguous flat buffer for MPI, and how to copy the result back into `arr` if needed."""
    if arr.flags.c_contiguous:
        return arr.reshape(-1), None
    buf = np.ascontiguousarray(arr).reshape(-1)
    return buf, lambda: np.copyto(arr, buf.reshape(arr.shape))


def _mpi_op(op, what: str, dtype: np.dtype):
    name = getattr(op, "value", op)
    if name not in _MPI_OPS:
        raise ValueError(f"{what}: unknown reduce op {op!r}; use dist.ReduceOp.SUM, AVG, PRODUCT, MIN or MAX")
    if name == "avg" and not np.issubdtype(dtype, np.inexact):
        raise TypeError(f"{what}: ReduceOp.AVG needs a floating tensor, got {dtype}")
    return getattr(current().MPI, _MPI_OPS[name]), name


def _run(requests: list, what: str, steps: list, async_op: bool, result=None) -> Work | None:
    def finish():
        for step in steps:
            if step is not None:
                step()

    work = Work(requests, what, finish, result)
    if async_op:
        return work
    work.wait()
    return None


def _averager(buf: np.ndarray, size: int):
    return lambda: np.divide(buf, size, out=buf)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False) -> Work | None:
    """Combine `tensor` across all ranks with `op`; every rank ends with the result, in place."""
    _check_group(group)
    arr = _array(tensor, "all_reduce")
    mpi_op, name = _mpi_op(op, "all_reduce", arr.dtype)
    agree("all_reduce", f"all_reduce {_describe(arr)} op={name}")
    state = current()
    buf, copy_back = _contiguous(arr)
    request = state.comm.Iallreduce(state.MPI.IN_PLACE, buf, op=mpi_op)
    steps = [_averager(buf, state.size) if name == "avg" else None, copy_back]
    return _run([request], "all_reduce", steps, async_op, [tensor])


def broadcast(tensor, src: int, group=None, async_op: bool = False) -> Work | None:
    """Copy rank `src`'s tensor into every rank's tensor, in place."""
    _check_group(group)
    arr = _array(tensor, "broadcast")
    _check_rank(src, "broadcast", "src")
    agree("broadcast", f"broadcast {_describe(arr)} src={src}")
    buf, copy_back = _contiguous(arr)
    request = current().comm.Ibcast(buf, root=src)
    return _run([request], "broadcast", [copy_back], async_op, [tensor])


def reduce(tensor, dst: int, op=ReduceOp.SUM, group=None, async_op: bool = False) -> Work | None:
    """Combine `tensor` across ranks into rank `dst`'s tensor (the others' are left as they were)."""
    _check_group(group)
    arr = _array(tensor, "reduce")
    _check_rank(dst, "reduce", "dst")
    mpi_op, name = _mpi_op(op, "reduce", arr.dtype)
    agree("reduce", f"reduce {_describe(arr)} op={name} dst={dst}")
    state = current()
    buf, copy_back = _contiguous(arr)
    if state.rank == dst:
        request = state.comm.Ireduce(state.MPI.IN_PLACE, buf, op=mpi_op, root=dst)
        steps = [_averager(buf, state.size) if name == "avg" else None, copy_back]
    else:
        request = state.comm.Ireduce(buf, None, op=mpi_op, root=dst)
        steps = []
    return _run([request], "reduce", steps, async_op, [tensor])


def _check_rank(rank: int, what: str, name: str) -> None:
    size = current().size
    if not isinstance(rank, (int, np.integer)) or not 0 <= rank < size:
        raise ValueError(f"{what}: {name}={rank!r} is not a rank of this group (0 … {size - 1})")


def _check_list(tensors, like: np.ndarray, what: str, name: str) -> list[np.ndarray]:
    size = current().size
    if tensors is None or len(tensors) != size:
        got = "None" if tensors is None else f"{len(tensors)} tensors"
        raise ValueError(f"{what}: {name} must hold world_size = {size} tensors, got {got}")
    arrays = [_array(t, what, name) for t in tensors]
    for i, a in enumerate(arrays):
        if a.shape != like.shape or a.dtype != like.dtype:
            raise ValueError(f"{what}: {name}[{i}] is {_describe(a)} but the tensor is {_describe(like)}")
    return arrays


def _copy_rows(rows: np.ndarray, arrays: list[np.ndarray]):
    def copy():
        for row, a in zip(rows, arrays):
            np.copyto(a, row.reshape(a.shape))
    return copy


def all_gather(tensor_list: list, tensor, group=None, async_op: bool = False) -> Work | None:
    """Every rank receives every rank's `tensor`: tensor_list[r] = rank r's tensor."""
    _check_group(group)
    arr = _array(tensor, "all_gather")
    outs = _check_list(tensor_list, arr, "all_gather", "tensor_list")
    agree("all_gather", f"all_gather {_describe(arr)}")
    state = current()
    rows = np.empty((state.size, arr.size), dtype=arr.dtype)
    request = state.comm.Iallgather(np.ascontiguousarray(arr).reshape(-1), rows)
    return _run([request], "all_gather", [_copy_rows(rows, outs)], async_op, list(tensor_list))


def _stacked_shape(big: np.ndarray, small: np.ndarray, what: str, big_name: str, small_name: str) -> None:
    size = current().size
    concatenated = (small.shape[0] * size,) + small.shape[1:] if small.ndim else None
    if big.shape not in (concatenated, (size,) + small.shape) or big.dtype != small.dtype:
        raise ValueError(f"{what}: {big_name} is {_describe(big)} but must be world_size = {size} times "
                         f"{small_name} {_describe(small)}, concatenated along dim 0 or stacked")


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False) -> Work | None:
    """Gather every rank's input into one output, concatenated along dim 0 (or stacked)."""
    _check_group(group)
    out = _array(output_tensor, "all_gather_into_tensor", "output_tensor")
    arr = _array(input_tensor, "all_gather_into_tensor", "input_tensor")
    _stacked_shape(out, arr, "all_gather_into_tensor", "output_tensor", "input_tensor")
    agree("all_gather_into_tensor", f"all_gather_into_tensor {_describe(arr)}")
    buf, copy_back = _contiguous(out)
    request = current().comm.Iallgather(np.ascontiguousarray(arr).reshape(-1), buf)
    return _run([request], "all_gather_into_tensor", [copy_back], async_op, [output_tensor])


def reduce_scatter(output, input_list: list, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce input_list element-wise across ranks; rank r receives the reduction of input_list[r]."""
    _check_group(group)
    out = _array(output, "reduce_scatter", "output")
    ins = _check_list(input_list, out, "reduce_scatter", "input_list")
    mpi_op, name = _mpi_op(op, "reduce_scatter", out.dtype)
    agree("reduce_scatter", f"reduce_scatter {_describe(out)} op={name}")
    send = np.stack([a.reshape(-1) for a in ins]) if ins[0].size else np.empty((len(ins), 0), out.dtype)
    return _reduce_scatter_block(send, out, mpi_op, name, "reduce_scatter", async_op, output)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """reduce_scatter with the inputs concatenated along dim 0 (or stacked) in one tensor."""
    _check_group(group)
    out = _array(output, "reduce_scatter_tensor", "output")
    arr = _array(input, "reduce_scatter_tensor", "input")
    _stacked_shape(arr, out, "reduce_scatter_tensor", "input", "output")
    mpi_op, name = _mpi_op(op, "reduce_scatter_tensor", out.dtype)
    agree("reduce_scatter_tensor", f"reduce_scatter_tensor {_describe(arr)} op={name}")
    return _reduce_scatter_block(np.ascontiguousarray(arr).reshape(-1), out, mpi_op, name,
                                 "reduce_scatter_tensor", async_op, output)


def _reduce_scatter_block(send, out, mpi_op, name, what, async_op, output):
    state = current()
    buf, copy_back = _contiguous(out)
    request = state.comm.Ireduce_scatter_block(send, buf, op=mpi_op)
    steps = [_averager(buf, state.size) if name == "avg" else None, copy_back]
    # `send` must live until the request completes: the closure keeps it.
    return _run([request], what, steps + [lambda: send], async_op, [output])


def gather(tensor, gather_list: list | None = None, dst: int = 0, group=None, async_op: bool = False):
    """Rank `dst` receives every rank's tensor into gather_list (only dst passes a list)."""
    _check_group(group)
    arr = _array(tensor, "gather")
    _check_rank(dst, "gather", "dst")
    state = current()
    if state.rank == dst:
        outs = _check_list(gather_list, arr, "gather", "gather_list")
    elif gather_list:
        raise ValueError(f"gather: only the destination rank {dst} passes gather_list; rank {state.rank} did")
    agree("gather", f"gather {_describe(arr)} dst={dst}")
    send = np.ascontiguousarray(arr).reshape(-1)
    if state.rank == dst:
        rows = np.empty((state.size, arr.size), dtype=arr.dtype)
        request = state.comm.Igather(send, rows, root=dst)
        return _run([request], "gather", [_copy_rows(rows, outs)], async_op, list(gather_list))
    request = state.comm.Igather(send, None, root=dst)
    return _run([request], "gather", [lambda: send], async_op)


def scatter(tensor, scatter_list: list | None = None, src: int = 0, group=None, async_op: bool = False):
    """Rank r receives scatter_list[r] from rank `src` into `tensor` (only src passes a list)."""
    _check_group(group)
    arr = _array(tensor, "scatter")
    _check_rank(src, "scatter", "src")
    state = current()
    if state.rank == src:
        ins = _check_list(scatter_list, arr, "scatter", "scatter_list")
        send = np.stack([a.reshape(-1) for a in ins]) if arr.size else np.empty((state.size, 0), arr.dtype)
    elif scatter_list:
        raise ValueError(f"scatter: only the source rank {src} passes scatter_list; rank {state.rank} did")
    else:
        send = None
    agree("scatter", f"scatter {_describe(arr)} src={src}")
    buf, copy_back = _contiguous(arr)
    request = state.comm.Iscatter(send, buf, root=src)
    return _run([request], "scatter", [copy_back, lambda: send], async_op, [tensor])


def barrier(group=None, async_op: bool = False, device_ids=None) -> Work | None:
    """Wait until every rank has reached this point."""
    _check_group(group)
    return _run([current().comm.Ibarrier()], "barrier", [], async_op)
