"""`keras.legacy.layers`: layers Keras 2.2.4 still shipped from Keras 1, with their Keras 1
arguments (`init`, `W_regularizer`, `b_constraint`, `bias`, ...).

- `MaxoutDense` and `Highway`: working layers, deprecated in Keras 2 (each warns once made).
- `Recurrent` and `ConvRecurrent2D`: the abstract bases of Keras 1 style recurrent layers,
  which implement `step(inputs, states)` (and `get_constants`, `preprocess_input`,
  `get_initial_state` when needed); the base runs it over time with `K.rnn`. New code
  subclasses `RNN` with a cell instead.
- `AtrousConvolution1D` / `AtrousConvolution2D`: the Keras 1 names of dilated convolutions.
"""
import warnings

from .. import activations
from .. import backend as K
from .. import constraints
from .. import initializers
from .. import regularizers
from .._common import conv_utils
from .._common import layer_arguments
from .._common.generic_utils import to_list
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec

__all__ = ['MaxoutDense', 'Highway', 'Recurrent', 'ConvRecurrent2D']


def _keras1_weight_arguments(layer, init, W_regularizer, b_regularizer, activity_regularizer,
                             W_constraint, b_constraint, bias):
    layer.init = initializers.get(init)
    layer.W_regularizer = regularizers.get(W_regularizer)
    layer.b_regularizer = regularizers.get(b_regularizer)
    layer.activity_regularizer = regularizers.get(activity_regularizer)
    layer.W_constraint = constraints.get(W_constraint)
    layer.b_constraint = constraints.get(b_constraint)
    layer.bias = bias


def _keras1_weight_config(layer):
    return {'init': initializers.serialize(layer.init),
            'W_regularizer': regularizers.serialize(layer.W_regularizer),
            'b_regularizer': regularizers.serialize(layer.b_regularizer),
            'activity_regularizer': regularizers.serialize(layer.activity_regularizer),
            'W_constraint': constraints.serialize(layer.W_constraint),
            'b_constraint': constraints.serialize(layer.b_constraint),
            'bias': layer.bias}


def _first_layer_input_dim(layer, input_dim, kwargs):
    """Keras 1's `input_dim` of a first layer, checked before it becomes the layer's
    `input_shape` in `kwargs` (so that an error names `input_dim`); returns it."""
    input_dim = layer_arguments.optional_positive_int(layer, 'input_dim', input_dim)
    if input_dim and 'input_shape' not in kwargs:
        kwargs['input_shape'] = (input_dim,)
    return input_dim


def _input_dim_of(input_shape, layer):
    input_dim = input_shape[-1]
    if input_dim is None:
        raise ValueError('Layer ' + layer.name + ' (' + layer.__class__.__name__ + ') needs a '
                         'known last input dimension; got input shape ' + str(input_shape))
    return int(input_dim)


