"""A character-level bigram language model on a list of names, built twice: by counting
(a 27x27 count matrix, smoothed, normalised; sampling names with `torch.multinomial` from a
seeded `torch.Generator`; the average negative log-likelihood), and as a one-layer neural net
(one-hot inputs via `F.one_hot`, logits = xenc @ W, softmax written out with exp and sum,
L2 regularisation, gradient descent with `W.data += -50 * W.grad`).

Source: karpathy/nn-zero-to-hero, lectures/makemore/makemore_part1_bigrams.ipynb
(the course "Neural Networks: Zero to Hero", lecture 2).
Changes besides `torch` -> the namespace passed in: the word list is made from texts that
ship with Python (the Zen of Python and the standard library's module names, see
`_shared.stdlib_words`) instead of downloading names.txt; the initial W comes from a seeded
NumPy generator instead of `torch.randn(..., generator=g)` (same start in both libraries);
`steps` descent steps instead of 100 (here 50); printing replaced by returned losses.
The notebook computes in float32 (`.float()` on the one-hot inputs), so this program does too,
whatever the default dtype; its comparison tolerance is a float32 one.
Sampling draws from each library's own generator, so the sampled names differ between
libraries; they do not feed the losses, which are deterministic.
"""

# ruff: noqa: B007 - loop variables kept as the original names them

import numpy as np

from ._shared import stdlib_words


def run(torch, steps=50, seed=0):
    F = torch.nn.functional
    words = stdlib_words()
    rng = np.random.default_rng(seed)

    # Bigram counts: '.' (index 0) marks both the start and the end of a word
    N = torch.zeros((27, 27), dtype=torch.int32)
    chars = sorted(list(set(''.join(words))))
    assert len(chars) == 26
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi['.'] = 0
    itos = {i: s for s, i in stoi.items()}
    for w in words:
        chs = ['.'] + list(w) + ['.']
        for ch1, ch2 in zip(chs, chs[1:]):
            ix1 = stoi[ch1]
            ix2 = stoi[ch2]
            N[ix1, ix2] += 1

    # Probabilities, with add-one smoothing so that no bigram has probability zero
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)

    g = torch.Generator().manual_seed(2147483647)
    names = []
    for i in range(5):
        out = []
        ix = 0
        while True:
            p = P[ix]
            ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
            out.append(itos[ix])
            if ix == 0:
                break
        names.append(''.join(out))
    assert all(name.endswith('.') for name in names)

    # Quality of the counting model: average negative log-likelihood of the training set
    log_likelihood = 0.0
    n = 0
    for w in words:
        chs = ['.'] + list(w) + ['.']
        for ch1, ch2 in zip(chs, chs[1:]):
            logprob = torch.log(P[stoi[ch1], stoi[ch2]])
            log_likelihood += logprob
            n += 1
    nll = -log_likelihood
    counting_loss = (nll / n).item()

    # The same model as a neural network: the training set of bigrams (x, y)
    xs, ys = [], []
    for w in words:
        chs = ['.'] + list(w) + ['.']
        for ch1, ch2 in zip(chs, chs[1:]):
            xs.append(stoi[ch1])
            ys.append(stoi[ch2])
    xs = torch.tensor(xs)
    ys = torch.tensor(ys)
    num = xs.nelement()

    # initialize the 'network'
    W = torch.tensor(rng.standard_normal((27, 27)), dtype=torch.float32, requires_grad=True)

    losses = []
    for k in range(steps):
        # forward pass
        xenc = F.one_hot(xs, num_classes=27).float()  # one-hot inputs
        logits = xenc @ W  # predict log-counts
        counts = logits.exp()  # counts, equivalent to N
        probs = counts / counts.sum(1, keepdims=True)  # probabilities for next character
        loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W ** 2).mean()
        losses.append(loss.item())

        # backward pass
        W.grad = None  # set to zero the gradient
        loss.backward()

        # update
        W.data += -50 * W.grad

    # the trained net approaches the counting model's loss from above
    assert losses[-1] > counting_loss - 0.05
    return losses
