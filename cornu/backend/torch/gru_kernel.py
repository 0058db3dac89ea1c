"""The recurrent part of Keras 2's GRU with the reset gate applied before the recurrent
matrix product (`reset_after=False`, Keras 2's default, which no native kernel computes) as
one custom autograd function with a hand-written backward pass (sigmoid or hard sigmoid
gates).

Internal (`cornu.backend.kernels` re-exports it); `cornu.backend.jax.gru_kernel` has the same
names. The ways it keeps a step's ops few are `lstm_kernel`'s: buffers written in place,
per-step views made up front, what the backward pass can compute for all steps at once
computed before its loop.
"""
import torch

from ..recurrent_masks import gru_state_operands
from ..symbolic import graph_op
from . import gru_loops
from .recurrent_dropout import stacked_recurrent_masks
from .rnn_steps import recording_graph
from .lstm_kernel import tanh_into

__all__ = ['gru_recurrence']


def _gru_steps(projected, h, recurrent_kernel, mask, hard, go_backwards, keep):
    """The forward loop of `gru_recurrence`. Returns the outputs with the initial state first,
    `(steps + 1, samples, units)` in processing order, and with `keep` what the backward pass
    needs, per step in processing order: the update and reset gates' pre-activations and
    activations, `r * h_prev` and the candidates."""
    batch, steps, _ = projected.shape
    units = h.shape[1]
    new = projected.new_empty
    kernel_zr, kernel_h = recurrent_kernel[:, :2 * units], recurrent_kernel[:, 2 * units:]
    hs = new((steps + 1, batch, units))
    hs[0] = h
    if keep:
        saved = (new((steps, batch, 2 * units)), new((steps, batch, 2 * units)),
                 new((steps, batch, units)), new((steps, batch, units)))
        zr_pre, gates, rhs, candidates = (buffer.unbind(0) for buffer in saved)
    else:
        saved = None
        scratch = (new((batch, 2 * units)), new((batch, units)), new((batch, units)))
        zr_pre, rhs, candidates = ([buffer] * steps for buffer in scratch)
        gates = zr_pre
    inputs = projected.unbind(1)
    masks = [None] * steps if mask is None else mask.t().unsqueeze(2).unbind(0)
    if go_backwards:
        inputs, masks = inputs[::-1], masks[::-1]
    half = projected.new_full((), 0.5)
    tanh = tanh_into(projected)
    hs_k = hs.unbind(0)
    for x_t, mask_t, z_pre, gate, rh, candidate, h_prev, h_new in zip(
            inputs, masks, zr_pre, gates, rhs, candidates, hs_k[:-1], hs_k[1:]):
        torch.addmm(x_t[:, :2 * units], h_prev, kernel_zr, out=z_pre)
        if hard:
            torch.add(half, z_pre, alpha=0.2, out=gate).clamp_(0., 1.)
        else:
            torch.sigmoid(z_pre, out=gate)
        update = gate[:, :units]
        torch.mul(gate[:, units:], h_prev, out=rh)
        tanh(torch.addmm(x_t[:, 2 * units:], rh, kernel_h, out=candidate), out=candidate)
        # z * h_prev + (1 - z) * hh as hh + z * (h_prev - hh): two ops.
        torch.addcmul(candidate, update, torch.sub(h_prev, candidate, out=h_new), out=h_new)
        if mask_t is not None:
            torch.where(mask_t, h_new, h_prev, out=h_new)
    return hs, saved


def _traceable_gru(projected, h, recurrent_kernel, mask, hard, go_backwards, rec_masks=None):
    """The same recurrence without buffers or in-place ops, for `torch.jit.trace` (ONNX
    export; see `lstm_kernel._traceable_lstm`); torch differentiates it where the C loops
    do not run Keras 2's recurrent dropout (`rec_masks` stacked, as `gru_recurrence` takes
    them)."""
    units = h.shape[1]
    kernel_zr, kernel_h = recurrent_kernel[:, :2 * units], recurrent_kernel[:, 2 * units:]
    steps = range(projected.shape[1])
    outputs = []
    for t in (reversed(steps) if go_backwards else steps):
        x_t = projected[:, t]
        h_z, h_r, h_c, h_m = gru_state_operands(h, rec_masks)
        if h_z is h_r:
            z_pre = x_t[:, :2 * units] + torch.matmul(h_z, kernel_zr)
        else:
            z_pre = x_t[:, :2 * units] + torch.cat([torch.matmul(h_z, kernel_zr[:, :units]),
                                                    torch.matmul(h_r, kernel_zr[:, units:])], 1)
        gates = torch.clamp(z_pre * 0.2 + 0.5, 0., 1.) if hard else torch.sigmoid(z_pre)
        update, reset = gates[:, :units], gates[:, units:]
        candidate = torch.tanh(x_t[:, 2 * units:] + torch.matmul(reset * h_c, kernel_h))
        new_h = update * h_m + (1. - update) * candidate
        if mask is not None:
            new_h = torch.where(mask[:, t].unsqueeze(1), new_h, h)
        h = new_h
        outputs.append(h)
    return torch.stack(outputs, 1), h


