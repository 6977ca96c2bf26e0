"""Draw the backward graph behind a tensor with graphviz.

    >>> import autograd_core as ag
    >>> w = ag.randn(3, 2, requires_grad=True)
    >>> loss = (ag.ones(4, 3) @ w).relu().sum()
    >>> loss.backward(retain_graph=True)
    >>> dot = ag.viz.draw_graph(loss, params={"w": w})   # a graphviz.Digraph
    >>> ag.viz.save_graph(loss, "graph.svg")             # doctest: +SKIP

What is drawn:
* one box per backward node (`MatMulBackward`, ...) with its output shape, the shapes
  of what it saved for backward, and `#k`: its position in the order the backward pass
  runs the nodes;
* leaf tensors: parameters by name (from `params`, or found through the nn.Modules that
  produced the graph), other inputs unnamed, each with shape and dtype;
* on every edge, the gradient that flows along it: its shape and norm;
* nodes whose gradient is all zero (a dead ReLU) in orange, NaN/inf in red;
* with `group_by_module`, the operations of each nn.Module call inside a cluster named
  like the module (`features.0`).

Nothing here costs anything while a model trains: the order and the gradients come from
re-running the engine's own walk on the retained graph (`engine.replay`, which touches
no `.grad`), and modules leave one small record per call (`engine.note_module_call`), not per op.
So draw after `backward(retain_graph=True)`, or before backward.
"""

from __future__ import annotations

import pathlib
from collections import deque

import graphviz
import numpy as np

from . import engine
from .function import _FREED, Function
from .tensor import Tensor

_OP_COLOR = "#e8e8e8"
_PARAM_COLOR = "#cfe2ff"
_INPUT_COLOR = "#ffffff"
_ZERO_COLOR = "#ffc870"
_BAD_COLOR = "#ff7b7b"


def _collect(root_node) -> list:
    """Every node and leaf reachable from `root_node`, in breadth-first order."""
    seen = {root_node}
    order = [root_node]
    queue = deque([root_node])
    while queue:
        node = queue.popleft()
        for nxt in getattr(node, "next", ()):
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                order.append(nxt)
                if isinstance(nxt, Function):
                    queue.append(nxt)
    return order


class _GradInfo:
    """What the replayed backward pass saw: order of nodes and gradients on edges."""

    def __init__(self):
        self.order: dict = {}
        self.edges: dict = {}      # (node, input index) -> gradient array
        self.received: dict = {}   # node or leaf -> gradient it received

    def __call__(self, node, grad_in, grads_out):
        self.received[node] = grad_in
        if isinstance(node, Function):
            self.order[node] = len(self.order) + 1
            for i, g in enumerate(grads_out):
                nxt = node.next[i] if i < len(node.next) else None
                if g is not None and nxt is not None:
                    # what the input receives: after the engine's un-broadcasting
                    self.edges[(node, i)] = engine.unbroadcast(np.asarray(g), nxt.shape, node.name)


def _status(arrays) -> str | None:
    """'bad' if any array holds NaN/inf, 'zero' if all are exactly zero, else None."""
    arrays = [np.asarray(a) for a in arrays if a is not None]
    if not arrays:
        return None
    if any(a.dtype.kind in "fc" and not np.isfinite(a).all() for a in arrays):
        return "bad"
    if all(not a.any() for a in arrays):
        return "zero"
    return None


