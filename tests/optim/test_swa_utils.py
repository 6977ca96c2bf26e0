"""AveragedModel (SWA and EMA averages, with and without buffers) and update_bn against
torch.optim.swa_utils, with weights copied between the two libraries."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from optim import swa_utils


def build(lib_nn):
    return lib_nn.Sequential(lib_nn.Linear(3, 4), lib_nn.BatchNorm1d(4), lib_nn.Linear(4, 2))


def load_into(torch, tmodel, model):
    tmodel.load_state_dict({k: torch.tensor(np.array(v._data)) for k, v in model.state_dict().items()})


def perturb(models, rng):
    """Apply the same weight change to every model (a fake training step), and a batch in train mode."""
    x = rng.standard_normal((6, 3))
    deltas = None
    for model, lib in models:
        params = list(model.parameters())
        if deltas is None:
            deltas = [rng.standard_normal(tuple(p.shape)) * 0.1 for p in params]
        for p, d in zip(params, deltas):
            if lib is ag:
                np.add(p._data, d, out=p._data, casting="unsafe")
            else:
                p.data.add_(lib.tensor(d, dtype=p.dtype))
        model.train()
        model(lib.tensor(x, dtype=lib.float32))


@pytest.mark.parametrize("mode", ["swa", "ema", "ema-multi", "swa-buffers"])
def test_averaged_model_matches_torch(mode):
    torch = pytest.importorskip("torch")
    import torch.optim.swa_utils as tswa

    def options(lib_swa):
        if mode == "ema":
            return dict(avg_fn=lib_swa.get_ema_avg_fn(0.9))
        if mode == "ema-multi":
            return dict(multi_avg_fn=lib_swa.get_ema_multi_avg_fn(0.8))
        if mode == "swa-buffers":
            return dict(use_buffers=True)
        return {}

    model, tmodel = build(nn), build(torch.nn)
    load_into(torch, tmodel, model)
    averaged = swa_utils.AveragedModel(model, **options(swa_utils))
    taveraged = tswa.AveragedModel(tmodel, **options(tswa))
    rng = np.random.default_rng(0)
    for _ in range(5):
        perturb([(model, ag), (tmodel, torch)], rng)
        averaged.update_parameters(model)
        taveraged.update_parameters(tmodel)
    ours, theirs = averaged.state_dict(), taveraged.state_dict()
    assert list(ours) == list(theirs)
    for key in ours:
        np.testing.assert_allclose(np.asarray(ours[key]._data, np.float64), theirs[key].double().numpy(),
                                   rtol=1e-5, atol=1e-6, err_msg=key)


def test_update_bn_matches_torch():
    torch = pytest.importorskip("torch")
    import torch.optim.swa_utils as tswa

    model, tmodel = build(nn), build(torch.nn)
    load_into(torch, tmodel, model)
    model.eval(), tmodel.eval()
    batches = [np.random.default_rng(i).standard_normal((5, 3)).astype(np.float32) for i in range(4)]
    swa_utils.update_bn([(ag.tensor(b), 0) for b in batches], model)
    tswa.update_bn([(torch.tensor(b), 0) for b in batches], tmodel)
    assert not model.training and model[1].momentum == 0.1
    for key, value in model.state_dict().items():
        np.testing.assert_allclose(np.asarray(value._data, np.float64), tmodel.state_dict()[key].double().numpy(),
                                   rtol=1e-5, atol=1e-6, err_msg=key)


def test_averaged_model_leaves_the_model_alone_and_forwards():
    model = nn.Linear(2, 1)
    before = model.weight._data.copy()
    averaged = swa_utils.AveragedModel(model)
    averaged.module.weight._data[...] = 0
    np.testing.assert_array_equal(model.weight._data, before)
    assert averaged(ag.ones(3, 2)).shape == (3, 1)
    with pytest.raises(ValueError, match="only one"):
        swa_utils.AveragedModel(model, avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    with pytest.raises(ValueError, match="decay"):
        swa_utils.get_ema_avg_fn(1.5)
