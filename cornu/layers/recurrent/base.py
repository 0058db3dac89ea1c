"""The recurrent layer base: `RNN`, which runs any cell over time, and `StackedRNNCells`.

A cell is any object with `call(inputs, states)` returning `(output, new_states)` and a
`state_size` (an int, or one int per state), as in Keras 2.2.4. `RNN` runs it with `K.rnn`,
one cell call per timestep. The built-in cells also offer two faster routes, taken only when
their results are those of the step-by-step loop:

- `cell._rnn_sequence(inputs, training)`: the input projections of all timesteps computed at
  once, then a lean recurrent step per timestep (used unless the cell's `call` is overridden);
- `cell._fused_sequence(...)`: the whole sequence in the engine's native LSTM/GRU kernel, when
  `cell._fusable(training)` says the cell's formula is exactly that kernel's and there is no
  mask (or an all-valid one), no `unroll` and no constants;
- `cell._recurrence(...)`: the step loop's arithmetic over the whole sequence in one engine
  call (the LSTM's usual gates, masks included), or `None`.
"""
import numpy as np

from ... import backend as K
from ...engine.base_layer import Layer
from ...engine.input_spec import InputSpec
from ...utils.generic_utils import has_arg, to_list


# Engine fast paths (`cornu.backend.<engine>.fused`); an engine without them still runs every
# recurrent layer through the plain `K` functions below (CuDNN layers excepted).

def engine_has(name):
    """Whether the engine offers the fused function `name` (e.g. `'lstm_sequence'`)."""
    return hasattr(K, name)


def zero_states(inputs, shapes):
    """Zero tensors `(samples,) + shape` for each shape, like `inputs` (dtype, device)."""
    if engine_has('rnn_zero_states'):
        return K.rnn_zero_states(inputs, shapes)
    per_sample = K.sum(K.zeros_like(inputs), axis=tuple(range(1, K.ndim(inputs))))
    states = []
    for shape in shapes:
        state = K.reshape(per_sample, (-1,) + (1,) * len(shape))
        states.append(K.tile(state, (1,) + tuple(shape)))
    return states


def step_matmul(projected, states, recurrent_kernel):
    """`projected + states @ recurrent_kernel` (one kernel call where the engine has one)."""
    if engine_has('rnn_step_matmul'):
        return K.rnn_step_matmul(projected, states, recurrent_kernel)
    return projected + K.dot(states, recurrent_kernel)


def all_valid(mask):
    """Whether no timestep of `mask` is masked."""
    if engine_has('rnn_mask_all_valid'):
        return K.rnn_mask_all_valid(mask)
    return bool(K.eval(K.all(mask)))


def _state_sizes(cell):
    size = cell.state_size
    if hasattr(size, '__len__'):
        return list(size)
    return [size]


def _phase(training):
    """1 or 0 when this call's learning phase is known, else `None` (a phase tensor)."""
    if training is None:
        training = K.learning_phase()
    if isinstance(training, (bool, int, np.bool_, np.integer)):
        return int(bool(training))
    if K.is_symbolic(training):
        return 0  # outside a run, Keras 2 took the test branch
    return None


def _generate_dropout_mask(ones, rate, training=None, count=1):
    """Dropout mask(s) shaped like `ones`: dropped and rescaled in training, ones otherwise."""
    def dropped_inputs():
        return K.dropout(ones, rate)

    if count > 1:
        return [K.in_train_phase(dropped_inputs, ones, training=training)
                for _ in range(count)]
    return K.in_train_phase(dropped_inputs, ones, training=training)


def _standardize_args(inputs, initial_state, constants, num_constants):
    """Separates `inputs`, `initial_state` and `constants` given together in one list.

    A model rebuilt from its config calls an RNN with `[inputs] + initial_state + constants`
    (the node records them as inputs), so this undoes that.

    # Returns
        `(inputs, initial_state, constants)`: a tensor, and lists of tensors or `None`.
    """
    if isinstance(inputs, list):
        if initial_state is not None or constants is not None:
            raise ValueError('Pass `initial_state` and `constants` either inside the list of '
                             'inputs or as keyword arguments, not both.')
        if num_constants is not None:
            constants = inputs[len(inputs) - num_constants:]
            inputs = inputs[:len(inputs) - num_constants]
        if len(inputs) > 1:
            initial_state = inputs[1:]
        inputs = inputs[0]

    def to_list_or_none(x):
        if x is None or isinstance(x, list):
            return x
        if isinstance(x, tuple):
            return list(x)
        return [x]

    return inputs, to_list_or_none(initial_state), to_list_or_none(constants)


