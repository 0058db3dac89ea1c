"""Fused kernels behind built-in layers and optimizers (beyond Keras 2's K API), on JAX.

Same names as `cornu.backend.torch.fused`. XLA fuses element-wise work by itself, so most of
these are plain compositions; the recurrent sequences run as one `lax.scan` each.
"""
import jax
import jax.numpy as jnp
from jax import lax

from . import core
from .core import _t

__all__ = ['dense', 'gradients_of']


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


def gradients_of(loss, params):
    """Gradients of a scalar `loss` for the training step.

    On jax the trainer takes gradients of the traced step function itself; this answers for
    the step's total loss only (see `K.gradients`).
    """
    return core.gradients(loss, list(params))


# ---------------------------------------------------------------- recurrent layers
# Keras 2 keeps recurrent weights as `kernel (input_dim, gates * units)`,
# `recurrent_kernel (units, gates * units)` and biases in its own gate order. The input
# projection of every timestep is one matrix product; the recurrence is one `lax.scan`.

__all__ += ['rnn_zero_states', 'rnn_mask_all_valid', 'rnn_step_matmul', 'lstm_sequence',
            'gru_sequence']


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


def rnn_step_matmul(projected_inputs, states, recurrent_kernel):
    """`projected_inputs + states @ recurrent_kernel` (one RNN step)."""
    return _t(projected_inputs) + jnp.matmul(_t(states), _t(recurrent_kernel))


def _from_cudnn(weight, units):
    """The `x @ weight` form of a Keras 2 CuDNN layer's `(rows, gates * units)` weight. Keras 2
    handed each gate block to cuDNN by flattening it as stored, so cuDNN read the `(rows,
    units)` block as a `(units, rows)` matrix: a reshape, not a transpose."""
    rows = weight.shape[0]
    gates = weight.shape[1] // units
    blocks = jnp.transpose(weight.reshape(rows, gates, units), (1, 0, 2))
    return blocks.reshape(gates * units, rows).T


def _weights(kernel, recurrent_kernel, layout):
    kernel = _t(kernel)
    recurrent_kernel = _t(recurrent_kernel)
    units = recurrent_kernel.shape[0]
    if layout == 'cudnn':
        return _from_cudnn(kernel, units), _from_cudnn(recurrent_kernel, units), units
    if layout != 'keras':
        raise ValueError('Unknown weight layout %r: expected "keras" or "cudnn".' % (layout,))
    return kernel, recurrent_kernel, units


def _time_major_projection(inputs, kernel, bias, go_backwards):
    projected = jnp.matmul(_t(inputs), _t(kernel))
    if bias is not None:
        projected = projected + _t(bias)
    projected = jnp.swapaxes(projected, 0, 1)
    return projected[::-1] if go_backwards else projected


def lstm_sequence(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias_ih=None,
                  bias_hh=None, go_backwards=False, layout='keras'):
    """Runs an LSTM (tanh activation, sigmoid gates) over a batch of sequences.

    # Arguments
        inputs: tensor `(samples, time, input_dim)`.
        initial_h, initial_c: tensors `(samples, units)`.
        kernel: `(input_dim, 4 * units)`, gates in Keras order i, f, c, o.
        recurrent_kernel: `(units, 4 * units)`.
        bias_ih, bias_hh: optional `(4 * units,)` biases added to the input and recurrent
            projections (Keras' LSTM has one bias: pass it as `bias_ih`; CuDNNLSTM has both).
        go_backwards: process the sequence from its last step.
        layout: `'keras'` (`inputs @ kernel`, as LSTM computes) or `'cudnn'` (the layout of
            Keras 2's CuDNNLSTM weights, see `_from_cudnn`).

    # Returns
        `(outputs, h, c)`: outputs `(samples, time, units)` in processing order, final states.
    """
    kernel, recurrent_kernel, units = _weights(kernel, recurrent_kernel, layout)
    projected = _time_major_projection(inputs, kernel, bias_ih, go_backwards)
    recurrent_bias = None if bias_hh is None else _t(bias_hh)

    def step(carry, x_t):
        h, c = carry
        z = x_t + jnp.matmul(h, recurrent_kernel)
        if recurrent_bias is not None:
            z = z + recurrent_bias
        i = jax.nn.sigmoid(z[:, :units])
        f = jax.nn.sigmoid(z[:, units:2 * units])
        g = jnp.tanh(z[:, 2 * units:3 * units])
        o = jax.nn.sigmoid(z[:, 3 * units:])
        c = f * c + i * g
        h = o * jnp.tanh(c)
        return (h, c), h

    (h, c), outputs = lax.scan(step, (_t(initial_h), _t(initial_c)), projected)
    return jnp.swapaxes(outputs, 0, 1), h, c


