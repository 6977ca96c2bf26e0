"""Loss modules added or extended for issue 12 against torch.nn: state_dict keys (class
weights are buffers), values and input gradients in float64."""

import numpy as np
import pytest
from nn_testing import same_state_dict_layout

import autograd_core as ag
import nn

torch = pytest.importorskip("torch")
rng = np.random.default_rng(3)


def arr(*shape, low=-2.0, high=2.0):
    return rng.uniform(low, high, shape)


IDX, W3 = np.array([2, 0, 1, 1]), np.array([0.5, 2.0, 1.5])
SIGNS = rng.choice([-1.0, 1.0], 4)
# (class name, constructor kwargs with arrays for tensors, float inputs, constant extra inputs)
MODULES = [
    ("CrossEntropyLoss", {"weight": W3, "label_smoothing": 0.1}, [arr(4, 3)], [IDX]),
    ("CrossEntropyLoss", {"ignore_index": 1, "reduction": "sum"}, [arr(4, 3)], [IDX]),
    ("NLLLoss", {"weight": W3}, [arr(4, 3)], [IDX]),
    ("NLLLoss", {"size_average": False}, [arr(4, 3)], [IDX]),
    (
        "BCELoss",
        {"weight": arr(3, low=0.1, high=1)},
        [arr(4, 3, low=0.1, high=0.9), arr(4, 3, low=0, high=1)],
        [],
    ),
    ("BCEWithLogitsLoss", {"pos_weight": arr(3, low=0.5, high=2)}, [arr(4, 3), arr(4, 3, low=0, high=1)], []),
    ("SmoothL1Loss", {"beta": 0.5}, [arr(4, 3), arr(4, 3)], []),
    ("HuberLoss", {"delta": 0.5, "reduction": "sum"}, [arr(4, 3), arr(4, 3)], []),
    ("KLDivLoss", {"reduction": "batchmean"}, [arr(4, 3), arr(4, 3, low=0.1, high=1)], []),
    ("KLDivLoss", {"log_target": True, "reduce": False}, [arr(4, 3), arr(4, 3)], []),
    ("PoissonNLLLoss", {"full": True}, [arr(4, 3), arr(4, 3, low=0, high=5)], []),
    ("GaussianNLLLoss", {"full": True}, [arr(4, 3), arr(4, 3), arr(4, 3, low=0.2, high=2)], []),
    ("CosineEmbeddingLoss", {"margin": 0.2}, [arr(4, 5), arr(4, 5)], [SIGNS]),
    ("MarginRankingLoss", {"margin": 0.5}, [arr(4), arr(4)], [SIGNS]),
    ("HingeEmbeddingLoss", {"margin": 2.0}, [arr(4)], [SIGNS]),
    ("TripletMarginLoss", {"margin": 0.5, "swap": True}, [arr(4, 5), arr(4, 5), arr(4, 5)], []),
    ("MultiMarginLoss", {"p": 2, "weight": W3}, [arr(4, 3)], [IDX]),
    ("SoftMarginLoss", {}, [arr(4)], [SIGNS]),
    ("MultiLabelSoftMarginLoss", {"weight": arr(3, low=0.1, high=1)}, [arr(4, 3)], [(arr(4, 3) > 0) * 1.0]),
]


@pytest.mark.parametrize("case", MODULES, ids=[f"{c[0]}{sorted(c[1])}" for c in MODULES])
def test_matches_torch(case):
    name, kwargs, floats, consts = case
    ours = getattr(nn, name)(
        **{k: ag.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    )
    theirs = getattr(torch.nn, name)(
        **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    )
    same_state_dict_layout(ours, theirs)
    o_in = [ag.tensor(x, requires_grad=True) for x in floats]
    t_in = [torch.tensor(x, requires_grad=True) for x in floats]
    o = ours(*o_in, *[ag.tensor(c) for c in consts])
    t = theirs(*t_in, *[torch.tensor(c) for c in consts])
    np.testing.assert_allclose(o._data, t.detach().numpy(), rtol=1e-9, atol=1e-12)
    v = rng.standard_normal(o.shape)
    (o * ag.tensor(v)).sum().backward()
    (t * torch.tensor(v)).sum().backward()
    for a, b in zip(o_in, t_in):
        np.testing.assert_allclose(a.grad._data, b.grad.numpy(), rtol=1e-8, atol=1e-12)


def test_reduction_validated():
    with pytest.raises(ValueError):
        nn.HuberLoss(reduction="avg")
    with pytest.raises(ValueError):
        nn.SmoothL1Loss(reduction="batchmean")
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"
    assert nn.NLLLoss(reduce=False).reduction == "none"
