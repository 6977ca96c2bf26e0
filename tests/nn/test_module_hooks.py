"""Module hooks and the rest of Module's PyTorch surface, against torch.nn: hook order and
arguments, full backward hooks' gradients, names, state dicts, dtype moves, deep copies,
ParameterList and ParameterDict."""

import copy

import numpy as np
import pytest

import autograd_core as ag
import nn

torch = pytest.importorskip("torch")


class Two(object):
    """Builds the same small model in either library: two inputs, two outputs."""

    @staticmethod
    def build(lib_nn):
        class Block(lib_nn.Module):
            def __init__(self):
                super().__init__()
                self.a = lib_nn.Linear(3, 4)
                self.b = lib_nn.Linear(3, 4)

            def forward(self, x, y, scale=1.0):
                return self.a(x) * scale, self.b(y).tanh()

        return Block()


def copy_weights(ours, theirs):
    theirs.load_state_dict({k: torch.tensor(np.array(v._data)) for k, v in ours.state_dict().items()})


def plain(value):
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, ag.Tensor):
        return np.asarray(value._data, dtype=np.float64)
    if isinstance(value, torch.Tensor):
        return value.detach().double().numpy()
    return value


def assert_close(a, b):
    if isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_close(x, y)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_close(a[k], b[k])
    elif isinstance(a, np.ndarray):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    else:
        assert a == b


def record_hooks(model, log, lib):
    """Register every kind of hook; each appends what it saw to log."""
    handles = [
        model.register_forward_pre_hook(lambda m, args: log.append(("pre", plain(args)))),
        model.register_forward_pre_hook(lambda m, args, kwargs: log.append(("pre-kw", plain(args), sorted(kwargs))),
                                        with_kwargs=True),
        model.register_forward_pre_hook(lambda m, args: log.append(("pre-first",)), prepend=True),
        model.register_forward_hook(lambda m, args, out: log.append(("fwd", plain(out)))),
        model.register_forward_hook(lambda m, args, kwargs, out: log.append(("fwd-kw", sorted(kwargs))),
                                    with_kwargs=True),
        model.register_full_backward_pre_hook(lambda m, gout: log.append(("bwd-pre", plain(gout)))),
        model.register_full_backward_hook(lambda m, gin, gout: log.append(("bwd", plain(gin), plain(gout)))),
        model.a.register_forward_hook(lambda m, args, out: log.append(("child-fwd", plain(out)))),
        model.a.register_full_backward_hook(lambda m, gin, gout: log.append(("child-bwd", plain(gin), plain(gout)))),
    ]
    return handles


@pytest.mark.parametrize("y_requires_grad", [True, False])
def test_hook_order_and_arguments_match_torch(y_requires_grad):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal((2, 3)).astype(np.float32)
    logs = []
    ours_model = None  # built in the first iteration; torch's copies its weights
    for lib, lib_nn in ((ag, nn), (torch, torch.nn)):
        ag.manual_seed(0)
        model = Two.build(lib_nn)
        if lib is torch:
            copy_weights(ours_model, model)
        else:
            ours_model = model
        log = []
        handles = record_hooks(model, log, lib)
        xt = lib.tensor(x, requires_grad=True)
        yt = lib.tensor(y, requires_grad=y_requires_grad)
        out1, out2 = model(xt, yt, scale=2.0)
        (out1.sum() * 3 + (out2 * out2).sum()).backward()
        log.append(("x.grad", plain(xt.grad)))
        for h in handles:
            h.remove()
        model(xt, yt)  # removed hooks stay silent
        logs.append(log)
    ours, theirs = logs
    assert [entry[0] for entry in ours] == [entry[0] for entry in theirs]
    for a, b in zip(ours, theirs):
        assert_close(list(a), list(b))


