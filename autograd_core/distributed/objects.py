"""Collectives on Python objects, JSON-encoded: never pickle, which would run code on receipt.

Objects travel as JSON, so they come back as JSON types: tuples become lists and dict keys
become strings. Anything JSON cannot encode raises on every rank, naming the rank that sent it.

    >>> out = [None] * dist.get_world_size()               # doctest: +SKIP
    >>> dist.all_gather_object(out, {"rank": dist.get_rank()}); out
    [{'rank': 0}, {'rank': 1}]
"""

from __future__ import annotations

import json

import numpy as np

from .process_group import DistError, _check_group, current, wait_all

_UNENCODABLE = -1


def _encode(obj) -> tuple[bytes, str]:
    try:
        return json.dumps(obj, allow_nan=True).encode(), ""
    except (TypeError, ValueError) as exc:
        return b"", f"{type(exc).__name__}: {exc}"


def _refuse(what: str, rank: int, reason: str) -> DistError:
    return DistError(f"{what}: rank {rank}'s object cannot be sent ({reason}). Only JSON-able objects "
                     "(numbers, strings, bools, None, lists, dicts with string keys) are accepted: "
                     "pickle is never used, as unpickling runs arbitrary code")


def all_gather_object(object_list: list, obj, group=None) -> None:
    """object_list[r] = rank r's `obj`, on every rank (JSON-able objects only)."""
    _check_group(group)
    state = current()
    if not isinstance(object_list, list) or len(object_list) != state.size:
        raise ValueError(f"all_gather_object: object_list must be a list of world_size = {state.size} items")
    data, reason = _encode(obj)
    sizes = np.empty(state.size, dtype=np.int64)
    mine = np.array([_UNENCODABLE if reason else len(data)], dtype=np.int64)
    wait_all([state.comm.Iallgather(mine, sizes)], "all_gather_object")
    bad = [r for r in range(state.size) if sizes[r] == _UNENCODABLE]
    if bad:
        raise _refuse("all_gather_object", bad[0], reason or "not JSON-serialisable")
    everything = np.empty(int(sizes.sum()), dtype=np.uint8)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    send = np.frombuffer(data, dtype=np.uint8)
    request = state.comm.Iallgatherv(send, [everything, sizes, offsets, state.MPI.BYTE])
    wait_all([request], "all_gather_object")
    for r in range(state.size):
        object_list[r] = json.loads(everything[offsets[r]: offsets[r] + sizes[r]].tobytes())


def broadcast_object_list(object_list: list, src: int = 0, group=None, device=None) -> None:
    """Replace object_list's items, on every rank, with rank `src`'s (same length everywhere)."""
    _check_group(group)
    state = current()
    if not isinstance(object_list, list):
        raise TypeError("broadcast_object_list: object_list must be a list")
    data, reason = _encode(object_list) if state.rank == src else (b"", "")
    header = np.array([_UNENCODABLE if reason else len(data), len(object_list)], dtype=np.int64)
    wait_all([state.comm.Ibcast(header, root=src)], "broadcast_object_list")
    if header[0] == _UNENCODABLE:
        raise _refuse("broadcast_object_list", src, reason or "not JSON-serialisable")
    if header[1] != len(object_list):
        raise ValueError(f"broadcast_object_list: rank {src} sends {header[1]} objects but rank "
                         f"{state.rank}'s object_list has {len(object_list)} slots")
    buf = np.frombuffer(data, dtype=np.uint8).copy() if state.rank == src else np.empty(header[0], np.uint8)
    wait_all([state.comm.Ibcast(buf, root=src)], "broadcast_object_list")
    if state.rank != src:
        object_list[:] = json.loads(buf.tobytes())
