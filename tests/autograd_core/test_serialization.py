"""Checkpoints: round trips, no code execution, clear errors, atomic saves."""

import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import autograd_core as ag
import nn
import optim
from autograd_core import serialization


def checkpoint():
    return {
        "model": {"0.weight": ag.randn(3, 2, requires_grad=True), "0.bias": ag.zeros(3)},
        "optimizer": {
            "state": {0: {"step": 5, "exp_avg": np.arange(6.0).reshape(3, 2)}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "nesterov": False}],
        },
        "scheduler": {"last_epoch": 7, "best": float("inf"), "note": None},
        "ints": np.arange(4, dtype=np.int64),
        "scalar": np.float32(2.5),
        "empty": [],
        "count": np.array(3, dtype=np.int64),  # 0-d, like BatchNorm's num_batches_tracked
    }


def test_round_trip(tmp_path):
    obj = checkpoint()
    ag.save(obj, tmp_path / "ckpt.agc")
    back = ag.load(tmp_path / "ckpt.agc")
    assert isinstance(back["model"]["0.weight"], ag.Tensor)
    np.testing.assert_array_equal(back["model"]["0.weight"]._data, obj["model"]["0.weight"]._data)
    assert back["model"]["0.weight"].requires_grad and not back["model"]["0.bias"].requires_grad
    state = back["optimizer"]["state"][0]  # int keys stay ints
    assert state["step"] == 5 and isinstance(state["exp_avg"], np.ndarray)
    np.testing.assert_array_equal(state["exp_avg"], obj["optimizer"]["state"][0]["exp_avg"])
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert back["scheduler"] == {"last_epoch": 7, "best": float("inf"), "note": None}
    assert back["ints"].dtype == np.int64 and back["scalar"] == 2.5 and back["empty"] == []
    assert back["count"].shape == () and back["count"] == 3


def test_unsupported_objects_are_refused_and_nothing_written(tmp_path):
    with pytest.raises(TypeError, match=r"cannot store set at root\['bad'\]"):
        ag.save({"bad": {1, 2}}, tmp_path / "x.agc")
    assert list(tmp_path.iterdir()) == []


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("touch /tmp/autograd_core_pwned",))


def test_pickle_crafted_to_run_code_is_refused(tmp_path):
    marker = "/tmp/autograd_core_pwned"
    if os.path.exists(marker):
        os.unlink(marker)
    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"w": _RunsCode()}))
    with pytest.raises(ag.CheckpointError, match="evil.pt"):
        ag.load(evil)
    # The same pickle hidden inside a zip that claims to be a checkpoint's array.
    sneaky = tmp_path / "sneaky.agc"
    with zipfile.ZipFile(sneaky, "w") as zf:
        zf.writestr("autograd_core.json", '{"format": "autograd-core-checkpoint", "version": 1, '
                                          '"root": {"__array__": 0}}')
        arr = np.empty(1, dtype=object)
        arr[0] = _RunsCode()
        import io
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=True)
        zf.writestr("arrays/0.npy", buf.getvalue())
    with pytest.raises(ag.CheckpointError, match="sneaky.agc"):
        ag.load(sneaky)
    assert not os.path.exists(marker)


def test_truncated_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "ckpt.agc"
    ag.save(checkpoint(), path)
    data = path.read_bytes()
    for cut in (len(data) // 3, len(data) - 10, 5):
        path.write_bytes(data[:cut])
        with pytest.raises(ag.CheckpointError, match="ckpt.agc"):
            ag.load(path)


def test_foreign_zip_and_text_files(tmp_path):
    other = tmp_path / "model.pt"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("archive/notes.txt", b"not a checkpoint")
    with pytest.raises(ag.CheckpointError, match="neither an autograd-core checkpoint nor a PyTorch"):
        ag.load(other)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ag.CheckpointError, match="notes.txt"):
        ag.load(text)
    with pytest.raises(FileNotFoundError, match="missing.agc"):
        ag.load(tmp_path / "missing.agc")


