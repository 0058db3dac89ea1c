"""Utilities for convolutional layers: argument normalisation and output-size arithmetic.

The arithmetic is Keras 2.2.4's (TensorFlow's 'SAME'/'VALID' rules): layers use it for their
static output shapes, so a model's summary matches the one Keras 2 printed.
"""
import numbers

import numpy as np

from .. import backend as K


def normalize_tuple(value, n, name):
    """Turns an int, or an iterable of `n` ints, into a tuple of `n` ints.

    # Arguments
        value: an int, or an iterable of ints.
        n: the length of the tuple to return.
        name: the argument's name (e.g. `'kernel_size'`), for error messages.

    # Returns
        A tuple of `n` Python ints.

    # Raises
        ValueError: if `value` is neither an int nor an iterable of `n` ints.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * n
    expected = ('The `' + name + '` argument must be a tuple of ' + str(n) +
                ' integers. Received: ' + str(value))
    try:
        values = tuple(value)
    except TypeError as error:
        raise ValueError(expected) from error
    if len(values) != n:
        raise ValueError(expected)
    result = []
    for single_value in values:
        if isinstance(single_value, bool) or not isinstance(single_value, numbers.Integral):
            try:
                as_int = int(single_value)
            except (TypeError, ValueError):
                as_int = None
            if as_int is None or as_int != single_value:
                raise ValueError(expected + ' including element ' + str(single_value) +
                                 ' of type ' + str(type(single_value)))
            single_value = as_int
        result.append(int(single_value))
    return tuple(result)


def normalize_padding(value):
    """Checks a `padding` argument (case-insensitive) and returns it in lower case.

    # Arguments
        value: `'valid'`, `'same'` or `'causal'`.

    # Returns
        The padding, lower case.

    # Raises
        ValueError: for any other value.
    """
    padding = value.lower() if isinstance(value, str) else value
    if padding not in ('valid', 'same', 'causal'):
        raise ValueError('The `padding` argument must be one of "valid", "same" (or "causal", '
                         'only for `Conv1D`). Received: ' + str(value))
    return padding


def normalize_data_format(value):
    """Checks a `data_format` argument; `None` gives `K.image_data_format()`.

    # Raises
        ValueError: for anything but `'channels_first'` or `'channels_last'`.
    """
    return K.normalize_data_format(value)


def convert_kernel(kernel):
    """Flips a NumPy convolution kernel along its spatial axes.

    This converts kernels between Theano's convolution (which flips the kernel) and
    TensorFlow's correlation; applying it twice gives the kernel back.

    # Arguments
        kernel: NumPy array of rank 3, 4 or 5 (spatial axes first, then in/out channels).

    # Returns
        The converted kernel (a copy).

    # Raises
        ValueError: for a kernel of another rank.
    """
    kernel = np.asarray(kernel)
    if not 3 <= kernel.ndim <= 5:
        raise ValueError('Invalid kernel shape: ' + str(kernel.shape) + ' (expected a kernel '
                         'of rank 3, 4 or 5).')
    flip = tuple([slice(None, None, -1)] * (kernel.ndim - 2) + [slice(None), slice(None)])
    return np.copy(kernel[flip])


def conv_output_length(input_length, filter_size, padding, stride, dilation=1):
    """The output length of a convolution (or pooling) along one axis.

    # Arguments
        input_length: int, or `None` when unknown.
        filter_size: int.
        padding: `'same'`, `'valid'`, `'full'` or `'causal'`.
        stride: int.
        dilation: int, dilation rate.

    # Returns
        The output length (int), or `None` when `input_length` is `None`.
    """
    if input_length is None:
        return None
    if padding not in ('same', 'valid', 'full', 'causal'):
        raise ValueError('Invalid padding: ' + str(padding))
    dilated_filter_size = filter_size + (filter_size - 1) * (dilation - 1)
    if padding in ('same', 'causal'):
        output_length = input_length
    elif padding == 'valid':
        output_length = input_length - dilated_filter_size + 1
    else:
        output_length = input_length + dilated_filter_size - 1
    return (output_length + stride - 1) // stride


def conv_input_length(output_length, filter_size, padding, stride):
    """The input length that a convolution maps to `output_length` (inverse of
    `conv_output_length`, used by transposed convolutions).

    # Arguments
        output_length: int, or `None`.
        filter_size: int.
        padding: `'same'`, `'valid'` or `'full'`.
        stride: int.

    # Returns
        The input length (int), or `None`.
    """
    if output_length is None:
        return None
    if padding not in ('same', 'valid', 'full'):
        raise ValueError('Invalid padding: ' + str(padding))
    if padding == 'same':
        pad = filter_size // 2
    elif padding == 'valid':
        pad = 0
    else:
        pad = filter_size - 1
    return (output_length - 1) * stride - 2 * pad + filter_size


def deconv_length(dim_size, stride_size, kernel_size, padding, output_padding, dilation=1):
    """The output length of a transposed convolution along one axis.

    Without `output_padding`, the length is inferred as Keras 2.2.4 did (`size * stride`
    for 'same', `size * stride + max(kernel - stride, 0)` for 'valid'); with it, the
    length is `(size - 1) * stride + kernel - 2 * pad + output_padding`.

    # Arguments
        dim_size: int, the input length, or `None`.
        stride_size: int.
        kernel_size: int.
        padding: `'same'`, `'valid'` or `'full'`.
        output_padding: int, or `None` to infer the length.
        dilation: int, dilation rate (the kernel spans `(kernel - 1) * dilation + 1`).

    # Returns
        The output length (int), or `None` when `dim_size` is `None`.
    """
    if padding not in ('same', 'valid', 'full'):
        raise ValueError('Invalid padding: ' + str(padding))
    if dim_size is None:
        return None
    kernel_size = kernel_size + (kernel_size - 1) * (dilation - 1)
    if output_padding is None:
        if padding == 'valid':
            return dim_size * stride_size + max(kernel_size - stride_size, 0)
        if padding == 'full':
            return dim_size * stride_size - (stride_size + kernel_size - 2)
        return dim_size * stride_size
    if padding == 'same':
        pad = kernel_size // 2
    elif padding == 'valid':
        pad = 0
    else:
        pad = kernel_size - 1
    return (dim_size - 1) * stride_size + kernel_size - 2 * pad + output_padding
