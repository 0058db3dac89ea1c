"""Helpers of the recurrent layers' generic step loop on JAX: zero states, the all-valid mask
test and one step's matrix product (internal; `cornu.backend.kernels` re-exports them).

Same names as `cornu.backend.torch.rnn_steps`.
"""
import jax.numpy as jnp

from ..symbolic import graph_op
from . import core
from .core import _t

__all__ = ['rnn_zero_states', 'rnn_mask_all_valid', 'rnn_step_matmul']


@graph_op
def rnn_zero_states(inputs, shapes):
    """All-zero initial states for a batch of sequences.

    # Arguments
        inputs: tensor `(samples, time, ...)`; gives the batch size and dtype.
        shapes: list of state shapes without the batch axis, e.g. `[(units,), (units,)]`.

    # Returns
        A list of zero tensors `(samples,) + shape`.
    """
    inputs = _t(inputs)
    batch = inputs.shape[0]
    return [jnp.zeros((batch,) + tuple(shape), dtype=inputs.dtype) for shape in shapes]


def rnn_mask_all_valid(mask):
    """Whether no timestep of `mask` is masked.

    Inside a jitted step the mask is traced: the answer is then `False` (the generic,
    mask-aware path runs).
    """
    mask = _t(mask)
    if isinstance(mask, core._Tracer):
        return False
    return bool(jnp.all(mask))


@graph_op
def rnn_step_matmul(projected_inputs, states, recurrent_kernel):
    """`projected_inputs + states @ recurrent_kernel` (one RNN step)."""
    return _t(projected_inputs) + jnp.matmul(_t(states), _t(recurrent_kernel))