def gru_sequence(inputs, initial_h, kernel, recurrent_kernel, bias_ih=None, bias_hh=None,
                 go_backwards=False, layout='keras'):
    """Runs a GRU with the reset gate applied after the recurrent matrix product (Keras'
    `reset_after=True`, cuDNN's formula; tanh activation, sigmoid gates).

    # Arguments
        inputs: tensor `(samples, time, input_dim)`.
        initial_h: tensor `(samples, units)`.
        kernel: `(input_dim, 3 * units)`, gates in Keras order z, r, h.
        recurrent_kernel: `(units, 3 * units)`.
        bias_ih, bias_hh: optional `(3 * units,)` input and recurrent biases (Keras order).
        go_backwards: process the sequence from its last step.
        layout: `'keras'` (GRU's) or `'cudnn'` (Keras 2's CuDNNGRU weights).

    # Returns
        `(outputs, h)`: outputs `(samples, time, units)` in processing order, final state.
    """
    kernel, recurrent_kernel, units = _weights(kernel, recurrent_kernel, layout)
    projected = _time_major_projection(inputs, kernel, bias_ih, go_backwards)
    recurrent_bias = None if bias_hh is None else _t(bias_hh)

    def step(h, x_t):
        r_all = jnp.matmul(h, recurrent_kernel)
        if recurrent_bias is not None:
            r_all = r_all + recurrent_bias
        z = jax.nn.sigmoid(x_t[:, :units] + r_all[:, :units])
        r = jax.nn.sigmoid(x_t[:, units:2 * units] + r_all[:, units:2 * units])
        n = jnp.tanh(x_t[:, 2 * units:] + r * r_all[:, 2 * units:])
        h = (1. - z) * n + z * h
        return h, h

    h, outputs = lax.scan(step, _t(initial_h), projected)
    return jnp.swapaxes(outputs, 0, 1), h


__all__ += ['lstm_recurrence']


def _lstm_gate_activation(z, hard):
    if hard:
        y = z * 0.2 + 0.5
        y = jnp.where(y >= 0., y, jnp.zeros_like(y))
        return jnp.where(y <= 1., y, jnp.ones_like(y))
    return jax.nn.sigmoid(z)


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


# ---------------------------------------------------------------- data-parallel replicas
# On jax the replicas of `multi_gpu_model` are not placed op by op: XLA does not mix arrays
# committed to several devices in one op. The trainer runs the whole step on a mesh of the
# replicas' devices instead, the batch split over them (`tracing.replica_mesh`), so these
# functions change nothing.

__all__ += ['gpu_count', 'to_device', 'replica_placement']


def gpu_count():
    """Returns the number of GPUs jax sees (0 without a GPU jaxlib)."""
    try:
        return len(jax.devices('gpu'))
    except RuntimeError:
        return 0


def to_device(x, device):
    """Returns `x`: XLA places jax replicas' work (see the note above)."""
    return x


class _SameDevice(object):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def replica_placement(home=None):
    """A context for data-parallel replicas; on jax XLA places their work (see the note
    above), so it changes nothing.

    # Returns
        A context manager.
    """
    return _SameDevice()
