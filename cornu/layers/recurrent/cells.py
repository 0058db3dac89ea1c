"""The built-in recurrent cells: `SimpleRNNCell`, `GRUCell` and `LSTMCell` (Keras 2.2.4).

Each cell's step is split in two: the input projection (`_project_inputs`, which also works on
a whole `(samples, time, input_dim)` sequence) and the recurrent part (`_recurrent_step`). The
cell's `call` chains them for one timestep, exactly as Keras 2.2.4's cells compute it; an
`RNN` layer projects the inputs of all timesteps at once and then runs only the recurrent
part per step, which is the same arithmetic with fewer and larger operations.

Weight layouts and gate orders are Keras 2's: `kernel (input_dim, gates * units)`,
`recurrent_kernel (units, gates * units)`; LSTM gates i, f, c, o; GRU gates z, r, h.
"""
from ... import backend as K
from ...backend import kernels
from ... import activations
from ... import initializers
from ... import regularizers
from ... import constraints
from ..._common import layer_arguments
from ...engine.base_layer import Layer
from ._util import (_generate_dropout_mask, _phase, engine_has, forget_bias_initializer,
                    step_matmul, zero_states)

# Activations applied element by element: one call may cover several gates at once.
_ELEMENTWISE = frozenset([activations.hard_sigmoid, activations.sigmoid, activations.tanh,
                          activations.relu, activations.linear, activations.elu,
                          activations.selu, activations.softplus, activations.softsign,
                          activations.exponential])


def _gate_slice(weight_name, index):
    """A read-only property slicing one gate out of a weight (Keras 2's `kernel_i` & co)."""
    def getter(self):
        weight = getattr(self, weight_name)
        if weight is None:
            return None
        return weight[..., index * self.units:(index + 1) * self.units]
    return property(getter)


def _config_of(cell, names):
    config = {}
    for name in names:
        value = getattr(cell, name)
        if name.endswith('activation'):
            value = activations.serialize(value)
        elif name.endswith('initializer'):
            value = initializers.serialize(value)
        elif name.endswith('regularizer'):
            value = regularizers.serialize(value)
        elif name.endswith('constraint'):
            value = constraints.serialize(value)
        config[name] = value
    return config


# Keras 2.2.4's modes (0, deprecated, computes as 1): the results are the same in every mode.
_IMPLEMENTATIONS = (0, 1, 2)


