"""Devices, honestly: this build computes on the CPU, and says so.

`ag.device('cpu')` is the one device. Code written for PyTorch that asks where to run
(`device = 'cuda' if torch.cuda.is_available() else 'cpu'`) gets 'cpu' and runs; code that
insists on 'cuda' or 'mps' gets an error that says this build has no accelerator, instead
of an obscure NumPy message.

    >>> import autograd_core as ag
    >>> ag.zeros(2, device="cpu").device
    device(type='cpu')
    >>> ag.cuda.is_available()
    False
"""

from __future__ import annotations

import numpy as np

from .dtypes import resolve_dtype

_ACCELERATORS = ("cuda", "mps", "xpu", "xla", "hip", "mtia", "meta", "vulkan", "ipu", "hpu", "mkldnn")


class device:  # noqa: N801 - PyTorch's name
    """A device descriptor: `device('cpu')`, `device('cpu', 0)` or `device('cpu:0')`."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device = "cpu", index: int | None = None):  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if isinstance(type, int):  # torch.device(0) means cuda:0
            raise no_accelerator("cuda")
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string, got {type!r}")
        name, _, idx = type.partition(":")
        if idx:
            index = int(idx)
        if name in _ACCELERATORS:
            raise no_accelerator(name)
        if name != "cpu":
            raise RuntimeError(
                f"Expected one of cpu, cuda, mps, ... device type at start of device string: {type}"
            )
        self.type = "cpu"
        self.index = index

    def __repr__(self) -> str:
        return f"device(type='cpu'{'' if self.index is None else f', index={self.index}'})"

    def __str__(self) -> str:
        return "cpu" if self.index is None else f"cpu:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        return isinstance(other, device) and other.type == self.type and other.index == self.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


CPU = device("cpu")


def no_accelerator(name: str) -> RuntimeError:
    return RuntimeError(
        f"autograd_core computes on the CPU only: device '{name}' is not available in this build. "
        "Use device='cpu' (or `'cuda' if ag.cuda.is_available() else 'cpu'`, which picks the CPU)."
    )


def check_device(d) -> None:
    """Accept None, 'cpu', device('cpu'); refuse accelerators with a clear error."""
    if d is None or d is CPU:
        return
    device(d)


def parse_to(args: tuple, kwargs: dict):
    """Read `.to(...)`'s arguments: returns (dtype or None, copy)."""
    dtype = kwargs.pop("dtype", None)
    check_device(kwargs.pop("device", None))
    copy = bool(kwargs.pop("copy", False))
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    from .tensor import Tensor

    for a in args:
        if isinstance(a, Tensor):
            dtype = a._data.dtype
        elif isinstance(a, (str, device)) or isinstance(a, int) and not isinstance(a, bool):
            if isinstance(a, str) and a in ("float32", "float64", "float16", "int64", "int32", "bool"):
                dtype = resolve_dtype(a)
            else:
                check_device(a)
        elif isinstance(a, bool):
            continue  # non_blocking passed positionally
        elif a is not None:
            dtype = resolve_dtype(a)
    return (None if dtype is None else resolve_dtype(dtype)), copy


_TYPE_NAMES = {
    "float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "float16": "torch.HalfTensor",
    "int64": "torch.LongTensor", "int32": "torch.IntTensor", "int16": "torch.ShortTensor",
    "int8": "torch.CharTensor", "uint8": "torch.ByteTensor", "bool": "torch.BoolTensor",
}


def type_name(dtype: np.dtype) -> str:
    """PyTorch's `Tensor.type()` string for a dtype (kept as PyTorch spells it, since
    programs compare against it)."""
    return _TYPE_NAMES.get(np.dtype(dtype).name, f"torch.{np.dtype(dtype).name}")


class _Unavailable:
    """`ag.cuda`, `ag.backends.mps`, ...: the queries answer as PyTorch's CPU-only build."""

    def __init__(self, name: str):
        self._name = name

    def is_available(self) -> bool:
        return False

    def device_count(self) -> int:
        return 0

    def is_built(self) -> bool:
        return False

    def manual_seed(self, seed: int) -> None:
        """Seeding an absent accelerator does nothing (PyTorch's CPU build does the same)."""

    manual_seed_all = manual_seed

    def synchronize(self, device=None) -> None:
        """Nothing runs asynchronously on the CPU."""

    def empty_cache(self) -> None:
        """No accelerator memory to release."""

    def memory_allocated(self, device=None) -> int:
        """No accelerator memory is ever allocated: 0."""
        return 0

    max_memory_allocated = memory_reserved = max_memory_reserved = memory_allocated

    def reset_peak_memory_stats(self, device=None) -> None:
        """Nothing to reset without an accelerator."""

    def is_bf16_supported(self, including_emulation: bool = True) -> bool:
        return False

    def current_device(self) -> int:
        raise no_accelerator(self._name)

    def get_device_name(self, device=None) -> str:
        raise no_accelerator(self._name)

    def set_device(self, device) -> None:
        raise no_accelerator(self._name)

    def __repr__(self) -> str:
        return f"<autograd_core.{self._name}: not available (CPU-only build)>"


cuda = _Unavailable("cuda")
mps = _Unavailable("mps")
