"""Neural-network ops on JAX: activations, losses, dropout, bias, normalization, local
convolutions (convolutions and pooling: `conv.py`).

Semantics follow Keras 2.2.4's TensorFlow backend and match `cornu.backend.torch.nn`: kernels
keep Keras 2's layouts (conv2d `(rows, cols, in, out)`, which is XLA's `HWIO`), `'same'`
padding reproduces TensorFlow's (extra padding at the end when the total is odd) and
`data_format=None` means `image_data_format()`. Convolutions are `lax.conv_general_dilated`
on the data in its own layout (no transposed copies); pooling is `lax.reduce_window`.

Bare implementations: each function's signature, docstring and argument-only checks are
in `cornu.backend.api.nn`, which calls these.
"""
import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

from .. import common
from ..arguments import (batch_statistics_axes, bias_shape, check_channels_axis,
                         fused_statistics_shape, noise_shape_of, unbiased_factor)
from ..conv_arithmetic import normalize_tuple
from .core import _t
from .random import _dropout_uniform

__all__ = [
    'relu', 'elu', 'softmax', 'softplus', 'softsign', 'sigmoid', 'hard_sigmoid', 'tanh',
    'categorical_crossentropy', 'sparse_categorical_crossentropy', 'binary_crossentropy',
    'dropout', 'bias_add', 'normalize_batch_in_training', 'batch_normalization', 'local_conv1d',
    'local_conv2d',
]


# ACTIVATIONS

def relu(x, alpha=0., max_value=None, threshold=0.):
    x = _t(x)
    zero = jnp.zeros((), x.dtype)
    if threshold == 0. and alpha != 0. and max_value is None:
        # Leaky ReLU; the slope at 0 is alpha, as torch's leaky_relu.
        return jnp.where(x > 0, x, x * alpha)
    if alpha != 0.:
        negative_part = jax.nn.relu(threshold - x) if threshold != 0. else jax.nn.relu(-x)
    if threshold != 0.:
        out = x * (x > threshold).astype(x.dtype)
    else:
        out = jax.nn.relu(x)
    if max_value is not None:
        # Clamping like torch's hardtanh/clamp: ties keep the gradient of the input.
        out = jnp.where(out <= max_value, out, jnp.asarray(max_value, x.dtype))
        out = jnp.where(out >= 0., out, zero)
    if alpha != 0.:
        out = out - alpha * negative_part
    return out


def elu(x, alpha=1.):
    x = _t(x)
    safe = jnp.where(x > 0, jnp.zeros_like(x), x)
    return jnp.where(x > 0, x, alpha * jnp.expm1(safe))


def softmax(x, axis=-1):
    return jax.nn.softmax(_t(x), axis=axis)


def softplus(x):
    x = _t(x)
    # torch's formula: linear above 20, where log1p(exp(x)) rounds to x anyway.
    return jnp.where(x > 20., x, jnp.log1p(jnp.exp(jnp.minimum(x, 20.))))


def softsign(x):
    x = _t(x)
    return x / (1. + jnp.abs(x))


def sigmoid(x):
    return jax.nn.sigmoid(_t(x))


def hard_sigmoid(x):
    y = _t(x) * 0.2 + 0.5
    y = jnp.where(y >= 0., y, jnp.zeros_like(y))
    return jnp.where(y <= 1., y, jnp.ones_like(y))


def tanh(x):
    return jnp.tanh(_t(x))


# LOSSES

