"""Convolution layers: Conv1D, Conv2D, Conv3D and their Keras 1 style aliases."""
import warnings

from ... import backend as K
from ... import activations
from ... import initializers
from ... import regularizers
from ... import constraints
from ...backend import kernels
from ...engine.base_layer import Layer
from ...engine.input_spec import InputSpec
from ..._common import conv_utils
from ..._common import layer_arguments
from .. import _conv_checks as _utils
from .._legacy import legacy_conv1d_support, legacy_conv2d_support, legacy_conv3d_support

_LINEAR = activations.linear
_RELU = activations.relu


class _Conv(Layer):
    """Abstract N-D convolution layer (the base of the convolution layers).

    Convolves a kernel with the layer input to produce a tensor of outputs, adds a bias
    vector if `use_bias`, then applies `activation`.

    # Arguments
        rank: integer, the rank of the convolution (2 for a 2-D convolution).
        filters: integer, the number of output channels.
        kernel_size: integer or tuple of `rank` integers, the size of the window.
        strides: integer or tuple of `rank` integers.
        padding: `"valid"` or `"same"` (case-insensitive); `"causal"` for `Conv1D` only.
        data_format: `"channels_last"` (`(batch, ..., channels)`) or `"channels_first"`
            (`(batch, channels, ...)`); `None` means `K.image_data_format()`.
        dilation_rate: integer or tuple of `rank` integers, for dilated convolution.
        activation: activation function (default: none, i.e. linear).
        use_bias: whether the layer adds a bias vector.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    # Raises
        ValueError: naming the layer, for a badly sized tuple argument, a size, stride or
            dilation rate below 1, strides and dilation rates both above 1, an unknown
            `padding` or `data_format`, or `"causal"` padding outside `Conv1D`.
        TypeError: for a `filters`, `padding` or `data_format` of the wrong type.
    """

    _rows_independent = True

    _allows_causal = False

    def __init__(self, rank, filters, kernel_size, strides=1, padding='valid',
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super(_Conv, self).__init__(**kwargs)
        self.rank = rank
        self.filters = None if filters is None else _utils.normalize_filters(self, filters)
        self.kernel_size = _utils.normalize_tuple(self, kernel_size, rank, 'kernel_size')
        self.strides = _utils.normalize_tuple(self, strides, rank, 'strides')
        self.padding = _utils.normalize_padding(self, padding, self._allows_causal)
        self.data_format = _utils.normalize_data_format(self, data_format)
        self.dilation_rate = _utils.normalize_tuple(self, dilation_rate, rank, 'dilation_rate')
        layer_arguments.strides_without_dilation(self, self.strides, self.dilation_rate)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._spatial_axes = _utils.spatial_axes(rank, self.data_format)

    # ---------------------------------------------------------------- weights

    def build(self, input_shape):
        input_dim = _utils.checked_channels(self, input_shape, self.data_format)
        self._output_space(tuple(input_shape))  # a kernel larger than the input fails here
        self.kernel = self.add_weight(shape=self.kernel_size + (input_dim, self.filters),
                                      initializer=self.kernel_initializer, name='kernel',
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self._build_bias(self.filters)
        self.input_spec = InputSpec(ndim=self.rank + 2,
                                    axes={_utils.channel_axis(self.data_format): input_dim})
        self.built = True

    def _build_bias(self, size):
        if self.use_bias:
            self.bias = self.add_weight(shape=(size,), initializer=self.bias_initializer,
                                        name='bias', regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None

    # ---------------------------------------------------------------- computation

    def _convolve(self, inputs):
        """The convolution itself: one backend call."""
        if self.rank == 1:
            return K.conv1d(inputs, self.kernel, self.strides[0], self.padding,
                            self.data_format, self.dilation_rate[0])
        if self.rank == 2:
            return K.conv2d(inputs, self.kernel, self.strides, self.padding, self.data_format,
                            self.dilation_rate)
        return K.conv3d(inputs, self.kernel, self.strides, self.padding, self.data_format,
                        self.dilation_rate)

    def call(self, inputs):
        if type(self)._convolve is _Conv._convolve:
            return self._fused_call(inputs)
        try:
            outputs = self._convolve(inputs)
        except Exception:
            _utils.reraise_explained(self, inputs)
            raise
        if self.use_bias:
            outputs = K.bias_add(outputs, self.bias, self.data_format)
        activation = self.activation
        if activation is not _LINEAR:
            outputs = activation(outputs)
        return outputs

    def _fused_call(self, inputs):
        """Convolution, bias and a ReLU activation in one kernel call (the plain
        convolutions; the layers that convolve otherwise override `_convolve`)."""
        activation = self.activation
        relu = activation is _RELU
        outputs = self._conv_and_bias(inputs, relu)
        if relu or activation is _LINEAR:
            return outputs
        return activation(outputs)

    def _relu_split(self):
        """The layer's call up to, not including, its ReLU activation, or `None` when its
        activation is not ReLU or a subclass computes it its own way. An execution plan in
        which a max pooling alone reads this layer's output applies the ReLU after the
        pooling instead (they commute), on a fraction of the data."""
        cls = type(self)
        if (self.activation is not _RELU or cls.call is not _Conv.call or
                cls._convolve is not _Conv._convolve or cls._fused_call is not _Conv._fused_call):
            return None
        return self._before_relu

    def _before_relu(self, inputs):
        return self._conv_and_bias(inputs, False)

    def _conv_and_bias(self, inputs, relu):
        """Convolution and bias, and the ReLU when `relu`, in one kernel call."""
        try:
            return kernels.fused_conv(inputs, self.kernel, self.bias if self.use_bias else None,
                                      self.rank, self.strides, self.padding, self.data_format,
                                      self.dilation_rate, relu)
        except Exception:
            _utils.reraise_explained(self, inputs)
            raise

    def _output_space(self, input_shape):
        """Spatial output sizes for a full input shape; a `ValueError` naming the layer when
        the input is too small."""
        new_space = tuple(
            conv_utils.conv_output_length(input_shape[axis], self.kernel_size[i], self.padding,
                                          self.strides[i], self.dilation_rate[i])
            for i, axis in enumerate(self._spatial_axes))
        _utils.check_output_size(self, input_shape, new_space, 'kernel_size', self.kernel_size,
                                 self.padding, self.strides, self.dilation_rate)
        return new_space

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        new_space = self._output_space(input_shape)
        if self.data_format == 'channels_first':
            return (input_shape[0], self.filters) + new_space
        return (input_shape[0],) + new_space + (self.filters,)

    # ---------------------------------------------------------------- configuration

    def get_config(self):
        config = {
            'rank': self.rank,
            'filters': self.filters,
            'kernel_size': self.kernel_size,
            'strides': self.strides,
            'padding': self.padding,
            'data_format': self.data_format,
            'dilation_rate': self.dilation_rate,
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
        base_config = super(_Conv, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Conv1D(_Conv):
    """1D convolution layer (e.g. temporal convolution).

    Convolves a kernel of shape `(kernel_size, input_channels, filters)` over the single
    spatial (temporal) axis of the input, adds a bias if `use_bias`, then applies
    `activation`. As a first layer, give `input_shape`, e.g. `(10, 128)` for sequences of
    10 vectors of 128 features, or `(None, 128)` for sequences of any length.

    # Arguments
        filters: integer, the number of output channels.
        kernel_size: integer or tuple of one integer, the length of the window.
        strides: integer or tuple of one integer.
        padding: `"valid"`, `"same"` or `"causal"` (case-insensitive). `"causal"` pads the
            start of the sequence so that `output[t]` depends only on `input[:t + 1]`
            (WaveNet-style dilated causal convolutions); it needs `"channels_last"`.
        data_format: `"channels_last"` (default here, `(batch, steps, channels)`) or
            `"channels_first"` (`(batch, channels, steps)`).
        dilation_rate: integer or tuple of one integer, for dilated convolution.
        activation: activation function (default: none, i.e. linear).
        use_bias: whether the layer adds a bias vector.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    # Input shape
        3D tensor `(batch, steps, channels)`.

    # Output shape
        3D tensor `(batch, new_steps, filters)`; `steps` may change with padding or strides.
    """

    _allows_causal = True

    @legacy_conv1d_support
    def __init__(self, filters, kernel_size, strides=1, padding='valid',
                 data_format='channels_last', dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super(Conv1D, self).__init__(
            rank=1, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)
        if self.padding == 'causal' and self.data_format != 'channels_last':
            raise ValueError(_utils.describe(self) + 'When using causal padding in `Conv1D`, '
                             '`data_format` must be "channels_last" (temporal data).')

    def get_config(self):
        config = super(Conv1D, self).get_config()
        config.pop('rank')
        return config


class Conv2D(_Conv):
    """2D convolution layer (e.g. spatial convolution over images).

    Convolves a kernel of shape `(rows, cols, input_channels, filters)` with the input, adds a
    bias if `use_bias`, then applies `activation`. As a first layer, give `input_shape`
    (without the batch axis), e.g. `(128, 128, 3)` for 128x128 RGB pictures with
    `data_format="channels_last"`.

    # Arguments
        filters: integer, the number of output channels.
        kernel_size: integer or tuple of 2 integers, the height and width of the window.
        strides: integer or tuple of 2 integers.
        padding: `"valid"` or `"same"` (case-insensitive). `"same"` pads as TensorFlow does
            (an odd total puts the extra row/column at the end).
        data_format: `"channels_last"` (`(batch, rows, cols, channels)`) or
            `"channels_first"` (`(batch, channels, rows, cols)`); `None` means
            `K.image_data_format()`.
        dilation_rate: integer or tuple of 2 integers, for dilated convolution.
        activation: activation function (default: none, i.e. linear).
        use_bias: whether the layer adds a bias vector.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    # Input shape
        4D tensor `(batch, rows, cols, channels)`, or `(batch, channels, rows, cols)` with
        `"channels_first"`.

    # Output shape
        4D tensor `(batch, new_rows, new_cols, filters)`, or `(batch, filters, new_rows,
        new_cols)` with `"channels_first"`.
    """

    @legacy_conv2d_support
    def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid', data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super(Conv2D, self).__init__(
            rank=2, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)

    def get_config(self):
        config = super(Conv2D, self).get_config()
        config.pop('rank')
        return config


class Conv3D(_Conv):
    """3D convolution layer (e.g. spatial convolution over volumes).

    Convolves a kernel of shape `(d1, d2, d3, input_channels, filters)` with the input, adds a
    bias if `use_bias`, then applies `activation`. As a first layer, give `input_shape`,
    e.g. `(128, 128, 128, 1)` for 128x128x128 single-channel volumes.

    # Arguments
        filters: integer, the number of output channels.
        kernel_size: integer or tuple of 3 integers, the depth, height and width of the
            window.
        strides: integer or tuple of 3 integers.
        padding: `"valid"` or `"same"` (case-insensitive).
        data_format: `"channels_last"` (`(batch, d1, d2, d3, channels)`) or
            `"channels_first"` (`(batch, channels, d1, d2, d3)`); `None` means
            `K.image_data_format()`.
        dilation_rate: integer or tuple of 3 integers, for dilated convolution.
        activation: activation function (default: none, i.e. linear).
        use_bias: whether the layer adds a bias vector.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    # Input shape
        5D tensor `(batch, d1, d2, d3, channels)`, or `(batch, channels, d1, d2, d3)` with
        `"channels_first"`.

    # Output shape
        5D tensor with `filters` channels; the spatial sizes may change with padding.
    """

    @legacy_conv3d_support
    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding='valid',
                 data_format=None, dilation_rate=(1, 1, 1), activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super(Conv3D, self).__init__(
            rank=3, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)

    def get_config(self):
        config = super(Conv3D, self).get_config()
        config.pop('rank')
        return config


def _atrous_rate(kwargs):
    return kwargs.pop('atrous_rate') if 'atrous_rate' in kwargs else 1


def AtrousConvolution1D(*args, **kwargs):
    """Deprecated Keras 1 layer: a `Conv1D` whose `atrous_rate` is its `dilation_rate`.

    Returns a `Conv1D` (so saved models record `Conv1D`), after a deprecation warning.
    Keras 1 arguments (`nb_filter`, `filter_length`, `border_mode`, ...) are accepted.
    """
    kwargs['dilation_rate'] = _atrous_rate(kwargs)
    warnings.warn('The `AtrousConvolution1D` layer  has been deprecated. Use instead the '
                  '`Conv1D` layer with the `dilation_rate` argument.', stacklevel=2)
    return Conv1D(*args, **kwargs)


def AtrousConvolution2D(*args, **kwargs):
    """Deprecated Keras 1 layer: a `Conv2D` whose `atrous_rate` is its `dilation_rate`.

    Returns a `Conv2D` (so saved models record `Conv2D`), after a deprecation warning.
    Keras 1 arguments (`nb_filter`, `nb_row`, `nb_col`, `border_mode`, ...) are accepted,
    e.g. `AtrousConvolution2D(64, 3, 3, atrous_rate=(2, 2), border_mode='same')`.
    """
    kwargs['dilation_rate'] = _atrous_rate(kwargs)
    warnings.warn('The `AtrousConvolution2D` layer  has been deprecated. Use instead the '
                  '`Conv2D` layer with the `dilation_rate` argument.', stacklevel=2)
    return Conv2D(*args, **kwargs)


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
AtrousConv1D = AtrousConvolution1D
AtrousConv2D = AtrousConvolution2D
