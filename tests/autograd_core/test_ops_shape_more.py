"""Views, rearrangements, constructors and size queries against PyTorch, with gradcheck
in float64 and checks that the view ops share memory with their input."""

import numpy as np
import pytest
from parity import OURS, check, params, raises_like_torch, rand

import autograd_core as ag

R = rand
INTS = np.arange(12).reshape(3, 4)

CASES = [
    ("select", lambda m, x: m.select(x, 1, 2), R(2, 3, 4)),
    ("select negative", lambda m, x: x.select(-1, -1), R(2, 3, 4)),
    ("unbind", lambda m, x: m.unbind(x, 1), R(2, 3, 4)),
    ("unbind neg", lambda m, x: x.unbind(-1), R(2, 3)),
    ("unbind empty", lambda m, x: x.unbind(0), R(0, 3)),
    ("movedim", lambda m, x: m.movedim(x, 0, -1), R(2, 3, 4)),
    ("movedim many", lambda m, x: m.movedim(x, (0, 1), (2, 0)), R(2, 3, 4)),
    ("moveaxis", lambda m, x: x.moveaxis(-1, 0), R(2, 3, 4)),
    ("swapaxes", lambda m, x: m.swapaxes(x, 0, 2), R(2, 3, 4)),
    ("swapdims", lambda m, x: x.swapdims(-1, 1), R(2, 3, 4)),
    ("unflatten", lambda m, x: m.unflatten(x, 1, (2, -1)), R(2, 6)),
    ("unflatten neg", lambda m, x: x.unflatten(-1, (3, 2)), R(2, 6)),
    ("Tensor.unfold", lambda m, x: x.unfold(1, 3, 2), R(2, 7)),
    ("Tensor.unfold overlap", lambda m, x: x.unfold(0, 3, 1), R(5, 2)),
    ("Tensor.unfold 0d", lambda m, x: x.unfold(0, 1, 1), R()),
    ("Tensor.unfold transposed", lambda m, x: x.t().unfold(1, 2, 1), R(3, 2)),
    ("Tensor.unfold int", lambda m, x: x.unfold(-1, 2, 2), INTS),
    ("view_as", lambda m, x, y: x.view_as(y), R(2, 6), R(3, 4)),
    ("reshape_as", lambda m, x, y: x.t().reshape_as(y), R(2, 6), R(3, 4)),
    ("expand_as", lambda m, x, y: x.expand_as(y), R(3, 1), R(2, 3, 4)),
    ("roll", lambda m, x: m.roll(x, 1), R(2, 3)),
    ("roll dims", lambda m, x: m.roll(x, (1, -2), (0, 1)), R(2, 3)),
    ("roll neg dim", lambda m, x: x.roll(5, -1), R(2, 3)),
    ("roll empty", lambda m, x: m.roll(x, 1, 0), R(0, 3)),
    ("rot90", lambda m, x: m.rot90(x), R(2, 3)),
    ("rot90 k2", lambda m, x: m.rot90(x, 2, (1, 2)), R(2, 3, 4)),
    ("rot90 k3", lambda m, x: x.rot90(-1), R(2, 3)),
    ("rot90 k0", lambda m, x: x.rot90(4), R(2, 3)),
    ("fliplr", lambda m, x: m.fliplr(x), R(2, 3)),
    ("flipud", lambda m, x: m.flipud(x), R(2, 3)),
    ("repeat_interleave int", lambda m, x: m.repeat_interleave(x, 2), R(2, 3)),
    ("repeat_interleave dim", lambda m, x: x.repeat_interleave(3, dim=1), R(2, 3)),
    ("repeat_interleave tensor", lambda m, x, r: x.repeat_interleave(r, dim=0), R(3, 2), np.array([2, 0, 1])),
    (
        "repeat_interleave output_size",
        lambda m, x, r: m.repeat_interleave(x, r, dim=-1, output_size=4),
        R(2, 2),
        np.array([1, 3]),
    ),
    ("repeat_interleave counts", lambda m, r: m.repeat_interleave(r), np.array([2, 0, 3])),
    ("repeat_interleave 0d", lambda m, x: m.repeat_interleave(x, 3), R()),
    ("tile", lambda m, x: m.tile(x, (2,)), R(2, 3)),
    ("tile more", lambda m, x: x.tile((2, 1, 2)), R(2, 3)),
    ("tensor_split sections", lambda m, x: m.tensor_split(x, 3, dim=1), R(2, 7)),
    ("tensor_split indices", lambda m, x: x.tensor_split([1, 4, 9], dim=-1), R(2, 7)),
    ("tensor_split neg indices", lambda m, x: x.tensor_split((-2, 2), 1), R(2, 7)),
    ("tensor_split too many", lambda m, x: m.tensor_split(x, 5), R(3)),
    ("hsplit", lambda m, x: m.hsplit(x, 2), R(2, 4)),
    ("hsplit 1d", lambda m, x: m.hsplit(x, [1, 3]), R(5)),
    ("vsplit", lambda m, x: x.vsplit(2), R(4, 2)),
    ("dsplit", lambda m, x: m.dsplit(x, [1]), R(2, 2, 3)),
    ("hstack", lambda m, a, b: m.hstack([a, b]), R(2, 3), R(2, 1)),
    ("hstack 1d", lambda m, a, b: m.hstack((a, b)), R(3), R(2)),
    ("vstack", lambda m, a, b: m.vstack([a, b]), R(3), R(2, 3)),
    ("row_stack", lambda m, a, b: m.row_stack([a, b]), R(3), R(3)),
    ("dstack", lambda m, a, b: m.dstack([a, b]), R(3), R(1, 3)),
    ("dstack 2d", lambda m, a, b: m.dstack([a, b]), R(2, 3), R(2, 3, 2)),
    ("column_stack", lambda m, a, b, c: m.column_stack([a, b, c]), R(3), R(3, 2), R(3, 1)),
    ("atleast_1d", lambda m, a: m.atleast_1d(a), R()),
    ("atleast_2d many", lambda m, a, b: m.atleast_2d(a, b), R(), R(3)),
    ("atleast_3d", lambda m, a, b, c: m.atleast_3d((a, b, c)), R(), R(3), R(2, 3)),
    ("squeeze tuple", lambda m, x: m.squeeze(x, (0, 2, -1)), R(1, 3, 1, 2)),
    ("Tensor.squeeze tuple", lambda m, x: x.squeeze((1, 3)), R(1, 3, 1, 1)),
    ("narrow_copy", lambda m, x: m.narrow_copy(x, 1, 1, 2), R(2, 4)),
    ("narrow_copy neg", lambda m, x: x.narrow_copy(-1, 1, 2), R(2, 4)),
    ("ravel", lambda m, x: m.ravel(x.t()), R(2, 3)),
    ("contiguous", lambda m, x: x.t().contiguous(), R(2, 3)),
    (
        "is_contiguous",
        lambda m, x: (x.is_contiguous(), x.t().is_contiguous(), x.t().contiguous().is_contiguous()),
        R(2, 3),
        {"gradcheck": False},
    ),
    ("new_zeros", lambda m, x: x.new_zeros(2, 3), R(1).astype(np.float32)),
    ("new_zeros tuple", lambda m, x: x.new_zeros((2,)), INTS),
    ("new_ones dtype", lambda m, x: x.new_ones([2, 1], dtype=m.float64), INTS),
    ("new_full", lambda m, x: x.new_full((2, 2), 3.7), INTS),
    ("new_full float", lambda m, x: x.new_full((2,), 1), R(1).astype(np.float32)),
    ("new_empty", lambda m, x: x.new_empty(0, 2), R(1)),
    ("new_tensor", lambda m, x: x.new_tensor([1, 2]), R(1).astype(np.float32)),
    ("new_tensor dtype", lambda m, x: x.new_tensor([[1.5]], dtype=m.int64), R(1)),
    (
        "nelement",
        lambda m, x: (x.nelement(), x.numel(), m.numel(x), x.element_size()),
        R(2, 3),
        {"gradcheck": False},
    ),
    (
        "element_size",
        lambda m, x: (x.element_size(), x.float().element_size(), (x > 0).element_size()),
        INTS,
        {"gradcheck": False},
    ),
]


