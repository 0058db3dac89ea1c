"""Depthwise and separable convolution layers: SeparableConv1D, SeparableConv2D,
DepthwiseConv2D."""
from ... import backend as K
from ... import initializers
from ... import regularizers
from ... import constraints
from ..._common import layer_arguments
from ...engine.input_spec import InputSpec
from .. import _conv_checks as _utils
from .conv import _Conv, Conv2D
from .._legacy import legacy_separable_conv2d_support


class _SeparableConv(_Conv):
    """Abstract N-D depthwise separable convolution (the base of the separable layers).

    A depthwise spatial convolution, acting on each input channel separately
    (`depth_multiplier` output channels per input channel), followed by a pointwise (1x1)
    convolution mixing the channels into `filters` outputs.

    # Arguments
        rank: integer, the rank of the convolution.
        filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
            use_bias, bias_initializer, bias_regularizer, activity_regularizer,
            bias_constraint: as for `Conv2D`.
        depth_multiplier: number of depthwise output channels per input channel.
        depthwise_initializer, pointwise_initializer: initializers of the two kernels.
        depthwise_regularizer, pointwise_regularizer: regularizers of the two kernels.
        depthwise_constraint, pointwise_constraint: constraints of the two kernels.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding='valid',
                 data_format=None, dilation_rate=1, depth_multiplier=1, activation=None,
                 use_bias=True, depthwise_initializer='glorot_uniform',
                 pointwise_initializer='glorot_uniform', bias_initializer='zeros',
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super(_SeparableConv, self).__init__(
            rank=rank, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, use_bias=use_bias, bias_initializer=bias_initializer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = layer_arguments.positive_int(self, 'depth_multiplier',
                                                             depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        input_dim = _utils.checked_channels(self, input_shape, self.data_format)
        self._output_space(tuple(input_shape))
        self.depthwise_kernel = self.add_weight(
            shape=self.kernel_size + (input_dim, self.depth_multiplier),
            initializer=self.depthwise_initializer, name='depthwise_kernel',
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            shape=(1,) * self.rank + (self.depth_multiplier * input_dim, self.filters),
            initializer=self.pointwise_initializer, name='pointwise_kernel',
            regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint)
        self._build_bias(self.filters)
        self.input_spec = InputSpec(ndim=self.rank + 2,
                                    axes={_utils.channel_axis(self.data_format): input_dim})
        self.built = True

    def _convolve(self, inputs):
        if self.rank == 1:
            return K.separable_conv1d(inputs, self.depthwise_kernel, self.pointwise_kernel,
                                      self.strides[0], self.padding, self.data_format,
                                      self.dilation_rate[0])
        return K.separable_conv2d(inputs, self.depthwise_kernel, self.pointwise_kernel,
                                  self.strides, self.padding, self.data_format,
                                  self.dilation_rate)

    def get_config(self):
        config = super(_SeparableConv, self).get_config()
        config.pop('rank')
        config.pop('kernel_initializer')
        config.pop('kernel_regularizer')
        config.pop('kernel_constraint')
        config['depth_multiplier'] = self.depth_multiplier
        config['depthwise_initializer'] = initializers.serialize(self.depthwise_initializer)
        config['pointwise_initializer'] = initializers.serialize(self.pointwise_initializer)
        config['depthwise_regularizer'] = regularizers.serialize(self.depthwise_regularizer)
        config['pointwise_regularizer'] = regularizers.serialize(self.pointwise_regularizer)
        config['depthwise_constraint'] = constraints.serialize(self.depthwise_constraint)
        config['pointwise_constraint'] = constraints.serialize(self.pointwise_constraint)
        return config



class SeparableConv1D(_SeparableConv):
    """Depthwise separable 1D convolution.

    A depthwise convolution over the temporal axis, acting on each input channel separately
    (`depth_multiplier` outputs per channel), then a pointwise convolution mixing the
    channels. Factorises a convolution kernel into two much smaller ones.

    # Arguments
        filters: integer, the number of output channels.
        kernel_size: integer or tuple of one integer, the length of the window.
        strides: integer or tuple of one integer.
        padding: `"valid"` or `"same"` (case-insensitive).
        data_format: `"channels_last"` (default here, `(batch, steps, channels)`) or
            `"channels_first"` (`(batch, channels, steps)`).
        dilation_rate: integer or tuple of one integer, for dilated convolution.
        depth_multiplier: number of depthwise output channels per input channel.
        activation: activation function (default: none, i.e. linear).
        use_bias: whether the layer adds a bias vector.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: constraints.

    # Input shape
        3D tensor `(batch, steps, channels)` (or `(batch, channels, steps)`).

    # Output shape
        3D tensor `(batch, new_steps, filters)` (or `(batch, filters, new_steps)`).

    # Weights
        `depthwise_kernel` `(kernel_size, channels, depth_multiplier)`, `pointwise_kernel`
        `(1, channels * depth_multiplier, filters)`, and `bias`.
    """

    def __init__(self, filters, kernel_size, strides=1, padding='valid',
                 data_format='channels_last', dilation_rate=1, depth_multiplier=1,
                 activation=None, use_bias=True, depthwise_initializer='glorot_uniform',
                 pointwise_initializer='glorot_uniform', bias_initializer='zeros',
                 depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super(SeparableConv1D, self).__init__(
            rank=1, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            depth_multiplier=depth_multiplier, activation=activation, use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint,
            **kwargs)


class SeparableConv2D(_SeparableConv):
    """Depthwise separable 2D convolution.

    A depthwise spatial convolution, acting on each input channel separately
    (`depth_multiplier` outputs per channel), then a pointwise (1x1) convolution mixing the
    channels — an extreme version of an Inception block.

    # Arguments
        filters: integer, the number of output channels.
        kernel_size: integer or tuple of 2 integers, the height and width of the window.
        strides: integer or tuple of 2 integers.
        padding: `"valid"` or `"same"` (case-insensitive).
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.
        dilation_rate: integer or tuple of 2 integers, for dilated convolution.
        depth_multiplier: number of depthwise output channels per input channel.
        activation: activation function (default: none, i.e. linear).
        use_bias: whether the layer adds a bias vector.
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
            activity_regularizer: regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: constraints.

    # Input shape
        4D tensor `(batch, rows, cols, channels)`, or `(batch, channels, rows, cols)`.

    # Output shape
        4D tensor with `filters` channels.

    # Weights
        `depthwise_kernel` `(rows, cols, channels, depth_multiplier)`, `pointwise_kernel`
        `(1, 1, channels * depth_multiplier, filters)`, and `bias`.
    """

    @legacy_separable_conv2d_support
    def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid', data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer='glorot_uniform', pointwise_initializer='glorot_uniform',
                 bias_initializer='zeros', depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super(SeparableConv2D, self).__init__(
            rank=2, filters=filters, kernel_size=kernel_size, strides=strides,
            padding=padding, data_format=data_format, dilation_rate=dilation_rate,
            depth_multiplier=depth_multiplier, activation=activation, use_bias=use_bias,
            depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint,
            **kwargs)


class DepthwiseConv2D(Conv2D):
    """Depthwise 2D convolution: the first half of a separable convolution.

    Each input channel is convolved with its own `depth_multiplier` filters; output channel
    `c * depth_multiplier + m` comes from input channel `c`.

    # Arguments
        kernel_size: integer or tuple of 2 integers, the height and width of the window.
        strides: integer or tuple of 2 integers.
        padding: `"valid"` or `"same"` (case-insensitive).
        depth_multiplier: number of output channels per input channel.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.
        dilation_rate: integer or tuple of 2 integers, for dilated convolution.
        activation: activation function (default: none, i.e. linear).
        use_bias: whether the layer adds a bias vector.
        depthwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, bias_regularizer, activity_regularizer: regularizers.
        depthwise_constraint, bias_constraint: constraints.

    # Input shape
        4D tensor `(batch, rows, cols, channels)`, or `(batch, channels, rows, cols)`.

    # Output shape
        4D tensor with `channels * depth_multiplier` channels.

    # Weights
        `depthwise_kernel` `(rows, cols, channels, depth_multiplier)`, and `bias` of size
        `channels * depth_multiplier`.
    """

    def __init__(self, kernel_size, strides=(1, 1), padding='valid', depth_multiplier=1,
                 data_format=None, activation=None, use_bias=True,
                 depthwise_initializer='glorot_uniform', bias_initializer='zeros',
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super(DepthwiseConv2D, self).__init__(
            filters=None, kernel_size=kernel_size, strides=strides, padding=padding,
            data_format=data_format, activation=activation, use_bias=use_bias,
            bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, bias_constraint=bias_constraint,
            **kwargs)
        self.depth_multiplier = layer_arguments.positive_int(self, 'depth_multiplier',
                                                             depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build(self, input_shape):
        input_dim = _utils.checked_channels(self, input_shape, self.data_format)
        self._output_space(tuple(input_shape))
        self.depthwise_kernel = self.add_weight(
            shape=self.kernel_size + (input_dim, self.depth_multiplier),
            initializer=self.depthwise_initializer, name='depthwise_kernel',
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint)
        self._build_bias(input_dim * self.depth_multiplier)
        self.input_spec = InputSpec(ndim=4,
                                    axes={_utils.channel_axis(self.data_format): input_dim})
        self.built = True

    def _convolve(self, inputs):
        return K.depthwise_conv2d(inputs, self.depthwise_kernel, self.strides, self.padding,
                                  self.data_format, self.dilation_rate)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = input_shape[_utils.channel_axis(self.data_format)]
        out_filters = None if channels is None else channels * self.depth_multiplier
        new_space = self._output_space(input_shape)
        if self.data_format == 'channels_first':
            return (input_shape[0], out_filters) + new_space
        return (input_shape[0],) + new_space + (out_filters,)

    def get_config(self):
        config = super(DepthwiseConv2D, self).get_config()
        config.pop('filters')
        config.pop('kernel_initializer')
        config.pop('kernel_regularizer')
        config.pop('kernel_constraint')
        config['depth_multiplier'] = self.depth_multiplier
        config['depthwise_initializer'] = initializers.serialize(self.depthwise_initializer)
        config['depthwise_regularizer'] = regularizers.serialize(self.depthwise_regularizer)
        config['depthwise_constraint'] = constraints.serialize(self.depthwise_constraint)
        return config


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
