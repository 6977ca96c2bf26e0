"""Functional neural-network operations (re-exported as `nn.functional`).

>>> import autograd_core as ag
>>> F = ag.functional
>>> F.relu(ag.tensor([-1.0, 1.0]))
tensor([0., 1.])
"""

from .ops.activation import gelu, leaky_relu, relu, sigmoid, softplus, tanh
from .ops.attention import scaled_dot_product_attention
from .ops.conv import conv1d, conv2d
from .ops.dropout import dropout
from .ops.encoding import one_hot
from .ops.linalg import linear
from .ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
)
from .ops.pool import avg_pool2d, max_pool1d, max_pool2d
from .ops.shape import pad
from .ops.softmax import log_softmax, softmax

__all__ = [
    "avg_pool2d", "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv1d", "conv2d",
    "cross_entropy", "dropout", "gelu", "l1_loss", "leaky_relu", "linear", "log_softmax",
    "max_pool1d", "max_pool2d", "mse_loss", "nll_loss", "pad", "relu", "sigmoid", "softmax",
    "softplus", "tanh",
    "one_hot", "scaled_dot_product_attention",
]

# -- nn.functional additions (issue 12): activations ------------------------------------
from .ops.activation_ext import (  # noqa: E402
    celu,
    elu,
    gelu,  # noqa: F811 - adds approximate='tanh' to ops.activation.gelu
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    prelu,
    relu6,
    rrelu,
    selu,
    silu,
    softmin,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
)

__all__ += [
    "celu", "elu", "glu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "logsigmoid", "mish",
    "prelu", "relu6", "rrelu", "selu", "silu", "softmin", "softshrink", "softsign", "tanhshrink",
    "threshold",
]

# -- normalisation, padding, resampling, convolutions and pooling -------------------------
from .ops.conv3d import conv3d  # noqa: E402
from .ops.conv_transpose import conv_transpose1d, conv_transpose2d, conv_transpose3d  # noqa: E402
from .ops.norm import (  # noqa: E402
    batch_norm,
    cosine_similarity,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    normalize,
    pairwise_distance,
    rms_norm,
)
from .ops.padding import pad  # noqa: E402,F811 - adds modes and negative pads to ops.shape.pad
from .ops.pool_ext import (  # noqa: E402,F811 - extends the fast pools of ops.pool
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    lp_pool1d,
    lp_pool2d,
    max_pool1d,
    max_pool2d,
    max_unpool1d,
    max_unpool2d,
)
from .ops.resample import (  # noqa: E402
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from .ops.unfold import fold, unfold  # noqa: E402

__all__ += [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "avg_pool1d", "batch_norm", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "cosine_similarity", "fold", "group_norm", "instance_norm", "interpolate", "layer_norm",
    "local_response_norm", "lp_pool1d", "lp_pool2d", "max_unpool1d", "max_unpool2d", "normalize",
    "pairwise_distance", "pixel_shuffle", "pixel_unshuffle", "rms_norm", "unfold", "upsample",
    "upsample_bilinear", "upsample_nearest",
]

# -- losses: new ones, and weight=/ignore_index= forms of the classic ones ----------------
from .ops.loss_ext import (  # noqa: E402,F811 - the classic names gain PyTorch's full signatures
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
)

__all__ += [
    "cosine_embedding_loss", "gaussian_nll_loss", "hinge_embedding_loss", "huber_loss", "kl_div",
    "margin_ranking_loss", "multi_margin_loss", "multilabel_soft_margin_loss", "poisson_nll_loss",
    "smooth_l1_loss", "soft_margin_loss", "triplet_margin_loss",
]

# -- dropout variants, embeddings, bilinear ------------------------------------------------
from .ops.dropout_ext import (  # noqa: E402
    alpha_dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from .ops.embedding import bilinear, embedding, embedding_bag  # noqa: E402

__all__ += [
    "alpha_dropout", "bilinear", "dropout1d", "dropout2d", "dropout3d", "embedding", "embedding_bag",
    "feature_alpha_dropout",
]
from .ops.ctc import ctc_loss  # noqa: E402

__all__ += ["ctc_loss"]

# -- 3-D pools, *_with_indices, and a few more ---------------------------------------------
from .ops.activation_ext import gumbel_softmax  # noqa: E402
from .ops.loss_ext import multilabel_margin_loss, triplet_margin_with_distance_loss  # noqa: E402
from .ops.norm import pdist  # noqa: E402
from .ops.pool3d import (  # noqa: E402
    adaptive_avg_pool3d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
    avg_pool3d,
    lp_pool3d,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
    max_pool3d,
    max_pool3d_with_indices,
    max_unpool3d,
)
from .ops.resample import channel_shuffle  # noqa: E402

__all__ += [
    "adaptive_avg_pool3d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "avg_pool3d", "channel_shuffle",
    "gumbel_softmax", "lp_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d",
    "max_pool3d_with_indices", "max_unpool3d", "multilabel_margin_loss", "pdist",
    "triplet_margin_with_distance_loss",
]
from .ops.grid import affine_grid, grid_sample  # noqa: E402

__all__ += ["affine_grid", "grid_sample"]
