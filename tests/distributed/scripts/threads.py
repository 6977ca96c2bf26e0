"""Each rank prints the thread count it got once init_process_group knew how many ranks share
this machine (run without thread environment variables)."""

import os

import autograd_core as ag
import autograd_core.distributed as dist

before = ag.get_num_threads()
dist.init_process_group("mpi")
print(f"rank {dist.get_rank()}: threads {before} -> {ag.get_num_threads()} "
      f"(cores {len(os.sched_getaffinity(0))}, local ranks {os.environ['LOCAL_WORLD_SIZE']})", flush=True)
dist.destroy_process_group()
