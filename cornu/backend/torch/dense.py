"""The fused dense kernel behind `Dense` and the recurrent cells' input projections.

Internal to cornu (reached through `cornu.backend.kernels`); `cornu.backend.jax.dense` has the
same names.
"""
import torch
import torch.nn.functional as F

from ..symbolic import graph_op

__all__ = ['dense', 'dense_per_gate']


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


@graph_op
def dense_per_gate(inputs, masks, kernel, bias=None):
    """The input projection of a recurrent cell whose gates each drop their own inputs:
    `inputs * masks[g] @ kernel[:, g-th block] + bias[g-th block]` for every gate `g`,
    joined along the last axis.

    # Arguments
        inputs: tensor `(samples, input_dim)`, or `(samples, time, input_dim)`.
        masks: list of one mask per gate, each shaped like `inputs` or broadcasting to it
            (`(samples, 1, input_dim)` for a sequence: the same mask at every step).
        kernel: `(input_dim, gates * units)` matrix, the gates' blocks side by side.
        bias: optional `(gates * units,)` vector.

    # Returns
        A tensor `(..., gates * units)`.
    """
    size = kernel.shape[1] // len(masks)
    parts = []
    for gate, mask in enumerate(masks):
        block = slice(gate * size, (gate + 1) * size)
        parts.append(dense(inputs * mask, kernel[:, block],
                           None if bias is None else bias[block]))
    return torch.cat(parts, dim=-1)