def test_hooks_replace_inputs_outputs_and_gradients_as_torch():
    results = []
    for lib, lib_nn in ((ag, nn), (torch, torch.nn)):
        model = lib_nn.Linear(2, 2)
        with lib.no_grad() if lib is torch else ag.no_grad():
            model.weight.copy_(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
            model.bias.copy_(lib.tensor([0.5, -0.5]))
        model.register_forward_pre_hook(lambda m, args: args[0] * 2)  # not a tuple: wrapped
        model.register_forward_hook(lambda m, args, out: out + 1)
        model.register_full_backward_hook(lambda m, gin, gout: (gin[0] * 10,))
        x = lib.tensor([[1.0, -1.0]], requires_grad=True)
        out = model(x)
        out.sum().backward()
        results.append((plain(out), plain(x.grad), plain(model.weight.grad)))
    assert_close(list(results[0]), list(results[1]))


def test_forward_pre_hook_with_kwargs_replaces_both():
    model = Two.build(nn)
    model.register_forward_pre_hook(lambda m, args, kwargs: (args, {"scale": 0.0}), with_kwargs=True)
    out1, _ = model(ag.ones(1, 3), ag.ones(1, 3), scale=5.0)
    assert out1.tolist() == [[0.0] * 4]
    model.register_forward_pre_hook(lambda m, args, kwargs: "bad", with_kwargs=True)
    with pytest.raises(RuntimeError, match="tuple of"):
        model(ag.ones(1, 3), ag.ones(1, 3))


def test_always_call_forward_hook_sees_a_failing_forward():
    seen = []
    lin = nn.Linear(2, 2)
    lin.register_forward_hook(lambda m, args, out: seen.append(out), always_call=True)
    with pytest.raises(RuntimeError):  # a shape error (ShapeError is a RuntimeError)
        lin(ag.ones(3, 5))
    assert seen == [None]


def test_backward_hook_without_input_grads_reports_none_like_torch():
    results = []
    for lib, lib_nn in ((ag, nn), (torch, torch.nn)):
        seen = []
        model = lib_nn.Linear(2, 1)
        model.register_full_backward_hook(lambda m, gin, gout, seen=seen: seen.append((gin, gout[0].shape)))
        model(lib.ones(4, 2)).sum().backward()
        results.append([(gin, tuple(shape)) for gin, shape in seen])
    assert results[0] == results[1] == [((None,), (4, 1))]


def test_names_and_traversal_match_torch():
    def build(lib_nn):
        shared = lib_nn.Linear(2, 2)
        model = lib_nn.Sequential(shared, lib_nn.BatchNorm1d(2), lib_nn.Sequential(shared, lib_nn.ReLU()))
        return model

    ours, theirs = build(nn), build(torch.nn)
    for kwargs in (dict(), dict(prefix="root"), dict(remove_duplicate=False)):
        assert [n for n, _ in ours.named_modules(**kwargs)] == [n for n, _ in theirs.named_modules(**kwargs)]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_parameters(prefix="p")] == [n for n, _ in theirs.named_parameters(prefix="p")]
    assert list(ours.state_dict(prefix="m.")) == list(theirs.state_dict(prefix="m."))
    assert type(ours.get_submodule("2.1")).__name__ == "ReLU"
    assert ours.get_parameter("0.weight") is ours[0].weight
    assert ours.get_buffer("1.running_mean") is ours[1].running_mean
    with pytest.raises(AttributeError):
        ours.get_submodule("5")
    kept = ours.state_dict(keep_vars=True)
    assert kept["0.weight"] is ours[0].weight and ours.state_dict()["0.weight"] is not ours[0].weight


def test_load_state_dict_reports_like_torch():
    ours, theirs = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    good = {k: v.clone() for k, v in ours.state_dict().items()}
    assert repr(ours.load_state_dict(good)) == repr(theirs.load_state_dict(
        {k: torch.tensor(np.array(v._data)) for k, v in good.items()})) == "<All keys matched successfully>"
    partial = {"weight": good["weight"], "extra": good["bias"]}
    result = ours.load_state_dict(partial, strict=False)
    tresult = theirs.load_state_dict({"weight": torch.zeros(2, 2), "extra": torch.zeros(2)}, strict=False)
    assert result == tresult and result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert repr(result) == repr(tresult)
    with pytest.raises(RuntimeError, match="Missing key"):
        ours.load_state_dict(partial)


def test_zero_grad_requires_grad_and_dtypes():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    model(ag.randn(4, 2)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad._data.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.requires_grad_(False) is model and not any(p.requires_grad for p in model.parameters())
    model.requires_grad_()
    weight = model[0].weight
    assert model.half()[0].weight.dtype == np.float16 and model[0].weight is weight
    assert model[1].num_batches_tracked.dtype == np.int64  # integer buffers keep their dtype
    assert model.double()[1].running_mean.dtype == np.float64
    assert model.float()[0].weight.dtype == np.float32
    assert model.to(ag.float64)[0].bias.dtype == np.float64


def test_deepcopy_is_independent_and_keeps_types():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    model.register_forward_hook(lambda m, a, o: None)
    clone = copy.deepcopy(model)
    assert type(clone[0].weight) is type(model[0].weight) and clone[0].weight is not model[0].weight
    clone[0].weight._data[...] = 0
    assert model[0].weight._data.any()
    assert len(clone._forward_hooks) == 1
    np.testing.assert_array_equal(clone(ag.ones(2, 2))._data.shape, (2, 3))


def test_extra_repr_is_used_by_repr():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Identity()

        def extra_repr(self):
            return "factor=2"

    assert repr(Scaled()) == "Scaled(\n  factor=2\n  (inner): Identity()\n)"


def test_parameter_list_and_dict_match_torch_names():
    ours = nn.ParameterList([nn.Parameter(ag.ones(2)), ag.zeros(3, 2)])
    theirs = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2)), torch.zeros(3, 2)])
    ours.append(ag.ones(1))
    theirs.append(torch.ones(1))
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert isinstance(ours[1], nn.Parameter) and ours[-1].shape == (1,) and len(ours[1:]) == 2
    assert repr(ours).replace("float32", "torch.float32") == repr(theirs)

    d = nn.ParameterDict({"b": ag.ones(2), "a": nn.Parameter(ag.zeros(1))})
    td = torch.nn.ParameterDict({"b": torch.ones(2), "a": torch.nn.Parameter(torch.zeros(1))})
    d["c"], td["c"] = ag.ones(3), torch.ones(3)
    assert list(d) == list(td) and list(d.state_dict()) == list(td.state_dict())
    assert [n for n, _ in d.named_parameters()] == [n for n, _ in td.named_parameters()]
    assert d.pop("b").shape == (2,) and "b" not in d and list(d.keys()) == ["a", "c"]
    assert repr(d) == "ParameterDict(\n    (a): Parameter containing: [float32 of size 1]\n" \
                      "    (c): Parameter containing: [float32 of size 3]\n)"
    model = nn.Module()
    model.params = d
    assert [n for n, _ in model.named_parameters()] == ["params.a", "params.c"]
    assert copy.deepcopy(model).params["c"] is not d["c"]
