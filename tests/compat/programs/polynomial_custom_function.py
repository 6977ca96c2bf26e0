"""Fit y = sin(x) with y = a + b * P3(c + d * x), P3 the Legendre polynomial of degree three,
written as a custom `autograd.Function` with its own forward and backward.

Source: pytorch/tutorials, beginner_source/examples_autograd/polynomial_custom_function.py
("Learning PyTorch with Examples", part "PyTorch: Defining new autograd functions").
Changes besides `torch` -> the namespace passed in: `dtype` is a parameter (float64 for the
comparison); fewer steps; per-step losses returned. The start values are the original's
constants (a=0, b=-1, c=0, d=0.3), so nothing random remains.
"""

# ruff: noqa: B007 - loop variables kept as the original names them

import math


def make_legendre(torch):
    class LegendrePolynomial3(torch.autograd.Function):
        """P3(x) = (5x^3 - 3x) / 2 with a hand-written derivative 1.5 (5x^2 - 1)."""

        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    return LegendrePolynomial3


def run(torch, steps=300, dtype=None, seed=0):
    dtype = dtype or torch.float
    device = torch.device("cpu")
    LegendrePolynomial3 = make_legendre(torch)

    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)

    # Weights start near the solution so the fit converges (as in the original)
    a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)

    learning_rate = 5e-6
    losses = []
    for t in range(steps):
        # Custom Functions are applied through .apply
        P3 = LegendrePolynomial3.apply

        y_pred = a + b * P3(c + d * x)

        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())

        loss.backward()

        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad

            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
    return losses
