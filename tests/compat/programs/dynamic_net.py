"""Dynamic control flow: a polynomial model whose forward pass adds a random number (0 to 2)
of extra terms x^4, x^5 that reuse the same parameter `e`, trained by SGD with momentum.

Source: pytorch/tutorials, beginner_source/examples_nn/dynamic_net.py
("Learning PyTorch with Examples", part "PyTorch: Control Flow + Weight Sharing").
Changes besides `torch` -> the namespace passed in: `random.seed(seed)` at the start so both
libraries see the same sequence of depths (the original leaves Python's `random` unseeded);
one added `same_init(...)` line; fewer steps; per-step losses returned. Default dtype
(float64 in the comparison).
"""

# ruff: noqa: B007 - loop variables kept as the original names them

import math
import random

from ._shared import same_init


def make_model_class(torch):
    class DynamicNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.randn(()))
            self.b = torch.nn.Parameter(torch.randn(()))
            self.c = torch.nn.Parameter(torch.randn(()))
            self.d = torch.nn.Parameter(torch.randn(()))
            self.e = torch.nn.Parameter(torch.randn(()))

        def forward(self, x):
            """Cubic part, then 0, 1 or 2 higher terms, all weighted by the shared `e`: the
            graph is rebuilt on every call, so ordinary Python control flow is enough."""
            y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
            for exp in range(4, random.randint(4, 6)):
                y = y + self.e * x ** exp
            return y

        def string(self):
            return (f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + '
                    f'{self.d.item()} x^3 + {self.e.item()} x^4 ? + {self.e.item()} x^5 ?')

    return DynamicNet


def run(torch, steps=300, seed=0):
    random.seed(seed)
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)

    model = make_model_class(torch)()
    same_init(torch, model, seed)

    # Plain SGD is slow on this problem, so the original uses momentum
    criterion = torch.nn.MSELoss(reduction='sum')
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
    losses = []
    for t in range(steps):
        y_pred = model(x)

        loss = criterion(y_pred, y)
        losses.append(loss.item())

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert model.string().startswith('y = ')
    return losses
