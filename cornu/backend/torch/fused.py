"""Fused kernels behind built-in layers and optimizers (beyond Keras 2's K API).

Layers reach engine-specific fast paths through these functions, so that the layer code stays
engine-neutral; `cornu.backend.jax.fused` has the same names.
"""
import torch
import torch.nn.functional as F

__all__ = ['dense', 'gradients_of']


def dense(inputs, kernel, bias=None):
    """`inputs @ kernel + bias` as one kernel call (`addmm` for 2-D inputs).

    # Arguments
        inputs: tensor of shape `(..., input_dim)`.
        kernel: `(input_dim, units)` matrix (Keras layout).
        bias: optional `(units,)` vector.
    """
    if inputs.dim() == 2:
        if bias is None:
            return torch.mm(inputs, kernel)
        return torch.addmm(bias, inputs, kernel)
    return F.linear(inputs, kernel.t(), bias)


def gradients_of(loss, params):
    """Gradients of a scalar `loss` for the training step (no higher-order graph kept).

    Parameters the loss does not depend on get `None`.
    """
    return torch.autograd.grad(loss, params, allow_unused=True)


# ---------------------------------------------------------------- recurrent layers
# Keras 2 keeps recurrent weights as `kernel (input_dim, gates * units)`,
# `recurrent_kernel (units, gates * units)` and biases in its own gate order; the functions
# below convert them for torch's native LSTM/GRU kernels (`torch.lstm`/`torch.gru`, the ops
# behind `nn.LSTM`/`nn.GRU`) on every call, so gradients flow back to the Keras variables.

import warnings  # noqa: E402

__all__ += ['rnn_zero_states', 'rnn_mask_all_valid', 'rnn_step_matmul', 'lstm_sequence',
            'gru_sequence']

_zero_biases = {}


def _zero_bias(size, like):
    key = (size, like.dtype, like.device)
    bias = _zero_biases.get(key)
    if bias is None:
        # A normal tensor even when first needed under inference mode, so that training
        # graphs may use it later.
        with torch.inference_mode(False):
            bias = _zero_biases[key] = torch.zeros(size, dtype=like.dtype, device=like.device)
    return bias


def rnn_zero_states(inputs, shapes):
    """All-zero initial states for a batch of sequences.

    # Arguments
        inputs: tensor `(samples, time, ...)`; gives the batch size, dtype and device.
        shapes: list of state shapes without the batch axis, e.g. `[(units,), (units,)]`.

    # Returns
        A list of zero tensors `(samples,) + shape`.
    """
    batch = inputs.shape[0]
    return [torch.zeros((batch,) + tuple(shape), dtype=inputs.dtype, device=inputs.device)
            for shape in shapes]


def rnn_mask_all_valid(mask):
    """Whether no timestep of `mask` is masked (reads the mask: a host sync on GPU)."""
    return bool(mask.all())


def rnn_step_matmul(projected_inputs, states, recurrent_kernel):
    """`projected_inputs + states @ recurrent_kernel` as one kernel call (one RNN step)."""
    return torch.addmm(projected_inputs, states, recurrent_kernel)


def _keras_to_torch_gates(weight, units, order):
    """Reorders the gate blocks of the last axis of a Keras weight (`order` lists the Keras
    blocks in torch's order) and puts the gate axis first, as torch's kernels take it."""
    if order is None:
        return weight.t() if weight.dim() == 2 else weight
    blocks = [weight[..., i * units:(i + 1) * units] for i in order]
    merged = torch.cat(blocks, dim=-1)
    return merged.t() if merged.dim() == 2 else merged


def _cudnn_to_torch_gates(weight, units, order):
    """Torch's `(gates * units, rows)` weight from a Keras CuDNN layer's `(rows, gates * units)`
    one. Keras 2 handed each gate block to cuDNN by flattening it as it is stored, so cuDNN
    reads the `(rows, units)` block as a `(units, rows)` matrix (a reshape, not a transpose;
    for the square recurrent blocks, the block itself)."""
    rows = weight.shape[0]
    gates = weight.shape[1] // units
    blocks = weight.reshape(rows, gates, units).permute(1, 0, 2)
    if order is not None:
        blocks = blocks[list(order)]
    return blocks.reshape(gates * units, rows)


