"""Saving models and weights in Keras 2's HDF5 layout, and loading them (Keras 2.2.4's
`keras.engine.saving`).

A model file holds, at its root, the attributes `keras_version`, `backend`, `model_config`
(the architecture as JSON) and, for a compiled model, `training_config` (JSON: optimizer,
loss, metrics, sample weight mode, loss weights); the group `model_weights` (attributes
`layer_names`, `backend`, `keras_version`; one group per layer with the attribute
`weight_names` and one dataset per weight, e.g. `dense_1/kernel:0`); and the group
`optimizer_weights` (attribute `weight_names`, then the optimizer's state in Keras 2.2.4's
order). `save_weights` writes the `model_weights` part alone, at the root. Lists of names too
large for one HDF5 attribute (64 KB) are split over `<name>0`, `<name>1`, ... as Keras 2 does.

The same serialisation fills a plain dictionary when a model is pickled (`pickling`).

Files are written atomically: to a temporary file in the same folder, renamed over the target
only once complete, so an interrupted save leaves the previous file intact (an open h5py group
or a binary file object given instead is written in place). Loading reads the
whole file first, then checks every count and shape, and only then assigns: a failed load
leaves the model unchanged.
"""
import contextlib
import io
import json
import os
import warnings

import numpy as np

from .. import backend as K
from .._version import __keras_version__
from .._common.io_utils import (H5Dict, ask_to_proceed_with_overwrite, h5py_module,
                               is_h5py_group)
from .._common.serialization import CustomObjectScope, json_default
from . import config_conversion
from .model_config import model_from_config
from .weight_conversion import preprocess_weights_for_loading
from . import weights_tree
from .atomic_files import atomic_file


# ---------------------------------------------------------------------- small helpers

