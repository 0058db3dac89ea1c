"""The recurrent part of Keras 2's LSTM over a whole sequence in one `lax.scan` (sigmoid or
hard sigmoid gates), with a hand-written backward pass (`jax.custom_vjp`).

Internal (`cornu.backend.kernels` re-exports it); same names as
`cornu.backend.torch.lstm_kernel`.
"""
import functools

import jax
import jax.numpy as jnp
from jax import lax

from ..recurrent_masks import check_recurrent_masks
from ..symbolic import graph_op
from .core import _t
from .dense import dense_per_gate

__all__ = ['lstm_recurrence', 'lstm_input_recurrence']


def _lstm_gate_activation(z, hard):
    if hard:
        y = z * 0.2 + 0.5
        y = jnp.where(y >= 0., y, jnp.zeros_like(y))
        return jnp.where(y <= 1., y, jnp.ones_like(y))
    return jax.nn.sigmoid(z)


def _recurrent_product(h, kernel, rec_masks):
    """`h @ kernel`, or with recurrent dropout (`rec_masks` `(gates, samples, units)`: one
    mask for all gates, or one per gate) each gate's block of the kernel multiplying its own
    masked `h`."""
    if rec_masks is None:
        return jnp.matmul(h, kernel)
    if rec_masks.shape[0] == 1:
        return jnp.matmul(h * rec_masks[0], kernel)
    units = h.shape[1]
    blocks = kernel.reshape(units, 4, units)
    return jnp.einsum('gbu,ugv->bgv', h[None] * rec_masks, blocks).reshape(h.shape[0], -1)


def _forward(hard, steps, keep, h, c, kernel, projection=None, rec_masks=None):
    """The step loop over time-major `steps` (`keep`: a time-major float mask or None;
    `rec_masks`: see `_recurrent_product`).
    Returns the final states and, per step, the outputs, cell states and pre-activations:
    all the backward pass needs. (The gates and tanh of the cell states it recomputes for all
    steps at once: on XLA's CPU backend each value a scan stacks costs more than that.)

    `steps` are the steps' projected inputs, or with `projection` (`(input_kernel, bias,
    masks)`, `bias` and `masks` possibly `None`) the steps' inputs, projected inside the loop
    (`_project_step`)."""
    units = kernel.shape[0]

    def step(carry, sliced):
        h, c = carry
        z_t, keep_t = sliced
        if projection is not None:
            z_t = _project_step(z_t, *projection)
        z = z_t + _recurrent_product(h, kernel, rec_masks)
        gates = _lstm_gate_activation(z, hard)
        g = jnp.tanh(z[:, 2 * units:3 * units])
        new_c = gates[:, units:2 * units] * c + gates[:, :units] * g
        new_h = gates[:, 3 * units:] * jnp.tanh(new_c)
        if keep_t is not None:
            kept = keep_t[:, None] > 0
            new_h = jnp.where(kept, new_h, h)
            new_c = jnp.where(kept, new_c, c)
        return (new_h, new_c), (new_h, new_c, z)

    return lax.scan(step, (h, c), (steps, keep))


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _recurrence(hard, steps, keep, h, c, kernel, rec_masks):
    (h, c), saved = _forward(hard, steps, keep, h, c, kernel, rec_masks=rec_masks)
    return saved[0], h, c


def _recurrence_forward(hard, steps, keep, h0, c0, kernel, rec_masks):
    (h, c), saved = _forward(hard, steps, keep, h0, c0, kernel, rec_masks=rec_masks)
    return (saved[0], h, c), (keep, h0, c0, kernel, rec_masks) + saved


