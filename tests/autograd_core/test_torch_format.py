"""Reading PyTorch .pt files with the restricted reader: files written here by the real
`torch.save`, compared value for value; crafted pickles that must be refused without running."""

import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import autograd_core as ag
import nn

try:
    import torch
except ImportError:  # the crafted-file tests below still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="writes its files with the real torch.save")


def _saved(obj, **kw):
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    buf.seek(0)
    return buf


def _same(ours, theirs):
    """Exact equality of a loaded structure with the torch object it came from."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ag.Tensor)
        assert isinstance(ours, nn.Parameter) == isinstance(theirs, torch.nn.Parameter)
        assert ours.requires_grad == theirs.requires_grad
        expected = theirs.detach().numpy()
        assert ours._data.dtype == expected.dtype and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours._data, expected)
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for k in theirs:
            _same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is (tuple if isinstance(theirs, torch.Size) else type(theirs))
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    else:
        assert type(ours) is type(theirs) and ours == theirs


def _net():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                                torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4 * 5 * 5, 3))
    model.train()
    model(torch.randn(2, 3, 5, 5))  # running stats and num_batches_tracked move
    model.eval()
    return model


def _ours():
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 5 * 5, 3))


@needs_torch
@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
def test_state_dict_of_conv_batchnorm_linear_loads_and_gives_torchs_outputs(legacy):
    model = _net()
    sd = model.state_dict()
    back = ag.load(_saved(sd, _use_new_zipfile_serialization=not legacy))
    _same(back, sd)
    assert back._metadata == sd._metadata  # per-module versions, as torch keeps them
    assert back["1.num_batches_tracked"].dtype == np.int64 and back["1.num_batches_tracked"].shape == ()
    ours = _ours()
    ours.load_state_dict(back)
    ours.eval()
    x = torch.randn(4, 3, 5, 5)
    np.testing.assert_allclose(ours(ag.tensor(x.numpy()))._data, model(x).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


@needs_torch
def test_dtypes_strides_shared_storages_and_edge_shapes():
    base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
    obj = {
        "half": torch.randn(3, 2).half(), "double": torch.randn(2, 2, dtype=torch.float64),
        "bool": torch.tensor([True, False, True]), "int32": torch.arange(5, dtype=torch.int32),
        "int16": torch.arange(3, dtype=torch.int16), "int8": -torch.arange(3, dtype=torch.int8),
        "uint8": torch.arange(250, 256, dtype=torch.uint8), "long": torch.tensor([2 ** 40, -1]),
        "complex": torch.tensor([1 + 2j, 3 - 1j]),
        "base": base, "transposed": base.t(), "column": base[:, 3], "strided": base[::2, 1::3],
        "narrow": base[1:3, 2:5], "scalar": torch.tensor(3.5), "scalar_view": base[2, 4],
        "empty": torch.empty(0, 3), "empty_slice": base[4:],
        "expanded": torch.tensor([1.0, 2.0]).expand(3, 2),
    }
    back = ag.load(_saved(obj))
    _same(back, obj)
    # Tensors that share a storage share memory after loading, as PyTorch's do.
    assert np.shares_memory(back["base"]._data, back["column"]._data)
    back["base"]._data[0, 3] = -1.0
    assert back["column"]._data[0] == -1.0
    assert back["transposed"]._data.flags.writeable and back["expanded"]._data.flags.writeable


@needs_torch
@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_training_checkpoint_with_optimizer_state_lists_and_numbers(protocol):
    model = _net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    model(torch.randn(2, 3, 5, 5)).sum().backward()
    opt.step()
    ckpt = {"epoch": 7, "model": model.state_dict(), "optimizer": opt.state_dict(),
            "losses": [0.5, 0.25, float("inf")], "best": None, "name": "net", "flags": (True, False),
            "shape": torch.Size([2, 3]), "big": 2 ** 70, "raw": b"\x00\x01"}
    back = ag.load(_saved(ckpt, pickle_protocol=protocol))
    _same(back, ckpt)
    assert back["optimizer"]["param_groups"][0]["lr"] == 1e-3
    assert back["optimizer"]["state"][0]["step"].shape == ()


@needs_torch
def test_a_tensor_saved_alone_and_parameters_and_requires_grad():
    t = torch.randn(3, 4)
    _same(ag.load(_saved(t)), t)
    p = torch.nn.Parameter(torch.randn(2))
    frozen = torch.nn.Parameter(torch.randn(2), requires_grad=False)
    leaf = torch.ones(2, requires_grad=True)
    back = ag.load(_saved([p, frozen, leaf, p]))
    _same(back, [p, frozen, leaf, p])
    assert back[0] is back[3]  # the pickle's memo keeps one object


@needs_torch
def test_numpy_values_dtype_device_and_ordered_dicts():
    obj = OrderedDict(arr=np.arange(6, dtype=np.int32).reshape(2, 3), f=np.arange(4.0).reshape(2, 2).T,
                      scalar=np.float64(0.125), text=np.array(["ab", "c"]), dtype=torch.float16,
                      device=torch.device("cpu"))
    back = ag.load(_saved(obj))
    assert type(back) is OrderedDict and list(back) == list(obj)
    for key in ("arr", "f", "text"):
        assert back[key].dtype == obj[key].dtype
        np.testing.assert_array_equal(back[key], obj[key])
    assert back["scalar"] == 0.125 and type(back["scalar"]) is np.float64
    assert back["dtype"] == np.float16 and back["device"] == ag.device("cpu")


@needs_torch
def test_map_location_forms_and_file_objects_at_an_offset(tmp_path):
    sd = {"w": torch.randn(2, 2)}
    path = tmp_path / "w.pt"
    torch.save(sd, path)
    for where in (None, "cpu", ag.device("cpu"), torch.device("cpu"), {"cuda:0": "cpu"},
                  lambda storage, loc: storage, lambda storage, loc: None):
        _same(ag.load(path, map_location=where), sd)
        _same(ag.load(str(path), map_location=where, weights_only=False, mmap=True), sd)
    for where in ("cuda", "cuda:0", torch.device("cuda"), {"cpu": "cuda:1"}, lambda s, loc: s.cuda()):
        with pytest.raises(RuntimeError, match="CPU only"):
            ag.load(path, map_location=where)
    buf = io.BytesIO(b"header" + path.read_bytes())
    buf.seek(6)
    _same(ag.load(buf), sd)
    with open(path, "rb") as f:
        _same(ag.load(f), sd)
        f.seek(0)
        with pytest.raises(ValueError, match="mmap"):
            ag.load(f, mmap=True)


@needs_torch
def test_a_whole_pickled_module_is_refused_with_what_to_save_instead():
    with pytest.raises(ag.CheckpointError, match=r"whole pickled torch\.nn\.modules\.linear\.Linear.*"
                                                 r"model\.state_dict\(\)"):
        ag.load(_saved(torch.nn.Linear(2, 2)))


@needs_torch
def test_bfloat16_is_refused_with_a_hint():
    with pytest.raises(ag.CheckpointError, match="bfloat16.*float"):
        ag.load(_saved({"w": torch.ones(2, dtype=torch.bfloat16)}))


# -- crafted files ------------------------------------------------------------------------------

MARKER = "/tmp/autograd_core_torch_format_pwned"


class _Touch:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


def _archive(pkl: bytes, storages=()) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", pkl)
        zf.writestr("archive/version", "3\n")
        for key, data in storages:
            zf.writestr(f"archive/data/{key}", data)
    buf.seek(0)
    return buf


def _rebuild_pickle(numel, size, stride, offset=0, storage="FloatStorage", key="0"):
    """A data.pkl as torch writes it for one tensor, with the sizes given."""
    def tup(xs):
        return b"(" + b"".join(b"J" + struct.pack("<i", x) for x in xs) + b"t"
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\n"
            + storage.encode() + b"\nX" + struct.pack("<I", len(key)) + key.encode()
            + b"X\x03\x00\x00\x00cpuJ" + struct.pack("<i", numel) + b"tQJ" + struct.pack("<i", offset)
            + tup(size) + tup(stride) + b"\x89ccollections\nOrderedDict\n)RtR.")


def test_the_crafted_rebuild_pickle_matches_torchs_format():
    # Guards the crafted cases below: the same bytes with honest sizes load.
    storage = np.arange(4, dtype=np.float32).tobytes()
    back = ag.load(_archive(_rebuild_pickle(4, (2, 2), (2, 1)), [("0", storage)]))
    np.testing.assert_array_equal(back._data, [[0, 1], [2, 3]])


def _crafted():
    ok_storage = [("0", bytes(16))]
    return {
        "os_system_in_zip": _archive(pickle.dumps({"w": _Touch()}, protocol=2)),
        "os_system_proto5": _archive(pickle.dumps([_Touch()], protocol=5)),
        "legacy_os_system": io.BytesIO(pickle.dumps(_Touch(), protocol=2)),
        "builtins_eval": _archive(b"\x80\x02c__builtin__\neval\nX\x0c\x00\x00\x00open('x','w')\x85R."),
        "stack_global_exec": _archive(b"\x80\x04\x8c\x08builtins\x8c\x04exec\x93\x8c\x01x\x85R."),
        "unknown_opcode": _archive(b"\x80\x02\xff."),
        "inst_opcode": _archive(b"\x80\x02(ibuiltins\nlist\n."),
        "huge_storage": _archive(_rebuild_pickle(2 ** 31 - 1, (2 ** 31 - 1,), (1,)), ok_storage),
        "storage_past_end": _archive(_rebuild_pickle(4, (3, 3), (3, 1)), ok_storage),
        "offset_past_end": _archive(_rebuild_pickle(4, (2,), (1,), offset=3), ok_storage),
        "negative_stride": _archive(_rebuild_pickle(4, (2,), (-1,), offset=1), ok_storage),
        "storage_retyped": _archive(b"\x80\x02(" + _rebuild_pickle(4, (4,), (1,))[2:-1]
                                    + _rebuild_pickle(2, (2,), (1,), storage="DoubleStorage")[2:-1] + b"l.",
                                    ok_storage),
        "missing_storage": _archive(_rebuild_pickle(4, (4,), (1,), key="9"), ok_storage),
        "unknown_storage_type": _archive(_rebuild_pickle(4, (4,), (1,), storage="QInt8Storage"), ok_storage),
        "huge_expansion": _archive(_rebuild_pickle(4, (2 ** 30, 4), (0, 1)), ok_storage),
        "fake_storage_tuple": _archive(
            b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((K\x01ctorch\nfloat64\ntK\x00(K\x08t(K\x01t\x89"
            b"ccollections\nOrderedDict\n)RtR."),
        "build_on_dict": _archive(b"\x80\x02}}b."),
        "setitem_on_tuple": _archive(b"\x80\x02)K\x01K\x02s."),
        "memo_before_put": _archive(b"\x80\x02h\x05."),
        "truncated_pickle": _archive(pickle.dumps({"a": [1, 2, 3]}, protocol=2)[:-5]),
        "numpy_object_array": _archive(pickle.dumps(np.array([None, 1], dtype=object), protocol=2)),
    }


@pytest.mark.parametrize("name", sorted(_crafted()))
def test_crafted_pickles_are_refused_without_running_anything(name):
    if os.path.exists(MARKER):
        os.unlink(MARKER)
    with pytest.raises(ag.CheckpointError):
        ag.load(_crafted()[name])
    assert not os.path.exists(MARKER)


def test_refusals_name_the_global_and_the_opcode():
    crafted = _crafted()
    with pytest.raises(ag.CheckpointError, match=r"global (posix|nt)\.system"):
        ag.load(crafted["os_system_in_zip"])
    with pytest.raises(ag.CheckpointError, match="opcode INST"):
        ag.load(crafted["inst_opcode"])
    with pytest.raises(ag.CheckpointError, match="reaches past its storage"):
        ag.load(crafted["storage_past_end"])
    with pytest.raises(ag.CheckpointError, match="declares 2147483647 elements"):
        ag.load(crafted["huge_storage"])


def test_the_payload_is_live_under_pickle_and_inert_under_ag_load():
    # Proves the crafted file is a real attack: plain pickle runs it; the restricted reader does not.
    if os.path.exists(MARKER):
        os.unlink(MARKER)
    crafted = _crafted()["os_system_in_zip"]
    with zipfile.ZipFile(crafted) as zf:
        payload = zf.read("archive/data.pkl")
    pickle.loads(payload)
    assert os.path.exists(MARKER)
    os.unlink(MARKER)
    crafted.seek(0)
    with pytest.raises(ag.CheckpointError):
        ag.load(crafted)
    assert not os.path.exists(MARKER)


class _Config:
    def __init__(self):
        self.lr = 0.1


@needs_torch
def test_safe_globals_are_accepted_but_never_make_the_reader_run_code():
    from autograd_core import serialization

    obj = {"w": torch.ones(2), "best": np.float64(0.5)}
    with serialization.safe_globals([np.dtype, np.ndarray]):
        assert serialization.get_safe_globals() == [np.dtype, np.ndarray]
        _same(ag.load(_saved(obj)), obj)
    assert serialization.get_safe_globals() == []
    with pytest.raises(ag.CheckpointError, match=r"global \S*_Config, which the restricted reader"):
        ag.load(_saved({"cfg": _Config()}))
    serialization.add_safe_globals([_Config])
    try:
        with pytest.raises(ag.CheckpointError, match=r"_Config: add_safe_globals lists it, but"):
            ag.load(_saved({"cfg": _Config()}))
    finally:
        serialization.clear_safe_globals()
