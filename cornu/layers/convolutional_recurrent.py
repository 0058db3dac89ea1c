"""Convolutional-recurrent layers (`keras.layers.convolutional_recurrent`): `ConvRNN2D`,
`ConvLSTM2DCell` and `ConvLSTM2D` (Keras 2.2.4).

The input transformations and the recurrent transformations of the LSTM are convolutions. A
`ConvRNN2D` layer convolves the inputs of all timesteps at once (one batched convolution) and
then runs one recurrent convolution per step; the cell's `call` computes a single step as
Keras 2.2.4 does, with one convolution per gate.
"""
import warnings

from .. import backend as K
from .. import activations
from .. import initializers
from .. import regularizers
from .. import constraints
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec
from .._common import conv_utils
from .._common import layer_arguments
from .._common.generic_utils import transpose_shape
from ._legacy import legacy_interface, _conv2d_preprocessor, _DIM_ORDERING
from .recurrent.base import RNN
from .recurrent._util import (_build_inner, _state_sizes, _phase, _generate_dropout_mask,
                              forget_bias_initializer, zero_states)
from .recurrent.cells import _config_of


class ConvRNN2D(RNN):
    """Base class for convolutional-recurrent layers.

    # Arguments
        cell: a RNN cell instance (see `RNN`) whose states are images: `state_size` gives
            their numbers of channels (the first is the number of output channels), and the
            cell has `data_format`, `kernel_size`, `strides`, `padding`, `dilation_rate` and
            `filters` attributes.
        return_sequences: whether to return the whole output sequence or its last output.
        return_state: whether to return the last states in addition to the output.
        go_backwards: process the input sequence backwards (and return it reversed).
        stateful: reuse each sample's last states in the next batch (needs a fixed batch
            size, and fixed numbers of rows and columns).

    # Input shape
        5D tensor `(samples, timesteps, channels, rows, cols)` (channels_first) or
        `(samples, timesteps, rows, cols, channels)` (channels_last).

    # Output shape
        - with `return_sequences`: 5D `(samples, timesteps, filters, new_rows, new_cols)`
          (channels_first) or `(samples, timesteps, new_rows, new_cols, filters)`;
        - else the 4D output of the last timestep;
        - with `return_state`, a list: the output, then the last states (4D).
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, **kwargs):
        if unroll:
            raise TypeError('Unrolling isn\'t possible with convolutional RNNs.')
        if isinstance(cell, (list, tuple)):
            raise TypeError('It is not possible at the moment to stack convolutional cells.')
        super(ConvRNN2D, self).__init__(cell, return_sequences, return_state, go_backwards,
                                        stateful, unroll, **kwargs)
        self.input_spec = [InputSpec(ndim=5)]

    def _output_image_shape(self, input_shape):
        """`(rows, cols)` of the cell's outputs for a 5D input shape."""
        cell = self.cell
        if cell.data_format == 'channels_first':
            rows, cols = input_shape[3], input_shape[4]
        else:
            rows, cols = input_shape[2], input_shape[3]
        rows = conv_utils.conv_output_length(rows, cell.kernel_size[0], padding=cell.padding,
                                             stride=cell.strides[0],
                                             dilation=cell.dilation_rate[0])
        cols = conv_utils.conv_output_length(cols, cell.kernel_size[1], padding=cell.padding,
                                             stride=cell.strides[1],
                                             dilation=cell.dilation_rate[1])
        return rows, cols

    def _image_shape(self, batch, rows, cols, channels):
        return transpose_shape((batch, rows, cols, channels), self.cell.data_format,
                               spatial_axes=(1, 2))

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        rows, cols = self._output_image_shape(input_shape)
        output_shape = transpose_shape(input_shape[:2] + (rows, cols, self.cell.filters),
                                       self.cell.data_format, spatial_axes=(2, 3))
        if not self.return_sequences:
            output_shape = output_shape[:1] + output_shape[2:]
        if self.return_state:
            state = self._image_shape(input_shape[0], rows, cols, self.cell.filters)
            return [output_shape] + [state for _ in range(2)]
        return output_shape

    def build(self, input_shape):
        constants_shape = None
        if self._num_constants is not None:
            constants_shape = input_shape[-self._num_constants:]
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        batch_size = input_shape[0] if self.stateful else None
        self.input_spec[0] = InputSpec(shape=(batch_size, None) + input_shape[2:5])
        if isinstance(self.cell, Layer):
            step_input_shape = (input_shape[0],) + input_shape[2:]
            if constants_shape is not None:
                step_input_shape = [step_input_shape] + list(constants_shape)
            _build_inner(self.cell, self.name, step_input_shape, set())

        state_size = _state_sizes(self.cell)
        channel_axis = 1 if self.cell.data_format == 'channels_first' else 3
        if self.state_spec is not None:
            if [spec.shape[channel_axis] for spec in self.state_spec] != state_size:
                raise ValueError('An initial_state was passed that is not compatible with '
                                 '`cell.state_size`. Received `state_spec`=' +
                                 str([spec.shape for spec in self.state_spec]) + '; However '
                                 '`cell.state_size` is ' + str(self.cell.state_size))
        else:
            self.state_spec = [InputSpec(shape=self._image_shape(None, None, None, dim))
                               for dim in state_size]
        if self.stateful:
            self.reset_states()
        self.built = True

    def get_initial_state(self, inputs):
        """All-zero states shaped like the cell's outputs, one per state."""
        rows, cols = self._output_image_shape(K.int_shape(inputs))
        shapes = [self._image_shape(None, rows, cols, dim)[1:]
                  for dim in _state_sizes(self.cell)]
        return zero_states(inputs, shapes)

    def _state_shapes(self, batch_size):
        input_shape = self.input_spec[0].shape
        rows, cols = self._output_image_shape(input_shape)
        if None in (rows, cols):
            raise ValueError('If a RNN is stateful, it needs to know its batch size. Specify '
                             'the batch size of your input tensors: \n'
                             '- If using a Sequential model, specify the batch size by '
                             'passing a `batch_input_shape` argument to your first layer.\n'
                             '- If using the functional API, specify the time dimension by '
                             'passing a `batch_shape` argument to your Input layer.\n'
                             'The same thing goes for the number of rows and columns.')
        return [self._image_shape(batch_size, rows, cols, dim)
                for dim in _state_sizes(self.cell)]


