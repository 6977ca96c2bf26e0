"""DDP training equals single-process training on the concatenated batch; run with mpiexec -n 2 or 3.

Every rank also trains the single-process reference itself (on the full batch), so the
comparison needs no files: after 20 steps the DDP parameters must equal the reference's.
"""

import datetime
import sys

import numpy as np

import autograd_core as ag
import autograd_core.distributed as dist
import nn
import optim
from nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=30))
rank, size = dist.get_rank(), dist.get_world_size()
STEPS, PER_RANK = 20, 8


def mlp():
    return nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))


def cnn():
    from autograd_core.demo import build_cnn
    return build_cnn()


def batches(kind):
    rng = np.random.default_rng(0)
    shape = (10,) if kind == "mlp" else (1, 8, 8)
    for _ in range(STEPS):
        x = rng.standard_normal((PER_RANK * size,) + shape).astype(np.float32)
        y = rng.integers(0, 3 if kind == "mlp" else 10, PER_RANK * size)
        yield x, y


def train(kind, model, x_of, make_opt, accumulate=1):
    loss_fn = nn.CrossEntropyLoss()
    optimizer = make_opt(model.parameters())
    data = list(batches(kind))
    for step in range(0, STEPS, accumulate):
        optimizer.zero_grad()
        for k in range(accumulate):
            x, y = x_of(data[step + k])
            last = k == accumulate - 1
            context = model.no_sync() if (not last and isinstance(model, DDP)) else _nothing()
            with context:
                loss = loss_fn(model(ag.tensor(x)), ag.tensor(y)) / accumulate
                loss.backward()
        optimizer.step()
    return model


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def my_share(batch):
    x, y = batch
    return x[rank * PER_RANK:(rank + 1) * PER_RANK], y[rank * PER_RANK:(rank + 1) * PER_RANK]


def check(kind, build, make_opt, accumulate=1, rtol=2e-5, atol=2e-6):
    ag.manual_seed(1000 + rank)  # ranks start different: DDP must broadcast rank 0's weights
    ddp = DDP(build(), bucket_cap_mb=0.001)  # small buckets: several all-reduces per backward
    ag.manual_seed(1000)  # the reference starts from rank 0's weights
    reference = build()
    for p, q in zip(reference.parameters(), ddp.module.parameters()):
        np.testing.assert_array_equal(p._data, q._data)
    train(kind, ddp, my_share, make_opt, accumulate)
    train(kind, reference, lambda b: b, make_opt, accumulate)
    for (name, p), q in zip(reference.named_parameters(), ddp.module.parameters()):
        np.testing.assert_allclose(q._data, p._data, rtol=rtol, atol=atol, err_msg=f"{kind} {name}")
    # every rank holds the same parameters, bit for bit
    flat = ag.tensor(np.concatenate([q._data.ravel() for q in ddp.module.parameters()]))
    copy = ag.tensor(flat._data.copy())
    dist.broadcast(copy, src=0)
    np.testing.assert_array_equal(flat._data, copy._data)
    print(f"rank {rank}: {kind} accumulate={accumulate} OK", flush=True)


def check_sampler_epochs():
    """Two epochs over 10 samples, shared by DistributedSampler (padded when 10 % size != 0)
    with a last, shorter batch: DDP equals one process on each step's concatenated batches."""
    from autograd_core.distributed.sampler import DistributedSampler

    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((10, 10)).astype(np.float32), rng.integers(0, 3, 10)
    ag.manual_seed(7)
    ddp = DDP(mlp())
    ag.manual_seed(7)
    reference = mlp()
    samplers = [DistributedSampler(range(10), size, r, shuffle=True, seed=11) for r in range(size)]
    loss_fn = nn.CrossEntropyLoss()
    for model, ranks in ((ddp, [rank]), (reference, range(size))):
        optimizer = optim.SGD(model.parameters(), lr=0.2)
        for epoch in range(2):
            shares = []
            for r in ranks:
                samplers[r].set_epoch(epoch)
                shares.append(np.array(list(samplers[r])))
            for start in range(0, len(shares[0]), 3):
                idx = np.concatenate([share[start:start + 3] for share in shares])
                optimizer.zero_grad()
                loss_fn(model(ag.tensor(x[idx])), ag.tensor(y[idx])).backward()
                optimizer.step()
    for (name, p), q in zip(reference.named_parameters(), ddp.module.parameters()):
        np.testing.assert_allclose(q._data, p._data, rtol=2e-5, atol=2e-6, err_msg=f"sampler {name}")
    print(f"rank {rank}: sampler epochs OK", flush=True)


sgd = lambda params: optim.SGD(params, lr=0.1, momentum=0.9)
which = sys.argv[1:] or ["mlp", "cnn", "no_sync", "sampler"]
if "mlp" in which:
    check("mlp", mlp, sgd)
if "cnn" in which:
    check("cnn", cnn, sgd)
if "no_sync" in which:
    check("mlp", mlp, sgd, accumulate=4)
if "sampler" in which:
    check_sampler_epochs()
dist.destroy_process_group()
