"""Gradients for the training step on JAX (internal; `cornu.backend.kernels` re-exports them).

Same names as `cornu.backend.torch.gradients`.
"""
from . import core

__all__ = ['gradients_of']


def gradients_of(loss, params):
    """Gradients of a scalar `loss` for the training step.

    On jax the trainer takes gradients of the traced step function itself; this answers for
    the step's total loss only (see `K.gradients`).
    """
    return core.gradients(loss, list(params))
