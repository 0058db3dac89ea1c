"""Built-in optimizer classes (Keras 2.2.4 `keras.optimizers`).

`cornu.optimizers.base` has the `Optimizer` class and explains how optimizers run; the formulas
live in `sgd`, `adaptive` (RMSprop, Adagrad, Adadelta), `adam` (Adam, Adamax, Nadam) and
`native` (wrappers of the engine's own optimizers); `loss_scale` has the `LossScaleOptimizer`
of mixed precision (also `cornu.mixed_precision.LossScaleOptimizer`).
"""
from .. import backend as K
from .._common.serialization import deserialize_keras_object, serialize_keras_object
from ..backend import kernels
from .base import Optimizer, clip_norm  # noqa: F401 (Keras 2 public names)
from .sgd import SGD
from .adaptive import RMSprop, Adagrad, Adadelta
from .adam import Adam, Adamax, Nadam
from .native import TFOptimizer, TorchOptimizer, OptaxOptimizer, wrap_native_optimizer
from .loss_scale import LossScaleOptimizer

sgd = SGD
rmsprop = RMSprop
adagrad = Adagrad
adadelta = Adadelta
adam = Adam
adamax = Adamax
nadam = Nadam


def serialize(optimizer):
    """Returns the config of an optimizer (`{'class_name': ..., 'config': ...}`)."""
    return serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    """Builds an optimizer from its config; built-in class names match in any case.

    # Arguments
        config: `{'class_name': ..., 'config': ...}`. A built-in class name is lowercased in
            this dict itself, as Keras 2 does.
        custom_objects: optional dictionary of user optimizer classes.

    # Returns
        An optimizer instance.

    # Raises
        ValueError: `Unknown optimizer: <name>`.
    """
    all_classes = {
        'sgd': SGD,
        'rmsprop': RMSprop,
        'adagrad': Adagrad,
        'adadelta': Adadelta,
        'adam': Adam,
        'adamax': Adamax,
        'nadam': Nadam,
        'tfoptimizer': TFOptimizer,
    }
    if isinstance(config, dict) and config.get('class_name') == 'LossScaleOptimizer':
        arguments = dict(config.get('config', {}))
        arguments['inner_optimizer'] = deserialize(arguments['inner_optimizer'],
                                                   custom_objects)
        return LossScaleOptimizer(**arguments)
    if isinstance(config, dict) and str(config.get('class_name', '')).lower() in all_classes:
        # Keras 2 normalises the name in the caller's dict itself, and code written for it
        # compares that dict with a lowercased re-serialisation afterwards.
        config['class_name'] = config['class_name'].lower()
    return deserialize_keras_object(config,
                                    module_objects=all_classes,
                                    custom_objects=custom_objects,
                                    printable_module_name='optimizer')


def get(identifier):
    """Retrieves an optimizer.

    # Arguments
        identifier: the name of an optimizer (`'adam'`), a config dictionary, an optimizer
            instance (returned unchanged), a `torch.optim` optimizer class or instance
            (wrapped in a `TorchOptimizer`), or an optax gradient transformation (wrapped in
            an `OptaxOptimizer`).

    # Returns
        An optimizer instance.

    # Raises
        ValueError: if `identifier` cannot be interpreted.
    """
    if isinstance(identifier, dict):
        return deserialize(identifier)
    elif isinstance(identifier, str):
        config = {'class_name': str(identifier), 'config': {}}
        return deserialize(config)
    if isinstance(identifier, Optimizer):
        return identifier
    if kernels.is_native_optimizer(identifier):
        return wrap_native_optimizer(identifier)
    raise ValueError('Could not interpret optimizer identifier: ' + str(identifier))
