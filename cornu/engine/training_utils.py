"""Checking and arranging user data for a model: engine-neutral helpers of `training.py`.

The module keeps Keras 2.2.4's `keras.engine.training_utils` names and signatures, which
scripts and tests written for Keras 2 import directly.
"""
import warnings

import numpy as np

from .. import backend as K
from ..backend import kernels
from .compile_utils import check_loss_and_target_compatibility  # noqa: F401
from .compile_utils import nested_metrics as collect_metrics  # noqa: F401
from .compile_utils import weighted_masked_objective  # noqa: F401


def _describe(data):
    return str(data)[:200] + '...'


def standardize_input_data(data, names, shapes=None, check_batch_axis=True,
                           exception_prefix=''):
    """Arranges user data as one NumPy array per model input (or output), checking shapes.

    # Arguments
        data: an array, a list of arrays or a dict keyed by name.
        names: the model's input (or output) names.
        shapes: expected shapes (with the batch axis), or `None` to skip shape checks.
        check_batch_axis: whether the batch axis is checked too.
        exception_prefix: `'input'` or `'target'`, for the messages.

    # Returns
        A list of arrays, one per name.

    # Raises
        ValueError: with Keras 2's messages, e.g. `Error when checking input: expected
            dense_1_input to have shape (100,) but got array with shape (99,)`.
    """
    if not names:
        if data is not None and hasattr(data, '__len__') and len(data):
            raise ValueError('Error when checking model ' + exception_prefix + ': expected no '
                             'data, but got: ' + _describe(data))
        return []
    if data is None:
        return [None for _ in range(len(names))]

    if isinstance(data, dict):
        try:
            data = [data[x].values if data[x].__class__.__name__ == 'DataFrame' else data[x]
                    for x in names]
        except KeyError as e:
            raise ValueError('No data provided for "' + e.args[0] + '". Need data for each key '
                             'in: ' + str(names)) from e
    elif isinstance(data, list):
        if isinstance(data[0], list):
            data = [np.asarray(d) for d in data]
        elif len(names) == 1 and isinstance(data[0], (float, int)):
            data = [np.asarray(data)]
        else:
            data = [x.values if x.__class__.__name__ == 'DataFrame' else x for x in data]
    else:
        data = data.values if data.__class__.__name__ == 'DataFrame' else data
        data = [data]
    data = [standardize_single_array(x) for x in data]

    if len(data) != len(names):
        if data and hasattr(data[0], 'shape'):
            raise ValueError('Error when checking model ' + exception_prefix + ': the list of '
                             'Numpy arrays that you are passing to your model is not the size '
                             'the model expected. Expected to see ' + str(len(names)) +
                             ' array(s), but instead got the following list of ' +
                             str(len(data)) + ' arrays: ' + _describe(data))
        elif len(names) > 1:
            raise ValueError('Error when checking model ' + exception_prefix + ': you are '
                             'passing a list as input to your model, but the model expects a '
                             'list of ' + str(len(names)) + ' Numpy arrays instead. The list '
                             'you passed was: ' + _describe(data))
        elif len(data) == 1 and not hasattr(data[0], 'shape'):
            raise TypeError('Error when checking model ' + exception_prefix + ': data should '
                            'be a Numpy array, or list/dict of Numpy arrays. Found: ' +
                            _describe(data))
        else:
            data = [np.asarray(data)]

    if shapes:
        for i in range(len(names)):
            if shapes[i] is None or data[i] is None:
                continue
            data_shape = tuple(data[i].shape)
            shape = tuple(shapes[i])
            if len(data_shape) != len(shape):
                raise ValueError('Error when checking ' + exception_prefix + ': expected ' +
                                 names[i] + ' to have ' + str(len(shape)) + ' dimensions, but '
                                 'got array with shape ' + str(data_shape))
            if not check_batch_axis:
                data_shape = data_shape[1:]
                shape = shape[1:]
            for dim, ref_dim in zip(data_shape, shape):
                if ref_dim != dim and ref_dim is not None:
                    raise ValueError('Error when checking ' + exception_prefix + ': expected ' +
                                     names[i] + ' to have shape ' + str(shape) + ' but got '
                                     'array with shape ' + str(data_shape))
    return data


def standardize_single_array(x):
    """A NumPy view of `x`; 1-D arrays become columns, as Keras 2 did."""
    if x is None:
        return None
    if K.is_tensor(x) and not isinstance(x, np.ndarray):
        x = kernels.to_numpy(x)
    elif not hasattr(x, 'shape'):
        x = np.asarray(x)
    if x.ndim == 1:
        x = np.expand_dims(x, 1)
    return x