def _recurrence_backward(hard, residuals, cotangents):
    keep, h0, c0, kernel, rec_masks, hs, cs, zs = residuals
    d_outputs, d_h, d_c = cotangents
    units = kernel.shape[0]
    gates = _lstm_gate_activation(zs, hard)
    gs = jnp.tanh(zs[..., 2 * units:3 * units])
    # (At a masked step the stored cell state is the previous one, but that step's factors
    # are zeroed below.)
    tanh_cs = jnp.tanh(cs)
    # Per step, with dc the cell state's gradient once the output's is added in:
    #   dc += dh * o * (1 - tanh(c)^2)
    #   dz = (dc * g * i', dc * c_prev * f', dc * i * (1 - g^2), dh * tanh(c) * o')
    #   dc_prev = dc * f;  dh_prev = dz @ kernel^T
    # The factors of dc and dh depend only on the forward pass: computed for all steps at
    # once, so that the backward scan's step is a few ops and one product (autodiff of the
    # forward scan does more per step). A masked step passes dh and dc through unchanged.
    if hard:
        y = zs * 0.2 + 0.5  # as the forward pass has it
        slope = jnp.where((y >= 0.) & (y <= 1.), 0.2, 0.).astype(zs.dtype)
    else:
        slope = gates * (1 - gates)
    c_prev = jnp.concatenate([c0[None], cs[:-1]], 0)
    h_prev = jnp.concatenate([h0[None], hs[:-1]], 0)
    i, f, o = gates[..., :units], gates[..., units:2 * units], gates[..., 3 * units:]
    factors = jnp.concatenate([gs * slope[..., :units], c_prev * slope[..., units:2 * units],
                               i * (1 - gs * gs), tanh_cs * slope[..., 3 * units:]], -1)
    from_dh = o * (1 - tanh_cs * tanh_cs)
    forget, carry = f, None
    if keep is not None:
        kept = keep[..., None]
        factors = factors * kept
        from_dh = from_dh * kept
        forget = jnp.where(kept > 0, f, jnp.ones_like(f))
        carry = 1 - kept
    kernel_t = kernel.T

    def step(state, sliced):
        dh, dc = state
        d_out, factor, from_dh_t, forget_t, carry_t = sliced
        dh = dh + d_out
        dc = dc + dh * from_dh_t
        dz = jnp.concatenate([dc, dc, dc, dh], 1) * factor
        dh_prev = _recurrent_product_transpose(dz, kernel_t, rec_masks)
        if carry_t is not None:
            dh_prev = dh_prev + dh * carry_t
        return (dh_prev, dc * forget_t), dz

    (dh, dc), dzs = lax.scan(step, (d_h, d_c), (d_outputs, factors, from_dh, forget, carry),
                             reverse=True)
    d_kernel = _recurrent_kernel_gradient(h_prev, dzs, rec_masks)
    return (dzs, None if keep is None else jnp.zeros_like(keep), dh, dc, d_kernel,
            None if rec_masks is None else jnp.zeros_like(rec_masks))


def _recurrent_product_transpose(dz, kernel_t, rec_masks):
    """The gradient into `h` of `_recurrent_product(h, kernel, rec_masks)` from that of its
    result, `dz` (`kernel_t`: the kernel transposed)."""
    if rec_masks is None:
        return jnp.matmul(dz, kernel_t)
    if rec_masks.shape[0] == 1:
        return jnp.matmul(dz, kernel_t) * rec_masks[0]
    units = kernel_t.shape[1]
    per_gate = jnp.einsum('bgv,gvu->gbu', dz.reshape(dz.shape[0], 4, units),
                          kernel_t.reshape(4, units, units))
    return jnp.sum(per_gate * rec_masks, axis=0)


def _recurrent_kernel_gradient(h_prev, dzs, rec_masks):
    """The recurrent kernel's gradient over all steps: each step's previous output (masked
    as the forward product had it) against its pre-activations' gradient."""
    if rec_masks is None:
        return jnp.einsum('tbu,tbg->ug', h_prev, dzs)
    if rec_masks.shape[0] == 1:
        return jnp.einsum('tbu,tbg->ug', h_prev * rec_masks[0], dzs)
    units = h_prev.shape[-1]
    by_gate = dzs.reshape(dzs.shape[0], dzs.shape[1], 4, units)
    return jnp.einsum('tbu,gbu,tbgv->ugv', h_prev, rec_masks, by_gate).reshape(units, -1)


_recurrence.defvjp(_recurrence_forward, _recurrence_backward)


