"""`cornu.layers`: every Keras 2 layer, importable from here or from its family module."""
from ..utils.generic_utils import deserialize_keras_object
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec
from ..engine.input_layer import Input, InputLayer
from .core import (Dense, Activation, Dropout, SpatialDropout1D, SpatialDropout2D,
                   SpatialDropout3D, Flatten, Reshape, Permute, RepeatVector, Lambda,
                   ActivityRegularization, Masking)
from .embeddings import Embedding
from .merge import (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, add,
                    subtract, multiply, average, maximum, minimum, concatenate, dot)
from .advanced_activations import LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax, ReLU
from .normalization import BatchNormalization
from .noise import GaussianNoise, GaussianDropout, AlphaDropout
from .local import LocallyConnected1D, LocallyConnected2D


def serialize(layer):
    """`{'class_name': ..., 'config': ...}` for a layer."""
    return {'class_name': layer.__class__.__name__, 'config': layer.get_config()}


def deserialize(config, custom_objects=None):
    """Instantiates a layer (or model) from a `{'class_name', 'config'}` dictionary.

    # Raises
        ValueError: for a class name that is neither a cornu layer nor in `custom_objects`
            (the message says how to pass it).
    """
    from .. import models
    module_objects = dict(globals())
    module_objects['Model'] = models.Model
    module_objects['Sequential'] = models.Sequential
    class_name = config.get('class_name') if isinstance(config, dict) else None
    if (class_name and class_name not in module_objects and
            class_name not in (custom_objects or {})):
        from ..utils.generic_utils import get_custom_objects
        if class_name not in get_custom_objects():
            raise ValueError('Unknown layer: ' + str(class_name) + '. If it is a custom layer, '
                             'pass its class when loading: `custom_objects={"' +
                             str(class_name) + '": ' + str(class_name) + '}` (or use '
                             '`CustomObjectScope`).')
    return deserialize_keras_object(config, module_objects=module_objects,
                                    custom_objects=custom_objects,
                                    printable_module_name='layer')
