"""The fused dense kernel behind `Dense` and the recurrent cells' input projections.

Internal to cornu (reached through `cornu.backend.kernels`); `cornu.backend.jax.dense` has the
same names.
"""
import torch
import torch.nn.functional as F

from ..symbolic import graph_op

__all__ = ['dense']


@graph_op
def dense(inputs, kernel, bias=None):
    """`inputs @ kernel + bias` as one kernel call (`addmm` for 2-D inputs).

    # Arguments
        inputs: tensor of shape `(..., input_dim)`.
        kernel: `(input_dim, units)` matrix (Keras layout).
        bias: optional `(units,)` vector.
    """
    if inputs.dim() == 2:
        if bias is None:
            return torch.mm(inputs, kernel)
        return torch.addmm(bias, inputs, kernel)
    return F.linear(inputs, kernel.t(), bias)
