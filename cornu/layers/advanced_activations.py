"""Activation layers with parameters: LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax, ReLU."""
from .. import backend as K
from .. import activations
from .. import initializers
from .. import regularizers
from .. import constraints
from .._common import layer_arguments
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec
from ._legacy import legacy_interface

# Keras 1 argument names, converted with a warning as Keras 2.2.4 did.
_legacy_prelu_support = legacy_interface(allowed_positional_args=['alpha_initializer'],
                                         conversions=[('init', 'alpha_initializer')])


class LeakyReLU(Layer):
    """Leaky version of a rectified linear unit.

    `f(x) = alpha * x` for `x < 0`, `f(x) = x` for `x >= 0`.

    # Arguments
        alpha: float >= 0, the slope of the negative part.

    # Input shape
        Arbitrary.

    # Output shape
        Same shape as the input.
    """

    _rows_independent = True

    def __init__(self, alpha=0.3, **kwargs):
        super(LeakyReLU, self).__init__(**kwargs)
        self.supports_masking = True
        self.alpha = layer_arguments.number(self, 'alpha', alpha)

    def call(self, inputs):
        return K.relu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {'alpha': float(self.alpha)}
        base_config = super(LeakyReLU, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class PReLU(Layer):
    """Parametric rectified linear unit.

    `f(x) = alpha * x` for `x < 0`, `f(x) = x` for `x >= 0`, where `alpha` is a learned array
    with the shape of one sample (less the `shared_axes`).

    # Arguments
        alpha_initializer: initializer of the weights.
        alpha_regularizer: regularizer of the weights.
        alpha_constraint: constraint on the weights.
        shared_axes: the axes (counted with the batch axis as 0) along which the learned
            parameters are shared. For inputs `(batch, height, width, channels)` from a 2-D
            convolution, `shared_axes=[1, 2]` keeps one parameter per channel.

    # Input shape
        Arbitrary.

    # Output shape
        Same shape as the input.
    """

    _rows_independent = True

    @_legacy_prelu_support
    def __init__(self, alpha_initializer='zeros', alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        super(PReLU, self).__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = layer_arguments.axis(self, 'shared_axes', shared_axes,
                                                    allow_list=True)
            if not isinstance(self.shared_axes, list):
                self.shared_axes = [self.shared_axes]
            if any(axis < 1 for axis in self.shared_axes):
                layer_arguments.refuse(self, 'shared_axes', shared_axes, 'axes >= 1 (the batch '
                                       'axis 0 has no parameters)')

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        if self.shared_axes is not None:
            for axis in self.shared_axes:
                if not 1 <= axis < len(input_shape):
                    raise ValueError('Layer ' + self.name + ' (PReLU): shared axis ' +
                                     str(axis) + ' is not an axis of its input of shape ' +
                                     str(input_shape) + ' (axes count from 1, after the '
                                     'batch axis).')
                param_shape[axis - 1] = 1
        if None in param_shape:
            raise ValueError('Layer ' + self.name + ' (PReLU) needs the sizes of all '
                             'non-shared axes of its input, got an input of shape ' +
                             str(input_shape) + '; share the variable-size axes with '
                             '`shared_axes`.')
        self.alpha = self.add_weight(shape=param_shape, name='alpha',
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        axes = {}
        if self.shared_axes:
            for axis in range(1, len(input_shape)):
                if axis not in self.shared_axes:
                    axes[axis] = input_shape[axis]
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs, mask=None):
        # relu(x) - alpha * relu(-x): the negative part scaled by alpha, as Keras 2 on TF.
        return K.relu(inputs) - self.alpha * K.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {
            'alpha_initializer': initializers.serialize(self.alpha_initializer),
            'alpha_regularizer': regularizers.serialize(self.alpha_regularizer),
            'alpha_constraint': constraints.serialize(self.alpha_constraint),
            'shared_axes': self.shared_axes,
        }
        base_config = super(PReLU, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class ELU(Layer):
    """Exponential linear unit.

    `f(x) = alpha * (exp(x) - 1)` for `x < 0`, `f(x) = x` for `x >= 0`.

    # Arguments
        alpha: scale of the negative part.

    # Input shape
        Arbitrary.

    # Output shape
        Same shape as the input.
    """

    _rows_independent = True

    def __init__(self, alpha=1.0, **kwargs):
        super(ELU, self).__init__(**kwargs)
        self.supports_masking = True
        self.alpha = layer_arguments.number(self, 'alpha', alpha)

    def call(self, inputs):
        return K.elu(inputs, self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {'alpha': float(self.alpha)}
        base_config = super(ELU, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class ThresholdedReLU(Layer):
    """Thresholded rectified linear unit.

    `f(x) = x` for `x > theta`, `f(x) = 0` otherwise.

    # Arguments
        theta: float >= 0, the threshold.

    # Input shape
        Arbitrary.

    # Output shape
        Same shape as the input.
    """

    _rows_independent = True

    def __init__(self, theta=1.0, **kwargs):
        super(ThresholdedReLU, self).__init__(**kwargs)
        self.supports_masking = True
        self.theta = layer_arguments.number(self, 'theta', theta)

    def call(self, inputs, mask=None):
        return inputs * K.cast(K.greater(inputs, self.theta), K.dtype(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {'theta': float(self.theta)}
        base_config = super(ThresholdedReLU, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Softmax(Layer):
    """Softmax activation.

    # Arguments
        axis: integer, the axis along which the normalization is applied.

    # Input shape
        Arbitrary, at least 2-D.

    # Output shape
        Same shape as the input.
    """

    _rows_independent = True

    def __init__(self, axis=-1, **kwargs):
        super(Softmax, self).__init__(**kwargs)
        self.supports_masking = True
        self.axis = layer_arguments.axis(self, 'axis', axis)

    def call(self, inputs):
        return activations.softmax(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {'axis': self.axis}
        base_config = super(Softmax, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class ReLU(Layer):
    """Rectified linear unit with optional saturation, threshold and leak.

    `f(x) = max_value` for `x >= max_value`, `f(x) = x` for `threshold <= x < max_value`,
    `f(x) = negative_slope * (x - threshold)` otherwise.

    # Arguments
        max_value: float >= 0, the saturation value (`None`: no saturation).
        negative_slope: float >= 0, the slope below the threshold.
        threshold: float, the threshold.

    # Input shape
        Arbitrary.

    # Output shape
        Same shape as the input.

    # Raises
        ValueError: for a negative `max_value` or `negative_slope`.
    """

    _rows_independent = True

    def __init__(self, max_value=None, negative_slope=0., threshold=0., **kwargs):
        super(ReLU, self).__init__(**kwargs)
        self.supports_masking = True
        self.max_value = (None if max_value is None else
                          layer_arguments.non_negative_number(self, 'max_value', max_value))
        self.negative_slope = layer_arguments.non_negative_number(self, 'negative_slope',
                                                                  negative_slope)
        self.threshold = layer_arguments.number(self, 'threshold', threshold)

    def call(self, inputs):
        return K.relu(inputs, alpha=self.negative_slope, max_value=self.max_value,
                      threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {'max_value': self.max_value, 'negative_slope': self.negative_slope,
                  'threshold': self.threshold}
        base_config = super(ReLU, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))