def _text(value):
    """An attribute value (bytes, NumPy string or str) as str."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode('utf8')
    return str(value)


def _text_list(value):
    """A list-of-names attribute as a list of str (an absent or empty one as `[]`)."""
    if value is None:
        return []
    if isinstance(value, np.ndarray):
        value = value.ravel().tolist()
    if isinstance(value, (bytes, str, np.bytes_)):
        value = [value]
    return [_text(v) for v in value]


def _where(source):
    return ' (file: ' + str(source) + ')' if source else ''


def _require_h5py(what):
    if h5py_module() is None:
        raise ImportError('`' + what + '` requires h5py.')


def _is_group(obj):
    return is_h5py_group(obj)


def _is_binary_stream(obj, method):
    """Whether `obj` is a file object (such as `io.BytesIO` or a file opened in binary mode)
    that h5py can use: it has `method` (`'read'` or `'write'`) and `seek`, and is no path.

    # Raises
        TypeError: for a text stream (HDF5 files are bytes).
    """
    if isinstance(obj, (str, bytes, os.PathLike)) or not callable(getattr(obj, method, None)) \
            or not callable(getattr(obj, 'seek', None)):
        return False
    if isinstance(obj, io.TextIOBase):
        raise TypeError('An HDF5 file is binary: give a binary file object (`io.BytesIO`, a '
                        'file opened with `\'w+b\'` or `\'rb\'`), not the text stream ' +
                        repr(obj) + '.')
    return True


def _stream_name(stream):
    return getattr(stream, 'name', None) or 'the ' + type(stream).__name__ + ' stream'


@contextlib.contextmanager
def _stream_for_writing(stream):
    """Yields an `h5py.File` written into `stream` (from its start; what it held is
    replaced). The stream stays open; a write that fails leaves it incomplete."""
    try:
        # HDF5 reads what is already there before writing: start from an empty stream.
        stream.seek(0)
        stream.truncate()
        f = h5py_module().File(stream, 'w')
    except (OSError, ValueError) as error:
        raise OSError('Cannot save to ' + _stream_name(stream) + ': it must be a binary '
                      'file object open for reading and writing (' + str(error) + ').') \
            from error
    try:
        yield f
        f.flush()
    finally:
        f.close()


def _subgroup(h5dict, name, create=False):
    """The sub-group `name` of an `H5Dict` (created when asked), as an `H5Dict`.

    Goes to h5py directly for files, so that a layer named like an attribute (`backend`)
    still gets its own group.
    """
    if isinstance(h5dict.data, dict):
        if not create and name not in h5dict.data:
            raise KeyError('no group named "' + name + '"')
        return h5dict[name]
    if create:
        return H5Dict(h5dict.data.require_group(name))
    return H5Dict(h5dict.data[name], mode='r')


def _unique_weight_names(weights):
    names = []
    for i, w in enumerate(weights):
        name = str(w.name) if getattr(w, 'name', None) else 'param_' + str(i)
        if name in names:
            index = 1
            while name + '_' + str(index) in names:
                index += 1
            name = name + '_' + str(index)
        names.append(name)
    return names


def _write_weights(h5dict, names, values):
    h5dict['weight_names'] = [name.encode('utf8') for name in names]
    for name, value in zip(names, values):
        h5dict[name] = np.asarray(value)


def _training_json_default(obj):
    # Keras 2.2.4's encoding of compile arguments: configurable objects as
    # class_name/config, NumPy values as Python ones, functions and classes by name.
    if hasattr(obj, 'get_config') and not isinstance(obj, type):
        return {'class_name': obj.__class__.__name__, 'config': obj.get_config()}
    if type(obj).__module__ == np.__name__:
        return obj.tolist() if isinstance(obj, np.ndarray) else obj.item()
    if callable(obj) and hasattr(obj, '__name__'):
        return obj.__name__
    raise TypeError('Not JSON Serializable: %s' % (obj,))


# ---------------------------------------------------------------------- attributes

def training_json(value):
    """`value` with losses, metrics and other objects replaced by what a training
    configuration stores for them (names), through JSON."""
    return json.loads(json.dumps(value, default=_training_json_default))


def save_attributes_to_hdf5_group(group, name, data):
    """Saves a list of names as attribute `name` of an HDF5 group.

    HDF5 cannot keep an attribute larger than 64 KB in an object header; a longer list is
    split over the attributes `<name>0`, `<name>1`, ... (read back by
    `load_attributes_from_hdf5_group`).

    # Arguments
        group: an `h5py.Group` (or `File`).
        name: the attribute name.
        data: list of names (bytes or str).

    # Raises
        RuntimeError: if one name alone is larger than 64 KB.
    """
    H5Dict(group)[name] = list(data)


def load_attributes_from_hdf5_group(group, name):
    """Loads a list of names saved by `save_attributes_to_hdf5_group` (whole or in chunks).

    # Arguments
        group: an `h5py.Group` (or `File`).
        name: the attribute name.

    # Returns
        A list of str (empty when the attribute is absent).
    """
    h5dict = H5Dict(group, mode='r')
    return _text_list(h5dict[name]) if name in h5dict else []


# ---------------------------------------------------------------------- writing weights

def _write_layers(h5dict, layers):
    h5dict['layer_names'] = [layer.name.encode('utf8') for layer in layers]
    h5dict['backend'] = K.backend().encode('utf8')
    h5dict['keras_version'] = str(__keras_version__).encode('utf8')
    for layer in layers:
        group = _subgroup(h5dict, layer.name, create=True)
        symbolic_weights = layer.weights
        _write_weights(group, _unique_weight_names(symbolic_weights),
                       K.batch_get_value(symbolic_weights))


def save_weights_to_hdf5_group(group, layers):
    """Saves the weights of `layers` into an HDF5 group (Keras 2's `model_weights` layout).

    # Arguments
        group: an `h5py.Group` (or `File`).
        layers: list of layers.
    """
    _write_layers(H5Dict(group), layers)


# ---------------------------------------------------------------------- reading weights

class _FileWeights(object):
    """Everything a weight loader needs from a file, read at once: the saving Keras version
    and backend, and `(layer_name, weight_names, values)` per saved layer."""

    def __init__(self, h5dict):
        self.keras_version = _text(h5dict['keras_version']) if 'keras_version' in h5dict \
            else '1'
        self.backend = _text(h5dict['backend']) if 'backend' in h5dict else None
        self.has_layer_names = 'layer_names' in h5dict
        self.layers = []
        for name in _text_list(h5dict.get('layer_names')):
            group = _subgroup(h5dict, name)
            weight_names = _text_list(group.get('weight_names'))
            values = [np.asarray(group[weight_name]) for weight_name in weight_names]
            self.layers.append((name, weight_names, values))


def _read_file_weights(h5dict):
    return _FileWeights(h5dict)


def _check_shape(layer, symbolic, value, prefix, source):
    expected = tuple(K.int_shape(symbolic))
    if expected != tuple(value.shape):
        raise ValueError(prefix + ', weight ' + str(getattr(symbolic, 'name', symbolic)) +
                         ' has shape ' + str(expected) + ' in the model, but the saved weight '
                         'has shape ' + str(tuple(value.shape)) + '.' + _where(source))


def _topological_assignments(file_weights, layers, reshape=False, source=None):
    """`(variable, value)` pairs matching saved layers to `layers` by order, checked."""
    filtered_layers = [layer for layer in layers if layer.weights]
    saved = [entry for entry in file_weights.layers if entry[1]]
    if len(saved) != len(filtered_layers):
        raise ValueError('You are trying to load a weight file containing ' + str(len(saved)) +
                         ' layers into a model with ' + str(len(filtered_layers)) +
                         ' layers.' + _where(source))
    assignments = []
    for k, ((name, _, values), layer) in enumerate(zip(saved, filtered_layers)):
        symbolic_weights = layer.weights
        values = preprocess_weights_for_loading(layer, values, file_weights.keras_version,
                                                file_weights.backend, reshape=reshape)
        if len(values) != len(symbolic_weights):
            raise ValueError('Layer #' + str(k) + ' (named "' + layer.name + '" in the current '
                             'model) was found to correspond to layer ' + name + ' in the save '
                             'file. However the new layer ' + layer.name + ' expects ' +
                             str(len(symbolic_weights)) + ' weights, but the saved weights '
                             'have ' + str(len(values)) + ' elements.' + _where(source))
        prefix = 'Layer #' + str(k) + ' (named "' + layer.name + '" in the current model, "' + \
            name + '" in the save file)'
        for symbolic, value in zip(symbolic_weights, values):
            _check_shape(layer, symbolic, value, prefix, source)
            assignments.append((symbolic, value))
    return assignments


def _by_name_assignments(file_weights, layers, skip_mismatch=False, reshape=False,
                         source=None):
    """`(variable, value)` pairs matching saved layers to `layers` by name, checked."""
    index = {}
    for layer in layers:
        if layer.name:
            index.setdefault(layer.name, []).append(layer)
    assignments = []
    for k, (name, _, saved_values) in enumerate(file_weights.layers):
        for layer in index.get(name, []):
            symbolic_weights = layer.weights
            values = preprocess_weights_for_loading(layer, saved_values,
                                                    file_weights.keras_version,
                                                    file_weights.backend, reshape=reshape)
            if len(values) != len(symbolic_weights):
                if skip_mismatch:
                    warnings.warn('Skipping loading of weights for layer ' + layer.name +
                                  ' due to mismatch in number of weights (' +
                                  str(len(symbolic_weights)) + ' vs ' + str(len(values)) +
                                  ').', stacklevel=3)
                    continue
                raise ValueError('Layer #' + str(k) + ' (named "' + layer.name + '") expects ' +
                                 str(len(symbolic_weights)) + ' weight(s), but the saved '
                                 'weights have ' + str(len(values)) + ' element(s).' +
                                 _where(source))
            prefix = 'Layer #' + str(k) + ' (named "' + layer.name + '")'
            for symbolic, value in zip(symbolic_weights, values):
                expected = tuple(K.int_shape(symbolic))
                if skip_mismatch and expected != tuple(value.shape):
                    warnings.warn('Skipping loading of weights for layer ' + layer.name +
                                  ' due to mismatch in shape (' + str(expected) + ' vs ' +
                                  str(tuple(value.shape)) + ').', stacklevel=3)
                    continue
                _check_shape(layer, symbolic, value, prefix, source)
                assignments.append((symbolic, value))
    return assignments


def load_weights_from_hdf5_group(f, layers, reshape=False):
    """Loads weights saved by `save_weights_to_hdf5_group` into `layers`, by order.

    The layers that have weights are matched, in order, to the saved layers that have
    weights. Nothing is assigned unless every count and shape matches.

    # Arguments
        f: an `h5py.Group` (or `File`).
        layers: list of target layers.
        reshape: reshape convolution kernels with the right number of values but another
            shape.

    # Raises
        ValueError: naming the layer and both shapes or counts, on a mismatch.
    """
    file_weights = _read_file_weights(H5Dict(f, mode='r'))
    K.batch_set_value(_topological_assignments(file_weights, layers, reshape=reshape))


def load_weights_from_hdf5_group_by_name(f, layers, skip_mismatch=False, reshape=False):
    """Loads weights saved by `save_weights_to_hdf5_group` into the layers of the same name.

    Layers without a saved counterpart keep their weights.

    # Arguments
        f: an `h5py.Group` (or `File`).
        layers: list of target layers.
        skip_mismatch: warn and skip weights whose count or shape does not match, instead of
            raising.
        reshape: reshape convolution kernels with the right number of values but another
            shape.

    # Raises
        ValueError: on a mismatch, unless `skip_mismatch`; then nothing is assigned.
    """
    file_weights = _read_file_weights(H5Dict(f, mode='r'))
    K.batch_set_value(_by_name_assignments(file_weights, layers, skip_mismatch=skip_mismatch,
                                           reshape=reshape))


# ---------------------------------------------------------------------- model serialisation

def compile_arguments(model):
    """The arguments `model` was compiled with (also before a deferred compile ran)."""
    spec = getattr(model, '_compile_spec', None)
    if spec is not None:
        arguments = dict(spec.arguments, loss=spec.arguments['loss'] or {})
    else:
        arguments = getattr(model, '_deferred_compile', None) or {}
    return (arguments.get('loss'), arguments.get('metrics'), arguments.get('loss_weights'),
            arguments.get('sample_weight_mode'), arguments.get('weighted_metrics'))


def serialize_model(model, h5dict, include_optimizer=True):
    """Writes `model` into an `H5Dict` (HDF5 file or group, or a dict when pickling)."""
    from .. import optimizers
    model_config = json.dumps({'class_name': model.__class__.__name__,
                               'config': model.get_config()}, default=json_default)
    h5dict['keras_version'] = str(__keras_version__).encode('utf8')
    h5dict['backend'] = K.backend().encode('utf8')
    h5dict['model_config'] = model_config.encode('utf8')
    _write_layers(_subgroup(h5dict, 'model_weights', create=True), model.layers)

    optimizer = getattr(model, 'optimizer', None)
    if not include_optimizer or optimizer is None:
        return
    if isinstance(optimizer, optimizers.TFOptimizer):
        warnings.warn('Optimizers wrapping the engine\'s own optimizer (TFOptimizer, '
                      'TorchOptimizer, OptaxOptimizer) have no Keras config. As a result, we '
                      'cannot save the optimizer as part of the model save file. You will '
                      'have to compile your model again after loading it. Prefer using a '
                      'Keras optimizer instead (see keras.io/optimizers).', stacklevel=3)
        return
    loss, metrics, loss_weights, sample_weight_mode, weighted_metrics = \
        compile_arguments(model)
    training_config = {
        'optimizer_config': {'class_name': optimizer.__class__.__name__,
                             'config': optimizer.get_config()},
        'loss': loss,
        'metrics': metrics,
        'sample_weight_mode': sample_weight_mode,
        'loss_weights': loss_weights,
    }
    if weighted_metrics:
        # Not in Keras 2.2.4's files (later versions write it); kept so that it survives.
        training_config['weighted_metrics'] = weighted_metrics
    h5dict['training_config'] = json.dumps(training_config,
                                           default=_training_json_default).encode('utf8')
    symbolic_weights = list(optimizer.weights)
    if symbolic_weights:
        _write_weights(_subgroup(h5dict, 'optimizer_weights', create=True),
                       _unique_weight_names(symbolic_weights),
                       K.batch_get_value(symbolic_weights))


class SavedModel(object):
    """The contents of a model file, read at once (so that reading errors and model errors
    are told apart, and the file can be closed before the model is built)."""

    @classmethod
    def from_config(cls, model_config):
        """A `SavedModel` holding only an architecture (`model_config`, JSON text)."""
        saved = cls.__new__(cls)
        saved.model_config = model_config
        saved.weights = saved.training_config = saved.optimizer_weights = None
        return saved

    def __init__(self, h5dict, source=None):
        if 'model_config' not in h5dict:
            raise ValueError('No model found in config file.' + _where(source) + ' It has no '
                             '`model_config` attribute: if it was written by `save_weights`, '
                             'build the model and use `model.load_weights`.')
        self.model_config = _text(h5dict['model_config'])
        if 'model_weights' in h5dict:
            self.weights = _read_file_weights(_subgroup(h5dict, 'model_weights'))
        else:
            self.weights = None
        self.training_config = _text(h5dict['training_config']) \
            if 'training_config' in h5dict else None
        self.optimizer_weights = None
        if 'optimizer_weights' in h5dict:
            group = _subgroup(h5dict, 'optimizer_weights')
            names = _text_list(group.get('weight_names'))
            self.optimizer_weights = (names, [np.asarray(group[n]) for n in names])


def _replace_custom_objects(obj, custom_objects):
    if isinstance(obj, list):
        return [_replace_custom_objects(x, custom_objects) for x in obj]
    if isinstance(obj, dict):
        return {key: _replace_custom_objects(value, custom_objects)
                for key, value in obj.items()}
    if isinstance(obj, str) and obj in custom_objects:
        return custom_objects[obj]
    return obj


def _reraise_with_source(error, source):
    if source and isinstance(error, (ValueError, TypeError)) and \
            type(error) in (ValueError, TypeError):
        raise type(error)(str(error) + _where(source)) from error
    raise error


def build_model(saved, custom_objects=None, compile=True, safe_mode=True, source=None):
    """A model from a `SavedModel`: architecture, then weights, then compilation."""
    custom_objects = dict(custom_objects or {})
    model_config = config_conversion.convert_model_config(json.loads(saved.model_config))
    with CustomObjectScope(custom_objects):
        try:
            model = model_from_config(model_config, custom_objects=custom_objects,
                                             safe_mode=safe_mode)
        except (ValueError, TypeError) as error:
            _reraise_with_source(error, source)
        if saved.weights is not None:
            K.batch_set_value(_topological_assignments(saved.weights, model.layers,
                                                       source=source))
        if compile:
            compile_from_training_config(model, saved, custom_objects, source)
    return model


def warn_not_compiled():
    """The warning of a `load_model` that found no training configuration."""
    warnings.warn('No training configuration found in save file: the model was *not* '
                  'compiled. Compile it manually.', stacklevel=5)


def compile_from_training_config(model, saved, custom_objects, source):
    """Compiles `model` as the saved training configuration says and restores the saved
    optimizer state (a `SavedModel`'s `training_config` and `optimizer_weights`)."""
    from .. import optimizers
    if saved.training_config is None:
        warn_not_compiled()
        return
    training_config = json.loads(saved.training_config)
    optimizer_config = config_conversion.convert_optimizer_config(
        training_config['optimizer_config'])
    try:
        optimizer = optimizers.deserialize(optimizer_config, custom_objects=custom_objects)
    except ValueError as error:
        raise ValueError(str(error) + _where(source) + '. Pass the optimizer class in '
                         '`custom_objects`, or load with `compile=False` and compile the '
                         'model yourself.') from error
    output_names = list(getattr(model, 'output_names', []) or [])
    loss = config_conversion.convert_loss(training_config.get('loss'))
    metrics = config_conversion.convert_metrics(training_config.get('metrics'), output_names)
    weighted_metrics = config_conversion.convert_metrics(
        training_config.get('weighted_metrics'), output_names)
    model.compile(optimizer=optimizer,
                  loss=_replace_custom_objects(loss, custom_objects),
                  metrics=_replace_custom_objects(metrics, custom_objects),
                  loss_weights=training_config.get('loss_weights'),
                  sample_weight_mode=training_config.get('sample_weight_mode'),
                  weighted_metrics=_replace_custom_objects(weighted_metrics, custom_objects))
    if saved.optimizer_weights is None:
        return
    names, values = saved.optimizer_weights
    values = config_conversion.order_optimizer_weights(names, values)
    if hasattr(model, '_collected_trainable_weights'):
        model.optimizer.build(model._collected_trainable_weights)
    try:
        model.optimizer.set_weights(values)
    except ValueError:
        warnings.warn('Error in loading the saved optimizer state. As a result, your model is '
                      'starting with a freshly initialized optimizer.', stacklevel=4)


def trained_variables(model):
    collected = getattr(model, '_collected_trainable_weights', None)
    return collected if collected is not None else model.trainable_weights


def restore_optimizer_state(model, values, learning_rate=None):
    """Sets the state of `model`'s optimizer from a tf.keras / Keras 3 `.weights.h5` file
    (as those libraries do when loading weights into a compiled model); a state that does
    not fit this optimizer is left out with a warning, as `load_model` does."""
    optimizer = model.optimizer
    optimizer.build(trained_variables(model))
    try:
        optimizer.set_weights(values)
    except ValueError:
        warnings.warn('The optimizer state in the weights file does not fit the model\'s '
                      'optimizer (' + type(optimizer).__name__ + '): it keeps its own state.',
                      stacklevel=4)
        return
    if learning_rate is not None and hasattr(optimizer, 'lr'):
        K.set_value(optimizer.lr, learning_rate)


# ---------------------------------------------------------------------- files

@contextlib.contextmanager
def _atomic_h5_file(filepath):
    """Yields an `h5py.File` open for writing that replaces `filepath` once the block ends
    without error; on an error, `filepath` is left as it was."""
    with atomic_file(filepath) as temporary:
        # HDF5's lock would conflict with the one `atomic_file` holds on its temporary.
        f = h5py_module().File(temporary, 'w', locking=False)
        try:
            yield f
            f.flush()
        finally:
            f.close()


def proceed_with_overwrite(filepath, overwrite):
    """Whether to write `filepath`: always when `overwrite`, else after asking if it exists."""
    if not overwrite and os.path.isfile(filepath):
        return ask_to_proceed_with_overwrite(filepath)
    return True


@contextlib.contextmanager
def _open_for_reading(filepath):
    """Yields `(h5py group, source name)` for a path or an open h5py group, with clear errors
    for missing, empty, foreign and damaged files."""
    if _is_group(filepath):
        yield filepath, getattr(filepath.file, 'filename', None)
        return
    if _is_binary_stream(filepath, 'read'):
        source = _stream_name(filepath)
        try:
            f = h5py_module().File(filepath, 'r')
        except OSError as error:
            raise OSError('Unable to load ' + source + ': it does not hold an HDF5 file (' +
                          str(error) + ').') from error
        try:
            yield f, source
        finally:
            f.close()
        return
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError('No file or directory found at ' + path)
    if os.path.isdir(path):
        raise IsADirectoryError(path + ' is a directory, not an HDF5 file (cornu reads the '
                                'Keras 2 HDF5 format; TensorFlow SavedModel directories are '
                                'not supported).')
    if not h5py_module().is_hdf5(path):
        with open(path, 'rb') as handle:
            head = handle.read(4)
        if not head:
            reason = 'the file is empty'
        elif head[:2] == b'PK':
            reason = ('it is a zip archive (a Keras 3 `.keras` file?), not an HDF5 file: '
                      'cornu reads the Keras 2 HDF5 format')
        else:
            reason = 'it is not an HDF5 file (no HDF5 signature found)'
        raise OSError('Unable to load ' + path + ': ' + reason + '.')
    try:
        f = h5py_module().File(path, 'r')
    except OSError as error:
        raise OSError('Unable to load ' + path + ': the HDF5 file is truncated or damaged (' +
                      str(error) + ').') from error
    try:
        yield f, path
    finally:
        f.close()


def _read(reader, h5dict, source):
    """Runs `reader(h5dict)`, reporting HDF5 reading errors as errors of the file."""
    try:
        return reader(h5dict)
    except (OSError, KeyError, RuntimeError) as error:
        raise OSError('Unable to load ' + str(source or 'the HDF5 group') + ': the file is '
                      'truncated, damaged or not a complete Keras file (' + str(error) +
                      ').') from error


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Saves a model to an HDF5 file: architecture, weights and (for a compiled model) the
    training configuration and the optimizer's state.

    The file can be loaded by `load_model` here and by Keras 2 / tf.keras. The write to a
    path is atomic: a temporary file in the same folder is renamed over `filepath` when
    complete.

    # Arguments
        model: the model to save.
        filepath: path of the file, an open `h5py.File`/`h5py.Group` to write into, or a
            binary file object (`io.BytesIO`, a file opened with `'w+b'`) that receives the
            HDF5 file.
        overwrite: whether to overwrite an existing file without asking.
        include_optimizer: whether to save the optimizer's configuration and state.

    # Raises
        ImportError: if h5py is not available.
        NotImplementedError: for a subclassed model (it has no configuration to save).
    """
    _require_h5py('save_model')
    if _is_group(filepath):
        serialize_model(model, H5Dict(filepath), include_optimizer)
        filepath.file.flush()
        return
    if _is_binary_stream(filepath, 'write'):
        model.get_config()  # fails (subclassed model) before the stream is touched
        with _stream_for_writing(filepath) as f:
            serialize_model(model, H5Dict(f), include_optimizer)
        return
    filepath = os.fspath(filepath)
    model.get_config()  # fails (subclassed model) before any file is touched
    if not proceed_with_overwrite(filepath, overwrite):
        return
    with _atomic_h5_file(filepath) as f:
        serialize_model(model, H5Dict(f), include_optimizer)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model from an HDF5 file written by `save_model` or by Keras 2, tf.keras or
    Keras 3: `filepath` is a path, an open `h5py.File`/`h5py.Group`, or a binary file object
    (`io.BytesIO`) holding an HDF5 file. The other arguments, the result and the errors are
    `model_files.load_model`'s (the entry point, which also reads `.keras` archives)."""
    _require_h5py('load_model')
    with _open_for_reading(filepath) as (f, source):
        saved = _read(lambda h5dict: SavedModel(h5dict, source), H5Dict(f, mode='r'),
                      source)
    return build_model(saved, custom_objects=custom_objects, compile=compile,
                        safe_mode=safe_mode, source=source)


def save_weights(model, filepath, overwrite=True):
    """Saves the weights of all layers of `model` in an HDF5 file (atomically); see
    `Network.save_weights`."""
    _require_h5py('save_weights')
    if _is_group(filepath):
        save_weights_to_hdf5_group(filepath, model.layers)
        filepath.file.flush()
        return
    if _is_binary_stream(filepath, 'write'):
        with _stream_for_writing(filepath) as f:
            save_weights_to_hdf5_group(f, model.layers)
        return
    filepath = os.fspath(filepath)
    if not proceed_with_overwrite(filepath, overwrite):
        return
    with _atomic_h5_file(filepath) as f:
        if str(filepath).endswith(weights_tree.WEIGHTS_SUFFIX):
            # tf.keras (2.13 on) and Keras 3 write and expect their own layout here.
            weights_tree.write_tree(f, model)
        else:
            save_weights_to_hdf5_group(f, model.layers)


def load_weights(model, filepath, by_name=False, skip_mismatch=False, reshape=False):
    """Loads weights saved by `save_weights` or `save_model` into `model`; see
    `Network.load_weights`."""
    _require_h5py('load_weights')
    with _open_for_reading(filepath) as (f, source):
        h5dict = H5Dict(f, mode='r')
        if weights_tree.is_tree_layout(h5dict):
            if by_name:
                raise ValueError('`by_name=True` cannot be used with ' + str(source) + ': it '
                                 'has the tf.keras / Keras 3 `.weights.h5` layout, which does '
                                 'not store layer names (its groups are named after layer '
                                 'classes); load it by order (`by_name=False`).')
            assignments = _read(lambda d: weights_tree.tree_assignments(
                f, model, skip_mismatch=skip_mismatch, source=source), h5dict, source)
            optimizer_state = None
            if getattr(model, 'optimizer', None) is not None:
                optimizer_state = _read(lambda d: weights_tree.saved_optimizer_state(
                    f, len(trained_variables(model))), h5dict, source)
            K.batch_set_value(assignments)
            if optimizer_state is not None:
                restore_optimizer_state(model, *optimizer_state)
            return
        if 'layer_names' not in h5dict and 'model_weights' in h5dict:
            h5dict = _read(lambda d: _subgroup(d, 'model_weights'), h5dict, source)
        file_weights = _read(_read_file_weights, h5dict, source)
    if not file_weights.has_layer_names:
        raise ValueError('No Keras weights found in ' + str(source) + ': it has no '
                         '`layer_names` attribute (neither at its root nor in a '
                         '`model_weights` group).')
    if by_name:
        assignments = _by_name_assignments(file_weights, model.layers,
                                           skip_mismatch=skip_mismatch, reshape=reshape,
                                           source=source)
    else:
        assignments = _topological_assignments(file_weights, model.layers, reshape=reshape,
                                               source=source)
    K.batch_set_value(assignments)
