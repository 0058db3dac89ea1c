"""The recurrent part of Keras 2's GRU with `reset_after=False` over a whole sequence in one
`lax.scan` (sigmoid or hard sigmoid gates); JAX differentiates it.

Internal (`cornu.backend.kernels` re-exports it); same names as
`cornu.backend.torch.gru_kernel`.
"""
import jax.numpy as jnp
from jax import lax

from ..recurrent_masks import gru_state_operands
from ..symbolic import graph_op
from .core import _t
from .lstm_kernel import _lstm_gate_activation, _stacked_recurrent_masks

__all__ = ['gru_recurrence']


@graph_op
def gru_recurrence(projected, initial_h, recurrent_kernel, recurrent_activation, mask=None,
                   go_backwards=False, recurrent_masks=None):
    """The recurrent part of Keras' GRU with `reset_after=False` (tanh activation) over a
    whole sequence, as its step loop computes it, in one `lax.scan`.

    # Arguments
        projected: `(samples, time, 3 * units)`: `inputs @ kernel + bias` of every step
            (gates z, r, h).
        initial_h: `(samples, units)`.
        recurrent_kernel: `(units, 3 * units)`.
        recurrent_activation: `'hard_sigmoid'` or `'sigmoid'`.
        mask: optional `(samples, time)` mask; at a masked step the state is kept and the
            output repeats the previous one (Keras 2.2.4's rule).
        go_backwards: process the sequence from its last step.
        recurrent_masks: `None`, or Keras 2's recurrent dropout: a list of three masks
            (`implementation=1`) or of one (`implementation=2`), as the torch engine's
            `gru_recurrence` takes them.

    # Returns
        `(outputs, h)`: outputs `(samples, time, units)` in processing order, final state.
    """
    hard = recurrent_activation == 'hard_sigmoid'
    recurrent_kernel = _t(recurrent_kernel)
    units = recurrent_kernel.shape[0]
    kernel_zr, kernel_h = recurrent_kernel[:, :2 * units], recurrent_kernel[:, 2 * units:]
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

    rec_masks = _stacked_recurrent_masks(recurrent_masks, _t(initial_h), counts=(1, 3))

    def step(h, sliced):
        x_t, keep = sliced
        h_z, h_r, h_c, h_m = gru_state_operands(h, rec_masks)
        if h_z is h_r:
            recurrent_zr = jnp.matmul(h_z, kernel_zr)
        else:
            recurrent_zr = jnp.concatenate([jnp.matmul(h_z, kernel_zr[:, :units]),
                                            jnp.matmul(h_r, kernel_zr[:, units:])], 1)
        gates = _lstm_gate_activation(x_t[:, :2 * units] + recurrent_zr, hard)
        z, r = gates[:, :units], gates[:, units:]
        hh = jnp.tanh(x_t[:, 2 * units:] + jnp.matmul(r * h_c, kernel_h))
        new_h = z * h_m + (1 - z) * hh
        if keep is not None:
            new_h = jnp.where(keep[:, None], new_h, h)
        return new_h, new_h

    h, outputs = lax.scan(step, _t(initial_h), (steps, mask))
    return jnp.swapaxes(outputs, 0, 1), h

