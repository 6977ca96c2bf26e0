"""DDP's other promises: unused parameters, buffers, a clear error for differing models;
and init_process_group's check of the RANK / WORLD_SIZE convention. mpiexec -n 2."""

import datetime
import os

import numpy as np

import autograd_core as ag
import autograd_core.distributed as dist
import nn
import optim
from nn.parallel import DistributedDataParallel as DDP

os.environ["WORLD_SIZE"] = "5"
try:
    dist.init_process_group("mpi")
except ValueError as exc:
    assert "WORLD_SIZE" in str(exc) and "5" in str(exc), exc
else:
    raise AssertionError("WORLD_SIZE=5 under mpiexec -n 2 must be refused")
del os.environ["WORLD_SIZE"]
# PyTorch's CPU spelling, with rank and world size given as a torch program would (MPICH's PMI_RANK)
dist.init_process_group("gloo", init_method="env://", world_size=2, rank=int(os.environ["PMI_RANK"]),
                        timeout=datetime.timedelta(seconds=20))
rank, size = dist.get_rank(), dist.get_world_size()
assert os.environ["RANK"] == str(rank) and os.environ["WORLD_SIZE"] == str(size)


class Branches(nn.Module):
    """`left` is used on rank 0 only, `never` by nobody."""

    def __init__(self):
        super().__init__()
        self.trunk = nn.Linear(3, 4)
        self.left = nn.Linear(4, 1)
        self.right = nn.Linear(4, 1)
        self.never = nn.Linear(4, 1)

    def forward(self, x, use_left):
        h = self.trunk(x).tanh()
        return (self.left(h) if use_left else 0) + self.right(h)


def local_grads(model, x, use_left):
    model.zero_grad()
    model(ag.tensor(x), use_left).sum().backward()
    return {n: (None if p.grad is None else p.grad._data.copy()) for n, p in model.named_parameters()}


# find_unused_parameters=True: averages over ranks, zero where a rank did not use a parameter
ag.manual_seed(0)
plain = Branches()
x = np.random.default_rng(rank).standard_normal((5, 3)).astype(np.float32)
mine = local_grads(plain, x, rank == 0)
everyone = [None] * size
dist.all_gather_object(everyone, {n: (None if g is None else g.tolist()) for n, g in mine.items()})
ddp = DDP(plain, find_unused_parameters=True)
ddp.zero_grad()
ddp(ag.tensor(x), rank == 0).sum().backward()
for name, p in plain.named_parameters():
    contributions = [np.asarray(e[name], np.float32) for e in everyone if e[name] is not None]
    if not contributions:
        assert p.grad is None, f"{name} is used by no rank: its grad must stay None"
        continue
    expected = sum(contributions) / size
    np.testing.assert_allclose(p.grad._data, expected, rtol=1e-6, atol=1e-7, err_msg=name)

# find_unused_parameters=False: a parameter without gradient is an error on every rank, named
strict = DDP(Branches())
try:
    strict(ag.tensor(x), True).sum().backward()
except RuntimeError as exc:
    assert "never.weight" in str(exc) and "find_unused_parameters=True" in str(exc), exc
else:
    raise AssertionError("an unused parameter without find_unused_parameters must raise")

# buffers: rank 0's running statistics reach every rank before each forward (unless switched off)
for broadcast_buffers in (True, False):
    bn = nn.BatchNorm1d(3)
    bn.running_mean._data[...] = rank + 1.0
    model = DDP(nn.Sequential(nn.Linear(3, 3), bn), broadcast_buffers=broadcast_buffers).eval()
    np.testing.assert_array_equal(bn.running_mean._data, np.ones(3, np.float32))  # construction
    bn.running_mean._data[...] = rank + 1.0
    model(ag.ones(2, 3))
    expected = 1.0 if broadcast_buffers else rank + 1.0
    np.testing.assert_array_equal(bn.running_mean._data, np.full(3, expected, np.float32))

# ranks that build different models get an error naming the difference, on every rank
try:
    DDP(nn.Linear(3, 4 + rank))
except ValueError as exc:
    assert "weight" in str(exc) and "(4, 3)" in str(exc) and "(5, 3)" in str(exc), exc
else:
    raise AssertionError("different models must be refused")

# optim.fit under DDP: every rank records the same means, over all ranks' samples
ag.manual_seed(0)
model = DDP(nn.Linear(3, 2))
data = np.random.default_rng(10 + rank).standard_normal((6, 5)).astype(np.float32)
loader = [(ag.tensor(data[i:i + 3, :3]), ag.tensor(data[i:i + 3, 3:])) for i in (0, 3)]
history = optim.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader, val_loader=loader,
                    epochs=2, progress=False)
with ag.no_grad():
    local = float(nn.MSELoss()(model(ag.tensor(data[:, :3])), ag.tensor(data[:, 3:])).item())
histories, losses = [None] * size, [None] * size
dist.all_gather_object(histories, [history.train_loss, history.val_loss])
dist.all_gather_object(losses, local)
assert all(h == histories[0] for h in histories), histories
np.testing.assert_allclose(history.val_loss[-1], np.mean(losses), rtol=1e-5)

dist.destroy_process_group()
assert not dist.is_initialized()
print(f"rank {rank}: ddp features OK", flush=True)
