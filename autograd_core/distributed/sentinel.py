"""A watcher process per rank that explains, on stderr, why a rank that died without a Python error ended.

When a rank is killed (SIGKILL, the out-of-memory killer) or crashes, MPICH's `mpiexec` at once
kills every other rank with SIGKILL too (measured: within a few milliseconds, no catchable
signal first), so no rank can say anything, and the launcher's notice gives only a process id
(in our runs often a survivor's). So `init_process_group` starts, for each rank, this small
stdlib-only script as a separate process in its own session (the launcher kills each rank's
process group, not this one). It sleeps until its rank ends (a pidfd, or the parent pid
changing where there is no pidfd) while also watching the other ranks on the same machine,
and when its rank ended without having finished or reported a Python error, it writes one
line naming the rank that died first and the collective its own rank was waiting in, and
exits. It holds the rank's stderr open, so the launcher forwards that line before it prints
its own verdict and ends the job.

The rank tells it what it is doing through a small shared file (`Sentinel.note`): the first
byte is the rank's state, the rest the collective it is waiting in (written only when a
collective has to be waited for, so the fast path costs nothing).

    >>> sentinel = Sentinel.start(rank=0, size=2, peers={1: 4242})   # doctest: +SKIP
    >>> sentinel.note("all_reduce"); ...; sentinel.note("")
"""

from __future__ import annotations

import mmap
import os
import select
import subprocess
import sys
import tempfile
import time

_SIZE = 128  # state byte + the collective's name
RUNNING, FINISHED, RAISED = b"R", b"F", b"E"
_POLL_S = 0.02  # how often to check where there is no pidfd (not Linux)
_RECENT_S = 5.0  # a peer that ended this long before our rank did not cause its end
_START_S = 10.0  # the watcher's start-up (tens of milliseconds; much more on an overloaded machine)


class Sentinel:
    """The rank's side: the shared state and the watcher process."""

    def __init__(self, state_file, shared: mmap.mmap, process: subprocess.Popen) -> None:
        self._file, self._shared, self.process = state_file, shared, process
        self._pid = os.getpid()  # a forked child (a DataLoader worker) shares the map but is not the rank

    @classmethod
    def start(cls, rank: int, size: int, peers: dict[int, int]) -> Sentinel:
        """Start the watcher of this rank; `peers` maps the other local ranks to their pids."""
        # Already unlinked, so nothing to clean up; in memory (/dev/shm) where there is one.
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK | os.X_OK) else None
        state_file = tempfile.TemporaryFile(dir=shm)
        state_file.write(RUNNING + bytes(_SIZE - 1))
        state_file.flush()
        shared = mmap.mmap(state_file.fileno(), _SIZE)
        if not sys.executable:
            raise OSError("no Python executable to run it with (sys.executable is empty)")
        peer_list = ",".join(f"{r}:{p}" for r, p in sorted(peers.items()))
        # -I -S: the watcher needs only the standard library, and starts in milliseconds.
        command = [sys.executable, "-I", "-S", os.path.abspath(__file__), str(rank), str(size),
                   str(os.getpid()), str(state_file.fileno()), peer_list]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   pass_fds=(state_file.fileno(),), start_new_session=True)
        # Wait until it watches: a rank killed right after init_process_group must be seen.
        ready, _, _ = select.select([process.stdout], [], [], _START_S)
        started = bool(ready) and process.stdout.read(1) == b"1"
        process.stdout.close()
        if not started:
            process.kill()
            raise OSError(f"the watcher did not start within {_START_S:g} s")
        return cls(state_file, shared, process)

    def note(self, what: str) -> None:
        """Record the collective this rank now waits in ('' when it is not waiting)."""
        self._shared[1:] = what.encode("utf-8", "replace")[: _SIZE - 1].ljust(_SIZE - 1, b"\0")

    def set_state(self, state: bytes) -> None:
        """FINISHED (a normal end) or RAISED (our excepthook printed the error): the watcher stays silent."""
        if os.getpid() == self._pid:
            self._shared[0:1] = state

    def stop(self) -> None:
        """The rank is done with the group: end the watcher (destroy_process_group, exit)."""
        self.set_state(FINISHED)
        if os.getpid() == self._pid and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd (not Linux, old kernel) or already gone
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (dead, not yet reaped by the launcher) still answers kill(pid, 0)
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def _watch(rank_pid: int, peers: dict[int, int]) -> dict[int, float]:
    """Sleep until the rank ends; return {peer rank: when it ended} for the peers that ended before."""
    ended: dict[int, float] = {}
    own = _pidfd(rank_pid) if os.getppid() == rank_pid else None
    peer_fds = {}
    for peer, pid in peers.items():
        fd = _pidfd(pid)
        if fd is None and not _alive(pid):
            ended[peer] = time.monotonic()
        elif fd is not None:
            peer_fds[fd] = peer
    polling = own is None or len(peer_fds) < len(peers) - len(ended)
    poller = select.poll()
    for fd in ([own] if own is not None else []) + list(peer_fds):
        poller.register(fd, select.POLLIN)
    try:
        os.write(1, b"1")  # watching: the rank may go on
        os.close(1)
    except OSError:  # the rank is already gone
        pass
    while True:
        ready = {fd for fd, _ in poller.poll(_POLL_S * 1000 if polling else None)}
        now = time.monotonic()
        for fd in ready & peer_fds.keys():
            ended[peer_fds.pop(fd)] = now
            poller.unregister(fd)
        if polling:
            for peer, pid in peers.items():
                if peer not in ended and peer not in peer_fds.values() and not _alive(pid):
                    ended[peer] = now
        if own in ready or os.getppid() != rank_pid:  # our rank ended (we were re-parented)
            return {p: t for p, t in ended.items() if now - t < _RECENT_S}