@pytest.mark.parametrize("call,arrays,opts", params(CASES))
def test_matches_torch(call, arrays, opts):
    check(
        call, *arrays, **{"const": (1,) if len(arrays) == 2 and arrays[1].dtype.kind == "i" else (), **opts}
    )


ERRORS = [
    ("select range", lambda m, x: m.select(x, 1, 3), R(2, 3)),
    ("unflatten sizes", lambda m, x: m.unflatten(x, 1, (4, 2)), R(2, 6)),
    ("unfold size", lambda m, x: x.unfold(1, 5, 1), R(2, 3)),
    ("movedim repeated", lambda m, x: m.movedim(x, (0, 0), (1, 2)), R(2, 3, 4)),
    ("roll lengths", lambda m, x: m.roll(x, (1, 2), 0), R(2, 3)),
    ("hsplit divisible", lambda m, x: m.hsplit(x, 3), R(2, 4)),
    ("vsplit 1d", lambda m, x: m.vsplit(x, 1), R(4)),
    ("repeat_interleave sizes", lambda m, x: m.repeat_interleave(x, m.tensor([1, 2]), dim=0), R(3)),
]


@pytest.mark.parametrize("call,arrays,opts", params(ERRORS))
def test_rejects_like_torch(call, arrays, opts):
    raises_like_torch(call, *arrays)


VIEWS = [
    lambda x: OURS.select(x, 1, 0),
    lambda x: OURS.unbind(x, 0)[1],
    lambda x: x.movedim(0, 1),
    lambda x: x.swapaxes(0, 1),
    lambda x: x.unflatten(1, (2, 2)),
    lambda x: x.unfold(1, 2, 1),
    lambda x: x.view_as(ag.zeros(4, 3)),
    lambda x: x.diagonal(),
]


@pytest.mark.parametrize("k", range(len(VIEWS)))
def test_view_ops_share_memory_and_say_so(k):
    x = ag.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    out = VIEWS[k](x)
    assert np.shares_memory(out._data, x._data)
    assert type(out.grad_fn).is_view is True
