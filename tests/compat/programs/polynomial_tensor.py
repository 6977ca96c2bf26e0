"""Fit y = sin(x) with a third-order polynomial, gradients computed by hand.

Source: pytorch/tutorials, beginner_source/examples_tensor/polynomial_tensor.py
("Learning PyTorch with Examples", part "PyTorch: Tensors").
Changes besides `torch` -> the namespace passed in: the four random coefficients come from a
seeded NumPy generator instead of `torch.randn` (same start in both libraries); `dtype` is a
parameter (float64 for the comparison; the original uses `torch.float`); fewer steps; the
loss of every step is returned instead of printed every 100 steps.
"""

# ruff: noqa: B007 - loop variables kept as the original names them

import math

import numpy as np


def run(torch, steps=300, dtype=None, seed=0):
    dtype = dtype or torch.float
    device = torch.device("cpu")
    rng = np.random.default_rng(seed)

    # Create random input and output data
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)

    # Randomly initialize weights
    a, b, c, d = (torch.tensor(rng.standard_normal(), device=device, dtype=dtype) for _ in range(4))

    learning_rate = 1e-6
    losses = []
    for t in range(steps):
        # Forward pass: compute predicted y
        y_pred = a + b * x + c * x ** 2 + d * x ** 3

        # Compute and record loss
        loss = (y_pred - y).pow(2).sum().item()
        losses.append(loss)

        # Backprop to compute gradients of a, b, c, d with respect to loss
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()

        # Update weights using gradient descent
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d
    return losses
