"""Read PyTorch `.pt` files without unpickling: a restricted reader for `torch.save`'s format.

`torch.save` writes a zip archive holding `<name>/data.pkl` (a pickle of the structure) and
each tensor storage raw under `<name>/data/<key>`; older PyTorch wrote one stream of pickles
followed by the raw storages (the legacy format). A pickle is a small program: loading it with
`pickle` may call any importable function (`os.system` included). This reader never does.
It walks the opcodes with `pickletools.genops` and runs them on its own stack, knowing only the
handful of globals that `torch.save` writes for tensors and containers (`collections.OrderedDict`,
`torch._utils._rebuild_tensor_v2`, `torch.FloatStorage`, `torch.Size`, dtypes, the NumPy array
and scalar reconstructors). Each maps to a function of this module; any other global, an opcode
outside the known set, or sizes that the file cannot back raise `CheckpointError` before
anything runs or is allocated.

Tensors come back as `autograd_core.Tensor`s (views of their storage when they do not overlap
themselves, as PyTorch's share storage; a copy otherwise), `nn.Parameter`s as Parameters.

    >>> import autograd_core as ag
    >>> # written in PyTorch by torch.save(model.state_dict(), "weights.pt")
    >>> sd = ag.load("weights.pt")            # doctest: +SKIP
    >>> model.load_state_dict(sd)             # doctest: +SKIP
"""

from __future__ import annotations

import collections
import io
import pickletools
import zipfile

import numpy as np

from .devices import CPU
from .serialization import CheckpointError, _member, listed_as_safe
from .tensor import Tensor

_STORAGES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8,
    "ByteStorage": np.uint8, "BoolStorage": np.bool_, "ComplexFloatStorage": np.complex64,
    "ComplexDoubleStorage": np.complex128,
}
_DTYPES = {
    "float32": np.float32, "float": np.float32, "float64": np.float64, "double": np.float64,
    "float16": np.float16, "half": np.float16, "int64": np.int64, "long": np.int64, "int32": np.int32,
    "int": np.int32, "int16": np.int16, "short": np.int16, "int8": np.int8, "uint8": np.uint8,
    "bool": np.bool_, "complex64": np.complex64, "complex128": np.complex128,
}
_EXPANSION_BUDGET = 256 * 2 ** 20  # bytes that self-overlapping (expanded) tensors may add in all
_MAX_DEPTH = 200


class _StorageType:
    def __init__(self, name: str):
        self.name, self.dtype = name, np.dtype(_STORAGES[name])


class _Storage:
    """A storage's elements, made only by the archive reader (never from pickle values)."""

    def __init__(self, array: np.ndarray, dtype: np.dtype):
        if not isinstance(array, np.ndarray) or array.dtype != dtype or array.ndim != 1:
            raise CheckpointError(f"map_location returned {type(array).__name__} for a {dtype} storage; "
                                  "it must return the storage it was given (or an equal one on the CPU)")
        self.array, self.dtype = array, dtype


class _Marker:
    """A global that is only ever an argument (`torch.Tensor`, `torch.nn.Parameter`)."""

    def __init__(self, name: str):
        self.name = name


