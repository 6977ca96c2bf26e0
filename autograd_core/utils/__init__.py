"""`autograd_core.utils`: PyTorch's `torch.utils` (data loading lives in `.data`)."""

from . import data  # noqa: F401
