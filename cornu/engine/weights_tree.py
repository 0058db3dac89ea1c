"""The `.weights.h5` layout of tf.keras (2.13 and later) and Keras 3: weights stored as a tree
of groups that follows the model's objects rather than its layer names.

A layer's variables are the datasets `0`, `1`, ... of a `vars` group, in the order the layer
made them (trainable ones first). The groups are named after the attribute that holds the
object: the model's layers are in `layers/`, each under its class name in snake case, with
`_1`, `_2`, ... for the second, third, ... layer of the same class (`layers/dense`,
`layers/dense_1`, `layers/batch_normalization`); a recurrent layer's weights are its cell's
(`layers/lstm/cell/vars`), a `Bidirectional` holds `forward_layer` and `backward_layer`, a
`TimeDistributed` its `layer`, a nested model its own `layers/`. The file's root also has a
`vars` group (the model's own variables: none) and may hold `optimizer` and `metrics` groups.
Layer names are not stored, so weights are matched to layers by this structure.

`save_weights` writes this layout when the file name ends in `.weights.h5` (as tf.keras
chooses it): the layers' weights, not the optimizer's state (as Keras 2's `save_weights`).
`load_weights` recognises the layout by its content, and into a compiled model it also
restores the optimizer state the file holds (`saved_optimizer_state`), as tf.keras and Keras 3
do, so that training resumes where it stopped.
"""
import re
import warnings

import numpy as np

from .. import backend as K

__all__ = ['is_tree_layout', 'write_tree', 'tree_assignments', 'saved_optimizer_state',
           'WEIGHTS_SUFFIX']

WEIGHTS_SUFFIX = '.weights.h5'


def snake_case(class_name):
    """The group name of an object of class `class_name` (`BatchNormalization` ->
    `batch_normalization`, `Conv2D` -> `conv2d`), as tf.keras and Keras 3 derive it."""
    name = re.sub(r'(.)([A-Z][a-z]+)', r'\1_\2', class_name)
    name = re.sub(r'([a-z])([A-Z])', r'\1_\2', name).lower()
    return 'private' + name if name.startswith('_') else name


def _container(objects):
    """`(group name, object)` for each object of a list attribute (such as a model's
    `layers`): class names in snake case, numbered from the second of a class on."""
    used = {}
    named = []
    for obj in objects:
        class_name = type(obj).__name__
        # A functional model is a `Model` in Keras 2, a `Functional` in tf.keras and Keras 3.
        name = snake_case('Functional' if class_name == 'Model' else class_name)
        if name in used:
            used[name] += 1
            name = name + '_' + str(used[name])
        else:
            used[name] = 0
        named.append((name, obj))
    return named


def _children(layer):
    """`(group name, object)` for the objects `layer` holds whose weights are stored under
    it (not its own variables)."""
    # (Told apart by what they hold: a model has `layers`, a Bidirectional both directions,
    # stacked cells `cells`, a recurrent layer its `cell`, a wrapper its `layer`.)
    if isinstance(getattr(layer, 'layers', None), list):
        return [('layers/' + name, child) for name, child in _container(layer.layers)]
    if hasattr(layer, 'forward_layer') and hasattr(layer, 'backward_layer'):
        return [('forward_layer', layer.forward_layer), ('backward_layer', layer.backward_layer)]
    cells = getattr(layer, 'cells', None)
    if isinstance(cells, (list, tuple)):
        return [('cells/' + name, cell) for name, cell in _container(cells)]
    for attribute in ('cell', 'layer'):
        child = getattr(layer, attribute, None)
        if child is not None and hasattr(child, '_trainable_weights'):
            return [(attribute, child)]
    return []


def variable_groups(model):
    """`(group path, layer, variables)` for `model` and every object under it, in the
    order of the tree (a layer's own variables, then those of what it holds)."""
    groups = []

    def visit(path, layer):
        own = list(layer._trainable_weights) + list(layer._non_trainable_weights)
        groups.append(((path + '/' if path else '') + 'vars', layer, own))
        for name, child in _children(layer):
            visit((path + '/' if path else '') + name, child)

    visit('', model)
    return groups


def is_tree_layout(h5dict):
    """Whether an opened weights file (an `H5Dict`) has the tree layout: a `layers` group
    and no Keras 2 `layer_names` attribute."""
    return 'layer_names' not in h5dict and 'layers' in h5dict and \
        'model_weights' not in h5dict


