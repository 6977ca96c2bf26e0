"""Differentiable primitives, one family per module. Each op is an `Op` subclass with
`forward` and `backward` on raw ndarrays, plus a lowercase function that applies it.

A family module that adds Tensor methods lists them in a `TENSOR_METHODS` dict
(method name -> function taking the tensor first) and is named in `METHOD_TABLES`
below; `tensor.py` binds every table when it is imported, so `tensor.py` itself stays
a short file and each method's name appears literally next to its op.
"""

# Family modules (under autograd_core.ops) whose TENSOR_METHODS tensor.py binds.
METHOD_TABLES: list[str] = [
    "reduce",
    "products",
    "decomp",
    "decomp_more",
    "scan",
    "ordering",
    "shape_more",
    "scatter",
    "pointwise",
    "logical",
    "reduce_more",
    "stats",
    "masking",
    "sorting",
    "sampling",
]
