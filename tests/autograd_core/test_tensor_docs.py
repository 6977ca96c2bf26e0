"""`help(ag.Tensor)` documents every method: each public method, property and operator has a
one-line docstring, and no source-code comment stands in for one."""

from __future__ import annotations

import inspect
import pydoc
import re

import autograd_core as ag

# A source-code separator such as `# -- arithmetic ----` (pydoc shows the comment above a def
# that has no docstring).
SEPARATOR = re.compile(r"^\s*#|-{4,}\s*$")


def _documented_members() -> dict[str, str | None]:
    """name -> docstring for every public callable or property of Tensor, and every dunder
    that Tensor (not `object`) defines."""
    out = {}
    for name in dir(ag.Tensor):
        if name.startswith("_"):
            dunder = name.startswith("__") and name.endswith("__")
            if not dunder or not any(name in k.__dict__ for k in ag.Tensor.__mro__[:-1]):
                continue
        static = inspect.getattr_static(ag.Tensor, name)
        if isinstance(static, property):
            out[name] = static.__doc__
        elif callable(static) or isinstance(static, (staticmethod, classmethod)):
            out[name] = getattr(ag.Tensor, name).__doc__
    return out


def test_the_check_sees_the_methods_bound_from_tables():
    members = _documented_members()
    # defined in tensor.py, bound from ops tables, made in inplace.py, operators, properties
    for name in ("backward", "sum", "cumsum", "masked_fill", "add_", "__iadd__", "__rmod__", "mT", "shape"):
        assert name in members
    assert len(members) > 300


def test_every_public_method_and_property_has_a_docstring():
    missing = [name for name, doc in _documented_members().items() if not (doc or "").strip()]
    assert missing == []


def test_first_lines_are_sentences_not_separators():
    bad = {}
    for name, doc in _documented_members().items():
        first = inspect.cleandoc(doc or "").splitlines()[0] if (doc or "").strip() else ""
        if not first or SEPARATOR.search(first):
            bad[name] = first
    assert bad == {}


def test_inplace_methods_name_their_own_op():
    assert "`add()`" in ag.Tensor.add_.__doc__
    assert "normal" in ag.Tensor.normal_.__doc__
    assert "+=" in ag.Tensor.__iadd__.__doc__
    assert "<lambda>" not in ag.Tensor.zero_.__doc__ and "<lambda>" not in ag.Tensor.t_.__doc__


def test_pydoc_shows_no_source_comments():
    text = pydoc.render_doc(ag.Tensor, renderer=pydoc.plaintext)
    assert "# --" not in text
    comment_lines = [line for line in text.splitlines() if re.match(r"^[\s|]*#", line)]
    assert comment_lines == []
