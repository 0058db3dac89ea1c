"""Weight initializers (Keras 2.2.4 `keras.initializers`).

An initializer is called with a shape (and optionally a dtype) and returns a tensor of that
shape on the backend's device, of dtype `K.floatx()` unless told otherwise. An initializer
given a `seed` returns the same values on every call.

Random initializers draw with NumPy (`cornu.backend.host_random`) whatever the engine, so the
same seed gives the same initial weights on PyTorch and on JAX; without a `seed`, each call
takes its seed from NumPy's global generator, so `np.random.seed(...)` at the top of a script
makes its initial weights reproducible. The numbers are those TensorFlow 1 drew for Keras 2
with the same seed (see `cornu.backend.host_random`).
"""
import numpy as np

from . import backend as K
from .backend import host_random
from ._common.serialization import (array_from_json, deserialize_keras_object,
                                    serialize_keras_object)

# Standard deviation of a standard normal truncated to [-2, 2]
# (scipy.stats.truncnorm.std(a=-2, b=2)): dividing by it gives the truncated draw the
# variance the Keras 2 formulas ask for.
_TRUNCATED_NORMAL_STDDEV = .87962566103423978


class Initializer(object):
    """Base class of all initializers.

    Subclasses implement `__call__(shape, dtype=None)` and, when they take arguments,
    `get_config`.
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        """Returns the constructor arguments as a JSON-compatible dictionary."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Builds an initializer from `get_config`'s output.

        A `dtype` entry (written by `tf.keras`) is ignored; NumPy arrays saved in a file (a
        `Constant` holding one) come back as arrays.
        """
        config = {key: array_from_json(value) for key, value in config.items()}
        config.pop('dtype', None)
        return cls(**config)


class Zeros(Initializer):
    """Initializer that generates tensors of zeros."""

    def __call__(self, shape, dtype=None):
        return K.constant(0, shape=shape, dtype=dtype)


class Ones(Initializer):
    """Initializer that generates tensors of ones."""

    def __call__(self, shape, dtype=None):
        return K.constant(1, shape=shape, dtype=dtype)


class Constant(Initializer):
    """Initializer that generates tensors filled with a constant.

    # Arguments
        value: float, the value of every entry (or a NumPy array of the shape asked for,
            copied: changing the array afterwards does not change the initializer).
    """

    def __init__(self, value=0):
        self.value = np.array(value) if isinstance(value, np.ndarray) else value

    def __call__(self, shape, dtype=None):
        return K.constant(self.value, shape=shape, dtype=dtype)

    def get_config(self):
        return {'value': self.value}


class RandomNormal(Initializer):
    """Initializer that draws from a normal distribution.

    # Arguments
        mean: mean of the distribution.
        stddev: standard deviation of the distribution.
        seed: integer seed; the same seed gives the same values.
    """

    def __init__(self, mean=0., stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed

    def __call__(self, shape, dtype=None):
        values = host_random.normal(shape, self.mean, self.stddev,
                                    host_random.draw_dtype(dtype), self.seed)
        return K.constant(values, dtype=dtype)

    def get_config(self):
        return {'mean': self.mean, 'stddev': self.stddev, 'seed': self.seed}


class RandomUniform(Initializer):
    """Initializer that draws from a uniform distribution over `[minval, maxval)`.

    # Arguments
        minval: lower bound of the range.
        maxval: upper bound of the range.
        seed: integer seed; the same seed gives the same values.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        self.seed = seed

    def __call__(self, shape, dtype=None):
        values = host_random.uniform(shape, self.minval, self.maxval,
                                     host_random.draw_dtype(dtype), self.seed)
        return K.constant(values, dtype=dtype)

    def get_config(self):
        return {'minval': self.minval, 'maxval': self.maxval, 'seed': self.seed}


