"""optim.fit and History on small synthetic problems."""

import sys

import numpy as np
import pytest

import autograd_core as ag
import optim
from autograd_core.data import DataLoader, TensorDataset

F = ag.functional


def regression(n=64, seed=0, sign=1.0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = sign * x @ np.array([[1.5], [-2.0], [0.5]], dtype=np.float32) + 0.3
    return TensorDataset(ag.tensor(x), ag.tensor(y.astype(np.float32)))


def blobs(n=80, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    x = rng.standard_normal((n, 2)) * 0.5 + np.where(labels[:, None] == 1, 2.0, -2.0)
    return TensorDataset(ag.tensor(x.astype(np.float32)), ag.tensor(labels))


def test_loss_decreases_and_history_has_one_entry_per_epoch(make_linear):
    ag.manual_seed(0)
    model = make_linear(3, 1)
    train = DataLoader(regression(), batch_size=16, shuffle=True)
    val = DataLoader(regression(32, seed=1), batch_size=16)
    history = optim.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.05), train, val,
                        epochs=8, progress=False)
    assert history.epochs == 8 and not history.stopped_early
    assert len(history.train_loss) == len(history.val_loss) == len(history.lr) == 8
    assert history.train_loss[-1] < 0.1 * history.train_loss[0]
    assert history.val_loss[-1] < 0.1 * history.val_loss[0]
    assert all(isinstance(v, float) for v in history.train_loss + history.val_loss)


def test_metrics_builtin_and_custom(make_linear):
    ag.manual_seed(0)
    model = make_linear(2, 2)
    train = DataLoader(blobs(), batch_size=16, shuffle=True)
    val = DataLoader(blobs(40, seed=1), batch_size=16)
    history = optim.fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=0.05), train, val,
                        epochs=5, progress=False,
                        metrics=["accuracy", {"error": lambda out, y: 1 - optim.accuracy(out, y)}])
    assert set(history.metrics) == {"train_accuracy", "val_accuracy", "train_error", "val_error"}
    assert all(len(v) == 5 for v in history.metrics.values())
    assert history.metrics["val_accuracy"][-1] > 0.95
    np.testing.assert_allclose(np.add(history.metrics["val_accuracy"], history.metrics["val_error"]), 1.0)
    with pytest.raises(ValueError, match="unknown metric"):
        optim.fit(model, F.cross_entropy, optim.SGD(model.parameters()), train, metrics=["f1"],
                  progress=False)


def test_binary_accuracy_uses_the_loss_to_pick_the_threshold(make_linear):
    ag.manual_seed(0)
    model = make_linear(2, 1)
    ds = blobs()
    x, labels = ds.tensors
    data = DataLoader(TensorDataset(x, ag.tensor(labels._data[:, None].astype(np.float32))), batch_size=20)
    history = optim.fit(model, F.binary_cross_entropy_with_logits, optim.Adam(model.parameters(), lr=0.1),
                        data, data, epochs=5, progress=False, metrics=["accuracy"])
    assert history.metrics["val_accuracy"][-1] > 0.95


def test_losses_are_weighted_by_batch_size(make_linear):
    ag.manual_seed(0)
    model = make_linear(3, 1)
    ds = regression(10)
    x, y = ds.tensors
    with ag.no_grad():
        full = F.mse_loss(model(x), y).item()
    history = optim.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.0),
                        DataLoader(ds, batch_size=4), DataLoader(ds, batch_size=3), progress=False)
    assert history.train_loss[0] == pytest.approx(full, rel=1e-6)
    assert history.val_loss[0] == pytest.approx(full, rel=1e-6)


def test_early_stopping_inside_fit_restores_best(make_linear):
    """The validation targets have the opposite sign: fitting the training set makes the
    validation loss rise after the first epochs."""
    ag.manual_seed(0)
    model = make_linear(3, 1)
    train = DataLoader(regression(), batch_size=16)
    val = DataLoader(regression(32, seed=1, sign=-1.0), batch_size=32)
    stopper = optim.EarlyStopping(patience=2)
    history = optim.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.05), train, val,
                        epochs=50, early_stopping=stopper, progress=False)
    assert history.stopped_early and history.epochs < 50
    assert history.epochs == stopper.best_epoch + 1 + 2
    assert stopper.best == min(history.val_loss) == history.val_loss[stopper.best_epoch]
    assert optim.evaluate(model, F.mse_loss, val)["loss"] == pytest.approx(stopper.best, rel=1e-6)


