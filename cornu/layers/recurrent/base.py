"""The recurrent layer base: `RNN`, which runs any cell over time.

A cell is any object with `call(inputs, states)` returning `(output, new_states)` and a
`state_size` (an int, or one int per state), as in Keras 2.2.4. `RNN` runs it with `K.rnn`,
one cell call per timestep. The built-in cells also offer faster routes, taken only when
their results are those of the step-by-step loop:

- `cell._fused_sequence(...)`: the whole sequence in the engine's native LSTM/GRU kernel, when
  `cell._fusable(training)` says the cell's formula is exactly that kernel's and there is no
  mask (or an all-valid one), no `unroll` and no constants;
- `cell._recurrence(...)`: the step loop's arithmetic over the whole sequence in one engine
  call (the LSTM's usual gates, and the GRU's with `reset_after=False`; masks included), or
  `None`;
- `cell._rnn_sequence(inputs, training)`: the input projections of all timesteps computed at
  once, then a lean recurrent step per timestep (used unless the cell's `call` is overridden).
"""
import numpy as np

from ... import backend as K
from ...engine.base_layer import Layer
from ...engine.input_spec import InputSpec
from ...engine.state_update import StateUpdate
from ..._common import layer_arguments
from ..._common.generic_utils import has_arg, to_list
from ..._common.serialization import deserialize_layer
from ._util import (_build_inner, _cells_of, _output_size, _standardize_args, _state_sizes,
                    all_valid, zero_states)
from .stacked import StackedRNNCells