@graph_op
def lstm_recurrence(projected, initial_h, initial_c, recurrent_kernel, recurrent_activation,
                    mask=None, go_backwards=False, recurrent_masks=None):
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
        recurrent_masks: `None`, or Keras 2's recurrent dropout: a list of one mask
            `(samples, units)` for all gates (`implementation=2`) or of four, one per gate
            (`implementation=1`), the same at every step; gate `k`'s recurrent product is
            then `(h * recurrent_masks[k]) @ recurrent_kernel[:, k-th block]`.

    # Returns
        `(outputs, h, c)`: outputs `(samples, time, units)` in processing order, final states.
    """
    initial_h, recurrent_kernel = _t(initial_h), _t(recurrent_kernel)
    steps, keep = _time_major(_t(projected), mask, go_backwards, _t(projected).dtype)
    outputs, h, c = _recurrence(recurrent_activation == 'hard_sigmoid', steps, keep,
                                initial_h, _t(initial_c), recurrent_kernel,
                                _stacked_recurrent_masks(recurrent_masks, initial_h))
    return jnp.swapaxes(outputs, 0, 1), h, c


def _stacked_recurrent_masks(recurrent_masks, h, counts=(1, 4)):
    """`recurrent_masks` as one `(masks, samples, units)` array of `h`'s dtype, or `None`;
    `counts`: how many masks the kernel takes (the LSTM's 1 or 4 by default)."""
    if recurrent_masks is None:
        return None
    masks = [_t(m) for m in recurrent_masks]
    check_recurrent_masks(masks, h, counts)
    return jnp.stack(masks).astype(h.dtype)


def _time_major(sequence, mask, go_backwards, dtype):
    """`sequence` `(samples, time, ...)` and `mask` as the loops take them: time-major, in
    processing order; the mask as floats of `dtype` (1 kept, 0 masked: the custom gradients'
    inputs are all floats), or `None`."""
    steps = jnp.swapaxes(sequence, 0, 1)
    keep = None
    if mask is not None:
        mask = _t(mask)
        if mask.ndim > 2:
            mask = mask.reshape(mask.shape[0], mask.shape[1])
        keep = jnp.swapaxes(mask != 0, 0, 1).astype(dtype)
    if go_backwards:
        steps = steps[::-1]
        keep = None if keep is None else keep[::-1]
    return steps, keep


# The recurrence over the layer's inputs, projected one step at a time inside the loop.
# On XLA's CPU backend this is cheaper than projecting the whole sequence first and then
# looping over the projection (an LSTM(128) over 80 steps of 128 features at batch 32: ~30%
# less CPU time for the forward pass): one large product and the time-major copy of its
# `(time, samples, 4 * units)` result cost more than the steps' small products, whose
# operands stay in cache. The backward pass is the recurrence's, followed by the
# projection's gradients as whole-sequence products.

def _gate_blocks(kernel, gates):
    size = kernel.shape[1] // gates
    return [kernel[:, gate * size:(gate + 1) * size] for gate in range(gates)]


def _project_step(x_t, input_kernel, bias, masks):
    """One step's `x_t @ input_kernel + bias`; with `masks` (`(gates, samples, input_dim)`,
    Keras 2's `implementation=1` input dropout) each gate's block of the kernel multiplies
    its own masked inputs."""
    if masks is None:
        z_t = jnp.matmul(x_t, input_kernel)
    else:
        z_t = jnp.concatenate([jnp.matmul(x_t * mask, block) for mask, block in
                               zip(masks, _gate_blocks(input_kernel, masks.shape[0]))], -1)
    return z_t if bias is None else z_t + bias


def _projection_backward(inputs, input_kernel, masks, d_projected):
    """The gradients into the time-major `inputs` and `input_kernel` of the projection of
    every step, from those of its results `d_projected`: whole-sequence products."""
    if masks is None:
        return (jnp.matmul(d_projected, input_kernel.T),
                jnp.einsum('tbi,tbg->ig', inputs, d_projected))
    d_inputs, d_blocks = None, []
    size = input_kernel.shape[1] // masks.shape[0]
    for gate, (mask, block) in enumerate(zip(masks, _gate_blocks(input_kernel,
                                                                 masks.shape[0]))):
        d_gate = d_projected[..., gate * size:(gate + 1) * size]
        part = jnp.matmul(d_gate, block.T) * mask
        d_inputs = part if d_inputs is None else d_inputs + part
        d_blocks.append(jnp.einsum('tbi,tbg->ig', inputs * mask, d_gate))
    return d_inputs, jnp.concatenate(d_blocks, axis=1)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _input_recurrence(hard, inputs, keep, h, c, input_kernel, bias, masks, kernel, rec_masks):
    (h, c), saved = _forward(hard, inputs, keep, h, c, kernel, (input_kernel, bias, masks),
                             rec_masks)
    return saved[0], h, c


def _input_recurrence_forward(hard, inputs, keep, h0, c0, input_kernel, bias, masks, kernel,
                              rec_masks):
    (h, c), saved = _forward(hard, inputs, keep, h0, c0, kernel, (input_kernel, bias, masks),
                             rec_masks)
    return (saved[0], h, c), ((inputs, input_kernel, bias, masks),
                              (keep, h0, c0, kernel, rec_masks) + saved)


def _input_recurrence_backward(hard, residuals, cotangents):
    (inputs, input_kernel, bias, masks), recurrence = residuals
    d_projected, d_keep, d_h, d_c, d_kernel, d_rec_masks = _recurrence_backward(
        hard, recurrence, cotangents)
    d_inputs, d_input_kernel = _projection_backward(inputs, input_kernel, masks, d_projected)
    d_bias = None if bias is None else jnp.sum(d_projected, axis=(0, 1)).astype(bias.dtype)
    return (d_inputs.astype(inputs.dtype), d_keep, d_h, d_c,
            d_input_kernel.astype(input_kernel.dtype), d_bias,
            None if masks is None else jnp.zeros_like(masks), d_kernel, d_rec_masks)


_input_recurrence.defvjp(_input_recurrence_forward, _input_recurrence_backward)


@graph_op
def lstm_input_recurrence(inputs, kernel, bias, initial_h, initial_c, recurrent_kernel,
                          recurrent_activation, mask=None, go_backwards=False,
                          input_masks=None, recurrent_masks=None):
    """Keras' LSTM (tanh activation) over a whole sequence of inputs: `lstm_recurrence` of
    `inputs @ kernel + bias` (or, with `input_masks`, of `dense_per_gate`), with each step's
    projection computed inside the loop (see above).

    # Arguments
        inputs: `(samples, time, input_dim)`.
        kernel: `(input_dim, 4 * units)`; bias: `(4 * units,)` or `None`.
        initial_h, initial_c, recurrent_kernel, recurrent_activation, mask, go_backwards,
            recurrent_masks: as for `lstm_recurrence`.
        input_masks: `None`, or one input dropout mask per gate (Keras 2's
            `implementation=1`), each `(samples, 1, input_dim)`: the same at every step.

    # Returns
        `(outputs, h, c)`: outputs `(samples, time, units)` in processing order, final states.
    """
    inputs, kernel = _t(inputs), _t(kernel)
    bias = None if bias is None else _t(bias)
    masks = None
    if input_masks is not None:
        masks = [_t(m) for m in input_masks]
        if len(masks) != 4 or any(m.shape != (inputs.shape[0], 1, inputs.shape[2]) or
                                  m.dtype != inputs.dtype for m in masks):
            # Masks of another shape: the whole sequence's projection, then the loop.
            return lstm_recurrence(dense_per_gate(inputs, masks, kernel, bias), initial_h,
                                   initial_c, recurrent_kernel, recurrent_activation,
                                   mask=mask, go_backwards=go_backwards,
                                   recurrent_masks=recurrent_masks)
        masks = jnp.stack(masks)[:, :, 0, :]
    steps, keep = _time_major(inputs, mask, go_backwards,
                              jnp.result_type(inputs.dtype, kernel.dtype))
    initial_h = _t(initial_h)
    outputs, h, c = _input_recurrence(recurrent_activation == 'hard_sigmoid', steps, keep,
                                      initial_h, _t(initial_c), kernel, bias, masks,
                                      _t(recurrent_kernel),
                                      _stacked_recurrent_masks(recurrent_masks, initial_h))
    return jnp.swapaxes(outputs, 0, 1), h, c
