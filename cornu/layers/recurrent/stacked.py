"""`StackedRNNCells`: a stack of RNN cells that behaves as one cell."""
from ... import backend as K
from ...engine.base_layer import Layer
from ..._common.generic_utils import has_arg
from ..._common.serialization import deserialize_layer
from ._util import _build_inner, _state_sizes


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

    _rows_independent = True

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

    def computes_rows_independently(self, training):
        """When every cell does too (see `Layer`)."""
        return super().computes_rows_independently(training) and all(
            callable(getattr(cell, 'computes_rows_independently', None)) and
            cell.computes_rows_independently(training) for cell in self.cells)

    def get_config(self):
        cells = [{'class_name': cell.__class__.__name__, 'config': cell.get_config()}
                 for cell in self.cells]
        config = {'cells': cells}
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
