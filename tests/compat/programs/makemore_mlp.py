"""A character-level MLP language model in the style of Bengio et al. 2003: a context of three
characters, a learned 10-dimensional embedding table `C`, `C[X[ix]]` indexing, a tanh
hidden layer, `F.cross_entropy`, minibatches drawn with `torch.randint(..., generator=g)`,
and the hand-written update `p.data += -lr * p.grad`; train/dev/test split of the words.

Source: karpathy/nn-zero-to-hero, lectures/makemore/makemore_part2_mlp.ipynb
(the course "Neural Networks: Zero to Hero", lecture 3).
Changes besides `torch` -> the namespace passed in: the word list is made from texts that
ship with Python (see `_shared.stdlib_words`) instead of downloading names.txt; C, W1, b1,
W2, b2 come from a seeded NumPy generator instead of `torch.randn(..., generator=g)`;
`steps` minibatch steps instead of 200000, learning rate 0.1 throughout; losses returned.
With `deterministic=True` (the comparison) the minibatch indices come from a seeded NumPy
generator instead of `torch.randint(..., generator=g)`, whose streams differ between the
two libraries.
"""

# ruff: noqa: B007 - loop variables kept as the original names them

import random

import numpy as np

from ._shared import stdlib_words


def run(torch, steps=100, deterministic=False, seed=0):
    F = torch.nn.functional
    words = stdlib_words()
    rng = np.random.default_rng(seed)

    # build the vocabulary of characters and mappings to/from integers
    chars = sorted(list(set(''.join(words))))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi['.'] = 0
    itos = {i: s for s, i in stoi.items()}
    assert len(itos) == 27

    # build the dataset
    block_size = 3  # context length: how many characters do we take to predict the next one?

    def build_dataset(words):
        X, Y = [], []
        for w in words:
            context = [0] * block_size
            for ch in w + '.':
                ix = stoi[ch]
                X.append(context)
                Y.append(ix)
                context = context[1:] + [ix]  # crop and append
        X = torch.tensor(X)
        Y = torch.tensor(Y)
        return X, Y

    random.seed(42)
    random.shuffle(words)
    n1 = int(0.8 * len(words))
    n2 = int(0.9 * len(words))
    Xtr, Ytr = build_dataset(words[:n1])
    Xdev, Ydev = build_dataset(words[n1:n2])
    Xte, Yte = build_dataset(words[n2:])

    g = torch.Generator().manual_seed(2147483647)  # for reproducibility

    def randn(*shape):
        return torch.tensor(rng.standard_normal(shape), dtype=torch.get_default_dtype())

    C = randn(27, 10)
    W1 = randn(30, 200)
    b1 = randn(200)
    W2 = randn(200, 27)
    b2 = randn(27)
    parameters = [C, W1, b1, W2, b2]
    assert sum(p.nelement() for p in parameters) == 27 * 10 + 30 * 200 + 200 + 200 * 27 + 27
    for p in parameters:
        p.requires_grad = True

    losses = []
    for i in range(steps):
        # minibatch construct
        if deterministic:
            ix = torch.tensor(rng.integers(0, Xtr.shape[0], (32,)))
        else:
            ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)

        # forward pass
        emb = C[Xtr[ix]]  # (32, 3, 10)
        h = torch.tanh(emb.view(-1, 30) @ W1 + b1)  # (32, 200)
        logits = h @ W2 + b2  # (32, 27)
        loss = F.cross_entropy(logits, Ytr[ix])
        losses.append(loss.item())

        # backward pass
        for p in parameters:
            p.grad = None
        loss.backward()

        # update
        lr = 0.1
        for p in parameters:
            p.data += -lr * p.grad

    # evaluate on the dev split
    emb = C[Xdev]
    h = torch.tanh(emb.view(-1, 30) @ W1 + b1)
    logits = h @ W2 + b2
    dev_loss = F.cross_entropy(logits, Ydev)
    assert np.isfinite(dev_loss.item()) and Xte.shape[1] == block_size
    return losses
