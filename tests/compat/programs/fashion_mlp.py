"""Train the three-layer MLP of "Build the Neural Network" / "Optimizing Model Parameters"
(Flatten, Linear-ReLU-Linear-ReLU-Linear, cross-entropy, SGD) with a DataLoader, using the
tutorial's `train_loop` and `test_loop`.

Source: pytorch/tutorials, beginner_source/basics/optimization_tutorial.py (model from
beginner_source/basics/buildmodel_tutorial.py).
Changes besides `torch` -> the namespace passed in: data swapped from torchvision's
FashionMNIST (1x28x28) for scikit-learn's 8x8 digits in a `TensorDataset`, so the first layer
is `nn.Linear(8*8, 512)` instead of `nn.Linear(28*28, 512)`; one added `same_init(...)` line;
learning rate 0.1 instead of 1e-3 (the original needs ten epochs of 60000 images to move);
training stops after `steps` batches; per-step losses returned instead of printed every 100
batches. The tutorial's loaders do not shuffle, so nothing random is left.
"""

# ruff: noqa: B007 - loop variables kept as the original names them

from ._shared import digits, same_init


def make_network(torch):
    nn = torch.nn

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(8 * 8, 512),
                nn.ReLU(),
                nn.Linear(512, 512),
                nn.ReLU(),
                nn.Linear(512, 10),
            )

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    return NeuralNetwork


def run(torch, steps=20, seed=0):
    DataLoader = torch.utils.data.DataLoader
    TensorDataset = torch.utils.data.TensorDataset

    batch_size = 64
    images, labels = digits(batch_size * steps + 256)
    split = batch_size * steps
    dtype = torch.get_default_dtype()
    training_data = TensorDataset(torch.tensor(images[:split, None], dtype=dtype),
                                  torch.tensor(labels[:split]))
    test_data = TensorDataset(torch.tensor(images[split:, None], dtype=dtype),
                              torch.tensor(labels[split:]))
    train_dataloader = DataLoader(training_data, batch_size=batch_size)
    test_dataloader = DataLoader(test_data, batch_size=batch_size)

    model = make_network(torch)()
    same_init(torch, model, seed)

    learning_rate = 1e-1
    losses = []

    def train_loop(dataloader, model, loss_fn, optimizer):
        size = len(dataloader.dataset)
        # training mode: matters for dropout and batch norm, set as the tutorial's best practice
        model.train()
        for batch, (X, y) in enumerate(dataloader):
            pred = model(X)
            loss = loss_fn(pred, y)

            loss.backward()
            optimizer.step()
            optimizer.zero_grad()

            losses.append(loss.item())
            if batch % 100 == 0:
                loss, current = loss.item(), batch * batch_size + len(X)
                assert current <= size

    def test_loop(dataloader, model, loss_fn):
        model.eval()
        size = len(dataloader.dataset)
        num_batches = len(dataloader)
        test_loss, correct = 0, 0

        # no gradients in evaluation: no graph is recorded
        with torch.no_grad():
            for X, y in dataloader:
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(torch.float).sum().item()

        test_loss /= num_batches
        correct /= size
        return test_loss, correct

    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)

    epochs = 1
    for t in range(epochs):
        train_loop(train_dataloader, model, loss_fn, optimizer)
        test_loss, correct = test_loop(test_dataloader, model, loss_fn)
    assert 0.0 <= correct <= 1.0
    return losses
