"""How much of PyTorch's public API this project offers under the renamed namespaces.

For each PyTorch namespace below, the script lists the public names of the real `torch`
(installed next to the project) and checks which of them the project has at the same
place with `torch` renamed to `autograd_core`:

    torch                      -> autograd_core
    torch.nn                   -> autograd_core.nn
    torch.nn.functional        -> autograd_core.nn.functional
    torch.optim                -> autograd_core.optim
    torch.optim.lr_scheduler   -> autograd_core.optim.lr_scheduler
    torch.utils.data           -> autograd_core.utils.data
    torch.Tensor               -> autograd_core.Tensor (methods, properties, operators)

It then weights the same question by what real programs use: `shared/torch-usage.md`
ranks the names 585 PyTorch programs call, with how many programs use each and how often.

Which names count ("public"), stated once so the figures can be reproduced:
- a name not starting with `_`; for `Tensor` also the operator dunders in `TENSOR_DUNDERS`;
- not a module or object that PyTorch imports from elsewhere (stdlib, `typing`), not an
  ALL_CAPS constant, and in a sub-namespace not a re-export of an object of `torch` itself
  or of the parent namespace (`torch.nn.functional.Tensor` is `torch.Tensor`);
- not in one of the `LEFT_OUT` groups: each is a family the project leaves out on purpose,
  with the reason next to it (CPU-only contract, no quantization, no sparse layouts, ...).
  They are listed, not counted.

    python benchmarks/api_coverage.py                      # tables on stdout
    python benchmarks/api_coverage.py --write              # also benchmarks/COVERAGE.md
    python benchmarks/api_coverage.py --json before.json   # the summary as JSON
    python benchmarks/api_coverage.py --write --before before.json   # put a "before" column in

To measure another tree (e.g. an older commit checked out elsewhere), run with
`PYTHONPATH=<that tree>`: the script imports whatever `autograd_core` is first on the path.
The "before" figures in COVERAGE.md were made this way from commit 96148c3 (the tree before
the PyTorch-namespace work); its summary is kept in `benchmarks/coverage_before_96148c3.json`:

    mkdir /tmp/before && git archive 96148c3 | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before python benchmarks/api_coverage.py --commit 96148c3 \
        --json benchmarks/coverage_before_96148c3.json
    python benchmarks/api_coverage.py --write --before benchmarks/coverage_before_96148c3.json
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# The usage ranking lives in the workspace's `shared/` folder, next to (or above) the checkout.
USAGE_FILE = next(
    (
        p
        for p in (
            os.path.join(ROOT, "shared", "torch-usage.md"),
            os.path.join(ROOT, "..", "shared", "torch-usage.md"),
            os.path.join(ROOT, "..", "..", "shared", "torch-usage.md"),
        )
        if os.path.exists(p)
    ),
    os.path.join(ROOT, "shared", "torch-usage.md"),
)

# (PyTorch namespace, project namespaces to try in order). The first project name is the
# contract; the others are where an older tree kept the same objects (the top-level `nn`
# and `optim` packages, `autograd_core.functional`, `autograd_core.data`), so that a
# "before" measurement of such a tree is not zero merely because a re-export was missing.
NAMESPACES: list[tuple[str, list[str]]] = [
    ("torch", ["autograd_core"]),
    ("torch.nn", ["autograd_core.nn", "nn"]),
    ("torch.nn.functional", ["autograd_core.nn.functional", "nn.functional", "autograd_core.functional"]),
    ("torch.optim", ["autograd_core.optim", "optim"]),
    ("torch.optim.lr_scheduler", ["autograd_core.optim.lr_scheduler", "optim.lr_scheduler"]),
    ("torch.utils.data", ["autograd_core.utils.data", "autograd_core.data"]),
]

# Operators and protocol methods of Tensor that user code reaches through syntax.
TENSOR_DUNDERS: tuple[str, ...] = tuple(
    f"__{n}__"
    for n in (
        "add radd iadd sub rsub isub mul rmul imul truediv rtruediv itruediv floordiv rfloordiv ifloordiv "
        "mod rmod imod pow rpow ipow matmul rmatmul imatmul neg pos abs invert "
        "and rand iand or ror ior xor rxor ixor lshift rlshift ilshift rshift rrshift irshift "
        "eq ne lt le gt ge getitem setitem len iter contains bool float int index complex "
        "array array_wrap hash reversed format repr deepcopy reduce_ex"
    ).split()
)

# Families left out on purpose: (group, reason, regex matched against the bare name).
LEFT_OUT: list[tuple[str, str, str]] = [
    (
        "Accelerators other than CUDA/MPS queries",
        "CPU only by contract: no streams, events or vendor-library kernels (cuDNN, MIOpen, oneDNN, "
        "FBGEMM, NNPACK, XNNPACK, Vulkan) nor XPU/MTIA/IPU/HPU/MAIA devices; the `cuda`/`mps` "
        "query names stay in scope because CPU-only PyTorch answers them",
        r"^(cudnn|miopen|mkldnn|fbgemm|nnpack|xnnpack|vulkan)|_(cudnn|miopen|mkldnn|vulkan)$|"
        r"(Stream|Event)(Context)?$|^(stream|xpu|mtia|ipu|hpu|maia|is_xpu|is_mtia|is_ipu|is_hpu|"
        r"is_maia|is_vulkan|is_mkldnn|to_mkldnn|record_stream|cuda_graph|windows)$",
    ),
    (
        "Quantization",
        "int8 inference tooling (observers, fake-quant, quantized dtypes and kernels) is outside a "
        "training-oriented autodiff engine",
        r"(?i)quantiz|^q_|^(qint|quint)|qscheme|^per_(tensor|channel)|^int_repr$|fake_quant|"
        r"^(ao|qat|intrinsic)$|^(is_quantized|dequantize)$",
    ),
    (
        "Sparse layouts",
        "only strided (dense) tensors exist here; COO/CSR/CSC/BSR/BSC storage and its ops are left out",
        r"(?i)sparse|^(coo|csr|csc|bsr|bsc)_|_(coo|csr|csc|bsr|bsc)$|coalesce|^(indices|values|"
        r"crow_indices|col_indices|ccol_indices|row_indices|dense_dim|to_dense|smm|sspaddmm|hspmm|"
        r"saddmm|spmm)$",
    ),
    (
        "TorchScript, fx, export and compiler internals",
        "graph capture and serialisation of programs (TorchScript, fx, export, ONNX, custom-op "
        "registration, symbolic shapes) belongs to PyTorch's compiler stack; `torch.compile` itself "
        "stays in scope",
        r"^(jit|fx|onnx|export|compiler|package|library|ops|classes|cpp|script|trace|"
        r"is_scripting|ScriptModule|ScriptFunction|BroadcastingList\d|boolean_dispatch|"
        r"assert_int_or_pair|Future|futures|wait|fork|cond|while_loop|vmap_impl|"
        r"sym_\w+|Sym\w+|unravel_index_impl|register_decomposition|guard_\w+)$",
    ),
    (
        "Named tensors",
        "a prototype PyTorch feature with little use; tensors here have positional dims only",
        r"^(names|rename|rename_|refine_names|align_to|align_as|has_names)$",
    ),
    (
        "Complex numbers",
        "float and integer dtypes only; ops that exist only for complex tensors are left out",
        r"(?i)complex|^(real|imag|conj|conj_physical|conj_physical_|resolve_conj|resolve_neg|"
        r"is_conj|is_neg|view_as_real|view_as_complex|polar|cfloat|cdouble|chalf)$",
    ),
    (
        "Storage and memory-sharing internals",
        "the raw storage objects, pointers and DLPack exchange expose PyTorch's C++ memory model",
        r"[Ss]torage|^(data_ptr|set_|is_pinned|share_memory_|is_shared|dlpack|from_dlpack|"
        r"to_dlpack|__dlpack__|__dlpack_device__)$",
    ),
    (
        "Legacy typed tensor classes",
        "`torch.FloatTensor`-style constructors are deprecated in PyTorch in favour of "
        "`torch.tensor(..., dtype=)`",
        r"^(Byte|Char|Short|Int|Long|Half|Float|Double|BFloat16|Bool)Tensor$",
    ),
    (
        "Sub-byte and float8 dtypes",
        "hardware storage formats with no CPU arithmetic in NumPy",
        r"^(float8_\w+|float4_\w+|bits\w+|u?int[1-7])$",
    ),
    (
        "Functionalization copies and backward kernels",
        "`*_copy` view variants and `*_backward` entry points are what PyTorch's compiler lowers "
        "to; user code calls the view op and `backward()`",
        r"(?<!index)_copy$|_backward(_\w+)?$|^native_\w+$",
    ),
    (
        "Implementation and tooling modules",
        "modules that only hold the implementation of names re-exported one level up "
        "(torch.functional, torch.serialization, torch.utils.data.dataloader, ...), notes kept as "
        "strings, or tooling with no place here (hub downloads, profiler, monitor)",
        r"^torch\.(functional|storage|types|torch_version|return_types|serialization|overrides|monitor|"
        r"hub|profiler)$|^torch\.utils\.data\.(dataloader|dataset|sampler|distributed)$|"
        r"^torch\.nn\.(common_types|factory_kwargs)$|^torch\.nn\.functional\.\w+_notes$",
    ),
    (
        "DataPipes",
        "deprecated in PyTorch (moved out to torchdata and then dropped); DataLoader over Dataset/"
        "IterableDataset is the supported path",
        r"^torch\.utils\.data\.(DFIterDataPipe|IterDataPipe|MapDataPipe|DataChunk|datapipes|"
        r"functional_datapipe|guaranteed_datapipes_determinism|non_deterministic|runtime_validation|"
        r"runtime_validation_disabled|argument_validation|graph|graph_settings)$",
    ),
    (
        "ATen internals exposed at the top level",
        "undocumented entry points that PyTorch's own modules and functionals call (RNN cells, "
        "batch-norm statistics, autocast switches, the __torch_function__ protocol, build helpers); "
        "user code calls the documented nn/F names",
        r"^(batch_norm_(elemt|gather_stats\w*|stats|update_stats)|rnn_(relu|tanh)(_cell)?|"
        r"gru(_cell)?|lstm(_cell)?|feature_(alpha_)?dropout_?|alpha_dropout_|conv_tbc|"
        r"constant_pad_nd|convolution|grid_sampler(_\dd)?|affine_grid_generator|embedding_renorm_|"
        r"norm_except_dim|segment_reduce|slice_inverse|unsafe_\w+|split_with_sizes|rsub|"
        r"scalar_tensor|is_distributed|choose_qparams_optimized|dsmm|hsmm|hash_tensor|"
        r"autocast_(in|de)crement_nesting|clear_autocast_cache|(get|set|is)_autocast_\w+|"
        r"import_ir_module\w*|parse_(ir|schema|type_comment)|merge_type_from_type_comment|"
        r"unify_type_list|has_torch_function\w*|handle_torch_function|DisableTorchFunction\w*|"
        r"classproperty|get_file_path|prepare_multiprocessing_environment|compiled_with_cxx11_abi|"
        r"profiler_\w+|map2_|output_nr|module_load|is_set_to|multi_head_attention_forward)$",
    ),
    (
        "In-place functions at the top level",
        "`torch.abs_(x)` and the like are undocumented; the documented in-place spelling is the "
        "Tensor method `x.abs_()`, which is counted under torch.Tensor",
        r"^torch\.[a-z0-9_]*[a-z0-9]_$",
    ),
    (
        "Removed from PyTorch",
        "kept by PyTorch only to raise an error pointing at torch.linalg (eig, lstsq, symeig, solve, "
        "matrix_rank) or legacy autograd attributes (volatile, reinforce)",
        r"^(eig|lstsq|symeig|solve|matrix_rank|volatile|reinforce)$",
    ),
    (
        "C++ binding classes",
        "classes created by pybind11 (TorchScript IR types, dispatcher keys, file readers, benchmark "
        "records): C++ internals with no Python-level API to mirror",
        r"(?!)",  # decided by the object's type in `left_out_group`, not by the name
    ),
]


# Receivers of `Tensor/Module.name` rows in the usage file (the receiver's type is unknown):
# a small instance of each, built the same way from `torch` and from `autograd_core`, so that
# attributes set in `__init__` (`Module.training`, `Optimizer.param_groups`) are seen too.
def _receivers(root: Any) -> list[Any]:
    made: list[Any] = []
    builders: list[Callable[[], Any]] = [
        lambda: root.zeros(2, 2),
        lambda: root.nn.Module(),
        lambda: root.optim.SGD([root.zeros(1, requires_grad=True)], lr=0.1),
        lambda: root.optim.lr_scheduler.StepLR(
            root.optim.SGD([root.zeros(1, requires_grad=True)], lr=0.1), 1
        ),
        lambda: root.utils.data.DataLoader([0, 1]),
        lambda: root.utils.data.Dataset(),
    ]
    for build in builders:
        try:
            made.append(build())
        except Exception:
            made.append(None)
    return made


def receiver_pairs() -> list[tuple[Any, Any]]:
    """(PyTorch instance, project instance or None) for each receiver kind (Tensor, Module, ...)."""
    import torch

    import autograd_core

    for sub in ("nn", "optim", "optim.lr_scheduler", "utils.data"):
        resolve("autograd_core." + sub)  # make the attribute chain importable
    return list(zip(_receivers(torch), _receivers(autograd_core)))


# ----------------------------------------------------------------------------- core logic
@dataclass
class Coverage:
    """What one reference namespace has and how much of it the project offers."""

    reference: str
    project: str
    have: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    left_out: dict[str, list[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.have) + len(self.missing)

    @property
    def percent(self) -> float:
        return 100.0 * len(self.have) / self.total if self.total else 0.0


def left_out_group(
    name: str, qualified: str | None = None, obj: Any = None, groups: list[tuple[str, str, str]] = LEFT_OUT
) -> str | None:
    """The LEFT_OUT group of a name, or None.

    A pattern starting with `^torch` is matched against the qualified name
    (`torch.utils.data.graph`), every other pattern against the bare name.
    """
    if isinstance(obj, type) and "pybind11" in type(obj).__name__:
        return "C++ binding classes"
    for group, _reason, pattern in groups:
        target = qualified if pattern.startswith("^torch") else name
        if target is not None and re.search(pattern, target):
            return group
    return None


def _owner(obj: Any) -> str | None:
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    mod = getattr(obj, "__module__", None)
    return mod if isinstance(mod, str) else None


def public_names(
    namespace: Any,
    *,
    root_prefix: str,
    dunders: Iterable[str] = (),
    reexports_of: Iterable[Any] = (),
) -> list[str]:
    """The public names of a module or class, by the rule in the module docstring.

    `root_prefix` is the package the API belongs to (`"torch"`): objects defined outside it
    are imports, not API. `reexports_of` are namespaces whose objects, seen again here, are
    re-exports and not counted a second time.
    """
    is_class = isinstance(namespace, type)
    seen: set[int] = set()
    for other in reexports_of:
        for n in dir(other):
            if not n.startswith("_"):
                try:
                    seen.add(id(getattr(other, n)))
                except Exception:
                    pass
    names = []
    for n in dir(namespace):
        if n.startswith("_") and n not in dunders:
            continue
        if not is_class and n.isupper() and len(n) > 1:
            continue  # configuration constants such as TYPE_CHECKING
        try:
            obj = getattr(namespace, n)
        except Exception:
            continue
        if not is_class:
            owner = _owner(obj)
            if owner is not None and owner.split(".")[0] != root_prefix:
                continue
            if obj is namespace or id(obj) in seen and not isinstance(obj, (int, float, bool, str)):
                continue
        names.append(n)
    return sorted(names)


def has_name(project: Any, name: str) -> bool:
    """Whether the project namespace offers `name` itself (an inherited `object` slot does not count)."""
    try:
        value = getattr(project, name)
    except Exception:
        return False
    if isinstance(project, type) and name.startswith("__"):
        return getattr(object, name, None) is not value and any(
            name in k.__dict__ for k in project.__mro__[:-1]
        )
    return True


def compare(
    reference: Any,
    project: Any,
    *,
    reference_name: str = "",
    project_name: str = "",
    root_prefix: str = "torch",
    dunders: Iterable[str] = (),
    reexports_of: Iterable[Any] = (),
    groups: list[tuple[str, str, str]] = LEFT_OUT,
) -> Coverage:
    """Compare one reference namespace with the project's (None when it does not import)."""
    cov = Coverage(reference_name, project_name)
    for n in public_names(reference, root_prefix=root_prefix, dunders=dunders, reexports_of=reexports_of):
        group = left_out_group(n, f"{reference_name}.{n}", getattr(reference, n, None), groups)
        if group is not None:
            cov.left_out.setdefault(group, []).append(n)
        elif project is not None and has_name(project, n):
            cov.have.append(n)
        else:
            cov.missing.append(n)
    return cov


