"""`autograd_core.accelerator`: PyTorch's `torch.accelerator` queries, answering as its
CPU-only build does (no accelerator is available).

    >>> import autograd_core as ag
    >>> ag.accelerator.is_available(), ag.accelerator.current_accelerator()
    (False, None)
"""

from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    return None


def device_count() -> int:
    return 0


def synchronize(device=None) -> None:
    """Nothing runs asynchronously on the CPU."""
