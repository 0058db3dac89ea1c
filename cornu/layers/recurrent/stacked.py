"""`StackedRNNCells`: a stack of RNN cells that behaves as one cell."""
import warnings

from ... import backend as K
from ...engine.base_layer import Layer
from ..._common import layer_arguments
from ..._common.generic_utils import has_arg
from ..._common.serialization import deserialize_layer
from ._util import _build_inner, _output_size, _state_sizes


class StackedRNNCells(Layer):
    """Wrapper allowing a stack of RNN cells to behave as a single cell.

    Used to implement efficient stacked RNNs: `RNN([cell_1, cell_2])` wraps its cells in one.

    # Arguments
        cells: list of RNN cell instances.
        reverse_state_order: by default the states are the cells' states in the order of
            the cells (`[h1, c1, h2, c2]` for two LSTMs), which is also the order in which
            `RNN(return_state=True)` returns them. `True` puts the last cell's states first
            (`[h2, c2, h1, c1]`), the order of Keras before 2.2.3 (deprecated).

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

    _rows_independent = True

    def __init__(self, cells, **kwargs):
        if not isinstance(cells, (list, tuple)) or not cells:
            layer_arguments.refuse(self, 'cells', cells, 'a non-empty list of RNN cells')
        for cell in cells:
            if not hasattr(cell, 'call'):
                raise ValueError('All cells must have a `call` method. received cells: ' +
                                 str(cells))
            if not hasattr(cell, 'state_size'):
                raise ValueError('All cells must have a `state_size` attribute. received '
                                 'cells: ' + str(cells))
        self.cells = cells
        self.reverse_state_order = kwargs.pop('reverse_state_order', False)
        if self.reverse_state_order:
            warnings.warn('`reverse_state_order=True` in `StackedRNNCells` is deprecated: '
                          'use the natural order of the states (the first cell\'s first), '
                          'for example in what `RNN(return_state=True)` returns.')
        super(StackedRNNCells, self).__init__(**kwargs)
        self._takes_constants = [has_arg(cell.call, 'constants') for cell in cells]

    @property
    def _sublayers(self):
        return [cell for cell in self.cells if isinstance(cell, Layer)]

    def _cells_in_state_order(self):
        return self.cells[::-1] if self.reverse_state_order else self.cells

    @property
    def state_size(self):
        state_size = []
        for cell in self._cells_in_state_order():
            state_size += _state_sizes(cell)
        return tuple(state_size)

    @property
    def output_size(self):
        """The size of the last cell's output: its `output_size`, else its first state's."""
        return _output_size(self.cells[-1])

    @property
    def _output_state_index(self):
        """Where, in `states`, the state that equals the stack's output (the last cell's first
        state) is: `RNN` repeats that state at masked timesteps."""
        if self.reverse_state_order:
            return 0
        return sum(len(_state_sizes(cell)) for cell in self.cells[:-1])

    def call(self, inputs, states, constants=None, **kwargs):
        nested_states = []
        for cell in self._cells_in_state_order():
            count = len(_state_sizes(cell))
            nested_states.append(states[:count])
            states = states[count:]
        if self.reverse_state_order:
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

        if self.reverse_state_order:
            new_nested_states = new_nested_states[::-1]
        new_states = []
        for cell_states in new_nested_states:
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
            input_shape = (input_shape[0], _output_size(cell))
        self.built = True

    def computes_rows_independently(self, training):
        """When every cell does too (see `Layer`)."""
        return super().computes_rows_independently(training) and all(
            callable(getattr(cell, 'computes_rows_independently', None)) and
            cell.computes_rows_independently(training) for cell in self.cells)

    def get_config(self):
        cells = [{'class_name': cell.__class__.__name__, 'config': cell.get_config()}
                 for cell in self.cells]
        config = {'cells': cells}
        if self.reverse_state_order:
            config['reverse_state_order'] = True
        base_config = super(StackedRNNCells, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))

    @classmethod
    def from_config(cls, config, custom_objects=None):
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