class _GRURecurrence(torch.autograd.Function):
    """The recurrent part of a Keras GRU (`reset_after=False`) over a sequence, with a
    hand-written backward pass."""

    @staticmethod
    def forward(ctx, projected, h, recurrent_kernel, mask, hard, go_backwards):
        hs, saved = _gru_steps(projected, h, recurrent_kernel, mask, hard, go_backwards, True)
        zr_pre, gates, rhs, candidates = saved
        ctx.save_for_backward(recurrent_kernel, zr_pre if hard else None, gates, rhs,
                              candidates, hs)
        ctx.mask, ctx.hard, ctx.go_backwards = mask, hard, go_backwards
        ctx.set_materialize_grads(False)
        # New tensors rather than views of the saved buffer: a caller may change them in place.
        return hs[1:].transpose(0, 1).contiguous(), hs[-1].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_outputs, d_h):
        recurrent_kernel, zr_pre, gates, rhs, candidates, hs = ctx.saved_tensors
        mask, hard, go_backwards = ctx.mask, ctx.hard, ctx.go_backwards
        steps, batch, units = candidates.shape
        update, reset = gates[..., :units], gates[..., units:]
        h_prev = hs[:-1]
        # Per step, with dh the output's gradient (hh the candidate, ' a gate's slope):
        #   d_hh_pre = dh * (1 - z) * (1 - hh^2);  dz_pre = dh * (h_prev - hh) * z'
        #   d_rh = d_hh_pre @ kernel_h^T;  dr_pre = d_rh * h_prev * r'
        #   dh_prev = dh * z + d_rh * r + (dz_pre, dr_pre) @ kernel_zr^T
        # The factors of dh and d_rh depend only on the forward pass: computed for all steps
        # at once. A masked step passes dh through: its factors are zero and z's is one.
        if hard:
            y = torch.add(zr_pre.new_full((), 0.5), zr_pre, alpha=0.2)
            # 0.2 where clamping leaves 0.5 + 0.2 z as it is (Keras' inclusive bounds).
            slope = torch.eq(y, y.clamp(0., 1.)).to(gates.dtype).mul_(0.2)
        else:
            slope = torch.addcmul(gates, gates, gates, value=-1)
        one = gates.new_full((), 1.)
        from_candidate = torch.addcmul(one, candidates, candidates, value=-1).mul_(
            torch.sub(one, update))
        from_update = torch.sub(h_prev, candidates).mul_(slope[..., :units])
        from_reset = torch.mul(h_prev, slope[..., units:])
        carry = update
        if mask is not None:
            order = torch.arange(steps - 1, -1, -1) if go_backwards else torch.arange(steps)
            kept = mask.t()[order.to(mask.device)].unsqueeze(2)
            for factor in (from_candidate, from_update, from_reset):
                factor.mul_(kept.to(factor.dtype))
            carry = torch.where(kept, update, torch.ones_like(update))
        kernel_zr_t = recurrent_kernel[:, :2 * units].t()
        kernel_h_t = recurrent_kernel[:, 2 * units:].t()
        dzs = gates.new_empty((steps, batch, 3 * units))
        dh = d_h if d_h is not None else torch.zeros_like(hs[0])
        per_step = list(zip(
            dzs[..., :2 * units].unbind(0), dzs[..., :units].unbind(0),
            dzs[..., units:2 * units].unbind(0), dzs[..., 2 * units:].unbind(0),
            from_candidate.unbind(0), from_update.unbind(0), from_reset.unbind(0),
            carry.unbind(0), reset.unbind(0),
            [None] * steps if d_outputs is None else d_outputs.unbind(1)))
        for (dz_zr, dz_z, dz_r, dz_h, f_candidate, f_update, f_reset, carry_k, reset_k,
             d_out) in reversed(per_step):
            if d_out is not None:
                dh = dh + d_out
            torch.mul(dh, f_candidate, out=dz_h)
            torch.mul(dh, f_update, out=dz_z)
            d_rh = torch.mm(dz_h, kernel_h_t)
            torch.mul(d_rh, f_reset, out=dz_r)
            dh = torch.addmm(torch.mul(dh, carry_k).addcmul_(d_rh, reset_k), dz_zr, kernel_zr_t)
        d_kernel = None
        if ctx.needs_input_grad[2]:
            flat = dzs.view(steps * batch, 3 * units)
            d_kernel = torch.cat([
                torch.mm(h_prev.reshape(-1, units).t(), flat[:, :2 * units]),
                torch.mm(rhs.reshape(-1, units).t(), flat[:, 2 * units:])], 1)
        d_projected = None
        if ctx.needs_input_grad[0]:
            d_projected = (dzs.flip(0) if go_backwards else dzs).transpose(0, 1)
        return d_projected, dh, d_kernel, None, None, None