def _clip_probabilities(output):
    eps = common.epsilon()
    output = jnp.where(output >= eps, output, jnp.asarray(eps, output.dtype))
    return jnp.where(output <= 1. - eps, output, jnp.asarray(1. - eps, output.dtype))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target = _t(target)
    output = _t(output)
    check_channels_axis(axis, output.ndim)
    if from_logits:
        return -jnp.sum(target * jax.nn.log_softmax(output, axis=axis), axis=axis)
    output = output / jnp.sum(output, axis=axis, keepdims=True)
    output = _clip_probabilities(output)
    return -jnp.sum(target * jnp.log(output), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target = _t(target)
    output = _t(output)
    ndim = output.ndim
    check_channels_axis(axis, ndim)
    if axis != -1 and axis != ndim - 1:
        output = jnp.moveaxis(output, axis, -1)
    if not from_logits:
        output = jnp.log(_clip_probabilities(output))
    num_classes = output.shape[-1]
    log_probs = jax.nn.log_softmax(output.reshape(-1, num_classes), axis=-1)
    labels = target.reshape(-1).astype(jnp.int64)
    loss = -jnp.take_along_axis(log_probs, labels[:, None], axis=1)[:, 0]
    if ndim >= 3:
        return loss.reshape(output.shape[:-1])
    return loss


def binary_crossentropy(target, output, from_logits=False):
    target = _t(target)
    output = _t(output)
    if not from_logits:
        eps = common.epsilon()
        # Outside [eps, 1 - eps] the clipped value has no gradient (torch's logit with eps).
        inside = (output >= eps) & (output <= 1. - eps)
        clipped = jnp.where(inside, output, jax.lax.stop_gradient(
            jnp.clip(output, eps, 1. - eps)))
        output = jnp.log(clipped / (1. - clipped))
    if target.dtype != output.dtype:
        target = target.astype(output.dtype)
    # max(x, 0) - x * z + log(1 + exp(-|x|)): stable for any logit.
    return jax.nn.relu(output) - output * target + jnp.log1p(jnp.exp(-jnp.abs(output)))


# DROPOUT

def dropout(x, level, noise_shape=None, seed=None):
    x = _t(x)
    if level == 0:
        return x
    if noise_shape is None:
        shape = x.shape
    else:
        shape = noise_shape_of(x.shape, noise_shape)
    uniform = _dropout_uniform(seed, shape, x.dtype)
    keep = (uniform >= level).astype(x.dtype) / (1. - level)
    return x * keep


# BIAS

def bias_add(x, bias, data_format=None):
    x = _t(x)
    bias = _t(bias)
    shape = bias_shape(x.shape, bias.shape, data_format)
    return x + (bias if shape is None else bias.reshape(shape))


# NORMALIZATION

def _scale_and_shift(x, mean, var, beta, gamma, epsilon):
    # tf.nn.batch_normalization's arithmetic: x * (gamma / sqrt(var + eps)) + (beta - mean * .)
    inv = lax.rsqrt(var + epsilon)
    if gamma is not None:
        inv = inv * gamma
    shift = mean * inv
    shift = beta - shift if beta is not None else -shift
    return shift + x * inv


def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=1e-3):
    x = _t(x)
    axes, fused, epsilon = batch_statistics_axes(reduction_axes, x.ndim, epsilon)
    mean = jnp.mean(x, axis=tuple(axes), keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=tuple(axes), keepdims=True)
    kept_shape = mean.shape
    if gamma is not None:
        gamma = _t(gamma).reshape(kept_shape)
    if beta is not None:
        beta = _t(beta).reshape(kept_shape)
    normed = _scale_and_shift(x, mean, var, beta, gamma, epsilon)
    mean = jnp.squeeze(mean, tuple(axes))
    var = jnp.squeeze(var, tuple(axes))
    if fused:
        var = var * unbiased_factor(x.size, mean.size)
    return normed, mean, var


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    x = _t(x)
    mean = _t(mean)
    var = _t(var)
    beta = None if beta is None else _t(beta)
    gamma = None if gamma is None else _t(gamma)
    shape, epsilon = fused_statistics_shape(x.ndim, axis, epsilon)
    if shape is not None:
        mean = mean.reshape(shape)
        var = var.reshape(shape)
        if beta is not None:
            beta = beta.reshape(shape)
        if gamma is not None:
            gamma = gamma.reshape(shape)
    return _scale_and_shift(x, mean, var, beta, gamma, epsilon)


# LOCALLY-CONNECTED

def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    inputs = _t(inputs)
    kernel = _t(kernel)
    length = normalize_tuple(kernel_size, 1)[0]
    stride = normalize_tuple(strides, 1)[0]
    output_length, feature_dim, filters = kernel.shape
    index = np.arange(output_length)[:, None] * stride + np.arange(length)[None, :]
    # (batch, positions, length, channels) -> (positions, batch, length * channels)
    patches = jnp.transpose(inputs[:, index, :], (1, 0, 2, 3))
    patches = patches.reshape(output_length, inputs.shape[0], feature_dim)
    return jnp.transpose(jnp.matmul(patches, kernel), (1, 0, 2))


def local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    inputs = _t(inputs)
    kernel = _t(kernel)
    rows, cols = normalize_tuple(kernel_size, 2)
    stride_rows, stride_cols = normalize_tuple(strides, 2)
    output_rows, output_cols = (int(s) for s in output_shape)
    _, feature_dim, filters = kernel.shape
    batch = inputs.shape[0]
    row_index = (np.arange(output_rows)[:, None] * stride_rows +
                 np.arange(rows)[None, :])[:, None, :, None]
    col_index = (np.arange(output_cols)[:, None] * stride_cols +
                 np.arange(cols)[None, :])[None, :, None, :]
    if data_format == 'channels_first':
        # (batch, channels, out_rows, out_cols, rows, cols)
        patches = inputs[:, :, row_index, col_index]
        patches = jnp.transpose(patches, (2, 3, 0, 1, 4, 5))
    else:
        # (batch, out_rows, out_cols, rows, cols, channels)
        patches = inputs[:, row_index, col_index, :]
        patches = jnp.transpose(patches, (1, 2, 0, 3, 4, 5))
    patches = patches.reshape(output_rows * output_cols, batch, feature_dim)
    out = jnp.matmul(patches, kernel).reshape(output_rows, output_cols, batch, filters)
    if data_format == 'channels_first':
        return jnp.transpose(out, (2, 3, 0, 1))
    return jnp.transpose(out, (2, 0, 1, 3))
