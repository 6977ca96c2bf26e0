"""The example scripts run end to end (a few steps of a tiny configuration)."""

from __future__ import annotations

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_char_gpt_trains_and_samples(capsys):
    char_gpt = _load("char_gpt")
    result = char_gpt.main(["--steps", "30", "--chars", "30000", "--d-model", "16", "--heads", "2",
                            "--layers", "1", "--batch-size", "8", "--context", "16", "--no-progress"])
    out = capsys.readouterr().out
    assert "sample after training" in out
    assert result["val_end"] < result["val_start"]


def test_char_gpt_parameter_count_formula():
    char_gpt = _load("char_gpt")
    import nn

    v, t, d, layers = 50, 32, 24, 3
    model = char_gpt.GPT(v, t, d, n_head=4, n_layer=layers)
    assert nn.utils.count_parameters(model) == v * d + t * d + 2 * d + layers * (12 * d * d + 13 * d)
