"""Fit a random degree-4 polynomial with one `nn.Linear` on the features (x, x^2, x^3, x^4),
`F.smooth_l1_loss`, and a hand-written update `param.data.add_(-0.1 * param.grad)` until the
loss drops below 1e-3; then print the learned polynomial with format specs on tensors.

Source: pytorch/examples, regression/main.py.
Changes besides `torch` -> the namespace passed in: the target coefficients and each batch's
inputs come from a seeded NumPy generator instead of `torch.randn` (same data in both
libraries); one added `same_init(...)` line; at most `steps` batches (the original loops until
the criterion); per-step losses returned and the two descriptions returned instead of printed.
"""

from itertools import count

import numpy as np

from ._shared import same_init

POLY_DEGREE = 4


def run(torch, steps=200, seed=0):
    F = torch.nn.functional
    rng = np.random.default_rng(seed)
    dtype = torch.get_default_dtype()
    W_target = torch.tensor(rng.standard_normal((POLY_DEGREE, 1)), dtype=dtype) * 5
    b_target = torch.tensor(rng.standard_normal(1), dtype=dtype) * 5

    def make_features(x):
        """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
        x = x.unsqueeze(1)
        return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)

    def f(x):
        """Approximated function."""
        return x.mm(W_target) + b_target.item()

    def poly_desc(W, b):
        """Creates a string description of a polynomial."""
        result = 'y = '
        for i, w in enumerate(W):
            result += '{:+.2f} x^{} '.format(w, i + 1)
        result += '{:+.2f}'.format(b[0])
        return result

    def get_batch(batch_size=32):
        """Builds a batch i.e. (x, f(x)) pair."""
        random = torch.tensor(rng.standard_normal(batch_size), dtype=dtype)
        x = make_features(random)
        y = f(x)
        return x, y

    # Define model
    fc = torch.nn.Linear(W_target.size(0), 1)
    same_init(torch, fc, seed)

    losses = []
    for batch_idx in count(1):
        # Get data
        batch_x, batch_y = get_batch()

        # Reset gradients
        fc.zero_grad()

        # Forward pass
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        losses.append(loss)

        # Backward pass
        output.backward()

        # Apply gradients
        for param in fc.parameters():
            param.data.add_(-0.1 * param.grad)

        # Stop criterion
        if loss < 1e-3 or batch_idx == steps:
            break

    learned = poly_desc(fc.weight.view(-1), fc.bias)
    actual = poly_desc(W_target.view(-1), b_target)
    assert learned.startswith('y = ') and actual.startswith('y = ')
    return losses
