"""The distributed package and DDP, each test a real `mpiexec -n 2` (or 3) run of a script."""

import pytest
from mpi_launch import launch, needs_mpi

pytestmark = needs_mpi


def assert_ok(n, script, *args):
    code, out, _ = launch(script, n, *args)
    assert code == 0, out
    return out


@pytest.mark.parametrize("n", [2, 3])
def test_every_collective_matches_numpy(n):
    out = assert_ok(n, "collectives.py")
    assert all(f"rank {r}: collectives OK" in out for r in range(n))


def test_ddp_training_equals_one_process_on_the_concatenated_batch():
    out = assert_ok(2, "ddp_training.py")
    for what in ("mlp accumulate=1", "cnn accumulate=1", "mlp accumulate=4", "sampler epochs"):
        assert f"rank 1: {what} OK" in out, out


def test_ddp_with_an_uneven_number_of_ranks_and_a_padded_sampler():
    out = assert_ok(3, "ddp_training.py", "mlp", "no_sync", "sampler")  # 10 samples on 3 ranks
    assert "rank 2: mlp accumulate=4 OK" in out and "rank 2: sampler epochs OK" in out, out


def test_ddp_unused_parameters_buffers_and_differing_models():
    out = assert_ok(2, "ddp_features.py")
    assert "rank 1: ddp features OK" in out


def test_a_rank_that_raises_stops_the_others_naming_it():
    code, out, _ = launch("failure.py", 2, "raise")
    assert code != 0
    assert "ValueError: rank one gives up" in out
    assert "all_reduce: rank 1 failed" in out, out
    assert "finished an all_reduce" not in out


def test_a_hung_rank_makes_the_survivor_time_out_naming_it():
    code, out, _ = launch("failure.py", 2, "hang")
    assert code != 0
    assert "all_reduce timed out after 2 s on rank 0: rank(s) [1] did not answer" in out, out
    assert "finished an all_reduce" not in out


def test_a_killed_rank_makes_the_survivor_say_which_rank_died_and_where():
    # MPICH's mpiexec SIGKILLs the other ranks as soon as one dies, and its own notice names
    # only a PID (often a survivor's); each rank's watcher process names the rank that died.
    code, out, seconds = launch("failure.py", 2, "kill", timeout=60)
    assert code != 0
    assert "finished an all_reduce" not in out
    assert "all_reduce cannot complete on rank 0: rank 1 (pid" in out, out
    assert "rank 1 (pid" in out and "died outside any collective" in out, out
    assert seconds < 50, out  # the launcher ended it, not the collectives' 60 s timeout


@pytest.mark.parametrize("n", [2, 3])
def test_a_rank_killed_during_ddp_training_is_named_by_every_survivor(n):
    code, out, seconds = launch("failure.py", n, "kill-in-training", timeout=60)
    assert code != 0
    assert "finished training" not in out
    for survivor in [r for r in range(n) if r != 1]:
        said = [line for line in out.splitlines()
                if f"DistributedDataParallel gradient all-reduce cannot complete on rank {survivor}: " in line]
        assert len(said) == 1 and "rank 1 (pid" in said[0], out
    assert seconds < 50, out


def test_the_watchers_say_nothing_when_every_rank_finishes():
    out = assert_ok(2, "collectives.py")  # mpiexec waits for them too: they must end with their ranks
    assert "autograd_core.distributed: " not in out, out


def test_the_main_job_trains_data_parallel(tmp_path):
    pytest.importorskip("sklearn")
    out = assert_ok(2, "-m autograd_core.demo", "--out", str(tmp_path), "--epochs", "1", "--no-progress")
    assert out.count("test accuracy") == 1 and "on 2 ranks" in out, out  # rank 0 alone speaks
    assert (tmp_path / "training_curves.png").is_file()


@pytest.mark.parametrize("n", [2, 3])
def test_ranks_on_one_machine_share_its_cores(n):
    """Without thread settings, n ranks on this machine each take cores // n threads (at least
    one), so that the job does not oversubscribe the cores."""
    import os

    code, out, _ = launch("threads.py", n, one_thread=False)
    assert code == 0, out
    cores = len(os.sched_getaffinity(0))
    for r in range(n):
        assert f"rank {r}: threads {cores} -> {max(1, cores // n)} " in out, out