class _RecurrentCell(Layer):
    """What the built-in cells share: arguments, weights, dropout masks and the fast paths."""

    _rows_independent = True

    _gates = 1

    def __init__(self, units, activation='tanh', recurrent_activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal',
                 bias_initializer='zeros', kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0., recurrent_dropout=0., **kwargs):
        super(_RecurrentCell, self).__init__(**kwargs)
        self.units = layer_arguments.positive_int(self, 'units', units)
        self.activation = activations.get(activation)
        if recurrent_activation is not None or self._gates > 1:
            self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = layer_arguments.rate(self, 'dropout', dropout)
        self.recurrent_dropout = layer_arguments.rate(self, 'recurrent_dropout',
                                                      recurrent_dropout)
        self.state_size = self.units
        self.output_size = self.units
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    def _add_kernels(self, input_dim):
        self.kernel = self.add_weight(shape=(input_dim, self.units * self._gates), name='kernel',
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units * self._gates),
                                                name='recurrent_kernel',
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)

    def _add_bias(self, shape, initializer=None):
        self.bias = self.add_weight(shape=shape, name='bias',
                                    initializer=initializer or self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint)

    # ------------------------------------------------------------------ dropout masks

    def _masks(self, input_like, state_like, training, count):
        """The cached input and recurrent dropout masks of this call (`None` when unused).

        Keras 2.2.4 draws each mask once per layer call (at the first timestep) and uses it
        for every timestep; `RNN.call` clears the cache before each call.
        """
        if 0 < self.dropout < 1 and self._dropout_mask is None:
            self._dropout_mask = _generate_dropout_mask(K.ones_like(input_like), self.dropout,
                                                        training=training, count=count)
        if 0 < self.recurrent_dropout < 1 and self._recurrent_dropout_mask is None:
            self._recurrent_dropout_mask = _generate_dropout_mask(
                K.ones_like(state_like), self.recurrent_dropout, training=training,
                count=count)
        return self._dropout_mask, self._recurrent_dropout_mask

    def _sequence_masks(self, inputs, training):
        """Masks for a whole-sequence run; none at all in the test phase (they would be
        ones)."""
        count = self._gates if self._gates > 1 else 1
        if _phase(training) == 0:
            return None, None
        state_like = None
        if 0 < self.recurrent_dropout < 1 and self._recurrent_dropout_mask is None:
            state_like = zero_states(inputs, [(self.units,)])[0]
        dp_mask, rec_mask = self._masks(inputs[:, 0], state_like, training, count)
        if dp_mask is not None:
            dp_mask = ([K.expand_dims(m, 1) for m in dp_mask] if count > 1 else
                       [K.expand_dims(dp_mask, 1)])
        if rec_mask is not None and count == 1:
            rec_mask = [rec_mask]
        return dp_mask, rec_mask

    # ------------------------------------------------------------------ computation

    def _project_inputs(self, inputs, dp_mask):
        """`inputs @ kernel + bias` for all gates, with the input dropout of each gate
        (`dp_mask`: a list of one mask per gate for implementation 1, else of one mask)."""
        bias = self._input_bias()
        if dp_mask is None:
            return kernels.dense(inputs, self.kernel, bias)
        if self._gates == 1 or getattr(self, 'implementation', 1) != 1:
            return kernels.dense(inputs * dp_mask[0], self.kernel, bias)
        return kernels.dense_per_gate(inputs, dp_mask, self.kernel, bias)

    def _input_bias(self):
        return self.bias

    def _recurrent_matmul(self, x_t, h_tm1, rec_mask, start=0, stop=None):
        """`x_t + h_tm1 @ recurrent_kernel[:, start:stop]`, with recurrent dropout per gate
        (implementation 1) or one mask (implementation 2)."""
        kernel = self.recurrent_kernel
        if start or stop is not None:
            kernel = kernel[:, start:stop]
        if rec_mask is None:
            return step_matmul(x_t, h_tm1, kernel)
        if self._gates == 1 or getattr(self, 'implementation', 1) != 1:
            return step_matmul(x_t, h_tm1 * rec_mask[0], kernel)
        size = self.units
        first = start // size
        parts = [K.dot(h_tm1 * rec_mask[first + k], kernel[:, k * size:(k + 1) * size])
                 for k in range(K.int_shape(kernel)[1] // size)]
        return x_t + K.concatenate(parts, axis=-1)

    def call(self, inputs, states, training=None):
        count = self._gates if self._gates > 1 else 1
        dp_mask, rec_mask = self._masks(inputs, states[0], training, count)
        if dp_mask is not None and count == 1:
            dp_mask = [dp_mask]
        if rec_mask is not None and count == 1:
            rec_mask = [rec_mask]
        return self._recurrent_step(self._project_inputs(inputs, dp_mask), states, rec_mask)

    def _rnn_sequence(self, inputs, training):
        """`(projected_inputs, step)` for `K.rnn`, or `None` when `call` is overridden."""
        if type(self).call is not _RecurrentCell.call:
            return None
        dp_mask, rec_mask = self._sequence_masks(inputs, training)
        recurrent_step = self._recurrent_step

        def step(x_t, states):
            return recurrent_step(x_t, states, rec_mask)
        return self._project_inputs(inputs, dp_mask), step

    def _gate_activation(self, z, index):
        """`recurrent_activation` of gate `index` of `z` (all gates at once when possible)."""
        size = self.units
        return self.recurrent_activation(z[:, index * size:(index + 1) * size])

    def _config_names(self):
        return ['units', 'activation', 'use_bias', 'kernel_initializer',
                'recurrent_initializer', 'bias_initializer', 'kernel_regularizer',
                'recurrent_regularizer', 'bias_regularizer', 'kernel_constraint',
                'recurrent_constraint', 'bias_constraint', 'dropout', 'recurrent_dropout']

    def get_config(self):
        config = _config_of(self, self._config_names())
        base_config = super(_RecurrentCell, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class SimpleRNNCell(_RecurrentCell):
    """Cell class for SimpleRNN: `output = activation(x @ kernel + bias + h @ recurrent)`.

    # Arguments
        units: positive integer, dimensionality of the output space.
        activation: activation function (default `tanh`; `None`: linear).
        use_bias: whether the layer uses a bias vector.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers of the
            `kernel` (inputs), `recurrent_kernel` (state) and bias.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: float in [0, 1], fraction of the input units to drop.
        recurrent_dropout: float in [0, 1], fraction of the state units to drop.
    """

    def __init__(self, units, activation='tanh', use_bias=True,
                 kernel_initializer='glorot_uniform', recurrent_initializer='orthogonal',
                 bias_initializer='zeros', kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0., recurrent_dropout=0., **kwargs):
        super(SimpleRNNCell, self).__init__(
            units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, **kwargs)

    def build(self, input_shape):
        self._add_kernels(input_shape[-1])
        if self.use_bias:
            self._add_bias((self.units,))
        else:
            self.bias = None
        self.built = True

    def _recurrent_step(self, x_t, states, rec_mask):
        output = self.activation(self._recurrent_matmul(x_t, states[0], rec_mask))
        return output, [output]


class GRUCell(_RecurrentCell):
    """Cell class for the GRU layer (gates z, r, h).

    # Arguments
        units: positive integer, dimensionality of the output space.
        activation: activation function (default `tanh`; `None`: linear).
        recurrent_activation: activation of the gates (default `hard_sigmoid`).
        use_bias: whether the layer uses a bias vector.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: float in [0, 1], fraction of the input units to drop.
        recurrent_dropout: float in [0, 1], fraction of the state units to drop.
        implementation: 1 (one mask and product per gate) or 2 (batched products, one
            dropout mask); the two give the same results without dropout.
        reset_after: apply the reset gate after the recurrent matrix product (`True`, the
            cuDNN convention, with separate input and recurrent biases: bias shape
            `(2, 3 * units)`) or before it (`False`, the default).
    """

    _gates = 3

    def __init__(self, units, activation='tanh', recurrent_activation='hard_sigmoid',
                 use_bias=True, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0., recurrent_dropout=0., implementation=1, reset_after=False,
                 **kwargs):
        super(GRUCell, self).__init__(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, **kwargs)
        self.implementation = layer_arguments.one_of(self, 'implementation', implementation,
                                                     _IMPLEMENTATIONS)
        self.reset_after = reset_after

    def build(self, input_shape):
        self._add_kernels(input_shape[-1])
        if self.use_bias:
            # reset_after keeps separate input and recurrent biases; the (2, 3 * units) shape
            # (not CuDNNGRU's (6 * units,)) tells the two apart when loading weights.
            self._add_bias((3 * self.units,) if not self.reset_after else (2, 3 * self.units))
        else:
            self.bias = None
        self.built = True

    @property
    def input_bias(self):
        if self.bias is None or not self.reset_after:
            return self.bias
        return self.bias[0]

    @property
    def recurrent_bias(self):
        if self.bias is None or not self.reset_after:
            return None
        return self.bias[1]

    kernel_z = _gate_slice('kernel', 0)
    kernel_r = _gate_slice('kernel', 1)
    kernel_h = _gate_slice('kernel', 2)
    recurrent_kernel_z = _gate_slice('recurrent_kernel', 0)
    recurrent_kernel_r = _gate_slice('recurrent_kernel', 1)
    recurrent_kernel_h = _gate_slice('recurrent_kernel', 2)

    def _input_bias(self):
        return self.input_bias

    def _recurrent_step(self, x_t, states, rec_mask):
        h_tm1 = states[0]
        size = self.units
        implementation_1 = self.implementation == 1
        if rec_mask is not None and not implementation_1:
            # Keras 2.2.4's implementation 2 applies the recurrent dropout mask to the
            # previous state itself, which then also enters the final mix below.
            h_tm1 = h_tm1 * rec_mask[0]
            rec_mask = None
        if self.reset_after:
            recurrent_bias = self.recurrent_bias
            if rec_mask is None:
                inner = kernels.dense(h_tm1, self.recurrent_kernel, recurrent_bias)
            else:
                inner = self._recurrent_matmul(K.zeros_like(x_t) if recurrent_bias is None
                                               else recurrent_bias, h_tm1, rec_mask)
            z, r = self._update_and_reset(x_t[:, :2 * size] + inner[:, :2 * size])
            hh = self.activation(x_t[:, 2 * size:] + r * inner[:, 2 * size:])
        else:
            zr = self._recurrent_matmul(x_t[:, :2 * size], h_tm1, rec_mask, 0, 2 * size)
            z, r = self._update_and_reset(zr)
            h_h = h_tm1 if rec_mask is None else h_tm1 * rec_mask[2]
            hh = self.activation(step_matmul(x_t[:, 2 * size:], r * h_h,
                                                   self.recurrent_kernel[:, 2 * size:]))
        h = z * h_tm1 + (1 - z) * hh
        return h, [h]

    def _update_and_reset(self, zr):
        size = self.units
        if self.recurrent_activation in _ELEMENTWISE:
            gates = self.recurrent_activation(zr)
            return gates[:, :size], gates[:, size:]
        return self._gate_activation(zr, 0), self._gate_activation(zr, 1)

    # ------------------------------------------------------------------ native kernel

    def _fusable(self, training):
        """Whether a whole sequence may run in the native GRU kernel: the same formula
        (reset_after, tanh, sigmoid) and no dropout mask that the kernel cannot apply."""
        if (not self.reset_after or not engine_has('gru_sequence') or
                self.activation is not activations.tanh or
                self.recurrent_activation is not activations.sigmoid or
                type(self).call is not _RecurrentCell.call):
            return False
        return _dropout_fusable(self, training)

    def _fused_sequence(self, inputs, initial_state, training, go_backwards):
        inputs = _input_dropout(self, inputs, training)
        outputs, h = kernels.gru_sequence(inputs, initial_state[0], self.kernel,
                                          self.recurrent_kernel, self.input_bias,
                                          self.recurrent_bias, go_backwards=go_backwards)
        return outputs, [h]

    def _recurrence(self, inputs, initial_state, mask, training, go_backwards):
        """`(last_output, outputs, states)` of the step loop in one engine call, for Keras 2's
        default formula (`reset_after=False`, tanh, hard_sigmoid or sigmoid gates), dropout
        masks included; else `None`."""
        if (self.reset_after or self.activation is not activations.tanh or
                not engine_has('gru_recurrence') or
                self.recurrent_activation not in _RECURRENCE_GATES or
                type(self).call is not _RecurrentCell.call):
            return None
        dp_mask, rec_mask = self._sequence_masks(inputs, training)
        if rec_mask is not None and self.implementation != 1:
            rec_mask = rec_mask[:1]  # (the one implementation 2 applies to the state itself)
        outputs, h = kernels.gru_recurrence(self._project_inputs(inputs, dp_mask),
                                            initial_state[0], self.recurrent_kernel,
                                            _RECURRENCE_GATES[self.recurrent_activation],
                                            mask=mask, go_backwards=go_backwards,
                                            recurrent_masks=rec_mask)
        return h, outputs, [h]

    def _config_names(self):
        names = super(GRUCell, self)._config_names()
        names.insert(2, 'recurrent_activation')
        return names + ['implementation', 'reset_after']


class LSTMCell(_RecurrentCell):
    """Cell class for the LSTM layer (gates i, f, c, o).

    # Arguments
        units: positive integer, dimensionality of the output space.
        activation: activation function (default `tanh`; `None`: linear).
        recurrent_activation: activation of the gates (default `hard_sigmoid`).
        use_bias: whether the layer uses a bias vector.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        unit_forget_bias: add 1 to the bias of the forget gate at initialization (with
            `bias_initializer='zeros'`), as Jozefowicz et al. (2015) recommend.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: float in [0, 1], fraction of the input units to drop.
        recurrent_dropout: float in [0, 1], fraction of the state units to drop.
        implementation: 1 (one mask and product per gate) or 2 (batched products, one
            dropout mask); the two give the same results without dropout.
    """

    _gates = 4

    def __init__(self, units, activation='tanh', recurrent_activation='hard_sigmoid',
                 use_bias=True, kernel_initializer='glorot_uniform',
                 recurrent_initializer='orthogonal', bias_initializer='zeros',
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0., recurrent_dropout=0., implementation=1,
                 **kwargs):
        super(LSTMCell, self).__init__(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, **kwargs)
        self.unit_forget_bias = unit_forget_bias
        self.implementation = layer_arguments.one_of(self, 'implementation', implementation,
                                                     _IMPLEMENTATIONS)
        self.state_size = (self.units, self.units)

    def build(self, input_shape):
        self._add_kernels(input_shape[-1])
        if self.use_bias:
            initializer = None
            if self.unit_forget_bias:
                initializer = forget_bias_initializer(self.bias_initializer, self.units,
                                                      self.units * 2, self.units)
            self._add_bias((self.units * 4,), initializer)
        else:
            self.bias = None
        self.built = True

    kernel_i = _gate_slice('kernel', 0)
    kernel_f = _gate_slice('kernel', 1)
    kernel_c = _gate_slice('kernel', 2)
    kernel_o = _gate_slice('kernel', 3)
    recurrent_kernel_i = _gate_slice('recurrent_kernel', 0)
    recurrent_kernel_f = _gate_slice('recurrent_kernel', 1)
    recurrent_kernel_c = _gate_slice('recurrent_kernel', 2)
    recurrent_kernel_o = _gate_slice('recurrent_kernel', 3)
    bias_i = _gate_slice('bias', 0)
    bias_f = _gate_slice('bias', 1)
    bias_c = _gate_slice('bias', 2)
    bias_o = _gate_slice('bias', 3)

    def _recurrent_step(self, x_t, states, rec_mask):
        h_tm1, c_tm1 = states[0], states[1]
        size = self.units
        z = self._recurrent_matmul(x_t, h_tm1, rec_mask)
        if self.recurrent_activation in _ELEMENTWISE:
            gates = self.recurrent_activation(z)
            i, f, o = gates[:, :size], gates[:, size:2 * size], gates[:, 3 * size:]
        else:
            i, f, o = (self._gate_activation(z, 0), self._gate_activation(z, 1),
                       self._gate_activation(z, 3))
        c = f * c_tm1 + i * self.activation(z[:, 2 * size:3 * size])
        h = o * self.activation(c)
        return h, [h, c]

    # ------------------------------------------------------------------ native kernel

    def _fusable(self, training):
        """Whether a whole sequence may run in the native LSTM kernel: the same formula (tanh,
        sigmoid gates) and no dropout mask that the kernel cannot apply."""
        if (self.activation is not activations.tanh or not engine_has('lstm_sequence') or
                self.recurrent_activation is not activations.sigmoid or
                type(self).call is not _RecurrentCell.call):
            return False
        return _dropout_fusable(self, training)

    def _fused_sequence(self, inputs, initial_state, training, go_backwards):
        inputs = _input_dropout(self, inputs, training)
        outputs, h, c = kernels.lstm_sequence(inputs, initial_state[0], initial_state[1],
                                              self.kernel, self.recurrent_kernel, self.bias,
                                              go_backwards=go_backwards)
        return outputs, [h, c]

    def _recurrence(self, inputs, initial_state, mask, training, go_backwards):
        """`(last_output, outputs, states)` of the step loop in one engine call, for the
        usual gates (tanh, hard_sigmoid or sigmoid), dropout masks included; else `None`."""
        if (self.activation is not activations.tanh or not engine_has('lstm_recurrence') or
                self.recurrent_activation not in _RECURRENCE_GATES or
                type(self).call is not _RecurrentCell.call):
            return None
        dp_mask, rec_mask = self._sequence_masks(inputs, training)
        if getattr(self, 'implementation', 1) != 1:
            # One mask for all gates (as `_project_inputs` and `_recurrent_matmul` apply
            # them).
            if dp_mask is not None:
                inputs, dp_mask = inputs * dp_mask[0], None
            if rec_mask is not None:
                rec_mask = rec_mask[:1]
        # The engine may project each step's inputs inside its loop.
        outputs, h, c = kernels.lstm_input_recurrence(
            inputs, self.kernel, self._input_bias(), initial_state[0], initial_state[1],
            self.recurrent_kernel, _RECURRENCE_GATES[self.recurrent_activation], mask=mask,
            go_backwards=go_backwards, input_masks=dp_mask, recurrent_masks=rec_mask)
        return h, outputs, [h, c]

    def _config_names(self):
        names = super(LSTMCell, self)._config_names()
        names.insert(2, 'recurrent_activation')
        names.insert(names.index('bias_initializer') + 1, 'unit_forget_bias')
        return names + ['implementation']


_RECURRENCE_GATES = {activations.hard_sigmoid: 'hard_sigmoid',
                     activations.sigmoid: 'sigmoid'}


def _dropout_fusable(cell, training):
    """No dropout in this call, or only input dropout with one mask for all gates (which is
    applied to the inputs before the kernel)."""
    dropping = 0 < cell.dropout < 1
    if not dropping and not 0 < cell.recurrent_dropout < 1:
        return True
    phase = _phase(training)
    if phase == 0:
        return True
    return (phase == 1 and not 0 < cell.recurrent_dropout < 1 and
            cell.implementation != 1)


def _input_dropout(cell, inputs, training):
    if 0 < cell.dropout < 1 and _phase(training) == 1:
        dp_mask, _ = cell._sequence_masks(inputs, training)
        return inputs * dp_mask[0]
    return inputs
