"""Serialization: how cornu objects become config dictionaries and how configs become objects.

This module holds Keras 2's config machinery (`serialize_keras_object`,
`deserialize_keras_object`, the custom objects and `CustomObjectScope`), the class registry
that layer and model configs are looked up in, JSON's encoding of config values, and the
setting that allows or refuses loading saved Python code.

It sits at the bottom of the house (it imports only `generic_utils`, its neighbour here, and
the backend's run context, which holds whether a load in progress may run saved code), so
that everything above can use it: activations, initializers, losses and optimizers
serialize themselves with it, and the engine rebuilds layers and models from their configs
through the registry without importing `cornu.layers` or `cornu.models`. It cannot live in
`cornu.utils` or `cornu.engine`: importing either package runs its `__init__`, which imports
the layers (`multi_gpu_model`) or the models, and those import this module.

The registry is filled as the classes are imported: `cornu.layers` registers its catalogue,
`cornu.engine` registers `Model` and `Sequential`. Importing any module of cornu runs
`cornu/__init__.py` first, which imports both, so the registry is full before anything can be
deserialized.
"""
import os

import numpy as np

from ..backend.run_context import current, run_context
from .generic_utils import has_arg

_GLOBAL_CUSTOM_OBJECTS = {}


class CustomObjectScope:
    """A scope inside which extra custom objects can be found by name.

    Entries added to the global custom objects inside the `with` block (by the scope itself or
    by other code) are forgotten when the block ends: the global dictionary is restored to what
    it held on entry.

    # Example

    ```python
        with CustomObjectScope({'MyObject': MyObject}):
            layer = Dense(..., kernel_regularizer='MyObject')
            # saving and loading also find `MyObject` by name here
    ```

    # Arguments
        *args: dictionaries mapping names to classes or functions.
    """

    def __init__(self, *args):
        self.custom_objects = args
        self.backup = None

    def __enter__(self):
        self.backup = _GLOBAL_CUSTOM_OBJECTS.copy()
        for objects in self.custom_objects:
            _GLOBAL_CUSTOM_OBJECTS.update(objects)
        return self

    def __exit__(self, *args, **kwargs):
        _GLOBAL_CUSTOM_OBJECTS.clear()
        _GLOBAL_CUSTOM_OBJECTS.update(self.backup)


def custom_object_scope(*args):
    """Returns a `CustomObjectScope` for the given dictionaries of custom objects.

    # Example

    ```python
        with custom_object_scope({'MyObject': MyObject}):
            model = load_model('my_model.h5')
    ```

    # Arguments
        *args: dictionaries mapping names to classes or functions.

    # Returns
        A `CustomObjectScope`.
    """
    return CustomObjectScope(*args)


def get_custom_objects():
    """Returns the live global dictionary of custom objects (name -> class or function).

    Prefer `custom_object_scope`; editing this dictionary directly registers objects for the
    rest of the process.

    # Example

    ```python
        get_custom_objects()['MyObject'] = MyObject
    ```

    # Returns
        The global dictionary of custom objects.
    """
    return _GLOBAL_CUSTOM_OBJECTS


def serialize_keras_object(instance):
    """Turns a Keras object into something JSON can hold.

    # Arguments
        instance: an object with a `get_config` method, a named function or class, or `None`.

    # Returns
        `{'class_name': ..., 'config': ...}` for objects with `get_config`, the `__name__` of
        functions, `None` for `None`.

    # Raises
        ValueError: when the object has neither `get_config` nor a name.
    """
    if instance is None:
        return None
    if hasattr(instance, 'get_config'):
        return {'class_name': instance.__class__.__name__,
                'config': instance.get_config()}
    if hasattr(instance, '__name__'):
        return instance.__name__
    raise ValueError('Cannot serialize', instance)


