"""The watcher that names a killed rank, without MPI: a stand-in "rank" process starts it.

The stand-in plays rank 0 of 2; a sleeping process plays rank 1. The tests kill them in the
order a launcher would and read what the watcher wrote on the stand-in's stderr.
"""

import os
import pathlib
import signal
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

RANK = textwrap.dedent("""
    import sys, time
    from autograd_core.distributed.sentinel import Sentinel
    peer, how = int(sys.argv[1]), sys.argv[2]
    sentinel = Sentinel.start(rank=0, size=2, peers={1: peer})
    sentinel.note("all_reduce")
    if how == "finish":  # what destroy_process_group and the end of the program do
        sentinel.stop()
        print("watcher ended:", sentinel.process.poll() is not None, flush=True)
        sys.exit(0)
    print("watching", flush=True)
    time.sleep(60)
""")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and sessions")


def start(how: str) -> tuple[subprocess.Popen, subprocess.Popen]:
    peer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    rank = subprocess.Popen([sys.executable, "-c", RANK, str(peer.pid), how], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return rank, peer


def finish(rank: subprocess.Popen, peer: subprocess.Popen) -> str:
    try:
        # stderr reaches EOF only once the watcher, which holds it too, has ended.
        _, err = rank.communicate(timeout=30)
    finally:
        for p in (rank, peer):
            if p.poll() is None:
                p.kill()
            p.wait()
    return err


def test_a_rank_stopped_after_its_peer_died_names_the_peer_and_the_collective():
    rank, peer = start("wait")
    assert rank.stdout.readline() == "watching\n"
    peer.kill()
    peer.wait()
    rank.send_signal(signal.SIGKILL)  # what the launcher does to the survivors
    err = finish(rank, peer)
    assert f"all_reduce cannot complete on rank 0: rank 1 (pid {peer.pid}) died first" in err, err


def test_a_rank_killed_first_is_named_as_the_one_that_died():
    rank, peer = start("wait")
    assert rank.stdout.readline() == "watching\n"
    rank.send_signal(signal.SIGKILL)
    err = finish(rank, peer)
    assert f"rank 0 (pid {rank.pid}) died during all_reduce without a Python error" in err, err
    assert "killed by a signal" in err


def test_a_rank_that_finished_ends_its_watcher_silently():
    rank, peer = start("finish")
    assert rank.stdout.readline() == "watcher ended: True\n"
    err = finish(rank, peer)
    assert rank.returncode == 0
    assert "autograd_core.distributed" not in err, err
