"""Save and load state dicts and whole checkpoints without pickle.

A checkpoint is a zip archive holding
  * `autograd_core.json`: the nested structure (dicts, lists, tuples, numbers, strings,
    bools, None) with each array replaced by a reference, plus a format tag;
  * `arrays/<n>.npy`: every Tensor and ndarray, written and read by NumPy with
    `allow_pickle=False`, so loading can never execute code.

Saving writes a temporary file next to the target, flushes it to disk and renames it
over the target in one step (`os.replace`, see `_atomic.py`): an interrupted save leaves the
previous file as it was, and the next save removes the temporaries of killed ones. Loading
checks every declared size before reading and raises `CheckpointError` naming the file and
the problem for anything malformed.

    >>> import autograd_core as ag
    >>> ag.save({"w": ag.ones(2), "step": 3}, "ckpt.agc")      # doctest: +SKIP
    >>> ag.load("ckpt.agc")["step"]                             # doctest: +SKIP
    3
"""

from __future__ import annotations

import io
import json
import pathlib
import zipfile
import zlib

import numpy as np

from ._atomic import atomic_write
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


_MAX_DEPTH = 200  # nesting of dicts/lists/tuples in a checkpoint; state dicts use fewer than 10
_MAX_RATIO = 100  # uncompressed/compressed size of one member; ag.save stores members uncompressed


def _decode(obj, load_array, depth: int = 0):
    """The Python object for the JSON-able `obj`; arrays come from `load_array(i)`, which reads a
    member only when it is referenced. Anything malformed raises CheckpointError (the caller adds
    the file name)."""
    if depth > _MAX_DEPTH:
        raise CheckpointError(f"the structure is nested more than {_MAX_DEPTH} levels deep")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [_decode(v, load_array, depth + 1) for v in obj]
    if not isinstance(obj, dict) or len(obj) == 0:
        raise CheckpointError(f"unexpected entry of type {type(obj).__name__} in the structure")
    if "__tensor__" in obj:
        t = Tensor._make(load_array(obj["__tensor__"]), None)
        if obj.get("requires_grad") is True and t.dtype.kind in "fc":
            t.requires_grad = True
        return t
    if "__array__" in obj:
        return load_array(obj["__array__"])
    if "__dict__" in obj:
        items = obj["__dict__"]
        if not isinstance(items, list):
            raise CheckpointError("a dict entry does not hold a list of [key, value] pairs")
        out = {}
        for item in items:
            if not (isinstance(item, list) and len(item) == 2):
                raise CheckpointError("a dict entry holds something other than a [key, value] pair")
            key, value = item
            if not (key is None or isinstance(key, (str, int, float, bool))):
                raise CheckpointError(f"a dict key of type {type(key).__name__} (keys are str, numbers, "
                                      "bools or None)")
            out[key] = _decode(value, load_array, depth + 1)
        return out
    if "__tuple__" in obj:
        values = obj["__tuple__"]
        if not isinstance(values, list):
            raise CheckpointError("a tuple entry does not hold a list")
        return tuple(_decode(v, load_array, depth + 1) for v in values)
    if "__float__" in obj:
        text = obj["__float__"]
        if text not in ("inf", "-inf", "nan"):
            raise CheckpointError(f"a non-finite float entry holds {text!r:.40}")
        return float(text)
    raise CheckpointError(f"unknown entry {sorted(map(str, obj))[:3]} in the checkpoint structure")


def save(obj, path) -> None:
    """Write `obj` (a state dict or a nested checkpoint) to `path`, atomically.

    A new file gets the permissions the umask gives; an existing one keeps its mode; a symlink's
    target is replaced (the link stays); temporaries left by killed saves to `path` are removed.
    """
    arrays: list = []
    index = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays, "root")}
    with atomic_write(path) as raw:
        with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(_INDEX, json.dumps(index))
            for i, arr in enumerate(arrays):
                buf = io.BytesIO()
                np.save(buf, np.asarray(arr, order="C"), allow_pickle=False)  # keeps 0-d shapes
                zf.writestr(f"arrays/{i}.npy", buf.getvalue())


