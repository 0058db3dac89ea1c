"""Built-in activation functions (Keras 2.2.4 `keras.activations`).

Each takes a tensor (or variable, or symbolic tensor) and returns a tensor of the same shape.
Layers take them by name (`Dense(64, activation='relu')`) through `get`.
"""
import warnings

from . import backend as K
from ._common.serialization import deserialize_keras_object

# SELU constants from Klambauer et al., "Self-Normalizing Neural Networks" (2017).
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def softmax(x, axis=-1):
    """Softmax activation function.

    # Arguments
        x: input tensor, at least 2-D.
        axis: integer, axis along which the softmax normalization is applied.

    # Returns
        Tensor, `exp(x) / sum(exp(x), axis)`, computed stably.

    # Raises
        ValueError: for a 1-D (or 0-D) input.
    """
    ndim = K.ndim(x)
    if ndim == 2:
        return K.softmax(x, axis=axis)
    if ndim > 2:
        e = K.exp(x - K.max(x, axis=axis, keepdims=True))
        s = K.sum(e, axis=axis, keepdims=True)
        return e / s
    raise ValueError('Cannot apply softmax to a tensor that is 1D. '
                     'Received input: %s' % (x,))


def elu(x, alpha=1.0):
    """Exponential linear unit.

    # Arguments
        x: input tensor.
        alpha: scalar, slope of the negative section.

    # Returns
        `x` where `x > 0`, `alpha * (exp(x) - 1)` elsewhere.

    # References
        - [Fast and Accurate Deep Network Learning by Exponential Linear Units
           (ELUs)](https://arxiv.org/abs/1511.07289)
    """
    return K.elu(x, alpha)


def selu(x):
    """Scaled exponential linear unit: `scale * elu(x, alpha)`.

    `alpha = 1.6732632423543772848170429916717` and `scale = 1.0507009873554804934193349852946`
    keep the mean and variance of the activations across layers, given `lecun_normal` weights
    (and `AlphaDropout` for dropout).

    # Arguments
        x: input tensor.

    # Returns
        The scaled exponential linear activation of `x`.

    # References
        - [Self-Normalizing Neural Networks](https://arxiv.org/abs/1706.02515)
    """
    return _SELU_SCALE * K.elu(x, _SELU_ALPHA)


def softplus(x):
    """Softplus activation: `log(exp(x) + 1)`.

    # Arguments
        x: input tensor.
    """
    return K.softplus(x)


def softsign(x):
    """Softsign activation: `x / (abs(x) + 1)`.

    # Arguments
        x: input tensor.
    """
    return K.softsign(x)


def relu(x, alpha=0., max_value=None, threshold=0.):
    """Rectified linear unit.

    With the defaults, `max(x, 0)`. In general: `max_value` where `x >= max_value`, `x` where
    `threshold <= x < max_value`, `alpha * (x - threshold)` elsewhere.

    # Arguments
        x: input tensor.
        alpha: float, slope of the negative part.
        max_value: float, saturation value (`None`: no saturation).
        threshold: float, threshold of the thresholded activation.
    """
    if alpha == 0. and max_value is None and threshold == 0.:
        return K.relu(x)  # the common case, without keyword arguments to look through
    return K.relu(x, alpha=alpha, max_value=max_value, threshold=threshold)


def tanh(x):
    """Hyperbolic tangent activation.

    # Arguments
        x: input tensor.
    """
    return K.tanh(x)


def sigmoid(x):
    """Sigmoid activation: `1 / (1 + exp(-x))`.

    # Arguments
        x: input tensor.
    """
    return K.sigmoid(x)


def hard_sigmoid(x):
    """Hard sigmoid: `0` below `-2.5`, `1` above `2.5`, `0.2 * x + 0.5` in between.

    # Arguments
        x: input tensor.
    """
    return K.hard_sigmoid(x)


def exponential(x):
    """Exponential (base e) activation: `exp(x)`.

    # Arguments
        x: input tensor.
    """
    return K.exp(x)


def linear(x):
    """Linear (identity) activation: returns `x` unchanged.

    # Arguments
        x: input tensor.
    """
    return x


# The names `deserialize` and `get` resolve: only the activation functions, so that a string
# such as 'K' or 'warnings' is reported as unknown rather than returning a module.
_ACTIVATIONS = {fn.__name__: fn for fn in (softmax, elu, selu, softplus, softsign, relu, tanh,
                                           sigmoid, hard_sigmoid, exponential, linear)}


def serialize(activation):
    """Returns the name of an activation function (what configs store)."""
    return activation.__name__


def deserialize(name, custom_objects=None):
    """Returns the activation function called `name`.

    # Arguments
        name: string, a built-in activation's name or one of `custom_objects`.
        custom_objects: optional dictionary of user functions.

    # Raises
        ValueError: `Unknown activation function: <name>`.
    """
    return deserialize_keras_object(name, module_objects=_ACTIVATIONS,
                                    custom_objects=custom_objects,
                                    printable_module_name='activation function')


def _looks_like_layer(obj):
    return (hasattr(obj, 'compute_output_shape') and hasattr(obj, 'get_config') and
            hasattr(obj, 'call'))


def get(identifier):
    """Resolves an `activation` argument to a function.

    # Arguments
        identifier: `None` (linear), a name, or a callable (returned as is).

    # Returns
        A function of one tensor.

    # Raises
        ValueError: for a name that is not an activation or an identifier of another type.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return deserialize(str(identifier))
    if callable(identifier):
        if _looks_like_layer(identifier):
            warnings.warn('%s is a layer: pass it as a layer of the model, not as the '
                          '`activation` argument of another layer.'
                          % identifier.__class__.__name__)
        return identifier
    raise ValueError('Could not interpret activation function identifier: ' +
                     str(identifier))
