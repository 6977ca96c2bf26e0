"""Replace a file in one step, without litter, keeping the permissions a file should have.

`atomic_write(path)` yields a binary file object; when the block ends normally the data are
flushed to disk and renamed over `path` (`os.replace`), so a reader sees the old file or the
new one, never half of one. What it adds to the usual temporary-then-rename:

* a symlink is followed: the target is replaced, from a temporary in the target's directory,
  and the link stays a link;
* a new file gets the permissions the umask gives (like `open(path, "w")`, and PyTorch's
  `torch.save`); a replaced file keeps its mode;
* the temporary is named `.<name>.<host>-<pid>.<random>.tmp`, so the next write to the same
  path can remove temporaries left by writers that were killed (their process is gone), and
  never touches one a live writer is still filling.

    >>> with atomic_write("weights.bin") as f:        # doctest: +SKIP
    ...     f.write(b"...")
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pathlib
import re
import secrets
import socket
import stat
import time
from collections.abc import Iterator
from typing import BinaryIO

# Temporaries named by tempfile.mkstemp before the writer's pid was part of the name: whose they
# were is unknown, so they are removed only once nothing has written to them for an hour.
_LEGACY_AGE_S = 3600.0


def _host() -> str:
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process may be writing
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    except OSError:
        return True  # cannot tell: keep the file
    return True


def remove_stale_temporaries(target: pathlib.Path) -> list[str]:
    """Delete this user's temporaries for `target` whose writer is gone; return their names."""
    ours = r"([0-9a-f]{8})-(\d+)\.[0-9a-f]+"  # host-pid.random
    legacy = r"[a-z0-9_]{8}"  # tempfile.mkstemp's random part
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(?:{ours}|{legacy})\.tmp$")
    removed = []
    host = _host()
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
            continue  # only plain files this user owns
        writer_host, pid = match.group(1), match.group(2)
        if writer_host is not None:
            if writer_host != host or _alive(int(pid)):
                continue
        elif time.time() - info.st_mtime < _LEGACY_AGE_S:
            continue
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed.append(entry.name)
    return removed


@contextlib.contextmanager
def atomic_write(path) -> Iterator[BinaryIO]:
    """A binary file that replaces `path` (or a symlink's target) in one step when the block ends."""
    target = pathlib.Path(os.path.realpath(path))
    remove_stale_temporaries(target)
    try:
        keep_mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        keep_mode = None  # a new file: the mode 0o666 asked below, less the umask
    tmp = target.parent / f".{target.name}.{_host()}-{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        if keep_mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, keep_mode)
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        # Whatever stopped us (an error, Ctrl-C), the previous file is untouched.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
