"""The recurrent part of Keras 2's LSTM as one custom autograd function with a hand-written
backward pass (any recurrent activation among sigmoid and hard sigmoid).

Internal (`cornu.backend.kernels` re-exports it); `cornu.backend.jax.lstm_kernel` has the same
names.
"""
import torch

from ..symbolic import graph_op

__all__ = ['lstm_recurrence']

# Where the time goes: at Keras' sizes (a batch of 32, 128 units) one step's matrix product
# costs about as much as a dozen small elementwise ops do in dispatch and allocation, so the
# loops below keep the ops per step few: gate activations on the whole gate block at once
# (the hard sigmoid in two ops), and in the backward pass everything that does not depend on
# the incoming gradients computed for all steps at once before the loop.


def _lstm_steps(projected, h, c, recurrent_kernel, mask, hard, go_backwards, keep):
    """The forward loop of `lstm_recurrence`.

    With `keep`, also returns what the backward pass needs, stacked over the steps in
    processing order: the gates (the cell candidate's slot holds garbage), the cell
    candidates, the pre-activations (hard sigmoid only: its slope depends on them), the
    previous cell states and tanh of the new ones; and the list of outputs."""
    units = h.shape[1]
    steps = range(projected.shape[1])
    order = list(steps)[::-1] if go_backwards else list(steps)
    i_, f_, g_, o_ = (slice(k * units, (k + 1) * units) for k in range(4))
    half = projected.new_full((), 0.5)
    outputs = []
    saved = ([], [], [], [c], []) if keep else None
    for t in order:
        z = torch.addmm(projected[:, t], h, recurrent_kernel)
        # (tanh of a contiguous copy: on a strided slice, tanh is slower than copy + tanh.)
        g = torch.tanh(z[:, g_].contiguous())
        # One activation over the whole gate block (the candidate's slot is not read).
        if hard:
            # 0.5 + 0.2 * z as one op (`alpha`), then the clamp.
            gates = torch.add(half, z, alpha=0.2).clamp_(0., 1.)
        else:
            gates = torch.sigmoid(z) if keep else z.sigmoid_()
        new_c = torch.addcmul(gates[:, f_] * c, gates[:, i_], g)
        tanh_c = torch.tanh(new_c)
        new_h = gates[:, o_] * tanh_c
        if mask is not None:
            keep_t = mask[:, t].unsqueeze(1)
            new_h = torch.where(keep_t, new_h, h)
            new_c = torch.where(keep_t, new_c, c)
        if keep:
            saved[0].append(gates)
            saved[1].append(g)
            saved[2].append(z)
            saved[3].append(new_c)
            saved[4].append(tanh_c)
        h, c = new_h, new_c
        outputs.append(h)
    if not keep:
        return torch.stack(outputs, 1), h, c, order, None
    gates, gs, zs, cs, tanh_cs = saved
    stacked = (torch.stack(gates), torch.stack(gs), torch.stack(zs) if hard else None,
               torch.stack(cs[:-1]), torch.stack(tanh_cs))
    return torch.stack(outputs, 1), h, c, order, (stacked, outputs)