def adopt_weight_names(weights, known_ids, old_prefix, new_prefix, taken):
    """Renames weights created by an inner layer as Keras 2 (TensorFlow) named them.

    Keras 2 built a cell or wrapped layer inside its owner's name scope, so an LSTM's kernel is
    `lstm_1/kernel:0` (not `lstm_cell_1/kernel:0`); names repeated within a scope got `_1`,
    `_2`, ... suffixes. Only weights not in `known_ids` whose name starts with `old_prefix/`
    are renamed; `taken` is the set of names already used in the scope (updated).
    """
    for weight in weights:
        if id(weight) in known_ids:
            continue
        name = getattr(weight, 'name', None) or ''
        if not name.startswith(old_prefix + '/'):
            continue
        local = name[len(old_prefix) + 1:]
        if local.endswith(':0'):
            local = local[:-2]
        candidate, index = new_prefix + '/' + local, 0
        while candidate + ':0' in taken:
            index += 1
            candidate = new_prefix + '/' + local + '_' + str(index)
        weight.name = candidate + ':0'
        taken.add(weight.name)


def _build_inner(layer, owner_name, input_shape, taken):
    """Builds `layer` (a cell or wrapped layer) and gives its new weights Keras 2's names."""
    known = set(id(w) for w in layer.weights)
    layer.build(input_shape)
    layer.built = True
    adopt_weight_names(layer.weights, known, layer.name, owner_name, taken)


def _cells_of(cell):
    """The cell and, for stacked cells, every cell inside (for per-call resets)."""
    inner = getattr(cell, 'cells', None)
    if inner:
        cells = [cell]
        for c in inner:
            cells += _cells_of(c)
        return cells
    return [cell]


