"""Save and load state dicts and whole checkpoints without pickle.

A checkpoint is a zip archive holding
  * `autograd_core.json`: the nested structure (dicts, lists, tuples, numbers, strings,
    bools, None) with each array replaced by a reference, plus a format tag;
  * `arrays/<n>.npy`: every Tensor and ndarray, written and read by NumPy with
    `allow_pickle=False`, so loading can never execute code.

Saving writes a temporary file next to the target, flushes it to disk and renames it
over the target in one step (`os.replace`, see `_atomic.py`): an interrupted save leaves the
previous file as it was, and the next save removes the temporaries of killed ones. `f` may
also be an open binary file (`io.BytesIO` included), as in PyTorch. Loading checks every
declared size before reading and raises `CheckpointError` naming the file and the problem for
anything malformed. `load` also reads PyTorch `.pt` files (see `torch_format.py`) with a
restricted reader that never unpickles code; a whole `Module` or optimizer is refused by
`save` (PyTorch pickles it): save its `state_dict()`.

    >>> import autograd_core as ag
    >>> ag.save({"w": ag.ones(2), "step": 3}, "ckpt.agc")      # doctest: +SKIP
    >>> ag.load("ckpt.agc")["step"]                             # doctest: +SKIP
    3
"""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from ._atomic import atomic_write
from .tensor import Tensor

FORMAT = "autograd-core-checkpoint"
VERSION = 1
_INDEX = "autograd_core.json"


class CheckpointError(ValueError):
    """A file that is not a readable autograd-core checkpoint."""


def _refusal(obj, where: str) -> TypeError:
    """The error for an object a checkpoint cannot hold, saying what to save instead."""
    kind = type(obj).__name__
    names = {c.__name__ for c in type(obj).__mro__}
    if "Module" in names:
        return TypeError(f"ag.save: {where} is a whole {kind} module, which PyTorch pickles and "
                         "autograd_core never does; save its weights with ag.save(model.state_dict(), f) "
                         "and rebuild the model in code, then model.load_state_dict(ag.load(f))")
    if "Optimizer" in names:
        return TypeError(f"ag.save: {where} is a {kind} optimizer; save optimizer.state_dict() instead "
                         "and restore it with optimizer.load_state_dict(ag.load(f))")
    hint = "; save its .state_dict() instead" if callable(getattr(obj, "state_dict", None)) else ""
    return TypeError(
        f"ag.save: cannot store {kind} at {where}{hint}; a checkpoint holds Tensors, arrays, numbers, "
        "strings, bools, None and dicts/lists/tuples of them"
    )


