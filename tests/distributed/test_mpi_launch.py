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


def test_a_killed_rank_ends_the_job_instead_of_hanging():
    # The launcher sees the death first: it ends every process and names the killed one's signal.
    code, out, _ = launch("failure.py", 2, "kill", timeout=60)
    assert code != 0
    assert "signal 9" in out or "Killed" in out, out
    assert "finished an all_reduce" not in out


def test_the_main_job_trains_data_parallel(tmp_path):
    pytest.importorskip("sklearn")
    out = assert_ok(2, "-m autograd_core.demo", "--out", str(tmp_path), "--epochs", "1", "--no-progress")
    assert out.count("test accuracy") == 1 and "on 2 ranks" in out, out  # rank 0 alone speaks
    assert (tmp_path / "training_curves.png").is_file()