class StackedRNNCells(Layer):
    """Wrapper allowing a stack of RNN cells to behave as a single cell.

    Used to implement efficient stacked RNNs: `RNN([cell_1, cell_2])` wraps its cells in one.

    # Arguments
        cells: list of RNN cell instances.

    # Examples

    ```python
        cells = [
            keras.layers.LSTMCell(output_dim),
            keras.layers.LSTMCell(output_dim),
        ]
        inputs = keras.Input((timesteps, input_dim))
        x = keras.layers.RNN(cells)(inputs)
    ```
    """

    def __init__(self, cells, **kwargs):
        for cell in cells:
            if not hasattr(cell, 'call'):
                raise ValueError('All cells must have a `call` method. received cells: ' +
                                 str(cells))
            if not hasattr(cell, 'state_size'):
                raise ValueError('All cells must have a `state_size` attribute. received '
                                 'cells: ' + str(cells))
        self.cells = cells
        super(StackedRNNCells, self).__init__(**kwargs)
        self._takes_constants = [has_arg(cell.call, 'constants') for cell in cells]

    @property
    def _sublayers(self):
        return [cell for cell in self.cells if isinstance(cell, Layer)]

    @property
    def state_size(self):
        # As in Keras 2.2.4, the states of the last cell come first (`[h2, c2, h1, c1]` for
        # two LSTMs), so that `state_size[0]` is the output size and the first state is the
        # output (what masked steps repeat).
        state_size = []
        for cell in self.cells[::-1]:
            state_size += _state_sizes(cell)
        return tuple(state_size)

    def call(self, inputs, states, constants=None, **kwargs):
        nested_states = []
        for cell in self.cells[::-1]:
            count = len(_state_sizes(cell))
            nested_states.append(states[:count])
            states = states[count:]
        nested_states = nested_states[::-1]

        new_nested_states = []
        for cell, cell_states, takes_constants in zip(self.cells, nested_states,
                                                      self._takes_constants):
            if takes_constants:
                inputs, cell_states = cell.call(inputs, cell_states, constants=constants,
                                                **kwargs)
            else:
                inputs, cell_states = cell.call(inputs, cell_states, **kwargs)
            new_nested_states.append(cell_states)

        new_states = []
        for cell_states in new_nested_states[::-1]:
            new_states += list(cell_states)
        return inputs, new_states

    def build(self, input_shape):
        constants_shape = None
        if isinstance(input_shape, list):
            constants_shape = input_shape[1:]
            input_shape = input_shape[0]
        taken = set()
        for cell, takes_constants in zip(self.cells, self._takes_constants):
            if isinstance(cell, Layer):
                shape = ([input_shape] + constants_shape if takes_constants and
                         constants_shape is not None else input_shape)
                _build_inner(cell, self.name, shape, taken)
            output_dim = _state_sizes(cell)[0]
            input_shape = (input_shape[0], output_dim)
        self.built = True

    def get_config(self):
        cells = [{'class_name': cell.__class__.__name__, 'config': cell.get_config()}
                 for cell in self.cells]
        config = {'cells': cells}
        base_config = super(StackedRNNCells, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .. import deserialize as deserialize_layer
        config = dict(config)
        cells = [deserialize_layer(cell_config, custom_objects=custom_objects)
                 for cell_config in config.pop('cells')]
        return cls(cells, **config)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        weights = []
        for cell in self._sublayers:
            weights += cell.trainable_weights
        return weights

    @trainable_weights.setter
    def trainable_weights(self, weights):
        self._trainable_weights = list(weights)

    @property
    def non_trainable_weights(self):
        weights = []
        for cell in self._sublayers:
            weights += cell.non_trainable_weights
        if not self.trainable:
            trainable = []
            for cell in self._sublayers:
                trainable += cell.trainable_weights
            return trainable + weights
        return weights

    @non_trainable_weights.setter
    def non_trainable_weights(self, weights):
        self._non_trainable_weights = list(weights)

    def get_weights(self):
        weights = []
        for cell in self._sublayers:
            weights += cell.weights
        return K.batch_get_value(weights)

    def set_weights(self, weights):
        tuples = []
        weights = list(weights)
        for cell in self._sublayers:
            count = len(cell.weights)
            tuples += list(zip(cell.weights, weights[:count]))
            weights = weights[count:]
        K.batch_set_value(tuples)

    @property
    def losses(self):
        losses = []
        for cell in self._sublayers:
            losses += cell.losses
        return losses

    def get_losses_for(self, inputs=None):
        losses = []
        for cell in self._sublayers:
            losses += cell.get_losses_for(inputs)
        return losses


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

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, 'call'):
            raise ValueError('`cell` should have a `call` method. The RNN was passed: ' +
                             str(cell))
        if not hasattr(cell, 'state_size'):
            raise ValueError('The RNN cell should have an attribute `state_size` (tuple of '
                             'integers, one integer per RNN state).')
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
        self._uses_learning_phase = any(
            getattr(c, 'dropout', 0) or getattr(c, 'recurrent_dropout', 0)
            for c in _cells_of(cell))

    @property
    def _sublayers(self):
        return [self.cell] if isinstance(self.cell, Layer) else []

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
        output_dim = getattr(self.cell, 'output_size', None) or state_size[0]
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
        # call may still need their old values.
        return [K.identity(K.stop_gradient(state)) for state in states]

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
                K.update(variable, value)

        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return [output] + list(states)
        return output

    def _run(self, inputs, initial_state, constants, mask, training):
        """`(last_output, outputs, states)` of the cell over the sequence."""
        cell = self.cell
        if not self.unroll and not constants:
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
                    return K.rnn(step, step_inputs, initial_state,
                                 go_backwards=self.go_backwards, mask=mask)

        kwargs = {}
        if has_arg(cell.call, 'training'):
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
        return K.rnn(step, inputs, initial_state, constants=constants,
                     go_backwards=self.go_backwards, mask=mask, unroll=self.unroll,
                     input_length=K.int_shape(inputs)[1])

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
        from .. import deserialize as deserialize_layer
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
