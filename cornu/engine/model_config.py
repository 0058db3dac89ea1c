"""Model architectures as Keras 2 configs: the `{'class_name', 'config'}` dictionary a model
writes, and models rebuilt from it, from JSON or from YAML.

The classes are found through the registry of `cornu._common.serialization` (filled by
`cornu.layers` and `cornu.engine`), so this module, and the HDF5 format built on it, import
neither the layers nor the models.
"""
import json

from .. import backend as K
from .._common.serialization import (allow_code_loading, deserialize_layer,
                                      unsafe_deserialization_enabled)
from .._version import __keras_version__
from .config_conversion import convert_model_config


def model_config_dict(model):
    """`{'class_name', 'config', 'keras_version', 'backend'}`, as Keras 2 writes it."""
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
    with allow_code_loading(unsafe_deserialization_enabled() or not safe_mode):
        return deserialize_layer(config, custom_objects=custom_objects)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """Instantiates a model from a JSON string made by `model.to_json()`.

    # Arguments
        json_string: the JSON text.
        custom_objects: dict mapping names of user classes/functions to them.
        safe_mode: refuse to load Python bytecode saved by Lambda layers (set `False` only
            for trusted text).
    """
    config = convert_model_config(json.loads(json_string))
    return model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)


def model_from_yaml(yaml_string, custom_objects=None, safe_mode=True):
    """Instantiates a model from a YAML string made by `model.to_yaml()` (see
    `model_from_json` for the arguments)."""
    import yaml
    config = convert_model_config(yaml.safe_load(yaml_string))
    return model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)