class RNN(Layer):
    """Base class for recurrent layers.

    # Arguments
        cell: a RNN cell instance: an object with
            - a `call(input_at_t, states_at_t)` method returning
              `(output_at_t, states_at_t_plus_1)` (it may also take `training` and
              `constants` keyword arguments);
            - a `state_size` attribute: an int (one state, the size of the output) or a
              list/tuple of ints (one per state, the first being the output size).
            A list of cells is stacked (see `StackedRNNCells`).
        return_sequences: whether to return the whole output sequence or its last output.
        return_state: whether to return the last states in addition to the output.
        go_backwards: process the input sequence backwards (the output sequence then comes
            in that reversed order).
        stateful: reuse the last states of each sample of a batch as the initial states of
            the sample at the same index in the next batch (needs a fixed batch size).
        unroll: Keras 2 unrolled the loop; here it only selects Keras 2's masking rule for
            unrolled loops (a masked step repeats the previous output, zeros at first).

    # Input shape
        3D tensor with shape `(batch_size, timesteps, input_dim)`.

    # Output shape
        - with `return_state`: a list: the output, then the last states, each
          `(batch_size, units)`;
        - with `return_sequences`: 3D tensor `(batch_size, timesteps, units)`;
        - else 2D tensor `(batch_size, units)`.

    # Masking
        Masked timesteps (from `Embedding(mask_zero=True)` or `Masking`) leave the states
        unchanged and repeat the previous output.

    # Statefulness
        Give `stateful=True` and a fixed batch size (`batch_input_shape=(...)` on the first
        layer of a Sequential model, `batch_shape=(...)` on `Input`), and fit with
        `shuffle=False`. `reset_states()` zeroes the states (or sets given values).

    # Initial states and constants
        Call the layer with `initial_state=[...]` (tensors, symbolic or not) to start from
        given states, and with `constants=[...]` to pass tensors to every step of a cell whose
        `call` takes `constants`.
    """

    _rows_independent = True

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, 'call') or not hasattr(cell, 'state_size'):
            layer_arguments.refuse(self, 'cell', cell, 'an RNN cell: an object with a `call` '
                                   'method and a `state_size` attribute (an integer, or a '
                                   'tuple of one integer per state)')
        super(RNN, self).__init__(**kwargs)
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll

        self.supports_masking = True
        self.input_spec = [InputSpec(ndim=3)]
        self.state_spec = None
        self._states = None
        self.constants_spec = None
        self._num_constants = None
        self._cell_signature = {}
        self._uses_learning_phase = any(
            getattr(c, 'dropout', 0) or getattr(c, 'recurrent_dropout', 0)
            for c in _cells_of(cell))

    @property
    def _sublayers(self):
        return [self.cell] if isinstance(self.cell, Layer) else []

    def _call_updates(self, inputs, kwargs):
        """A stateful layer keeps its last states for the next batch: one `StateUpdate`
        per state variable."""
        if not self.stateful or self._states is None:
            return []
        return [StateUpdate(state, self, 'last state', inputs) for state in self._states]

    @property
    def states(self):
        if self._states is None:
            return [None] * len(_state_sizes(self.cell))
        return self._states

    @states.setter
    def states(self, states):
        self._states = states

    # ------------------------------------------------------------------ shapes and masks

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        state_size = _state_sizes(self.cell)
        output_dim = _output_size(self.cell)
        if self.return_sequences:
            output_shape = (input_shape[0], input_shape[1], output_dim)
        else:
            output_shape = (input_shape[0], output_dim)
        if self.return_state:
            return [output_shape] + [(input_shape[0], dim) for dim in state_size]
        return output_shape

    def compute_mask(self, inputs, mask):
        if isinstance(mask, list):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.states]
        return output_mask

    # ------------------------------------------------------------------ building

    def build(self, input_shape):
        constants_shape = None
        if self._num_constants is not None:
            constants_shape = input_shape[-self._num_constants:]
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        if self.unroll and input_shape[1] is None:
            raise ValueError('Cannot unroll a RNN if the time dimension is undefined. \n'
                             '- If using a Sequential model, specify the time dimension by '
                             'passing an `input_shape` or `batch_input_shape` argument to '
                             'your first layer. If your first layer is an Embedding, you can '
                             'also use the `input_length` argument.\n'
                             '- If using the functional API, specify the time dimension by '
                             'passing a `shape` or `batch_shape` argument to your Input '
                             'layer.')
        batch_size = input_shape[0] if self.stateful else None
        self.input_spec[0] = self._main_input_spec(batch_size, input_shape)

        if isinstance(self.cell, Layer):
            step_input_shape = (input_shape[0],) + input_shape[2:]
            if constants_shape is not None:
                step_input_shape = [step_input_shape] + list(constants_shape)
            _build_inner(self.cell, self.name, step_input_shape, set())

        state_size = _state_sizes(self.cell)
        if self.state_spec is not None:
            if [spec.shape[-1] for spec in self.state_spec] != state_size:
                raise ValueError('An `initial_state` was passed that is not compatible with '
                                 '`cell.state_size`. Received `state_spec`=' +
                                 str(self.state_spec) + '; however `cell.state_size` is ' +
                                 str(self.cell.state_size))
        else:
            self.state_spec = [InputSpec(shape=(None, dim)) for dim in state_size]
        if self.stateful:
            self.reset_states()
        self.built = True

    def _main_input_spec(self, batch_size, input_shape):
        return InputSpec(shape=(batch_size, None, input_shape[-1]))

    def get_initial_state(self, inputs):
        """All-zero states `(samples, size)`, one per entry of `cell.state_size`."""
        return zero_states(inputs, [(dim,) for dim in _state_sizes(self.cell)])

    # ------------------------------------------------------------------ calling

    def __call__(self, inputs, initial_state=None, constants=None, **kwargs):
        inputs, initial_state, constants = _standardize_args(inputs, initial_state, constants,
                                                             self._num_constants)
        if initial_state is None and constants is None:
            return super(RNN, self).__call__(inputs, **kwargs)

        additional_inputs, additional_specs = [], []
        if initial_state is not None:
            additional_inputs += initial_state
            self.state_spec = [InputSpec(shape=K.int_shape(state)) for state in initial_state]
            additional_specs += self.state_spec
        if constants is not None:
            if not has_arg(self.cell.call, 'constants'):
                raise ValueError('RNN cell does not support constants')
            additional_inputs += constants
            self.constants_spec = [InputSpec(shape=K.int_shape(constant))
                                   for constant in constants]
            self._num_constants = len(constants)
            additional_specs += self.constants_spec
        is_keras_tensor = isinstance(additional_inputs[0], K.KerasTensor)
        for tensor in additional_inputs:
            if isinstance(tensor, K.KerasTensor) != is_keras_tensor:
                raise ValueError('The initial state or constants of an RNN layer cannot be '
                                 'specified with a mix of Keras tensors and non-Keras tensors '
                                 '(a "Keras tensor" is a tensor that was returned by a Keras '
                                 'layer, or by `Input`)')
        if is_keras_tensor:
            # As Keras 2.2.4 does, the states and constants become inputs of the node, so the
            # graph records where they come from and a saved model rebuilds the connection.
            full_input = [inputs] + additional_inputs
            original_input_spec = self.input_spec
            self.input_spec = original_input_spec + additional_specs
            try:
                output = super(RNN, self).__call__(full_input, **kwargs)
            finally:
                original_input_spec[0] = self.input_spec[0]
                self.input_spec = original_input_spec
            return output
        if initial_state is not None:
            kwargs['initial_state'] = initial_state
        if constants is not None:
            kwargs['constants'] = constants
        return super(RNN, self).__call__(inputs, **kwargs)

    def _split_inputs(self, inputs, initial_state, constants):
        if isinstance(inputs, list):
            if self._num_constants is not None:
                cut = len(inputs) - self._num_constants
                constants = inputs[cut:]
                extra = inputs[1:cut]
            else:
                extra = inputs[1:]
            if extra:
                initial_state = extra
            inputs = inputs[0]
        return inputs, initial_state, constants

    def _stateful_initial_state(self, inputs):
        states = self.states
        if states[0] is None:
            raise ValueError('Layer ' + self.name + ' is stateful but has no states yet: build '
                             'it with a fixed batch size (`batch_input_shape`), or call '
                             '`reset_states()`.')
        expected = K.int_shape(states[0])[0]
        given = K.int_shape(inputs)[0]
        if given != expected:
            raise ValueError('Layer ' + self.name + ' is stateful with a batch size of ' +
                             str(expected) + ' (its states carry over from batch to batch), '
                             'but it was called on a batch of ' + str(given) + ' samples. '
                             'Feed batches of exactly ' + str(expected) + ' samples (the '
                             'number of samples must be a multiple of the batch size).')
        # Copies: the states are updated in place after the call, while the graph of this
        # call may still need their old values. Under a mixed policy the (float32) states
        # are read in the compute dtype.
        dtype = K.dtype(inputs)
        return [K.identity(K.stop_gradient(state)) if K.dtype(state) == dtype else
                K.cast(K.stop_gradient(state), dtype) for state in states]

    def call(self, inputs, mask=None, training=None, initial_state=None, constants=None):
        inputs, initial_state, constants = self._split_inputs(inputs, initial_state, constants)
        if initial_state is not None:
            initial_state = to_list(initial_state)
        elif self.stateful:
            initial_state = self._stateful_initial_state(inputs)
        else:
            initial_state = self.get_initial_state(inputs)
        if isinstance(mask, list):
            mask = mask[0]
        if len(initial_state) != len(self.states):
            raise ValueError('Layer has ' + str(len(self.states)) + ' states but was passed ' +
                             str(len(initial_state)) + ' initial states.')
        if constants and not has_arg(self.cell.call, 'constants'):
            raise ValueError('RNN cell does not support constants')

        for cell in _cells_of(self.cell):
            # Dropout masks are drawn once per call and shared by all timesteps.
            if hasattr(cell, '_dropout_mask'):
                cell._dropout_mask = None
                cell._recurrent_dropout_mask = None

        last_output, outputs, states = self._run(inputs, initial_state, constants, mask,
                                                 training)
        if self.stateful:
            for variable, value in zip(self.states, states):
                if K.dtype(value) != K.dtype(variable):
                    value = K.cast(value, K.dtype(variable))
                K.update(variable, value)

        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return [output] + list(states)
        return output

    def _run(self, inputs, initial_state, constants, mask, training):
        """`(last_output, outputs, states)` of the cell over the sequence."""
        cell = self.cell
        if constants:
            return self._run_cell_calls(inputs, initial_state, constants, mask, training)
        if not self.unroll:
            fusable = getattr(cell, '_fusable', None)
            if fusable is not None and fusable(training) and (
                    mask is None or all_valid(mask)):
                outputs, states = cell._fused_sequence(inputs, initial_state, training,
                                                       self.go_backwards)
                return states[0], outputs, states
            recurrence = getattr(cell, '_recurrence', None)
            if recurrence is not None:
                result = recurrence(inputs, initial_state, mask, training, self.go_backwards)
                if result is not None:
                    return result
        sequence = getattr(cell, '_rnn_sequence', None)
        if sequence is not None:
            prepared = sequence(inputs, training)
            if prepared is not None:
                step_inputs, step = prepared
                return K.rnn(step, step_inputs, initial_state, go_backwards=self.go_backwards,
                             mask=mask, unroll=self.unroll)
        return self._run_cell_calls(inputs, initial_state, constants, mask, training)

    def _run_cell_calls(self, inputs, initial_state, constants, mask, training):
        """The plain loop: one `cell.call` per timestep, as Keras 2.2.4 runs it."""
        cell = self.cell
        takes_training = self._cell_signature.get(id(cell))
        if takes_training is None:
            takes_training = self._cell_signature[id(cell)] = has_arg(cell.call, 'training')
        kwargs = {}
        if takes_training:
            kwargs['training'] = training
        if constants:
            num_constants = self._num_constants or len(constants)

            def step(step_inputs, states):
                return cell.call(step_inputs, states[:-num_constants],
                                 constants=states[-num_constants:], **kwargs)
        elif kwargs:
            def step(step_inputs, states):
                return cell.call(step_inputs, states, **kwargs)
        else:
            step = cell.call
        first = getattr(cell, '_output_state_index', 0)
        if mask is not None and not self.unroll and first:
            # A masked timestep repeats the first state, which must then be the output:
            # the loop runs with the output's state moved to the front (a stack of cells
            # in their natural state order has it last), and the cell sees its own order.
            return self._run_output_state_first(step, inputs, initial_state, constants,
                                                mask, first)
        return K.rnn(step, inputs, initial_state, constants=constants,
                     go_backwards=self.go_backwards, mask=mask, unroll=self.unroll,
                     input_length=K.int_shape(inputs)[1])

    def _run_output_state_first(self, step, inputs, initial_state, constants, mask, first):
        """`K.rnn` over `step` with state `first` moved to the front of the states."""
        count = len(initial_state)

        def to_loop_order(states):
            states = list(states)
            return [states[first]] + states[:first] + states[first + 1:]

        def to_cell_order(states):
            states = list(states)
            return states[1:first + 1] + [states[0]] + states[first + 1:]

        def loop_step(step_inputs, states):
            states = list(states)
            output, new_states = step(step_inputs,
                                      to_cell_order(states[:count]) + states[count:])
            return output, to_loop_order(new_states)

        last_output, outputs, states = K.rnn(
            loop_step, inputs, to_loop_order(initial_state), constants=constants,
            go_backwards=self.go_backwards, mask=mask, unroll=self.unroll,
            input_length=K.int_shape(inputs)[1])
        return last_output, outputs, to_cell_order(states)

    # ------------------------------------------------------------------ states

    def _state_shapes(self, batch_size):
        return [(batch_size, dim) for dim in _state_sizes(self.cell)]

    def reset_states(self, states=None):
        """Zeroes the states of a stateful layer, or sets them to `states`.

        # Arguments
            states: optional NumPy array(s), one per state, shaped `(batch_size, size)`.

        # Raises
            AttributeError: if the layer is not stateful.
            ValueError: without a fixed batch size, or for states of the wrong number or
                shape.
        """
        if not self.stateful:
            raise AttributeError('Layer must be stateful.')
        batch_size = self.input_spec[0].shape[0] if self.input_spec[0].shape else None
        if not batch_size:
            raise ValueError('If a RNN is stateful, it needs to know its batch size. Specify '
                             'the batch size of your input tensors: \n'
                             '- If using a Sequential model, specify the batch size by '
                             'passing a `batch_input_shape` argument to your first layer.\n'
                             '- If using the functional API, specify the batch size by '
                             'passing a `batch_shape` argument to your Input layer.')
        shapes = self._state_shapes(batch_size)
        if self.states[0] is None:
            self.states = [K.zeros(shape) for shape in shapes]
            for index, state in enumerate(self.states):
                state.name = self.name + '/state_' + str(index) + ':0'
            if states is None:
                return
        if states is None:
            K.batch_set_value([(state, np.zeros(shape))
                               for state, shape in zip(self.states, shapes)])
            return
        states = to_list(states, allow_tuple=True)
        if len(states) != len(self.states):
            raise ValueError('Layer ' + self.name + ' expects ' + str(len(self.states)) +
                             ' states, but it received ' + str(len(states)) +
                             ' state values. Input received: ' + str(states))
        values = []
        for index, (value, state, shape) in enumerate(zip(states, self.states, shapes)):
            value = np.asarray(value)
            if value.shape != tuple(shape):
                raise ValueError('State ' + str(index) + ' is incompatible with layer ' +
                                 self.name + ': expected shape=' + str(tuple(shape)) +
                                 ', found shape=' + str(value.shape))
            values.append((state, value))
        K.batch_set_value(values)

    # ------------------------------------------------------------------ configuration

    def computes_rows_independently(self, training):
        """When the cell does too and the layer is not stateful (see `Layer`)."""
        cell = self.cell
        return super().computes_rows_independently(training) and \
            callable(getattr(cell, 'computes_rows_independently', None)) and \
            cell.computes_rows_independently(training)

    def get_config(self):
        config = {'return_sequences': self.return_sequences,
                  'return_state': self.return_state,
                  'go_backwards': self.go_backwards,
                  'stateful': self.stateful,
                  'unroll': self.unroll}
        if self._num_constants is not None:
            config['num_constants'] = self._num_constants
        config['cell'] = {'class_name': self.cell.__class__.__name__,
                          'config': self.cell.get_config()}
        base_config = super(RNN, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize_layer(config.pop('cell'), custom_objects=custom_objects)
        num_constants = config.pop('num_constants', None)
        layer = cls(cell, **config)
        layer._num_constants = num_constants
        return layer

    # ------------------------------------------------------------------ weights and losses

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        if isinstance(self.cell, Layer):
            return self.cell.trainable_weights
        return []

    @trainable_weights.setter
    def trainable_weights(self, weights):
        self._trainable_weights = list(weights)

    @property
    def non_trainable_weights(self):
        if isinstance(self.cell, Layer):
            if not self.trainable:
                return self.cell.weights
            return self.cell.non_trainable_weights
        return []

    @non_trainable_weights.setter
    def non_trainable_weights(self, weights):
        self._non_trainable_weights = list(weights)

    @property
    def losses(self):
        layer_losses = super(RNN, self).losses
        if isinstance(self.cell, Layer):
            return self.cell.losses + layer_losses
        return layer_losses

    def get_losses_for(self, inputs=None):
        if isinstance(self.cell, Layer):
            cell_losses = self.cell.get_losses_for(inputs)
            return cell_losses + super(RNN, self).get_losses_for(inputs)
        return super(RNN, self).get_losses_for(inputs)
