"""The `torch` namespace, renamed: every import line real PyTorch programs use works with
`torch` replaced by `autograd_core`, and the torch-style modules re-export the same objects."""

import importlib
import inspect
import subprocess
import sys

import pytest

IMPORTS = [
    "import autograd_core",
    "import autograd_core.nn as nn",
    "import autograd_core.nn.functional as F",
    "from autograd_core import nn, optim",
    "from autograd_core.utils.data import DataLoader, Dataset, TensorDataset, random_split",
    "from autograd_core.utils.data import Subset, ConcatDataset, IterableDataset, Sampler",
    "from autograd_core.utils.data.distributed import DistributedSampler",
    "from autograd_core.optim.lr_scheduler import StepLR, CosineAnnealingLR, LambdaLR, OneCycleLR",
    "import autograd_core.optim.lr_scheduler",
    "from autograd_core.nn import init",
    "import autograd_core.nn.init as init",
    "from autograd_core.nn.utils import clip_grad_norm_, parameters_to_vector, vector_to_parameters",
    "from autograd_core.autograd import Function, grad, gradcheck, gradgradcheck, backward",
    "from autograd_core.autograd.functional import jacobian, hessian, vjp, jvp, hvp, vhp",
    "from autograd_core.autograd.function import once_differentiable",
    "from autograd_core.func import grad, vmap, jacrev, jacfwd, hessian, functional_call, vjp, jvp",
    "from autograd_core.nn.modules import Module",
    "from autograd_core.nn.modules.module import Module",
    "from autograd_core.nn.modules.loss import CrossEntropyLoss",
    "from autograd_core.nn.parameter import Parameter",
    "from autograd_core.nn.parallel import DistributedDataParallel",
    "import autograd_core.distributed as dist",
    "from autograd_core import Tensor",
]


@pytest.mark.parametrize("line", IMPORTS)
def test_import_line_works(line):
    exec(line, {})


def test_torch_style_modules_are_the_same_objects():
    import autograd_core
    import autograd_core.nn as tnn
    import autograd_core.nn.functional as F
    import autograd_core.optim as toptim
    import nn
    import optim

    assert tnn.Linear is nn.Linear and tnn.Module is nn.Module and tnn.Parameter is nn.Parameter
    assert F.relu is autograd_core.functional.relu is nn.functional.relu
    assert toptim.SGD is optim.SGD and toptim.lr_scheduler.StepLR is optim.lr_scheduler.StepLR
    assert autograd_core.nn is tnn and autograd_core.optim is toptim
    assert autograd_core.utils.data.DataLoader is autograd_core.data.DataLoader
    import autograd_core.nn.modules.activation as act
    import autograd_core.nn.modules.conv as conv
    import autograd_core.nn.modules.loss as loss

    for module in (act, conv, loss):  # PyTorch's module paths hold the very classes of nn
        for name, obj in vars(module).items():
            if isinstance(obj, type) and issubclass(obj, nn.Module) and hasattr(nn, name):
                assert obj is getattr(nn, name), f"{module.__name__}.{name} is not nn.{name}"
    assert loss.CrossEntropyLoss is nn.CrossEntropyLoss and act.MultiheadAttention is nn.MultiheadAttention


@pytest.mark.parametrize("package", ["nn", "optim", "autograd_core.data", "autograd_core.functional"])
def test_every_public_name_is_re_exported(package):
    """A class or function added to a package must be in its __all__, or the torch-style
    namespace (which re-exports __all__) would miss it."""
    module = importlib.import_module(package)
    missing = []
    for name, obj in vars(module).items():
        if name.startswith("_") or inspect.ismodule(obj):
            continue
        home = getattr(obj, "__module__", "") or ""
        root = package.split(".")[0]
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and home.startswith(root):
            if name not in module.__all__:
                missing.append(name)
    assert not missing, f"{package}: public names missing from __all__: {missing}"


