"""Keras 3's `.keras` model files, read and written: a zip archive of `config.json` (the model's configuration in
Keras 3's schema, with the training configuration under `compile_config`), `metadata.json`
(`keras_version`, `date_saved`) and `model.weights.h5` (the weights and the optimizer's state
in the tree layout of `weights_tree`).

Writing (`save_keras_archive`) produces what Keras 3's `keras.saving.load_model` opens: the
configuration in Keras 3's schema (`keras3_config`), the weights (not the optimizer's state,
whose variables Keras 3's optimizers lay out their own way: Keras 3 starts a fresh one).

Reading converts the configuration to Keras 2.2.4's form (`config_conversion`), builds the
model, loads its weights and, when asked, compiles it as it was compiled and restores the
optimizer's state. Nothing is extracted under a name from the archive: the weights are copied
into a temporary file of a fixed name. Members whose names are absolute or contain `..` are
refused before anything is read, and the model's saved code (Lambda layers) is refused as
for HDF5 files unless the user opted in.
"""
import contextlib
import datetime
import json
import os
import shutil
import tempfile
import zipfile

from .. import backend as K
from .._version import __version__
from . import hdf5_format, weights_tree
from .atomic_files import atomic_file
from .keras3_config import keras3_model_config

__all__ = ['is_keras_archive', 'load_keras_archive', 'load_keras_archive_weights',
           'save_keras_archive', 'ARCHIVE_SUFFIX']

ARCHIVE_SUFFIX = '.keras'
_CONFIG = 'config.json'
_METADATA = 'metadata.json'
_WEIGHTS = 'model.weights.h5'
# Larger JSON members are not configurations (a guard against a crafted archive inflating
# to gigabytes in memory).
_MAX_JSON_BYTES = 256 * 2 ** 20


def is_keras_archive(filepath):
    """Whether `filepath` is a path to a zip archive (a Keras 3 `.keras` file, whatever its
    name)."""
    try:
        return os.path.isfile(filepath) and zipfile.is_zipfile(filepath)
    except (TypeError, ValueError):
        return False


def _check_member_names(archive, source):
    for name in archive.namelist():
        parts = name.replace('\\', '/').split('/')
        if name.startswith(('/', '\\')) or '..' in parts or (len(name) > 1 and name[1] == ':'):
            raise ValueError('Refusing to read ' + source + ': its member "' + name + '" has '
                             'an absolute path or goes up with "..", which a Keras archive '
                             'never does (the file may have been tampered with).')


def _read_json(archive, name, source):
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ValueError('No Keras model found in ' + source + ': the zip archive has no ' +
                         name + ' (a Keras 3 `.keras` file holds config.json, metadata.json '
                         'and model.weights.h5).') from None
    if info.file_size > _MAX_JSON_BYTES:
        raise ValueError('Refusing to read ' + source + ': its ' + name + ' would take ' +
                         str(info.file_size) + ' bytes.')
    try:
        return json.loads(archive.read(name).decode('utf-8'))
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError('Unable to load ' + source + ': its ' + name + ' is not valid JSON (' +
                         str(error) + ').') from error


@contextlib.contextmanager
def _weights_file(archive, source):
    """Yields the path of a temporary copy of the archive's weights file (or `None` when it
    has none)."""
    if _WEIGHTS not in archive.namelist():
        yield None
        return
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, 'weights.h5')
        with archive.open(_WEIGHTS) as member, open(path, 'wb') as copy:
            shutil.copyfileobj(member, copy)
        yield path


def _training_config(compile_config):
    """Keras 3's `compile_config` in the form of a Keras 2 file's `training_config`."""
    optimizer = compile_config.get('optimizer')
    if isinstance(optimizer, str):
        optimizer = {'class_name': optimizer, 'config': {}}
    return {'optimizer_config': optimizer, 'loss': compile_config.get('loss'),
            'metrics': compile_config.get('metrics'),
            'weighted_metrics': compile_config.get('weighted_metrics'),
            'loss_weights': compile_config.get('loss_weights'), 'sample_weight_mode': None}


class _CompileSettings(object):
    """What `hdf5_format`'s compilation from a saved file reads (the optimizer's state is
    restored separately, from the weights file)."""

    def __init__(self, training_config):
        self.training_config = None if training_config is None else \
            json.dumps(training_config)
        self.optimizer_weights = None