def check_array_length_consistency(inputs, targets, weights=None):
    """Checks that inputs, targets and sample weights all have the same number of samples.

    As in Keras 2.2.4, a missing list (`None`) or a missing array counts as 0 samples, so
    inputs given without targets are inconsistent; a single array counts as a list of one.

    # Arguments
        inputs: list of input arrays (or one array, or `None`).
        targets: list of target arrays (or one array, or `None`).
        weights: list of sample weight arrays (or one array, or `None`).

    # Raises
        ValueError: naming the sample counts found, when they differ.
    """
    def as_list(x):
        return [x] if hasattr(x, 'shape') else x

    def set_of_lengths(x):
        if x is None:
            return {0}
        return set(0 if y is None else int(y.shape[0]) for y in x)

    inputs, targets, weights = as_list(inputs), as_list(targets), as_list(weights)
    set_x = set_of_lengths(inputs)
    set_y = set_of_lengths(targets)
    set_w = set_of_lengths(weights)
    if len(set_x) > 1:
        raise ValueError('All input arrays (x) should have the same number of samples. Got '
                         'array shapes: ' + str([_shape(x) for x in inputs]))
    if len(set_y) > 1:
        raise ValueError('All target arrays (y) should have the same number of samples. Got '
                         'array shapes: ' + str([_shape(y) for y in targets]))
    if set_x and set_y and list(set_x)[0] != list(set_y)[0]:
        raise ValueError('Input arrays should have the same number of samples as target '
                         'arrays. Found ' + str(list(set_x)[0]) + ' input samples and ' +
                         str(list(set_y)[0]) + ' target samples.')
    if len(set_w) > 1:
        raise ValueError('All sample_weight arrays should have the same number of samples. '
                         'Got array shapes: ' + str([_shape(w) for w in weights]))
    if set_y and set_w and list(set_y)[0] != list(set_w)[0]:
        raise ValueError('Sample_weight arrays should have the same number of samples as '
                         'target arrays. Got ' + str(list(set_y)[0]) + ' input samples and ' +
                         str(list(set_w)[0]) + ' target samples.')


def _shape(x):
    return None if x is None else x.shape


def standardize_sample_or_class_weights(x_weight, output_names, weight_type):
    """Spreads a `sample_weight` or `class_weight` argument over the model's outputs.

    # Arguments
        x_weight: what the user passed: `None`, one value (single-output model), a list
            with one entry per output, or a dict keyed by output name. A `class_weight`
            dict keyed by class (no output name among its keys) applies to every output.
        output_names: the names of the outputs that take targets.
        weight_type: `'sample_weight'` or `'class_weight'`, for the messages.

    # Returns
        A list with one entry (possibly `None`) per output name.

    # Raises
        ValueError: when a list does not have one entry per output.
        TypeError: when a model with several outputs gets neither a list nor a dict.
    """
    if x_weight is None or (isinstance(x_weight, (list, dict)) and not x_weight):
        return [None] * len(output_names)
    if isinstance(x_weight, dict) and weight_type == 'class_weight' and \
            not any(name in x_weight for name in output_names):
        return [x_weight] * len(output_names)
    if len(output_names) == 1:
        if isinstance(x_weight, list) and len(x_weight) == 1:
            return x_weight
        if isinstance(x_weight, dict) and output_names[0] in x_weight:
            return [x_weight[output_names[0]]]
        return [x_weight]
    if isinstance(x_weight, list):
        if len(x_weight) != len(output_names):
            raise ValueError('Provided `' + weight_type + '` was a list of ' +
                             str(len(x_weight)) + ' elements, but the model has ' +
                             str(len(output_names)) + ' outputs. You should provide one `' +
                             weight_type + '` array per model output.')
        return x_weight
    if isinstance(x_weight, dict):
        return [x_weight.get(name) for name in output_names]
    raise TypeError('The model has multiple outputs, so `' + weight_type + '` should be either '
                    'a list or a dict. Provided `' + weight_type + '` type not understood: ' +
                    str(type(x_weight).__name__) + ' ' + str(x_weight)[:200])


def standardize_class_weights(class_weight, output_names):
    """`standardize_sample_or_class_weights` for a `class_weight` argument."""
    return standardize_sample_or_class_weights(class_weight, output_names, 'class_weight')


def standardize_sample_weights(sample_weight, output_names):
    """`standardize_sample_or_class_weights` for a `sample_weight` argument."""
    return standardize_sample_or_class_weights(sample_weight, output_names, 'sample_weight')


def check_num_samples(ins, batch_size=None, steps=None, steps_name='steps'):
    """The number of samples in `ins`: the length of the first array's batch axis; `None`
    for symbolic tensors, whose runs are counted in `steps`.

    # Arguments
        ins: the list of input (and target) arrays of a run.
        batch_size: the batch size, or `None`.
        steps: the number of batches of the run, or `None` to go through the arrays.
        steps_name: the argument's name in the public method, for the messages.

    # Returns
        The length of the first array's batch axis, or `None` (symbolic tensors).

    # Raises
        ValueError: when both `steps` and `batch_size` are given, or when the data are
            symbolic tensors and `steps` is missing.
    """
    if steps is not None and batch_size is not None:
        raise ValueError('If ' + steps_name + ' is set, the `batch_size` must be None.')
    if not ins or any(K.is_tensor(x) and not isinstance(x, np.ndarray) for x in ins):
        if steps is None:
            raise ValueError('If your data is in the form of symbolic tensors, you should '
                             'specify the `' + steps_name + '` argument (instead of the '
                             '`batch_size` argument, because symbolic tensors are expected to '
                             'produce batches of input data).')
        return None
    if hasattr(ins[0], 'shape'):
        return int(ins[0].shape[0])
    return None


