"""Convolution and pooling arithmetic shared by both engines: argument tuples, TensorFlow's
'SAME' and 'VALID' padding, and the geometry of transposed convolutions.

Plain Python on shapes and ints; each engine's `conv.py` turns the numbers into its own calls.
"""
import numpy as np


def normalize_tuple(value, n):
    """`value` as a tuple of `n` ints: an int (or a one-element sequence) stands for all."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(map(int, value))  # (no generator frames: layers normalize at every call)
    if len(value) == 1 and n > 1:
        return value * n
    return value


def same_padding(size, kernel, stride, dilation):
    """TensorFlow's 'SAME' padding (before, after): the odd unit goes at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def padding_pairs(sizes, padding, kernel_size, strides, dilation):
    """The (before, after) padding of each spatial axis of sizes `sizes`.

    # Raises
        ValueError: for a `padding` other than `'valid'` and `'same'`.
    """
    if padding == 'valid':
        return [(0, 0)] * len(sizes)
    if padding != 'same':
        raise ValueError('Invalid padding: ' + str(padding))
    return [same_padding(size, k, s, d)
            for size, k, s, d in zip(sizes, kernel_size, strides, dilation)]


def check_causal(data_format):
    """Raises a `ValueError` unless `conv1d`'s causal padding applies (channels_last data)."""
    if data_format != 'channels_last':
        raise ValueError('When using causal padding in `conv1d`, `data_format` must be '
                         '"channels_last" (temporal data).')


def transposed_padding(sizes, output_shape, kernel_shape, strides, dilation, padding,
                       data_format, input_shape):
    """The geometry of a transposed convolution, the gradient of the forward convolution from
    `output_shape` to an input of spatial sizes `sizes`.

    # Arguments
        sizes: the spatial sizes of the input.
        output_shape: the full output shape in `data_format` order (its batch entry unused).
        kernel_shape: the kernel's shape, spatial axes first.
        strides, dilation: tuples of ints, one per spatial axis.
        padding: `'valid'` or `'same'`, the padding of the forward convolution.
        data_format: `'channels_last'` or `'channels_first'`.
        input_shape: the input's shape, for the error message.

    # Returns
        `(targets, axes)`: the spatial output sizes, and per axis `(before, span)`: the padding
        the forward convolution puts before the data and the dilated kernel's extent.

    # Raises
        ValueError: for an unknown `padding`, or an `output_shape` that the forward
            convolution would not map onto the input.
    """
    nd = len(sizes)
    output_shape = tuple(output_shape)
    if data_format == 'channels_last':
        targets = output_shape[1:nd + 1]
    else:
        targets = output_shape[2:nd + 2]
    targets = tuple(int(t) for t in targets)
    axes = []
    for size, target, k, s, d in zip(sizes, targets, kernel_shape[:nd], strides, dilation):
        span = (k - 1) * d + 1
        if padding == 'same':
            expected = -(-target // s)
            before = same_padding(target, k, s, d)[0]
        elif padding == 'valid':
            expected = -(-(target - span + 1) // s)
            before = 0
        else:
            raise ValueError('Invalid padding: ' + str(padding))
        if expected != size:
            raise ValueError('Output shape %s cannot come from an input of shape %s with '
                             'kernel %s, strides %s and padding %r.'
                             % (output_shape, tuple(input_shape), tuple(kernel_shape), strides,
                                padding))
        axes.append((before, span))
    return targets, axes
