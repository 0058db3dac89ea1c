"""K's convolutions (1-D to 3-D, depthwise, separable, transposed) and pooling.

Each function's signature, docstring and argument-only checks are written here once; the
engine's function of the same name (`cornu.backend.<engine>.conv`) computes. Checks that
need the engine's tensor (its shape, its rank) stay in the engine, calling `arguments.py`.
Convolution arithmetic (argument tuples, padding, transposed geometry) is in
`conv_arithmetic.py`.
"""
from .. import common
from ..engine_choice import engine_module
from ..symbolic import graph_op

_engine = engine_module('conv')

__all__ = [
    'conv1d', 'conv2d', 'conv3d', 'depthwise_conv2d', 'separable_conv2d', 'separable_conv1d',
    'conv2d_transpose', 'conv3d_transpose', 'pool2d', 'pool3d',
]


@graph_op
def conv1d(x, kernel, strides=1, padding='valid', data_format=None, dilation_rate=1):
    """1-D convolution.

    # Arguments
        x: 3-D tensor, `(batch, steps, channels)` or `(batch, channels, steps)`.
        kernel: tensor of shape `(kernel_size, in_channels, filters)`.
        strides: int.
        padding: `'valid'`, `'same'` or `'causal'` (channels_last only).
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int.

    # Returns
        A 3-D tensor.

    # Raises
        ValueError: for causal padding with channels_first data.
    """
    data_format = common.normalize_data_format(data_format)
    return _engine.conv1d(x, kernel, strides, padding, data_format, dilation_rate)


@graph_op
def conv2d(x, kernel, strides=(1, 1), padding='valid', data_format=None, dilation_rate=(1, 1)):
    """2-D convolution.

    # Arguments
        x: 4-D tensor.
        kernel: tensor of shape `(rows, cols, in_channels, filters)`.
        strides: int or pair of ints.
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int or pair of ints.

    # Returns
        A 4-D tensor.
    """
    data_format = common.normalize_data_format(data_format)
    return _engine.conv2d(x, kernel, strides, padding, data_format, dilation_rate)


@graph_op
def conv3d(x, kernel, strides=(1, 1, 1), padding='valid', data_format=None, dilation_rate=(1, 1,
           1)):
    """3-D convolution.

    # Arguments
        x: 5-D tensor.
        kernel: tensor of shape `(k1, k2, k3, in_channels, filters)`.
        strides: int or triple of ints.
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int or triple of ints.

    # Returns
        A 5-D tensor.
    """
    data_format = common.normalize_data_format(data_format)
    return _engine.conv3d(x, kernel, strides, padding, data_format, dilation_rate)


@graph_op
def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding='valid', data_format=None,
                     dilation_rate=(1, 1)):
    """Depthwise 2-D convolution: each input channel is convolved with its own filters.

    # Arguments
        x: 4-D tensor.
        depthwise_kernel: tensor of shape `(rows, cols, in_channels, depth_multiplier)`.
        strides: int or pair of ints.
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int or pair of ints.

    # Returns
        A 4-D tensor with `in_channels * depth_multiplier` channels.
    """
    data_format = common.normalize_data_format(data_format)
    return _engine.depthwise_conv2d(x, depthwise_kernel, strides, padding, data_format,
                                    dilation_rate)


@graph_op
def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding='valid',
                     data_format=None, dilation_rate=(1, 1)):
    """2-D convolution with separable filters: depthwise, then pointwise (1x1).

    # Arguments
        x: 4-D tensor.
        depthwise_kernel: tensor of shape `(rows, cols, in_channels, depth_multiplier)`.
        pointwise_kernel: tensor of shape `(1, 1, in_channels * depth_multiplier, filters)`.
        strides: int or pair of ints (of the depthwise step).
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int or pair of ints.

    # Returns
        A 4-D tensor.
    """
    data_format = common.normalize_data_format(data_format)
    return _engine.separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides, padding,
                                    data_format, dilation_rate)


@graph_op
def separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides=1, padding='valid',
                     data_format=None, dilation_rate=1):
    """1-D convolution with separable filters: depthwise, then pointwise.

    # Arguments
        x: 3-D tensor.
        depthwise_kernel: tensor of shape `(kernel_size, in_channels, depth_multiplier)`.
        pointwise_kernel: tensor of shape `(1, in_channels * depth_multiplier, filters)`.
        strides: int.
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int.

    # Returns
        A 3-D tensor.
    """
    data_format = common.normalize_data_format(data_format)
    return _engine.separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides, padding,
                                    data_format, dilation_rate)


@graph_op
def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding='valid', data_format=None,
                     dilation_rate=(1, 1)):
    """2-D transposed convolution (the gradient of `conv2d` with respect to its input).

    # Arguments
        x: 4-D tensor.
        kernel: tensor of shape `(rows, cols, filters, in_channels)`.
        output_shape: the output shape in `data_format` order (its batch entry is ignored).
        strides: int or pair of ints.
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int or pair of ints.

    # Returns
        A 4-D tensor.

    # Raises
        ValueError: if `output_shape` is not one that convolving back would map onto `x`.
    """
    return _engine.conv2d_transpose(x, kernel, output_shape, strides, padding, data_format,
                                    dilation_rate)


@graph_op
def conv3d_transpose(x, kernel, output_shape, strides=(1, 1, 1), padding='valid',
                     data_format=None, dilation_rate=(1, 1, 1)):
    """3-D transposed convolution (the gradient of `conv3d` with respect to its input).

    # Arguments
        x: 5-D tensor.
        kernel: tensor of shape `(k1, k2, k3, filters, in_channels)`.
        output_shape: the output shape in `data_format` order (its batch entry is ignored).
        strides: int or triple of ints.
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int or triple of ints.

    # Returns
        A 5-D tensor.

    # Raises
        ValueError: if `output_shape` is not one that convolving back would map onto `x`.
    """
    return _engine.conv3d_transpose(x, kernel, output_shape, strides, padding, data_format,
                                    dilation_rate)


@graph_op
def pool2d(x, pool_size, strides=(1, 1), padding='valid', data_format=None, pool_mode='max'):
    """2-D pooling.

    # Arguments
        x: 4-D tensor.
        pool_size: pair of ints.
        strides: pair of ints.
        padding: `'valid'` or `'same'` (averages exclude the padding, as TensorFlow).
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        pool_mode: `'max'` or `'avg'`.

    # Returns
        A 4-D tensor.

    # Raises
        ValueError: for an unknown `padding` or `pool_mode`.
    """
    return _engine.pool2d(x, pool_size, strides, padding, data_format, pool_mode)


@graph_op
def pool3d(x, pool_size, strides=(1, 1, 1), padding='valid', data_format=None, pool_mode='max'):
    """3-D pooling.

    # Arguments
        x: 5-D tensor.
        pool_size: triple of ints.
        strides: triple of ints.
        padding: `'valid'` or `'same'` (averages exclude the padding, as TensorFlow).
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        pool_mode: `'max'` or `'avg'`.

    # Returns
        A 5-D tensor.

    # Raises
        ValueError: for an unknown `padding` or `pool_mode`.
    """
    return _engine.pool3d(x, pool_size, strides, padding, data_format, pool_mode)
