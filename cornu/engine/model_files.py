"""`save_model` and `load_model`: the file format is chosen by the file, not by the caller.

`load_model` reads Keras 2 / tf.keras / Keras 3 HDF5 files (`hdf5_format`) and Keras 3's `.keras`
zip archives (`keras_archive`), told apart by their content. `save_model` writes Keras 2's
HDF5 layout, which Keras 2, tf.keras and Keras 3 all load, or for a `.keras` path a Keras 3
archive.
"""
import os

from . import hdf5_format, keras_archive

__all__ = ['save_model', 'load_model', 'load_weights']


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Saves a model to one file: architecture, weights and (for a compiled model) the
    training configuration and, in HDF5, the optimizer's state.

    A path ending in `.keras` gets a Keras 3 archive (`keras_archive.save_keras_archive`),
    which Keras 3 loads; any other, Keras 2's HDF5 layout (`hdf5_format.save_model`).
    """
    if isinstance(filepath, (str, os.PathLike)) and \
            os.fspath(filepath).endswith(keras_archive.ARCHIVE_SUFFIX):
        keras_archive.save_keras_archive(model, filepath, overwrite=overwrite,
                                         include_optimizer=include_optimizer)
        return
    hdf5_format.save_model(model, filepath, overwrite=overwrite,
                           include_optimizer=include_optimizer)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by `save_model`, by Keras 2 or tf.keras (HDF5), or by Keras 3
    (`.keras` archives and HDF5).

    # Arguments
        filepath: path of the file, an open `h5py.File`/`h5py.Group`, or a binary file
            object (`io.BytesIO`) holding an HDF5 file.
        custom_objects: dict mapping names to custom classes or functions (layers, losses,
            metrics, optimizers, initializers...) used by the model.
        compile: whether to compile the model with the saved training configuration and
            restore the optimizer's state.
        safe_mode: refuse Python bytecode saved by Lambda layers (set `False` only for files
            you trust).

    # Returns
        A model; compiled when the file holds a training configuration and `compile` is
        `True` (otherwise a warning says it is not compiled).

    # Raises
        ImportError: if h5py is not available.
        OSError: for a missing, empty, truncated or damaged file.
        ValueError: for a file without a model, unknown classes (the message names them and
            how to pass `custom_objects`), layers or settings without a Keras 2 counterpart,
            or weights that do not fit the model.
    """
    if isinstance(filepath, (str, os.PathLike)) and keras_archive.is_keras_archive(filepath):
        return keras_archive.load_keras_archive(filepath, custom_objects=custom_objects,
                                                compile=compile, safe_mode=safe_mode)
    return hdf5_format.load_model(filepath, custom_objects=custom_objects, compile=compile,
                                  safe_mode=safe_mode)


def load_weights(model, filepath, by_name=False, skip_mismatch=False, reshape=False):
    """Loads weights into `model` from an HDF5 file (Keras 2 or the tf.keras / Keras 3
    `.weights.h5` layout) or from a Keras 3 `.keras` archive; see `Network.load_weights`."""
    if isinstance(filepath, (str, os.PathLike)) and keras_archive.is_keras_archive(filepath):
        if by_name:
            raise ValueError('`by_name=True` cannot be used with ' + os.fspath(filepath) +
                             ': a Keras 3 archive does not store layer names; load it by '
                             'order (`by_name=False`).')
        keras_archive.load_keras_archive_weights(model, filepath, skip_mismatch=skip_mismatch)
        return
    hdf5_format.load_weights(model, filepath, by_name=by_name, skip_mismatch=skip_mismatch,
                             reshape=reshape)