def write_tree(group, model):
    """Writes the weights of `model` into the h5py group `group` in the tree layout (every
    object's `vars` group, empty ones included, as tf.keras and Keras 3 read it)."""
    for path, _, variables in variable_groups(model):
        target = group.require_group(path)
        for index, value in enumerate(K.batch_get_value(variables)):
            target.create_dataset(str(index), data=np.asarray(value))


def _saved_arrays(group):
    """The datasets `0`, `1`, ... of a `vars` group as NumPy arrays, in their order."""
    names = sorted((name for name in group.keys() if name.isdigit()), key=int)
    return [np.asarray(group[name]) for name in names]


def tree_assignments(f, model, skip_mismatch=False, source=None):
    """`(variable, value)` pairs for loading the tree-layout file `f` (an open h5py group)
    into `model`, every count and shape checked first.

    # Arguments
        f: the file's root group.
        model: the model to load into.
        skip_mismatch: warn about and skip a layer whose saved weights do not fit, instead
            of raising.
        source: the file's name, for messages.

    # Raises
        ValueError: naming the file, the layer and the group, for a layer whose weights are
            missing from the file or do not fit, or for saved weights no layer takes.
    """
    where = ' (file: ' + str(source) + ')' if source else ''
    assignments = []
    used = set()
    for path, layer, variables in variable_groups(model):
        saved = _saved_arrays(f[path]) if path in f else []
        if saved:
            used.add(path)
        if not variables and not saved:
            continue
        problem = None
        if len(saved) != len(variables):
            problem = ('expects ' + str(len(variables)) + ' weight(s), but the group `' + path +
                       '` of the file holds ' + str(len(saved)))
        else:
            for variable, value in zip(variables, saved):
                expected = tuple(K.int_shape(variable))
                if expected != tuple(value.shape):
                    problem = ('has weight ' + str(getattr(variable, 'name', variable)) +
                               ' of shape ' + str(expected) + ', but the file holds shape ' +
                               str(tuple(value.shape)) + ' at `' + path + '`')
                    break
        if problem is not None:
            message = 'Layer "' + layer.name + '" (' + type(layer).__name__ + ') ' + problem
            if skip_mismatch:
                warnings.warn('Skipping loading of weights for layer ' + layer.name + ': ' +
                              message + where + '.', stacklevel=3)
                continue
            raise ValueError(message + '. The weights file does not fit this model' + where +
                             '.')
        assignments.extend(zip(variables, saved))
    unused = []
    if 'layers' in f:
        f['layers'].visititems(
            lambda name, obj: unused.append('layers/' + name)
            if name.endswith('vars') and len(obj) and 'layers/' + name not in used else None)
    if unused and not skip_mismatch:
        raise ValueError('The weights file holds weights that no layer of the model takes: ' +
                         ', '.join('`' + path + '`' for path in unused) + where + '.')
    return assignments


def saved_optimizer_state(f, trainable_count):
    """The optimizer state of a tree-layout file in Keras 2.2.4's order, or `None` when the
    file holds none.

    tf.keras's and Keras 3's optimizers store, in `optimizer/vars`, the iteration count
    (Keras 3: then the learning rate, a float scalar), then each trained variable's slots in
    turn (Adam: `m` and `v` of the first variable, then of the second, ...), then any further
    slot of every variable (Adam's `vhat` with amsgrad). Keras 2.2.4 orders them
    `[iterations] + first slots + second slots (+ third slots)`.

    # Arguments
        f: the file's root group.
        trainable_count: how many variables the model trains (the file's slots are
            divided among them).

    # Returns
        `(values, learning_rate)`: the state as the optimizer's `set_weights` takes it, and
        the saved learning rate (`None` if the file has none); `None` without saved state
        or when its slots do not divide among `trainable_count` variables.
    """
    if 'optimizer/vars' not in f:
        return None
    values = _saved_arrays(f['optimizer/vars'])
    if not values or trainable_count == 0:
        return None
    iterations, rest = values[0], values[1:]
    learning_rate = None
    if rest and rest[0].shape == () and np.issubdtype(rest[0].dtype, np.floating):
        learning_rate, rest = float(rest[0]), rest[1:]
    if not rest or len(rest) % trainable_count:
        return None
    slots = len(rest) // trainable_count
    # Both libraries make the slots of one `build` call per variable in turn (Adam's `m` and
    # `v`, Adadelta's two accumulators), and the slots of a later call (Adam's `vhat` with
    # amsgrad) after all of those.
    paired = min(slots, 2)
    ordered = [rest[variable * paired + slot] for slot in range(paired)
               for variable in range(trainable_count)]
    ordered += rest[paired * trainable_count:]
    return [iterations] + ordered, learning_rate
