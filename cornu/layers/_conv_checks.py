"""Argument checks and error messages shared by the convolution, resizing and pooling layers.

Every message names the layer (`Layer conv2d_1 (Conv2D): ...`) so that a bad configuration
is reported where it was written, before any engine traceback.
"""
from .. import backend as K
from .._common import conv_utils
from .._common import layer_arguments
from .._common.layer_arguments import describe  # noqa: F401 (the layers' message prefix)


def normalize_tuple(layer, value, n, name, minimum=1):
    """`conv_utils.normalize_tuple` with errors that name the layer; every entry must be at
    least `minimum` (1 for sizes, strides and rates, 0 for paddings and croppings)."""
    return layer_arguments.int_tuple(layer, name, value, n, minimum)


def normalize_data_format(layer, value):
    """`K.normalize_data_format` with errors that name the layer."""
    return layer_arguments.data_format(layer, value)


def normalize_padding(layer, value, allow_causal=False):
    """Checks `padding`; `'causal'` only where `allow_causal` (1-D convolutions)."""
    return layer_arguments.padding(layer, value, allow_causal)


def normalize_filters(layer, filters):
    """Checks `filters` is a positive integer (kept as a Python int)."""
    return layer_arguments.positive_int(layer, 'filters', filters)


def spatial_axes(rank, data_format):
    """Indices of the spatial axes of a `rank`-D input (batch and channels excluded)."""
    if data_format == 'channels_first':
        return tuple(range(2, rank + 2))
    return tuple(range(1, rank + 1))


def channel_axis(data_format):
    return 1 if data_format == 'channels_first' else -1


def check_output_size(layer, input_shape, new_space, window_name, window, padding, strides,
                      dilation_rate=None):
    """Raises a `ValueError` when a window does not fit in the input ('valid' padding).

    # Arguments
        layer: the layer (for the message).
        input_shape: the full input shape.
        new_space: the computed spatial output sizes (`None` for unknown).
        window_name: `'kernel_size'` or `'pool_size'`.
        window, strides, dilation_rate: the layer's tuples.
        padding: the layer's padding.
    """
    for position, size in enumerate(new_space):
        if size is not None and size <= 0:
            settings = window_name + '=' + str(tuple(window)) + ', strides=' + str(tuple(strides))
            if dilation_rate is not None and any(d != 1 for d in dilation_rate):
                settings += ', dilation_rate=' + str(tuple(dilation_rate))
            raise ValueError(describe(layer) + 'an input of shape ' + str(tuple(input_shape)) +
                             ' is too small for ' + settings + ' with padding="' + padding +
                             '": the output would have size ' + str(size) + ' along spatial '
                             'axis ' + str(position) + '. Use a smaller ' + window_name +
                             ', padding="same", or a larger input.')


def checked_channels(layer, input_shape, data_format):
    """The number of input channels; a `ValueError` naming the layer when it is unknown."""
    if len(input_shape) < 2:
        raise ValueError(describe(layer) + 'expected an input with a batch and a channels axis, '
                         'got an input of shape ' + str(tuple(input_shape)) + '.')
    channels = input_shape[channel_axis(data_format)]
    if channels is None:
        raise ValueError(describe(layer) + 'The channel dimension of the inputs should be '
                         'defined. Found `None` (input shape ' + str(tuple(input_shape)) +
                         ', data_format="' + data_format + '").')
    return int(channels)


def reraise_explained(layer, inputs):
    """Called while an engine error propagates from a layer's `call`: when the input is too
    small for the layer, raises a `ValueError` saying so (otherwise returns, and the caller
    re-raises the engine's error)."""
    try:
        shape = tuple(K.int_shape(inputs))
    except Exception:
        return
    try:
        layer._output_space(shape)
    except ValueError as explained:
        raise explained from None