def _run_native(op, inputs, hidden, kernel, recurrent_kernel, bias_ih, bias_hh, units, order,
                go_backwards, layout='keras'):
    if go_backwards:
        inputs = torch.flip(inputs, (1,))
    to_torch = _cudnn_to_torch_gates if layout == 'cudnn' else _keras_to_torch_gates
    params = [to_torch(kernel, units, order), to_torch(recurrent_kernel, units, order)]
    if bias_ih is not None or bias_hh is not None:
        if bias_ih is None:
            bias_ih = _zero_bias(bias_hh.shape[0], bias_hh)
        if bias_hh is None:
            bias_hh = _zero_bias(bias_ih.shape[0], bias_ih)
        params += [_keras_to_torch_gates(bias_ih, units, order),
                   _keras_to_torch_gates(bias_hh, units, order)]
    if inputs.is_cuda:
        # cuDNN wants one flat weight buffer; it copies ours into one on each call (and
        # says so once). The copy is the price of keeping Keras' variables.
        params = [p.contiguous() for p in params]
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', UserWarning)
            return op(inputs, hidden, params, len(params) == 4, 1, 0.0, False, False, True)
    return op(inputs, hidden, params, len(params) == 4, 1, 0.0, False, False, True)


def lstm_sequence(inputs, initial_h, initial_c, kernel, recurrent_kernel, bias_ih=None,
                  bias_hh=None, go_backwards=False, layout='keras'):
    """Runs an LSTM (tanh activation, sigmoid gates) over a batch of sequences with torch's
    native kernel.

    # Arguments
        inputs: tensor `(samples, time, input_dim)`.
        initial_h, initial_c: tensors `(samples, units)`.
        kernel: `(input_dim, 4 * units)`, gates in Keras order i, f, c, o (also torch's).
        recurrent_kernel: `(units, 4 * units)`.
        bias_ih, bias_hh: optional `(4 * units,)` biases added to the input and recurrent
            projections (Keras' LSTM has one bias: pass it as `bias_ih`; CuDNNLSTM has both).
        go_backwards: process the sequence from its last step.
        layout: `'keras'` (`inputs @ kernel`, as LSTM computes) or `'cudnn'` (the layout of
            Keras 2's CuDNNLSTM weights, see `_cudnn_to_torch_gates`).

    # Returns
        `(outputs, h, c)`: outputs `(samples, time, units)` in processing order, final states.
    """
    hidden = (initial_h.unsqueeze(0), initial_c.unsqueeze(0))
    units = recurrent_kernel.shape[0]
    outputs, h, c = _run_native(torch.lstm, inputs, hidden, kernel, recurrent_kernel, bias_ih,
                                bias_hh, units, None, go_backwards, layout)
    return outputs, h[0], c[0]


def gru_sequence(inputs, initial_h, kernel, recurrent_kernel, bias_ih=None, bias_hh=None,
                 go_backwards=False, layout='keras'):
    """Runs a GRU with the reset gate applied after the recurrent matrix product (Keras'
    `reset_after=True`, cuDNN's and torch's formula; tanh activation, sigmoid gates) with
    torch's native kernel.

    # Arguments
        inputs: tensor `(samples, time, input_dim)`.
        initial_h: tensor `(samples, units)`.
        kernel: `(input_dim, 3 * units)`, gates in Keras order z, r, h (torch's is r, z, n).
        recurrent_kernel: `(units, 3 * units)`.
        bias_ih, bias_hh: optional `(3 * units,)` input and recurrent biases (Keras order).
        go_backwards: process the sequence from its last step.
        layout: `'keras'` (GRU's) or `'cudnn'` (Keras 2's CuDNNGRU weights).

    # Returns
        `(outputs, h)`: outputs `(samples, time, units)` in processing order, final state.
    """
    units = recurrent_kernel.shape[0]
    outputs, h = _run_native(torch.gru, inputs, initial_h.unsqueeze(0), kernel,
                             recurrent_kernel, bias_ih, bias_hh, units, (1, 0, 2), go_backwards,
                             layout)
    return outputs, h[0]


__all__ += ['lstm_recurrence']

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


