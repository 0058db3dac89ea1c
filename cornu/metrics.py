"""Built-in metrics (Keras 2.2.4 `keras.metrics`).

A metric is a function of `(y_true, y_pred)` that reports how well a model does; it is not
differentiated. The accuracies are defined here; every loss of `cornu.losses` is also a metric
under the same names. The training loop averages what a metric returns over the samples of a
batch, and the batch values over an epoch. Models take metrics by name
(`model.compile(..., metrics=['mae'])`) through `get`; `'accuracy'`/`'acc'` and
`'crossentropy'`/`'ce'` are picked by the training loop according to the loss, not here.
"""
from . import backend as K
from .losses import (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
                     mean_squared_logarithmic_error, squared_hinge, hinge, categorical_hinge,
                     logcosh, categorical_crossentropy, sparse_categorical_crossentropy,
                     binary_crossentropy, kullback_leibler_divergence, poisson,
                     cosine_proximity)
from ._common.serialization import deserialize_keras_object, serialize_keras_object


def binary_accuracy(y_true, y_pred):
    """Fraction of the predictions that, rounded to 0 or 1, equal the targets.

    # Arguments
        y_true: tensor of 0/1 targets (floating, integer or boolean).
        y_pred: tensor of predicted probabilities, same shape.

    # Returns
        Tensor with one axis less than the inputs:
        `mean(equal(y_true, round(y_pred)), axis=-1)`.
    """
    # K.mean averages booleans as floatx, so no cast is needed before it.
    return K.mean(K.equal(y_true, K.round(y_pred)), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """Whether the most probable predicted class is the target class.

    # Arguments
        y_true: tensor of one-hot targets.
        y_pred: tensor of predicted class scores, same shape.

    # Returns
        Tensor with one axis less than the inputs, 1 where `argmax(y_true) == argmax(y_pred)`
        over the last axis, else 0.
    """
    # `K.argmax` takes boolean one-hot targets as they are.
    return K.cast(K.equal(K.argmax(y_true, axis=-1), K.argmax(y_pred, axis=-1)), K.floatx())


def sparse_categorical_accuracy(y_true, y_pred):
    """Whether the most probable predicted class is the integer target.

    As in Keras 2.2.4 the target is `max(y_true, axis=-1)`, which reads a target of shape
    `(..., 1)` (what the training loop feeds). Targets without that axis (one axis less than
    `y_pred`) are taken as they are.

    # Arguments
        y_true: tensor of class indices, shaped like `y_pred` with a last axis of size 1.
        y_pred: tensor of predicted class scores.

    # Returns
        Tensor shaped like `y_pred` without its last axis, 1 where the target equals
        `argmax(y_pred, axis=-1)`, else 0.
    """
    if K.ndim(y_true) == K.ndim(y_pred):
        y_true = K.max(y_true, axis=-1)
    predicted = K.argmax(y_pred, axis=-1)
    if 'int' not in K.dtype(y_true):
        # Floating (or boolean) targets are compared with the predicted index as floatx.
        predicted = K.cast(predicted, K.floatx())
    return K.cast(K.equal(y_true, predicted), K.floatx())


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Fraction of the samples whose target class is among the `k` highest predictions.

    # Arguments
        y_true: 2-D tensor of one-hot targets, `(batch, classes)`.
        y_pred: 2-D tensor of predicted class scores, same shape.
        k: integer, how many of the top predictions count.

    # Returns
        Scalar tensor (as in Keras 2.2.4, the per-sample hits are already averaged over the
        batch): the mean of `in_top_k(y_pred, argmax(y_true, axis=-1), k)`.
    """
    if K.dtype(y_true) == 'bool':
        y_true = K.cast(y_true, 'uint8')
    return K.mean(K.in_top_k(y_pred, K.argmax(y_true, axis=-1), k), axis=-1)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Fraction of the samples whose integer target is among the `k` highest predictions.

    # Arguments
        y_true: tensor of class indices, `(batch,)` or `(batch, 1)`.
        y_pred: 2-D tensor of predicted class scores, `(batch, classes)`.
        k: integer, how many of the top predictions count.

    # Returns
        Scalar tensor (as in Keras 2.2.4, averaged over the batch): the mean of
        `in_top_k(y_pred, flatten(y_true), k)`.
    """
    targets = K.flatten(y_true)
    if 'int' not in K.dtype(targets):
        targets = K.cast(targets, 'int64')
    return K.mean(K.in_top_k(y_pred, targets, k), axis=-1)


# Aliases.

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence
cosine = cosine_proximity

# What `deserialize` and `get` resolve: metric functions and their aliases only.
_METRICS = {fn.__name__: fn for fn in (
    binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy,
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, squared_hinge, hinge, categorical_hinge, logcosh,
    categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy,
    kullback_leibler_divergence, poisson, cosine_proximity)}
_METRICS.update(mse=mse, MSE=MSE, mae=mae, MAE=MAE, mape=mape, MAPE=MAPE, msle=msle, MSLE=MSLE,
                kld=kld, KLD=KLD, cosine=cosine)


def serialize(metric):
    """Returns what a config stores for a metric: the function's name.

    # Arguments
        metric: a metric function (an alias serializes to the full name).
    """
    return serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    """Returns the metric function called `config`.

    # Arguments
        config: string, a built-in metric's name or alias, or one of `custom_objects`.
        custom_objects: optional dictionary mapping names to user functions.

    # Raises
        ValueError: `Unknown metric function: <name>`.
    """
    return deserialize_keras_object(config, module_objects=_METRICS,
                                    custom_objects=custom_objects,
                                    printable_module_name='metric function')


def get(identifier):
    """Resolves a metric given by name, serialized form or function to a function.

    # Arguments
        identifier: a metric name (`'mae'`), a serialized metric, or a callable (returned as
            is).

    # Returns
        A function of `(y_true, y_pred)`.

    # Raises
        ValueError: for an unknown name or an identifier of another type (`None` included).
    """
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError('Could not interpret metric function identifier: ' + str(identifier))
