"""Indexing validates its indices with PyTorch's rules (issue 16, item 2): narrow counts a
negative start from the end and refuses slices past the end; index_select and gather refuse
negative and out-of-range indices. Each case runs on autograd_core and, when installed, on
PyTorch, and both must agree (same values, same error type)."""

import numpy as np
import pytest

import autograd_core as ag


def _libs():
    libs = [pytest.param(ag, id="ag")]
    try:
        import torch
        libs.append(pytest.param(torch, id="torch"))
    except ImportError:  # the ag cases still run
        pass
    return libs


LIBS = _libs()


def _x(lib):
    return lib.arange(12.0).reshape(3, 4)


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t._data)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("dim,start,length,expected", [
    (0, -1, 1, [[8, 9, 10, 11]]),       # the last row (this returned an empty tensor)
    (0, -3, 2, [[0, 1, 2, 3], [4, 5, 6, 7]]),
    (1, -2, 2, [[2, 3], [6, 7], [10, 11]]),
    (-1, 1, 2, [[1, 2], [5, 6], [9, 10]]),
    (0, 3, 0, np.zeros((0, 4))),         # an empty slice at the very end is allowed
])
def test_narrow_values(lib, dim, start, length, expected):
    np.testing.assert_array_equal(_np(_x(lib).narrow(dim, start, length)), expected)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("dim,start,length,error", [
    (0, 2, 2, RuntimeError),   # past the end: was silently truncated
    (0, -4, 1, IndexError),    # start before the beginning
    (0, 4, 0, IndexError),     # start after the end
    (0, 0, -1, RuntimeError),  # negative length
    (2, 0, 1, IndexError),     # no such dim
])
def test_narrow_errors(lib, dim, start, length, error):
    with pytest.raises(error):
        _x(lib).narrow(dim, start, length)


def test_narrow_error_names_op_index_and_size():
    with pytest.raises(RuntimeError, match=r"narrow.*start \(2\) \+ length \(2\).*size \(3\)"):
        _x(ag).narrow(0, 2, 2)
    with pytest.raises(IndexError, match=r"narrow: start -4 .*size 3"):
        _x(ag).narrow(0, -4, 1)


def test_narrow_gradient_lands_on_the_last_row():
    x = ag.zeros(3, 2, requires_grad=True)
    x.narrow(0, -1, 1).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [[0, 0], [0, 0], [1, 1]])


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("index", [[-1], [3], [0, -3]])
def test_index_select_refuses_bad_indices(lib, index):
    with pytest.raises(IndexError):
        _x(lib).index_select(0, lib.tensor(index))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("index", [[[-1]], [[4]], [[0], [-4]]])
def test_gather_refuses_bad_indices(lib, index):
    with pytest.raises(RuntimeError):
        _x(lib).gather(1, lib.tensor(index))


@pytest.mark.parametrize("lib", LIBS)
def test_index_dtype_and_shape_errors_are_runtime_or_index_errors(lib):
    with pytest.raises(RuntimeError):
        _x(lib).index_select(0, lib.tensor([1.0]))
    with pytest.raises(RuntimeError):
        _x(lib).gather(1, lib.tensor([[1.0]]))
    with pytest.raises(RuntimeError):
        _x(lib).gather(1, lib.tensor([1]))  # index must have the input's number of dims
    with pytest.raises(IndexError):
        _x(lib).index_select(0, lib.tensor([[1]]))  # index must be a vector


@pytest.mark.parametrize("lib", LIBS)
def test_index_select_accepts_a_0d_index(lib):
    np.testing.assert_array_equal(_np(_x(lib).index_select(0, lib.tensor(1))), [[4, 5, 6, 7]])


def test_index_errors_name_op_index_and_size():
    with pytest.raises(IndexError, match=r"index_select: index -1 is out of bounds for dim 0 with size 3"):
        _x(ag).index_select(0, ag.tensor([-1]))
    with pytest.raises(RuntimeError, match=r"gather: index 4 is out of bounds for dim 1 with size 4"):
        _x(ag).gather(1, ag.tensor([[4]]))
