"""The coverage report's logic (benchmarks/api_coverage.py) on small fake namespaces: no torch needed."""

from __future__ import annotations

import importlib.util
import os
import sys
import types

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def cov():
    spec = importlib.util.spec_from_file_location(
        "coverage_script", os.path.join(ROOT, "benchmarks", "api_coverage.py")
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules["coverage_script"] = mod  # dataclasses look their module up by name
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("coverage_script", None)


def _module(name: str, **attrs) -> types.ModuleType:
    m = types.ModuleType(name)
    for k, v in attrs.items():
        if isinstance(v, types.FunctionType):
            v.__module__ = name
        m.__dict__[k] = v
    return m


def _fn():
    return lambda *a, **k: None


def test_compare_counts_have_missing_and_left_out(cov):
    import math

    ref = _module(
        "fakeref",
        add=_fn(),
        mul=_fn(),
        einsum=_fn(),
        cudnn_convolution=_fn(),  # accelerator-specific: left out
        quantize_per_tensor=_fn(),  # quantization: left out
        TYPE_CHECKING=False,  # ALL_CAPS constant: not API
        sqrt=math.sqrt,  # defined outside the package: an import, not API
        _private=_fn(),
        pi=3.14159,
    )
    proj = _module("fakeproj", add=_fn(), mul=_fn(), pi=3.14159, extra=_fn())
    c = cov.compare(ref, proj, reference_name="fakeref", project_name="fakeproj", root_prefix="fakeref")
    assert c.have == ["add", "mul", "pi"]
    assert c.missing == ["einsum"]
    assert c.total == 4 and c.percent == pytest.approx(75.0)
    assert c.left_out == {
        "Accelerators other than CUDA/MPS queries": ["cudnn_convolution"],
        "Quantization": ["quantize_per_tensor"],
    }


def test_compare_with_project_namespace_missing(cov):
    ref = _module("fakeref", a=_fn(), b=_fn())
    c = cov.compare(ref, None, reference_name="fakeref", root_prefix="fakeref")
    assert c.have == [] and c.missing == ["a", "b"] and c.percent == 0.0


def test_reexports_of_the_parent_are_not_counted_twice(cov):
    top = _module("fakeref", Tensor=type("Tensor", (), {"__module__": "fakeref"}))
    sub = _module("fakeref.functional", relu=_fn(), Tensor=top.Tensor)
    names = cov.public_names(sub, root_prefix="fakeref", reexports_of=[top])
    assert names == ["relu"]


def test_class_dunders_count_only_when_defined_not_inherited_from_object(cov):
    class Ref:
        def __add__(self, o):
            return self

        def __eq__(self, o):
            return True

        def __hash__(self):
            return 0

        def view(self):
            return self

    class Proj:
        def __add__(self, o):
            return self

        def view(self):
            return self

    c = cov.compare(Ref, Proj, dunders=("__add__", "__eq__", "__hash__"))
    assert c.have == ["__add__", "view"]
    assert c.missing == ["__eq__", "__hash__"]  # Proj only inherits object's versions


def test_left_out_group_qualified_patterns(cov):
    assert cov.left_out_group("graph", "torch.utils.data.graph") == "DataPipes"
    assert cov.left_out_group("graph", "torch.fx.graph") is None
    assert cov.left_out_group("abs_", "torch.abs_") == "In-place functions at the top level"
    assert cov.left_out_group("abs_", "torch.Tensor.abs_") is None
    assert cov.left_out_group("index_copy") is None and cov.left_out_group("view_copy") is not None


USAGE = """# header

| name | programs | uses |
|---|---:|---:|
| `torch.cat` | 10 | 30 |
| `torch.einsum` | 5 | 7 |
| `Tensor/Module.view` | 8 | 20 |
| `Tensor/Module.append` | 4 | 9 |
| `torch.cuda.Event` | 3 | 3 |

## Keyword arguments

| call and keyword | programs | uses |
|---|---:|---:|
| `torch.cat|dim` | 6 | 12 |
| `.view|size` | 2 | 2 |
"""


def test_parse_usage(cov):
    names, keywords = cov.parse_usage(USAGE)
    assert [(r.name, r.programs, r.uses) for r in names][:2] == [
        ("torch.cat", 10, 30),
        ("torch.einsum", 5, 7),
    ]
    assert len(names) == 5
    assert [(r.name, r.keyword, r.programs) for r in keywords] == [
        ("torch.cat", "dim", 6),
        (".view", "size", 2),
    ]


def test_weighted_coverage(cov):
    def cat(tensors, dim=0):
        return tensors

    class RefTensor:
        def view(self, *shape):
            return self

    class ProjTensor:
        def view(self, *shape):
            return self

    project = {"autograd_core.cat": cat}
    receivers = [(RefTensor(), ProjTensor())]

    def status(row):
        return cov.usage_status(row, resolver=project.get, receivers=receivers)

    names, keywords = cov.parse_usage(USAGE)
    w = cov.weigh(names, status)
    # einsum missing; `.append` is not a PyTorch name; cuda.Event is left out on purpose.
    assert (w.rows, w.have_rows) == (3, 2)
    assert (w.programs, w.have_programs) == (23, 18)
    assert (w.uses, w.have_uses) == (57, 50)
    assert [r.name for r in w.missing] == ["torch.einsum"]
    assert w.excluded == {
        "not PyTorch": ["Tensor/Module.append"],
        "left out: Accelerators other than CUDA/MPS queries": ["torch.cuda.Event"],
    }
    kw = cov.weigh(keywords, status)
    # cat takes dim=; view(*shape) has no `size` keyword.
    assert (kw.rows, kw.have_rows) == (2, 1)
    assert [(r.name, r.keyword) for r in kw.missing] == [(".view", "size")]


def test_render_shows_before_and_after(cov):
    result = {
        "project_file": "x",
        "namespaces": [
            {
                "reference": "torch",
                "project": "autograd_core",
                "total": 4,
                "have": ["a", "b", "c"],
                "missing": ["d"],
                "left_out": {"Quantization": ["q"]},
            }
        ],
    }
    before = {
        "commit": "abc1234",
        "namespaces": [
            {
                "reference": "torch",
                "project": "autograd_core",
                "total": 4,
                "have": ["a"],
                "missing": ["b", "c", "d"],
                "left_out": {},
            }
        ],
    }
    text = cov.render(result, before)
    assert "| `torch` | `autograd_core` | 4 | 3 | 1 | 75.0% | 25.0% (1) |" in text
    assert "abc1234" in text and "`q`" in text and "**`torch`** (1): `d`" in text