class _LSTMRecurrence(torch.autograd.Function):
    """The recurrent part of a Keras LSTM over a sequence, with a hand-written backward pass
    (one autograd node instead of a dozen per timestep)."""

    @staticmethod
    def forward(ctx, projected, h, c, recurrent_kernel, mask, hard, go_backwards):
        outputs, h_last, c_last, order, (stacked, hs) = _lstm_steps(
            projected, h, c, recurrent_kernel, mask, hard, go_backwards, True)
        # The output before each step, in time order, for the recurrent kernel's gradient.
        previous_h = [h] + hs[:-1]
        previous_h = torch.stack(previous_h[::-1] if go_backwards else previous_h, 1)
        gates, gs, zs, cs, tanh_cs = stacked
        ctx.save_for_backward(recurrent_kernel, gates, gs, zs, cs, tanh_cs, previous_h)
        ctx.mask, ctx.hard, ctx.order, ctx.go_backwards = mask, hard, order, go_backwards
        # An output nothing depends on (the sequence, for an LSTM without
        # `return_sequences`) gets a `None` gradient rather than zeros to add at every step.
        ctx.set_materialize_grads(False)
        return outputs, h_last, c_last

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_outputs, d_h, d_c):
        recurrent_kernel, gates, gs, zs, cs, tanh_cs, previous_h = ctx.saved_tensors
        mask, hard, order = ctx.mask, ctx.hard, ctx.order
        steps, batch, units = tanh_cs.shape
        i_, f_, o_ = (slice(k * units, (k + 1) * units) for k in (0, 1, 3))
        # Per step, with dc the cell state's gradient once the output's is added in:
        #   dc += dh * o * (1 - tanh(c)^2)
        #   dz = (dc * g * i', dc * c_prev * f', dc * i * (1 - g^2), dh * tanh(c) * o')
        #   dc_prev = dc * f;  dh_prev = dz @ recurrent_kernel^T
        # (x' the gate activation's slope). The factors multiplying dc and dh depend only on
        # the forward pass: compute them for all steps at once, so that a step is a handful of
        # ops. A masked step passes dh and dc through unchanged: its factors are zero (dz = 0)
        # but for dc's, which is one, and dh_prev gets dh added back.
        if hard:
            y = torch.add(zs.new_full((), 0.5), zs, alpha=0.2)  # as the forward pass has it
            slope = ((y >= 0) & (y <= 1)).to(gates.dtype).mul_(0.2)
        else:
            slope = gates * (1 - gates)
        factors = torch.stack([gs * slope[..., i_], cs * slope[..., f_],
                               gates[..., i_] * (1 - gs * gs), tanh_cs * slope[..., o_]], 2)
        dc_from_dh = gates[..., o_] * (1 - tanh_cs * tanh_cs)
        forget = gates[..., f_]
        carry = None
        if mask is not None:
            kept = mask.t()[order].unsqueeze(2)
            factors = factors * kept.unsqueeze(3).to(factors.dtype)
            dc_from_dh = dc_from_dh * kept.to(dc_from_dh.dtype)
            forget = torch.where(kept, forget, torch.ones_like(forget))
            carry = (~kept).to(forget.dtype)
        factors = factors.reshape(steps, batch, 4 * units)
        dh = d_h if d_h is not None else torch.zeros_like(tanh_cs[0])
        dc = d_c if d_c is not None else torch.zeros_like(tanh_cs[0])
        kernel_t = recurrent_kernel.t()
        dzs = [None] * steps
        for k in range(steps - 1, -1, -1):
            if d_outputs is not None:
                dh = dh + d_outputs[:, k]
            dc = torch.addcmul(dc, dh, dc_from_dh[k])
            # (Whole tensors, not writes into slices of one: a compiled step stays one graph.)
            dz = torch.cat([dc, dc, dc, dh], 1).mul_(factors[k])
            dzs[k] = dz
            dc = dc * forget[k]
            if carry is None:
                dh = torch.mm(dz, kernel_t)
            else:
                dh = torch.addmm(dh * carry[k], dz, kernel_t)
        # The projections' gradient in time order (as `projected` is laid out), and the
        # recurrent kernel's as one product over all steps.
        d_projected = torch.stack(dzs[::-1] if ctx.go_backwards else dzs, 1)
        d_kernel = None
        if ctx.needs_input_grad[3]:
            d_kernel = torch.mm(previous_h.reshape(-1, units).t(),
                                d_projected.reshape(-1, 4 * units))
        if not ctx.needs_input_grad[0]:
            d_projected = None
        return d_projected, dh, dc, d_kernel, None, None, None


@graph_op
def lstm_recurrence(projected, initial_h, initial_c, recurrent_kernel, recurrent_activation,
                    mask=None, go_backwards=False):
    """The recurrent part of Keras' LSTM (tanh activation) over a whole sequence, as its step
    loop computes it, in one engine call.

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
    if mask is not None:
        if mask.dim() > 2:
            mask = mask.reshape(mask.shape[0], mask.shape[1])
        mask = mask if mask.dtype == torch.bool else mask != 0
    if torch.is_grad_enabled() and (projected.requires_grad or initial_h.requires_grad or
                                    initial_c.requires_grad or recurrent_kernel.requires_grad):
        return _LSTMRecurrence.apply(projected, initial_h, initial_c, recurrent_kernel, mask,
                                     hard, go_backwards)
    outputs, h, c, _, _ = _lstm_steps(projected, initial_h, initial_c, recurrent_kernel, mask,
                                      hard, go_backwards, False)
    return outputs, h, c
