"""Real data: scikit-learn's bundled digits (no download), a fixed 25% split and seed.

An MLP must reach 95% test accuracy and a small CNN 97%. Each takes seconds (see
`pytest --durations`); speed is measured in benchmarks/, never asserted here.
"""

import pytest

import autograd_core as ag

pytest.importorskip("sklearn")
nn = pytest.importorskip("nn")
optim = pytest.importorskip("optim")

from autograd_core.data import DataLoader, TensorDataset  # noqa: E402
from autograd_core.demo import build_cnn, load_digits_split  # noqa: E402


def train_and_test(model, flatten: bool, epochs: int, lr: float):
    ag.manual_seed(0)
    (x_train, y_train), (x_test, y_test) = load_digits_split(seed=0, test_fraction=0.25)
    if flatten:
        x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    train = DataLoader(TensorDataset(ag.tensor(x_train), ag.tensor(y_train)), batch_size=32, shuffle=True)
    test = DataLoader(TensorDataset(ag.tensor(x_test), ag.tensor(y_test)), batch_size=512)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    history = optim.fit(model, nn.CrossEntropyLoss(), optimizer, train, val_loader=test,
                        epochs=epochs, progress=False, metrics=["accuracy"])
    return history.metrics["val_accuracy"][-1]


def test_mlp_reaches_95_percent_on_digits():
    ag.manual_seed(0)
    model = nn.MLP(64, [128, 64], 10)
    accuracy = train_and_test(model, flatten=True, epochs=20, lr=2e-3)
    assert accuracy >= 0.95, accuracy


def test_cnn_reaches_97_percent_on_digits():
    ag.manual_seed(0)
    model = build_cnn()
    accuracy = train_and_test(model, flatten=False, epochs=15, lr=3e-3)
    assert accuracy >= 0.97, accuracy
