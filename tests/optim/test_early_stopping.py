"""EarlyStopping: when it stops, what it calls best, and restoring the best weights."""

import numpy as np
import pytest

import autograd_core as ag
import optim

FALL_THEN_RISE = [5.0, 4.0, 3.0, 2.0, 2.5, 2.6, 2.7, 2.8, 2.9]


def test_stops_after_patience_bad_epochs():
    stopper = optim.EarlyStopping(patience=3, restore_best=False)
    decisions = [stopper.step(loss) for loss in FALL_THEN_RISE[:7]]
    assert decisions == [False] * 6 + [True]  # epochs 4, 5, 6 are the three bad ones
    assert stopper.best == 2.0 and stopper.best_epoch == 3 and stopper.stopped


def test_restores_the_best_weights(make_linear):
    """Weights change in place each epoch; the validation loss is a function of them."""
    ag.manual_seed(0)
    model = make_linear(3, 1)
    x = ag.tensor(np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32))

    def val_loss():
        with ag.no_grad():
            return float((model(x) ** 2).mean().item())

    stopper = optim.EarlyStopping(patience=2)
    scales = [1.0, 0.5, 0.2, 0.6, 0.9]  # the loss falls, then rises
    losses = []
    for scale in scales:
        for p in model.parameters():
            p._data[...] = scale * (np.arange(p._data.size).reshape(p.shape) + 1)  # in place
        losses.append(val_loss())
        if stopper.step(losses[-1], model):
            break
    assert len(losses) == 5 and stopper.best_epoch == 2 and stopper.best == min(losses)
    assert val_loss() == stopper.best  # the model holds the weights of epoch 2 again
    for p in model.parameters():
        np.testing.assert_allclose(p._data, 0.2 * (np.arange(p._data.size).reshape(p.shape) + 1), rtol=1e-6)


def test_min_delta():
    stopper = optim.EarlyStopping(patience=3, min_delta=0.1, restore_best=False)
    # 0.95 and 0.92 are better, but not by more than min_delta: none of them count.
    assert [stopper.step(v) for v in [1.0, 0.95, 0.92, 0.91]] == [False, False, False, True]
    assert stopper.best == 1.0 and stopper.best_epoch == 0
    stopper = optim.EarlyStopping(patience=2, min_delta=0.1, restore_best=False)
    assert [stopper.step(v) for v in [1.0, 0.85, 0.8, 0.7, 0.65, 0.62]] == [False] * 5 + [True]
    assert stopper.best == 0.7 and stopper.best_epoch == 3


def test_mode_max():
    stopper = optim.EarlyStopping(patience=2, mode="max", restore_best=False)
    accuracies = [0.5, 0.7, 0.8, 0.8, 0.75]
    assert [stopper.step(a) for a in accuracies] == [False, False, False, False, True]
    assert stopper.best == 0.8 and stopper.best_epoch == 2


def test_counter_resets_on_improvement_and_nan_is_not_an_improvement():
    stopper = optim.EarlyStopping(patience=2, restore_best=False)
    assert [stopper.step(v) for v in [3.0, 4.0, 2.0, 5.0, float("nan")]] == [False, False, False, False, True]
    assert stopper.best == 2.0
    assert stopper.step(ag.tensor(1.0)) is False  # a one-element Tensor works as a metric


def test_validation_and_model_required():
    with pytest.raises(ValueError, match="patience"):
        optim.EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="min_delta"):
        optim.EarlyStopping(min_delta=-0.1)
    with pytest.raises(ValueError, match="mode"):
        optim.EarlyStopping(mode="lowest")
    with pytest.raises(ValueError, match="model"):
        optim.EarlyStopping().step(1.0)


def test_state_dict_round_trip(make_linear, roundtrip):
    ag.manual_seed(0)
    model = make_linear(2, 1)
    stopper = optim.EarlyStopping(patience=2)
    best_weight = None
    for epoch, loss in enumerate([3.0, 1.0, 2.0]):
        for p in model.parameters():
            p._data[...] = epoch
        if loss == 1.0:
            best_weight = model.state_dict()["weight"]._data.copy()
        stopper.step(loss, model)
    restored = optim.EarlyStopping(patience=2)
    restored.load_state_dict(roundtrip(stopper.state_dict()))
    assert (restored.best, restored.best_epoch, restored.num_bad_epochs) == (1.0, 1, 1)
    assert restored.step(2.5, model) is True
    np.testing.assert_array_equal(model.state_dict()["weight"]._data, best_weight)
    with pytest.raises(ValueError, match="unexpected keys"):
        restored.load_state_dict({"bogus": 1})
