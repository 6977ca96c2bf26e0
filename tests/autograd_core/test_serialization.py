"""Checkpoints: round trips, no code execution, clear errors, atomic saves."""

import os
import pickle
import zipfile

import numpy as np
import pytest

import autograd_core as ag
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
        zf.writestr("archive/data.pkl", b"\x80\x04N.")
    with pytest.raises(ag.CheckpointError, match="not an autograd-core checkpoint"):
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
