"""Checks of user data that the engines would not make, made on the host before a step runs.

Some mistakes in the data give no error from an engine, or one that names nothing the user
wrote: a sparse label outside the output's classes (JAX trains on a NaN loss, PyTorch raises
its own `IndexError`), an index outside an `Embedding`'s table (JAX clamps it to the last
row), an object array of `None`s (turned into NaNs and trained on). These functions refuse
them with a message naming the input or output, the value found and what is expected.

They run once per call of `fit`, `evaluate`, `predict` and the `*_on_batch` methods, over the
whole arrays (a dtype test, and one min/max per array whose values index something), so the
loops' per-batch path checks nothing; a generator's batches are checked one by one as they
come (each is such a call). Arrays that stay on the host and are read batch by batch
(`np.memmap`, `HDF5Matrix`) get the dtype test there, and their values are checked batch by
batch as they are read (`streamed_check`): reading them whole first would cost an epoch's
reads.
"""
import numpy as np

from .. import backend as K
from .. import losses as losses_module
from .. import metrics as metrics_module

# Losses and metrics whose targets are class indices.
_SPARSE_FUNCTIONS = tuple(fn for fn in (
    losses_module.sparse_categorical_crossentropy,
    metrics_module.sparse_categorical_accuracy,
    metrics_module.sparse_top_k_categorical_accuracy,
    getattr(metrics_module, 'sparse_categorical_crossentropy', None)) if fn is not None)


def check_numeric(arrays, names, prefix):
    """Refuses arrays that do not hold numbers (objects such as `None`, strings, dates).

    # Arguments
        arrays: NumPy arrays or array-likes (`None`s are skipped).
        names: the name of each array (an input or output name, or `sample_weight`).
        prefix: `'input'`, `'target'` or `'sample_weight'`, for the messages.

    # Raises
        TypeError: naming the array and the dtype found.
    """
    for array, name in zip(arrays, names):
        dtype = getattr(array, 'dtype', None)
        if not isinstance(dtype, np.dtype) or _is_numeric(dtype):
            continue
        hint = ''
        if dtype.kind == 'O':
            hint = (' (an object array, e.g. one holding None or arrays of different '
                    'lengths: replace missing values and convert it with '
                    'np.asarray(values, dtype="float32"))')
        given = ' (given as `' + _ARGUMENTS[prefix] + '`)' if prefix in _ARGUMENTS else ''
        raise TypeError('Error when checking ' + prefix + ': expected ' + name + given +
                        ' to hold numbers, but got an array of dtype ' + str(dtype) + hint +
                        '.')


# The argument of `fit`, `evaluate` or `predict` that each kind of array is given as.
_ARGUMENTS = {'input': 'x', 'target': 'y'}


def _is_numeric(dtype):
    if dtype.kind in 'biuf':
        return True
    # bfloat16 and float8 types from `ml_dtypes` are void-kind to NumPy.
    return dtype.kind == 'V' and dtype.names is None and dtype.name.startswith(('bfloat',
                                                                               'float'))


def _in_memory(array):
    return type(array) is np.ndarray


def _first_bad(array, bad, in_batch=False):
    """`(value, where)` of the first element of `array` for which `bad` holds, for the
    messages: where is its sample, or its row in a batch read from the host (`in_batch`)."""
    flat_index = int(np.argmax(bad))
    value = array.flat[flat_index]
    position = np.unravel_index(flat_index, array.shape)
    if not position:
        return _number_or_nan(value), ''
    where = (' (row ' + str(position[0]) + ' of a batch read from the host)' if in_batch
             else ' (sample ' + str(position[0]) + ')')
    return _number_or_nan(value), where


def _index_range_error(array, low, high, in_batch=False):
    """`None` if every value of `array` truncates to an integer in `[low, high)` (`high`
    `None`: no upper bound), else `(first offending value, where)` for the message."""
    if array.size == 0:
        return None
    smallest, largest = array.min(), array.max()
    values = array
    if array.dtype.kind == 'f':
        if np.isnan(smallest) or np.isnan(largest):
            return _first_bad(array, np.isnan(array), in_batch)
        # Keras 2 casts float indices to integers, truncating towards zero (-0.5 is 0).
        smallest, largest = np.trunc(smallest), np.trunc(largest)
        if smallest < low or (high is not None and largest >= high):
            values = np.trunc(array)  # only to find the first bad value
    if smallest < low or (high is not None and largest >= high):
        bad = values < low
        if high is not None:
            bad |= values >= high
        return _first_bad(array, bad, in_batch)
    return None


