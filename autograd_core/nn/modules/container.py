"""`autograd_core.nn.modules.container`: Sequential, ModuleList, ModuleDict."""

from nn.containers import *  # noqa: F403
