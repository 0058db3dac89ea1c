"""K's neural-network functions: activations, losses, dropout, bias, batch normalization and
locally connected products.

Each function's signature, docstring and argument-only checks are written here once; the
engine's function of the same name (`cornu.backend.<engine>.nn`) computes. Checks that
need the engine's tensor (its shape, its rank) stay in the engine, calling `arguments.py`.
"""
from .. import common
from ..arguments import check_dropout_level
from ..engine_choice import engine_module
from ..symbolic import graph_op

_engine = engine_module('nn')

__all__ = [
    'relu', 'elu', 'softmax', 'softplus', 'softsign', 'sigmoid', 'hard_sigmoid', 'tanh',
    'categorical_crossentropy', 'sparse_categorical_crossentropy', 'binary_crossentropy',
    'dropout', 'bias_add', 'normalize_batch_in_training', 'batch_normalization',
    'local_conv1d', 'local_conv2d',
]


@graph_op
def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, with Keras 2.2.4's options.

    `f(x) = max_value` for `x >= max_value`, `x` for `threshold <= x < max_value` and
    `alpha * (x - threshold)` otherwise.

    # Arguments
        x: tensor or variable.
        alpha: slope below the threshold.
        max_value: saturation value, or `None`.
        threshold: threshold below which values are damped.

    # Returns
        A tensor.
    """
    return _engine.relu(x, alpha, max_value, threshold)


@graph_op
def elu(x, alpha=1.0):
    """Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise.

    # Arguments
        x: tensor or variable.
        alpha: scale of the negative part.

    # Returns
        A tensor.
    """
    return _engine.elu(x, alpha)


@graph_op
def softmax(x, axis=-1):
    """Softmax over `axis`.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        A tensor.
    """
    return _engine.softmax(x, axis)


@graph_op
def softplus(x):
    """Softplus, `log(1 + exp(x))`.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.softplus(x)


@graph_op
def softsign(x):
    """Softsign, `x / (1 + |x|)`.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.softsign(x)


@graph_op
def sigmoid(x):
    """Element-wise logistic sigmoid.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.sigmoid(x)


@graph_op
def hard_sigmoid(x):
    """Piecewise-linear sigmoid: `0.2 * x + 0.5`, clipped to `[0, 1]`.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.hard_sigmoid(x)


@graph_op
def tanh(x):
    """Element-wise hyperbolic tangent.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return _engine.tanh(x)


@graph_op
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical crossentropy between an output and a target of the same shape.

    Without `from_logits`, the output is rescaled to sum to 1 along `axis` and clipped to
    `[epsilon, 1 - epsilon]` before the log, as Keras 2.2.4 did.

    # Arguments
        target: tensor of the same shape as `output`.
        output: probabilities (e.g. a softmax output), or logits with `from_logits=True`.
        from_logits: whether `output` holds logits.
        axis: the channels axis (`-1`, or `1` for channels_first).

    # Returns
        A tensor with `axis` reduced.

    # Raises
        ValueError: if `axis` is not an axis of `output`.
    """
    return _engine.categorical_crossentropy(target, output, from_logits, axis)


@graph_op
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical crossentropy with integer targets.

    Without `from_logits`, the output is clipped to `[epsilon, 1 - epsilon]` and its log is
    used as logits (so the result is normalised by the clipped sum), as Keras 2.2.4 did.

    # Arguments
        target: integer tensor of shape `output.shape[:-1]` or `output.shape[:-1] + (1,)`
            (axes of `output` other than the channels axis).
        output: probabilities, or logits with `from_logits=True`.
        from_logits: whether `output` holds logits.
        axis: the channels axis (`-1`, or `1` for channels_first).

    # Returns
        A tensor of the shape of `output` without its channels axis.

    # Raises
        ValueError: if `axis` is not an axis of `output`.
    """
    return _engine.sparse_categorical_crossentropy(target, output, from_logits, axis)


@graph_op
def binary_crossentropy(target, output, from_logits=False):
    """Binary crossentropy between an output and a target of the same shape.

    Without `from_logits`, the output is clipped to `[epsilon, 1 - epsilon]` and turned back
    into logits before the sigmoid crossentropy, as Keras 2.2.4 did.

    # Arguments
        target: tensor of the same shape as `output`.
        output: probabilities, or logits with `from_logits=True`.
        from_logits: whether `output` holds logits.

    # Returns
        A tensor of the shape of `output`.
    """
    return _engine.binary_crossentropy(target, output, from_logits)


