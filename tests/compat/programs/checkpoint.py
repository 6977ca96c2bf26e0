"""Save and load a general checkpoint: a dict with the epoch, the model's and the optimizer's
state dicts and the last loss, written with `torch.save` and read back with
`torch.load(..., weights_only=True)` into a fresh model and optimizer, which go on training.

Source: pytorch/tutorials, recipes_source/recipes/saving_and_loading_a_general_checkpoint.py
(the recipe's `Net` is the CNN of the "Training a classifier" tutorial).
Changes besides `torch` -> the namespace passed in: the recipe only saves and loads; here the
model trains for `steps // 2` steps before the checkpoint and `steps - steps // 2` after it,
on scikit-learn's digits enlarged to 3x32x32 (see cifar10_cnn.py), so the losses after loading
show that weights and momentum buffers came back; the checkpoint goes to a temporary
directory instead of "model.pt"; one added `same_init(...)` line.
"""

import os
import tempfile

from ._shared import same_init
from .cifar10_cnn import digit_images_32, make_net


def run(torch, steps=200, seed=0):
    nn = torch.nn
    optim = torch.optim
    images, labels = digit_images_32(4 * steps)
    dtype = torch.get_default_dtype()
    inputs = torch.tensor(images, dtype=dtype)
    targets = torch.tensor(labels)
    Net = make_net(torch)
    criterion = nn.CrossEntropyLoss()

    net = Net()
    same_init(torch, net, seed)
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    losses = []

    def train(model, optimizer, first, last):
        model.train()
        for i in range(first, last):
            optimizer.zero_grad()
            loss = criterion(model(inputs[4 * i:4 * i + 4]), targets[4 * i:4 * i + 4])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return loss.item()

    # Train, then save the general checkpoint
    EPOCH = 5
    LOSS = train(net, optimizer, 0, steps // 2)
    with tempfile.TemporaryDirectory() as folder:
        PATH = os.path.join(folder, "model.pt")
        torch.save({
                    'epoch': EPOCH,
                    'model_state_dict': net.state_dict(),
                    'optimizer_state_dict': optimizer.state_dict(),
                    'loss': LOSS,
                    }, PATH)

        # Load it into a new model and optimizer
        model = Net()
        optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)

        checkpoint = torch.load(PATH, weights_only=True)
        model.load_state_dict(checkpoint['model_state_dict'])
        optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
        epoch = checkpoint['epoch']
        loss = checkpoint['loss']
    assert epoch == EPOCH and loss == LOSS

    # Resume training
    model.train()
    train(model, optimizer, steps // 2, steps)
    return losses
