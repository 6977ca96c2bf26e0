"""Save and load state dicts and whole checkpoints without pickle.

A checkpoint is a zip archive holding
  * `autograd_core.json`: the nested structure (dicts, lists, tuples, numbers, strings,
    bools, None) with each array replaced by a reference, plus a format tag;
  * `arrays/<n>.npy`: every Tensor and ndarray, written and read by NumPy with
    `allow_pickle=False`, so loading can never execute code.

Saving writes a temporary file next to the target, flushes it to disk and renames it
over the target in one step (`os.replace`): an interrupted save leaves the previous file
as it was.

    >>> import autograd_core as ag
    >>> ag.save({"w": ag.ones(2), "step": 3}, "ckpt.agc")      # doctest: +SKIP
    >>> ag.load("ckpt.agc")["step"]                             # doctest: +SKIP
    3
"""

from __future__ import annotations

import io
import json
import os
import pathlib
import tempfile
import zipfile
import zlib

import numpy as np

from .tensor import Tensor

FORMAT = "autograd-core-checkpoint"
VERSION = 1
_INDEX = "autograd_core.json"


class CheckpointError(ValueError):
    """A file that is not a readable autograd-core checkpoint."""


def _encode(obj, arrays: list, where: str):
    """The JSON-able form of `obj`; arrays are appended to `arrays` and referenced."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)):
        if isinstance(obj, float) and not np.isfinite(obj):
            return {"__float__": repr(obj)}  # JSON has no inf/nan
        return obj
    if isinstance(obj, np.generic):
        return _encode(obj.item(), arrays, where)
    if isinstance(obj, Tensor):
        arrays.append(obj._data)
        return {"__tensor__": len(arrays) - 1, "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise TypeError(f"ag.save: array at {where} holds Python objects, which cannot be stored")
        arrays.append(obj)
        return {"__array__": len(arrays) - 1}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise TypeError(f"ag.save: dict key {k!r} at {where} must be a str, number, bool or None")
            items.append([k, _encode(v, arrays, f"{where}[{k!r}]")])
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        values = [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
        return values if isinstance(obj, list) else {"__tuple__": values}
    raise TypeError(
        f"ag.save: cannot store {type(obj).__name__} at {where}; a checkpoint holds Tensors, arrays, "
        "numbers, strings, bools, None and dicts/lists/tuples of them"
    )


def _decode(obj, arrays: dict):
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__tensor__" in obj:
        t = Tensor._make(arrays[obj["__tensor__"]], None)
        if obj.get("requires_grad") and t.dtype.kind in "fc":
            t.requires_grad = True
        return t
    if "__array__" in obj:
        return arrays[obj["__array__"]]
    if "__dict__" in obj:
        return {k: _decode(v, arrays) for k, v in obj["__dict__"]}
    if "__tuple__" in obj:
        return tuple(_decode(v, arrays) for v in obj["__tuple__"])
    if "__float__" in obj:
        return float(obj["__float__"])
    raise CheckpointError(f"unknown entry {sorted(obj)[:3]} in the checkpoint structure")


def save(obj, path) -> None:
    """Write `obj` (a state dict or a nested checkpoint) to `path`, atomically."""
    path = pathlib.Path(path)
    arrays: list = []
    index = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays, "root")}
    directory = path.parent if str(path.parent) else pathlib.Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED) as zf:
                zf.writestr(_INDEX, json.dumps(index))
                for i, arr in enumerate(arrays):
                    buf = io.BytesIO()
                    np.save(buf, np.asarray(arr, order="C"), allow_pickle=False)  # keeps 0-d shapes
                    zf.writestr(f"arrays/{i}.npy", buf.getvalue())
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        # Whatever stopped us (an error, Ctrl-C), the previous file at `path` is untouched.
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path):
    """Read a checkpoint written by `save`; Tensors come back as Tensors, arrays as arrays."""
    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"ag.load: no such file: {path}")
    try:
        with zipfile.ZipFile(path, "r") as zf:
            names = set(zf.namelist())
            if _INDEX not in names:
                raise CheckpointError(
                    f"ag.load: {path} is not an autograd-core checkpoint (it is a zip archive "
                    "without autograd_core.json; a PyTorch .pt file, perhaps?)"
                )
            index = json.loads(zf.read(_INDEX))
            if index.get("format") != FORMAT:
                raise CheckpointError(f"ag.load: {path} has an unknown format tag {index.get('format')!r}")
            if index.get("version", 0) > VERSION:
                raise CheckpointError(
                    f"ag.load: {path} was written by a newer version (format {index['version']}); "
                    "upgrade autograd-core to read it"
                )
            arrays = {}
            for name in names:
                if name.startswith("arrays/") and name.endswith(".npy"):
                    with zf.open(name) as f:
                        arrays[int(name[7:-4])] = np.load(io.BytesIO(f.read()), allow_pickle=False)
            return _decode(index["root"], arrays)
    except CheckpointError:
        raise
    except zipfile.BadZipFile as exc:
        raise CheckpointError(
            f"ag.load: {path} is not a readable autograd-core checkpoint (truncated, corrupt or a "
            f"foreign file: {exc})"
        ) from None
    except (EOFError, OSError, KeyError, ValueError, zlib.error, json.JSONDecodeError) as exc:
        raise CheckpointError(
            f"ag.load: {path} is damaged or truncated ({type(exc).__name__}: {exc})"
        ) from None
