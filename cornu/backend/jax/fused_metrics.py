"""Batch means of the built-in accuracies and of the crossentropy from logits, each in one
function (`cornu.backend.torch.fused_metrics` has the same names).

On JAX a training step is traced once, so these save nothing per step; they exist so that
the step is written once for both engines, and they are the `K` formulas themselves.
"""
from .. import common
from .core import cast
from .math import argmax, equal, mean, round
from .nn import categorical_crossentropy, softmax

__all__ = ['mean_categorical_accuracy', 'mean_binary_accuracy',
           'mean_crossentropy_from_logits', 'probabilities_from_logits']


def mean_categorical_accuracy(y_true, y_pred):
    """`mean(cast(equal(argmax(y_true), argmax(y_pred)), floatx))`: the batch's
    `categorical_accuracy`.

    # Arguments
        y_true: one-hot targets.
        y_pred: predicted class scores, same shape.

    # Returns
        A scalar tensor of `floatx()`.
    """
    return mean(cast(equal(argmax(y_true, -1), argmax(y_pred, -1)), common.floatx()))


def mean_binary_accuracy(y_true, y_pred):
    """`mean(mean(equal(y_true, round(y_pred)), axis=-1))`: the batch's `binary_accuracy`.

    # Arguments
        y_true: 0/1 targets.
        y_pred: predicted probabilities, same shape.

    # Returns
        A scalar tensor of `floatx()`.
    """
    return mean(mean(equal(y_true, round(y_pred)), -1))


def mean_crossentropy_from_logits(target, logits):
    """`mean(categorical_crossentropy(target, logits, from_logits=True))`: the batch's
    loss of a softmax output whose crossentropy is fused with it.

    # Arguments
        target: class probabilities (one-hot), shaped like `logits`.
        logits: the output before its softmax.

    # Returns
        A scalar tensor.
    """
    return mean(categorical_crossentropy(target, logits, from_logits=True))


def probabilities_from_logits(logits):
    """`K.softmax(logits)`: the probabilities of a softmax output that the step computes as
    logits (for the metrics, which read probabilities).

    # Arguments
        logits: the output before its softmax.

    # Returns
        A tensor shaped like `logits`.
    """
    return softmax(logits, -1)
