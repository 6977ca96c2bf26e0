"""What works in one process without MPI: the import, and clear errors before a group exists."""

import sys

import pytest

import autograd_core as ag
import autograd_core.distributed as dist


def test_import_does_not_start_mpi():
    assert "mpi4py.MPI" not in sys.modules or dist.is_initialized()
    assert not dist.is_initialized()
    assert isinstance(dist.is_available(), bool)


def test_without_mpi4py_init_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # `import mpi4py` now fails
    with pytest.raises(RuntimeError, match=r"autograd-core\[distributed\]"):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()


def test_arguments_checked_before_mpi_starts():
    with pytest.raises(ValueError, match="backend 'nccl'"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="init_method"):
        dist.init_process_group("mpi", init_method="tcp://10.0.0.1:23456")
    with pytest.raises(ValueError, match="timeout"):
        dist.init_process_group("mpi", timeout=-1)


def test_using_the_group_before_init_raises():
    for call in (dist.get_rank, dist.get_world_size, dist.barrier):
        with pytest.raises(ValueError, match="init_process_group"):
            call()
    with pytest.raises(ValueError, match="init_process_group"):
        dist.all_reduce(ag.ones(2))
