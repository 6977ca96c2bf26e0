"""Grad mode: whether operations record the graph. Per thread, as in PyTorch.

>>> import autograd_core as ag
>>> x = ag.ones(2, requires_grad=True)
>>> with ag.no_grad():
...     y = x * 2
>>> y.requires_grad
False
"""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    # Class attributes are the per-thread defaults: a new thread starts with grad on.
    grad_enabled = True
    anomaly = False


state = _State()

# True once any thread has turned anomaly detection on: until then the per-op check reads
# this plain flag instead of the (slower) thread-local state.
anomaly_used = [False]


def is_grad_enabled() -> bool:
    """True when operations currently record the graph."""
    return state.grad_enabled


class _GradModeContext:
    """Base of the grad-mode contexts: a context manager and a decorator."""

    mode: bool

    def __enter__(self):
        self._prev = state.grad_enabled
        state.grad_enabled = self.mode

    def __exit__(self, *exc):
        state.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Context manager and decorator that turns graph recording off."""

    mode = False


class enable_grad(_GradModeContext):
    """Context manager and decorator that turns graph recording on."""

    mode = True


class set_grad_enabled(_GradModeContext):
    """Turn recording on or off: as a call, as a context manager or as a decorator."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        # Like torch.set_grad_enabled, the call alone already switches the mode.
        self._prev = state.grad_enabled
        state.grad_enabled = self.mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        state.grad_enabled = self._prev  # used as a decorator: undo the switch
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class detect_anomaly:
    """Within this context the first NaN/inf produced in forward or backward raises,
    naming the operation that produced it.

    >>> import autograd_core as ag
    >>> with ag.detect_anomaly():
    ...     ag.tensor([-1.0]).log()   # doctest: +SKIP
    RuntimeError: LogBackward produced non-finite values in forward ...
    """

    def __enter__(self):
        self._prev = state.anomaly
        state.anomaly = True
        anomaly_used[0] = True
        return self

    def __exit__(self, *exc):
        state.anomaly = self._prev
        return False


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Turn anomaly detection on or off: as a call, or as a context manager."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = state.anomaly
        state.anomaly = bool(mode)
        anomaly_used[0] = anomaly_used[0] or state.anomaly

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state.anomaly = self._prev
        return False


def is_anomaly_enabled() -> bool:
    return state.anomaly


class inference_mode(_GradModeContext):
    """PyTorch's inference_mode: like no_grad here (no graph is recorded)."""

    mode = False

    def __init__(self, mode: bool = True):
        self.mode = not mode
