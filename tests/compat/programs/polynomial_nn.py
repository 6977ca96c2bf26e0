"""Fit y = sin(x) with `nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))` on the features
(x, x^2, x^3), updating the parameters by hand under `no_grad`.

Source: pytorch/tutorials, beginner_source/examples_nn/polynomial_nn.py
("Learning PyTorch with Examples", part "PyTorch: nn").
Changes besides `torch` -> the namespace passed in: one added line `same_init(...)` so both
libraries start from the same weights; fewer steps; per-step losses returned. The dtype is
the default dtype (the comparison sets it to float64).
"""

# ruff: noqa: B007 - loop variables kept as the original names them

import math

from ._shared import same_init


def run(torch, steps=300, seed=0):
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)

    # y is linear in (x, x^2, x^3): build that feature tensor by broadcasting a power vector
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)

    model = torch.nn.Sequential(
        torch.nn.Linear(3, 1),
        torch.nn.Flatten(0, 1)
    )
    same_init(torch, model, seed)

    loss_fn = torch.nn.MSELoss(reduction='sum')

    learning_rate = 1e-6
    losses = []
    for t in range(steps):
        y_pred = model(xx)

        loss = loss_fn(y_pred, y)
        losses.append(loss.item())

        model.zero_grad()

        loss.backward()

        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    return losses
