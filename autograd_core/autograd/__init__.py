"""`autograd_core.autograd` is PyTorch's `torch.autograd`: `Function`, `grad`, `backward`,
`gradcheck`, `gradgradcheck`, `functional` (jacobian, hessian, vjp, jvp, hvp, vhp).

    >>> import autograd_core as ag
    >>> x = ag.tensor(3.0, requires_grad=True)
    >>> (g,) = ag.autograd.grad(x ** 2, x, create_graph=True)
    >>> ag.autograd.grad(g, x)
    (tensor(2.),)
"""

from ..engine import grad
from ..function import Function, once_differentiable
from ..grad_mode import detect_anomaly, enable_grad, no_grad, set_detect_anomaly, set_grad_enabled
from ..gradcheck import gradcheck, gradgradcheck
from . import function, functional


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulate the gradients of `tensors` (weighted by `grad_tensors`) into the leaves."""
    from ..engine import backward as _backward
    from ..tensor import Tensor

    tensors = (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = (grad_tensors,) * len(tensors) if grad_tensors is None else (grad_tensors,)
    for t, g in zip(tensors, grad_tensors):
        _backward(t, g, retain_graph if len(tensors) == 1 else True if retain_graph is None else retain_graph,
                  create_graph, inputs)


def Variable(data, requires_grad: bool = False, volatile: bool = False):  # noqa: N802
    """PyTorch's old `Variable(tensor)` wrapper: today simply the tensor (with requires_grad)."""
    from ..tensor import Tensor

    t = data if isinstance(data, Tensor) else Tensor(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


__all__ = [
    "Function", "Variable", "backward", "detect_anomaly", "enable_grad", "function", "functional",
    "grad", "gradcheck", "gradgradcheck", "no_grad", "once_differentiable", "set_detect_anomaly",
    "set_grad_enabled",
]
