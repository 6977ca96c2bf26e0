"""optim: optimizers, learning-rate schedules, early stopping and a training loop.

    >>> import autograd_core as ag
    >>> import optim
    >>> w = ag.tensor([3.0], requires_grad=True)
    >>> opt = optim.Adam([w], lr=0.5)
    >>> for _ in range(50):
    ...     opt.zero_grad(); ((w - 1) ** 2).sum().backward(); opt.step()
    >>> abs(w.item() - 1) < 0.1
    True
"""

from . import lr_scheduler, swa_utils
from .adagrad import Adadelta, Adagrad
from .adam import Adam, AdamW
from .adam_variants import Adamax, NAdam, RAdam
from .asgd import ASGD, Rprop
from .early_stopping import EarlyStopping
from .fit import History, accuracy, evaluate, fit
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop",
    "LBFGS", "Optimizer", "lr_scheduler", "swa_utils", "EarlyStopping", "fit", "evaluate", "accuracy", "History",
]
