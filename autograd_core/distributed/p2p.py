"""Point-to-point: send / recv and their non-blocking forms isend / irecv, on Tensors in place.

    >>> if dist.get_rank() == 0:                          # doctest: +SKIP
    ...     dist.send(ag.tensor([1.0, 2.0]), dst=1)
    ... else:
    ...     buf = ag.zeros(2); dist.recv(buf, src=0)
"""

from __future__ import annotations

import time

import numpy as np

from .collectives import Work, _array, _check_rank, _contiguous, _describe
from .process_group import DistError, _check_group, _read_control, _timed_out, current, wait_all


def isend(tensor, dst: int, group=None, tag: int = 0) -> Work:
    """Start sending `tensor` to rank `dst`; the Work's wait() returns once it has left."""
    _check_group(group)
    arr = _array(tensor, "isend")
    _check_rank(dst, "isend", "dst")
    send = np.ascontiguousarray(arr).reshape(-1)
    request = current().comm.Isend(send, dest=dst, tag=tag)
    return Work([request], f"send to rank {dst}", lambda: send, [tensor])


def send(tensor, dst: int, group=None, tag: int = 0) -> None:
    """Send `tensor` to rank `dst`, which must call recv with a tensor of the same shape and dtype."""
    isend(tensor, dst, group, tag).wait()


def _matching_message(src: int | None, tag: int, arr: np.ndarray, what: str):
    """Wait (bounded) for a message from `src`; check its size against the receiving tensor."""
    state = current()
    MPI = state.MPI
    status = MPI.Status()
    source = MPI.ANY_SOURCE if src is None else src
    deadline = time.monotonic() + state.timeout_s
    pause = 1e-5
    while not state.comm.Iprobe(source=source, tag=tag, status=status):
        _read_control(state, what)
        if time.monotonic() > deadline:
            _timed_out(state, what, state.timeout_s)
        time.sleep(pause)
        pause = min(pause * 2, 1e-3)
    count = status.Get_count(MPI.BYTE)
    if count != arr.nbytes:
        raise DistError(f"{what}: rank {status.Get_source()} sent {count} bytes but the receiving tensor "
                        f"is {_describe(arr)} ({arr.nbytes} bytes); send and recv need the same shape "
                        "and dtype")
    return status.Get_source()


def irecv(tensor, src: int | None = None, group=None, tag: int = 0) -> Work:
    """Start receiving into `tensor` from rank `src` (None: any rank)."""
    _check_group(group)
    arr = _array(tensor, "irecv")
    if src is not None:
        _check_rank(src, "irecv", "src")
    buf, copy_back = _contiguous(arr)
    source = current().MPI.ANY_SOURCE if src is None else src
    request = current().comm.Irecv(buf, source=source, tag=tag)
    return Work([request], f"recv from rank {'any' if src is None else src}", copy_back, [tensor])


def recv(tensor, src: int | None = None, group=None, tag: int = 0) -> int:
    """Receive into `tensor` (in place) from rank `src` (None: any rank); returns the sender's rank."""
    _check_group(group)
    arr = _array(tensor, "recv")
    if src is not None:
        _check_rank(src, "recv", "src")
    what = f"recv from rank {'any' if src is None else src}"
    sender = _matching_message(src, tag, arr, what)
    buf, copy_back = _contiguous(arr)
    wait_all([current().comm.Irecv(buf, source=sender, tag=tag)], what)
    if copy_back is not None:
        copy_back()
    return sender