@graph_op
def gru_recurrence(projected, initial_h, recurrent_kernel, recurrent_activation, mask=None,
                   go_backwards=False, recurrent_masks=None):
    """The recurrent part of Keras' GRU with `reset_after=False` (tanh activation) over a
    whole sequence, as its step loop computes it, in one engine call.

    # Arguments
        projected: `(samples, time, 3 * units)`: `inputs @ kernel + bias` of every step
            (gates z, r, h).
        initial_h: `(samples, units)`.
        recurrent_kernel: `(units, 3 * units)`.
        recurrent_activation: `'hard_sigmoid'` or `'sigmoid'`.
        mask: optional `(samples, time)` mask; at a masked step the state is kept and the
            output repeats the previous one (Keras 2.2.4's rule).
        go_backwards: process the sequence from its last step.
        recurrent_masks: `None`, or Keras 2's recurrent dropout, the same masks `(samples,
            units)` at every step: a list of three (`implementation=1`: the update gate's
            product takes `h * recurrent_masks[0]`, the reset gate's `h *
            recurrent_masks[1]`, the candidate's `r * h * recurrent_masks[2]`, and the new
            state mixes the unmasked `h`), or of one (`implementation=2`: `h *
            recurrent_masks[0]` stands for `h` everywhere, the new state's mix included, as
            Keras 2.2.4 masks the previous state itself).

    # Returns
        `(outputs, h)`: outputs `(samples, time, units)` in processing order, final state.
    """
    hard = recurrent_activation == 'hard_sigmoid'
    if mask is not None:
        if mask.dim() > 2:
            mask = mask.reshape(mask.shape[0], mask.shape[1])
        mask = mask if mask.dtype == torch.bool else mask != 0
    rec_masks = stacked_recurrent_masks(recurrent_masks, initial_h, counts=(1, 3))
    if recording_graph():
        return _traceable_gru(projected, initial_h, recurrent_kernel, mask, hard, go_backwards,
                              rec_masks)
    # On the CPU, the compiled loops where they could be built (`gru_loops.py`).
    looped = gru_loops.gru_recurrence(projected, initial_h, recurrent_kernel, mask, hard,
                                      go_backwards, rec_masks)
    if looped is not None:
        return looped
    if rec_masks is not None:
        # (Elsewhere, torch differentiates the plain loop.)
        return _traceable_gru(projected, initial_h, recurrent_kernel, mask, hard, go_backwards,
                              rec_masks)
    if torch.is_grad_enabled() and (projected.requires_grad or initial_h.requires_grad or
                                    recurrent_kernel.requires_grad):
        return _GRURecurrence.apply(projected, initial_h, recurrent_kernel, mask, hard,
                                    go_backwards)
    hs, _ = _gru_steps(projected, initial_h, recurrent_kernel, mask, hard, go_backwards, False)
    # (Views of this call's own buffer: nothing else holds it.)
    return hs[1:].transpose(0, 1), hs[-1]
