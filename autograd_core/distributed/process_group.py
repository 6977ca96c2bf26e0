"""The process group on MPI: start-up, the collective timeout, and what happens when a rank fails.

Every collective here is a non-blocking MPI call followed by `wait_all`, which polls it until
it completes or the group's timeout passes, so a dead or hung peer turns into an error instead
of a hang. While polling, each rank also watches a second communicator ("control") for two
kinds of message from its peers:

- FAILED: a peer is dying of an uncaught exception (our `sys.excepthook` sends it), so the
  collective can never finish; raise at once, naming that rank and its exception.
- PING: a peer's collective timed out and it asks who is still alive; answer PONG with the
  collective we are waiting in. Ranks that do not answer are the ones named in its error.

A rank killed outright (SIGKILL, out of memory) or crashing is seen by the MPI launcher first:
MPICH's `mpiexec` kills every other rank at once (SIGKILL) and prints only a process id.
So each rank also has a watcher process (sentinel.py) that outlives it and then writes which
rank died first and which collective each rank was in; `wait_all` tells it that collective.

    >>> import autograd_core.distributed as dist          # doctest: +SKIP
    >>> dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=60))
"""

from __future__ import annotations

import atexit
import datetime
import importlib.util
import os
import sys
import time
import warnings

import numpy as np

from ..kernels import _threads

DEFAULT_TIMEOUT = datetime.timedelta(minutes=5)
_TAG_FAILED, _TAG_PING, _TAG_PONG = 1, 2, 3
# After announcing its failure a dying rank waits this long, so that peers blocked in a collective
# can print their own error, and then aborts the job (or the launcher would wait forever on a
# hung peer).
_ABORT_GRACE_S = 0.5
_SPIN_S, _MAX_PAUSE_S = 0.05, 5e-4  # how wait_all polls (see there)

_INSTALL_HINT = (
    'autograd_core.distributed needs MPI: pip install "autograd-core[distributed]" '
    "(mpi4py and the mpich wheel, which brings mpiexec), then launch with "
    "`mpiexec -n 2 python your_script.py`"
)


class DistError(RuntimeError):
    """A collective could not complete: a peer failed, hung or disagreed about the arguments."""


class DistBackendError(DistError):
    """The MPI layer failed or a collective timed out."""


class _Group:
    """The state of the default process group (one per process)."""

    def __init__(self, MPI, timeout_s: float) -> None:
        self.MPI = MPI
        self.comm = MPI.COMM_WORLD.Dup()  # our collectives, apart from the user's own MPI traffic
        self.control = MPI.COMM_WORLD.Dup()  # failure notices and liveness pings
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.timeout_s = timeout_s
        self.failed: dict[int, str] = {}
        self.pongs: dict[int, str] = {}
        self.ping_round = 0
        self.progress = None  # progress.BackgroundProgress, started by the first user (DDP)
        self.outbox: list = []  # control sends in flight: their buffers must outlive them
        self.previous_excepthook = None
        self.sentinel = None  # sentinel.Sentinel: explains a rank's death by a signal or crash


_group: _Group | None = None


def is_available() -> bool:
    """True when mpi4py is installed (the `distributed` extra), so a group can be started."""
    return importlib.util.find_spec("mpi4py") is not None


is_mpi_available = is_available


def is_initialized() -> bool:
    """True between init_process_group() and destroy_process_group()."""
    return _group is not None


def _seconds(timeout) -> float:
    if timeout is None:
        return DEFAULT_TIMEOUT.total_seconds()
    seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else float(timeout)
    if not seconds > 0:
        raise ValueError(f"init_process_group: timeout must be positive, got {timeout!r}")
    return seconds


def _check_env(name: str, value: int, argument: int) -> None:
    """RANK / WORLD_SIZE from the torchrun convention must agree with what MPI says."""
    for source, given in ((f"argument {name.lower()}", argument), (f"${name}", os.environ.get(name))):
        if given is None or int(given) == -1:
            continue
        if int(given) != value:
            hint = ("this process was not started by mpiexec" if name == "WORLD_SIZE" and value == 1
                    else "with backend 'mpi' the launcher (mpiexec) assigns ranks")
            raise ValueError(f"init_process_group: {source} is {given} but MPI says {name} = {value}; {hint}")


