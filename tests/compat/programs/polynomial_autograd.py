"""Fit y = sin(x) with a third-order polynomial, gradients from autograd.

Source: pytorch/tutorials, beginner_source/examples_autograd/polynomial_autograd.py
("Learning PyTorch with Examples", part "PyTorch: Tensors and autograd").
Changes besides `torch` -> the namespace passed in: random coefficients from a seeded NumPy
generator instead of `torch.randn`; `dtype` is a parameter (float64 for the comparison);
fewer steps; per-step losses returned instead of printed.
"""

# ruff: noqa: B007 - loop variables kept as the original names them

import math

import numpy as np


def run(torch, steps=300, dtype=None, seed=0):
    dtype = dtype or torch.float
    device = torch.device("cpu")
    rng = np.random.default_rng(seed)

    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype, device=device)
    y = torch.sin(x)

    # Tensors for the weights; requires_grad=True so that backward() fills their .grad
    a, b, c, d = (torch.tensor(rng.standard_normal(), dtype=dtype, device=device, requires_grad=True)
                  for _ in range(4))

    learning_rate = 1e-6
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3

        # loss is a 0-d tensor; loss.item() is its Python number
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())

        loss.backward()

        # Update in place, outside the graph
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad

            # Zero the gradients after updating weights
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return losses
