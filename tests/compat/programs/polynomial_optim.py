"""Fit y = sin(x) with the `nn.Sequential` polynomial model and the RMSprop optimizer.

Source: pytorch/tutorials, beginner_source/examples_nn/polynomial_optim.py
("Learning PyTorch with Examples", part "PyTorch: optim").
Changes besides `torch` -> the namespace passed in: one added `same_init(...)` line; fewer
steps; per-step losses returned. Default dtype (float64 in the comparison).
"""

# ruff: noqa: B007 - loop variables kept as the original names them

import math

from ._shared import same_init


def run(torch, steps=300, seed=0):
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)

    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)

    model = torch.nn.Sequential(
        torch.nn.Linear(3, 1),
        torch.nn.Flatten(0, 1)
    )
    same_init(torch, model, seed)
    loss_fn = torch.nn.MSELoss(reduction='sum')

    learning_rate = 1e-3
    optimizer = torch.optim.RMSprop(model.parameters(), lr=learning_rate)
    losses = []
    for t in range(steps):
        y_pred = model(xx)

        loss = loss_fn(y_pred, y)
        losses.append(loss.item())

        # Clear the gradients the previous backward accumulated, then step
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return losses
