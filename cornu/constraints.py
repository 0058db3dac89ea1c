"""Weight constraints (Keras 2.2.4 `keras.constraints`).

A constraint maps a weight to its projection onto the allowed set; the optimizer applies it
after each update. Constraints return a new tensor and never modify their input.
"""
from . import backend as K
from ._common import layer_arguments
from ._common.serialization import deserialize_keras_object, serialize_keras_object


class Constraint(object):
    """Base class of constraints: `__call__(w)` returns the projected weight (here `w`)."""

    def __call__(self, w):
        return w

    def get_config(self):
        """Returns the constructor arguments as a JSON-compatible dictionary."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Builds a constraint from `get_config`'s output."""
        return cls(**config)


def _norms(w, axis):
    return K.sqrt(K.sum(K.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Caps the norm of the weights incident to each unit at `max_value`.

    # Arguments
        max_value: the largest norm allowed.
        axis: integer or list of integers, the axes along which norms are computed. For a
            `Dense` kernel `(input_dim, output_dim)`, `axis=0` constrains each unit's vector
            of `input_dim` weights; for a channels_last `Conv2D` kernel
            `(rows, cols, input_depth, output_depth)`, use `axis=[0, 1, 2]`.

    # References
        - [Dropout: A Simple Way to Prevent Neural Networks from Overfitting](
           http://www.cs.toronto.edu/~rsalakhu/papers/srivastava14a.pdf)
    """

    def __init__(self, max_value=2, axis=0):
        layer_arguments.non_negative_number(self, 'max_value', max_value)
        layer_arguments.axis(self, 'axis', axis, allow_list=True)
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = K.clip(norms, 0, self.max_value)
        return w * (desired / (K.epsilon() + norms))

    def get_config(self):
        return {'max_value': self.max_value, 'axis': self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        return w * K.cast(K.greater_equal(w, 0.), K.floatx())


class UnitNorm(Constraint):
    """Scales the weights incident to each unit to unit norm.

    # Arguments
        axis: integer or list of integers, the axes along which norms are computed (see
            `MaxNorm`).
    """

    def __init__(self, axis=0):
        layer_arguments.axis(self, 'axis', axis, allow_list=True)
        self.axis = axis

    def __call__(self, w):
        return w / (K.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {'axis': self.axis}


class MinMaxNorm(Constraint):
    """Keeps the norm of the weights incident to each unit between two bounds.

    Weights are rescaled to the norm `rate * clip(norm, min_value, max_value) +
    (1 - rate) * norm`: `rate=1` enforces the bounds at once, a smaller rate moves the norm
    towards them step by step.

    # Arguments
        min_value: the smallest norm allowed.
        max_value: the largest norm allowed.
        rate: how strictly to enforce the bounds, in `[0, 1]`.
        axis: integer or list of integers, the axes along which norms are computed (see
            `MaxNorm`).
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        layer_arguments.non_negative_number(self, 'min_value', min_value)
        if layer_arguments.number(self, 'max_value', max_value) < min_value:
            layer_arguments.refuse(self, 'max_value', max_value,
                                   'at least `min_value` (' + str(min_value) + ')')
        layer_arguments.rate(self, 'rate', rate)
        layer_arguments.axis(self, 'axis', axis, allow_list=True)
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = (self.rate * K.clip(norms, self.min_value, self.max_value) +
                   (1 - self.rate) * norms)
        return w * (desired / (K.epsilon() + norms))

    def get_config(self):
        return {'min_value': self.min_value, 'max_value': self.max_value, 'rate': self.rate,
                'axis': self.axis}


# Aliases.
max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

# Legacy aliases.
maxnorm = max_norm
nonneg = non_neg
unitnorm = unit_norm

_CONSTRAINTS = {
    'Constraint': Constraint, 'MaxNorm': MaxNorm, 'NonNeg': NonNeg, 'UnitNorm': UnitNorm,
    'MinMaxNorm': MinMaxNorm, 'max_norm': max_norm, 'non_neg': non_neg,
    'unit_norm': unit_norm, 'min_max_norm': min_max_norm, 'maxnorm': maxnorm,
    'nonneg': nonneg, 'unitnorm': unitnorm,
}


def serialize(constraint):
    """Returns the config of a constraint (`{'class_name': ..., 'config': ...}`)."""
    return serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    """Builds a constraint from a config dictionary or returns the one named.

    # Arguments
        config: `{'class_name': ..., 'config': ...}` or a name.
        custom_objects: optional dictionary of user constraints.

    # Raises
        ValueError: `Unknown constraint: <name>`.
    """
    return deserialize_keras_object(config, module_objects=_CONSTRAINTS,
                                    custom_objects=custom_objects,
                                    printable_module_name='constraint')


def get(identifier):
    """Resolves a constraint argument (`kernel_constraint=...`).

    # Arguments
        identifier: `None`, a config dictionary, a name (`'max_norm'`, `'non_neg'`, ...), or
            a callable (returned as is).

    # Returns
        A constraint, or `None`.

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
    raise ValueError('Could not interpret constraint identifier: ' + str(identifier))
