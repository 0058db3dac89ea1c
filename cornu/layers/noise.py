"""Regularization layers that add noise in the training phase: GaussianNoise,
GaussianDropout, AlphaDropout."""
import numpy as np

from .. import backend as K
from .._common import layer_arguments
from ..engine.base_layer import Layer
from ._legacy import legacy_interface

# The SELU constants (Klambauer et al., 2017).
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

# Keras 1 argument names, converted with a warning as Keras 2.2.4 did.
_legacy_gaussiannoise_support = legacy_interface(allowed_positional_args=['stddev'],
                                                 conversions=[('sigma', 'stddev')])
_legacy_gaussiandropout_support = legacy_interface(allowed_positional_args=['rate'],
                                                   conversions=[('p', 'rate')])


def _with_seed(config, seed):
    # Keras 2.2.4's configurations of these layers have no `seed`: it is written only when
    # set, so that files of unseeded layers still load in Keras 2.2.4.
    if seed is not None:
        config['seed'] = seed
    return config


class GaussianNoise(Layer):
    """Applies additive zero-centered Gaussian noise.

    Useful to mitigate overfitting (a form of random data augmentation). As a regularization
    layer, it is only active at training time; at test time it returns its input.

    # Arguments
        stddev: float, standard deviation of the noise distribution.
        seed: integer, random seed (an argument of later Keras versions, read from their
            files; `None`: unseeded, as in Keras 2.2.4).

    # Input shape
        Arbitrary.

    # Output shape
        Same shape as the input.
    """

    _rows_independent = True

    @_legacy_gaussiannoise_support
    def __init__(self, stddev, seed=None, **kwargs):
        super(GaussianNoise, self).__init__(**kwargs)
        self.supports_masking = True
        self.stddev = layer_arguments.non_negative_number(self, 'stddev', stddev)
        self.seed = seed
        self._uses_learning_phase = True

    def call(self, inputs, training=None):
        def noised():
            return inputs + K.random_normal(shape=K.shape(inputs), mean=0.,
                                            stddev=self.stddev, dtype=K.dtype(inputs),
                                            seed=self.seed)
        return K.in_train_phase(noised, inputs, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = _with_seed({'stddev': self.stddev}, self.seed)
        base_config = super(GaussianNoise, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class GaussianDropout(Layer):
    """Applies multiplicative 1-centered Gaussian noise.

    The noise has standard deviation `sqrt(rate / (1 - rate))`. As a regularization layer, it
    is only active at training time.

    # Arguments
        rate: float, drop probability (as with `Dropout`).
        seed: integer, random seed (an argument of later Keras versions, read from their
            files; `None`: unseeded, as in Keras 2.2.4).

    # Input shape
        Arbitrary.

    # Output shape
        Same shape as the input.

    # References
        - [Dropout: A Simple Way to Prevent Neural Networks from Overfitting](
           http://www.cs.toronto.edu/~rsalakhu/papers/srivastava14a.pdf)
    """

    _rows_independent = True

    @_legacy_gaussiandropout_support
    def __init__(self, rate, seed=None, **kwargs):
        super(GaussianDropout, self).__init__(**kwargs)
        self.supports_masking = True
        self.rate = layer_arguments.rate(self, 'rate', rate)
        self.seed = seed
        self._uses_learning_phase = 0 < rate < 1

    def call(self, inputs, training=None):
        if 0 < self.rate < 1:
            def noised():
                stddev = float(np.sqrt(self.rate / (1.0 - self.rate)))
                return inputs * K.random_normal(shape=K.shape(inputs), mean=1.0,
                                                stddev=stddev, dtype=K.dtype(inputs),
                                                seed=self.seed)
            return K.in_train_phase(noised, inputs, training=training)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = _with_seed({'rate': self.rate}, self.seed)
        base_config = super(GaussianDropout, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class AlphaDropout(Layer):
    """Applies Alpha Dropout to the input.

    Alpha Dropout keeps the mean and variance of its inputs at their original values, so
    that the self-normalizing property of SELU networks holds after dropout: dropped units
    are set to the SELU saturation value `-alpha * scale` and the result goes through an
    affine correction `a * x + b`. It is only active at training time.

    # Arguments
        rate: float, drop probability (as with `Dropout`). The multiplicative noise has
            standard deviation `sqrt(rate / (1 - rate))`.
        noise_shape: 1-D shape of the binary keep/drop mask, broadcast over the input
            (`None`: the input's shape; `None` entries take the input's size).
        seed: integer, random seed.

    # Input shape
        Arbitrary.

    # Output shape
        Same shape as the input.

    # References
        - [Self-Normalizing Neural Networks](https://arxiv.org/abs/1706.02515)
    """

    _rows_independent = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super(AlphaDropout, self).__init__(**kwargs)
        self.rate = layer_arguments.rate(self, 'rate', rate)
        layer_arguments.optional_shape(self, 'noise_shape', noise_shape)
        self.noise_shape = noise_shape
        self.seed = seed
        self.supports_masking = True
        self._uses_learning_phase = 0. < rate < 1.

    def _get_noise_shape(self, inputs):
        if not self.noise_shape:
            return K.shape(inputs)
        # `None` entries take the input's size, as with `Dropout`.
        shape = K.shape(inputs)
        return tuple(shape[axis] if size is None else size
                     for axis, size in enumerate(self.noise_shape))

    def call(self, inputs, training=None):
        if 0. < self.rate < 1.:
            noise_shape = self._get_noise_shape(inputs)
            rate = self.rate

            def dropped_inputs():
                alpha_p = -_SELU_ALPHA * _SELU_SCALE
                kept = K.greater_equal(K.random_uniform(noise_shape, seed=self.seed,
                                                        dtype=K.dtype(inputs)), rate)
                kept = K.cast(kept, K.dtype(inputs))
                # The affine correction that restores zero mean and unit variance.
                a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
                b = -a * alpha_p * rate
                x = inputs * kept + alpha_p * (1 - kept)
                return a * x + b
            return K.in_train_phase(dropped_inputs, inputs, training=training)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {'rate': self.rate, 'noise_shape': self.noise_shape, 'seed': self.seed}
        base_config = super(AlphaDropout, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))
