"""The dense kernel behind `Dense` and the recurrent cells' input projections, on JAX.

Internal to cornu (reached through `cornu.backend.kernels`); same names as
`cornu.backend.torch.dense`. XLA fuses the bias add by itself.
"""
import jax.numpy as jnp

from ..symbolic import graph_op
from .core import _t

__all__ = ['dense']


@graph_op
def dense(inputs, kernel, bias=None):
    """`inputs @ kernel + bias`.

    # Arguments
        inputs: tensor of shape `(..., input_dim)`.
        kernel: `(input_dim, units)` matrix (Keras layout).
        bias: optional `(units,)` vector.
    """
    out = jnp.matmul(_t(inputs), _t(kernel))
    if bias is None:
        return out
    return out + _t(bias)
