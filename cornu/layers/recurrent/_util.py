"""What the recurrent layers share: engine fast paths with plain `K` fallbacks, dropout
masks, the splitting of `[inputs] + states + constants`, and Keras 2's weight names for
cells and wrapped layers."""
import numpy as np

from ... import backend as K
from ...backend import kernels


# Engine fast paths (`cornu.backend.kernels`); an engine without them still runs every
# recurrent layer through the plain `K` functions below (CuDNN layers excepted).

def engine_has(name):
    """Whether the engine offers the fused function `name` (e.g. `'lstm_sequence'`)."""
    return hasattr(kernels, name)


def zero_states(inputs, shapes):
    """Zero tensors `(samples,) + shape` for each shape, like `inputs` (dtype, device)."""
    if engine_has('rnn_zero_states'):
        return kernels.rnn_zero_states(inputs, shapes)
    per_sample = K.sum(K.zeros_like(inputs), axis=tuple(range(1, K.ndim(inputs))))
    states = []
    for shape in shapes:
        state = K.reshape(per_sample, (-1,) + (1,) * len(shape))
        states.append(K.tile(state, (1,) + tuple(shape)))
    return states


def step_matmul(projected, states, recurrent_kernel):
    """`projected + states @ recurrent_kernel` (one kernel call where the engine has one)."""
    if engine_has('rnn_step_matmul'):
        return kernels.rnn_step_matmul(projected, states, recurrent_kernel)
    return projected + K.dot(states, recurrent_kernel)


def all_valid(mask):
    """Whether no timestep of `mask` is masked."""
    if engine_has('rnn_mask_all_valid'):
        return kernels.rnn_mask_all_valid(mask)
    return bool(K.eval(K.all(mask)))


def forget_bias_initializer(bias_initializer, before, after, size):
    """An initializer for `unit_forget_bias`: `bias_initializer` values with a block of
    `size` ones after the first `before` entries (`after` more entries follow)."""
    from ... import initializers

    def initializer(_, *args, **kwargs):
        return K.concatenate([bias_initializer((before,), *args, **kwargs),
                              initializers.Ones()((size,), *args, **kwargs),
                              bias_initializer((after,), *args, **kwargs)])
    return initializer


def _state_sizes(cell):
    size = cell.state_size
    if hasattr(size, '__len__'):
        return list(size)
    return [size]


def _output_size(cell):
    """The size of a cell's output: its `output_size` where it has one, else its first
    state's size (Keras 2.2.4's rule)."""
    size = getattr(cell, 'output_size', None)
    if size is not None:
        return size
    return _state_sizes(cell)[0]


def _phase(training):
    """1 or 0 when this call's learning phase is known, else `None` (a phase tensor)."""
    if training is None:
        training = K.learning_phase()
    if isinstance(training, (bool, int, np.bool_, np.integer)):
        return int(bool(training))
    if kernels.is_symbolic(training):
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
