"""The recurrent part of Keras 2's LSTM as one custom autograd function with a hand-written
backward pass (any recurrent activation among sigmoid and hard sigmoid).

Internal (`cornu.backend.kernels` re-exports it); `cornu.backend.jax.lstm_kernel` has the same
names.
"""
import torch

from ..symbolic import graph_op
from . import lstm_loops
from .dense import dense, dense_per_gate
from .recurrent_dropout import recurrent_kernel_gradient, stacked_recurrent_masks
from .rnn_steps import recording_graph

__all__ = ['lstm_recurrence', 'lstm_input_recurrence']

# Where the time goes: at Keras' sizes (a batch of 32, 128 units) one step's matrix product
# costs about as much as a dozen small elementwise ops do in dispatch, so the loops keep the
# ops per step few: gate activations on the whole gate block at once (the hard sigmoid in two
# ops), and in the backward pass everything that does not depend on the incoming gradients
# computed for all steps at once before the loop.
# Every per-step result is written (`out=`) into a buffer allocated once per call, laid out
# as the backward pass reads it: a fresh tensor per step for each saved value, stacked at
# the end, costs an allocation per value and a second copy of everything.


class _Buffers(object):
    """Where one call's forward loop writes, in processing order.

    Training keeps every step (`zs` the pre-activations, which the hard sigmoid's slope
    depends on; `gates` the activations, with the cell candidate in its slot; the cell states
    `cs` and outputs `hs` with the initial ones first; `tanh_cs` tanh of each new cell state).
    Inference keeps only the outputs and reuses one step's scratch tensors."""

    def __init__(self, projected, h, c, keep):
        batch, steps, width = projected.shape
        units = h.shape[1]
        new = projected.new_empty
        self.keep = keep
        self.hs = new((steps + 1, batch, units))
        self.hs[0] = h
        if keep:
            self.zs = new((steps, batch, width))
            self.gates = new((steps, batch, width))
            self.cs = new((steps + 1, batch, units))
            self.tanh_cs = new((steps, batch, units))
        else:
            self.gates = new((batch, width))
            self.cs = new((2, batch, units))
            self.tanh_c = new((batch, units))
            self.candidate = new((batch, units))
        self.cs[0] = c

    def step_views(self):
        """Per step, the views its ops read and write: `(z, gates, i, f, o, z of the candidate,
        candidate (None: its slot in gates), c_prev, c_new, tanh_c, h_prev, h_new)`. Made
        up front by `unbind`: one call instead of a dozen slicing calls per step."""
        hs = self.hs.unbind(0)
        steps = len(hs) - 1
        if self.keep:
            zs, gates = self.zs, self.gates
            cs, tanh_cs, candidates = self.cs.unbind(0), self.tanh_cs.unbind(0), [None] * steps
        else:
            zs, gates = self.gates.unsqueeze(0), self.gates.unsqueeze(0)
            pair = self.cs.unbind(0)
            cs = pair * (steps // 2 + 1)
            tanh_cs, candidates = [self.tanh_c] * steps, [self.candidate] * steps
        shape = gates.shape[:2] + (4, gates.shape[2] // 4)
        i, f, g, o = (view.unbind(0) for view in gates.view(shape).unbind(2))
        z_candidates = zs.view(shape)[:, :, 2].unbind(0)
        zs, gates = zs.unbind(0), gates.unbind(0)
        if not self.keep:
            zs, gates, i, f, o, g, z_candidates = (
                list(views) * steps for views in (zs, gates, i, f, o, g, z_candidates))
        if self.keep:
            candidates = g
        return zip(zs, gates, i, f, o, z_candidates, candidates, cs[:steps], cs[1:], tanh_cs,
                   hs[:-1], hs[1:])


def _tanh_via_sigmoid(x, out, minus_one):
    """tanh(x) as 2 * sigmoid(2x) - 1 (within about 2e-7 of it in float32), into `out`
    (`minus_one`: a 0-d tensor of -1 like `x`).

    On CPU, torch's tanh of a step's `(32, 128)` block has been measured at about four times
    its sigmoid (11.7 against 2.7 microseconds, one thread); these three ops take 7.7. On GPU
    one launch beats three."""
    torch.mul(x, 2., out=out).sigmoid_()
    return torch.add(minus_one, out, alpha=2., out=out)


def tanh_into(like):
    """`tanh(x, out=...)` for tensors like `like` (its device and dtype): torch's own, or on
    CPU `_tanh_via_sigmoid`."""
    if like.device.type != 'cpu':
        return torch.tanh
    minus_one = like.new_full((), -1.)

    def tanh(x, out):
        return _tanh_via_sigmoid(x, out, minus_one)
    return tanh


def _recurrent_product_into(recurrent_kernel, rec_masks):
    """A function `(x_t, h, out)` writing `x_t + h @ recurrent_kernel` into `out`; with
    recurrent dropout (`rec_masks` `(gates, samples, units)`: one mask for all gates or one
    per gate) each gate's block of the kernel multiplies its own masked `h`."""
    if rec_masks is None:
        return lambda x_t, h, out: torch.addmm(x_t, h, recurrent_kernel, out=out)
    if rec_masks.shape[0] == 1:
        mask = rec_masks[0]
        return lambda x_t, h, out: torch.addmm(x_t, h * mask, recurrent_kernel, out=out)
    units = recurrent_kernel.shape[0]
    # Gate k's block of the kernel: `[k, u, v] = recurrent_kernel[u, k * units + v]`. The four
    # products run as one batched product (three ops a step instead of eight).
    gate_kernels = recurrent_kernel.reshape(units, 4, units).transpose(0, 1).contiguous()
    masked = rec_masks.new_empty(rec_masks.shape)

    def product(x_t, h, out):
        torch.mul(h, rec_masks, out=masked)
        by_gate = torch.baddbmm(x_t.reshape(-1, 4, units).transpose(0, 1), masked,
                                gate_kernels)
        out.view(-1, 4, units).copy_(by_gate.transpose(0, 1))
        return out
    return product


def _lstm_steps(projected, h, c, recurrent_kernel, mask, hard, go_backwards, keep,
                rec_masks=None):
    """The forward loop of `lstm_recurrence`: returns the `_Buffers` it filled."""
    inputs = projected.unbind(1)
    masks = [None] * len(inputs) if mask is None else mask.t().unsqueeze(2).unbind(0)
    if go_backwards:
        inputs, masks = inputs[::-1], masks[::-1]
    half = projected.new_full((), 0.5)
    tanh = tanh_into(projected)
    recurrent_product = _recurrent_product_into(recurrent_kernel, rec_masks)
    buffers = _Buffers(projected, h, c, keep)
    for x_t, mask_t, views in zip(inputs, masks, buffers.step_views()):
        z, gates, i, f, o, z_candidate, candidate, c_prev, c_new, tanh_c, h_prev, h_new = views
        recurrent_product(x_t, h_prev, out=z)
        if not keep:
            # Inference activates the gates in place: the candidate's tanh goes first.
            tanh(z_candidate, out=candidate)
        # One activation over the whole gate block (the candidate's slot is then rewritten).
        if hard:
            # 0.5 + 0.2 * z as one op (`alpha`), then the clamp.
            torch.add(half, z, alpha=0.2, out=gates).clamp_(0., 1.)
        else:
            torch.sigmoid(z, out=gates)
        if keep:
            tanh(z_candidate, out=candidate)
        torch.mul(f, c_prev, out=c_new).addcmul_(i, candidate)
        tanh(c_new, out=tanh_c)
        torch.mul(o, tanh_c, out=h_new)
        if mask_t is not None:
            torch.where(mask_t, h_new, h_prev, out=h_new)
            torch.where(mask_t, c_new, c_prev, out=c_new)
    return buffers


def _traceable_lstm(projected, h, c, recurrent_kernel, mask, hard, go_backwards,
                    rec_masks=None):
    """The same recurrence without buffers or in-place ops, for `torch.jit.trace` (ONNX
    export), which records each op of the loop once per step: writes into shared buffers
    and views would not translate faithfully."""
    units = h.shape[1]
    steps = range(projected.shape[1])
    outputs = []
    for t in (reversed(steps) if go_backwards else steps):
        if rec_masks is None:
            z = projected[:, t] + torch.matmul(h, recurrent_kernel)
        else:
            z = projected[:, t] + torch.cat([
                torch.matmul(h * rec_masks[k % rec_masks.shape[0]],
                             recurrent_kernel[:, k * units:(k + 1) * units])
                for k in range(4)], 1)
        gates = torch.clamp(z * 0.2 + 0.5, 0., 1.) if hard else torch.sigmoid(z)
        new_c = gates[:, units:2 * units] * c + \
            gates[:, :units] * torch.tanh(z[:, 2 * units:3 * units])
        new_h = gates[:, 3 * units:] * torch.tanh(new_c)
        if mask is not None:
            kept = mask[:, t].unsqueeze(1)
            new_h, new_c = torch.where(kept, new_h, h), torch.where(kept, new_c, c)
        h, c = new_h, new_c
        outputs.append(h)
    return torch.stack(outputs, 1), h, c


class _LSTMRecurrence(torch.autograd.Function):
    """The recurrent part of a Keras LSTM over a sequence, with a hand-written backward pass
    (one autograd node instead of a dozen per timestep)."""

    @staticmethod
    def forward(ctx, projected, h, c, recurrent_kernel, mask, hard, go_backwards, rec_masks):
        buffers = _lstm_steps(projected, h, c, recurrent_kernel, mask, hard, go_backwards,
                              True, rec_masks)
        hs, cs = buffers.hs, buffers.cs
        ctx.save_for_backward(recurrent_kernel, buffers.gates, buffers.zs if hard else None, cs,
                              buffers.tanh_cs, hs)
        ctx.mask, ctx.hard, ctx.go_backwards = mask, hard, go_backwards
        ctx.rec_masks = rec_masks
        # An output nothing depends on (the sequence, for an LSTM without
        # `return_sequences`) gets a `None` gradient rather than zeros to add at every step.
        ctx.set_materialize_grads(False)
        # New tensors rather than views of the saved buffers: a caller may change them in place.
        return hs[1:].transpose(0, 1).contiguous(), hs[-1].clone(), cs[-1].clone()

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_outputs, d_h, d_c):
        recurrent_kernel, gates, zs, cs, tanh_cs, hs = ctx.saved_tensors
        mask, hard, go_backwards = ctx.mask, ctx.hard, ctx.go_backwards
        rec_masks = ctx.rec_masks
        steps, batch, units = tanh_cs.shape
        i, f, g, o = gates.view(steps, batch, 4, units).unbind(2)
        # Per step, with dc the cell state's gradient once the output's is added in:
        #   dc += dh * o * (1 - tanh(c)^2)
        #   dz = (dc * g * i', dc * c_prev * f', dc * i * (1 - g^2), dh * tanh(c) * o')
        #   dc_prev = dc * f;  dh_prev = dz @ recurrent_kernel^T
        # (x' the gate activation's slope). The factors multiplying dc and dh depend only on
        # the forward pass: compute them for all steps at once, so that a step is a handful of
        # ops. A masked step passes dh and dc through unchanged: its factors are zero (dz = 0)
        # but for dc's, which is one, and dh_prev gets dh added back.
        factors = gates.new_empty((steps, batch, 4, units))
        # (1 - x^2) as one op.
        one = gates.new_full((), 1.)
        if hard:
            # The slope is 0.2 where 0 <= 0.5 + 0.2 z <= 1, i.e. where clamping leaves that
            # value as it is (computed as the forward pass has it, in `factors` until the
            # factors overwrite it).
            y = torch.add(zs.new_full((), 0.5), zs, alpha=0.2, out=factors.view_as(zs))
            slope = torch.eq(y, y.clamp(0., 1.)).view(steps, batch, 4, units)
            scale = 0.2
        else:
            slope = torch.addcmul(gates, gates, gates, value=-1).view(steps, batch, 4, units)
            scale = None
        torch.mul(g, slope[:, :, 0], out=factors[:, :, 0])
        torch.mul(cs[:-1], slope[:, :, 1], out=factors[:, :, 1])
        torch.mul(tanh_cs, slope[:, :, 3], out=factors[:, :, 3])
        if scale is not None:
            factors[:, :, :2].mul_(scale)
            factors[:, :, 3].mul_(scale)
        torch.mul(i, torch.addcmul(one, g, g, value=-1), out=factors[:, :, 2])
        dc_from_dh = torch.addcmul(one, tanh_cs, tanh_cs, value=-1).mul_(o)
        forget = f
        carry = None
        if mask is not None:
            order = torch.arange(steps - 1, -1, -1) if go_backwards else torch.arange(steps)
            kept = mask.t()[order.to(mask.device)].unsqueeze(2)
            factors.mul_(kept.unsqueeze(3).to(factors.dtype))
            dc_from_dh.mul_(kept.to(dc_from_dh.dtype))
            forget = torch.where(kept, forget, torch.ones_like(forget))
            carry = (~kept).to(forget.dtype).unbind(0)
        dh = d_h if d_h is not None else torch.zeros_like(tanh_cs[0])
        dc = d_c if d_c is not None else torch.zeros_like(tanh_cs[0])
        back_product = _recurrent_product_transpose(recurrent_kernel, rec_masks)
        # The gradients of the projections, in processing order; per step, the views the loop
        # reads and writes, made up front.
        dzs = gates.new_empty((steps, batch, 4 * units))
        dzs_by_gate = dzs.view(steps, batch, 4, units)
        per_step = zip(dzs.unbind(0), dzs_by_gate[:, :, :3].unbind(0),
                       dzs_by_gate[:, :, 3].unbind(0), factors[:, :, :3].unbind(0),
                       factors[:, :, 3].unbind(0), dc_from_dh.unbind(0), forget.unbind(0),
                       [None] * steps if d_outputs is None else d_outputs.unbind(1),
                       [None] * steps if carry is None else carry)
        for dz, dz_ifg, dz_o, factors_ifg, factor_o, from_dh, forget_k, d_out, carry_k in (
                reversed(list(per_step))):
            if d_out is not None:
                dh = dh + d_out
            dc = torch.addcmul(dc, dh, from_dh)
            torch.mul(dc.unsqueeze(1), factors_ifg, out=dz_ifg)
            torch.mul(dh, factor_o, out=dz_o)
            dc = dc * forget_k
            dh = back_product(dz, None if carry_k is None else dh * carry_k)
        # The recurrent kernel's gradient as one product over all steps (each step's output
        # before it against its projections' gradient), and the projections' in time order
        # (as `projected` is laid out).
        d_kernel = None
        if ctx.needs_input_grad[3]:
            d_kernel = recurrent_kernel_gradient(hs[:-1], dzs, rec_masks)
        d_projected = None
        if ctx.needs_input_grad[0]:
            d_projected = (dzs.flip(0) if go_backwards else dzs).transpose(0, 1)
        return d_projected, dh, dc, d_kernel, None, None, None, None


def _recurrent_product_transpose(recurrent_kernel, rec_masks):
    """A function `(dz, carried)`: the gradient into `h` of `_recurrent_product_into`'s
    product from that of its result `dz`, plus `carried` (`None`: nothing)."""
    kernel_t = recurrent_kernel.t()
    if rec_masks is None:
        return lambda dz, carried: (torch.mm(dz, kernel_t) if carried is None else
                                    torch.addmm(carried, dz, kernel_t))
    if rec_masks.shape[0] == 1:
        mask = rec_masks[0]

        def one_mask(dz, carried):
            dh = torch.mm(dz, kernel_t).mul_(mask)
            return dh if carried is None else dh.add_(carried)
        return one_mask
    units = recurrent_kernel.shape[0]
    # Gate k's block of the kernel, transposed: `[k, v, u] = recurrent_kernel[u, k * units + v]`.
    gate_kernels_t = recurrent_kernel.reshape(units, 4, units).permute(1, 2, 0).contiguous()

    def per_gate(dz, carried):
        by_gate = torch.bmm(dz.view(dz.shape[0], 4, units).transpose(0, 1), gate_kernels_t)
        dh = by_gate.mul_(rec_masks).sum(0)
        return dh if carried is None else dh.add_(carried)
    return per_gate


def _bool_mask(mask):
    """A `(samples, time)` bool tensor from a mask of any type with trailing unit axes."""
    if mask is None:
        return None
    if mask.dim() > 2:
        mask = mask.reshape(mask.shape[0], mask.shape[1])
    return mask if mask.dtype == torch.bool else mask != 0


@graph_op
def lstm_recurrence(projected, initial_h, initial_c, recurrent_kernel, recurrent_activation,
                    mask=None, go_backwards=False, recurrent_masks=None):
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
        recurrent_masks: `None`, or Keras 2's recurrent dropout: a list of one mask
            `(samples, units)` for all gates (`implementation=2`) or of four, one per gate
            (`implementation=1`), the same at every step; gate `k`'s recurrent product is
            then `(h * recurrent_masks[k]) @ recurrent_kernel[:, k-th block]`.

    # Returns
        `(outputs, h, c)`: outputs `(samples, time, units)` in processing order, final states.
    """
    hard = recurrent_activation == 'hard_sigmoid'
    mask = _bool_mask(mask)
    rec_masks = stacked_recurrent_masks(recurrent_masks, initial_h)
    if recording_graph():
        return _traceable_lstm(projected, initial_h, initial_c, recurrent_kernel, mask, hard,
                               go_backwards, rec_masks)
    # On the CPU, the compiled loops where they could be built (`lstm_loops.py`).
    looped = lstm_loops.lstm_recurrence(projected, initial_h, initial_c, recurrent_kernel,
                                        mask, hard, go_backwards, rec_masks)
    if looped is not None:
        return looped
    if torch.is_grad_enabled() and (projected.requires_grad or initial_h.requires_grad or
                                    initial_c.requires_grad or recurrent_kernel.requires_grad):
        return _LSTMRecurrence.apply(projected, initial_h, initial_c, recurrent_kernel, mask,
                                     hard, go_backwards, rec_masks)
    buffers = _lstm_steps(projected, initial_h, initial_c, recurrent_kernel, mask, hard,
                          go_backwards, False, rec_masks)
    hs = buffers.hs
    # (Views of this call's own buffers: nothing else holds them.)
    return hs[1:].transpose(0, 1), hs[-1], buffers.cs[projected.shape[1] % 2]


@graph_op
def lstm_input_recurrence(inputs, kernel, bias, initial_h, initial_c, recurrent_kernel,
                          recurrent_activation, mask=None, go_backwards=False,
                          input_masks=None, recurrent_masks=None):
    """Keras' LSTM (tanh activation) over a whole sequence of inputs, with the arguments and
    result of the JAX engine's `lstm_input_recurrence`. On the CPU without per-gate input
    masks or recurrent dropout, the C loops' fused path projects each step inside its loop
    where it is built (`lstm_loops.lstm_input_recurrence`); elsewhere the whole sequence is
    projected first (`dense`, or `dense_per_gate` with Keras 2's per-gate `input_masks`),
    then run through `lstm_recurrence`.
    """
    if input_masks is None and recurrent_masks is None and not recording_graph():
        looped = lstm_loops.lstm_input_recurrence(
            inputs, kernel, bias, initial_h, initial_c, recurrent_kernel, _bool_mask(mask),
            recurrent_activation == 'hard_sigmoid', go_backwards)
        if looped is not None:
            return looped
    projected = dense(inputs, kernel, bias) if input_masks is None else \
        dense_per_gate(inputs, input_masks, kernel, bias)
    return lstm_recurrence(projected, initial_h, initial_c, recurrent_kernel,
                           recurrent_activation, mask=mask, go_backwards=go_backwards,
                           recurrent_masks=recurrent_masks)