def init_process_group(backend: str | None = None, init_method: str | None = None, timeout=None,
                       world_size: int = -1, rank: int = -1, store=None, group_name: str = "",
                       pg_options=None, device_id=None) -> None:
    """Join the default process group: one rank per process started by `mpiexec -n N`.

    `backend` is 'mpi' ('gloo', PyTorch's CPU backend, is served by MPI too). Rank and world
    size come from MPI; `rank=`/`world_size=` and the RANK/WORLD_SIZE environment
    variables are accepted when they agree with it (and are set for the program when absent).
    `timeout` (a timedelta or seconds, default 5 minutes) bounds every collective. With more
    than one rank, each rank also starts a small watcher process that names the rank that died
    first if the launcher has to end the job because a rank was killed or crashed.

        >>> dist.init_process_group("mpi")                     # doctest: +SKIP
        >>> dist.get_rank(), dist.get_world_size()             # doctest: +SKIP
        (0, 2)
    """
    global _group
    if _group is not None:
        raise ValueError("trying to initialize the default process group twice!")
    # 'gloo' is PyTorch's CPU backend: programs written for it get the same collectives on MPI.
    if backend is not None and str(backend).lower() not in ("mpi", "gloo"):
        raise ValueError(f"init_process_group: backend {backend!r} is not available; this CPU library "
                         "communicates through MPI only: use backend='mpi' (or 'gloo', or leave it out)")
    if init_method not in (None, "env://") or store is not None:
        raise ValueError("init_process_group: with MPI the launcher (mpiexec) connects the ranks; "
                         "init_method and store are not used, leave them out")
    timeout_s = _seconds(timeout)
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise RuntimeError(_INSTALL_HINT) from exc
    group = _Group(MPI, timeout_s)
    _check_env("WORLD_SIZE", group.size, world_size)
    _check_env("RANK", group.rank, rank)
    local = MPI.COMM_WORLD.Split_type(MPI.COMM_TYPE_SHARED)
    _threads.share_cores(local.Get_size())  # the ranks on this machine share its cores
    for name, value in (("RANK", group.rank), ("WORLD_SIZE", group.size),
                        ("LOCAL_RANK", local.Get_rank()), ("LOCAL_WORLD_SIZE", local.Get_size())):
        os.environ.setdefault(name, str(value))
    _group = group
    group.previous_excepthook = sys.excepthook
    sys.excepthook = _excepthook
    try:
        # Every rank on this machine learns the others' pids (this is also the start-up barrier).
        mine = np.array([group.rank, os.getpid()], dtype=np.int64)
        everyone = np.empty((local.Get_size(), 2), dtype=np.int64)
        wait_all([local.Iallgather(mine, everyone)], "init_process_group (waiting for every rank to start)")
    finally:
        local.Free()
    if group.size > 1:
        _start_sentinel(group, {int(r): int(p) for r, p in everyone if r != group.rank})
    wait_all([group.comm.Ibarrier()], "init_process_group (waiting for every rank to start)")


def _start_sentinel(group: _Group, peers: dict[int, int]) -> None:
    from .sentinel import Sentinel

    try:
        group.sentinel = Sentinel.start(group.rank, group.size, peers)
    except (OSError, ValueError) as exc:  # training works without it; only a killed rank's message is lost
        warnings.warn(f"init_process_group: could not start the watcher that explains a killed rank ({exc})",
                      RuntimeWarning, stacklevel=3)
        return
    atexit.register(group.sentinel.stop)  # a normal end of the program is no failure


def destroy_process_group(group=None) -> None:
    """Leave the default group (the other ranks should do the same)."""
    global _group
    _check_group(group)
    state = current()
    if sys.excepthook is _excepthook:
        sys.excepthook = state.previous_excepthook
    _group = None
    if state.sentinel is not None:
        state.sentinel.stop()
    if state.progress is not None:
        state.progress.stop()
    state.comm.Free()
    state.control.Free()


def current() -> _Group:
    if _group is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return _group


class _World:
    def __repr__(self) -> str:
        return "<the default process group: every rank>"


class group:
    """`dist.group.WORLD`: the default group, which every collective here spans."""

    WORLD = _World()


def _check_group(group_) -> None:
    if group_ is not None and group_ is not group.WORLD:
        raise ValueError("only the default group (group=None or dist.group.WORLD) is supported: "
                         "every collective spans all ranks")


def get_rank(group=None) -> int:
    """This process's rank in the default group, 0 … world_size - 1."""
    _check_group(group)
    return current().rank


def get_world_size(group=None) -> int:
    """How many processes are in the default group."""
    _check_group(group)
    return current().size


def get_backend(group=None) -> str:
    _check_group(group)
    current()
    return "mpi"


