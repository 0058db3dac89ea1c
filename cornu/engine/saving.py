"""Model serialisation: architecture as Keras 2 JSON/YAML config; HDF5 files and pickling
(`hdf5_format`, re-exported here with Keras 2.2.4's names)."""
import json

from .. import backend as K
from ..backend.run_context import current, run_context


def model_config_dict(model):
    """`{'class_name', 'config', 'keras_version', 'backend'}`, as Keras 2 writes it."""
    from .. import __keras_version__
    return {'class_name': model.__class__.__name__, 'config': model.get_config(),
            'keras_version': __keras_version__, 'backend': K.backend()}


def model_from_config(config, custom_objects=None, safe_mode=False):
    """Instantiates a model from its config (`{'class_name': ..., 'config': ...}`).

    # Arguments
        config: the configuration dictionary.
        custom_objects: dict mapping names of user classes/functions to them.
        safe_mode: refuse Python bytecode saved by Lambda layers (the functions that read
            JSON, YAML and HDF5 pass `True` unless told otherwise).

    # Raises
        TypeError: when given a list (a Sequential config needs its class name).
    """
    if isinstance(config, list):
        raise TypeError('`model_from_config` expects a dictionary, not a list. Maybe you meant '
                        'to use `Sequential.from_config(config)`?')
    from ..layers import deserialize
    with allow_code_loading(_unsafe_allowed or not safe_mode):
        return deserialize(config, custom_objects=custom_objects)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """Instantiates a model from a JSON string made by `model.to_json()`.

    # Arguments
        json_string: the JSON text.
        custom_objects: dict mapping names of user classes/functions to them.
        safe_mode: refuse to load Python bytecode saved by Lambda layers (set `False` only
            for trusted text).
    """
    from .config_conversion import convert_model_config
    config = convert_model_config(json.loads(json_string))
    return model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)


def model_from_yaml(yaml_string, custom_objects=None, safe_mode=True):
    """Instantiates a model from a YAML string made by `model.to_yaml()` (see
    `model_from_json` for the arguments)."""
    import yaml
    from .config_conversion import convert_model_config
    config = convert_model_config(yaml.safe_load(yaml_string))
    return model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)


# Loading a Lambda layer's saved bytecode runs code from the file. As with pickle, that is
# only safe for files one trusts, so loading from files and strings (JSON, YAML, HDF5) refuses
# it unless asked (`safe_mode=False`). In-memory configs (`from_config(get_config())`,
# `clone_model`) come from the running program and are allowed. Whether a load in progress
# allows it is run state (in the run context); `enable_unsafe_deserialization` is a
# process-wide user setting.
def allow_code_loading(allowed=True):
    """Context manager allowing (or refusing) saved Python code (Lambda layers) to be loaded
    inside its block, in the current thread.

    # Arguments
        allowed: whether code may be loaded.

    # Returns
        A context manager.
    """
    return run_context(code_loading_allowed=allowed)


_unsafe_allowed = False


def enable_unsafe_deserialization():
    """Allows saved Python code (Lambda layers) to be loaded from files and strings from now on
    (for trusted files only)."""
    global _unsafe_allowed
    _unsafe_allowed = True


def check_code_loading_allowed(layer_name, what):
    """Raises a `ValueError` naming the layer unless loading code was allowed."""
    if not current().code_loading_allowed:
        raise ValueError('Layer "' + str(layer_name) + '" holds Python bytecode (its ' + what +
                         ') that would have to be executed to load it. Loading code from a file '
                         'runs whatever the file contains, so it is refused by default. If you '
                         'trust this file, pass `safe_mode=False` to the loading function (or '
                         'call `cornu.engine.saving.enable_unsafe_deserialization()`).')


# HDF5 files (Keras 2's layout) and pickling; weight conversions for older files.
from .hdf5_format import (save_model, load_model,  # noqa: E402,F401
                          save_attributes_to_hdf5_group, load_attributes_from_hdf5_group,
                          save_weights_to_hdf5_group, load_weights_from_hdf5_group,
                          load_weights_from_hdf5_group_by_name)
from .pickling import pickle_model, unpickle_model  # noqa: E402,F401
from .weight_conversion import preprocess_weights_for_loading  # noqa: E402,F401
