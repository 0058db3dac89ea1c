"""Transposed convolution layers: Conv2DTranspose and Conv3DTranspose (and their aliases)."""
from ... import backend as K
from ...engine.input_spec import InputSpec
from ..._common import conv_utils
from ..._common import layer_arguments
from .. import _conv_checks as _utils
from .conv import Conv2D, Conv3D, _LINEAR
from .._legacy import legacy_deconv2d_support


class _TransposeMixin(object):
    """The logic shared by the transposed convolutions (listed before `Conv2D`/`Conv3D` in
    their bases, so that they stay instances of those classes as in Keras 2)."""

    def _init_transpose(self, output_padding):
        self.output_padding = output_padding
        if output_padding is not None:
            self.output_padding = _utils.normalize_tuple(self, output_padding, self.rank,
                                                         'output_padding', minimum=0)
            if any(out_pad >= stride
                   for stride, out_pad in zip(self.strides, self.output_padding)):
                layer_arguments.refuse(self, 'output_padding', output_padding,
                                       'smaller than `strides` ' + str(self.strides) +
                                       ' along every axis')
        # Output shapes of the inputs seen so far, keyed by their spatial sizes: the backend
        # needs the output shape, and working it out is Python arithmetic best done once.
        self._output_shapes = {}

    def build(self, input_shape):
        input_dim = _utils.checked_channels(self, input_shape, self.data_format)
        self._output_space(tuple(input_shape))
        # Keras 2 layout: (spatial..., filters, input channels).
        self.kernel = self.add_weight(shape=self.kernel_size + (self.filters, input_dim),
                                      initializer=self.kernel_initializer, name='kernel',
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self._build_bias(self.filters)
        self.input_spec = InputSpec(ndim=self.rank + 2,
                                    axes={_utils.channel_axis(self.data_format): input_dim})
        self.built = True

    def _output_space(self, input_shape):
        out_pads = self.output_padding or (None,) * self.rank
        new_space = []
        for i, axis in enumerate(self._spatial_axes):
            size = input_shape[axis]
            out = conv_utils.deconv_length(size, self.strides[i], self.kernel_size[i],
                                           self.padding, out_pads[i], self.dilation_rate[i])
            if size is not None and (out <= 0 or conv_utils.conv_output_length(
                    out, self.kernel_size[i], self.padding, self.strides[i],
                    self.dilation_rate[i]) != size):
                raise ValueError(
                    _utils.describe(self) + 'with kernel_size=' + str(self.kernel_size) +
                    ', strides=' + str(self.strides) + ', padding="' + self.padding +
                    '" and output_padding=' + str(self.output_padding) + ', an input of shape ' +
                    str(tuple(input_shape)) + ' gives an output of size ' + str(out) +
                    ' along spatial axis ' + str(i) + ', which a convolution with the same '
                    'settings would not map back to ' + str(size) + '. Choose another '
                    'output_padding (or None to infer the size).')
            new_space.append(out)
        return tuple(new_space)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        new_space = self._output_space(input_shape)
        if self.data_format == 'channels_first':
            return (input_shape[0], self.filters) + new_space
        return (input_shape[0],) + new_space + (self.filters,)

    def _target_shape(self, inputs):
        shape = tuple(K.int_shape(inputs))
        key = tuple(shape[axis] for axis in self._spatial_axes)
        target = self._output_shapes.get(key)
        if target is None:
            space = self._output_space(shape)
            if self.data_format == 'channels_first':
                target = (self.filters,) + space
            else:
                target = space + (self.filters,)
            if len(self._output_shapes) > 64:
                self._output_shapes.clear()
            self._output_shapes[key] = target
        return (shape[0],) + target

    def call(self, inputs):
        output_shape = self._target_shape(inputs)
        if self.rank == 2:
            outputs = K.conv2d_transpose(inputs, self.kernel, output_shape, self.strides,
                                         self.padding, self.data_format, self.dilation_rate)
        else:
            outputs = K.conv3d_transpose(inputs, self.kernel, output_shape, self.strides,
                                         self.padding, self.data_format, self.dilation_rate)
        if self.use_bias:
            outputs = K.bias_add(outputs, self.bias, self.data_format)
        activation = self.activation
        if activation is not _LINEAR:
            outputs = activation(outputs)
        return outputs

    def get_config(self):
        config = super(_TransposeMixin, self).get_config()
        # Keras 2.2.4 had no dilated transposed convolutions and left `dilation_rate` out of
        # the config; it is kept only when set, so that such a layer round-trips.
        if all(d == 1 for d in self.dilation_rate):
            config.pop('dilation_rate')
        config['output_padding'] = self.output_padding
        return config


class Conv2DTranspose(_TransposeMixin, Conv2D):
    """Transposed 2D convolution layer (sometimes called deconvolution).

    Goes the opposite way of a `Conv2D`: from something shaped like a convolution's output to
    something shaped like its input, with a compatible connectivity pattern (it is the
    gradient of `Conv2D` with respect to its input). As a first layer, give `input_shape`,
    e.g. `(128, 128, 3)`.

    # Arguments
        filters: integer, the number of output channels.
        kernel_size: integer or tuple of 2 integers, the height and width of the window.
        strides: integer or tuple of 2 integers (the upsampling factors).
        padding: `"valid"` or `"same"` (case-insensitive).
        output_padding: integer or tuple of 2 integers, extra rows/columns at the end of the
            output, each lower than the stride along its axis; `None` (default) infers the
            output size (`rows * stride` for `"same"`, `rows * stride + max(kernel - stride,
            0)` for `"valid"`).
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.
        dilation_rate: integer or tuple of 2 integers (an addition to Keras 2.2.4, as in
            later Keras versions).
        activation: activation function (default: none, i.e. linear).
        use_bias: whether the layer adds a bias vector.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    # Input shape
        4D tensor `(batch, rows, cols, channels)`, or `(batch, channels, rows, cols)`.

    # Output shape
        4D tensor with `filters` channels. With `output_padding`:
        `new_rows = (rows - 1) * strides[0] + kernel_size[0] - 2 * pad + output_padding[0]`
        where `pad` is `kernel_size[0] // 2` for `"same"` and 0 for `"valid"`.

    # Weights
        `kernel` of shape `(rows, cols, filters, input_channels)`, and `bias`.
    """

    @legacy_deconv2d_support
    def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid',
                 output_padding=None, data_format=None, activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super(Conv2DTranspose, self).__init__(
            filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)
        self._init_transpose(output_padding)


class Conv3DTranspose(_TransposeMixin, Conv3D):
    """Transposed 3D convolution layer (sometimes called deconvolution).

    The 3D counterpart of `Conv2DTranspose`. As a first layer, give `input_shape`, e.g.
    `(128, 128, 128, 3)`.

    # Arguments
        filters: integer, the number of output channels.
        kernel_size: integer or tuple of 3 integers.
        strides: integer or tuple of 3 integers.
        padding: `"valid"` or `"same"` (case-insensitive).
        output_padding: integer or tuple of 3 integers (each lower than its stride), or
            `None` (default) to infer the output size.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.
        dilation_rate: integer or tuple of 3 integers (an addition to Keras 2.2.4).
        activation: activation function (default: none, i.e. linear).
        use_bias: whether the layer adds a bias vector.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    # Input shape
        5D tensor `(batch, depth, rows, cols, channels)`, or `(batch, channels, depth, rows,
        cols)`.

    # Output shape
        5D tensor with `filters` channels (see `Conv2DTranspose` for the sizes).

    # Weights
        `kernel` of shape `(depth, rows, cols, filters, input_channels)`, and `bias`.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding='valid',
                 output_padding=None, data_format=None, activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super(Conv3DTranspose, self).__init__(
            filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)
        self._init_transpose(output_padding)


Convolution2DTranspose = Conv2DTranspose
Deconvolution2D = Deconv2D = Conv2DTranspose
Deconvolution3D = Deconv3D = Conv3DTranspose