def test_import_is_quick_and_lazy():
    code = ("import sys, time; t = time.perf_counter(); import autograd_core; "
            "print('numba' in sys.modules, 'nn' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def test_devices_answer_as_a_cpu_only_build(lib):
    x = lib.ones(2, device="cpu")
    assert str(x.device) == "cpu" and x.device == lib.device("cpu")
    assert x.to("cpu") is x and x.cpu() is x
    assert x.to(lib.float64).dtype == lib.float64
    assert x.to("cpu", lib.float64).dtype == lib.float64
    assert x.to(lib.zeros(1, dtype=lib.int64)).dtype == lib.int64
    assert lib.zeros_like(x, device="cpu").shape == (2,)
    assert lib.cuda.is_available() is False
    assert lib.backends.mps.is_available() is False


def test_asking_for_an_accelerator_says_the_build_is_cpu_only():
    import autograd_core as ag

    for make in (lambda: ag.ones(2).to("cuda"), lambda: ag.device("cuda:0"), lambda: ag.ones(2).cuda(),
                 lambda: ag.zeros(2, device="mps")):
        with pytest.raises(RuntimeError, match="CPU only"):
            make()


@pytest.mark.parametrize("alias,dtype", [("float", "float32"), ("double", "float64"), ("half", "float16"),
                                         ("long", "int64"), ("int", "int32"), ("short", "int16"),
                                         ("bool", "bool"), ("uint8", "uint8"), ("int8", "int8"),
                                         ("int16", "int16"), ("int32", "int32"), ("int64", "int64"),
                                         ("float16", "float16"), ("float32", "float32"), ("float64", "float64")])
def test_dtype_aliases(lib, alias, dtype):
    t = lib.zeros(2, dtype=getattr(lib, alias))
    assert str(t.dtype).replace("torch.", "") == dtype


def test_conversions_and_queries(lib):
    x = lib.tensor([1.5, -2.0])
    assert x.int().dtype == lib.int32 and x.long().dtype == lib.int64 and x.bool().dtype == lib.bool
    assert x.half().dtype == lib.float16 and x.double().dtype == lib.float64
    assert x.type(lib.float64).dtype == lib.float64 and x.type() == "torch.FloatTensor"
    assert x.type_as(lib.zeros(1, dtype=lib.int64)).dtype == lib.int64
    assert lib.is_tensor(x) and lib.is_floating_point(x) and not lib.is_floating_point(x.long())
    assert lib.get_default_dtype() == lib.float32
    assert x.any().item() is True and (x > 0).all().item() is False
    assert x.any(dim=0).shape == () and lib.zeros(2, 3).any(dim=1).tolist() == [False, False]


def test_set_default_dtype(lib):
    lib.set_default_dtype(lib.float64)
    try:
        assert lib.tensor([1.0]).dtype == lib.float64
        assert (lib.arange(3) / 2).dtype == lib.float64
    finally:
        lib.set_default_dtype(lib.float32)
    assert lib.tensor([1.0]).dtype == lib.float32


def test_reduction_keywords(lib):
    x = lib.arange(6.0).reshape(2, 3)
    assert x.sum(dim=1, keepdim=True).shape == (2, 1)
    assert x.sum(axis=1).shape == (2,)
    assert x.mean(1, True).shape == (2, 1)
    assert abs(x.var(correction=0).item() - 2.9166667) < 1e-5
    assert abs(x.std(dim=1, correction=1)[0].item() - 1.0) < 1e-6
    assert x.sum(dtype=lib.float64).dtype == lib.float64
    assert lib.arange(3).sum().dtype == lib.int64


def test_printing(lib):
    x = lib.tensor(3.14159)
    assert f"{x:.2f}" == "3.14" and format(x, ".1f") == "3.1"
    w = lib.tensor([1.0], requires_grad=True)
    y = w * 2
    assert y.grad_fn.name() == "MulBackward0"
    (node, index), = [p for p in y.grad_fn.next_functions if p[0] is not None]
    assert index == 0 and node.name().endswith("AccumulateGrad") and node.variable is w
    assert "requires_grad=True" in repr(w)
    assert "dtype=" in repr(lib.tensor([1.0], dtype=lib.float64))


def test_generators_make_draws_reproducible(lib):
    g = lib.Generator().manual_seed(123)
    a = lib.rand(5, generator=g)
    b = lib.rand(5, generator=lib.Generator().manual_seed(123))
    assert lib.equal(a, b) if hasattr(lib, "equal") else bool((a == b).all())
    lib.manual_seed(7)
    c = (lib.randn(3), lib.randint(0, 10, (3,)), lib.rand_like(a), lib.randn_like(a))
    lib.manual_seed(7)
    d = (lib.randn(3), lib.randint(0, 10, (3,)), lib.rand_like(a), lib.randn_like(a))
    assert all(bool((u == v).all()) for u, v in zip(c, d))
    assert lib.initial_seed() == 7
    p = lib.tensor([0.1, 0.9])
    assert lib.multinomial(p, 4, replacement=True).shape == (4,)
    assert set(lib.bernoulli(lib.full((100,), 0.5)).unique().tolist()) <= {0.0, 1.0}
    assert lib.normal(2.0, 1.0, size=(3,)).shape == (3,)
    assert lib.poisson(lib.full((4,), 3.0)).shape == (4,)


def test_testing_assert_close(lib):
    lib.testing.assert_close(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0 + 1e-7]))
    lib.testing.assert_close({"a": lib.tensor([1.0])}, {"a": lib.tensor([1.0])})
    with pytest.raises(AssertionError, match="not close"):
        lib.testing.assert_close(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.1]))
    with pytest.raises(AssertionError, match="dtype"):
        lib.testing.assert_close(lib.tensor([1.0]), lib.tensor([1.0], dtype=lib.float64))
    lib.testing.assert_close(lib.tensor([float("nan")]), lib.tensor([float("nan")]), equal_nan=True)


def test_constants_queries_and_tensor_facts(lib):
    import math

    assert lib.inf == math.inf and math.isnan(lib.nan) and lib.pi == math.pi and lib.e == math.e
    assert lib.accelerator.is_available() is False
    x = lib.ones(2, 3)
    assert tuple(x.stride()) == (3, 1) and x.stride(0) == 3 and x.is_cpu
    assert x.itemsize == 4 and x.nbytes == 24 and (+x) is x and 1.0 in x
    assert lib.Size([2, 3]) == (2, 3) and lib.Size([2, 3]).numel() == 6
    assert callable(lib.compile(abs))


def test_set_and_get_num_threads(lib):
    before = lib.get_num_threads()
    assert isinstance(before, int) and before >= 1
    try:
        lib.set_num_threads(1)
        assert lib.get_num_threads() == 1
    finally:
        lib.set_num_threads(before)
    assert lib.get_num_threads() == before
    for bad in (0, -2, 1.5, "2"):
        with pytest.raises(RuntimeError, match="set_num_threads expects"):
            lib.set_num_threads(bad)