def _explain(rank: int, size: int, rank_pid: int, peers: dict[int, int], ended: dict[int, float],
             what: str) -> str:
    if ended:
        earliest = min(ended.values())
        firsts = sorted(r for r, t in ended.items() if t == earliest)  # seen in one wake-up: a tie
        first = " or ".join(f"rank {r} (pid {peers[r]})" for r in firsts)
        stopped = (f"{what} cannot complete on rank {rank}" if what
                   else f"rank {rank} was stopped outside any collective (while computing)")
        return (f"autograd_core.distributed: {stopped}: {first} died first (it raised an error, was "
                "killed by a signal such as SIGKILL or the out-of-memory killer, crashed, or exited "
                f"early), and the MPI launcher then stopped rank {rank} with the others.\n")
    where = f"during {what}" if what else "outside any collective (while computing)"
    remote = len(peers) < size - 1
    cause = ("by a signal (SIGKILL, the out-of-memory killer), by the MPI launcher because a rank "
             "on another machine died (see that machine's message), or crashed" if remote else
             "by a signal (SIGKILL, the out-of-memory killer) or crashed")
    return (f"autograd_core.distributed: rank {rank} (pid {rank_pid}) died {where} without a Python "
            f"error: it was killed {cause}; the MPI launcher stops the other ranks.\n")


def main(argv: list[str]) -> None:
    rank, size, rank_pid, state_fd = (int(a) for a in argv[:4])
    peers = {int(r): int(p) for r, p in (item.split(":") for item in argv[4].split(",") if item)}
    shared = mmap.mmap(state_fd, _SIZE, access=mmap.ACCESS_READ)
    ended = _watch(rank_pid, peers)
    state, what = shared[0:1], shared[1:].rstrip(b"\0").decode("utf-8", "replace")
    if state == RUNNING:
        os.write(2, _explain(rank, size, rank_pid, peers, ended, what).encode())


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is for the ranks; we end with ours
    try:
        main(sys.argv[1:])
    except Exception:  # never leave a traceback of our own in the user's output
        sys.exit(0)