class _DType:
    """`numpy.dtype(name, ...)` before its BUILD state says the byte order."""

    def __init__(self, name, align=False, copy=True):
        if not isinstance(name, str) or name[:1] not in ("b", "i", "u", "f", "c", "U", "S") or \
                not name[1:].isdigit() and name not in ("U", "S"):
            raise CheckpointError(f"numpy dtype {name!r:.40} is not a plain numeric or string dtype")
        self.name, self.dtype = name, np.dtype(name)

    def setstate(self, state) -> None:
        if not isinstance(state, tuple) or len(state) < 8 or state[1] not in ("<", ">", "|", "=") or \
                any(s is not None for s in state[2:5]):
            raise CheckpointError("a numpy dtype has a structured or malformed state")
        if self.name in ("U", "S"):
            size = state[5]
            if not isinstance(size, int) or not 0 < size <= 2 ** 20:
                raise CheckpointError(f"a numpy string dtype declares {size!r:.30} bytes per item")
            self.dtype = np.dtype((self.name, size // 4 if self.name == "U" else size))
        if state[1] in "<>":
            self.dtype = self.dtype.newbyteorder(state[1])


def _dtype(d) -> np.dtype:
    if isinstance(d, _DType):
        return d.dtype
    raise CheckpointError(f"expected a numpy dtype, found {type(d).__name__}")


class _Array:
    """`numpy.core.multiarray._reconstruct(ndarray, ...)` before BUILD gives its data."""

    array = None

    def setstate(self, state) -> None:
        if not isinstance(state, tuple) or len(state) != 5:
            raise CheckpointError("a numpy array has a malformed state")
        _, shape, dtype, fortran, raw = state
        dtype = _dtype(dtype)
        if not isinstance(raw, bytes) or not isinstance(shape, tuple) or \
                not all(isinstance(n, int) and n >= 0 for n in shape):
            raise CheckpointError("a numpy array's state holds Python objects or an invalid shape")
        if int(np.prod(shape, dtype=object)) * dtype.itemsize != len(raw):
            raise CheckpointError(f"a numpy array of shape {shape} and {dtype} holds {len(raw)} bytes")
        arr = np.frombuffer(raw, dtype).reshape(shape, order="F" if fortran else "C")
        self.array = arr.astype(dtype.newbyteorder("="), order="K")  # owned, writable, native order


def _reconstruct(cls, shape, dtype_code):
    if not (isinstance(cls, _Marker) and cls.name == "ndarray"):
        raise CheckpointError("numpy _reconstruct called for something other than an ndarray")
    return _Array()


def _np_scalar(dtype, raw):
    dtype = _dtype(dtype)
    if not isinstance(raw, bytes) or len(raw) != dtype.itemsize:
        raise CheckpointError(f"a numpy {dtype} scalar holds {len(raw)!r:.10} bytes")
    return np.frombuffer(raw, dtype)[0].astype(dtype.newbyteorder("="))


def _codecs_encode(text, encoding="utf-8"):
    if not isinstance(text, str) or encoding != "latin1":
        raise CheckpointError("_codecs.encode is only read for NumPy's latin1 byte strings")
    return text.encode("latin1")


def _size(*args):
    if len(args) != 1 or not isinstance(args[0], tuple):
        raise CheckpointError("torch.Size expects one tuple")
    return tuple(args[0])


def _device(*args):
    return CPU  # every location maps to the CPU in this build


class _Reader:
    """Runs one pickle on its own stack; storages come from `storage(pid)`."""

    def __init__(self, storage):
        self.storage = storage
        self.budget = _EXPANSION_BUDGET
        self.globals = {
            ("collections", "OrderedDict"): collections.OrderedDict,
            ("torch._utils", "_rebuild_tensor_v2"): self.rebuild_tensor,
            ("torch._utils", "_rebuild_tensor"): self.rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): self.rebuild_parameter,
            ("torch._utils", "_rebuild_parameter_with_state"): self.rebuild_parameter,
            ("torch._tensor", "_rebuild_from_type_v2"): self.rebuild_from_type,
            ("torch", "Size"): _size, ("torch", "device"): _device,
            ("torch", "Tensor"): _Marker("Tensor"), ("torch.nn.parameter", "Parameter"): _Marker("Parameter"),
            ("numpy", "ndarray"): _Marker("ndarray"), ("numpy", "dtype"): _DType,
            ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
            ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
            ("numpy.core.multiarray", "scalar"): _np_scalar, ("numpy._core.multiarray", "scalar"): _np_scalar,
            ("_codecs", "encode"): _codecs_encode,
        }
        self.globals.update((("torch", n), _StorageType(n)) for n in _STORAGES)
        self.globals.update((("torch", n), np.dtype(d)) for n, d in _DTYPES.items())
        self.callables = {id(v) for v in self.globals.values() if callable(v) and not isinstance(v, np.dtype)}

    def find(self, module: str, name: str):
        key = (module, name)
        if key not in self.globals:
            if key in (("torch", "bfloat16"), ("torch", "BFloat16Storage")):
                raise CheckpointError("it holds bfloat16 tensors, which NumPy cannot represent; convert them "
                                      "with .float() in PyTorch before saving")
            if module.startswith(("torch.nn.modules", "torch.optim")):
                raise CheckpointError(f"it holds a whole pickled {module}.{name} (torch.save(model) or of an "
                                      "optimizer), which only unpickling code could rebuild; in PyTorch, "
                                      "save model.state_dict() (or optimizer.state_dict()) and load that")
            if listed_as_safe(f"{module}.{name}"):
                raise CheckpointError(f"it references the global {module}.{name}: add_safe_globals lists it, "
                                      "but autograd_core never calls code from a file; it rebuilds only "
                                      "tensors, containers, NumPy arrays and scalars, dtypes and devices")
            raise CheckpointError(f"it references the global {module}.{name}, which the restricted "
                                  "reader does not allow (checkpoints never run code; save state dicts "
                                  "and containers of tensors)")
        return self.globals[key]

    def rebuild_tensor(self, storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
        if not isinstance(storage, _Storage):
            raise CheckpointError(f"a tensor is rebuilt from a {type(storage).__name__}, not a storage")
        arr, dtype = storage.array, storage.dtype
        if not (isinstance(offset, int) and isinstance(size, tuple) and isinstance(stride, tuple)
                and len(size) == len(stride) and all(isinstance(n, int) and n >= 0 for n in size + stride)
                and offset >= 0):
            raise CheckpointError(f"a tensor has an invalid offset/size/stride {offset!r:.20}, "
                                  f"{size!r:.60}, {stride!r:.60}")
        count = int(np.prod(size, dtype=object))
        if count and offset + sum((n - 1) * s for n, s in zip(size, stride)) >= arr.size:
            raise CheckpointError(f"a tensor of size {size} and stride {stride} at offset {offset} reaches "
                                  f"past its storage of {arr.size} elements")
        if count == 0:
            data = np.empty(size, dtype)
        else:
            view = np.lib.stride_tricks.as_strided(arr[offset:], size, [s * dtype.itemsize for s in stride])
            extent = 1  # non-overlapping when each stride passes the span of the smaller ones
            overlapping = False
            for s, n in sorted((s, n) for n, s in zip(size, stride) if n > 1):
                overlapping |= s < extent
                extent = s * n
            if overlapping:  # an expanded tensor: own a copy, within a budget for the whole file
                self.budget -= count * dtype.itemsize
                if self.budget < 0:
                    raise CheckpointError("its expanded tensors would need more than "
                                          f"{_EXPANSION_BUDGET >> 20} MiB beyond the file's storages")
                view = view.copy()
            data = view
        t = Tensor._make(data, None)
        if requires_grad is True and dtype.kind in "fc":
            t.requires_grad = True
        return t

    def rebuild_parameter(self, data, requires_grad, hooks=None, state=None):
        if not isinstance(data, Tensor):
            raise CheckpointError("a Parameter is rebuilt from something other than a tensor")
        from nn.parameter import Parameter
        return Parameter(data, requires_grad=bool(requires_grad) and data.dtype.kind in "fc")

    def rebuild_from_type(self, func, new_type, args, state=None):
        if id(func) not in self.callables or not isinstance(new_type, _Marker) or not isinstance(args, tuple):
            raise CheckpointError("a tensor subclass is rebuilt in a way the reader does not know")
        t = func(*args)
        if new_type.name == "Parameter" and isinstance(t, Tensor):
            return self.rebuild_parameter(t, t.requires_grad)
        return t

    def run(self, stream):
        stack, marks, memo = [], [], {}

        def pop_mark():
            if not marks:
                raise CheckpointError("the pickle pops a mark it never set")
            start = marks.pop()
            items = stack[start:]
            del stack[start:]
            return items

        for op, arg, pos in pickletools.genops(stream):
            name = op.name
            if name in ("PROTO", "FRAME"):
                continue
            if name == "STOP":
                if len(stack) != 1:
                    raise CheckpointError("the pickle ends with an unbalanced stack")
                return _finish(stack.pop(), {}, 0)
            if name == "MARK":
                marks.append(len(stack))
            elif name in _CONSTANTS:
                stack.append(_CONSTANTS[name]())
            elif name in _LITERALS:
                stack.append(arg)
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[arg] = stack[-1]
            elif name == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                if arg not in memo:
                    raise CheckpointError(f"the pickle reads memo entry {arg} before writing it")
                stack.append(memo[arg])
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                n = int(name[-1])
                if len(stack) < n:
                    raise CheckpointError(f"{name} on a stack of {len(stack)}")
                items = tuple(stack[-n:])
                del stack[-n:]
                stack.append(items)
            elif name == "TUPLE":
                stack.append(tuple(pop_mark()))
            elif name == "LIST":
                stack.append(pop_mark())
            elif name == "DICT":
                items = pop_mark()
                stack.append(dict(zip(items[::2], items[1::2])))
            elif name == "APPEND":
                value = stack.pop()
                _target(stack, list).append(value)
            elif name == "APPENDS":
                items = pop_mark()
                _target(stack, list).extend(items)
            elif name == "SETITEM":
                value, key = stack.pop(), stack.pop()
                _target(stack, dict)[key] = value
            elif name == "SETITEMS":
                items = pop_mark()
                _target(stack, dict).update(zip(items[::2], items[1::2]))
            elif name == "GLOBAL":
                module, _, attr = arg.partition(" ")
                stack.append(self.find(module, attr))
            elif name == "STACK_GLOBAL":
                attr, module = stack.pop(), stack.pop()
                if not (isinstance(module, str) and isinstance(attr, str)):
                    raise CheckpointError("STACK_GLOBAL with non-string names")
                stack.append(self.find(module, attr))
            elif name == "REDUCE":
                args, func = stack.pop(), stack.pop()
                if id(func) not in self.callables or not isinstance(args, tuple):
                    raise CheckpointError(f"the pickle calls a {type(func).__name__}, which is not callable "
                                          "here")
                stack.append(func(*args))
            elif name == "BUILD":
                state, obj = stack.pop(), stack[-1]
                if type(obj) is collections.OrderedDict and isinstance(state, dict) and \
                        set(state) == {"_metadata"}:
                    # state_dict()'s per-module versions, kept as torch keeps them
                    obj._metadata = state["_metadata"]
                    continue
                if not isinstance(obj, (_DType, _Array)):
                    raise CheckpointError(f"the pickle sets the state of a {type(obj).__name__}")
                obj.setstate(state)
            elif name == "BINPERSID":
                stack.append(self.storage(stack.pop()))
            elif name == "POP":
                stack.pop()
            elif name == "POP_MARK":
                pop_mark()
            elif name == "DUP":
                stack.append(stack[-1])
            else:
                raise CheckpointError(f"the pickle uses opcode {name} at byte {pos}, which the restricted "
                                      "reader does not allow")
        raise CheckpointError("the pickle ends without STOP")


_CONSTANTS = {"EMPTY_DICT": dict, "EMPTY_LIST": list, "EMPTY_TUPLE": tuple, "NONE": lambda: None,
              "NEWTRUE": lambda: True, "NEWFALSE": lambda: False}
_LITERALS = {"INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
             "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "UNICODE", "BINBYTES", "SHORT_BINBYTES",
             "BINBYTES8"}


def _target(stack, kind):
    if not stack or not isinstance(stack[-1], kind):
        found = type(stack[-1]).__name__ if stack else "missing"
        raise CheckpointError(f"the pickle adds items to a {found} object, not a {kind.__name__}")
    return stack[-1]


def _finish(obj, seen: dict, depth: int):
    """Replace the NumPy placeholders by arrays and dtypes, keeping shared objects shared."""
    if depth > _MAX_DEPTH:
        raise CheckpointError(f"the structure is nested more than {_MAX_DEPTH} levels deep")
    if isinstance(obj, _Array):
        if obj.array is None:
            raise CheckpointError("a numpy array has no data")
        return obj.array
    if isinstance(obj, _DType):
        return obj.dtype
    if isinstance(obj, (_StorageType, _Marker)) or callable(obj) and not isinstance(obj, (Tensor, np.dtype)):
        raise CheckpointError("the structure holds a bare type or function")
    if not isinstance(obj, (dict, list, tuple)):
        return obj
    if id(obj) in seen:
        return seen[id(obj)]
    if isinstance(obj, dict):
        out = seen[id(obj)] = type(obj)()
        out.update((_finish(k, seen, depth + 1), _finish(v, seen, depth + 1)) for k, v in obj.items())
        if "_metadata" in getattr(obj, "__dict__", ()):
            out._metadata = _finish(obj._metadata, seen, depth + 1)
        return out
    if isinstance(obj, list):
        out = seen[id(obj)] = []
        out.extend(_finish(v, seen, depth + 1) for v in obj)
        return out
    seen[id(obj)] = out = tuple(_finish(v, seen, depth + 1) for v in obj)
    return out


def _pid_parts(pid):
    if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"
            and isinstance(pid[1], _StorageType) and isinstance(pid[2], str) and isinstance(pid[3], str)
            and isinstance(pid[4], int) and pid[4] >= 0):
        raise CheckpointError(f"a persistent id {str(pid)[:80]} is not a PyTorch storage reference")
    if len(pid) == 6 and pid[5] is not None:
        raise CheckpointError("it holds a legacy storage view, which this reader does not handle; re-save "
                              "the file with a recent PyTorch")
    return pid[1].dtype, pid[2], pid[3], pid[4]


def load_zip(zf: zipfile.ZipFile, archive_size: int, map_storage):
    """The object in a PyTorch zip archive; `map_storage(tensor, location)` applies map_location."""
    pickles = [n for n in zf.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pickles) != 1:
        raise CheckpointError(f"it holds {len(pickles)} data.pkl members (a PyTorch archive holds one)")
    prefix = pickles[0][: -len("data.pkl")]
    big = prefix + "byteorder" in zf.namelist() and \
        zf.read(_member(zf, prefix + "byteorder", archive_size)).strip() == b"big"
    storages: dict = {}

    def storage(pid):
        dtype, key, location, numel = _pid_parts(pid)
        if key in storages and (storages[key].dtype, storages[key].array.size) != (dtype, numel):
            raise CheckpointError(f"storage {key} is declared twice with different types or sizes")
        if key not in storages:
            info = _member(zf, f"{prefix}data/{key}", archive_size)
            if info.file_size != numel * dtype.itemsize:
                raise CheckpointError(f"storage {key} declares {numel} elements of {dtype} but holds "
                                      f"{info.file_size} bytes")
            raw = np.empty(info.file_size, np.uint8)
            with zf.open(info) as f:
                got = f.readinto(memoryview(raw))
            if got != info.file_size:
                raise CheckpointError(f"storage {key} is truncated")
            arr = raw.view(dtype.newbyteorder(">")).astype(dtype) if big else raw.view(dtype)
            storages[key] = _Storage(map_storage(arr, location), dtype)
        return storages[key]

    data = zf.read(_member(zf, pickles[0], archive_size))
    return _Reader(storage).run(io.BytesIO(data))


LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def load_legacy(stream: io.BytesIO, map_storage):
    """A file written by `torch.save(..., _use_new_zipfile_serialization=False)`: pickles of the
    magic number, protocol and system info, the structure, the storage keys, then each storage as
    an int64 element count and its raw bytes."""
    plain = _Reader(None)
    if plain.run(stream) != LEGACY_MAGIC:
        raise CheckpointError("it is neither a zip archive nor a PyTorch legacy file")
    if plain.run(stream) != 1001:
        raise CheckpointError("it is a PyTorch legacy file of an unknown protocol; re-save it with a "
                              "recent PyTorch")
    info = plain.run(stream)
    if not isinstance(info, dict) or info.get("little_endian") is not True:
        raise CheckpointError("it is a big-endian PyTorch legacy file; re-save it with a recent PyTorch")
    wanted: dict = {}

    def standin(pid):  # first pass: learn each storage's dtype and size, allocating nothing
        dtype, key, location, numel = _pid_parts(pid)
        if wanted.setdefault(key, (dtype, location, numel)) != (dtype, location, numel):
            raise CheckpointError(f"storage {key} is declared twice with different types or sizes")
        nothing = np.lib.stride_tricks.as_strided(np.zeros(1, dtype), (numel,), (0,), writeable=False)
        return _Storage(nothing, dtype)

    start = stream.tell()
    _Reader(standin).run(stream)
    keys = plain.run(stream)
    if not isinstance(keys, list) or sorted(map(str, keys)) != sorted(wanted) or len(keys) != len(wanted):
        raise CheckpointError("its storage list does not match the storages the structure uses")
    storages = {}
    for key in keys:
        dtype, location, numel = wanted[key]
        head = stream.read(8)
        nbytes = numel * dtype.itemsize
        if len(head) != 8 or int.from_bytes(head, "little") != numel or \
                len(stream.getbuffer()) - stream.tell() < nbytes:
            raise CheckpointError(f"storage {key} is truncated or declares another size")
        arr = np.frombuffer(stream.read(nbytes), dtype).copy()
        storages[key] = _Storage(map_storage(arr, location), dtype)
    stream.seek(start)  # second pass: the same structure, now with the storages
    return _Reader(lambda pid: storages[_pid_parts(pid)[1]]).run(stream)
