"""The dense kernels behind `Dense` and the recurrent cells' input projections, on JAX.

Internal to cornu (reached through `cornu.backend.kernels`); same names as
`cornu.backend.torch.dense`. XLA fuses the bias add by itself.
"""
import jax
import jax.numpy as jnp

from ..symbolic import graph_op
from . import nn
from .core import _t

__all__ = ['dense', 'dense_per_gate', 'DENSE_ACTIVATIONS']


@graph_op
def dense(inputs, kernel, bias=None, activation=None):
    """`activation(inputs @ kernel + bias)`.

    # Arguments
        inputs: tensor of shape `(..., input_dim)`.
        kernel: `(input_dim, units)` matrix (Keras layout).
        bias: optional `(units,)` vector.
        activation: `None` (linear), or one of `DENSE_ACTIVATIONS`: Keras' activation of
            that name with its defaults (`'softmax'` over the last axis).
    """
    out = jnp.matmul(_t(inputs), _t(kernel))
    if bias is not None:
        out = out + _t(bias)
    if activation is None:
        return out
    return _ACTIVATIONS[activation](out)


# The engine's own `relu`, `sigmoid`, `tanh` and `softmax` with their defaults.
_ACTIVATIONS = {'relu': nn.relu, 'sigmoid': nn.sigmoid, 'tanh': nn.tanh,
                'softmax': nn.softmax}
DENSE_ACTIVATIONS = frozenset(_ACTIVATIONS)


def _blocks(kernel, gates):
    size = kernel.shape[1] // gates
    return [kernel[:, gate * size:(gate + 1) * size] for gate in range(gates)]


def _per_gate_loop(inputs, masks, kernel, bias):
    gates = len(masks)
    parts = [jnp.matmul(inputs * mask, block)
             for mask, block in zip(masks, _blocks(kernel, gates))]
    out = jnp.concatenate(parts, axis=-1)
    return out if bias is None else out + bias


# A sequence's projection with one input mask per gate (Keras 2's `implementation=1` input
# dropout). Its custom gradient works on time-major rows, as the recurrence that reads the
# projection does: the transposes on both sides then cancel out in XLA, and each gate's
# kernel gradient is a product of contiguous operands. Left to autodiff, the per-gate
# products of the batch-major projection cost a transposed copy of every gate's block of
# the gradient (measured: ~6-7 ms of the ~55 ms of CPU time of an Embedding(20000, 128) +
# LSTM(128, dropout=0.2) training step at batch 32).

@jax.custom_vjp
def _sequence_per_gate(inputs, masks, kernel, bias):
    return _sequence_per_gate_forward(inputs, masks, kernel, bias)[0]


def _sequence_per_gate_forward(inputs, masks, kernel, bias):
    samples, steps, input_dim = inputs.shape
    time_major = jnp.swapaxes(inputs, 0, 1)
    parts = [jnp.matmul((time_major * mask).reshape(steps * samples, input_dim), block)
             for mask, block in zip(masks, _blocks(kernel, masks.shape[0]))]
    out = (jnp.concatenate(parts, axis=-1) + bias).reshape(steps, samples, -1)
    return jnp.swapaxes(out, 0, 1), (time_major, masks, kernel)


def _sequence_per_gate_backward(residuals, d_out):
    time_major, masks, kernel = residuals
    steps, samples, input_dim = time_major.shape
    gates = masks.shape[0]
    size = kernel.shape[1] // gates
    d_projected = jnp.swapaxes(d_out, 0, 1).reshape(steps * samples, gates * size)
    # Features first: each gate's `masked_inputs^T @ d_projected` without a transposed copy.
    features_first = jnp.transpose(time_major, (2, 0, 1))
    d_kernel, d_inputs = [], None
    for gate, block in enumerate(_blocks(kernel, gates)):
        d_gate = d_projected[:, gate * size:(gate + 1) * size]
        masked = features_first * jnp.transpose(masks[gate], (2, 0, 1))
        d_kernel.append(jnp.matmul(masked.reshape(input_dim, steps * samples), d_gate))
        part = jnp.matmul(d_gate, block.T).reshape(steps, samples, input_dim) * masks[gate]
        d_inputs = part if d_inputs is None else d_inputs + part
    return (jnp.swapaxes(d_inputs, 0, 1), jnp.zeros_like(masks),
            jnp.concatenate(d_kernel, axis=1), jnp.sum(d_projected, axis=0))


_sequence_per_gate.defvjp(_sequence_per_gate_forward, _sequence_per_gate_backward)


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
    inputs, kernel = _t(inputs), _t(kernel)
    masks = [_t(mask) for mask in masks]
    bias = None if bias is None else _t(bias)
    dtype = inputs.dtype
    if (inputs.ndim == 3 and bias is not None and kernel.dtype == dtype and
            bias.dtype == dtype and
            all(m.shape == (inputs.shape[0], 1, inputs.shape[2]) and m.dtype == dtype
                for m in masks)):
        # Masks as `(gates, 1, samples, input_dim)`: time-major, broadcast over the steps.
        stacked = jnp.stack(masks)[:, None, :, 0, :]
        return _sequence_per_gate(inputs, stacked, kernel, bias)
    return _per_gate_loop(inputs, masks, kernel, bias)
