"""LSTM and GRU over whole sequences on JAX, from Keras 2's weight layouts: the input
projection of every timestep is one matrix product, the recurrence one `lax.scan`.

Keras 2 keeps recurrent weights as `kernel (input_dim, gates * units)`,
`recurrent_kernel (units, gates * units)` and biases in its own gate order. Internal
(`cornu.backend.kernels` re-exports them); same names as `cornu.backend.torch.native_rnn`.
"""
import jax
import jax.numpy as jnp
from jax import lax

from ..symbolic import graph_op
from .core import _t

__all__ = ['lstm_sequence', 'gru_sequence']


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
        raise ValueError(f'Unknown weight layout {layout!r}: expected "keras" or "cudnn".')
    return kernel, recurrent_kernel, units


def _time_major_projection(inputs, kernel, bias, go_backwards):
    projected = jnp.matmul(_t(inputs), _t(kernel))
    if bias is not None:
        projected = projected + _t(bias)
    projected = jnp.swapaxes(projected, 0, 1)
    return projected[::-1] if go_backwards else projected


@graph_op
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


@graph_op
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