# ----------------------------------------------------------------------------- usage file
@dataclass
class UsageRow:
    name: str
    programs: int
    uses: int
    keyword: str | None = None


_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*$")


def parse_usage(text: str) -> tuple[list[UsageRow], list[UsageRow]]:
    """(name rows, keyword rows) of the usage file's two tables; a keyword row is `call|kw`."""
    names: list[UsageRow] = []
    keywords: list[UsageRow] = []
    for line in text.splitlines():
        m = _ROW.match(line.strip())
        if not m:
            continue
        name, programs, uses = m.group(1), int(m.group(2)), int(m.group(3))
        if "|" in name:
            call, kw = name.split("|", 1)
            keywords.append(UsageRow(call, programs, uses, kw))
        else:
            names.append(UsageRow(name, programs, uses))
    return names, keywords


def resolve(dotted: str) -> Any:
    """Import the longest importable prefix of a dotted name and getattr the rest; None if absent."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except Exception:
            continue
        try:
            for p in parts[i:]:
                obj = getattr(obj, p)
        except Exception:
            return None
        return obj
    return None


def _accepts_keyword(fn: Any, kw: str) -> bool | None:
    import inspect

    target = fn.__init__ if isinstance(fn, type) else fn
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    return kw in sig.parameters or any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())


def usage_status(
    row: UsageRow, resolver: Callable[[str], Any] = resolve, receivers: list[tuple[Any, Any]] | None = None
) -> str:
    """'have', 'missing', 'left out: <group>' or 'not PyTorch' for one usage row.

    `receivers` are (PyTorch object, project object) pairs that a `Tensor/Module.x` row may
    be called on (default: `receiver_pairs()`).
    """
    method = row.name.startswith("Tensor/Module.") or row.name.startswith(".")
    attr = row.name.split(".")[-1]
    if method:
        pairs = receiver_pairs() if receivers is None else receivers
        targets = [(t, p) for t, p in pairs if t is not None and hasattr(t, attr)]
        if not targets:
            return "not PyTorch"
        group = left_out_group(attr, f"torch.Tensor.{attr}")
        if group:
            return f"left out: {group}"
        found = [getattr(p, attr) for _t, p in targets if p is not None and has_name(p, attr)]
    else:
        parts = row.name.split(".")
        # The module path may be an implementation module the program imports from directly
        # (`torch.utils.data.dataloader.DataLoader`): the name still counts then.
        groups = [left_out_group(parts[i], ".".join(parts[: i + 1])) for i in range(1, len(parts))]
        group = next(
            (g for i, g in enumerate(groups) if g and (i == len(groups) - 1 or not g.startswith("Impl"))),
            None,
        )
        if group:
            return f"left out: {group}"
        obj = resolver("autograd_core" + row.name[len("torch") :]) if row.name.startswith("torch") else None
        found = [obj] if obj is not None else []
    if not found:
        return "missing"
    if row.keyword is None:
        return "have"
    answers = [_accepts_keyword(f, row.keyword) for f in found]
    return "have" if any(a is not False for a in answers) else "missing"


@dataclass
class Weighted:
    rows: int = 0
    programs: int = 0
    uses: int = 0
    have_rows: int = 0
    have_programs: int = 0
    have_uses: int = 0
    missing: list[UsageRow] = field(default_factory=list)
    excluded: dict[str, list[str]] = field(default_factory=dict)

    def pct(self, a: int, b: int) -> float:
        return 100.0 * a / b if b else 0.0


def weigh(rows: list[UsageRow], status: Callable[[UsageRow], str] | None = None) -> Weighted:
    """Share of names, program-mentions and uses covered, over the rows that are PyTorch names."""
    if status is None:
        pairs = receiver_pairs()

        def status(row: UsageRow) -> str:
            return usage_status(row, receivers=pairs)

    w = Weighted()
    for row in rows:
        s = status(row)
        label = row.name + (f"|{row.keyword}" if row.keyword else "")
        if s == "not PyTorch" or s.startswith("left out"):
            w.excluded.setdefault(s, []).append(label)
            continue
        w.rows += 1
        w.programs += row.programs
        w.uses += row.uses
        if s == "have":
            w.have_rows += 1
            w.have_programs += row.programs
            w.have_uses += row.uses
        else:
            w.missing.append(row)
    return w


# ----------------------------------------------------------------------------- measuring
def measure(usage_path: str = USAGE_FILE) -> dict[str, Any]:
    """Every figure of the report as a JSON-able dict."""
    import torch

    import autograd_core

    out: dict[str, Any] = {"project_file": autograd_core.__file__, "namespaces": [], "left_out": {}}
    specs = [(ref, cands) for ref, cands in NAMESPACES] + [("torch.Tensor", ["autograd_core.Tensor"])]
    for ref_name, candidates in specs:
        reference = resolve(ref_name)
        project, project_name = None, candidates[0]
        for cand in candidates:
            project = resolve(cand)
            if project is not None:
                project_name = cand
                break
        parent = ref_name.rsplit(".", 1)[0]
        reexports = (
            []
            if ref_name in ("torch", "torch.Tensor")
            else [torch] + ([resolve(parent)] if parent != "torch" else [])
        )
        cov = compare(
            reference,
            project,
            reference_name=ref_name,
            project_name=project_name if project is not None else f"{candidates[0]} (does not import)",
            dunders=TENSOR_DUNDERS if ref_name == "torch.Tensor" else (),
            reexports_of=reexports,
        )
        out["namespaces"].append(
            {
                "reference": ref_name,
                "project": cov.project,
                "total": cov.total,
                "have": cov.have,
                "missing": cov.missing,
                "left_out": cov.left_out,
            }
        )
    if os.path.exists(usage_path):
        with open(usage_path, encoding="utf-8") as f:
            name_rows, kw_rows = parse_usage(f.read())
        for key, rows in (("usage_names", name_rows), ("usage_keywords", kw_rows)):
            w = weigh(rows)
            out[key] = {
                "rows": w.rows,
                "programs": w.programs,
                "uses": w.uses,
                "have_rows": w.have_rows,
                "have_programs": w.have_programs,
                "have_uses": w.have_uses,
                "missing": [
                    [r.name + (f"|{r.keyword}" if r.keyword else ""), r.programs, r.uses] for r in w.missing
                ],
                "excluded": w.excluded,
            }
    else:
        print(f"no usage ranking at {usage_path}: pass --usage PATH for weighted figures", file=sys.stderr)
    return out


def _pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f}%" if b else "-"


def render(result: dict[str, Any], before: dict[str, Any] | None = None) -> str:
    """The Markdown report."""
    prev = {ns["reference"]: ns for ns in (before or {}).get("namespaces", [])}
    lines = [
        "# Coverage of PyTorch's public API",
        "",
        "Generated by `python benchmarks/api_coverage.py --write` (real `torch` "
        f"{_torch_version()} as the reference). The rule for which names count, and the families left "
        "out on purpose, are in the script's docstring and in the last section here.",
        "",
        "## Per namespace",
        "",
    ]
    head = "| PyTorch | project | public names | have | missing | coverage |"
    sep = "|---|---|---:|---:|---:|---:|"
    if before:
        head += " before |"
        sep += "---:|"
    lines += [head, sep]
    tot = have = 0
    btot = bhave = 0
    for ns in result["namespaces"]:
        n_have = len(ns["have"])
        row = (
            f"| `{ns['reference']}` | `{ns['project']}` | {ns['total']} | {n_have} | "
            f"{len(ns['missing'])} | {_pct(n_have, ns['total'])} |"
        )
        tot += ns["total"]
        have += n_have
        if before:
            b = prev.get(ns["reference"])
            if b:
                row += f" {_pct(len(b['have']), b['total'])} ({len(b['have'])}) |"
                btot += b["total"]
                bhave += len(b["have"])
            else:
                row += " - |"
        lines.append(row)
    total_row = f"| **all** | | {tot} | {have} | {tot - have} | {_pct(have, tot)} |"
    if before:
        total_row += f" {_pct(bhave, btot)} ({bhave}) |"
    lines += [total_row, ""]
    if before:
        old = ", ".join(
            f"`{ns['reference']}` in `{ns['project']}`"
            for ns in before.get("namespaces", [])
            if ns["project"] != dict(NAMESPACES).get(ns["reference"], [ns["project"]])[0]
        )
        lines += [
            f'"before" is commit {before.get("commit", "?")} measured by the same script. Where the old '
            "tree did not have a namespace under the renamed name, this table looks it up where that tree "
            f"kept it ({old or 'none'}); the usage-weighted figures below do not (a program with `torch` "
            "renamed would not have found it).",
            "",
        ]

    for key, title, what in (
        ("usage_names", "Weighted by real programs", "names"),
        ("usage_keywords", "Keyword arguments real programs pass", "call|keyword pairs"),
    ):
        u = result.get(key)
        if not u:
            continue
        b = (before or {}).get(key)
        lines += [f"## {title}", ""]
        if key == "usage_names":
            lines += [
                "`shared/torch-usage.md` lists the names used by at least 3 of 585 PyTorch programs with, "
                "per name, the number of programs using it and the number of uses. It does not say which "
                "programs use which names, so the share of *programs that would run unchanged* cannot be "
                "computed from it; the table gives the share of names, of program-mentions (each name "
                "weighted by how many programs use it) and of uses. `Tensor/Module.x` rows count as covered "
                "when the project's Tensor, Module, Optimizer, LRScheduler, DataLoader or Dataset has `x` "
                "wherever PyTorch's has it; rows whose receiver is a Python builtin (`.append`, `.items`) "
                "are not PyTorch names and are left out, as are rows in the groups left out on purpose.",
                "",
            ]
        else:
            lines += [
                "A pair counts as covered when the project's callable takes the keyword (or `**kwargs`).",
                "",
            ]
        hdr = "| measure | covered | of | share |" + (" before |" if b else "")
        lines += [hdr, "|---|---:|---:|---:|" + ("---:|" if b else "")]
        for label, hk, tk in (
            (what, "have_rows", "rows"),
            ("program-mentions", "have_programs", "programs"),
            ("uses", "have_uses", "uses"),
        ):
            r = f"| {label} | {u[hk]} | {u[tk]} | {_pct(u[hk], u[tk])} |"
            if b:
                r += f" {_pct(b[hk], b[tk])} |"
            lines.append(r)
        lines += ["", f"Missing, most used first ({len(u['missing'])}):", ""]
        if u["missing"]:
            lines += ["| name | programs | uses |", "|---|---:|---:|"]
            lines += [
                f"| `{n}` | {p} | {c} |" for n, p, c in sorted(u["missing"], key=lambda r: (-r[1], -r[2]))
            ]
        else:
            lines.append("(none)")
        lines.append("")
        for label, names in sorted(u["excluded"].items()):
            lines.append(f"- not counted, {label}: " + ", ".join(f"`{n}`" for n in names))
        lines.append("")

    lines += ["## Missing names per namespace", ""]
    for ns in result["namespaces"]:
        lines += [
            f"**`{ns['reference']}`** ({len(ns['missing'])}): "
            + (", ".join(f"`{n}`" for n in ns["missing"]) or "(none)"),
            "",
        ]

    lines += ["## Left out on purpose", ""]
    for group, reason, _pattern in LEFT_OUT:
        names = [
            f"`{ns['reference'].replace('torch.', '').replace('torch', 'torch')}.{n}`"
            if ns["reference"] != "torch"
            else f"`{n}`"
            for ns in result["namespaces"]
            for n in ns["left_out"].get(group, [])
        ]
        lines += [f"- **{group}** ({len(names)}): {reason}.", ""]
        if names:
            lines += ["  " + ", ".join(names), ""]
    return "\n".join(lines).rstrip() + "\n"


def _torch_version() -> str:
    try:
        import torch

        return torch.__version__
    except Exception:
        return "?"


def print_summary(result: dict[str, Any]) -> None:
    print(f"project: {result['project_file']}")
    print(f"{'PyTorch':28} {'project':34} {'total':>6} {'have':>5} {'miss':>5} {'cov':>7}")
    for ns in result["namespaces"]:
        print(
            f"{ns['reference']:28} {ns['project'][:34]:34} {ns['total']:6d} {len(ns['have']):5d} "
            f"{len(ns['missing']):5d} {_pct(len(ns['have']), ns['total']):>7}"
        )
    u = result.get("usage_names")
    if u:
        print(
            f"usage-weighted: names {_pct(u['have_rows'], u['rows'])}, program-mentions "
            f"{_pct(u['have_programs'], u['programs'])}, uses {_pct(u['have_uses'], u['uses'])}"
        )
        top = sorted(u["missing"], key=lambda r: (-r[1], -r[2]))[:25]
        print("most used missing: " + ", ".join(f"{n} ({p})" for n, p, _ in top))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="write benchmarks/COVERAGE.md")
    ap.add_argument("--json", metavar="PATH", help="write the measured figures as JSON")
    ap.add_argument("--before", metavar="PATH", help="JSON of an earlier run to show as 'before'")
    ap.add_argument("--commit", default=None, help="label stored in the JSON (e.g. the commit measured)")
    ap.add_argument("--usage", default=USAGE_FILE, help="path of torch-usage.md")
    args = ap.parse_args(argv)
    try:
        import autograd_core  # noqa: F401
    except ImportError:
        sys.path.insert(0, ROOT)
    result = measure(args.usage)
    if args.commit:
        result["commit"] = args.commit
    print_summary(result)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    if args.write:
        before = None
        if args.before:
            with open(args.before, encoding="utf-8") as f:
                before = json.load(f)
        with open(os.path.join(HERE, "COVERAGE.md"), "w", encoding="utf-8") as f:
            f.write(render(result, before))
        print(f"wrote {os.path.join(HERE, 'COVERAGE.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