def _encode(obj, arrays: list, where: str, seen: dict):
    """The JSON-able form of `obj`; arrays are appended to `arrays` and referenced. A Tensor or
    array met twice is stored once (`seen`: id -> index), and loads back as one object."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)):
        if isinstance(obj, float) and not np.isfinite(obj):
            return {"__float__": repr(obj)}  # JSON has no inf/nan
        return obj
    if isinstance(obj, np.generic):
        return _encode(obj.item(), arrays, where, seen)
    if isinstance(obj, (Tensor, np.ndarray)):
        arr = obj._data if isinstance(obj, Tensor) else obj
        if arr.dtype.hasobject:
            raise TypeError(f"ag.save: array at {where} holds Python objects, which cannot be stored")
        if id(obj) not in seen:
            arrays.append(arr)
            seen[id(obj)] = (len(arrays) - 1, obj)  # keeps obj alive so its id stays unique
        index = seen[id(obj)][0]
        if isinstance(obj, np.ndarray):
            return {"__array__": index}
        entry = {"__tensor__": index, "requires_grad": bool(obj.requires_grad)}
        if type(obj).__name__ == "Parameter":
            entry["parameter"] = True
        return entry
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise TypeError(f"ag.save: dict key {k!r} at {where} must be a str, number, bool or None")
            items.append([k, _encode(v, arrays, f"{where}[{k!r}]", seen)])
        return {"__dict__": items, "ordered": True} if isinstance(obj, OrderedDict) else {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        values = [_encode(v, arrays, f"{where}[{i}]", seen) for i, v in enumerate(obj)]
        return values if isinstance(obj, list) else {"__tuple__": values}
    raise _refusal(obj, where)


_SAFE_GLOBALS: list = []


def _global_name(entry) -> str:
    if isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], str):
        return entry[1]
    return f"{getattr(entry, '__module__', '?')}.{getattr(entry, '__qualname__', repr(entry))}"


def add_safe_globals(safe_globals: list) -> None:
    """Accepted as `torch.serialization.add_safe_globals`: PyTorch lets `weights_only` loads call
    the listed globals. `load` never calls code from a file, so listing changes nothing for the
    globals its reader already rebuilds (tensors, containers, NumPy arrays and scalars, dtypes,
    devices) and cannot make it rebuild others; the error for such a file names the listing.

        >>> import numpy as np
        >>> add_safe_globals([np.dtype])       # doctest: +SKIP  (NumPy dtypes load anyway)
    """
    _SAFE_GLOBALS.extend(safe_globals)


def get_safe_globals() -> list:
    """The globals listed by `add_safe_globals` (see there)."""
    return list(_SAFE_GLOBALS)


def clear_safe_globals() -> None:
    """Forget the globals listed by `add_safe_globals`."""
    _SAFE_GLOBALS.clear()


class safe_globals:  # noqa: N801 - PyTorch's name
    """`with safe_globals([...]):` lists globals for the block only (see `add_safe_globals`)."""

    def __init__(self, safe_globals: list):
        self._globals = list(safe_globals)

    def __enter__(self):
        self._before = list(_SAFE_GLOBALS)
        add_safe_globals(self._globals)
        return self

    def __exit__(self, *exc):
        _SAFE_GLOBALS[:] = self._before
        return False


def listed_as_safe(name: str) -> bool:
    """Whether `module.name` was listed with `add_safe_globals` (for the reader's error)."""
    return any(_global_name(g) == name for g in _SAFE_GLOBALS)


_MAX_DEPTH = 200  # nesting of dicts/lists/tuples in a checkpoint; state dicts use fewer than 10
_MAX_RATIO = 100  # uncompressed/compressed size of one member; ag.save stores members uncompressed


def _decode(obj, load_array, depth: int = 0):
    """The Python object for the JSON-able `obj`; arrays come from `load_array(i, as_tensor)`,
    which reads a member only when it is referenced. Anything malformed raises CheckpointError
    (the caller adds the file name)."""
    if depth > _MAX_DEPTH:
        raise CheckpointError(f"the structure is nested more than {_MAX_DEPTH} levels deep")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [_decode(v, load_array, depth + 1) for v in obj]
    if not isinstance(obj, dict) or len(obj) == 0:
        raise CheckpointError(f"unexpected entry of type {type(obj).__name__} in the structure")
    if "__tensor__" in obj:
        kind = "parameter" if obj.get("parameter") is True else "tensor"
        return load_array(obj["__tensor__"], kind, obj.get("requires_grad") is True)
    if "__array__" in obj:
        return load_array(obj["__array__"], "array", False)
    if "__dict__" in obj:
        items = obj["__dict__"]
        if not isinstance(items, list):
            raise CheckpointError("a dict entry does not hold a list of [key, value] pairs")
        out = OrderedDict() if obj.get("ordered") is True else {}
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


def save(obj, f, pickle_module=None, pickle_protocol: int = 2, _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Write `obj` (a state dict or a nested checkpoint) to `f`: a path, written atomically, or an
    open binary file (`io.BytesIO` included), written from its current position.

    `obj` is built from dicts (OrderedDicts stay ordered), lists, tuples (`Size`s), str, int,
    float, bool, None, NumPy arrays and Tensors; a Tensor met twice is stored once. A whole
    Module or optimizer is refused (save its `state_dict()`): checkpoints never pickle. For a
    path, a new file gets the permissions the umask gives, an existing one keeps its mode, a
    symlink's target is replaced (the link stays), and temporaries of killed saves are removed.
    PyTorch's other arguments (`pickle_module`, `pickle_protocol`, ...) are accepted and change
    nothing: the format holds no pickle.

        >>> import io, autograd_core as ag
        >>> buf = io.BytesIO()
        >>> ag.save({"w": ag.ones(2), "epoch": 3}, buf)   # or ag.save(model.state_dict(), "model.pt")
        >>> _ = buf.seek(0)
        >>> ag.load(buf)["epoch"]
        3
    """
    arrays: list = []
    index = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays, "root", {})}

    def write(raw) -> None:
        with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(_INDEX, json.dumps(index))
            for i, arr in enumerate(arrays):
                buf = io.BytesIO()
                np.save(buf, np.asarray(arr, order="C"), allow_pickle=False)  # keeps 0-d shapes
                zf.writestr(f"arrays/{i}.npy", buf.getvalue())

    if isinstance(f, (str, os.PathLike)):
        with atomic_write(f) as raw:
            write(raw)
    elif callable(getattr(f, "write", None)):
        if isinstance(f, io.TextIOBase):
            raise TypeError("ag.save: the file is open in text mode; open it with 'wb'")
        write(f)
    else:
        raise TypeError(f"ag.save: f must be a path or a binary file object, not {type(f).__name__}")


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


def _load_zip(zf: zipfile.ZipFile, archive_size: int, map_array):
    if _INDEX not in set(zf.namelist()):
        if any(n.endswith("/data.pkl") for n in zf.namelist()):
            from . import torch_format

            return torch_format.load_zip(zf, archive_size, map_array)
        raise CheckpointError("it is a zip archive that is neither an autograd-core checkpoint nor a "
                              "PyTorch file (it holds no autograd_core.json and no data.pkl)")
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
    made: dict = {}

    def load_array(i, kind: str, requires_grad: bool):
        if not isinstance(i, int) or isinstance(i, bool) or i < 0:
            raise CheckpointError(f"an array reference {i!r:.40} is not an array number")
        if i not in loaded:  # read only what the structure references, each member once
            loaded[i] = map_array(_read_npy(zf, _member(zf, f"arrays/{i}.npy", archive_size)), "cpu")
        if kind == "array":
            return loaded[i]
        if (i, kind) not in made:  # a Tensor saved twice loads back as one Tensor
            t = Tensor._make(loaded[i], None)
            if requires_grad and t.dtype.kind in "fc":
                t.requires_grad = True
            if kind == "parameter":
                from nn.parameter import Parameter

                t = Parameter(t, requires_grad=t.requires_grad)
            made[i, kind] = t
        return made[i, kind]

    return _decode(index["root"], load_array)


def _array_mapper(map_location):
    """`map_location` as a function (array, location) -> array, everything on the CPU; asking
    for an accelerator raises the CPU-only error now, before anything is read."""
    from .devices import device

    def to_cpu(where):
        return device(str(where)) if where is not None else None

    if map_location is None:
        return lambda arr, location: arr  # files saved on a GPU load onto the CPU
    if isinstance(map_location, dict):
        for value in map_location.values():
            to_cpu(value)
        return lambda arr, location: arr
    if callable(map_location) and not isinstance(map_location, device) and not hasattr(map_location, "type"):
        def call(arr, location):
            out = map_location(Tensor._make(arr, None), location)
            if out is None:
                return arr
            got = out._data if isinstance(out, Tensor) else out
            if not isinstance(got, np.ndarray) or got.shape != arr.shape or got.dtype != arr.dtype:
                raise CheckpointError(f"map_location returned {type(out).__name__} for a storage of "
                                      f"shape {arr.shape} and {arr.dtype}; return the storage given")
            return got
        return call
    if isinstance(map_location, str) or isinstance(map_location, device) or hasattr(map_location, "type"):
        to_cpu(map_location)
        return lambda arr, location: arr
    raise TypeError(f"ag.load: map_location must be None, a device, a string, a dict or a callable, "
                    f"not {type(map_location).__name__}")


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = True,
         mmap: bool | None = None, **pickle_load_args):
    """Read a checkpoint from `f` (a path, or a binary file object read from its current
    position): one written by `save`, or a PyTorch `.pt` file written by `torch.save` (zip or
    legacy format) holding tensors in containers, read by a restricted reader that runs no code.

    Tensors come back as Tensors, arrays as arrays, OrderedDicts as OrderedDicts. Everything
    lives on the CPU: `map_location` may be None, 'cpu', `ag.device('cpu')`, a dict of locations
    or a callable `(storage, location) -> storage` as in PyTorch, and asking for 'cuda' raises.
    `weights_only=False` and `pickle_module` are accepted but never unpickle arbitrary objects
    (the restricted reader is used whatever they say); `mmap` is accepted
    for paths (the file is read into memory). Any file that is not a well-formed checkpoint
    raises `CheckpointError` naming the file and the problem, before reading more than its
    declared sizes allow.

        >>> path = "model.pt"                                          # doctest: +SKIP
        >>> model.load_state_dict(ag.load(path, map_location="cpu"))   # doctest: +SKIP
    """
    map_array = _array_mapper(map_location)
    unknown = set(pickle_load_args) - {"encoding", "errors", "fix_imports"}
    if unknown:
        raise TypeError(f"ag.load() got unexpected keyword arguments {sorted(unknown)}")
    if weights_only not in (True, False, None):
        raise TypeError(f"ag.load: weights_only must be a bool, not {weights_only!r:.40}")
    is_path = isinstance(f, (str, os.PathLike))
    if mmap and not is_path:
        raise ValueError("ag.load: f must be a file path in order to use the mmap argument")
    if is_path:
        name = os.fspath(f)
        if not os.path.exists(name):
            raise FileNotFoundError(f"ag.load: no such file: {name}")
    elif callable(getattr(f, "read", None)):
        name = str(getattr(f, "name", None) or type(f).__name__)
    else:
        raise TypeError(f"ag.load: f must be a path or a binary file object, not {type(f).__name__}")
    try:
        if is_path:
            with open(name, "rb") as raw:
                return _load_stream(raw, os.fstat(raw.fileno()).st_size, map_array)
        data = f.read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"ag.load: the file is not open in binary mode (read gave {type(data).__name__})")
        return _load_stream(io.BytesIO(data), len(data), map_array)
    except CheckpointError as exc:
        raise CheckpointError(f"ag.load: {name}: {exc}") from None
    except zipfile.BadZipFile as exc:
        raise CheckpointError(
            f"ag.load: {name} is not a readable autograd-core checkpoint (truncated, corrupt or a "
            f"foreign file: {exc})"
        ) from None
    except RecursionError:
        raise CheckpointError(f"ag.load: {name}: the structure is nested too deeply") from None
    except MemoryError:
        raise CheckpointError(f"ag.load: {name}: an entry is too large to read into memory") from None
    except (EOFError, OSError, KeyError, IndexError, ValueError, TypeError, AttributeError,
            NotImplementedError, OverflowError, zlib.error, UnicodeDecodeError) as exc:
        if isinstance(exc, TypeError) and str(exc).startswith("ag.load"):
            raise
        raise CheckpointError(
            f"ag.load: {name} is damaged or truncated ({type(exc).__name__}: {exc})"
        ) from None


def _load_stream(raw, size: int, map_array):
    """Pick the reader from the first bytes: a zip archive (ours or PyTorch's), or a PyTorch
    legacy stream of pickles."""
    start = raw.tell()
    magic = raw.read(4)
    raw.seek(start)
    if magic[:2] == b"PK":
        with zipfile.ZipFile(raw, "r") as zf:
            return _load_zip(zf, size, map_array)
    if magic[:1] == b"\x80":
        from . import torch_format

        stream = raw if isinstance(raw, io.BytesIO) else io.BytesIO(raw.read())
        return torch_format.load_legacy(stream, map_array)
    raise CheckpointError("it is not a checkpoint (neither a zip archive nor a PyTorch file)")
