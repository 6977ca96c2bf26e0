"""Rank 1 fails in the way named on the command line while the others wait for it.

    mpiexec -n 2 python failure.py raise|hang|kill|kill-in-training

raise/hang/kill: rank 1 fails after a first all_reduce, while rank 0 waits in the second one.
kill-in-training: DDP trains an MLP; at the third step rank 1 SIGKILLs itself in the middle of
backward (from a gradient hook, while the first buckets are being all-reduced), and the other
ranks are left waiting for its gradients.
"""

import datetime
import os
import signal
import sys

import numpy as np

import autograd_core as ag
import autograd_core.distributed as dist

mode = sys.argv[1]
# Killed ranks: a long timeout, so that what ends the survivors is the launcher, not the timeout.
dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=60 if mode.startswith("kill") else 2))
rank = dist.get_rank()


def kill_rank_1(grad=None):
    if rank == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return grad


if mode == "kill-in-training":
    import nn
    import optim
    from nn.parallel import DistributedDataParallel as DDP

    model = DDP(nn.Sequential(nn.Linear(10, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 3)),
                bucket_cap_mb=0.001)
    opt = optim.SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(rank)
    for step in range(5):
        if step == 2:
            model.module[0].weight.register_hook(kill_rank_1)  # the first layer's gradient comes last
        x, y = ag.tensor(rng.standard_normal((8, 10)).astype(np.float32)), ag.tensor(rng.integers(0, 3, 8))
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    print(f"rank {rank} finished training without rank 1", flush=True)
    sys.exit(0)

t = ag.ones(4)
dist.all_reduce(t)  # everyone healthy so far
if rank == 1:
    if mode == "raise":
        raise ValueError("rank one gives up")
    os.kill(os.getpid(), signal.SIGSTOP if mode == "hang" else signal.SIGKILL)
dist.all_reduce(t)
print(f"rank {rank} finished an all_reduce without rank 1", flush=True)