@graph_op
def dropout(x, level, noise_shape=None, seed=None):
    """Sets entries of `x` to zero with probability `level`, scaling the rest by `1 / (1 - level)`.

    # Arguments
        x: tensor.
        level: fraction of entries to drop, in `[0, 1)`.
        noise_shape: shape of the keep/drop mask, broadcastable to `x` (`None` entries take
            the size of `x`).
        seed: int or `None`. A seeded call draws from a stream reserved for that seed, which
            advances with each call (and, on JAX, each training step), so a run is
            reproducible but masks differ per step.

    # Returns
        A tensor.

    # Raises
        ValueError: if `level` is outside `[0, 1)`.
    """
    if level != 0:  # a level of 0 returns `x` unchanged, without a check
        check_dropout_level(level)
    return _engine.dropout(x, level, noise_shape, seed)


@graph_op
def bias_add(x, bias, data_format=None):
    """Adds a bias to a tensor, with Keras 2.2.4's rules.

    A 1-D bias is added along the channels axis. A bias with `ndim(x) - 1` axes holds one
    value per position, given in channels_last order `(..., channels)`; for channels_first it
    is reshaped (not transposed) to `(channels, ...)` as Keras 2.2.4 did, so weights saved by
    it keep their meaning.

    # Arguments
        x: tensor.
        bias: 1-D tensor, or a tensor with `ndim(x) - 1` axes.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).

    # Returns
        A tensor.

    # Raises
        ValueError: for a bias of another rank, or whose size does not match the channels.
    """
    return _engine.bias_add(x, bias, data_format)


@graph_op
def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=0.001):
    """Normalises a batch with its own mean and variance over `reduction_axes`.

    For 4-D inputs normalised per channel (axes `[0, 1, 2]` or `[0, 2, 3]`), Keras 2.2.4 used
    TensorFlow's fused batch norm: the variance it returns is the unbiased one (times
    `n / (n - 1)`), which feeds the moving variance, and `epsilon` is at least 1.001e-5. Other
    cases return the biased variance. Both are reproduced.

    # Arguments
        x: tensor.
        gamma: scale, 1-D over the kept axes (or `None`).
        beta: offset, 1-D over the kept axes (or `None`).
        reduction_axes: list of ints, the axes to normalise over.
        epsilon: fuzz factor.

    # Returns
        `(normalized_tensor, mean, variance)`, the statistics with the reduced axes removed.
    """
    return _engine.normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon)


@graph_op
def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=0.001):
    """Applies `(x - mean) / sqrt(var + epsilon) * gamma + beta`.

    For 4-D inputs normalised along axis 1/-3 or 3/-1 the statistics may be 1-D or broadcast
    shaped (as TensorFlow's fused batch norm, whose minimum epsilon of 1.001e-5 applies);
    otherwise they broadcast against `x` as given.

    # Arguments
        x: tensor.
        mean: mean.
        var: variance.
        beta: offset, or `None`.
        gamma: scale, or `None`.
        axis: the normalised (features) axis.
        epsilon: fuzz factor.

    # Returns
        A tensor.
    """
    return _engine.batch_normalization(x, mean, var, beta, gamma, axis, epsilon)


@graph_op
def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    """1-D convolution with unshared weights (one kernel per output position).

    # Arguments
        inputs: 3-D tensor `(batch, steps, input_dim)`.
        kernel: tensor of shape `(output_length, kernel_size * input_dim, filters)`; each
            row is laid out `(kernel position, input channel)`.
        kernel_size: tuple of one int.
        strides: tuple of one int.
        data_format: accepted for Keras 2 compatibility (the data is channels_last).

    # Returns
        A 3-D tensor `(batch, output_length, filters)`.
    """
    common.normalize_data_format(data_format)
    return _engine.local_conv1d(inputs, kernel, kernel_size, strides, data_format)


@graph_op
def local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    """2-D convolution with unshared weights (one kernel per output position).

    # Arguments
        inputs: 4-D tensor.
        kernel: tensor of shape `(output_rows * output_cols, feature_dim, filters)`; each row
            is laid out `(rows, cols, channels)` for channels_last and `(channels, rows, cols)`
            for channels_first, as Keras 2.
        kernel_size: pair of ints.
        strides: pair of ints.
        output_shape: `(output_rows, output_cols)`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).

    # Returns
        A 4-D tensor with `filters` channels.
    """
    data_format = common.normalize_data_format(data_format)
    return _engine.local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format)
