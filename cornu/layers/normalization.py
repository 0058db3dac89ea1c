"""Normalization layers: BatchNormalization."""
from .. import backend as K
from ..backend import kernels
from .. import initializers
from .. import regularizers
from .. import constraints
from .._common import layer_arguments
from ..engine.base_layer import Layer
from ..engine.network import in_frozen_network
from ..engine.input_spec import InputSpec
from ..engine.state_update import StateUpdate
from ._legacy import legacy_interface


def _in_training_run():
    """Whether the current learning phase is the training phase (a `fit` step, or a
    `K.function` fed with learning phase 1)."""
    phase = K.learning_phase()
    return not kernels.is_symbolic(phase) and bool(phase)


def _drop_keras1_mode(args, kwargs):
    converted = []
    if 'mode' in kwargs:
        if kwargs.pop('mode') != 0:
            raise TypeError('The `mode` argument of `BatchNormalization` no longer exists. '
                            '`mode=1` and `mode=2` are no longer supported.')
        converted.append(('mode', None))
    return args, kwargs, converted


# Keras 1 argument names, converted with a warning as Keras 2.2.4 did.
_legacy_batchnorm_support = legacy_interface(
    conversions=[('beta_init', 'beta_initializer'), ('gamma_init', 'gamma_initializer')],
    preprocessor=_drop_keras1_mode)


