"""`autograd_core.linalg`, PyTorch's `torch.linalg`: a list of names, the code lives in
`ops/decomp.py` (factorisations, norms), `ops/decomp_more.py` (compositions of
those) and `ops/products.py` (cross).

>>> import autograd_core as ag
>>> import autograd_core.linalg
>>> ag.linalg.det(ag.eye(2)).item()
1.0
"""

from .ops.decomp import (  # noqa: F401
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    matrix_norm,
    norm,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
    vector_norm,
)
from .ops.decomp_more import (  # noqa: F401
    diagonal,
    lstsq,
    matmul,
    matrix_exp,
    matrix_power,
    matrix_rank,
    multi_dot,
    pinv,
    solve_triangular,
    vecdot,
)
from .ops.products import linalg_cross as cross  # noqa: F401