def _lookup(name, module_objects, custom_objects):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    return (module_objects or {}).get(name)


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None,
                             printable_module_name='object'):
    """Rebuilds a Keras object from what `serialize_keras_object` produced.

    Names are looked up in `custom_objects` first, then in the global custom objects, then in
    `module_objects`.

    # Arguments
        identifier: a `{'class_name': ..., 'config': ...}` dictionary, or a name (string).
        module_objects: dictionary of the built-in objects that may be named.
        custom_objects: dictionary of user objects that may be named.
        printable_module_name: what the objects are, for error messages
            (e.g. `'initializer'`).

    # Returns
        For a dictionary, a new instance built with `from_config(config)` (or by calling the
        named function with the config as keyword arguments); for a name, the named object.

    # Raises
        ValueError: for an unknown name (`Unknown <printable_module_name>: <name>`), a
            dictionary without `class_name`/`config`, or an identifier of any other type.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        config = identifier
        if 'class_name' not in config or 'config' not in config:
            raise ValueError(f'Improper config format: {config}')
        class_name = config['class_name']
        cls = _lookup(class_name, module_objects, custom_objects)
        if cls is None:
            raise ValueError(f'Unknown {printable_module_name}: {class_name}')
        custom_objects = custom_objects or {}
        if hasattr(cls, 'from_config'):
            if has_arg(cls.from_config, 'custom_objects'):
                merged = dict(_GLOBAL_CUSTOM_OBJECTS)
                merged.update(custom_objects)
                return cls.from_config(config['config'], custom_objects=merged)
            with CustomObjectScope(custom_objects):
                return cls.from_config(config['config'])
        # A function that returns an instance (e.g. `glorot_uniform`): the config holds its
        # keyword arguments.
        with CustomObjectScope(custom_objects):
            return cls(**config['config'])
    if isinstance(identifier, str):
        obj = _lookup(identifier, module_objects, custom_objects)
        if obj is None:
            raise ValueError(f'Unknown {printable_module_name}: {identifier}')
        return obj
    raise ValueError(f'Could not interpret serialized {printable_module_name}: {identifier}')


_REGISTERED_CLASSES = {}


def register_classes(classes):
    """Makes layer and model classes findable by name when configs are deserialized.

    # Arguments
        classes: dict mapping the names that configs use (`class_name`) to classes.
    """
    _REGISTERED_CLASSES.update(classes)


def registered_class(name):
    """The class registered under `name` (see `register_classes`), or `None`."""
    return _REGISTERED_CLASSES.get(name)


def registered_classes():
    """A new dict of the registered layer and model classes, by name."""
    return dict(_REGISTERED_CLASSES)


def deserialize_layer(config, custom_objects=None):
    """Instantiates a layer (or model) from a `{'class_name', 'config'}` dictionary.

    The class is looked up in `custom_objects`, then the global custom objects, then the
    registered classes.

    # Arguments
        config: the dictionary.
        custom_objects: dict mapping names of user classes and functions to them.

    # Returns
        A layer (or model) instance.

    # Raises
        ValueError: for a class name that is neither registered nor a custom object (the
            message says how to pass it).
    """
    class_name = config.get('class_name') if isinstance(config, dict) else None
    if (class_name and class_name not in _REGISTERED_CLASSES and
            class_name not in (custom_objects or {}) and
            class_name not in _GLOBAL_CUSTOM_OBJECTS):
        raise ValueError(f'Unknown layer: {class_name}. If it is a custom layer, pass its '
                         f'class when loading: `custom_objects={{"{class_name}": {class_name}}}` '
                         '(or use `CustomObjectScope`).')
    return deserialize_keras_object(config, module_objects=_REGISTERED_CLASSES,
                                    custom_objects=custom_objects,
                                    printable_module_name='layer')


def json_default(obj):
    """Keras 2's JSON encoding of what `json` cannot write itself (for `json.dumps(default=)`).

    # Arguments
        obj: a value found in a config.

    # Returns
        A value `json` can write: a config dictionary for objects with `get_config`, a tagged
        list for NumPy arrays, a Python number for NumPy scalars, the name of a function.

    # Raises
        TypeError: for anything else.
    """
    if hasattr(obj, 'get_config') and not isinstance(obj, type):
        return {'class_name': obj.__class__.__name__, 'config': obj.get_config()}
    if isinstance(obj, np.ndarray):
        # Tagged so that Lambda.from_config turns it back into an array.
        return {'type': type(obj).__name__, 'value': obj.tolist()}
    if isinstance(obj, np.generic):
        return obj.item()
    if callable(obj) and hasattr(obj, '__name__'):
        return obj.__name__
    raise TypeError(f'Not JSON Serializable: {obj!r}')


def array_from_json(value):
    """Turns a NumPy array that `json_default` wrote (a tagged list) back into an array;
    returns any other value unchanged.

    # Arguments
        value: a value read back from a saved config.

    # Returns
        A NumPy array for `{'type': 'ndarray', 'value': [...]}`, else `value`.
    """
    if isinstance(value, dict) and value.get('type') == 'ndarray' and 'value' in value:
        return np.array(value['value'])
    return value


# Loading a Lambda layer's saved bytecode runs code from the file. As with pickle, that is
# only safe for files one trusts, so loading from files and strings (JSON, YAML, HDF5) refuses
# it unless asked (`safe_mode=False`). In-memory configs (`from_config(get_config())`,
# `clone_model`) come from the running program and are allowed. Whether a load in progress
# allows it is run state (in the run context); `enable_unsafe_deserialization` and the
# `CORNU_TRUST_SAVED_CODE` environment variable (which `python -m cornu run
# --trust-saved-code` sets) are process-wide user settings: old scripts that load their own
# Lambda models run unchanged with either.
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

# The environment variable that trusts saved code without changing a script, and the values
# that turn it on (anything else, or unset, leaves loading code refused).
TRUST_SAVED_CODE_VARIABLE = 'CORNU_TRUST_SAVED_CODE'
_TRUE_VALUES = ('1', 'true', 'yes', 'on')


def enable_unsafe_deserialization():
    """Allows saved Python code (Lambda layers) to be loaded from files and strings from now on
    (for trusted files only)."""
    global _unsafe_allowed
    _unsafe_allowed = True


def unsafe_deserialization_enabled():
    """Whether loading saved code was allowed process-wide: `enable_unsafe_deserialization`
    was called, or the environment variable `CORNU_TRUST_SAVED_CODE` is `1` (or `true`,
    `yes`, `on`), as `python -m cornu run --trust-saved-code script.py` sets it."""
    if _unsafe_allowed:
        return True
    return os.environ.get(TRUST_SAVED_CODE_VARIABLE, '').strip().lower() in _TRUE_VALUES


def check_code_loading_allowed(layer_name, what):
    """Raises a `ValueError` naming the layer unless loading code was allowed."""
    if not current().code_loading_allowed:
        raise ValueError(f'Layer "{layer_name}" holds Python bytecode (its {what}) that would '
                         'have to be executed to load it. Loading code from a file '
                         'runs whatever the file contains, so it is refused by default. If you '
                         'trust this file, pass `safe_mode=False` to the loading function, or '
                         'call `cornu.engine.saving.enable_unsafe_deserialization()`; to run a '
                         'script unchanged, set the environment variable '
                         f'{TRUST_SAVED_CODE_VARIABLE}=1 or run it with `python -m cornu run '
                         '--trust-saved-code script.py`.')
