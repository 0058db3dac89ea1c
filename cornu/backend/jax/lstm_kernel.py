"""The recurrent part of Keras 2's LSTM over a whole sequence in one `lax.scan` (sigmoid or
hard sigmoid gates); JAX differentiates it.

Internal (`cornu.backend.kernels` re-exports it); same names as
`cornu.backend.torch.lstm_kernel`.
"""
import jax
import jax.numpy as jnp
from jax import lax

from ..symbolic import graph_op
from .core import _t

__all__ = ['lstm_recurrence']


def _lstm_gate_activation(z, hard):
    if hard:
        y = z * 0.2 + 0.5
        y = jnp.where(y >= 0., y, jnp.zeros_like(y))
        return jnp.where(y <= 1., y, jnp.ones_like(y))
    return jax.nn.sigmoid(z)


@graph_op
def lstm_recurrence(projected, initial_h, initial_c, recurrent_kernel, recurrent_activation,
                    mask=None, go_backwards=False):
    """The recurrent part of Keras' LSTM (tanh activation) over a whole sequence, as its step
    loop computes it, in one `lax.scan`.

    # Arguments
        projected: `(samples, time, 4 * units)`: `inputs @ kernel + bias` of every step
            (gates i, f, c, o).
        initial_h, initial_c: `(samples, units)`.
        recurrent_kernel: `(units, 4 * units)`.
        recurrent_activation: `'hard_sigmoid'` or `'sigmoid'`.
        mask: optional `(samples, time)` mask; at a masked step the states are kept and the
            output repeats the previous one (Keras 2.2.4's rule).
        go_backwards: process the sequence from its last step.

    # Returns
        `(outputs, h, c)`: outputs `(samples, time, units)` in processing order, final states.
    """
    hard = recurrent_activation == 'hard_sigmoid'
    recurrent_kernel = _t(recurrent_kernel)
    units = recurrent_kernel.shape[0]
    steps = jnp.swapaxes(_t(projected), 0, 1)
    if mask is not None:
        mask = _t(mask)
        if mask.ndim > 2:
            mask = mask.reshape(mask.shape[0], mask.shape[1])
        mask = mask if mask.dtype == jnp.bool_ else mask != 0
        mask = jnp.swapaxes(mask, 0, 1)
    if go_backwards:
        steps = steps[::-1]
        mask = None if mask is None else mask[::-1]

    def step(carry, sliced):
        h, c = carry
        z_t, keep = sliced
        z = z_t + jnp.matmul(h, recurrent_kernel)
        gates = _lstm_gate_activation(z, hard)
        g = jnp.tanh(z[:, 2 * units:3 * units])
        new_c = gates[:, units:2 * units] * c + gates[:, :units] * g
        new_h = gates[:, 3 * units:] * jnp.tanh(new_c)
        if keep is not None:
            new_h = jnp.where(keep[:, None], new_h, h)
            new_c = jnp.where(keep[:, None], new_c, c)
        return (new_h, new_c), new_h

    (h, c), outputs = lax.scan(step, (_t(initial_h), _t(initial_c)), (steps, mask))
    return jnp.swapaxes(outputs, 0, 1), h, c
