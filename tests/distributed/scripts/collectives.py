"""Every collective against a NumPy reference; run with mpiexec -n 2 or -n 3."""

import datetime

import numpy as np

import autograd_core as ag
import autograd_core.distributed as dist

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=20))
rank, size = dist.get_rank(), dist.get_world_size()
SHAPE = (3, 4)


def data(r, shape=SHAPE, dtype=np.float64):
    return np.random.default_rng(100 + r).standard_normal(shape).astype(dtype)


everyone = np.stack([data(r) for r in range(size)])
mine = data(rank)

for op, reference in [(dist.ReduceOp.SUM, everyone.sum(0)), (dist.ReduceOp.AVG, everyone.mean(0)),
                      (dist.ReduceOp.PRODUCT, everyone.prod(0)), (dist.ReduceOp.MIN, everyone.min(0)),
                      (dist.ReduceOp.MAX, everyone.max(0))]:
    t = ag.tensor(mine.copy())
    raw = t._data
    dist.all_reduce(t, op=op)
    assert t._data is raw, "all_reduce must work in place"
    np.testing.assert_allclose(t._data, reference, rtol=1e-12, err_msg=str(op))

# float32 and an integer tensor; a non-contiguous view is updated in place through its base
t = ag.tensor(mine.astype(np.float32))
dist.all_reduce(t)
np.testing.assert_allclose(t._data, everyone.sum(0).astype(np.float32), rtol=1e-5)
ints = ag.tensor(np.arange(6).reshape(2, 3) * (rank + 1))
dist.all_reduce(ints, op=dist.ReduceOp.MAX)
np.testing.assert_array_equal(ints._data, np.arange(6).reshape(2, 3) * size)
bits = [np.array([1 << r, 0b1010 + r, 7]) for r in range(size)]
for op, reduce_bits in [(dist.ReduceOp.BAND, np.bitwise_and), (dist.ReduceOp.BOR, np.bitwise_or),
                        (dist.ReduceOp.BXOR, np.bitwise_xor)]:
    t = ag.tensor(bits[rank].copy())
    dist.all_reduce(t, op=op)
    np.testing.assert_array_equal(t._data, reduce_bits.reduce(bits), err_msg=str(op))
t = ag.tensor(mine.copy())
dist.reduce(t, dst=0, op=dist.ReduceOp.AVG)
if rank == 0:
    np.testing.assert_allclose(t._data, everyone.mean(0))
base = ag.tensor(mine.copy())
view = ag.Tensor._make(base._data.T, None)
dist.all_reduce(view)
np.testing.assert_allclose(base._data, everyone.sum(0))

# async
t = ag.tensor(mine.copy())
work = dist.all_reduce(t, async_op=True)
assert work.wait() and work.is_completed()
np.testing.assert_allclose(t._data, everyone.sum(0))

src = size - 1
t = ag.tensor(mine.copy())
dist.broadcast(t, src=src)
np.testing.assert_array_equal(t._data, data(src))

t = ag.tensor(mine.copy())
dist.reduce(t, dst=1, op=dist.ReduceOp.SUM)
np.testing.assert_allclose(t._data, everyone.sum(0) if rank == 1 else mine)

outs = [ag.zeros(*SHAPE, dtype=ag.float64) for _ in range(size)]
dist.all_gather(outs, ag.tensor(mine))
for r in range(size):
    np.testing.assert_array_equal(outs[r]._data, data(r))

cat = ag.zeros(size * 3, 4, dtype=ag.float64)
dist.all_gather_into_tensor(cat, ag.tensor(mine))
np.testing.assert_array_equal(cat._data, np.concatenate(everyone))
stacked = ag.zeros(size, 3, 4, dtype=ag.float64)
dist.all_gather_into_tensor(stacked, ag.tensor(mine))
np.testing.assert_array_equal(stacked._data, everyone)

# reduce_scatter: rank r contributes chunks data(r, (size, 3, 4)); gets sum over ranks of chunk `rank`
chunks = [np.random.default_rng(7 + r).standard_normal((size, 2, 2)) for r in range(size)]
out = ag.zeros(2, 2, dtype=ag.float64)
dist.reduce_scatter(out, [ag.tensor(c) for c in chunks[rank]])
np.testing.assert_allclose(out._data, sum(c[rank] for c in chunks))
out = ag.zeros(2, 2, dtype=ag.float64)
dist.reduce_scatter_tensor(out, ag.tensor(chunks[rank].reshape(size * 2, 2)), op=dist.ReduceOp.AVG)
np.testing.assert_allclose(out._data, sum(c[rank] for c in chunks) / size)

dst = size - 1
gathered = [ag.zeros(*SHAPE, dtype=ag.float64) for _ in range(size)] if rank == dst else None
dist.gather(ag.tensor(mine), gathered, dst=dst)
if rank == dst:
    for r in range(size):
        np.testing.assert_array_equal(gathered[r]._data, data(r))

t = ag.zeros(*SHAPE, dtype=ag.float64)
pieces = [ag.tensor(data(10 + r)) for r in range(size)] if rank == 0 else None
dist.scatter(t, pieces, src=0)
np.testing.assert_array_equal(t._data, data(10 + rank))

# point to point: a ring
right, left = (rank + 1) % size, (rank - 1) % size
got = ag.zeros(*SHAPE, dtype=ag.float64)
work = dist.isend(ag.tensor(mine), dst=right)
assert dist.recv(got, src=left) == left
work.wait()
np.testing.assert_array_equal(got._data, data(left))
if rank == 0:
    dist.send(ag.tensor([1.0, 2.0], dtype=ag.float64), dst=1, tag=5)
elif rank == 1:
    buf = ag.zeros(2, dtype=ag.float64)
    assert dist.recv(buf, tag=5) == 0
    np.testing.assert_array_equal(buf._data, [1.0, 2.0])

objs = [None] * size
dist.all_gather_object(objs, {"rank": rank, "name": f"r{rank}", "v": [1.5, None]})
assert objs == [{"rank": r, "name": f"r{r}", "v": [1.5, None]} for r in range(size)]
items = [{"lr": 0.1}, "x", 3] if rank == 0 else [None, None, None]
dist.broadcast_object_list(items, src=0)
assert items == [{"lr": 0.1}, "x", 3]
try:
    dist.all_gather_object(objs, {1, 2} if rank == 1 else 0)
except dist.DistError as exc:
    assert "rank 1" in str(exc) and "JSON" in str(exc), exc
else:
    raise AssertionError("a set is not JSON: every rank must raise")

# mismatched shapes raise on every rank, naming all of them
t = ag.zeros(rank + 1, 2)
try:
    dist.all_reduce(t)
except dist.DistError as exc:
    assert all(f"rank {r}: all_reduce float32({r + 1}, 2)" in str(exc) for r in range(size)), exc
else:
    raise AssertionError("shape mismatch went unnoticed")

assert dist.get_world_size(dist.group.WORLD) == size
try:
    dist.all_reduce(ag.ones(1), group="some subgroup")
except ValueError as exc:
    assert "default group" in str(exc)
else:
    raise AssertionError("subgroups are not supported and must say so")

dist.barrier(group=dist.group.WORLD)
dist.destroy_process_group()
print(f"rank {rank}: collectives OK", flush=True)