def _member(zf: zipfile.ZipFile, name: str, archive_size: int) -> zipfile.ZipInfo:
    """The ZipInfo of `name`, after checking its declared sizes against the archive: a member
    cannot be larger than the file holding it, nor inflate more than _MAX_RATIO times (a
    deflate bomb)."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise CheckpointError(f"the structure references {name}, which the archive does not hold") from None
    if info.compress_size > archive_size or info.header_offset + info.compress_size > archive_size:
        raise CheckpointError(f"{name} claims {info.compress_size} bytes but the file has {archive_size}")
    if info.compress_type == zipfile.ZIP_STORED:
        if info.file_size != info.compress_size:
            raise CheckpointError(f"{name} is stored uncompressed but declares {info.file_size} bytes "
                                  f"for {info.compress_size}")
    elif info.file_size > _MAX_RATIO * max(info.compress_size, 1):
        raise CheckpointError(
            f"{name} would inflate {info.compress_size} bytes to {info.file_size} (more than {_MAX_RATIO} "
            "times: a decompression bomb?); ag.save never compresses, so re-save the original"
        )
    return info


def _read_npy(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """An array member, its header checked against the member's size before any allocation."""
    name = info.filename
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise CheckpointError(f"{name} has .npy format version {version}")
        header = f.tell()
    if dtype.hasobject:
        raise CheckpointError(f"{name} holds Python objects (pickles), which checkpoints never load")
    count = 1
    for n in shape:
        if not isinstance(n, int) or n < 0:
            raise CheckpointError(f"{name} declares an invalid shape {shape}")
        count *= n
    if header + count * dtype.itemsize != info.file_size:
        raise CheckpointError(f"{name} declares shape {shape} of {dtype} ({count * dtype.itemsize} bytes) "
                              f"but holds {info.file_size - header} bytes of data")
    with zf.open(info) as f:  # now that the size is known to match, NumPy reads it in chunks
        return np.lib.format.read_array(f, allow_pickle=False)


def _load_zip(zf: zipfile.ZipFile, archive_size: int):
    if _INDEX not in set(zf.namelist()):
        raise CheckpointError(
            "it is not an autograd-core checkpoint (it is a zip archive without autograd_core.json; a "
            "PyTorch .pt file, perhaps?)"
        )
    index = json.loads(zf.read(_member(zf, _INDEX, archive_size)))
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        tag = index.get("format") if isinstance(index, dict) else None
        raise CheckpointError(f"it has an unknown format tag {tag!r:.60}")
    version = index.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(f"it has an invalid format version {version!r:.40}")
    if version > VERSION:
        raise CheckpointError(f"it was written by a newer version (format {version}); upgrade "
                              "autograd-core to read it")
    if "root" not in index:
        raise CheckpointError("its index has no root entry")
    loaded: dict = {}

    def load_array(i):
        if not isinstance(i, int) or isinstance(i, bool) or i < 0:
            raise CheckpointError(f"an array reference {i!r:.40} is not an array number")
        if i not in loaded:  # read only what the structure references, each member once
            loaded[i] = _read_npy(zf, _member(zf, f"arrays/{i}.npy", archive_size))
        return loaded[i]

    return _decode(index["root"], load_array)


def load(path):
    """Read a checkpoint written by `save`; Tensors come back as Tensors, arrays as arrays.

    Any file that is not a well-formed checkpoint raises `CheckpointError` naming the file and
    the problem, before reading more than the archive's declared sizes allow: members are read
    only when the structure references them, array headers are checked against the member
    sizes, members may not inflate more than 100 times, and nesting is bounded.
    """
    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"ag.load: no such file: {path}")
    try:
        archive_size = path.stat().st_size
        with zipfile.ZipFile(path, "r") as zf:
            return _load_zip(zf, archive_size)
    except CheckpointError as exc:
        raise CheckpointError(f"ag.load: {path}: {exc}") from None
    except zipfile.BadZipFile as exc:
        raise CheckpointError(
            f"ag.load: {path} is not a readable autograd-core checkpoint (truncated, corrupt or a "
            f"foreign file: {exc})"
        ) from None
    except RecursionError:
        raise CheckpointError(f"ag.load: {path}: the structure is nested too deeply") from None
    except MemoryError:
        raise CheckpointError(f"ag.load: {path}: an entry is too large to read into memory") from None
    except (EOFError, OSError, KeyError, ValueError, TypeError, AttributeError, NotImplementedError,
            OverflowError, zlib.error, UnicodeDecodeError) as exc:
        raise CheckpointError(
            f"ag.load: {path} is damaged or truncated ({type(exc).__name__}: {exc})"
        ) from None