def iter_sequence_infinite(seq):
    """Yields the batches of a `Sequence` over and over, epoch after epoch."""
    while True:
        for item in seq:
            yield item


def make_batches(size, batch_size):
    """`(start, stop)` index pairs that cover `size` samples in batches of `batch_size` (the
    last batch holds the rest).

    # Arguments
        size: the number of samples.
        batch_size: the number of samples per batch.

    # Returns
        A list of `(start, stop)` tuples.
    """
    return [(start, min(start + batch_size, size)) for start in range(0, size, batch_size)]


def standardize_weights(y, sample_weight=None, class_weight=None, sample_weight_mode=None):
    """The per-sample (or per-timestep) weights of one output, or `None` when all are 1.

    Checks shapes with Keras 2.2.4's messages; turns `class_weight` into sample weights.
    """
    if sample_weight is not None and not hasattr(sample_weight, 'shape'):
        sample_weight = np.asarray(sample_weight)
    if sample_weight is not None and class_weight is not None:
        warnings.warn('Found both `sample_weight` and `class_weight`: `class_weight` argument '
                      'will be ignored.', stacklevel=4)
    if sample_weight_mode is not None:
        if sample_weight_mode != 'temporal':
            raise ValueError('"sample_weight_mode should be None or "temporal". Found: ' +
                             str(sample_weight_mode))
        if len(y.shape) < 3:
            raise ValueError('Found a sample_weight array for an input with shape ' +
                             str(y.shape) + '. Timestep-wise sample weighting (use of '
                             'sample_weight_mode="temporal") is restricted to outputs that are '
                             'at least 3D, i.e. that have a time dimension.')
        if sample_weight is not None and len(sample_weight.shape) != 2:
            raise ValueError('Found a sample_weight array with shape ' +
                             str(sample_weight.shape) + '. In order to use timestep-wise '
                             'sample weighting, you should pass a 2D sample_weight array.')
    elif sample_weight is not None and len(sample_weight.shape) != 1:
        raise ValueError('Found a sample_weight array with shape ' + str(sample_weight.shape) +
                         '. In order to use timestep-wise sample weights, you should specify '
                         'sample_weight_mode="temporal" in compile(). If you just mean to use '
                         'sample-wise weights, make sure your sample_weight array is 1D.')
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight)
        if len(sample_weight.shape) > len(y.shape):
            raise ValueError('Found a sample_weight with shape' + str(sample_weight.shape) +
                             '. Expected sample_weight with rank less than or equal to ' +
                             str(len(y.shape)))
        if y.shape[:sample_weight.ndim] != sample_weight.shape:
            raise ValueError('Found a sample_weight array with shape ' +
                             str(sample_weight.shape) + ' for an input with shape ' +
                             str(y.shape) + '. sample_weight cannot be broadcast.')
        return sample_weight
    if isinstance(class_weight, dict):
        if len(y.shape) > 2:
            raise ValueError('`class_weight` not supported for 3+ dimensional targets.')
        if y.shape[1] > 1:
            y_classes = np.argmax(y, axis=1)
        elif y.shape[1] == 1:
            y_classes = np.reshape(y, y.shape[0])
        else:
            y_classes = y
        y_classes = [int(c) if float(c).is_integer() else c for c in y_classes]
        missing = set(y_classes) - set(class_weight.keys())
        if missing:
            raise ValueError('`class_weight` must contain all classes in the data. The classes '
                             '%s exist in the data but not in `class_weight`.' % missing)
        return np.asarray([class_weight[c] for c in y_classes], dtype=K.floatx())
    return None


def split_validation(arrays, validation_split):
    """`(train_arrays, val_arrays)`: the last `validation_split` fraction, unshuffled."""
    num_samples = next(a.shape[0] for a in arrays if a is not None)
    split_at = int(int(num_samples) * (1. - validation_split))
    train = [None if a is None else a[:split_at] for a in arrays]
    val = [None if a is None else a[split_at:] for a in arrays]
    return train, val, split_at


def batch_shuffle(index_array, batch_size):
    """Shuffles whole batches of indices (for HDF5 data, which wants ordered reads)."""
    batch_count = int(len(index_array) / batch_size)
    last_batch = index_array[batch_count * batch_size:]
    index_array = index_array[:batch_count * batch_size]
    index_array = index_array.reshape((batch_count, batch_size))
    np.random.shuffle(index_array)
    index_array = index_array.flatten()
    return np.append(index_array, last_batch)
