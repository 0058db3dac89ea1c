"""Recurrent layers with cuDNN's formulas (`keras.layers.cudnn_recurrent`): `CuDNNGRU`,
`CuDNNLSTM` (Keras 2.2.4).

Keras 2 ran them only on a GPU with TensorFlow. Here they run on any device, always in the
engine's native LSTM/GRU kernel (cuDNN on a CUDA GPU), whose formulas they are: tanh
activation, sigmoid gates, separate input and recurrent biases. Their weights keep Keras 2's
layout, so files saved by Keras 2 load unchanged: `kernel (input_dim, gates * units)`,
`recurrent_kernel (units, gates * units)` and a `bias` of `2 * gates * units` (the input
biases, then the recurrent ones), gates i, f, c, o (LSTM) and z, r, h (GRU).

As in Keras 2, each gate block is handed to cuDNN as it is stored: cuDNN reads the
`(input_dim, units)` block of the kernel as its `(units, input_dim)` matrix (a reshape, not a
transpose) and the recurrent block as its `(units, units)` matrix, so that
`gate = x @ reshape(kernel_block, (units, input_dim)).T + h @ recurrent_block.T + biases`.
This is why converting these weights to `LSTM`/`GRU` ones rearranges the blocks (see
`preprocess_weights_for_loading`).
"""
from collections import namedtuple

from ..backend import kernels
from .. import initializers
from .. import regularizers
from .. import constraints
from .._common import layer_arguments
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec
from .recurrent.base import RNN
from .recurrent._util import _state_sizes, forget_bias_initializer
from .recurrent.cells import _config_of

_Cell = namedtuple('cell', 'state_size')


class _CuDNNRNN(RNN):
    """Private base class of CuDNNGRU and CuDNNLSTM.

    # Arguments
        return_sequences: whether to return the whole output sequence or its last output.
        return_state: whether to return the last states in addition to the output.
        go_backwards: process the input sequence backwards (and return it reversed).
        stateful: reuse each sample's last states in the next batch.
    """

    def __init__(self, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, **kwargs):
        Layer.__init__(self, **kwargs)
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = False
        self.supports_masking = False
        self.input_spec = [InputSpec(ndim=3)]
        self.state_spec = [InputSpec(shape=(None, dim)) for dim in _state_sizes(self.cell)]
        self.constants_spec = None
        self._states = None
        self._num_constants = None

    # The weights are the layer's own (there is no cell layer).
    trainable_weights = Layer.trainable_weights
    non_trainable_weights = Layer.non_trainable_weights
    losses = Layer.losses
    get_losses_for = Layer.get_losses_for

    @property
    def _sublayers(self):
        return []

    def compute_mask(self, inputs, mask):
        if isinstance(mask, list):
            mask = mask[0]
        if mask is not None:
            raise ValueError('Masking is not supported for CuDNN RNNs.')
        return super(_CuDNNRNN, self).compute_mask(inputs, mask)

    def _run(self, inputs, initial_state, constants, mask, training):
        if mask is not None:
            raise ValueError('Masking is not supported for CuDNN RNNs.')
        outputs, states = self._process_batch(inputs, initial_state)
        return states[0], outputs, states

    def get_config(self):
        config = {'return_sequences': self.return_sequences,
                  'return_state': self.return_state,
                  'go_backwards': self.go_backwards,
                  'stateful': self.stateful}
        base_config = Layer.get_config(self)
        return dict(list(base_config.items()) + list(config.items()))

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _init_weight_arguments(self, units, kernel_initializer, recurrent_initializer,
                               bias_initializer, kernel_regularizer, recurrent_regularizer,
                               bias_regularizer, activity_regularizer, kernel_constraint,
                               recurrent_constraint, bias_constraint):
        self.units = layer_arguments.positive_int(self, 'units', units)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def _add_weights(self, input_shape, gates, bias_initializer):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        input_dim = input_shape[-1]
        self.kernel = self.add_weight(shape=(input_dim, self.units * gates), name='kernel',
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units * gates),
                                                name='recurrent_kernel',
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = self.add_weight(shape=(self.units * gates * 2,), name='bias',
                                    initializer=bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint)
        self.built = True

    def _config_names(self):
        return ['units', 'kernel_initializer', 'recurrent_initializer', 'bias_initializer',
                'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer',
                'activity_regularizer', 'kernel_constraint', 'recurrent_constraint',
                'bias_constraint']