class BatchNormalization(Layer):
    """Batch normalization layer (Ioffe and Szegedy, 2014).

    Normalizes the activations of the previous layer at each batch, i.e. applies a
    transformation that keeps the mean activation close to 0 and the activation standard
    deviation close to 1.

    In the training phase the batch is normalized with its own mean and variance, and the
    moving statistics are updated with `K.moving_average_update`:
    `moving = momentum * moving + (1 - momentum) * batch_statistic`, where the batch
    variance is made unbiased with the factor `n / (n - (1 + epsilon))` (`n` values per
    feature), as Keras 2.2.4 does. In the test phase (evaluate, predict, or when called with
    `training=False`) the moving statistics are used and nothing is updated.

    A layer with `trainable = False` behaves as in Keras 2.2.4: in the training phase it
    still normalizes with the batch statistics, but its moving statistics are not updated
    (Keras 2.2.4 drops the updates of non-trainable layers from the training step).

    The moving statistics change as the training step runs (a `fit` step, or a `K.function`
    fed learning phase 1), never in evaluate or predict. Each call on symbolic tensors
    (unless fixed to the test phase with `training=False`) lists two `StateUpdate`s, for the
    moving mean and the moving variance, in `layer.updates` and `get_updates_for(inputs)`:
    records of what the layer assigns as it runs, nothing left to run. Keras 2.2.4 on TensorFlow zero-debiased these averages; `K.moving_average_update`
    computes the plain average above, as Keras 2.2.4 did on Theano and CNTK.

    # Arguments
        axis: integer, the axis that should be normalized (typically the features axis).
            For instance, after a `Conv2D` layer with `data_format="channels_first"`, set
            `axis=1`.
        momentum: momentum of the moving mean and the moving variance.
        epsilon: small float added to the variance to avoid dividing by zero.
        center: if True, add the offset `beta` to the normalized tensor; if False, `beta`
            is not used.
        scale: if True, multiply by `gamma`; if False, `gamma` is not used. When the next
            layer is linear (also e.g. `relu`), this can be disabled since the scaling will
            be done by the next layer.
        beta_initializer: initializer of the beta weight.
        gamma_initializer: initializer of the gamma weight.
        moving_mean_initializer: initializer of the moving mean.
        moving_variance_initializer: initializer of the moving variance.
        beta_regularizer: optional regularizer of the beta weight.
        gamma_regularizer: optional regularizer of the gamma weight.
        beta_constraint: optional constraint on the beta weight.
        gamma_constraint: optional constraint on the gamma weight.

    # Input shape
        Arbitrary. Use the keyword argument `input_shape` (tuple of integers, without the
        samples axis) when using this layer as the first layer in a model.

    # Output shape
        Same shape as the input.

    # References
        - [Batch Normalization: Accelerating Deep Network Training by Reducing Internal
           Covariate Shift](https://arxiv.org/abs/1502.03167)
    """

    _rows_independent = True

    # Under a mixed policy the statistics are computed in float32 (half precision loses the
    # small variances), and the moving statistics stay float32 variables.
    _computes_in_float32 = True

    @_legacy_batchnorm_support
    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer='zeros', gamma_initializer='ones',
                 moving_mean_initializer='zeros', moving_variance_initializer='ones',
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super(BatchNormalization, self).__init__(**kwargs)
        self.supports_masking = True
        self._uses_learning_phase = True
        self.axis = layer_arguments.axis(self, 'axis', axis)
        self.momentum = layer_arguments.rate(self, 'momentum', momentum)
        self.epsilon = layer_arguments.non_negative_number(self, 'epsilon', epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError('Layer ' + self.name + ' (BatchNormalization): axis ' +
                             str(self.axis) + ' is out of range for an input of shape ' +
                             str(input_shape) + '.')
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError('Axis ' + str(self.axis) + ' of input tensor should have a '
                             'defined dimension but the layer received an input with shape ' +
                             str(input_shape) + '.')
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: dim})
        shape = (dim,)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name='gamma',
                                         initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        else:
            self.gamma = None
        if self.center:
            self.beta = self.add_weight(shape=shape, name='beta',
                                        initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        else:
            self.beta = None
        self.moving_mean = self.add_weight(shape=shape, name='moving_mean',
                                           initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight(shape=shape, name='moving_variance',
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)
        # Worked out once: the reduction axes, and whether the statistics must be reshaped
        # to broadcast (features axis not last).
        axis = self.axis % ndim
        self._reduction_axes = [i for i in range(ndim) if i != axis]
        self._broadcast_shape = [1] * ndim
        self._broadcast_shape[axis] = dim
        self._needs_broadcasting = axis != ndim - 1
        self.built = True

    def _broadcast(self, weight):
        if weight is None or not self._needs_broadcasting:
            return weight
        return K.reshape(weight, self._broadcast_shape)

    def _normalize_inference(self, inputs):
        return K.batch_normalization(inputs, self._broadcast(self.moving_mean),
                                     self._broadcast(self.moving_variance),
                                     self._broadcast(self.beta), self._broadcast(self.gamma),
                                     axis=self.axis, epsilon=self.epsilon)

    def _normalize_training(self, inputs):
        normed, mean, variance = K.normalize_batch_in_training(
            inputs, self.gamma, self.beta, self._reduction_axes, epsilon=self.epsilon)
        if self.trainable and _in_training_run() and not in_frozen_network():
            shape = K.int_shape(inputs)
            sample_size = 1.
            for axis in self._reduction_axes:
                sample_size *= shape[axis]
            # The unbiased estimate of the population variance, with Keras 2.2.4's factor.
            variance = variance * (sample_size / (sample_size - (1.0 + self.epsilon)))
            K.moving_average_update(self.moving_mean, mean, self.momentum)
            K.moving_average_update(self.moving_variance, variance, self.momentum)
        return normed

    def call(self, inputs, training=None):
        if training is None:
            training = K.learning_phase()
            if kernels.is_symbolic(training):
                # Outside any run the phase is undecided: Keras 2 defaults to the test phase.
                training = 0
        if K.is_tensor(training):
            # A tensor-valued phase selects per call.
            return K.in_train_phase(lambda: self._normalize_training(inputs),
                                    lambda: self._normalize_inference(inputs),
                                    training=training)
        if training:
            return self._normalize_training(inputs)
        return self._normalize_inference(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def _call_updates(self, inputs, kwargs):
        """The moving mean's and the moving variance's updates, unless the call is fixed
        to the test phase (`training=False`)."""
        training = kwargs.get('training')
        if training is not None and not K.is_tensor(training) and \
                not kernels.is_symbolic(training) and not training:
            return []
        return [StateUpdate(self.moving_mean, self, 'moving average', inputs),
                StateUpdate(self.moving_variance, self, 'moving average', inputs)]

    def computes_rows_independently(self, training):
        """Not while training, nor where it was called with `training=True` (batch
        statistics even in predict): the batch statistics mix the rows (see `Layer`)."""
        forced = any(node.arguments.get('training') not in (None, False, 0)
                     for node in self._inbound_nodes)
        return not training and not forced and super().computes_rows_independently(training)

    def get_config(self):
        config = {
            'axis': self.axis,
            'momentum': self.momentum,
            'epsilon': self.epsilon,
            'center': self.center,
            'scale': self.scale,
            'beta_initializer': initializers.serialize(self.beta_initializer),
            'gamma_initializer': initializers.serialize(self.gamma_initializer),
            'moving_mean_initializer': initializers.serialize(self.moving_mean_initializer),
            'moving_variance_initializer':
                initializers.serialize(self.moving_variance_initializer),
            'beta_regularizer': regularizers.serialize(self.beta_regularizer),
            'gamma_regularizer': regularizers.serialize(self.gamma_regularizer),
            'beta_constraint': constraints.serialize(self.beta_constraint),
            'gamma_constraint': constraints.serialize(self.gamma_constraint),
        }
        base_config = super(BatchNormalization, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))
