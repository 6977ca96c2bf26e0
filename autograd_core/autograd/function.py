"""`autograd_core.autograd.function`: PyTorch's `torch.autograd.function`."""

from ..function import Function, once_differentiable  # noqa: F401

FunctionCtx = Function  # the type of `ctx` in forward/backward
