"""DistributedSampler: PyTorch's index assignment, disjoint shares, reshuffle per epoch."""

import pytest

from autograd_core.distributed.sampler import DistributedSampler


@pytest.mark.parametrize("n", [0, 1, 7, 10, 12])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_shares_match_torch(n, replicas, drop_last):
    pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("replicas", [2, 3])
def test_shuffled_shares_cover_the_data_and_change_with_the_epoch(replicas):
    def shares(epoch, seed=0):
        out = []
        for rank in range(replicas):
            s = DistributedSampler(range(12), replicas, rank, shuffle=True, seed=seed)
            s.set_epoch(epoch)
            out.append(list(s))
        return out

    first = shares(0)
    assert sorted(i for share in first for i in share) == list(range(12))  # disjoint, complete
    assert first == shares(0)  # every rank derives the same permutation
    assert first != shares(1) and first != shares(0, seed=5)
    assert first != [list(range(12))[r::replicas] for r in range(replicas)]


def test_padding_wraps_around_and_drop_last_cuts():
    shares = [list(DistributedSampler(range(5), 3, r, shuffle=False)) for r in range(3)]
    assert shares == [[0, 3], [1, 4], [2, 0]]
    assert [list(DistributedSampler(range(5), 3, r, shuffle=False, drop_last=True)) for r in range(3)] == [
        [0], [1], [2]]


def test_bad_arguments():
    with pytest.raises(ValueError, match="Invalid rank 2"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))  # no group and no num_replicas/rank
