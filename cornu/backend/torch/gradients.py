"""Gradients for the training step (internal; `cornu.backend.kernels` re-exports them).

`cornu.backend.jax.gradients` has the same names.
"""
import torch

__all__ = ['gradients_of']


def gradients_of(loss, params):
    """Gradients of a scalar `loss` for the training step (no higher-order graph kept).

    Parameters the loss does not depend on get `None`.
    """
    return torch.autograd.grad(loss, params, allow_unused=True)