def wait_all(requests: list, what: str, timeout_s: float | None = None) -> None:
    """Poll MPI requests until all complete; raise DistError on a peer's failure or the timeout."""
    state = current()
    Testall = state.MPI.Request.Testall
    if Testall(requests):
        return
    now = time.monotonic()
    deadline = now + (state.timeout_s if timeout_s is None else timeout_s)
    sentinel = state.sentinel
    if sentinel is not None:  # if the launcher kills us while we wait, the watcher says where
        sentinel.note(what)
    # Spin (yielding) first: a collective whose peers are already there completes in
    # microseconds, and a sleep costs at least ~60 µs of wake-up latency (much more on a busy
    # machine). Then poll ever more slowly, so that a long wait leaves the core to the others.
    spin_until, pause = now + _SPIN_S, 2e-5
    try:
        while not Testall(requests):
            now = time.monotonic()
            if now < spin_until:
                os.sched_yield()  # a peer waiting for a core (more processes than cores) gets it
                continue
            _read_control(state, what)
            if now > deadline:
                _timed_out(state, what, timeout_s or state.timeout_s)
            time.sleep(pause)
            pause = min(pause * 2, _MAX_PAUSE_S)
    finally:
        if sentinel is not None:
            sentinel.note("")


def _read_control(state: _Group, what: str) -> None:
    MPI, control = state.MPI, state.control
    status = MPI.Status()
    while control.Iprobe(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG, status=status):
        source, tag = status.Get_source(), status.Get_tag()
        message = bytearray(status.Get_count(MPI.BYTE))
        control.Recv([message, MPI.BYTE], source=source, tag=tag)
        text = message.decode("utf-8", "replace")
        if tag == _TAG_PING:
            _post(state, f"{text}\n{what}".encode(), source, _TAG_PONG)
        elif tag == _TAG_PONG:
            round_, _, where = text.partition("\n")
            if round_ == str(state.ping_round):
                state.pongs[source] = where
        elif tag == _TAG_FAILED:
            state.failed[source] = text
            raise DistError(f"{what}: rank {source} failed, so this collective cannot complete "
                            f"(rank {state.rank} stops too). Rank {source}'s error: {text}")


def _post(state: _Group, payload: bytes, dest: int, tag: int) -> None:
    """Send a small control message without waiting; keep the request (and so its buffer) alive."""
    state.outbox = [r for r in state.outbox if not r.Test()]
    state.outbox.append(state.control.Isend([payload, state.MPI.BYTE], dest=dest, tag=tag))


def _timed_out(state: _Group, what: str, seconds: float) -> None:
    """Ask every peer whether it is alive, then raise naming those that did not reach `what`."""
    state.ping_round += 1
    state.pongs = {}
    peers = [r for r in range(state.size) if r != state.rank and r not in state.failed]
    for peer in peers:
        _post(state, str(state.ping_round).encode(), peer, _TAG_PING)
    grace = time.monotonic() + min(2.0, max(0.2, seconds / 4))
    while time.monotonic() < grace and len(state.pongs) < len(peers):
        _read_control(state, what)
        time.sleep(1e-3)
    silent = [r for r in peers if r not in state.pongs]
    elsewhere = {r: w for r, w in state.pongs.items() if w != what}
    detail = f"rank(s) {silent} did not answer (dead or hung)" if silent else "every rank answered"
    if elsewhere:
        detail += "; " + ", ".join(f"rank {r} is in {w!r}" for r, w in sorted(elsewhere.items()))
    raise DistBackendError(f"{what} timed out after {seconds:g} s on rank {state.rank}: {detail}. "
                           "Raise the limit with init_process_group(timeout=...) if a rank is just slow.")


def _excepthook(exc_type, exc, tb) -> None:
    """Uncaught exception on this rank: print it, tell the peers, then end the job."""
    state = _group
    if state is not None and state.sentinel is not None:
        from .sentinel import RAISED

        state.sentinel.set_state(RAISED)  # the error below says it all; the watcher stays silent
    (state.previous_excepthook if state else sys.__excepthook__)(exc_type, exc, tb)
    if state is None or state.size == 1:
        return
    MPI = state.MPI
    text = f"{exc_type.__name__}: {exc}".encode()
    sends = [state.control.Isend([text, MPI.BYTE], dest=r, tag=_TAG_FAILED)
             for r in range(state.size) if r != state.rank and r not in state.failed]
    end = time.monotonic() + _ABORT_GRACE_S
    while time.monotonic() < end:
        MPI.Request.Testall(sends)
        time.sleep(0.01)
    sys.stderr.flush()
    sys.stdout.flush()
    MPI.COMM_WORLD.Abort(1)
