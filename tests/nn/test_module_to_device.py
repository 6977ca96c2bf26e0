"""Module.to with devices, as PyTorch takes them: a device object, a device string, a device
with a dtype, a tensor (its dtype); accelerators are refused. Same body for both libraries."""

import pytest


def test_to_device_object_and_string_keep_the_module(lib):
    lin = lib.nn.Linear(2, 3)
    device = lib.device("cpu")
    assert lin.to(device) is lin
    assert lin.to("cpu") is lin
    assert lin.to(device=device) is lin
    assert lin.weight.dtype == lib.float32


def test_to_device_and_dtype_converts(lib):
    lin = lib.nn.Linear(2, 3)
    lin.to(lib.device("cpu"), lib.float64)
    assert lin.weight.dtype == lib.float64 and lin.bias.dtype == lib.float64
    lin.to(device="cpu", dtype=lib.float32)
    assert lin.weight.dtype == lib.float32


def test_to_tensor_takes_its_dtype(lib):
    lin = lib.nn.Linear(2, 3)
    lin.to(lib.zeros(1, dtype=lib.float64))
    assert lin.weight.dtype == lib.float64
    with pytest.raises(TypeError):
        lin.to(lib.zeros(1, dtype=lib.int64))


def test_to_accelerator_is_refused():
    import autograd_core as ag

    lin = ag.nn.Linear(2, 3)
    with pytest.raises(RuntimeError, match="CPU"):
        lin.to("cuda")
    with pytest.raises(RuntimeError, match="CPU"):
        lin.to(device="mps")
