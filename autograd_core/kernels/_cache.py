"""Where compiled kernels are cached on disk, and how a bad cache never stops a run.

Numba's `cache=True` keeps each compiled kernel as a pickle; loading one runs whatever the pickle
says, so the cache must live in a directory **only this user can write**. The kernels are cached in

* `$NUMBA_CACHE_DIR` when it is set, else
* `$XDG_CACHE_HOME/autograd_core/kernels` (`~/.cache/autograd_core/kernels`),

created with mode 0o700, and used only while it is a directory owned by this user that neither
group nor others can write (numba's other places, such as `__pycache__` next to an installed
package, are never used). On top of numba's cache this module makes three failures harmless:

* a damaged entry (empty, truncated, garbage, or written by something else) is treated as a miss:
  the kernel is recompiled and the entry replaced, with one warning;
* when no private writable directory exists (a read-only install and home), kernels are compiled
  in memory on every run, with one warning instead of numba's "no locator available" error;
* an entry that cannot be written is skipped, with one warning.

And before the first kernel compiles, one line on stderr says that compiling takes a moment once
and is cached for next time; a run whose kernels all come from the cache says nothing. An entry is
also invalidated when `_vmath.py` or `_vmath32.py` changes, whose functions kernels inline.

Nothing here imports numba until a kernel is first called (see `_jit.py`).
"""

from __future__ import annotations

import functools
import os
import stat
import sys
import threading
import warnings

_said: set = set()
_said_lock = threading.Lock()


class KernelCacheWarning(UserWarning):
    """The on-disk kernel cache could not be used as intended; kernels still run."""


def _once(key) -> bool:
    """True the first time `key` is seen in this process."""
    with _said_lock:
        if key in _said:
            return False
        _said.add(key)
        return True


def _warn_once(key, message: str) -> None:
    if _once(key):
        warnings.warn(message, KernelCacheWarning, stacklevel=3)


def cache_root() -> str:
    """The directory under which compiled kernels are cached (see the module docstring)."""
    chosen = os.environ.get("NUMBA_CACHE_DIR")
    if chosen:
        return os.path.abspath(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "autograd_core", "kernels")


def private_directory(path: str) -> bool:
    """Create `path` (mode 0o700) if needed; True when it is a directory owned by this user that
    no one else can write, so that the pickles in it can only be ours."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)  # lstat: a symlink planted in place of the directory is refused
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode):
        return False
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    return os.access(path, os.W_OK | os.X_OK)


def announce_compiling() -> None:
    """Say once per process, before the first compilation, what the pause is."""
    if _once("compiling"):
        print(f"autograd_core: compiling the Numba kernels on first use (a few seconds, once); they are "
              f"cached in {cache_root()} for later runs.", file=sys.stderr, flush=True)


_SHARED = ("_vmath.py", "_vmath32.py")  # modules whose functions are inlined into other files' kernels


@functools.cache
def _shared_stamps() -> tuple:
    here = os.path.dirname(os.path.abspath(__file__))
    stamps = []
    for name in _SHARED:
        st = os.stat(os.path.join(here, name))
        stamps.append((name, st.st_mtime, st.st_size))
    return tuple(stamps)


@functools.cache
def _cache_class(numba):
    """numba's FunctionCache with our locator and repair; built on first use (numba is heavy)."""
    from numba.core import caching

    class PrivateLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
        """numba's user-provided locator, rooted at `cache_root()` and refusing unsafe directories."""

        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._root = cache_root()
            self._cache_path = os.path.join(self._root, self.get_suitable_cache_subpath(py_file))

        def get_cache_path(self):
            return self._cache_path

        def get_source_stamp(self):
            # numba keys an entry on its own file's stamp only, but kernels inline the vectorised
            # math of _vmath/_vmath32 from other files: an edit there must invalidate them too
            return (super().get_source_stamp(), *_shared_stamps())

        def ensure_cache_path(self):
            for path in (self._root, self._cache_path):
                if not private_directory(path):
                    # from_function turns an OSError into "no locator": the kernel runs uncached.
                    raise OSError(f"{path} is not a directory that only this user can write")

    class Impl(caching.CompileResultCacheImpl):
        _locator_classes = [PrivateLocator]

    class RobustCache(caching.FunctionCache):
        _impl_class = Impl

        def load_overload(self, sig, target_context):
            try:
                data = super().load_overload(sig, target_context)
            except Exception as exc:  # noqa: BLE001 - any unreadable entry is a miss, never a failure
                self._discard(exc)
                data = None
            if data is None and self._enabled:
                announce_compiling()
            return data

        def save_overload(self, sig, data):
            try:
                super().save_overload(sig, data)
            except Exception as exc:  # noqa: BLE001 - a cache we cannot write only costs time
                self.disable()
                _warn_once(("save", self.cache_path),
                           f"autograd_core: could not write the kernel cache in {self.cache_path} "
                           f"({type(exc).__name__}: {exc}); kernels will be compiled again next run")

        def _discard(self, exc):
            """Drop the damaged index so that the recompiled kernel writes a fresh entry."""
            index = self._cache_file._index_path
            try:
                if os.path.lexists(index):
                    os.unlink(index)
                fate = "the kernel is recompiled and its entry replaced"
            except OSError:
                self.disable()  # cannot replace it: stop reading it, compile in memory
                fate = "the entry cannot be replaced, so the kernel is compiled without the cache"
            _warn_once(("damaged", self.cache_path),
                       f"autograd_core: ignored a damaged kernel cache entry in {self.cache_path} "
                       f"({type(exc).__name__}: {exc}); {fate}")

    return RobustCache


def jit_cached(numba, func, options: dict):
    """`numba.njit(**options)(func)`, cached on disk by `RobustCache` when `options['cache']`."""
    options = dict(options)
    cache = options.pop("cache", False)
    dispatcher = numba.njit(**options)(func)
    if not cache or not hasattr(dispatcher, "_cache"):  # NUMBA_DISABLE_JIT=1 returns func itself
        return dispatcher
    try:
        # numba's enable_caching() does exactly this with its own FunctionCache.
        dispatcher._cache = _cache_class(numba)(func)
    except RuntimeError as exc:  # "no locator available": nowhere private and writable
        _warn_once("uncached",
                   f"autograd_core: kernels are compiled on every run because there is no directory "
                   f"only this user can write for the cache ({cache_root()}: {exc}); set NUMBA_CACHE_DIR "
                   f"to one (mode 0o700)")
    return dispatcher