class MaxoutDense(Layer):
    """A dense maxout layer: the element-wise maximum of `nb_feature` affine maps of the
    input, `max_k(x . W[k] + b[k])` (Goodfellow et al., 2013).

    Deprecated in Keras 2 (it warns): a `Dense(output_dim * nb_feature)` followed by a
    reshape and a maximum does the same.

    # Arguments
        output_dim: size of the output.
        nb_feature: number of affine maps the maximum is taken over.
        init: initializer of `W`.
        weights: initial weights, `[W, b]` (or `[W]` without bias).
        W_regularizer, b_regularizer, activity_regularizer: regularizers.
        W_constraint, b_constraint: constraints.
        bias: whether the maps have a bias `b`.
        input_dim: size of the input (for a first layer).

    # Input shape
        2D tensor `(batch_size, input_dim)`.

    # Output shape
        2D tensor `(batch_size, output_dim)`.
    """

    def __init__(self, output_dim, nb_feature=4, init='glorot_uniform', weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, bias=True, input_dim=None, **kwargs):
        warnings.warn('The `MaxoutDense` layer is deprecated and will be removed after '
                      '06/2017.', stacklevel=2)
        input_dim = _first_layer_input_dim(self, input_dim, kwargs)
        super(MaxoutDense, self).__init__(weights=weights, **kwargs)
        self.output_dim = layer_arguments.positive_int(self, 'output_dim', output_dim)
        self.nb_feature = layer_arguments.positive_int(self, 'nb_feature', nb_feature)
        self.input_dim = input_dim
        _keras1_weight_arguments(self, init, W_regularizer, b_regularizer,
                                 activity_regularizer, W_constraint, b_constraint, bias)
        self.input_spec = InputSpec(ndim=2)

    def build(self, input_shape):
        input_dim = _input_dim_of(input_shape, self)
        self.input_spec = InputSpec(dtype=K.floatx(), shape=(None, input_dim))
        self.W = self.add_weight(name='W', shape=(self.nb_feature, input_dim, self.output_dim),
                                 initializer=self.init, regularizer=self.W_regularizer,
                                 constraint=self.W_constraint)
        self.b = None
        if self.bias:
            self.b = self.add_weight(name='b', shape=(self.nb_feature, self.output_dim),
                                     initializer='zero', regularizer=self.b_regularizer,
                                     constraint=self.b_constraint)
        self.built = True

    def call(self, inputs):
        # (batch, nb_feature, output_dim): one affine map per feature.
        output = K.dot(inputs, self.W)
        if self.bias:
            output = output + self.b
        return K.max(output, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_config(self):
        config = {'output_dim': self.output_dim, 'nb_feature': self.nb_feature,
                  'input_dim': self.input_dim}
        config.update(_keras1_weight_config(self))
        base_config = super(MaxoutDense, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Highway(Layer):
    """A highway layer (Srivastava et al., 2015): a gate `t = sigmoid(x . W_carry +
    b_carry)` mixes a transform of the input with the input itself,
    `t * activation(x . W + b) + (1 - t) * x`.

    Deprecated in Keras 2 (it warns).

    # Arguments
        init: initializer of `W` and `W_carry`.
        activation: activation of the transform (default: linear).
        weights: initial weights, `[W, W_carry, b, b_carry]` (or `[W, W_carry]`).
        W_regularizer, b_regularizer, activity_regularizer: regularizers (the `W` and `b`
            ones apply to both the transform and the gate).
        W_constraint, b_constraint: constraints (likewise).
        bias: whether the transform and the gate have biases (`b_carry` starts at 1).
        input_dim: size of the input (for a first layer).

    # Input shape
        2D tensor `(batch_size, input_dim)`.

    # Output shape
        The input's shape.
    """

    def __init__(self, init='glorot_uniform', activation=None, weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, bias=True, input_dim=None, **kwargs):
        warnings.warn('The `Highway` layer is deprecated and will be removed after 06/2017.',
                      stacklevel=2)
        if 'transform_bias' in kwargs:
            kwargs.pop('transform_bias')
            warnings.warn('`transform_bias` argument is deprecated and has been removed.',
                          stacklevel=2)
        input_dim = _first_layer_input_dim(self, input_dim, kwargs)
        super(Highway, self).__init__(weights=weights, **kwargs)
        self.activation = activations.get(activation)
        self.input_dim = input_dim
        _keras1_weight_arguments(self, init, W_regularizer, b_regularizer,
                                 activity_regularizer, W_constraint, b_constraint, bias)
        self.input_spec = InputSpec(ndim=2)

    def build(self, input_shape):
        input_dim = _input_dim_of(input_shape, self)
        self.input_spec = InputSpec(dtype=K.floatx(), shape=(None, input_dim))
        self.W = self.add_weight(name='W', shape=(input_dim, input_dim), initializer=self.init,
                                 regularizer=self.W_regularizer, constraint=self.W_constraint)
        self.W_carry = self.add_weight(name='W_carry', shape=(input_dim, input_dim),
                                       initializer=self.init, regularizer=self.W_regularizer,
                                       constraint=self.W_constraint)
        self.b = self.b_carry = None
        if self.bias:
            self.b = self.add_weight(name='b', shape=(input_dim,), initializer='zero',
                                     regularizer=self.b_regularizer,
                                     constraint=self.b_constraint)
            # The gate starts mostly open to the transform, as Keras 1 did.
            self.b_carry = self.add_weight(name='b_carry', shape=(input_dim,),
                                           initializer='one', regularizer=self.b_regularizer,
                                           constraint=self.b_constraint)
        self.built = True

    def call(self, inputs):
        gate = K.dot(inputs, self.W_carry)
        transform = K.dot(inputs, self.W)
        if self.bias:
            gate = gate + self.b_carry
            transform = transform + self.b
        gate = activations.sigmoid(gate)
        transform = self.activation(transform)
        return transform * gate + (1 - gate) * inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {'activation': activations.serialize(self.activation),
                  'input_dim': self.input_dim}
        config.update(_keras1_weight_config(self))
        base_config = super(Highway, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Recurrent(Layer):
    """Abstract base of Keras 1 style recurrent layers: a subclass sets `self.units` and
    `self.states` (a list with one entry per state, `None` until known) and implements
    `step(inputs, states) -> (output, new_states)`; the base runs it over the time axis with
    `K.rnn`. Not a layer to use as it is; new code subclasses `RNN` with a cell.

    # Arguments
        return_sequences: return the whole output sequence rather than the last output.
        return_state: also return the last states.
        go_backwards: process the sequence in reverse (and return it reversed).
        stateful: not supported by this base in cornu (raises); use `RNN(cell,
            stateful=True)`.
        unroll: unroll the loop (the time dimension must be known).
        implementation: kept in the config, for the subclasses.

    # Raises
        ValueError: for `stateful=True`.
    """

    def __init__(self, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, implementation=0, **kwargs):
        if stateful:
            raise ValueError('Layer ' + self.__class__.__name__ + ': the legacy `Recurrent` '
                             'base does not support stateful=True; write the layer as a cell '
                             'and use `RNN(cell, stateful=True)`.')
        super(Recurrent, self).__init__(**kwargs)
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.implementation = implementation
        self.supports_masking = True
        self.input_spec = [InputSpec(ndim=3)]
        self.state_spec = None
        self.dropout = 0
        self.recurrent_dropout = 0

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        if self.return_sequences:
            output_shape = (input_shape[0], input_shape[1], self.units)
        else:
            output_shape = (input_shape[0], self.units)
        if self.return_state:
            return [output_shape] + [(input_shape[0], self.units) for _ in self.states]
        return output_shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, list):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.states]
        return output_mask

    def step(self, inputs, states):
        """One time step: `(output, new_states)` from the step's input and the states."""
        raise NotImplementedError('Layer ' + self.__class__.__name__ + ' must implement '
                                  'step(inputs, states).')

    def get_constants(self, inputs, training=None):
        """Tensors passed to every step after the states (default: none)."""
        return []

    def get_initial_state(self, inputs):
        """Zero states of shape `(batch_size, units)`, one per entry of `self.states`."""
        batch_zeros = K.sum(K.zeros_like(inputs), axis=(1, 2))
        state = K.tile(K.expand_dims(batch_zeros), [1, self.units])
        return [state for _ in range(len(self.states))]

    def preprocess_input(self, inputs, training=None):
        """The sequence the steps read (default: the input as it is)."""
        return inputs

    def call(self, inputs, mask=None, training=None, initial_state=None):
        if isinstance(inputs, list):
            initial_state = inputs[1:]
            inputs = inputs[0]
        if not initial_state:
            initial_state = self.get_initial_state(inputs)
        initial_state = to_list(initial_state)
        if isinstance(mask, list):
            mask = mask[0]
        if len(initial_state) != len(self.states):
            raise ValueError('Layer ' + self.name + ' has ' + str(len(self.states)) +
                             ' states but was passed ' + str(len(initial_state)) +
                             ' initial states.')
        timesteps = K.int_shape(inputs)[1]
        if self.unroll and timesteps in (None, 1):
            raise ValueError('Layer ' + self.name + ': cannot unroll a RNN if the time '
                             'dimension is undefined or equal to 1 (got input shape ' +
                             str(K.int_shape(inputs)) + '); give the input a known length.')
        constants = self.get_constants(inputs, training=training)
        sequence = self.preprocess_input(inputs, training=training)
        last_output, outputs, states = K.rnn(self.step, sequence, initial_state,
                                             go_backwards=self.go_backwards, mask=mask,
                                             constants=constants, unroll=self.unroll,
                                             input_length=timesteps)
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return [output] + to_list(states)
        return output

    def reset_states(self, states=None):
        raise AttributeError('Layer ' + self.name + ' must be stateful.')

    def get_config(self):
        config = {'return_sequences': self.return_sequences,
                  'return_state': self.return_state,
                  'go_backwards': self.go_backwards,
                  'stateful': self.stateful,
                  'unroll': self.unroll,
                  'implementation': self.implementation}
        base_config = super(Recurrent, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class ConvRecurrent2D(Recurrent):
    """Abstract base of Keras 1 style convolutional recurrent layers (as `ConvLSTM2D` was):
    the input is a sequence of images `(batch, time, rows, cols, channels)` (channels first:
    `(batch, time, channels, rows, cols)`); a subclass implements `step` and
    `get_initial_state`, and the outputs are images of `filters` channels.

    # Arguments
        filters: number of output channels.
        kernel_size: an integer or a tuple of 2 integers.
        strides: an integer or a tuple of 2 integers.
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (default: the Keras config).
        dilation_rate: an integer or a tuple of 2 integers.
        return_sequences, go_backwards, stateful: as for `Recurrent`.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding='valid',
                 data_format=None, dilation_rate=(1, 1), return_sequences=False,
                 go_backwards=False, stateful=False, **kwargs):
        super(ConvRecurrent2D, self).__init__(return_sequences=return_sequences,
                                              go_backwards=go_backwards, stateful=stateful,
                                              **kwargs)
        (self.filters, self.kernel_size, self.strides, self.padding, self.data_format,
         self.dilation_rate) = layer_arguments.convolution_2d(
            self, filters, kernel_size, strides, padding, data_format, dilation_rate)
        self.input_spec = [InputSpec(ndim=5)]
        self.state_spec = None

    def _output_image_shape(self, input_shape):
        if self.data_format == 'channels_first':
            rows, cols = input_shape[3], input_shape[4]
        else:
            rows, cols = input_shape[2], input_shape[3]
        rows = conv_utils.conv_output_length(rows, self.kernel_size[0], padding=self.padding,
                                             stride=self.strides[0],
                                             dilation=self.dilation_rate[0])
        cols = conv_utils.conv_output_length(cols, self.kernel_size[1], padding=self.padding,
                                             stride=self.strides[1],
                                             dilation=self.dilation_rate[1])
        if self.data_format == 'channels_first':
            return (self.filters, rows, cols)
        return (rows, cols, self.filters)

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        image = self._output_image_shape(input_shape)
        if self.return_sequences:
            output_shape = (input_shape[0], input_shape[1]) + image
        else:
            output_shape = (input_shape[0],) + image
        if self.return_state:
            return [output_shape] + [(input_shape[0],) + image for _ in self.states]
        return output_shape

    def get_config(self):
        config = {'filters': self.filters,
                  'kernel_size': self.kernel_size,
                  'strides': self.strides,
                  'padding': self.padding,
                  'data_format': self.data_format,
                  'dilation_rate': self.dilation_rate,
                  'return_sequences': self.return_sequences,
                  'go_backwards': self.go_backwards,
                  'stateful': self.stateful}
        base_config = super(ConvRecurrent2D, self).get_config()
        for key in ('return_state', 'unroll', 'implementation'):
            base_config.pop(key, None)
        return dict(list(base_config.items()) + list(config.items()))

