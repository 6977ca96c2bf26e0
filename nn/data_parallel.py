"""`DataParallel` as PyTorch's CPU-only build has it: with no accelerator to scatter to,
it runs the wrapped module on the inputs as they are. The wrapped module is the child
`module`, so state_dict keys carry PyTorch's "module." prefix.

    >>> import autograd_core as ag
    >>> import nn
    >>> model = nn.DataParallel(nn.Linear(3, 2))
    >>> list(model.state_dict())
    ['module.weight', 'module.bias']
"""

from __future__ import annotations

from .module import Module


class DataParallel(Module):
    """Wrap `module`; `device_ids`, `output_device` and `dim` are kept for compatibility
    (there is only the CPU, so no replicas are made)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: module must be an nn.Module, got {type(module).__name__}")
        self.module = module
        self.device_ids = [] if device_ids is None else list(device_ids)
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