def _fmt_shape(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _module_groups(nodes: list) -> tuple[dict, dict, dict]:
    """Assign nodes and parameters to the innermost module call that produced them.

    Returns (group of each node, (label, parent group) of each group, name of each
    parameter found through the modules)."""
    records = []  # (module, member set)
    for node in nodes:
        for module, boundary in getattr(node, "__dict__", {}).get("module_calls", ()):
            stop = set(boundary)
            members, stack = {node}, [node]
            while stack:
                for nxt in getattr(stack.pop(), "next", ()):
                    if nxt is None or nxt in stop or nxt in members:
                        continue
                    members.add(nxt)
                    if isinstance(nxt, Function):
                        stack.append(nxt)
            records.append((module, members))
    if not records:
        return {}, {}, {}

    modules = {id(m): m for m, _ in records}
    # Top-level modules are those no other recorded module contains.
    contained = set()
    for m in modules.values():
        for _, sub in m.named_modules():
            if sub is not m:
                contained.add(id(sub))
    names, param_names, parents, every = {}, {}, {}, {}
    for m in modules.values():
        if id(m) in contained:
            continue
        for qual, sub in m.named_modules():
            names[id(sub)] = qual or type(m).__name__
            parents[id(sub)] = None
            every[id(sub)] = sub
        for qual, p in m.named_parameters():
            param_names[p] = qual
        for _, sub in m.named_modules():
            for _, child in sub.named_children():
                parents[id(child)] = id(sub)

    # Each node goes to the smallest (innermost) call containing it; parameters to the
    # call of the module that owns them directly.
    owner_of_param = {}
    for m in modules.values():
        for _, p in m.named_parameters(recurse=False):
            owner_of_param[p] = id(m)
    group, best = {}, {}
    for module, members in sorted(records, key=lambda r: -len(r[1])):
        gid = id(module)
        for n in members:
            if isinstance(n, Tensor):
                if owner_of_param.get(n) == gid:
                    group[n] = gid
            elif len(members) <= best.get(n, float("inf")):
                group[n], best[n] = gid, len(members)
    # Clusters for the modules that own nodes, and for their ancestors (a Sequential
    # around its layers), so the nesting of the model shows.
    wanted = set(group.values())
    for gid in list(wanted):
        p = parents.get(gid)
        while p is not None and p not in wanted:
            wanted.add(p)
            p = parents.get(p)
    groups = {}
    for gid in wanted:
        m = every.get(gid) or modules[gid]
        label = names.get(gid, type(m).__name__)
        kind = type(m).__name__
        groups[gid] = (label if label == kind else f"{label} ({kind})", parents.get(gid))
    return group, groups, param_names


def draw_graph(root: Tensor, params: dict | None = None, show_grads: bool = True,
               show_saved: bool = True, group_by_module: bool = True,
               max_nodes: int | None = None) -> graphviz.Digraph:
    """A graphviz.Digraph of the backward graph behind `root` (see the module docstring).

    `params` maps names to leaf tensors (e.g. `dict(model.named_parameters())`);
    `max_nodes` collapses the graph beyond that many operation nodes into a note.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph expects a Tensor, got {type(root).__name__}")
    dot = graphviz.Digraph("backward", graph_attr={"rankdir": "TB", "fontname": "Helvetica",
                                                   "fontsize": "11", "labelloc": "b"},
                           node_attr={"fontname": "Helvetica", "fontsize": "10"},
                           edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#555555"})
    start = root.grad_fn if root.grad_fn is not None else root
    nodes = _collect(start)
    ops = [n for n in nodes if isinstance(n, Function)]

    # The replayed walk gives the execution order and the gradients on the edges.
    info, note = None, None
    if show_grads and root.requires_grad:
        if any(n.saved is _FREED for n in ops):
            note = "gradients not shown: the graph was freed by backward(); use backward(retain_graph=True)"
        else:
            info = _GradInfo()
            engine.replay(root, info)

    names = {p: name for name, p in (params or {}).items()}
    group, groups, found = _module_groups(nodes) if group_by_module else ({}, {}, {})
    for p, name in found.items():
        names.setdefault(p, name)

    # max_nodes: keep the first operations in breadth-first order from the root.
    kept_ops = ops if max_nodes is None or len(ops) <= max_nodes else ops[:max_nodes]
    kept = set(kept_ops) | {n for op in kept_ops for n in op.next if isinstance(n, Tensor)}
    if root.grad_fn is None:
        kept.add(root)
    hidden = len(ops) - len(kept_ops)

    bodies = {gid: graphviz.Digraph(f"cluster_{gid}") for gid in groups}
    for gid, body in bodies.items():
        body.attr(label=groups[gid][0], style="rounded,dashed", color="#7a7a7a", fontsize="10")

    def place(obj):
        gid = group.get(obj)
        return bodies[gid] if gid in bodies else dot

    for obj in nodes:
        if obj not in kept:
            continue
        key = str(id(obj))
        if isinstance(obj, Function):
            received = info.received.get(obj) if info else None
            sent = [g for (n, i), g in info.edges.items() if n is obj and i not in obj.ordering_inputs] \
                if info else []
            status = (_status([received] + sent) or _status(sent)) if info else None
            lines = [(f"#{info.order[obj]}  " if info and obj in info.order else "") + obj.name,
                     f"out {_fmt_shape(obj.shape)}"]
            if show_saved:
                if obj.saved is _FREED:
                    lines.append("saved: freed")
                elif obj.saved:
                    shapes = [_fmt_shape(np.shape(s)) for s in obj.saved if hasattr(s, "shape")]
                    if shapes:
                        lines.append("saved " + ", ".join(shapes))
            if status == "zero":
                # Where a non-zero gradient comes in and only zeros go out (a dead ReLU),
                # say so: that node is the cause, the ones below only inherit it.
                dies = received is not None and np.asarray(received).any()
                lines.append("gradient dies here (all zero out)" if dies else "all-zero gradient")
            elif status == "bad":
                lines.append("NaN/inf gradient")
            fill = {"zero": _ZERO_COLOR, "bad": _BAD_COLOR}.get(status, _OP_COLOR)
            width = "2.5" if status == "zero" and "dies" in lines[-1] else "1.0"
            place(obj).node(key, "\n".join(lines), shape="box", style="rounded,filled", fillcolor=fill,
                            penwidth=width)
        else:
            status = _status([info.received.get(obj)]) if info else None
            name = names.get(obj)
            lines = [name if name else "input", f"{_fmt_shape(obj.shape)} {obj.dtype}"]
            if status == "zero":
                lines.append("all-zero gradient")
            elif status == "bad":
                lines.append("NaN/inf gradient")
            fill = {"zero": _ZERO_COLOR, "bad": _BAD_COLOR}.get(
                status, _PARAM_COLOR if name else _INPUT_COLOR)
            place(obj).node(key, "\n".join(lines), shape="ellipse", style="filled", fillcolor=fill)

    # The output the walk starts from, then one edge per input of each node.
    dot.node("output", f"output\n{_fmt_shape(root.shape)} {root.dtype}", shape="doubleoctagon",
             style="filled", fillcolor="#d8f5d0")
    dot.edge("output", str(id(start)), label="1" if root._data.size == 1 else "ones")
    if hidden:
        dot.node("collapsed", f"… {hidden} more operations not drawn\n(max_nodes={max_nodes})",
                 shape="note", style="filled", fillcolor="#fff7c2")
    for op in kept_ops:
        for i, nxt in enumerate(op.next):
            if nxt is None:
                continue
            target = str(id(nxt)) if nxt in kept else "collapsed"
            label, color = "", "#555555"
            if i in op.ordering_inputs:
                dot.edge(str(id(op)), target, label="order", style="dashed", color="#9a9a9a")
                continue
            if info and (op, i) in info.edges:
                g = np.asarray(info.edges[(op, i)])
                label = f"{_fmt_shape(g.shape)}\n‖g‖={float(np.linalg.norm(g.astype(np.float64))):.4g}"
                color = {"zero": "#e08a00", "bad": "#d00000"}.get(_status([g]), color)
            dot.edge(str(id(op)), target, label=label, color=color)

    # Nest module clusters bottom-up (graphviz copies a subgraph when it is attached).
    depth = {}
    for gid in bodies:
        d, p = 0, groups[gid][1]
        while p is not None:
            d, p = d + 1, groups.get(p, (None, None))[1]
        depth[gid] = d
    for gid in sorted(bodies, key=lambda g: -depth[g]):
        parent = groups[gid][1]
        while parent is not None and parent not in bodies:
            parent = groups.get(parent, (None, None))[1]
        (bodies[parent] if parent is not None else dot).subgraph(bodies[gid])

    legend = "Backward graph: #k is the order in which backward() runs each node; "
    legend += "edges carry the gradient (shape, norm) sent to each input.\n"
    legend += "Blue: named parameters; orange: all-zero gradient; red: NaN/inf."
    if note:
        legend += "\n" + note
    dot.attr(label=legend)
    return dot


_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}


def save_graph(root: Tensor, path, **kwargs) -> pathlib.Path:
    """Draw the graph behind `root` and write it to `path`; the suffix picks the format
    (.svg, .png, .pdf need Graphviz's `dot` program; .dot/.gv is the source text)."""
    path = pathlib.Path(path)
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(f"save_graph: unknown suffix {suffix!r}; use one of {sorted(_FORMATS)}")
    dot = draw_graph(root, **kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    if _FORMATS[suffix] is None:
        path.write_text(dot.source)
        return path
    try:
        data = dot.pipe(format=_FORMATS[suffix])
    except graphviz.ExecutableNotFound:
        raise RuntimeError(
            f"save_graph: writing {suffix} needs Graphviz's `dot` program, which is not installed. "
            "Install the system package `graphviz` (apt-get install graphviz, brew install graphviz, "
            "conda install graphviz); saving to a .dot file works without it."
        ) from None
    path.write_bytes(data)
    return path
