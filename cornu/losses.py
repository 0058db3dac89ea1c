"""Built-in loss functions (Keras 2.2.4 `keras.losses`).

Each takes `(y_true, y_pred)`, tensors of the same shape (integer class indices for the sparse
crossentropy), and returns one value per sample: the input shape without its last axis. The
training loop weights these per-sample values and averages them. Models take a loss by name
(`model.compile(loss='mse', ...)`) through `get`.

Keras 2 fed targets through a placeholder with the model output's dtype, so losses always saw
floating targets. Here targets may arrive as integers or booleans; the losses convert such
targets to the prediction's dtype first (floating targets are used as they are, so the common
case costs one dtype check).
"""
import math

from . import backend as K
from ._common.serialization import deserialize_keras_object, serialize_keras_object

_LOG_2 = math.log(2.)


def _float_targets(y_true, y_pred):
    """`y_true`, cast to `y_pred`'s dtype unless it already is floating."""
    if 'float' in K.dtype(y_true):
        return y_true
    return K.cast(y_true, K.dtype(y_pred))


def mean_squared_error(y_true, y_pred):
    """Mean of the squared differences over the last axis.

    # Arguments
        y_true: tensor of targets.
        y_pred: tensor of predictions, same shape as `y_true`.

    # Returns
        Tensor with one axis less than the inputs: `mean(square(y_pred - y_true), axis=-1)`.
    """
    y_true = _float_targets(y_true, y_pred)
    return K.mean(K.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean of the absolute differences over the last axis.

    # Arguments
        y_true: tensor of targets.
        y_pred: tensor of predictions, same shape as `y_true`.

    # Returns
        Tensor with one axis less than the inputs: `mean(abs(y_pred - y_true), axis=-1)`.
    """
    y_true = _float_targets(y_true, y_pred)
    return K.mean(K.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """Mean absolute error relative to the targets, in percent.

    Target magnitudes below `K.epsilon()` are raised to `K.epsilon()` so that zero targets do
    not divide by zero.

    # Arguments
        y_true: tensor of targets.
        y_pred: tensor of predictions, same shape as `y_true`.

    # Returns
        Tensor with one axis less than the inputs:
        `100 * mean(abs((y_true - y_pred) / clip(abs(y_true), epsilon, None)), axis=-1)`.
    """
    y_true = _float_targets(y_true, y_pred)
    diff = K.abs((y_true - y_pred) / K.clip(K.abs(y_true), K.epsilon(), None))
    return 100. * K.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean squared difference of `log(1 + x)`, with both inputs first raised to `K.epsilon()`.

    # Arguments
        y_true: tensor of non-negative targets.
        y_pred: tensor of predictions, same shape as `y_true`.

    # Returns
        Tensor with one axis less than the inputs:
        `mean(square(log(clip(y_pred, eps) + 1) - log(clip(y_true, eps) + 1)), axis=-1)`.
    """
    y_true = _float_targets(y_true, y_pred)
    first_log = K.log(K.clip(y_pred, K.epsilon(), None) + 1.)
    second_log = K.log(K.clip(y_true, K.epsilon(), None) + 1.)
    return K.mean(K.square(first_log - second_log), axis=-1)


def squared_hinge(y_true, y_pred):
    """Mean squared hinge loss over the last axis.

    # Arguments
        y_true: tensor of targets, `-1` or `1`.
        y_pred: tensor of predictions (scores), same shape as `y_true`.

    # Returns
        Tensor with one axis less than the inputs:
        `mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)`.
    """
    y_true = _float_targets(y_true, y_pred)
    return K.mean(K.square(K.maximum(1. - y_true * y_pred, 0.)), axis=-1)


def hinge(y_true, y_pred):
    """Mean hinge loss over the last axis.

    # Arguments
        y_true: tensor of targets, `-1` or `1`.
        y_pred: tensor of predictions (scores), same shape as `y_true`.

    # Returns
        Tensor with one axis less than the inputs: `mean(maximum(1 - y_true * y_pred, 0), axis=-1)`.
    """
    y_true = _float_targets(y_true, y_pred)
    return K.mean(K.maximum(1. - y_true * y_pred, 0.), axis=-1)


def categorical_hinge(y_true, y_pred):
    """Hinge loss between the score of the true class and the best score of another class.

    # Arguments
        y_true: tensor of one-hot targets.
        y_pred: tensor of predictions (scores), same shape as `y_true`.

    # Returns
        Tensor with one axis less than the inputs: `maximum(neg - pos + 1, 0)`, where
        `pos = sum(y_true * y_pred, axis=-1)` and `neg = max((1 - y_true) * y_pred, axis=-1)`.
    """
    y_true = _float_targets(y_true, y_pred)
    pos = K.sum(y_true * y_pred, axis=-1)
    neg = K.max((1. - y_true) * y_pred, axis=-1)
    return K.maximum(0., neg - pos + 1.)


def logcosh(y_true, y_pred):
    """Mean logarithm of the hyperbolic cosine of the prediction error.

    `log(cosh(x))` is about `x ** 2 / 2` for small `x` and `abs(x) - log(2)` for large `x`:
    like the mean squared error, but less sensitive to the occasional wild prediction. It is
    computed as `x + softplus(-2 * x) - log(2)`, which does not overflow for large `x`.

    # Arguments
        y_true: tensor of targets.
        y_pred: tensor of predictions, same shape as `y_true`.

    # Returns
        Tensor with one axis less than the inputs: `mean(log(cosh(y_pred - y_true)), axis=-1)`.
    """
    x = y_pred - _float_targets(y_true, y_pred)
    return K.mean(x + K.softplus(-2. * x) - _LOG_2, axis=-1)


def categorical_crossentropy(y_true, y_pred):
    """Crossentropy between one-hot (or soft) targets and predicted class probabilities.

    See `K.categorical_crossentropy`: the predictions are scaled to sum to 1 over the last axis
    and clipped to `[epsilon, 1 - epsilon]` before the logarithm.

    # Arguments
        y_true: tensor of targets, a probability distribution over the last axis.
        y_pred: tensor of predicted probabilities (e.g. a softmax output), same shape.

    # Returns
        Tensor with one axis less than the inputs: `-sum(y_true * log(y_pred), axis=-1)`.
    """
    return K.categorical_crossentropy(y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred):
    """Crossentropy between integer class targets and predicted class probabilities.

    # Arguments
        y_true: tensor of class indices, shaped like `y_pred` without its last axis, or with
            a last axis of size 1; integer or floating.
        y_pred: tensor of predicted probabilities over the last axis.

    # Returns
        Tensor shaped like `y_pred` without its last axis: `-log(y_pred[..., y_true])`.
    """
    return K.sparse_categorical_crossentropy(y_true, y_pred)


def binary_crossentropy(y_true, y_pred):
    """Mean binary crossentropy over the last axis.

    See `K.binary_crossentropy`: the predictions are clipped to `[epsilon, 1 - epsilon]`.

    # Arguments
        y_true: tensor of targets in `[0, 1]`.
        y_pred: tensor of predicted probabilities (e.g. a sigmoid output), same shape.

    # Returns
        Tensor with one axis less than the inputs:
        `mean(-(y_true * log(y_pred) + (1 - y_true) * log(1 - y_pred)), axis=-1)`.
    """
    y_true = _float_targets(y_true, y_pred)
    return K.mean(K.binary_crossentropy(y_true, y_pred), axis=-1)


def kullback_leibler_divergence(y_true, y_pred):
    """Kullback-Leibler divergence of the predicted from the target distribution.

    Both inputs are clipped to `[epsilon, 1]` first, so zero probabilities stay finite.

    # Arguments
        y_true: tensor of target probabilities over the last axis.
        y_pred: tensor of predicted probabilities, same shape.

    # Returns
        Tensor with one axis less than the inputs: `sum(y_true * log(y_true / y_pred), axis=-1)`.
    """
    y_true = K.clip(_float_targets(y_true, y_pred), K.epsilon(), 1)
    y_pred = K.clip(y_pred, K.epsilon(), 1)
    return K.sum(y_true * K.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """Mean Poisson negative log-likelihood (without the constant `log(y_true!)` term).

    # Arguments
        y_true: tensor of non-negative targets (counts).
        y_pred: tensor of predicted rates, same shape.

    # Returns
        Tensor with one axis less than the inputs:
        `mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)`.
    """
    y_true = _float_targets(y_true, y_pred)
    return K.mean(y_pred - y_true * K.log(y_pred + K.epsilon()), axis=-1)


def cosine_proximity(y_true, y_pred):
    """Negative cosine similarity between targets and predictions over the last axis.

    # Arguments
        y_true: tensor of targets.
        y_pred: tensor of predictions, same shape.

    # Returns
        Tensor with one axis less than the inputs, in `[-1, 1]` (`-1`: same direction):
        `-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis=-1)`.
    """
    y_true = K.l2_normalize(_float_targets(y_true, y_pred), axis=-1)
    y_pred = K.l2_normalize(y_pred, axis=-1)
    return -K.sum(y_true * y_pred, axis=-1)


# Aliases.

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence
cosine = cosine_proximity

# What `deserialize` and `get` resolve: the loss functions and their aliases only, so that a
# name such as 'K' or 'math' is reported as unknown instead of returning a module.
_LOSSES = {fn.__name__: fn for fn in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, squared_hinge, hinge, categorical_hinge, logcosh,
    categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy,
    kullback_leibler_divergence, poisson, cosine_proximity)}
_LOSSES.update(mse=mse, MSE=MSE, mae=mae, MAE=MAE, mape=mape, MAPE=MAPE, msle=msle, MSLE=MSLE,
               kld=kld, KLD=KLD, cosine=cosine)


def serialize(loss):
    """Returns what a config stores for a loss: the function's name.

    # Arguments
        loss: a loss function (an alias serializes to the full name, e.g. `'mean_squared_error'`).
    """
    return serialize_keras_object(loss)


def deserialize(name, custom_objects=None):
    """Returns the loss function called `name`.

    # Arguments
        name: string, a built-in loss's name or alias, or one of `custom_objects`.
        custom_objects: optional dictionary mapping names to user functions.

    # Raises
        ValueError: `Unknown loss function: <name>`.
    """
    return deserialize_keras_object(name, module_objects=_LOSSES,
                                    custom_objects=custom_objects,
                                    printable_module_name='loss function')


def get(identifier):
    """Resolves a `loss` argument to a function.

    # Arguments
        identifier: `None`, a loss name (`'mse'`), a serialized loss, or a callable (returned
            as is).

    # Returns
        A function of `(y_true, y_pred)`, or `None` for `None`.

    # Raises
        ValueError: for an unknown name or an identifier of another type.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError('Could not interpret loss function identifier: ' + str(identifier))
