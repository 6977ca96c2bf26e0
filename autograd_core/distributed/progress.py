"""A background thread that keeps MPI's progress engine turning while the main thread computes.

MPI advances a non-blocking collective only inside MPI calls. DDP starts a bucket's all-reduce
in the middle of backward and then computes for milliseconds without calling MPI, so without
help the reduction would mostly happen at the end, exposed. While someone holds it, this thread
calls MPI_Iprobe on a communicator that never carries a message: each call turns the progress
engine for every pending request, and it touches no request object of the main thread (which
would not be thread-safe). NumPy, BLAS and the kernels release the GIL while they compute, so
the thread gets to run during backward. It sleeps on an Event when nobody holds it.

    >>> progress = background_progress()     # doctest: +SKIP
    >>> progress.hold(); ...; progress.release()
"""

from __future__ import annotations

import atexit
import threading
import time

_POLL_S = 1e-4


class BackgroundProgress:
    def __init__(self, MPI, comm) -> None:
        self._MPI, self._comm = MPI, comm.Dup()
        self._holders = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="mpi-progress", daemon=True)
        self._thread.start()
        atexit.register(self.stop)  # before mpi4py finalizes MPI at exit

    def hold(self) -> None:
        self._holders += 1
        self._wake.set()

    def release(self) -> None:
        self._holders = max(0, self._holders - 1)
        if not self._holders:
            self._wake.clear()

    def _run(self) -> None:
        MPI, comm = self._MPI, self._comm
        while True:
            self._wake.wait()
            if self._stopping:
                return
            comm.Iprobe(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG)
            time.sleep(_POLL_S)

    def stop(self) -> None:
        """End the thread (destroy_process_group and interpreter exit call this)."""
        if self._stopping:
            return
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=1.0)
        if not self._thread.is_alive():
            self._comm.Free()


def background_progress():
    """The group's progress thread, started on first use; None where MPI has no thread support."""
    from .process_group import current

    state = current()
    if state.progress is None and state.MPI.Query_thread() >= state.MPI.THREAD_MULTIPLE:
        state.progress = BackgroundProgress(state.MPI, state.comm)
    return state.progress
