"""Batch means of the built-in accuracies and of the crossentropy from logits, each in one
function (`cornu.backend.torch.fused_metrics` has the same names).

On JAX a training step is traced once, so these save nothing per step; they exist so that
the step is written once for both engines, and they are the `K` formulas themselves.
"""
from .. import common
from .core import cast
from .math import argmax, equal, mean, round
from .nn import categorical_crossentropy, softmax, sparse_categorical_crossentropy

__all__ = ['mean_categorical_accuracy', 'mean_binary_accuracy',
           'mean_crossentropy_from_logits', 'probabilities_from_logits',
           'one_hot_class_indices']


def _class_indices_of(target, scores):
    """Whether `target` is the class indices of `scores`' rows: an integer array with one
    dimension fewer."""
    return target.ndim == scores.ndim - 1 and (target.dtype.kind in 'iu')


def mean_categorical_accuracy(y_true, y_pred):
    """`mean(cast(equal(argmax(y_true), argmax(y_pred)), floatx))`: the batch's
    `categorical_accuracy`.

    # Arguments
        y_true: one-hot targets, or their class indices (`argmax(y_true)` itself).
        y_pred: predicted class scores, shaped like the one-hot targets.

    # Returns
        A scalar tensor of `floatx()`.
    """
    if _class_indices_of(y_true, y_pred):
        return mean(cast(equal(y_true, argmax(y_pred, -1)), common.floatx()))
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
        target: class probabilities (one-hot), shaped like `logits`, or the class indices
            of one-hot rows.
        logits: the output before its softmax.

    # Returns
        A scalar tensor.
    """
    if _class_indices_of(target, logits):
        return mean(sparse_categorical_crossentropy(target, logits, from_logits=True))
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


def one_hot_class_indices(targets):
    """`None`: JAX steps take one-hot targets as they are.

    (A padded batch, `cornu.backend.steps.feed`, runs the general losses, which read the
    one-hot rows; and the step is compiled, so reading indices would save no dispatch.)

    # Arguments
        targets: a NumPy array of shape `(samples, classes)`, as given to `fit`.
    """
    return None
