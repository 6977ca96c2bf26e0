"""`autograd_core.optim` is PyTorch's `torch.optim`: the top-level `optim` package,
re-exported (the same objects)."""

from optim import *  # noqa: F403
from optim import (
    __all__,  # noqa: F401
    lr_scheduler,  # noqa: F401
)