def _number(value):
    value = float(value)
    return str(int(value)) if value.is_integer() else str(value)


def sparse_outputs(model):
    """`(position among fed outputs, output spec, number of classes or None)` for each output
    of a compiled `model` whose loss or metrics take class indices as targets. Worked out
    once per compile (and image data format)."""
    spec, data_format = model._compile_spec, K.image_data_format()
    cached = model.__dict__.get('_sparse_outputs')
    if cached is not None and cached[0] is spec and cached[1] == data_format:
        return cached[2]
    found = []
    fed_outputs = spec.fed_outputs
    for position, output in enumerate(fed_outputs):
        if _sparse_function(output) is None:
            continue
        shape = output.output_shape or (None,)
        # As for the targets' shape (`sparse_target_shape`): channels-first image outputs
        # hold their classes on axis 1.
        axis = 1 if data_format == 'channels_first' and len(shape) in (4, 5) else -1
        found.append((position, output, shape[axis]))
    model.__dict__['_sparse_outputs'] = (spec, data_format, found)
    return found


def _sparse_function(output):
    """The loss or metric function of `output` that takes class indices, or `None`."""
    functions = [output.loss] + [metric.metric for metric in output.metrics]
    for fn in functions:
        if fn is not None and any(fn is sparse for sparse in _SPARSE_FUNCTIONS):
            return fn
    return None


def check_sparse_labels(model, targets, in_batch=False):
    """Refuses class-index targets outside an output's classes, not whole numbers, or NaN.

    # Arguments
        model: the compiled model.
        targets: one standardized array per output that takes targets (see
            `CompileSpec.fed_outputs`).

    # Raises
        ValueError: naming the output, its classes and the offending label.
    """
    if not targets:
        return
    for position, output, classes in sparse_outputs(model):
        labels = targets[position]
        if labels is None or not _in_memory(labels):
            continue
        expected = ('integers from 0 to ' + str(classes - 1)) if classes else \
            'integers >= 0'
        if labels.dtype.kind == 'f' and labels.size and \
                not np.array_equal(labels, np.floor(labels)):
            bad = labels != np.floor(labels)
            value, where = _first_bad(labels, bad, in_batch)
            raise ValueError('Error when checking target: output ' + output.name +
                             ' takes class indices as targets (' + _function_name(output) +
                             '): ' + expected + ', but its target holds ' + value + where +
                             '.')
        problem = _index_range_error(labels, 0, classes, in_batch)
        if problem is not None:
            value, where = problem
            raise ValueError('Error when checking target: output ' + output.name + ' has ' +
                             (str(classes) + ' classes' if classes else 'classes') +
                             ', so its labels (' + _function_name(output) + ') must be ' +
                             expected + ', but its target holds ' + value + where + '.')


def _number_or_nan(value):
    return 'nan' if np.isnan(value) else _number(value)


def _function_name(output):
    return getattr(_sparse_function(output), '__name__', 'sparse targets')


def index_feeds(model):
    """`(feed position, layer, limit)` for each layer of `model` (or of a model nested in
    it) that takes a model input directly as indices into a table of `limit` rows (a layer
    with an `_input_index_limit`, such as `Embedding`). Worked out once per graph."""
    plan = getattr(model, '_plan', None)
    cached = model.__dict__.get('_index_feeds')
    if cached is not None and cached[0] is plan:
        return cached[1]
    feeds = []
    for position, tensor in enumerate(getattr(model, '_feed_inputs', None) or []):
        for layer, limit in _consumers_taking_indices(model, tensor):
            feeds.append((position, layer, limit))
    model.__dict__['_index_feeds'] = (plan, feeds)
    return feeds


