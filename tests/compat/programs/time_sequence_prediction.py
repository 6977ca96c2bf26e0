"""Learn sine waves with two stacked `nn.LSTMCell`s and a linear read-out, unrolled by hand
over time, trained in float64 by L-BFGS with a closure, then predicting into the future under
`no_grad`.

Source: pytorch/examples, time_sequence_prediction/train.py (data from
time_sequence_prediction/generate_sine_wave.py).
Changes besides `torch` -> the namespace passed in: the sine data are generated in memory
(8 waves of 40 points instead of 100 of 1000, same formula and NumPy seed) instead of being
loaded from `traindata.pt`; 4 L-BFGS steps of at most 5 evaluations each (the original: 15
steps, default 20); 20 future points instead of 1000; the matplotlib plots are dropped; one
added `same_init(...)` line; per-step losses returned instead of printed.
"""

# ruff: noqa: B007 - loop variables kept as the original names them

import numpy as np

from ._shared import same_init


def make_sequence(torch):
    nn = torch.nn

    class Sequence(nn.Module):
        def __init__(self):
            super(Sequence, self).__init__()
            self.lstm1 = nn.LSTMCell(1, 51)
            self.lstm2 = nn.LSTMCell(51, 51)
            self.linear = nn.Linear(51, 1)

        def forward(self, input, future=0):
            outputs = []
            h_t = torch.zeros(input.size(0), 51, dtype=torch.double)
            c_t = torch.zeros(input.size(0), 51, dtype=torch.double)
            h_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)
            c_t2 = torch.zeros(input.size(0), 51, dtype=torch.double)

            for input_t in input.split(1, dim=1):
                h_t, c_t = self.lstm1(input_t, (h_t, c_t))
                h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                output = self.linear(h_t2)
                outputs += [output]
            for i in range(future):  # if we should predict the future
                h_t, c_t = self.lstm1(output, (h_t, c_t))
                h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
                output = self.linear(h_t2)
                outputs += [output]
            outputs = torch.cat(outputs, dim=1)
            return outputs

    return Sequence


def sine_waves(T=20, L=40, N=8):
    """The original generator's formula: shifted sines, one wave per row."""
    rng = np.random.RandomState(2)
    x = np.empty((N, L), 'int64')
    x[:] = np.array(range(L)) + rng.randint(-4 * T, 4 * T, N).reshape(N, 1)
    return np.sin(x / 1.0 / T).astype('float64')


def run(torch, steps=4, seed=0):
    nn = torch.nn
    optim = torch.optim
    np.random.seed(0)
    torch.manual_seed(0)
    # make the training set
    data = sine_waves()
    input = torch.from_numpy(data[3:, :-1])
    target = torch.from_numpy(data[3:, 1:])
    test_input = torch.from_numpy(data[:3, :-1])
    test_target = torch.from_numpy(data[:3, 1:])
    # build the model
    seq = make_sequence(torch)()
    seq.double()
    same_init(torch, seq, seed)
    criterion = nn.MSELoss()
    # L-BFGS: the whole data set fits in one batch
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8, max_iter=5)
    losses = []
    for i in range(steps):
        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            loss.backward()
            return loss
        losses.append(optimizer.step(closure).item())
        # predict, no need to track gradient here
        with torch.no_grad():
            future = 20
            pred = seq(test_input, future=future)
            loss = criterion(pred[:, :-future], test_target)
            y = pred.detach().numpy()
        assert y.shape == (3, 39 + future) and np.isfinite(loss.item())
    return losses