def test_interrupted_save_leaves_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.agc"
    ag.save({"w": ag.ones(3)}, path)
    before = path.read_bytes()

    calls = {"n": 0}
    real_save = np.save

    def dies_midway(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # after the first array has been written
            raise KeyboardInterrupt
        return real_save(*args, **kwargs)

    monkeypatch.setattr(serialization.np, "save", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        ag.save({"a": ag.zeros(2), "b": ag.zeros(2), "c": ag.zeros(2)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    np.testing.assert_array_equal(ag.load(path)["w"]._data, np.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.agc"]  # no temporary left behind


def test_file_objects_round_trip_from_their_current_position():
    buf = io.BytesIO()
    buf.write(b"prefix")
    ag.save({"w": ag.arange(3.0)}, buf)
    end = buf.tell()
    ag.save([1, "two"], buf)  # a second checkpoint after the first, as torch.save allows
    buf.seek(6)
    np.testing.assert_array_equal(ag.load(io.BytesIO(buf.getvalue()[6:end]))["w"]._data, [0.0, 1.0, 2.0])
    buf.seek(end)
    assert ag.load(buf) == [1, "two"]
    with pytest.raises(TypeError, match="text mode"):
        ag.save({}, io.StringIO())
    with pytest.raises(TypeError, match="path or a binary file object"):
        ag.save({}, 3)


def test_a_file_opened_by_the_caller(tmp_path):
    with open(tmp_path / "ckpt.pt", "wb") as f:
        ag.save({"step": 1}, f)
    with open(tmp_path / "ckpt.pt", "rb") as f:
        assert ag.load(f, map_location="cpu", weights_only=True) == {"step": 1}


def test_map_location_as_pytorch_accepts_it_on_the_cpu(tmp_path):
    path = tmp_path / "ckpt.agc"
    ag.save({"w": ag.ones(2, 2)}, path)
    for where in (None, "cpu", "cpu:0", ag.device("cpu"), {"cuda:0": "cpu"}, lambda s, loc: s,
                  lambda s, loc: s.cpu()):
        np.testing.assert_array_equal(ag.load(path, map_location=where)["w"]._data, np.ones((2, 2)))
    for where in ("cuda", "cuda:1", "mps", {"cpu": "cuda"}, lambda s, loc: s.cuda()):
        with pytest.raises(RuntimeError, match="computes on the CPU only"):
            ag.load(path, map_location=where)
    with pytest.raises(ag.CheckpointError, match="map_location returned"):
        ag.load(path, map_location=lambda s, loc: s.reshape(4))
    with pytest.raises(TypeError, match="map_location must be"):
        ag.load(path, map_location=3.5)
    assert ag.load(path, weights_only=False, mmap=True, encoding="latin1")["w"].shape == (2, 2)
    assert ag.load(path, "cpu", pickle).keys() == {"w"}  # PyTorch's positional order
    with pytest.raises(TypeError, match="unexpected keyword"):
        ag.load(path, pickle_file=pickle)
    ag.save({"w": ag.ones(1)}, path, pickle, 4)


def test_whole_modules_and_optimizers_are_refused_with_what_to_save(tmp_path):
    model = nn.Linear(2, 1)
    with pytest.raises(TypeError, match=r"whole Linear module.*model\.state_dict\(\)"):
        ag.save(model, tmp_path / "m.pt")
    with pytest.raises(TypeError, match=r"root\['opt'\] is a SGD optimizer; save optimizer\.state_dict\(\)"):
        ag.save({"opt": optim.SGD(model.parameters(), lr=0.1)}, tmp_path / "m.pt")
    scheduler = optim.lr_scheduler.StepLR(optim.SGD(model.parameters(), lr=0.1), 1)
    with pytest.raises(TypeError, match="cannot store StepLR at root; save its .state_dict"):
        ag.save(scheduler, tmp_path / "m.pt")
    with pytest.raises(TypeError, match="cannot store object at root"):
        ag.save(object(), io.BytesIO())
    assert list(tmp_path.iterdir()) == []


def test_state_dicts_keep_order_types_and_shared_tensors():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    sd = model.state_dict()
    shared = ag.randn(2)
    obj = {"model": sd, "pair": (shared, shared), "size": ag.zeros(2, 3).shape,
           "param": nn.Parameter(ag.ones(2)), "frozen": nn.Parameter(ag.ones(2), requires_grad=False),
           "grad_leaf": ag.ones(2, requires_grad=True)}
    buf = io.BytesIO()
    ag.save(obj, buf)
    buf.seek(0)
    back = ag.load(buf)
    assert type(back["model"]) is OrderedDict and list(back["model"]) == list(sd)
    for k, v in sd.items():
        assert type(back["model"][k]) is ag.Tensor and not back["model"][k].requires_grad
        assert back["model"][k].dtype == v.dtype and back["model"][k].shape == v.shape
        np.testing.assert_array_equal(back["model"][k]._data, v._data)
    assert back["model"]["1.num_batches_tracked"].dtype == np.int64
    assert back["pair"][0] is back["pair"][1] and back["size"] == (2, 3)
    assert isinstance(back["param"], nn.Parameter) and back["param"].requires_grad
    assert isinstance(back["frozen"], nn.Parameter) and not back["frozen"].requires_grad
    assert type(back["grad_leaf"]) is ag.Tensor and back["grad_leaf"].requires_grad
    fresh = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    fresh.load_state_dict(back["model"])
    x = ag.randn(4, 3)
    np.testing.assert_array_equal(fresh(x)._data, model(x)._data)
