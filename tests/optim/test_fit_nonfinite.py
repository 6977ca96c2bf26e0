"""fit stops on a non-finite training loss, naming epoch and step and pointing at
ag.detect_anomaly(); check_finite=False trains on (issue 16, item 5). Also the wording of
detect_anomaly's forward error."""

import numpy as np
import pytest

import autograd_core as ag
import nn
import optim
from autograd_core.data import DataLoader, TensorDataset

F = ag.functional


def _data(bad_row=None):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)).astype(np.float32)
    if bad_row is not None:
        x[bad_row, 0] = np.nan
    return TensorDataset(ag.tensor(x), ag.tensor(y))


def test_fit_stops_on_a_nan_loss_naming_epoch_and_step():
    ag.manual_seed(0)
    model = nn.Linear(3, 1)
    before = [p._data.copy() for p in model.parameters()]
    loader = DataLoader(_data(bad_row=13), batch_size=8)  # row 13 is in the 2nd batch
    with pytest.raises(FloatingPointError, match=r"epoch 1/3, step 2.*ag\.detect_anomaly\(\)"):
        optim.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.01), loader, epochs=3, progress=False)
    after = [p._data for p in model.parameters()]
    assert all(np.isfinite(a).all() for a in after)  # the NaN step never reached the weights
    assert not all(np.array_equal(a, b) for a, b in zip(after, before))  # step 1 did


def test_fit_stops_on_divergence_in_a_later_epoch():
    ag.manual_seed(0)
    model = nn.Linear(3, 1)
    loader = DataLoader(_data(), batch_size=8)
    with pytest.raises(FloatingPointError, match=r"epoch \d+/50, step \d+") as info:
        optim.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=10.0), loader, epochs=50,
                  progress=False)
    assert "check_finite=False" in str(info.value)


def test_check_finite_false_trains_on():
    ag.manual_seed(0)
    model = nn.Linear(3, 1)
    loader = DataLoader(_data(bad_row=13), batch_size=8)
    history = optim.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.01), loader, epochs=2,
                        progress=False, check_finite=False)
    assert history.epochs == 2 and np.isnan(history.train_loss[-1])
    assert np.isnan(model.weight._data).all()


def test_finite_training_is_unchanged():
    ag.manual_seed(0)
    model = nn.Linear(3, 1)
    loader = DataLoader(_data(), batch_size=8)
    history = optim.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.05), loader, epochs=5,
                        progress=False)
    assert history.epochs == 5 and history.train_loss[-1] < 0.1 * history.train_loss[0]


def test_detect_anomaly_names_node_and_op_in_forward():
    layer = nn.Linear(2, 2)
    with ag.detect_anomaly():
        with pytest.raises(RuntimeError, match="LinearBackward0 produced NaN in the forward pass of linear"):
            layer(ag.tensor([[float("nan"), 1.0]]))
        x = ag.tensor([0.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="SqrtBackward0 produced inf in the backward pass of sqrt"):
            x.sqrt().sum().backward()
