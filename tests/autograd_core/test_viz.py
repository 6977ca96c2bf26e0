"""The drawn backward graph: names, shapes, execution order, gradient norms, highlights."""

import re
import shutil

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import engine


def small_mlp_graph(dead=False):
    ag.manual_seed(0)
    x = ag.randn(8, 4)
    w1 = ag.randn(4, 6, requires_grad=True)
    b1 = ag.zeros(6, requires_grad=True)
    w2 = ag.randn(6, 3, requires_grad=True)
    h = (x @ w1 + b1 - (100.0 if dead else 0.0)).relu()
    loss = -(h @ w2).log_softmax(1)[:, 0].mean()
    return loss, {"w1": w1, "b1": b1, "w2": w2}


def labels(dot):
    """node id -> label text, from the DOT source."""
    found = {}
    for key, label in re.findall(r'^\s*(\w+) \[label="([^"]*)"', dot.source, re.M):
        found[key] = label
    return found


def test_op_names_params_shapes_and_dtypes():
    loss, params = small_mlp_graph()
    loss.backward(retain_graph=True)
    src = ag.viz.draw_graph(loss, params=params).source
    for op in ("MatMulBackward", "ReluBackward", "LogSoftmaxBackward", "AddBackward", "SumBackward"):
        assert op in src
    assert "w1\n(4, 6) float32" in src and "b1\n(6,) float32" in src and "w2\n(6, 3) float32" in src
    assert "saved (8, 4), (4, 6)" in src  # the first matmul saved its operands


def test_execution_numbers_match_the_engine_order():
    loss, params = small_mlp_graph()
    ran = []
    original = engine._walk

    def spy(start, grad, retain_graph, Tensor, watch=None, **kwargs):
        def watch_all(node, g, grads):
            if not isinstance(node, Tensor):
                ran.append(node.name)
            if watch is not None:
                watch(node, g, grads)
        return original(start, grad, retain_graph, Tensor, watch_all)

    # Record the real backward's order through the same walk, then compare the drawing.
    engine._walk = spy
    try:
        loss.backward(retain_graph=True)
    finally:
        engine._walk = original
    dot = ag.viz.draw_graph(loss, params=params)
    numbered = sorted(
        (int(m.group(1)), m.group(2)) for m in re.finditer(r"#(\d+)  (\w+)", dot.source)
    )
    assert [k for k, _ in numbered] == list(range(1, len(ran) + 1))
    assert [name for _, name in numbered] == ran


def test_edge_norms_equal_the_actual_gradients():
    loss, params = small_mlp_graph()
    loss.backward(retain_graph=True)
    src = ag.viz.draw_graph(loss, params=params).source
    for name, p in params.items():
        key = str(id(p))
        edge = re.search(rf'-> {key} \[label="([^"]*)"', src)
        assert edge, name
        norm = float(re.search(r"‖g‖=([\d.e+-]+)", edge.group(1)).group(1))
        assert norm == pytest.approx(np.linalg.norm(p.grad._data), rel=1e-3)
        assert f"{p.shape}".replace(" ", "") in edge.group(1).replace(" ", "")


def test_dead_relu_is_highlighted():
    loss, params = small_mlp_graph(dead=True)
    loss.backward(retain_graph=True)
    lab = labels(ag.viz.draw_graph(loss, params=params))
    relu = [v for v in lab.values() if "ReluBackward" in v][0]
    assert "gradient dies here" in relu
    assert "all-zero gradient" in lab[str(id(params["w1"]))]


def test_nan_is_highlighted():
    w = ag.tensor([-1.0, 4.0], requires_grad=True)
    loss = w.sqrt().sum()
    with np.errstate(invalid="ignore"):
        src = ag.viz.draw_graph(loss, params={"w": w}).source
    assert "NaN/inf gradient" in src and "#ff7b7b" in src


def test_drawing_leaves_grads_untouched():
    loss, params = small_mlp_graph()
    ag.viz.draw_graph(loss, params=params)
    assert all(p.grad is None for p in params.values())
    loss.backward()  # the graph was not freed by drawing it


