"""PyTorch's type promotion, table-driven against PyTorch itself: result dtypes (or error
types) for {bool, uint8, int32, int64, float16, float32, float64} against tensors, 0-d
tensors and Python int/float/bool, under + - * / // % ** where maximum cat."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the promotion table is checked against PyTorch")
import autograd_core as ag  # noqa: E402

DTYPES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
OPS = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: a * b,
    "truediv": lambda lib, a, b: a / b,
    "floordiv": lambda lib, a, b: a // b,
    "mod": lambda lib, a, b: a % b,
    "pow": lambda lib, a, b: a ** b,
    "where": lambda lib, a, b: lib.where(lib.tensor([True, False]), a, b),
    "maximum": lambda lib, a, b: lib.maximum(a, b if isinstance(b, type(a)) else lib.tensor(b)),
    "cat": lambda lib, a, b: lib.cat([a, b if isinstance(b, type(a)) else lib.tensor([b])]),
}


def operand(lib, kind, dtype):
    if kind == "scalar":
        return {"bool": True, "int": 3, "float": 2.5}[dtype]
    values = np.array([1, 2]) if dtype != "bool" else np.array([True, False])
    t = lib.tensor(values, dtype=getattr(lib, dtype))
    return t[0] if kind == "0d" else t


def outcome(lib, op, a, b):
    try:
        out = OPS[op](lib, a, b)
    except Exception as exc:  # noqa: BLE001 - the error *type* is what we compare
        return type(exc).__name__
    return str(out.dtype).replace("torch.", "")


RIGHT = [("tensor", d) for d in DTYPES] + [("0d", d) for d in DTYPES] + [
    ("scalar", "bool"), ("scalar", "int"), ("scalar", "float")]


@pytest.mark.parametrize("op", list(OPS))
def test_result_dtypes_match_pytorch(op):
    mismatches = []
    for left in DTYPES:
        for kind, right in RIGHT:
            if op == "cat" and kind == "0d":
                continue  # cat takes tensors with dims
            got = outcome(ag, op, operand(ag, "tensor", left), operand(ag, kind, right))
            want = outcome(torch, op, operand(torch, "tensor", left), operand(torch, kind, right))
            if got != want and not (want.endswith("Error") and got.endswith("Error")):
                mismatches.append(f"{left} {op} {kind}:{right}: ours {got}, torch {want}")
    assert not mismatches, "\n".join(mismatches)


def test_float32_model_stays_float32_with_integer_exponents():
    x = ag.tensor([[0.5], [2.0]])
    features = x.pow(ag.tensor([1, 2, 3]))
    assert features.dtype == ag.float32
    assert (ag.tensor([1, 2]) / ag.tensor([2, 4])).dtype == ag.float32
