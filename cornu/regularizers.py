"""Weight and activity regularizers (Keras 2.2.4 `keras.regularizers`).

A regularizer maps a weight (or activation) tensor to a scalar penalty that is added to the
model's loss.
"""
from . import backend as K
from ._common import layer_arguments
from ._common.serialization import deserialize_keras_object, serialize_keras_object


class Regularizer(object):
    """Base class of regularizers: `__call__(x)` returns a scalar penalty (0 here)."""

    def __call__(self, x):
        return 0.

    @classmethod
    def from_config(cls, config):
        """Builds a regularizer from `get_config`'s output."""
        return cls(**config)


class L1L2(Regularizer):
    """L1 and L2 penalty: `sum(l1 * abs(x)) + sum(l2 * square(x))`.

    # Arguments
        l1: float, L1 factor.
        l2: float, L2 factor.
    """

    def __init__(self, l1=0., l2=0.):
        # A negative factor would reward large weights: refused, as for `ActivityRegularization`.
        self.l1 = layer_arguments.non_negative_number(self, 'l1', l1)
        self.l2 = layer_arguments.non_negative_number(self, 'l2', l2)

    # `l1` and `l2` are float32 NumPy scalars, as in Keras 2; the penalty uses Python floats
    # of the same value, kept beside them: they keep engine tensors on their own side of
    # the product, and a compiled training step can test them without leaving its graph.
    @property
    def l1(self):
        return self._l1

    @l1.setter
    def l1(self, value):
        self._l1 = K.cast_to_floatx(value)
        self._l1_factor = float(self._l1)

    @property
    def l2(self):
        return self._l2

    @l2.setter
    def l2(self, value):
        self._l2 = K.cast_to_floatx(value)
        self._l2_factor = float(self._l2)

    def __call__(self, x):
        regularization = 0.
        if self._l1_factor:
            regularization += K.sum(self._l1_factor * K.abs(x))
        if self._l2_factor:
            regularization += K.sum(self._l2_factor * K.square(x))
        return regularization

    def get_config(self):
        return {'l1': float(self.l1), 'l2': float(self.l2)}


def l1(l=0.01):
    """An L1 regularizer: `L1L2(l1=l)`."""
    return L1L2(l1=l)


def l2(l=0.01):
    """An L2 regularizer: `L1L2(l2=l)`."""
    return L1L2(l2=l)


def l1_l2(l1=0.01, l2=0.01):
    """An L1 and L2 regularizer: `L1L2(l1=l1, l2=l2)`."""
    return L1L2(l1=l1, l2=l2)


_REGULARIZERS = {'Regularizer': Regularizer, 'L1L2': L1L2, 'l1': l1, 'l2': l2, 'l1_l2': l1_l2}


def serialize(regularizer):
    """Returns the config of a regularizer (`{'class_name': ..., 'config': ...}`)."""
    return serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    """Builds a regularizer from a config dictionary or returns the one named.

    # Arguments
        config: `{'class_name': ..., 'config': ...}` or a name.
        custom_objects: optional dictionary of user regularizers.

    # Raises
        ValueError: `Unknown regularizer: <name>`.
    """
    return deserialize_keras_object(config, module_objects=_REGULARIZERS,
                                    custom_objects=custom_objects,
                                    printable_module_name='regularizer')


def get(identifier):
    """Resolves a regularizer argument (`kernel_regularizer=...`).

    # Arguments
        identifier: `None`, a config dictionary, a name (`'l2'`: default factor 0.01), or a
            callable (returned as is).

    # Returns
        A regularizer, or `None`.

    # Raises
        ValueError: for an unknown name or an identifier of another type.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({'class_name': str(identifier), 'config': {}})
    if callable(identifier):
        return identifier
    raise ValueError('Could not interpret regularizer identifier: ' + str(identifier))
