"""Locally-connected layers: convolutions with unshared weights."""
from .. import backend as K
from .. import activations
from .. import initializers
from .. import regularizers
from .. import constraints
from .._common import layer_arguments
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec
from ._legacy import legacy_conv1d_support, legacy_conv2d_support
from . import _conv_checks


def _normalize_padding(layer, padding):
    """Checks `padding`: only 'valid' (each output position has its own weights)."""
    if not isinstance(padding, str) or padding.lower() != 'valid':
        layer_arguments.refuse(layer, 'padding', padding, '"valid" (the only padding '
                               'locally-connected layers support)')
    return 'valid'


def _valid_output_length(input_length, kernel_size, stride):
    """The output length of a 'valid' window sliding with `stride` (`None` if unknown)."""
    if input_length is None:
        return None
    return (input_length - kernel_size + stride) // stride


class LocallyConnected1D(Layer):
    """Locally-connected layer for 1D inputs.

    Works like `Conv1D`, except that weights are unshared: a different set of filters is
    applied at each different patch of the input.

    # Example

    ```python
    # an unshared-weight 1D convolution of length 3 over a sequence of 10 timesteps
    # with 32 features, with 64 output filters
    model = Sequential()
    model.add(LocallyConnected1D(64, 3, input_shape=(10, 32)))
    # now model.output_shape == (None, 8, 64)
    ```

    # Arguments
        filters: integer, the number of output filters.
        kernel_size: an integer or tuple/list of a single integer, the length of the window.
        strides: an integer or tuple/list of a single integer, the stride of the window.
        padding: only `"valid"` is supported (case-insensitive).
        data_format: string, `"channels_first"` or `"channels_last"`; accepted for
            compatibility (inputs are `(batch, steps, channels)`).
        activation: activation function (default: none, i.e. linear).
        use_bias: whether the layer uses a bias (one per output position and filter).
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    # Input shape
        3D tensor `(batch_size, steps, input_dim)`.

    # Output shape
        3D tensor `(batch_size, new_steps, filters)`; `steps` may have changed because of
        the window size and strides.

    # Weights
        kernel: `(new_steps, kernel_size * input_dim, filters)`, each row laid out
            `(window position, input channel)`.
        bias: `(new_steps, filters)`.
    """

    _rows_independent = True

    @legacy_conv1d_support
    def __init__(self, filters, kernel_size, strides=1, padding='valid', data_format=None,
                 activation=None, use_bias=True, kernel_initializer='glorot_uniform',
                 bias_initializer='zeros', kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super(LocallyConnected1D, self).__init__(**kwargs)
        self.filters = layer_arguments.positive_int(self, 'filters', filters)
        self.kernel_size = layer_arguments.int_tuple(self, 'kernel_size', kernel_size, 1)
        self.strides = layer_arguments.int_tuple(self, 'strides', strides, 1)
        self.padding = _normalize_padding(self, padding)
        self.data_format = _conv_checks.normalize_data_format(self, data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        input_dim = input_shape[2]
        if input_dim is None:
            raise ValueError('Axis 2 of input should be fully-defined. Found shape: ' +
                             str(input_shape) + ' (layer ' + self.name + ').')
        output_length = _valid_output_length(input_shape[1], self.kernel_size[0],
                                             self.strides[0])
        if output_length is None or output_length < 1:
            raise ValueError('Layer ' + self.name + ' (LocallyConnected1D) needs a known '
                             'number of steps, at least the kernel size ' +
                             str(self.kernel_size[0]) + '; got an input of shape ' +
                             str(input_shape) + '.')
        self.kernel_shape = (output_length, self.kernel_size[0] * input_dim, self.filters)
        self.kernel = self.add_weight(shape=self.kernel_shape,
                                      initializer=self.kernel_initializer, name='kernel',
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(shape=(output_length, self.filters),
                                        initializer=self.bias_initializer, name='bias',
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=3, axes={2: input_dim})
        self.built = True

    def compute_output_shape(self, input_shape):
        length = _valid_output_length(input_shape[1], self.kernel_size[0], self.strides[0])
        return (input_shape[0], length, self.filters)

    def call(self, inputs):
        output = K.local_conv1d(inputs, self.kernel, self.kernel_size, self.strides)
        if self.use_bias:
            output = K.bias_add(output, self.bias)
        if self.activation is activations.linear:
            return output
        return self.activation(output)

    def get_config(self):
        config = {
            'filters': self.filters,
            'kernel_size': self.kernel_size,
            'strides': self.strides,
            'padding': self.padding,
            'activation': activations.serialize(self.activation),
            'use_bias': self.use_bias,
            'kernel_initializer': initializers.serialize(self.kernel_initializer),
            'bias_initializer': initializers.serialize(self.bias_initializer),
            'kernel_regularizer': regularizers.serialize(self.kernel_regularizer),
            'bias_regularizer': regularizers.serialize(self.bias_regularizer),
            'activity_regularizer': regularizers.serialize(self.activity_regularizer),
            'kernel_constraint': constraints.serialize(self.kernel_constraint),
            'bias_constraint': constraints.serialize(self.bias_constraint),
        }
        base_config = super(LocallyConnected1D, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class LocallyConnected2D(Layer):
    """Locally-connected layer for 2D inputs.

    Works like `Conv2D`, except that weights are unshared: a different set of filters is
    applied at each different patch of the input.

    # Examples

    ```python
    # an unshared-weight 3x3 convolution with 64 output filters on a 32x32 image
    # with data_format="channels_last":
    model = Sequential()
    model.add(LocallyConnected2D(64, (3, 3), input_shape=(32, 32, 3)))
    # now model.output_shape == (None, 30, 30, 64)
    # this layer uses (30*30)*(3*3*3*64) + (30*30)*64 parameters
    ```

    # Arguments
        filters: integer, the number of output filters.
        kernel_size: an integer or tuple/list of 2 integers, the width and height of the
            window (one int: the same for both).
        strides: an integer or tuple/list of 2 integers, the strides along width and height.
        padding: only `"valid"` is supported (case-insensitive).
        data_format: `"channels_last"` (inputs `(batch, height, width, channels)`) or
            `"channels_first"` (inputs `(batch, channels, height, width)`); default: the
            `image_data_format` of the cornu config.
        activation: activation function (default: none, i.e. linear).
        use_bias: whether the layer uses a bias (one per output position and filter).
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    # Input shape
        4D tensor `(samples, channels, rows, cols)` with `data_format='channels_first'`, or
        `(samples, rows, cols, channels)` with `data_format='channels_last'`.

    # Output shape
        4D tensor `(samples, filters, new_rows, new_cols)` or
        `(samples, new_rows, new_cols, filters)`.

    # Weights
        kernel: `(new_rows * new_cols, kernel_rows * kernel_cols * channels, filters)`, each
            row laid out `(rows, cols, channels)` for channels_last and
            `(channels, rows, cols)` for channels_first, as Keras 2.
        bias: `(new_rows, new_cols, filters)` for either data format.
    """

    _rows_independent = True

    @legacy_conv2d_support
    def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid',
                 data_format=None, activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super(LocallyConnected2D, self).__init__(**kwargs)
        self.filters = layer_arguments.positive_int(self, 'filters', filters)
        self.kernel_size = layer_arguments.int_tuple(self, 'kernel_size', kernel_size, 2)
        self.strides = layer_arguments.int_tuple(self, 'strides', strides, 2)
        self.padding = _normalize_padding(self, padding)
        self.data_format = _conv_checks.normalize_data_format(self, data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=4)

    def _spatial_and_channels(self, input_shape):
        if self.data_format == 'channels_last':
            return input_shape[1], input_shape[2], input_shape[3]
        return input_shape[2], input_shape[3], input_shape[1]

    def build(self, input_shape):
        input_row, input_col, input_filter = self._spatial_and_channels(input_shape)
        if input_row is None or input_col is None:
            raise ValueError('The spatial dimensions of the inputs to a LocallyConnected2D '
                             'layer should be fully-defined, but layer ' + self.name +
                             ' received the inputs shape ' + str(input_shape))
        if input_filter is None:
            raise ValueError('Layer ' + self.name + ' (LocallyConnected2D): the channels '
                             'dimension of its inputs should be defined, got an input of '
                             'shape ' + str(input_shape) + '.')
        output_row = _valid_output_length(input_row, self.kernel_size[0], self.strides[0])
        output_col = _valid_output_length(input_col, self.kernel_size[1], self.strides[1])
        if output_row < 1 or output_col < 1:
            raise ValueError('Layer ' + self.name + ' (LocallyConnected2D): a kernel of size ' +
                             str(self.kernel_size) + ' does not fit in an input of shape ' +
                             str(input_shape) + '.')
        self.output_row = output_row
        self.output_col = output_col
        self.kernel_shape = (output_row * output_col,
                             self.kernel_size[0] * self.kernel_size[1] * input_filter,
                             self.filters)
        self.kernel = self.add_weight(shape=self.kernel_shape,
                                      initializer=self.kernel_initializer, name='kernel',
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(shape=(output_row, output_col, self.filters),
                                        initializer=self.bias_initializer, name='bias',
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        if self.data_format == 'channels_first':
            self.input_spec = InputSpec(ndim=4, axes={1: input_filter})
        else:
            self.input_spec = InputSpec(ndim=4, axes={-1: input_filter})
        self.built = True

    def compute_output_shape(self, input_shape):
        rows, cols, _ = self._spatial_and_channels(input_shape)
        rows = _valid_output_length(rows, self.kernel_size[0], self.strides[0])
        cols = _valid_output_length(cols, self.kernel_size[1], self.strides[1])
        if self.data_format == 'channels_first':
            return (input_shape[0], self.filters, rows, cols)
        return (input_shape[0], rows, cols, self.filters)

    def call(self, inputs):
        output = K.local_conv2d(inputs, self.kernel, self.kernel_size, self.strides,
                                (self.output_row, self.output_col), self.data_format)
        if self.use_bias:
            output = K.bias_add(output, self.bias, data_format=self.data_format)
        if self.activation is activations.linear:
            return output
        return self.activation(output)

    def get_config(self):
        config = {
            'filters': self.filters,
            'kernel_size': self.kernel_size,
            'strides': self.strides,
            'padding': self.padding,
            'data_format': self.data_format,
            'activation': activations.serialize(self.activation),
            'use_bias': self.use_bias,
            'kernel_initializer': initializers.serialize(self.kernel_initializer),
            'bias_initializer': initializers.serialize(self.bias_initializer),
            'kernel_regularizer': regularizers.serialize(self.kernel_regularizer),
            'bias_regularizer': regularizers.serialize(self.bias_regularizer),
            'activity_regularizer': regularizers.serialize(self.activity_regularizer),
            'kernel_constraint': constraints.serialize(self.kernel_constraint),
            'bias_constraint': constraints.serialize(self.bias_constraint),
        }
        base_config = super(LocallyConnected2D, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))