class TruncatedNormal(Initializer):
    """Initializer that draws from a normal distribution truncated to two standard deviations.

    Values further than `2 * stddev` from the mean are drawn again. This is the recommended
    initializer for weights and filters.

    # Arguments
        mean: mean of the (untruncated) distribution.
        stddev: standard deviation of the (untruncated) distribution.
        seed: integer seed; the same seed gives the same values.
    """

    def __init__(self, mean=0., stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed

    def __call__(self, shape, dtype=None):
        values = host_random.truncated_normal(shape, self.mean, self.stddev,
                                              host_random.draw_dtype(dtype), self.seed)
        return K.constant(values, dtype=dtype)

    def get_config(self):
        return {'mean': self.mean, 'stddev': self.stddev, 'seed': self.seed}


def _compute_fans(shape, data_format='channels_last'):
    """Numbers of input and output units of a weight of the given shape.

    # Arguments
        shape: the weight's shape. 2-D: `(fan_in, fan_out)`. 3-D to 5-D: a convolution
            kernel, `(*spatial, input_channels, output_channels)` for channels_last (the
            layout of every Keras kernel), or `(output_channels, input_channels, *spatial)`
            for channels_first; each fan is multiplied by the receptive field size. Other
            ranks: both fans are `sqrt(prod(shape))`.
        data_format: layout of convolution kernels.

    # Returns
        A tuple `(fan_in, fan_out)`.
    """
    if len(shape) == 2:
        fan_in, fan_out = shape[0], shape[1]
    elif len(shape) in (3, 4, 5):
        if data_format == 'channels_first':
            receptive_field_size = np.prod(shape[2:])
            fan_in = shape[1] * receptive_field_size
            fan_out = shape[0] * receptive_field_size
        elif data_format == 'channels_last':
            receptive_field_size = np.prod(shape[:-2])
            fan_in = shape[-2] * receptive_field_size
            fan_out = shape[-1] * receptive_field_size
        else:
            raise ValueError('Invalid data_format: ' + str(data_format))
    else:
        fan_in = np.sqrt(np.prod(shape))
        fan_out = np.sqrt(np.prod(shape))
    return fan_in, fan_out


class VarianceScaling(Initializer):
    """Initializer that scales its distribution to the weight's shape.

    With `n` the number of input units (`mode='fan_in'`), of output units (`'fan_out'`) or
    their average (`'fan_avg'`):

    - `distribution='normal'`: a normal truncated to two standard deviations, centred on 0,
      scaled so that its standard deviation is `sqrt(scale / n)`;
    - `distribution='uniform'`: uniform within `[-limit, limit]`,
      `limit = sqrt(3 * scale / n)`.

    # Arguments
        scale: positive float, scaling factor.
        mode: one of `'fan_in'`, `'fan_out'`, `'fan_avg'`.
        distribution: `'normal'` or `'uniform'`.
        seed: integer seed; the same seed gives the same values.

    # Raises
        ValueError: for a non-positive `scale` or an unknown `mode` or `distribution`.
    """

    def __init__(self, scale=1.0, mode='fan_in', distribution='normal', seed=None):
        if scale <= 0.:
            raise ValueError('`scale` must be a positive float. Got: %s' % (scale,))
        mode = mode.lower()
        if mode not in ('fan_in', 'fan_out', 'fan_avg'):
            raise ValueError('Invalid `mode` argument: expected one of '
                             '{"fan_in", "fan_out", "fan_avg"} but got %r' % (mode,))
        distribution = distribution.lower()
        if distribution not in ('normal', 'uniform'):
            raise ValueError('Invalid `distribution` argument: expected one of '
                             '{"normal", "uniform"} but got %r' % (distribution,))
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.seed = seed

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = _compute_fans(shape)
        scale = self.scale
        if self.mode == 'fan_in':
            scale /= max(1., fan_in)
        elif self.mode == 'fan_out':
            scale /= max(1., fan_out)
        else:
            scale /= max(1., float(fan_in + fan_out) / 2)
        if self.distribution == 'normal':
            stddev = np.sqrt(scale) / _TRUNCATED_NORMAL_STDDEV
            values = host_random.truncated_normal(shape, 0., stddev,
                                                  host_random.draw_dtype(dtype), self.seed)
        else:
            limit = np.sqrt(3. * scale)
            values = host_random.uniform(shape, -limit, limit, host_random.draw_dtype(dtype),
                                         self.seed)
        return K.constant(values, dtype=dtype)

    def get_config(self):
        return {'scale': self.scale, 'mode': self.mode, 'distribution': self.distribution,
                'seed': self.seed}


class Orthogonal(Initializer):
    """Initializer that generates a random orthogonal matrix.

    The weight is viewed as a matrix `(prod(shape[:-1]), shape[-1])`; its rows or columns
    (whichever are fewer) are orthonormal, from the SVD of a standard normal matrix drawn
    with NumPy (seeded by `seed`, else by NumPy's global generator), times `gain`.

    # Arguments
        gain: multiplicative factor.
        seed: integer seed; the same seed gives the same values.

    # References
        - [Exact solutions to the nonlinear dynamics of learning in deep linear neural
           networks](http://arxiv.org/abs/1312.6120)
    """

    def __init__(self, gain=1., seed=None):
        self.gain = gain
        self.seed = seed

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        num_rows = 1
        for dim in shape[:-1]:
            num_rows *= dim
        num_cols = shape[-1]
        flat_shape = (num_rows, num_cols)
        rng = np.random if self.seed is None else np.random.RandomState(self.seed)
        a = rng.normal(0.0, 1.0, flat_shape)
        u, _, v = np.linalg.svd(a, full_matrices=False)
        # The factor with the requested shape: u for tall matrices, v for wide ones.
        q = u if u.shape == flat_shape else v
        q = q.reshape(shape)
        return K.constant(self.gain * q[:shape[0], :shape[1]], dtype=dtype)

    def get_config(self):
        return {'gain': self.gain, 'seed': self.seed}


class Identity(Initializer):
    """Initializer that generates the identity matrix, times `gain`.

    Only for 2-D weights. A non-square matrix whose long side is a multiple of its short
    side is made of identity matrices stacked along the long side: a recurrent kernel
    `(units, 3 * units)` gets one identity per gate.

    # Arguments
        gain: multiplicative factor.

    # Raises
        ValueError: (when called) for a shape that is not 2-D, or whose long side is not a
            multiple of its short side.
    """

    def __init__(self, gain=1.):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError('Identity matrix initializer can only be used for 2D matrices; '
                             'got shape %s.' % (tuple(shape),))
        rows, cols = int(shape[0]), int(shape[1])
        short = min(rows, cols)
        if short == 0 or max(rows, cols) % short != 0:
            raise ValueError('Identity matrix initializer: the long side of shape %s must be '
                             'a multiple of its short side.' % (tuple(shape),))
        blocks = np.eye(short)
        # One identity block per multiple of the short side, along the long side.
        matrix = np.tile(blocks, (rows // short, cols // short))
        return K.constant(self.gain * matrix, dtype=dtype)

    def get_config(self):
        return {'gain': self.gain}


def lecun_uniform(seed=None):
    """LeCun uniform initializer: uniform within `[-limit, limit]`, `limit = sqrt(3 / fan_in)`.

    # Arguments
        seed: integer seed.

    # Returns
        An initializer.

    # References
        - [Efficient BackProp](http://yann.lecun.com/exdb/publis/pdf/lecun-98b.pdf)
    """
    return VarianceScaling(scale=1., mode='fan_in', distribution='uniform', seed=seed)


def glorot_normal(seed=None):
    """Glorot (Xavier) normal initializer: truncated normal, `stddev = sqrt(2 / (fan_in +
    fan_out))`.

    # Arguments
        seed: integer seed.

    # Returns
        An initializer.

    # References
        - [Understanding the difficulty of training deep feedforward neural
           networks](http://jmlr.org/proceedings/papers/v9/glorot10a/glorot10a.pdf)
    """
    return VarianceScaling(scale=1., mode='fan_avg', distribution='normal', seed=seed)


def glorot_uniform(seed=None):
    """Glorot (Xavier) uniform initializer: uniform within `[-limit, limit]`,
    `limit = sqrt(6 / (fan_in + fan_out))`.

    # Arguments
        seed: integer seed.

    # Returns
        An initializer.

    # References
        - [Understanding the difficulty of training deep feedforward neural
           networks](http://jmlr.org/proceedings/papers/v9/glorot10a/glorot10a.pdf)
    """
    return VarianceScaling(scale=1., mode='fan_avg', distribution='uniform', seed=seed)


def he_normal(seed=None):
    """He normal initializer: truncated normal, `stddev = sqrt(2 / fan_in)`.

    # Arguments
        seed: integer seed.

    # Returns
        An initializer.

    # References
        - [Delving Deep into Rectifiers](http://arxiv.org/abs/1502.01852)
    """
    return VarianceScaling(scale=2., mode='fan_in', distribution='normal', seed=seed)


def lecun_normal(seed=None):
    """LeCun normal initializer: truncated normal, `stddev = sqrt(1 / fan_in)`.

    # Arguments
        seed: integer seed.

    # Returns
        An initializer.

    # References
        - [Self-Normalizing Neural Networks](https://arxiv.org/abs/1706.02515)
        - [Efficient BackProp](http://yann.lecun.com/exdb/publis/pdf/lecun-98b.pdf)
    """
    return VarianceScaling(scale=1., mode='fan_in', distribution='normal', seed=seed)


def he_uniform(seed=None):
    """He uniform initializer: uniform within `[-limit, limit]`, `limit = sqrt(6 / fan_in)`.

    # Arguments
        seed: integer seed.

    # Returns
        An initializer.

    # References
        - [Delving Deep into Rectifiers](http://arxiv.org/abs/1502.01852)
    """
    return VarianceScaling(scale=2., mode='fan_in', distribution='uniform', seed=seed)


# Compatibility aliases, as in Keras 2.
zero = zeros = Zeros
one = ones = Ones
constant = Constant
uniform = random_uniform = RandomUniform
normal = random_normal = RandomNormal
truncated_normal = TruncatedNormal
identity = Identity
orthogonal = Orthogonal

# What `deserialize` and `get` may name: the classes, the factory functions and the aliases.
_INITIALIZERS = {
    'Initializer': Initializer, 'Zeros': Zeros, 'Ones': Ones, 'Constant': Constant,
    'RandomNormal': RandomNormal, 'RandomUniform': RandomUniform,
    'TruncatedNormal': TruncatedNormal, 'VarianceScaling': VarianceScaling,
    'Orthogonal': Orthogonal, 'Identity': Identity,
    'lecun_uniform': lecun_uniform, 'glorot_normal': glorot_normal,
    'glorot_uniform': glorot_uniform, 'he_normal': he_normal, 'lecun_normal': lecun_normal,
    'he_uniform': he_uniform,
    'zero': zero, 'zeros': zeros, 'one': one, 'ones': ones, 'constant': constant,
    'uniform': uniform, 'random_uniform': random_uniform, 'normal': normal,
    'random_normal': random_normal, 'truncated_normal': truncated_normal,
    'identity': identity, 'orthogonal': orthogonal,
}


def serialize(initializer):
    """Returns the config of an initializer (`{'class_name': ..., 'config': ...}`)."""
    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    """Builds an initializer from a config dictionary or returns the one named.

    # Arguments
        config: `{'class_name': ..., 'config': ...}` or a name.
        custom_objects: optional dictionary of user initializers.

    # Raises
        ValueError: `Unknown initializer: <name>`.
    """
    return deserialize_keras_object(config, module_objects=_INITIALIZERS,
                                    custom_objects=custom_objects,
                                    printable_module_name='initializer')


def get(identifier):
    """Resolves an initializer argument (`kernel_initializer=...`).

    # Arguments
        identifier: a config dictionary, a name (`'glorot_uniform'`, `'zeros'`, ...), or a
            callable (returned as is).

    # Returns
        An initializer.

    # Raises
        ValueError: for an unknown name or an identifier of another type.
    """
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({'class_name': str(identifier), 'config': {}})
    if callable(identifier):
        return identifier
    raise ValueError('Could not interpret initializer identifier: ' + str(identifier))