class CuDNNGRU(_CuDNNRNN):
    """Fast GRU with cuDNN's formula (reset gate after the recurrent product, sigmoid gates).

    # Arguments
        units: positive integer, dimensionality of the output space.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        activity_regularizer: regularizer of the layer's output.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        return_sequences, return_state, go_backwards, stateful: see `RNN`.
    """

    def __init__(self, units, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, return_sequences=False, return_state=False,
                 stateful=False, **kwargs):
        self.units = units
        super(CuDNNGRU, self).__init__(return_sequences=return_sequences,
                                       return_state=return_state, stateful=stateful, **kwargs)
        self._init_weight_arguments(units, kernel_initializer, recurrent_initializer,
                                    bias_initializer, kernel_regularizer,
                                    recurrent_regularizer, bias_regularizer,
                                    activity_regularizer, kernel_constraint,
                                    recurrent_constraint, bias_constraint)

    @property
    def cell(self):
        return _Cell(state_size=self.units)

    def build(self, input_shape):
        super(CuDNNGRU, self).build(input_shape)
        self._add_weights(input_shape, 3, self.bias_initializer)

    def _process_batch(self, inputs, initial_state):
        split = 3 * self.units
        outputs, h = kernels.gru_sequence(inputs, initial_state[0], self.kernel,
                                          self.recurrent_kernel, self.bias[:split],
                                          self.bias[split:], go_backwards=self.go_backwards,
                                          layout='cudnn')
        return outputs, [h]

    def get_config(self):
        config = _config_of(self, self._config_names())
        base_config = super(CuDNNGRU, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class CuDNNLSTM(_CuDNNRNN):
    """Fast LSTM with cuDNN's formula (sigmoid gates, separate input and recurrent biases).

    # Arguments
        units: positive integer, dimensionality of the output space.
        kernel_initializer: initializer of the `kernel` weights matrix.
        unit_forget_bias: add 1 to the (recurrent) bias of the forget gate at initialization.
        recurrent_initializer, bias_initializer: initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        activity_regularizer: regularizer of the layer's output.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        return_sequences, return_state, go_backwards, stateful: see `RNN`.
    """

    def __init__(self, units, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, return_sequences=False,
                 return_state=False, stateful=False, **kwargs):
        self.units = units
        super(CuDNNLSTM, self).__init__(return_sequences=return_sequences,
                                        return_state=return_state, stateful=stateful,
                                        **kwargs)
        self._init_weight_arguments(units, kernel_initializer, recurrent_initializer,
                                    bias_initializer, kernel_regularizer,
                                    recurrent_regularizer, bias_regularizer,
                                    activity_regularizer, kernel_constraint,
                                    recurrent_constraint, bias_constraint)
        self.unit_forget_bias = unit_forget_bias

    @property
    def cell(self):
        return _Cell(state_size=(self.units, self.units))

    def build(self, input_shape):
        super(CuDNNLSTM, self).build(input_shape)
        bias_initializer = self.bias_initializer
        if self.unit_forget_bias:
            # The forget gate's recurrent bias (the sixth block of eight) starts at one.
            bias_initializer = forget_bias_initializer(self.bias_initializer, self.units * 5,
                                                       self.units * 2, self.units)
        self._add_weights(input_shape, 4, bias_initializer)

    def _process_batch(self, inputs, initial_state):
        split = 4 * self.units
        outputs, h, c = kernels.lstm_sequence(inputs, initial_state[0], initial_state[1],
                                              self.kernel, self.recurrent_kernel, self.bias[:split],
                                              self.bias[split:], go_backwards=self.go_backwards,
                                              layout='cudnn')
        return outputs, [h, c]

    def _config_names(self):
        names = super(CuDNNLSTM, self)._config_names()
        names.insert(4, 'unit_forget_bias')
        return names

    def get_config(self):
        config = _config_of(self, self._config_names())
        base_config = super(CuDNNLSTM, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))
