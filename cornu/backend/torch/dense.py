"""The fused dense kernel behind `Dense` and the recurrent cells' input projections.

Internal to cornu (reached through `cornu.backend.kernels`); `cornu.backend.jax.dense` has the
same names.
"""
import torch
import torch.nn.functional as F

from ..symbolic import graph_op
from .core import graph_capture_active

__all__ = ['dense', 'dense_per_gate', 'DENSE_ACTIVATIONS']


@graph_op
def dense(inputs, kernel, bias=None, activation=None):
    """`activation(inputs @ kernel + bias)`, the product as one kernel call (`addmm` for 2-D
    inputs).

    # Arguments
        inputs: tensor of shape `(..., input_dim)`.
        kernel: `(input_dim, units)` matrix (Keras layout).
        bias: optional `(units,)` vector.
        activation: `None` (linear), or one of `DENSE_ACTIVATIONS`: Keras' activation of
            that name with its defaults (`'softmax'` over the last axis).
    """
    if inputs.dim() == 2:
        if _narrow_inference(inputs, kernel, bias):
            output = _transposed_product(inputs, kernel, bias)
        elif bias is None:
            output = torch.mm(inputs, kernel)
        else:
            output = torch.addmm(bias, inputs, kernel)
    else:
        output = F.linear(inputs, kernel.t(), bias)
    if activation is None:
        return output
    return _ACTIVATIONS[activation](output)


# What `K.relu`, `K.sigmoid`, `K.tanh` and `K.softmax` compute with their defaults, called
# directly: a `Dense` layer's activation then costs one Python call instead of four.
_ACTIVATIONS = {'relu': torch.relu, 'sigmoid': torch.sigmoid, 'tanh': torch.tanh,
                'softmax': lambda x: torch.softmax(x, dim=-1)}
DENSE_ACTIVATIONS = frozenset(_ACTIVATIONS)


# CPU products with a narrow output (2 to 15 units: a classifier's last layer) are two to
# three times faster computed transposed, `(kernel^T @ inputs^T)^T`, than as `inputs @
# kernel`, once they are big enough to matter (a batch of 128 rows of 512 inputs into 10
# units: ~100 against ~30 us on one thread). One unit is a matrix-vector product, fast
# either way; below `_NARROW_MIN_WORK` multiply-adds per unit the extra views cost more than
# they save. Training keeps `addmm`: there the transposed form's gradient is no faster.
_NARROW_UNITS = range(2, 16)
_NARROW_MIN_WORK = 16384


def _narrow_inference(inputs, kernel, bias):
    """Whether `inputs @ kernel (+ bias)` is a big enough product into a narrow output that
    needs no gradient, on CPU tensors, outside graph capture (which should see the portable
    `addmm`)."""
    # What reads neither the batch size nor the capture state first: a weight's shape is
    # static even under graph capture, most layers are wider than `_NARROW_UNITS`, and a
    # training step's products end here too, without the capture checks (~10 Python calls).
    if kernel.shape[1] not in _NARROW_UNITS or inputs.device.type != 'cpu':
        return False
    if torch.is_grad_enabled() and (inputs.requires_grad or kernel.requires_grad or
                                    (bias is not None and bias.requires_grad)):
        return False
    # Under torch.compile and torch.export the batch size may be symbolic: a comparison
    # would put a guard on it.
    if torch.compiler.is_compiling():
        return False
    # A small batch (prediction one small batch at a time) is decided before the remaining
    # capture checks.
    if inputs.shape[0] * inputs.shape[1] < _NARROW_MIN_WORK:
        return False
    return not graph_capture_active()


def _transposed_product(inputs, kernel, bias):
    if bias is None:
        product = torch.mm(kernel.t(), inputs.t())
    else:
        product = torch.addmm(bias.unsqueeze(1), kernel.t(), inputs.t())
    # Row-major again, as callers may view or reshape it (a copy of a few units per row).
    return product.t().contiguous()


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
    size = kernel.shape[1] // len(masks)
    parts = []
    for gate, mask in enumerate(masks):
        block = slice(gate * size, (gate + 1) * size)
        parts.append(dense(inputs * mask, kernel[:, block],
                           None if bias is None else bias[block]))
    return torch.cat(parts, dim=-1)
