"""Fit y = sin(x) with a custom `nn.Module` holding four scalar Parameters, trained by SGD.

Source: pytorch/tutorials, beginner_source/examples_nn/polynomial_module.py
("Learning PyTorch with Examples", part "PyTorch: Custom nn Modules").
Changes besides `torch` -> the namespace passed in: one added `same_init(...)` line (the
original draws the parameters with `torch.randn(())`); fewer steps; per-step losses returned.
Default dtype (float64 in the comparison).
"""

# ruff: noqa: B007 - loop variables kept as the original names them

import math

from ._shared import same_init


def make_model_class(torch):
    class Polynomial3(torch.nn.Module):
        def __init__(self):
            """Four scalar parameters, registered by assigning Parameters as attributes."""
            super().__init__()
            self.a = torch.nn.Parameter(torch.randn(()))
            self.b = torch.nn.Parameter(torch.randn(()))
            self.c = torch.nn.Parameter(torch.randn(()))
            self.d = torch.nn.Parameter(torch.randn(()))

        def forward(self, x):
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

        def string(self):
            return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3'

    return Polynomial3


def run(torch, steps=300, seed=0):
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)

    model = make_model_class(torch)()
    same_init(torch, model, seed)

    criterion = torch.nn.MSELoss(reduction='sum')
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
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