def test_scheduler_steps_once_per_epoch(make_linear):
    ag.manual_seed(0)
    model = make_linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    history = optim.fit(model, F.mse_loss, opt, DataLoader(regression(), batch_size=32), epochs=5,
                        scheduler=optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5), progress=False)
    assert history.lr == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


@pytest.mark.parametrize("with_val", [True, False])
def test_plateau_scheduler_gets_the_monitored_loss(make_linear, with_val):
    class Recording(optim.lr_scheduler.ReduceLROnPlateau):
        seen: list

        def step(self, metrics, epoch=None):
            self.seen.append(metrics)
            super().step(metrics, epoch)

    ag.manual_seed(0)
    model = make_linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.05)
    scheduler = Recording(opt)
    scheduler.seen = []
    data = DataLoader(regression(), batch_size=32)
    history = optim.fit(model, F.mse_loss, opt, data, data if with_val else None, epochs=3,
                        scheduler=scheduler, progress=False)
    assert scheduler.seen == (history.val_loss if with_val else history.train_loss)


def test_model_mode_restored(make_linear):
    model = make_linear(3, 1)
    model.eval()
    data = DataLoader(regression(), batch_size=32)
    optim.fit(model, F.mse_loss, optim.SGD(model.parameters()), data, data, progress=False)
    assert model.training is False


def test_progress_false_prints_nothing(make_linear, capsys):
    model = make_linear(3, 1)
    data = DataLoader(regression(), batch_size=16)
    optim.fit(model, F.mse_loss, optim.SGD(model.parameters()), data, data, epochs=2, progress=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_progress_bar_shows_running_loss(make_linear, capsys):
    pytest.importorskip("tqdm")
    model = make_linear(3, 1)
    data = DataLoader(regression(), batch_size=16)
    optim.fit(model, F.mse_loss, optim.SGD(model.parameters()), data, epochs=2)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "loss=" in err


def test_without_tqdm_there_is_no_bar(make_linear, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # `import tqdm` now raises ImportError
    model = make_linear(3, 1)
    history = optim.fit(model, F.mse_loss, optim.SGD(model.parameters()),
                        DataLoader(regression(), batch_size=16), epochs=2)
    assert history.epochs == 2 and capsys.readouterr().err == ""


def test_batches_must_have_a_target(make_linear):
    model = make_linear(3, 1)
    with pytest.raises(TypeError, match="inputs..., target"):
        optim.fit(model, F.mse_loss, optim.SGD(model.parameters()), [ag.ones(4, 3)], progress=False)


def test_history_plot(make_linear):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ag.manual_seed(0)
    model = make_linear(2, 2)
    data = DataLoader(blobs(), batch_size=20)
    history = optim.fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), data, data,
                        epochs=3, progress=False, metrics=["accuracy"])
    fig = history.plot()
    try:
        assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
        assert all(len(ax.lines) == 2 for ax in fig.axes)  # train and validation curves
    finally:
        plt.close(fig)


def test_history_plot_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        optim.History().plot()


def test_accuracy():
    assert optim.accuracy(ag.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), ag.tensor([0, 1, 1])) == 2 / 3
    one_hot = ag.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert optim.accuracy(ag.tensor([[0.9, 0.1], [0.8, 0.2]]), one_hot) == 0.5
    assert optim.accuracy(ag.tensor([[-2.0], [3.0], [0.5]]), ag.tensor([[0.0], [1.0], [0.0]])) == 2 / 3
    assert optim.accuracy(ag.tensor([0.2, 0.7, 0.6]), ag.tensor([0.0, 1.0, 0.0])) == 2 / 3  # probabilities
    assert optim.accuracy(ag.tensor([0.2, 0.7]), ag.tensor([1.0, 1.0]), threshold=0.0) == 1.0


def test_with_nn_modules():
    nn = pytest.importorskip("nn")
    if not all(hasattr(nn, name) for name in ("Sequential", "Linear", "ReLU", "CrossEntropyLoss")):
        pytest.skip("nn is not complete yet")
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    data = DataLoader(blobs(), batch_size=16, shuffle=True)
    history = optim.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), data, data,
                        epochs=5, progress=False, metrics=["accuracy"],
                        early_stopping=optim.EarlyStopping(patience=2))
    assert history.train_loss[-1] < history.train_loss[0]
    assert history.metrics["val_accuracy"][-1] > 0.9