def load_keras_archive(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by Keras 3 (`model.save('name.keras')`).

    # Arguments
        filepath: path of the archive.
        custom_objects: dict mapping names to custom classes or functions.
        compile: whether to compile the model as it was compiled and restore the optimizer's
            state.
        safe_mode: refuse Python bytecode saved by Lambda layers.

    # Returns
        The model.

    # Raises
        ValueError: for an archive that is not a Keras model, a tampered one, a layer or
            setting without a Keras 2 counterpart (named), or weights that do not fit.
        OSError: for a damaged archive or weights file.
    """
    archive, source = _open(filepath)
    with archive:
        config = _read_json(archive, _CONFIG, source)
        if _METADATA in archive.namelist():
            _read_json(archive, _METADATA, source)  # checked: a damaged one is reported
        if not isinstance(config, dict) or 'class_name' not in config:
            raise ValueError('No Keras model found in ' + source + ': its config.json holds '
                             'no model configuration.')
        compile_config = config.get('compile_config')
        saved = hdf5_format.SavedModel.from_config(json.dumps(config))
        with _weights_file(archive, source) as weights_path:
            model = hdf5_format.build_model(saved, custom_objects=custom_objects,
                                            compile=False, safe_mode=safe_mode,
                                            source=source)
            if weights_path is not None:
                _load_weights(model, weights_path, source)
            if compile and compile_config:
                _compile(model, compile_config, custom_objects, source, weights_path)
            elif compile:
                hdf5_format.warn_not_compiled()
    return model


def _open(filepath):
    source = os.fspath(filepath)
    try:
        archive = zipfile.ZipFile(source, 'r')
    except (zipfile.BadZipFile, OSError) as error:
        raise OSError('Unable to load ' + source + ': the zip archive is damaged (' +
                      str(error) + ').') from error
    _check_member_names(archive, source)
    return archive, source


def load_keras_archive_weights(model, filepath, skip_mismatch=False):
    """Loads the weights of a Keras 3 `.keras` archive into `model` (its architecture must
    match), as `model.load_weights('name.keras')` does in tf.keras and Keras 3; into a compiled
    model also the optimizer's state.

    # Raises
        ValueError: for an archive without weights, or weights that do not fit (naming the
            layer); the model is then unchanged.
    """
    archive, source = _open(filepath)
    with archive, _weights_file(archive, source) as weights_path:
        if weights_path is None:
            raise ValueError('No weights found in ' + source + ': the archive has no ' +
                             _WEIGHTS + '.')
        _load_weights(model, weights_path, source, skip_mismatch=skip_mismatch)
        if getattr(model, 'optimizer', None) is not None:
            _restore_optimizer(model, weights_path)


def _load_weights(model, weights_path, source, skip_mismatch=False):
    import h5py
    try:
        with h5py.File(weights_path, 'r') as f:
            assignments = weights_tree.tree_assignments(f, model, skip_mismatch=skip_mismatch,
                                                        source=source)
    except (OSError, KeyError, RuntimeError) as error:
        raise OSError('Unable to load ' + source + ': its model.weights.h5 is damaged (' +
                      str(error) + ').') from error
    K.batch_set_value(assignments)


def _compile(model, compile_config, custom_objects, source, weights_path):
    hdf5_format.compile_from_training_config(
        model, _CompileSettings(_training_config(compile_config)),
        dict(custom_objects or {}), source)
    if weights_path is not None:
        _restore_optimizer(model, weights_path)


def _restore_optimizer(model, weights_path):
    import h5py
    with h5py.File(weights_path, 'r') as f:
        state = weights_tree.saved_optimizer_state(
            f, len(hdf5_format.trained_variables(model)))
    if state is not None:
        hdf5_format.restore_optimizer_state(model, *state)


# The Keras version written into metadata.json: the schema of the configuration written.
_KERAS3_SCHEMA_VERSION = '3.15.1'


def save_keras_archive(model, filepath, overwrite=True, include_optimizer=True):
    """Saves `model` as a Keras 3 `.keras` archive (atomically: written next to `filepath`,
    then renamed over it).

    # Arguments
        model: a Sequential or functional model.
        filepath: the path (ending in `.keras`).
        overwrite: whether to overwrite an existing file without asking.
        include_optimizer: write the training configuration of a compiled model (Keras 3
            then compiles it on loading).

    # Raises
        ValueError (`Keras3ExportError`): naming a layer or setting Keras 3 cannot express;
            nothing is written then.
    """
    import h5py
    filepath = os.fspath(filepath)
    config = keras3_model_config(model, include_compile=include_optimizer)
    metadata = {'keras_version': _KERAS3_SCHEMA_VERSION, 'cornu_version': __version__,
                'date_saved': datetime.datetime.now().strftime('%Y-%m-%d@%H:%M:%S')}
    if not hdf5_format.proceed_with_overwrite(filepath, overwrite):
        return
    with tempfile.TemporaryDirectory() as folder:
        weights_path = os.path.join(folder, 'weights.h5')
        with h5py.File(weights_path, 'w') as f:
            weights_tree.write_tree(f, model)
        with atomic_file(filepath) as temporary:
            with zipfile.ZipFile(temporary, 'w') as archive:
                archive.writestr(_METADATA, json.dumps(metadata))
                archive.writestr(_CONFIG, json.dumps(config))
                archive.write(weights_path, _WEIGHTS)
