"""Module machinery: registration, traversal order, modes, state dicts, containers, repr."""

import copy
import pickle

import numpy as np
import pytest

import autograd_core as ag
import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(ag.ones(3))
        self.inner = nn.Linear(3, 2)
        self.register_buffer("steps", ag.zeros(1))
        self.register_buffer("cache", ag.zeros(2), persistent=False)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.inner(x * self.scale))


class Tied(nn.Module):
    """Two layers sharing one weight, and one submodule registered twice."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 3)
        self.b = nn.Linear(3, 3)
        self.b.weight = self.a.weight
        self.again = self.a


# -- Parameter -------------------------------------------------------------------------
def test_parameter_is_a_tensor_requiring_grad_with_torch_repr():
    p = nn.Parameter(ag.tensor([1.0, 2.0]))
    assert isinstance(p, ag.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert not nn.Parameter(ag.zeros(2), requires_grad=False).requires_grad
    assert type(p * 2) is ag.Tensor  # results of ops are plain Tensors


def test_parameter_shares_a_tensors_array_but_copies_other_data():
    t = ag.zeros(3)
    assert nn.Parameter(t)._data is t._data  # as torch.nn.Parameter(t)
    arr = np.zeros(3, dtype=np.float32)
    p = nn.Parameter(arr)
    p._data[0] = 5
    assert arr[0] == 0 and p.dtype == np.float32
    with pytest.raises(RuntimeError, match="floating"):
        nn.Parameter(ag.tensor([1, 2]))


def test_parameter_deepcopy_and_pickle_keep_the_class():
    p = nn.Parameter(ag.ones(2))
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(q) is nn.Parameter and q.requires_grad and q._data is not p._data


# -- registration ----------------------------------------------------------------------
def test_registration_order_and_names():
    m = Block()
    assert [n for n, _ in m.named_parameters()] == ["scale", "inner.weight", "inner.bias"]
    assert [n for n, _ in m.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in m.named_children()] == ["inner", "act"]
    assert [n for n, _ in m.named_modules()] == ["", "inner", "act"]
    assert [n for n, _ in m.named_parameters(prefix="block")][0] == "block.scale"
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["scale"]
    # "cache" is not persistent, so not in the state dict
    assert list(m.state_dict()) == ["scale", "steps", "inner.weight", "inner.bias"]


def test_shared_parameters_and_modules_appear_once():
    m = Tied()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["a.weight", "a.bias", "b.bias"]
    assert len(list(m.parameters())) == 3
    assert [n for n, _ in m.named_modules()] == ["", "a", "b"]
    assert len(list(m.children())) == 2
    assert nn.utils.count_parameters(m) == 9 + 3 + 3
    # state_dict lists every name, like PyTorch, and loads back
    assert list(m.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias", "again.weight", "again.bias"]
    m.load_state_dict(m.state_dict())


def test_assigning_none_and_wrong_types_to_registered_names():
    lin = nn.Linear(2, 2)
    lin.bias = None
    assert lin.bias is None and [n for n, _ in lin.named_parameters()] == ["weight"]
    assert lin(ag.ones(1, 2)).shape == (1, 2)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        lin.weight = ag.ones(2, 2)
    seq = nn.Sequential(nn.ReLU())
    seq.extra = nn.Tanh()
    with pytest.raises(TypeError, match="child module 'extra'"):
        seq.extra = 3
    seq.extra = None
    assert len(list(seq.children())) == 1
    bn = nn.BatchNorm1d(2)
    with pytest.raises(TypeError, match="buffer 'running_mean'"):
        bn.running_mean = np.zeros(2)
    bn.running_mean = ag.ones(2)
    assert "running_mean" in dict(bn.named_buffers())


def test_reassigning_a_name_moves_it_between_registries():
    m = nn.Module()
    m.x = nn.Linear(1, 1)
    m.x = nn.Parameter(ag.ones(1))  # a module name may become a parameter (as in PyTorch)
    assert "x" in m._parameters and "x" not in m._modules
    with pytest.raises(TypeError, match="parameter 'x'"):
        m.x = nn.Linear(1, 1)  # but a parameter name only takes a Parameter or None
    m.plain = 3
    m.plain = nn.Parameter(ag.ones(1))
    assert "plain" in m._parameters and "plain" not in m.__dict__


def test_assigning_before_super_init_is_a_clear_error():
    class Forgetful(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ag.ones(1))

    class ForgetfulModule(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call.*super\(\).__init__\(\)"):
        Forgetful()
    with pytest.raises(AttributeError, match="super"):
        ForgetfulModule()


def test_typo_raises_attribute_error_naming_class_and_attribute():
    lin = nn.Linear(2, 2)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'wieght'"):
        _ = lin.wieght
    assert not hasattr(lin, "bais")
    assert lin.bias is lin._parameters["bias"]


def test_register_buffer_and_parameter_validation():
    m = nn.Module()
    with pytest.raises(TypeError, match="Tensor or None"):
        m.register_buffer("b", np.zeros(2))
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", ag.zeros(1))
    with pytest.raises(TypeError, match="nn.Parameter or None"):
        m.register_parameter("p", ag.zeros(1))
    m.attr = 1
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("attr", ag.zeros(1))
    with pytest.raises(TypeError, match="not a Module"):
        m.add_module("x", 3)
    m.register_module("child", nn.ReLU())
    assert m.child is m.get_submodule("child")


def test_delattr_and_dir():
    m = Block()
    assert {"scale", "inner", "steps", "forward"} <= set(dir(m))
    del m.scale
    del m.inner
    del m.steps
    assert [n for n, _ in m.named_parameters()] == []
    with pytest.raises(AttributeError):
        _ = m.scale


def test_forward_missing_is_reported():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward"'):
        nn.Module()(1)


# -- modes and gradients -----------------------------------------------------------------
def test_train_eval_propagate_and_return_self():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.BatchNorm1d(2)))
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert model.train() is model and all(m.training for m in model.modules())
    model.train(False)
    assert not model[1][1].training
    with pytest.raises(ValueError, match="boolean"):
        model.train("yes")


def test_zero_grad_and_requires_grad():
    lin = nn.Linear(2, 1)
    lin(ag.ones(3, 2)).sum().backward()
    grad_array = lin.weight.grad._data
    lin.zero_grad(set_to_none=False)
    assert lin.weight.grad._data is grad_array and not grad_array.any()
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None
    lin.requires_grad_(False)
    assert nn.utils.count_parameters(lin) == 0


def test_apply_visits_children_first_then_self():
    seen = []
    model = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU()))
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_to_double_converts_in_place_keeping_identity_and_int_buffers():
    bn = nn.BatchNorm1d(2)
    w = bn.weight
    bn.double()
    assert bn.weight is w and w.dtype == np.float64 and bn.running_var.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64
    assert bn.float().weight.dtype == np.float32
    assert bn.to("cpu") is bn and bn.to(ag.float64).weight.dtype == np.float64
    with pytest.raises(TypeError, match="floating"):
        bn.to(ag.int64)


def test_deepcopy_gives_independent_weights():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    clone = copy.deepcopy(model)
    clone[0].weight._data[...] = 0
    assert model[0].weight._data.any()
    assert type(clone[0].weight) is nn.Parameter


# -- state dicts -------------------------------------------------------------------------
def test_state_dict_values_are_detached_and_share_arrays():
    lin = nn.Linear(2, 2)
    sd = lin.state_dict()
    assert not sd["weight"].requires_grad and type(sd["weight"]) is ag.Tensor
    assert sd["weight"]._data is lin.weight._data
    assert lin.state_dict(keep_vars=True)["weight"] is lin.weight


def test_load_state_dict_copies_in_place_from_tensors_or_arrays():
    src, dst = nn.Linear(3, 2), nn.Linear(3, 2)
    array = dst.weight._data
    result = dst.load_state_dict({k: v._data.astype(np.float64) for k, v in src.state_dict().items()})
    assert result == ([], []) and result.missing_keys == [] and result.unexpected_keys == []
    assert dst.weight._data is array and array.dtype == np.float32
    np.testing.assert_array_equal(array, src.weight._data)
    dst.load_state_dict(nn.Linear(3, 2).state_dict())  # Tensors work too


def test_load_state_dict_strict_reports_missing_and_unexpected():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    sd = dict(model.state_dict())
    del sd["0.bias"]
    sd["extra.weight"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(sd)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Sequential:")
    assert 'Missing key(s) in state_dict: "0.bias".' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight".' in msg
    assert msg.index("Missing") < msg.index("Unexpected")
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert missing == ["0.bias"] and unexpected == ["extra.weight"]


def test_load_state_dict_shape_mismatch_names_key_and_shapes_even_when_not_strict():
    lin = nn.Linear(3, 2)
    sd = {"weight": np.zeros((3, 2)), "bias": np.zeros(2)}
    for strict in (True, False):
        expected = (r"size mismatch for weight: copying a param with shape \(3, 2\) from checkpoint, "
                    r"the shape in current model is \(2, 3\)")
        with pytest.raises(RuntimeError, match=expected):
            lin.load_state_dict(sd, strict=strict)
    with pytest.raises(TypeError, match="mapping"):
        lin.load_state_dict([1, 2])


def test_state_dict_round_trips_through_ag_save(tmp_path):
    # Needs 0-d arrays (num_batches_tracked) to keep their shape in ag.save.
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    model(ag.randn(4, 3))
    ag.save(model.state_dict(), tmp_path / "model.agc")
    clone = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    assert clone.load_state_dict(ag.load(tmp_path / "model.agc")) == ([], [])
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(clone.state_dict()[key]._data, value._data)
    assert clone[1].num_batches_tracked.item() == 1


def test_state_dict_keys_and_shapes_match_torch():
    torch = pytest.importorskip("torch")
    pairs = [
        (nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4, 2)),
         torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                             torch.nn.Flatten(), torch.nn.Linear(4, 2))),
        (nn.ModuleDict({"emb": nn.Embedding(5, 3), "norm": nn.LayerNorm(3)}),
         torch.nn.ModuleDict({"emb": torch.nn.Embedding(5, 3), "norm": torch.nn.LayerNorm(3)})),
        (nn.ModuleList([nn.Linear(2, 2), nn.Conv1d(2, 2, 1)]),
         torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Conv1d(2, 2, 1)])),
    ]
    for ours, theirs in pairs:
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
        assert nn.utils.count_parameters(ours) == sum(p.numel() for p in theirs.parameters())
        ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})


# -- containers ------------------------------------------------------------------------
def test_sequential_indexing_slicing_and_editing():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    head = seq[:2]
    assert type(head) is nn.Sequential and list(head) == [a, b]
    assert seq(ag.ones(4, 2)).shape == (4, 1)
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    seq.append(nn.Sigmoid())
    assert list(seq._modules) == ["0", "1", "2", "3"]
    del seq[1]
    assert list(seq._modules) == ["0", "1", "2"] and seq[1] is c
    seq.insert(1, b)
    assert seq[1] is b and list(seq._modules) == ["0", "1", "2", "3"]
    seq[0] = nn.Identity()
    assert isinstance(seq[0], nn.Identity)
    from collections import OrderedDict

    named = nn.Sequential(OrderedDict([("fc", nn.Linear(1, 1)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.act is named[1]


def test_module_list():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    layers.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in layers] == ["Sigmoid", "Linear", "Linear", "Linear", "ReLU", "Tanh"]
    assert list(layers._modules) == [str(i) for i in range(6)]
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    assert isinstance(layers[-1], nn.Tanh)
    del layers[0]
    assert isinstance(layers[0], nn.Linear) and list(layers._modules) == [str(i) for i in range(5)]
    layers += [nn.ReLU()]
    assert len(layers) == 6
    with pytest.raises(TypeError, match="iterable"):
        layers.extend(nn.ReLU())


def test_module_dict():
    heads = nn.ModuleDict({"cls": nn.Linear(4, 3)})
    heads["reg"] = nn.Linear(4, 1)
    heads.update([("aux", nn.ReLU())])
    assert list(heads) == ["cls", "reg", "aux"] and list(heads.keys()) == ["cls", "reg", "aux"]
    assert "reg" in heads and len(heads) == 3 and heads["cls"] is heads.cls
    assert [n for n, _ in heads.named_parameters()] == ["cls.weight", "cls.bias", "reg.weight", "reg.bias"]
    assert isinstance(heads.pop("aux"), nn.ReLU) and len(heads) == 2
    del heads["reg"]
    assert list(heads.items())[0][0] == "cls" and len(list(heads.values())) == 1


# -- repr --------------------------------------------------------------------------------
def test_nested_repr_like_torch():
    inner = nn.Sequential(nn.Dropout(0.1), nn.Linear(8, 2, bias=False))
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), inner)
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.1, inplace=False)\n"
        "    (1): Linear(in_features=8, out_features=2, bias=False)\n"
        "  )\n"
        ")"
    )


def test_layer_reprs_match_torch():
    torch = pytest.importorskip("torch")
    pairs = [
        (nn.Linear(3, 2), torch.nn.Linear(3, 2)),
        (nn.BatchNorm1d(4), torch.nn.BatchNorm1d(4)),
        (nn.LayerNorm(4), torch.nn.LayerNorm(4)),
        (nn.Embedding(10, 3, padding_idx=0), torch.nn.Embedding(10, 3, padding_idx=0)),
        (nn.Conv2d(1, 2, 3, padding=1), torch.nn.Conv2d(1, 2, 3, padding=1)),
        (nn.RNN(3, 4, num_layers=2, batch_first=True), torch.nn.RNN(3, 4, num_layers=2, batch_first=True)),
        (nn.LSTM(3, 4, bidirectional=True), torch.nn.LSTM(3, 4, bidirectional=True)),
        (nn.GRUCell(3, 4), torch.nn.GRUCell(3, 4)),
        (nn.Flatten(), torch.nn.Flatten()),
        (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
        (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        (nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (nn.AvgPool2d(3, 2, 1), torch.nn.AvgPool2d(3, 2, 1)),
        (nn.Conv1d(1, 2, 3, padding="same"), torch.nn.Conv1d(1, 2, 3, padding="same")),
        (nn.RNNCell(3, 4, bias=False, nonlinearity="relu"),
         torch.nn.RNNCell(3, 4, bias=False, nonlinearity="relu")),
        (nn.BatchNorm2d(3, affine=False), torch.nn.BatchNorm2d(3, affine=False)),
        (nn.GELU(), torch.nn.GELU()),
        (nn.CrossEntropyLoss(label_smoothing=0.1), torch.nn.CrossEntropyLoss(label_smoothing=0.1)),
        (nn.Sequential(nn.Linear(1, 1), nn.Tanh()),
         torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Tanh())),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