# ---------------------------------------------------------------- data-parallel replicas
# `multi_gpu_model` runs one replica of a model per device on a slice of the batch. The
# variables stay where they are (one copy, on the engine's device, updated by one optimizer);
# inside `replica_placement` every op that meets tensors on several devices runs where its
# activations are, and reads the variables through differentiable copies made once per device
# (gradients flow back to the variables). Outside the scope nothing changes, and inside it ops
# whose tensors share a device cost one Python-level check.

from torch.overrides import TorchFunctionMode  # noqa: E402

__all__ += ['gpu_count', 'to_device', 'replica_placement']

_GATHERING_OPS = frozenset([torch.cat, torch.concat, torch.concatenate, torch.stack])


def _canonical_device(device):
    device = torch.device(device)
    if device.type == 'cuda' and device.index is None:
        return torch.device('cuda', torch.cuda.current_device())
    return device


def gpu_count():
    """Returns the number of CUDA devices visible to this process (0 without CUDA)."""
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def to_device(x, device):
    """Returns `x` on `device` (e.g. `'cuda:1'`, `'cpu'`); a differentiable copy, or `x` itself
    when it is there already."""
    device = _canonical_device(device)
    return x if x.device == device else x.to(device)


def _tensors_in(value, found):
    if isinstance(value, torch.Tensor):
        found.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _tensors_in(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _tensors_in(item, found)
    return found


def _map_tensors(value, fn):
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, tuple) and not hasattr(value, '_fields'):
        return tuple(_map_tensors(item, fn) for item in value)
    if isinstance(value, list):
        return [_map_tensors(item, fn) for item in value]
    if isinstance(value, dict):
        return {key: _map_tensors(item, fn) for key, item in value.items()}
    return value


def _is_in_place(func):
    name = getattr(func, '__name__', '')
    if name.startswith('__'):
        return name == '__setitem__' or name.startswith('__i')
    return name.endswith('_')


class _ReplicaPlacement(TorchFunctionMode):
    """Resolves ops that meet tensors on several devices (see `replica_placement`)."""

    def __init__(self, home):
        super(_ReplicaPlacement, self).__init__()
        self.home = home
        # (id, device, version) -> (source, copy) for leaf tensors (variables, constants),
        # so that a variable read by many ops of a replica is copied to its device once.
        self.copies = {}

    def _target(self, func, args, devices):
        if _is_in_place(func):
            # An in-place update (a moving statistic, a state) stays where its tensor lives.
            first = args[0] if args else None
            if isinstance(first, torch.Tensor):
                return first.device
        if func in _GATHERING_OPS:
            return self.home
        elsewhere = [d for d in devices if d != self.home]
        return elsewhere[0] if len(elsewhere) == 1 else self.home

    def _move(self, tensor, device):
        if tensor.device == device:
            return tensor
        if tensor.grad_fn is not None or tensor.is_inference():
            return tensor.to(device)
        key = (id(tensor), device, tensor._version)
        cached = self.copies.get(key)
        if cached is None:
            cached = self.copies[key] = (tensor, tensor.to(device))
        return cached[1]

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        tensors = _tensors_in(kwargs, _tensors_in(args, []))
        if len(tensors) > 1:
            devices = []
            for tensor in tensors:
                if tensor.device not in devices:
                    devices.append(tensor.device)
            if len(devices) > 1:
                target = self._target(func, args, devices)
                args = _map_tensors(args, lambda t: self._move(t, target))
                kwargs = _map_tensors(kwargs, lambda t: self._move(t, target))
        return func(*args, **kwargs)


def replica_placement(home=None):
    """A context in which ops on tensors from several devices run on one of them.

    Meant for data-parallel replicas: a replica's input slice is put on its device
    (`to_device`) and the model runs on it unchanged; the variables it reads stay on the
    engine's device and are copied (differentiably, once per device and run) to where they are
    needed. Rules for an op that meets several devices: an in-place update runs on its
    tensor's device; concatenating or stacking gathers on `home`; any other op runs on the one
    device other than `home` among its tensors (on `home` if there are several).

    # Arguments
        home: the device where outputs are gathered and variables live (default: the
            engine's device).

    # Returns
        A context manager.
    """
    from .core import DEVICE
    return _ReplicaPlacement(_canonical_device(DEVICE if home is None else home))
