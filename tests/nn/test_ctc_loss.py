"""F.ctc_loss and nn.CTCLoss against PyTorch in float64 (values and gradients through
log_softmax), gradcheck, impossible alignments and zero_infinity."""

import numpy as np
import pytest

import autograd_core as ag
import nn

torch = pytest.importorskip("torch")
rng = np.random.default_rng(5)
T, N, C = 6, 3, 4
X = rng.standard_normal((T, N, C))
PADDED = np.array([[1, 2, 2], [3, 1, 0], [2, 3, 1]])
CASES = {
    "padded": (PADDED, [6, 5, 6], [3, 2, 3], {}),
    "concatenated": (np.array([1, 2, 2, 3, 1, 2, 3, 1]), [6, 5, 6], [3, 2, 3], {}),
    "empty target": (PADDED, [6, 4, 6], [3, 0, 2], {}),
    "blank 3": (np.array([[1, 2, 2], [0, 1, 2], [2, 0, 1]]), [6, 6, 5], [3, 3, 2], {"blank": 3}),
    "impossible zero_infinity": (
        np.array([[1, 1, 1], [3, 1, 0], [2, 3, 1]]),
        [4, 5, 6],
        [3, 2, 3],
        {"zero_infinity": True},
    ),
}


def _run(lib, F, x, targets, il, tl, kwargs, reduction):
    log_probs = lib.log_softmax(x, 2)
    return F.ctc_loss(
        log_probs, lib.tensor(targets), lib.tensor(il), lib.tensor(tl), reduction=reduction, **kwargs
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name, reduction):
    targets, il, tl, kwargs = CASES[name]
    xo, xt = ag.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    ours = _run(ag, ag.functional, xo, targets, il, tl, kwargs, reduction)
    theirs = _run(torch, torch.nn.functional, xt, targets, il, tl, kwargs, reduction)
    np.testing.assert_allclose(ours._data, theirs.detach().numpy(), rtol=1e-9)
    v = rng.standard_normal(ours.shape)
    (ours * ag.tensor(v)).sum().backward()
    (theirs * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(xo.grad._data, xt.grad.numpy(), atol=1e-10)


def test_impossible_alignment_is_inf():
    lp = ag.log_softmax(ag.tensor(X), 2)
    loss = ag.functional.ctc_loss(lp, ag.tensor(PADDED), [2, 5, 6], [3, 2, 3], reduction="none")
    assert np.isinf(loss._data[0]) and np.isfinite(loss._data[1:]).all()


def test_gradcheck_and_module():
    x = ag.tensor(rng.standard_normal((5, 2, 3)), requires_grad=True)
    ctc = nn.CTCLoss(blank=0)
    assert ag.gradcheck(
        lambda t: ctc(ag.log_softmax(t, 2), ag.tensor([[1, 2], [2, 2]]), [5, 4], [2, 2]), (x,)
    )
    unbatched = ag.functional.ctc_loss(ag.log_softmax(ag.tensor(X[:, 0]), 1), ag.tensor([1, 2]), [6], [2])
    expected = torch.nn.functional.ctc_loss(
        torch.log_softmax(torch.tensor(X[:, 0]), 1),
        torch.tensor([1, 2]),
        torch.tensor([6]),
        torch.tensor([2]),
    )
    np.testing.assert_allclose(unbatched.item(), expected.item())


def test_bad_arguments():
    lp = ag.log_softmax(ag.tensor(X), 2)
    with pytest.raises(ValueError):
        ag.functional.ctc_loss(lp, ag.tensor(PADDED), [7, 5, 6], [3, 2, 3])
    with pytest.raises(ValueError):
        ag.functional.ctc_loss(lp, ag.tensor(PADDED), [6, 5, 6], [3, 2, 3], reduction="avg")
    with pytest.raises(ValueError):
        ag.functional.ctc_loss(lp, ag.tensor(PADDED), [6, 5], [3, 2])
