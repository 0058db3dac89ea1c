"""LSTM and GRU over whole sequences with torch's native kernels (`torch.lstm`/`torch.gru`,
the ops behind `nn.LSTM`/`nn.GRU`), from Keras 2's weight layouts.

Keras 2 keeps recurrent weights as `kernel (input_dim, gates * units)`,
`recurrent_kernel (units, gates * units)` and biases in its own gate order; the functions
below convert them for torch's kernels on every call, so gradients flow back to the Keras
variables. Internal (`cornu.backend.kernels` re-exports them); `cornu.backend.jax.native_rnn`
has the same names.
"""
import warnings

import torch

from ..symbolic import graph_op
from .rnn_steps import recording_graph

__all__ = ['lstm_sequence', 'gru_sequence']

_zero_biases = {}


def _zero_bias(size, like):
    if recording_graph():
        # Under `torch.export` tensors made here are placeholders of the trace: one kept
        # for later calls would be a fake tensor.
        return torch.zeros(size, dtype=like.dtype, device=like.device)
    key = (size, like.dtype, like.device)
    bias = _zero_biases.get(key)
    if bias is None:
        # A normal tensor even when first needed under inference mode, so that training
        # graphs may use it later.
        with torch.inference_mode(False):
            bias = _zero_biases[key] = torch.zeros(size, dtype=like.dtype, device=like.device)
    return bias


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


@graph_op
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


@graph_op
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
