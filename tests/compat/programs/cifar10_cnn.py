"""Train the small LeNet-style CNN of "Training a classifier" (two conv + pool layers, three
linear layers, cross-entropy, SGD with momentum), then measure test accuracy.

Source: pytorch/tutorials, beginner_source/blitz/cifar10_tutorial.py
("Deep Learning with PyTorch: A 60 Minute Blitz", "Training a Classifier").
Changes besides `torch` -> the namespace passed in: data swapped from torchvision's CIFAR-10
(3x32x32 colour images) for scikit-learn's 8x8 digits, enlarged to 32x32 by repeating each
pixel 4x4 and copied to three channels, normalised as the original's (x - 0.5) / 0.5 -- so
the network is the original one, unchanged; a `TensorDataset` stands in for the torchvision
dataset; one added `same_init(...)` line and a `torch.manual_seed(seed)` (the tutorial leaves
the shuffling unseeded); `steps` batches instead of two epochs; per-step
losses returned instead of printed every 2000 batches. With `deterministic=True` (the
comparison with PyTorch) the loader does not shuffle, since each library shuffles with its
own generator.
"""

# ruff: noqa: B007 - loop variables kept as the original names them

import numpy as np

from ._shared import digits, same_init


def make_net(torch):
    nn = torch.nn
    F = torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)  # flatten all dimensions except batch
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x

    return Net


def digit_images_32(n):
    """Digits as 3x32x32 images in [-1, 1] and their labels (the CIFAR-10 stand-in)."""
    images, labels = digits(n)
    big = np.kron(images, np.ones((4, 4)))                 # (n, 32, 32)
    big = np.repeat(big[:, None], 3, axis=1)               # (n, 3, 32, 32)
    return (big - 0.5) / 0.5, labels


def run(torch, steps=200, deterministic=False, seed=0):
    torch.manual_seed(seed)  # added: the shuffling order, so a run is repeatable
    images, labels = digit_images_32(4 * steps + 100)
    dtype = torch.get_default_dtype()
    trainset = torch.utils.data.TensorDataset(torch.tensor(images[:4 * steps], dtype=dtype),
                                              torch.tensor(labels[:4 * steps]))
    testset = torch.utils.data.TensorDataset(torch.tensor(images[4 * steps:], dtype=dtype),
                                             torch.tensor(labels[4 * steps:]))
    batch_size = 4
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=batch_size,
                                              shuffle=not deterministic, num_workers=0)
    testloader = torch.utils.data.DataLoader(testset, batch_size=batch_size,
                                             shuffle=False, num_workers=0)

    net = make_net(torch)()
    same_init(torch, net, seed)

    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

    losses = []
    for epoch in range(1):  # loop over the dataset (one epoch here)
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            # get the inputs; data is a list of [inputs, labels]
            inputs, labels = data

            optimizer.zero_grad()

            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()

            running_loss += loss.item()
            losses.append(loss.item())

    correct = 0
    total = 0
    # no gradients needed for evaluation
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            outputs = net(images)
            # the class with the highest energy is the prediction
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    assert 0 <= correct <= total == 100
    return losses
