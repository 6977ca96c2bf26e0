"""The pytorch/examples MNIST convnet: two 3x3 convolutions, max-pool, dropout, two linear
layers, log-softmax with `F.nll_loss`, Adadelta with a `StepLR` schedule, a train and a test
function per epoch, and the final `torch.save(model.state_dict(), ...)`.

Source: pytorch/examples, mnist/main.py.
Changes besides `torch` -> the namespace passed in: data swapped from torchvision's MNIST
(1x28x28) for scikit-learn's 8x8 digits (normalised with their own mean and std, as the
original does with MNIST's), so `fc1` is `nn.Linear(256, 128)` instead of
`nn.Linear(9216, 128)`; argparse replaced by a small `Args` object; one added `same_init(...)`
line; epochs of `steps_per_epoch` batches; per-step losses returned instead of printed; the
state dict is saved to a temporary directory. The dropout probabilities are arguments of
`Net`: the comparison with PyTorch (`deterministic=True`) sets them to 0, since each library
draws dropout masks from its own generator.
"""

import os
import tempfile

import numpy as np

from ._shared import digits, same_init


def make_net(torch):
    nn = torch.nn
    F = torch.nn.functional

    class Net(nn.Module):
        def __init__(self, p1=0.25, p2=0.5):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(p1)
            self.dropout2 = nn.Dropout(p2)
            self.fc1 = nn.Linear(256, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = F.relu(x)
            x = self.conv2(x)
            x = F.relu(x)
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.dropout2(x)
            x = self.fc2(x)
            output = F.log_softmax(x, dim=1)
            return output

    return Net


def train(torch, args, model, device, train_loader, optimizer, epoch, losses):
    F = torch.nn.functional
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if batch_idx % args.log_interval == 0:
            '{}/{} ({:.0f}%) {:.6f}'.format(batch_idx * len(data), len(train_loader.dataset),
                                            100. * batch_idx / len(train_loader), loss.item())


def test(torch, model, device, test_loader):
    F = torch.nn.functional
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)
    return test_loss, correct


class Args:
    batch_size = 64
    test_batch_size = 1000
    epochs = 2
    lr = 1.0
    gamma = 0.7
    log_interval = 10
    save_model = True
    seed = 1


def run(torch, steps=20, deterministic=False, seed=0):
    args = Args()
    steps_per_epoch = steps // args.epochs
    torch.manual_seed(args.seed)
    device = torch.device("cpu")

    images, labels = digits()
    images = (images - images.mean()) / images.std()
    n_train = args.batch_size * steps_per_epoch
    dtype = torch.get_default_dtype()
    dataset1 = torch.utils.data.TensorDataset(torch.tensor(images[:n_train, None], dtype=dtype),
                                              torch.tensor(labels[:n_train]))
    dataset2 = torch.utils.data.TensorDataset(torch.tensor(images[n_train:, None], dtype=dtype),
                                              torch.tensor(labels[n_train:]))
    train_loader = torch.utils.data.DataLoader(dataset1, batch_size=args.batch_size)
    test_loader = torch.utils.data.DataLoader(dataset2, batch_size=args.test_batch_size)

    Net = make_net(torch)
    model = (Net(0.0, 0.0) if deterministic else Net()).to(device)
    same_init(torch, model, seed)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=args.lr)

    StepLR = torch.optim.lr_scheduler.StepLR
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    losses = []
    for epoch in range(1, args.epochs + 1):
        train(torch, args, model, device, train_loader, optimizer, epoch, losses)
        test_loss, correct = test(torch, model, device, test_loader)
        scheduler.step()

    if args.save_model:
        with tempfile.TemporaryDirectory() as folder:
            torch.save(model.state_dict(), os.path.join(folder, "mnist_cnn.pt"))
            assert os.path.getsize(os.path.join(folder, "mnist_cnn.pt")) > 0
    assert np.isfinite(test_loss) and 0 <= correct <= len(dataset2)
    return losses