class ConvLSTM2DCell(Layer):
    """Cell class for the ConvLSTM2D layer (gates i, f, c, o).

    # Arguments
        filters: integer, the number of output filters of the convolutions.
        kernel_size: an int or a tuple of 2 ints, the size of the convolution window.
        strides: an int or a tuple of 2 ints, the strides of the input convolution.
        padding: `'valid'` or `'same'` (case-insensitive).
        data_format: `'channels_last'` or `'channels_first'` (default from the config).
        dilation_rate: an int or a tuple of 2 ints, the dilation of the input convolution.
        activation: activation function (default `tanh`).
        recurrent_activation: activation of the gates (default `hard_sigmoid`).
        use_bias: whether the layer uses a bias vector.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        unit_forget_bias: add 1 to the bias of the forget gate at initialization.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: float in [0, 1], fraction of the input units to drop.
        recurrent_dropout: float in [0, 1], fraction of the state units to drop.
    """

    _rows_independent = True

    def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid', data_format=None,
                 dilation_rate=(1, 1), activation='tanh', recurrent_activation='hard_sigmoid',
                 use_bias=True, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0., recurrent_dropout=0., **kwargs):
        super(ConvLSTM2DCell, self).__init__(**kwargs)
        (self.filters, self.kernel_size, self.strides, self.padding, self.data_format,
         self.dilation_rate) = layer_arguments.convolution_2d(
            self, filters, kernel_size, strides, padding, data_format, dilation_rate)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = layer_arguments.rate(self, 'dropout', dropout)
        self.recurrent_dropout = layer_arguments.rate(self, 'recurrent_dropout',
                                                      recurrent_dropout)
        self.state_size = (self.filters, self.filters)
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    def build(self, input_shape):
        channel_axis = 1 if self.data_format == 'channels_first' else -1
        if input_shape[channel_axis] is None:
            raise ValueError('The channel dimension of the inputs should be defined. Found '
                             '`None`.')
        input_dim = input_shape[channel_axis]
        self.kernel_shape = self.kernel_size + (input_dim, self.filters * 4)
        self.kernel = self.add_weight(shape=self.kernel_shape,
                                      initializer=self.kernel_initializer, name='kernel',
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, self.filters * 4),
            initializer=self.recurrent_initializer, name='recurrent_kernel',
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        if self.use_bias:
            bias_initializer = self.bias_initializer
            if self.unit_forget_bias:
                bias_initializer = forget_bias_initializer(self.bias_initializer, self.filters,
                                                           self.filters * 2, self.filters)
            self.bias = self.add_weight(shape=(self.filters * 4,), name='bias',
                                        initializer=bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    def _gate(self, x, index):
        """Channels `[index * filters, (index + 1) * filters)` of an image tensor."""
        start, stop = index * self.filters, (index + 1) * self.filters
        if self.data_format == 'channels_first':
            return x[:, start:stop]
        return x[..., start:stop]

    def _masks(self, input_like, state_like, training):
        if 0 < self.dropout < 1 and self._dropout_mask is None:
            self._dropout_mask = _generate_dropout_mask(K.ones_like(input_like), self.dropout,
                                                        training=training, count=4)
        if 0 < self.recurrent_dropout < 1 and self._recurrent_dropout_mask is None:
            self._recurrent_dropout_mask = _generate_dropout_mask(
                K.ones_like(state_like), self.recurrent_dropout, training=training, count=4)
        return self._dropout_mask, self._recurrent_dropout_mask

    def _recurrent_step(self, x_t, states, rec_mask):
        """One step from the (convolved) inputs `x_t` of all gates."""
        h_tm1, c_tm1 = states[0], states[1]
        if rec_mask is None:
            h = self.recurrent_conv(h_tm1, self.recurrent_kernel)
        else:
            axis = 1 if self.data_format == 'channels_first' else -1
            h = K.concatenate([self.recurrent_conv(h_tm1 * rec_mask[k],
                                                   self.recurrent_kernel[..., k * self.filters:
                                                                         (k + 1) * self.filters])
                               for k in range(4)], axis=axis)
        i = self.recurrent_activation(self._gate(x_t, 0) + self._gate(h, 0))
        f = self.recurrent_activation(self._gate(x_t, 1) + self._gate(h, 1))
        c = f * c_tm1 + i * self.activation(self._gate(x_t, 2) + self._gate(h, 2))
        o = self.recurrent_activation(self._gate(x_t, 3) + self._gate(h, 3))
        h = o * self.activation(c)
        return h, [h, c]

    def _convolve_inputs(self, inputs):
        """The input convolutions of all four gates, concatenated along the channels.

        `inputs` is one tensor for all gates, or a list of four (each gate's inputs after
        its own dropout mask)."""
        if not isinstance(inputs, list):
            return self.input_conv(inputs, self.kernel, self.bias, padding=self.padding)
        axis = 1 if self.data_format == 'channels_first' else -1
        parts = []
        for k, x in enumerate(inputs):
            start, stop = k * self.filters, (k + 1) * self.filters
            bias = None if self.bias is None else self.bias[start:stop]
            parts.append(self.input_conv(x, self.kernel[..., start:stop], bias,
                                         padding=self.padding))
        return K.concatenate(parts, axis=axis)

    def _state_zeros(self, inputs):
        """A zero state for a `(samples, time, ...)` input sequence."""
        shape = K.int_shape(inputs)
        rows, cols = (shape[3], shape[4]) if self.data_format == 'channels_first' else \
            (shape[2], shape[3])
        rows = conv_utils.conv_output_length(rows, self.kernel_size[0], self.padding,
                                             self.strides[0], self.dilation_rate[0])
        cols = conv_utils.conv_output_length(cols, self.kernel_size[1], self.padding,
                                             self.strides[1], self.dilation_rate[1])
        state_shape = (rows, cols, self.filters)
        if self.data_format == 'channels_first':
            state_shape = (self.filters, rows, cols)
        return zero_states(inputs, [state_shape])[0]

    def call(self, inputs, states, training=None):
        dp_mask, rec_mask = self._masks(inputs, states[1], training)
        if dp_mask is not None:
            inputs = [inputs * m for m in dp_mask]
        return self._recurrent_step(self._convolve_inputs(inputs), states, rec_mask)

    def _rnn_sequence(self, inputs, training):
        """`(convolved_inputs, step)` for `K.rnn`: the input convolutions of all timesteps
        in one batched convolution (`None` when `call` is overridden)."""
        if type(self).call is not ConvLSTM2DCell.call:
            return None
        dp_mask = rec_mask = None
        if _phase(training) != 0:
            state_like = None
            if 0 < self.recurrent_dropout < 1 and self._recurrent_dropout_mask is None:
                state_like = self._state_zeros(inputs)
            dp_mask, rec_mask = self._masks(inputs[:, 0], state_like, training)
        shape = K.int_shape(inputs)
        flat_shape = (-1,) + shape[2:]
        if dp_mask is not None:
            flat = [K.reshape(inputs * K.expand_dims(m, 1), flat_shape) for m in dp_mask]
        else:
            flat = K.reshape(inputs, flat_shape)
        convolved = self._convolve_inputs(flat)
        convolved = K.reshape(convolved, shape[:2] + tuple(K.int_shape(convolved)[1:]))
        recurrent_step = self._recurrent_step

        def step(x_t, states):
            return recurrent_step(x_t, states, rec_mask)
        return convolved, step

    def input_conv(self, x, w, b=None, padding='valid'):
        conv_out = K.conv2d(x, w, strides=self.strides, padding=padding,
                            data_format=self.data_format, dilation_rate=self.dilation_rate)
        if b is not None:
            conv_out = K.bias_add(conv_out, b, data_format=self.data_format)
        return conv_out

    def recurrent_conv(self, x, w):
        return K.conv2d(x, w, strides=(1, 1), padding='same', data_format=self.data_format)

    def get_config(self):
        config = _config_of(self, _CONV_LSTM_CONFIG)
        base_config = super(ConvLSTM2DCell, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


_CONV_LSTM_CONFIG = ['filters', 'kernel_size', 'strides', 'padding', 'data_format',
                     'dilation_rate', 'activation', 'recurrent_activation', 'use_bias',
                     'kernel_initializer', 'recurrent_initializer', 'bias_initializer',
                     'unit_forget_bias', 'kernel_regularizer', 'recurrent_regularizer',
                     'bias_regularizer', 'kernel_constraint', 'recurrent_constraint',
                     'bias_constraint', 'dropout', 'recurrent_dropout']


def _convlstm2d_preprocessor(args, kwargs):
    converted = []
    if 'forget_bias_init' in kwargs:
        if kwargs.pop('forget_bias_init') == 'one':
            kwargs['unit_forget_bias'] = True
            converted.append(('unit_forget_bias', 'forget_bias_init'))
        else:
            warnings.warn('The `forget_bias_init` argument has been ignored. Use '
                          '`unit_forget_bias=True` instead to initialize with ones.',
                          stacklevel=3)
    args, kwargs, more = _conv2d_preprocessor(args, kwargs)
    return args, kwargs, converted + more


legacy_convlstm2d_support = legacy_interface(
    allowed_positional_args=['filters', 'kernel_size'],
    conversions=[('nb_filter', 'filters'), ('subsample', 'strides'),
                 ('border_mode', 'padding'), ('dim_ordering', 'data_format'),
                 ('init', 'kernel_initializer'), ('inner_init', 'recurrent_initializer'),
                 ('W_regularizer', 'kernel_regularizer'),
                 ('U_regularizer', 'recurrent_regularizer'),
                 ('b_regularizer', 'bias_regularizer'),
                 ('inner_activation', 'recurrent_activation'), ('dropout_W', 'dropout'),
                 ('dropout_U', 'recurrent_dropout'), ('bias', 'use_bias')],
    value_conversions=_DIM_ORDERING, preprocessor=_convlstm2d_preprocessor)


class ConvLSTM2D(ConvRNN2D):
    """Convolutional LSTM: an LSTM whose input and recurrent transformations are
    convolutions.

    # Arguments
        filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
        recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
        bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
        bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint, dropout,
        recurrent_dropout: see `ConvLSTM2DCell`.
        activity_regularizer: regularizer of the layer's output.
        return_sequences, go_backwards, stateful: see `ConvRNN2D`.

    # Input shape
        5D tensor `(samples, time, channels, rows, cols)` (channels_first) or
        `(samples, time, rows, cols, channels)` (channels_last).

    # Output shape
        With `return_sequences`, 5D `(samples, time, filters, output_row, output_col)`
        (channels_first) or `(samples, time, output_row, output_col, filters)`; else the 4D
        output of the last step.

    # References
        - [Convolutional LSTM Network: A Machine Learning Approach for Precipitation
           Nowcasting](http://arxiv.org/abs/1506.04214v1) (without the cell-output feedback
           loop).
    """

    @legacy_convlstm2d_support
    def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid', data_format=None,
                 dilation_rate=(1, 1), activation='tanh', recurrent_activation='hard_sigmoid',
                 use_bias=True, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, return_sequences=False,
                 go_backwards=False, stateful=False, dropout=0., recurrent_dropout=0.,
                 **kwargs):
        cell = layer_arguments.made_for(type(self), kwargs.get('name'), lambda: ConvLSTM2DCell(
            filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout))
        super(ConvLSTM2D, self).__init__(cell, return_sequences=return_sequences,
                                         go_backwards=go_backwards, stateful=stateful,
                                         **kwargs)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def get_config(self):
        config = {}
        for key, value in _config_of(self.cell, _CONV_LSTM_CONFIG).items():
            config[key] = value
            if key == 'bias_regularizer':
                config['activity_regularizer'] = regularizers.serialize(
                    self.activity_regularizer)
        base_config = super(ConvLSTM2D, self).get_config()
        del base_config['cell']
        return dict(list(base_config.items()) + list(config.items()))

    @classmethod
    def from_config(cls, config):
        return cls(**config)


for _name in _CONV_LSTM_CONFIG:
    setattr(ConvLSTM2D, _name, property(lambda self, _name=_name: getattr(self.cell, _name)))
del _name
