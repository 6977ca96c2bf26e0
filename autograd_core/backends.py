"""`autograd_core.backends`: PyTorch's `torch.backends` switches, answering as PyTorch's
CPU-only build does (`mps.is_available()` is False; `cudnn.benchmark = True` is accepted).

    >>> import autograd_core as ag
    >>> ag.backends.mps.is_available(), ag.backends.cudnn.is_available()
    (False, False)
"""

from __future__ import annotations

from .devices import _Unavailable


class _Cudnn(_Unavailable):
    """Flags that programs set for cuDNN; stored, and without effect on the CPU."""

    def __init__(self):
        super().__init__("backends.cudnn")
        self.enabled = True
        self.benchmark = False
        self.deterministic = False
        self.allow_tf32 = False


mps = _Unavailable("backends.mps")
cuda = _Unavailable("backends.cuda")
cudnn = _Cudnn()
