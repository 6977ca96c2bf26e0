"""Rank 1 fails in the way named on the command line while rank 0 waits in an all_reduce.

    mpiexec -n 2 python failure.py raise|hang|kill
"""

import datetime
import os
import signal
import sys

import autograd_core as ag
import autograd_core.distributed as dist

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=2))
rank = dist.get_rank()
t = ag.ones(4)
dist.all_reduce(t)  # everyone healthy so far
if rank == 1:
    mode = sys.argv[1]
    if mode == "raise":
        raise ValueError("rank one gives up")
    os.kill(os.getpid(), signal.SIGSTOP if mode == "hang" else signal.SIGKILL)
dist.all_reduce(t)
print("rank 0 finished an all_reduce without rank 1", flush=True)
