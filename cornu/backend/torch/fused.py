"""Fused kernels behind built-in layers and optimizers (beyond Keras 2's K API).

Layers reach engine-specific fast paths through these functions, so that the layer code stays
engine-neutral; `cornu.backend.jax.fused` has the same names.
"""
import torch
import torch.nn.functional as F

__all__ = ['dense', 'gradients_of']


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


def gradients_of(loss, params):
    """Gradients of a scalar `loss` for the training step (no higher-order graph kept).

    Parameters the loss does not depend on get `None`.
    """
    return torch.autograd.grad(loss, params, allow_unused=True)