def _consumers_taking_indices(network, tensor):
    """The layers of `network` (models nested in it included) called on `tensor` itself that
    take indices, with their limits."""
    keys = getattr(network, '_network_nodes', None)
    if keys is None:
        return []
    found = []
    for layer in network.layers:
        for node_index, node in enumerate(layer._inbound_nodes):
            if layer.name + '_ib-' + str(node_index) not in keys:
                continue
            for input_position, given in enumerate(node.input_tensors):
                if given is not tensor:
                    continue
                limit = getattr(layer, '_input_index_limit', None)
                if limit is not None:
                    found.append((layer, limit))
                inner = getattr(layer, 'inputs', None)
                if getattr(layer, '_is_graph_network', False) and inner and \
                        input_position < len(inner):
                    found.extend(_consumers_taking_indices(layer, inner[input_position]))
    return found


def check_indices(model, inputs, in_batch=False):
    """Refuses input arrays that feed an index-taking layer (`Embedding`) values outside its
    table.

    # Arguments
        model: the model, whose `_feed_inputs` the arrays are fed to.
        inputs: one checked array per feed input.

    # Raises
        ValueError: naming the layer, its `input_dim`, the input and the offending value.
    """
    for position, layer, limit in index_feeds(model):
        array = inputs[position] if position < len(inputs) else None
        if array is None or not _in_memory(array):
            continue
        problem = _index_range_error(array, 0, limit, in_batch)
        if problem is not None:
            value, where = problem
            raise ValueError('Error when checking input: ' + model._feed_input_names[position] +
                             ' feeds layer ' + layer.name + ' (' + type(layer).__name__ +
                             ' with input_dim=' + str(limit) + '), whose indices must be '
                             'integers from 0 to ' + str(limit - 1) + ', but it holds ' +
                             value + where + '.')


def check_class_weight(class_weights, fed_outputs):
    """Refuses `class_weight` keys that name no class of their output.

    # Arguments
        class_weights: one `class_weight` entry (a dict or `None`) per fed output.
        fed_outputs: the `OutputSpec`s of the outputs that take targets, in order.

    # Raises
        TypeError: for a key that is not an integer.
        ValueError: for a class index below 0 or beyond the output's classes.
    """
    for weights, output in zip(class_weights, fed_outputs):
        if not isinstance(weights, dict):
            continue
        units = output.output_shape[-1] if output.output_shape else None
        # One sigmoid unit stands for two classes, 0 and 1.
        classes = None if units is None else (2 if units == 1 else units)
        for key in weights:
            if isinstance(key, (bool, np.bool_)) or not isinstance(key, (int, np.integer,
                                                                          float, np.floating)):
                raise TypeError('`class_weight` keys must be class indices (integers), but '
                                'got ' + repr(key) + ' for output ' + output.name + '.')
            if isinstance(key, (float, np.floating)) and not float(key).is_integer():
                raise TypeError('`class_weight` keys must be class indices (integers), but '
                                'got ' + repr(key) + ' for output ' + output.name + '.')
            if key < 0 or (classes is not None and key >= classes):
                valid = 'from 0' if classes is None else 'from 0 to ' + str(classes - 1)
                raise ValueError('`class_weight` names class ' + _number(key) + ', but the '
                                 'classes of output ' + output.name + ' are ' + valid + '.')


def check_not_empty(arrays, names, prefix):
    """Refuses arrays of 0 samples (there is nothing to train or evaluate on).

    # Raises
        ValueError: naming the array and its shape.
    """
    for array, name in zip(arrays, names):
        shape = getattr(array, 'shape', None)
        if shape is not None and len(shape) and shape[0] == 0:
            raise ValueError('Error when checking ' + prefix + ': ' + name + ' holds 0 '
                             'samples (shape ' + str(tuple(shape)) + '); there is nothing to '
                             'train or evaluate on.')


def streamed_check(model, with_targets=True):
    """The check of each batch of arrays that stay on the host (see `StreamedBatches`):
    a function of the batch's arrays, `[inputs..., targets of every output..., weights...]`
    (inputs alone when not `with_targets`), that raises as `check_indices` and
    `check_sparse_labels` do; `None` when the model has nothing to check."""
    feeds = index_feeds(model)
    sparse = sparse_outputs(model) if with_targets else []
    if not feeds and not sparse:
        return None
    count = len(model._feed_inputs)
    fed = [output.index for output in model._compile_spec.fed_outputs] if sparse else []

    def check(arrays):
        check_indices(model, arrays[:count], in_batch=True)
        if fed:
            targets = arrays[count:]
            check_sparse_labels(model, [targets[index] for index in fed], in_batch=True)
    return check
