"""Batch means of the built-in accuracies and of the crossentropy from logits, each in one
function.

A training step averages a built-in accuracy over the batch: `K.mean` of the metric, four
`K` calls and their dispatch for a handful of tensor ops. These functions run the same ops
in the same order (identical numbers) from one Python frame, except the crossentropy, which
is averaged inside the loss op (equal up to rounding); the step uses them only where no
sample weight or mask is involved (see `cornu.engine.step_logic`).
`cornu.backend.jax.fused_metrics` has the same names, built from the same `K` formulas.
"""
import torch

from .. import common
from .core import standardize_dtype
from .nn import categorical_crossentropy, softmax

_cross_entropy_loss = torch._C._nn.cross_entropy_loss
_MEAN_REDUCTION = 1  # `torch.nn._reduction.get_enum('mean')`

__all__ = ['mean_categorical_accuracy', 'mean_binary_accuracy',
           'mean_crossentropy_from_logits', 'probabilities_from_logits']


def mean_categorical_accuracy(y_true, y_pred):
    """`mean(cast(equal(argmax(y_true), argmax(y_pred)), floatx))`: the batch's
    `categorical_accuracy`.

    # Arguments
        y_true: one-hot targets (a boolean tensor is taken as 0/1).
        y_pred: predicted class scores, same shape.

    # Returns
        A scalar tensor of `floatx()`.
    """
    if y_true.dtype == torch.bool:
        y_true = y_true.to(torch.uint8)
    hits = torch.eq(torch.argmax(y_true, dim=-1), torch.argmax(y_pred, dim=-1))
    # Averaging booleans as `dtype` casts them first: the op of `K.cast`, inside `mean`.
    return torch.mean(hits, dtype=standardize_dtype(common.floatx()))


def mean_binary_accuracy(y_true, y_pred):
    """`mean(mean(equal(y_true, round(y_pred)), axis=-1))`: the batch's `binary_accuracy`.

    # Arguments
        y_true: 0/1 targets.
        y_pred: predicted probabilities, same shape.

    # Returns
        A scalar tensor of `floatx()`.
    """
    hits = torch.eq(y_true, torch.round(y_pred))
    return torch.mean(torch.mean(hits, dim=-1, dtype=standardize_dtype(common.floatx())))


def mean_crossentropy_from_logits(target, logits):
    """`mean(categorical_crossentropy(target, logits, from_logits=True))`: the batch's
    loss of a softmax output whose crossentropy is fused with it.

    # Arguments
        target: class probabilities (one-hot), shaped like `logits`.
        logits: the output before its softmax.

    # Returns
        A scalar tensor.
    """
    if logits.dim() == 2 and target.dtype == logits.dtype and target.shape == logits.shape \
            and logits.shape[0]:
        # Averaged by the loss op itself: one op and one autograd node fewer, forward and
        # backward (~3% of a small model's step). It sums the batch's products in one
        # reduction where the general formula sums each row, then averages the rows: the
        # same number up to rounding (an ulp or so), and the same gradients.
        return _cross_entropy_loss(logits, target, None, _MEAN_REDUCTION, -100, 0.)
    return torch.mean(categorical_crossentropy(target, logits, from_logits=True))


def probabilities_from_logits(logits):
    """`K.softmax(logits)`: the probabilities of a softmax output that the step computes as
    logits (for the metrics, which read probabilities).

    # Arguments
        logits: the output before its softmax.

    # Returns
        A tensor shaped like `logits`.
    """
    return softmax(logits, -1)
