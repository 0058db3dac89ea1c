"""Batch means of the built-in accuracies and of the crossentropy from logits, each in one
function.

A training step averages a built-in accuracy over the batch: `K.mean` of the metric, four
`K` calls and their dispatch for a handful of tensor ops. These functions run the same ops
in the same order (identical numbers) from one Python frame, except the crossentropy, which
is averaged inside the loss op (equal up to rounding); the step uses them only where no
sample weight or mask is involved (see `cornu.engine.step_logic`).
`cornu.backend.jax.fused_metrics` has the same names, built from the same `K` formulas.

Targets that are exactly one-hot may be given as their class indices instead
(`one_hot_class_indices`, worked out once per `fit` or `evaluate`): the categorical accuracy
and the crossentropy from logits then skip reading the one-hot rows (~10% of a small model's
training step), with the same numbers.
"""
import numpy as np
import torch

from .. import common
from .core import convert_to_tensor, standardize_dtype
from .nn import categorical_crossentropy, softmax

_cross_entropy_loss = torch._C._nn.cross_entropy_loss
_MEAN_REDUCTION = 1  # `torch.nn._reduction.get_enum('mean')`

__all__ = ['mean_categorical_accuracy', 'mean_binary_accuracy',
           'mean_crossentropy_from_logits', 'probabilities_from_logits',
           'one_hot_class_indices']


def _class_indices_of(target, scores):
    """Whether `target` is the class indices of `scores`' rows: an integer tensor with one
    dimension fewer."""
    return target.dim() == scores.dim() - 1 and not target.is_floating_point() and \
        target.dtype is not torch.bool


def mean_categorical_accuracy(y_true, y_pred):
    """`mean(cast(equal(argmax(y_true), argmax(y_pred)), floatx))`: the batch's
    `categorical_accuracy`.

    # Arguments
        y_true: one-hot targets (a boolean tensor is taken as 0/1), or their class indices
            (`one_hot_class_indices`: `argmax(y_true)` itself).
        y_pred: predicted class scores, shaped like the one-hot targets.

    # Returns
        A scalar tensor of `floatx()`.
    """
    if _class_indices_of(y_true, y_pred):
        hits = torch.eq(y_true, torch.argmax(y_pred, dim=-1))
        return torch.mean(hits, dtype=standardize_dtype(common.floatx()))
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
        target: class probabilities (one-hot), shaped like `logits`, or the class indices
            of one-hot rows (`one_hot_class_indices`).
        logits: the output before its softmax.

    # Returns
        A scalar tensor.
    """
    if logits.dim() == 2 and logits.shape[0] and _class_indices_of(target, logits):
        # The row's log-probability of its class, where the one-hot form sums the row's
        # products with zeros: the same number per row, the batch averaged by the loss op
        # (in another order: equal up to rounding), and the same gradients, from two
        # autograd nodes instead of five.
        return _cross_entropy_loss(logits, target, None, _MEAN_REDUCTION, -100, 0.)
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


def one_hot_class_indices(targets):
    """The class indices of `targets` when every row is exactly one-hot, else `None`.

    # Arguments
        targets: a NumPy array of shape `(samples, classes)`, as given to `fit`.

    # Returns
        An int64 tensor of shape `(samples,)` on `DEVICE` (`argmax` of each row), or `None`
        for targets of another shape or type, or with a row that is not one 1 among 0s (soft
        labels, label smoothing, NaN).
    """
    if not isinstance(targets, np.ndarray) or targets.ndim != 2 or not targets.shape[1] or \
            targets.dtype.kind != 'f':
        return None
    indices = np.argmax(targets, axis=1)
    # Each row's largest entry is 1 and the rows hold one non-zero each: one 1 among 0s.
    # (On the host: the same checks as tensor ops take ~20 times longer on a CPU.)
    if np.count_nonzero(targets) != len(targets) or \
            not np.all(targets[np.arange(len(targets)), indices] == 1):
        return None
    return convert_to_tensor(indices, dtype='int64')