def test_freed_graph_draws_structure_with_a_note():
    loss, params = small_mlp_graph()
    loss.backward()
    src = ag.viz.draw_graph(loss, params=params).source
    assert "MatMulBackward" in src and "retain_graph=True" in src and "‖g‖" not in src


def test_max_nodes_collapses_with_a_note():
    x = ag.ones(2, requires_grad=True)
    y = x
    for _ in range(200):
        y = y * 1.01
    src = ag.viz.draw_graph(y.sum(), max_nodes=20).source
    assert src.count("MulBackward") == 19 and "181 more operations not drawn" in src


def test_save_graph_dot_without_rendering(tmp_path):
    loss, params = small_mlp_graph()
    path = ag.viz.save_graph(loss, tmp_path / "g.dot", params=params)
    assert path.read_text().startswith("digraph")
    with pytest.raises(ValueError, match="suffix"):
        ag.viz.save_graph(loss, tmp_path / "g.jpg2")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_render_through_dot(tmp_path, suffix, magic):
    loss, params = small_mlp_graph()
    loss.backward(retain_graph=True)
    path = ag.viz.save_graph(loss, tmp_path / f"g{suffix}", params=params)
    assert path.read_bytes().startswith(magic)


def test_missing_dot_gives_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on an empty PATH
    loss, _ = small_mlp_graph()
    with pytest.raises(RuntimeError, match="graphviz"):
        ag.viz.save_graph(loss, tmp_path / "g.png")


nn = pytest.importorskip("nn")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
        self.classifier = nn.Linear(8, 3)

    def forward(self, x):
        return self.classifier(self.features(x))


def test_modules_become_nested_clusters_with_named_parameters():
    ag.manual_seed(0)
    model = Net()
    loss = nn.CrossEntropyLoss()(model(ag.randn(5, 4)), ag.tensor([0, 1, 2, 0, 1]))
    loss.backward(retain_graph=True)
    src = ag.viz.draw_graph(loss).source  # names found through the modules, no params=
    for label in ("features.0 (Linear)", "features.1 (ReLU)", "classifier (Linear)",
                  "features (Sequential)", "label=Net", "CrossEntropyLoss"):
        assert label in src, label
    for name in ("features.0.weight", "features.0.bias", "classifier.weight", "classifier.bias"):
        assert f'"{name}\n' in src
    # features.0 sits inside features, which sits inside Net: count the open braces.
    def depth(key):
        before = src[: src.index(key)]
        return before.count("{") - before.count("}")

    assert depth("features.0 (Linear)") > depth("features (Sequential)") > depth("label=Net") > 1
    flat = ag.viz.draw_graph(loss, group_by_module=False).source
    assert "cluster" not in flat


def test_ordering_edges_are_not_drawn_as_gradients():
    ag.manual_seed(0)
    out, _ = nn.RNN(3, 4)(ag.randn(3, 2, 3))
    loss = out.sum()
    loss.backward(retain_graph=True)
    src = ag.viz.draw_graph(loss).source
    assert "RecurrentStepBackward" in src and 'label=order' in src
    assert "gradient dies here" not in src


def cnn_loss():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 10))
    loss = nn.CrossEntropyLoss()(model(ag.randn(2, 1, 8, 8)), ag.tensor([1, 7]))
    loss.backward(retain_graph=True)
    return loss


def mlp_loss():
    ag.manual_seed(0)
    model = nn.MLP(6, [8, 8], 3)
    loss = nn.CrossEntropyLoss()(model(ag.randn(4, 6)), ag.tensor([0, 1, 2, 1]))
    loss.backward(retain_graph=True)
    return loss


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("make", [mlp_loss, cnn_loss], ids=["mlp", "cnn"])
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG")])
def test_render_nn_graphs_through_dot(tmp_path, make, suffix, magic):
    path = ag.viz.save_graph(make(), tmp_path / f"graph{suffix}")
    data = path.read_bytes()
    assert data.startswith(magic) and len(data) > 1000
    if suffix == ".svg":
        assert "Conv2dBackward" in data.decode() or "LinearBackward" in data.decode()
