"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Permute, RepeatVector, Lambda,
ActivityRegularization, Masking and the spatial dropouts."""
import copy
import types as python_types
import warnings

import numpy as np

from .. import backend as K
from ..backend import kernels
from .. import activations
from .. import initializers
from .. import regularizers
from .. import constraints
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec
from ..engine import shape_inference
from .._common import layer_arguments
from .._common.generic_utils import func_dump, func_load, has_arg
from .._common.serialization import (array_from_json, check_code_loading_allowed,
                                     deserialize_keras_object)
from ._legacy import (legacy_dense_support, legacy_dropout_support,
                      legacy_spatialdropout_support)


class Masking(Layer):
    """Masks timesteps whose features all equal `mask_value`.

    For each timestep of the input (axis 1), if every value equals `mask_value`, the timestep
    is masked (skipped) in all downstream layers that support masking.

    # Arguments
        mask_value: the value marking a timestep to skip.
    """

    _rows_independent = True

    def __init__(self, mask_value=0., **kwargs):
        super(Masking, self).__init__(**kwargs)
        self.supports_masking = True
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        return K.any(K.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = K.any(K.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return inputs * K.cast(keep, K.dtype(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {'mask_value': self.mask_value}
        base_config = super(Masking, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


def _in_test_phase(inputs):
    """Whether a layer called on `inputs` runs in the test phase for certain: a concrete
    tensor (a symbolic one records the phase-dependent op, decided at each run) while the
    learning phase is the test phase (a run of `predict` or `evaluate`, or one fixed with
    `set_learning_phase(0)`)."""
    phase = K.learning_phase()
    return type(phase) is int and phase == 0 and not isinstance(inputs, K.KerasTensor)


class Dropout(Layer):
    """Sets a fraction `rate` of input units to 0 at each update during training.

    # Arguments
        rate: float between 0 and 1, the fraction of the input units to drop.
        noise_shape: 1-D shape of the binary dropout mask broadcast over the input (`None`
            entries take the input's size), e.g. `(batch_size, 1, features)` to drop the same
            features at every timestep.
        seed: int, random seed.

    # Raises
        ValueError: for a `rate` outside [0, 1] (a rate of 1 leaves the input unchanged,
            as in Keras 2), or a `noise_shape` entry below 1.
        TypeError: for a `rate` that is not a number.
    """

    _rows_independent = True

    @legacy_dropout_support
    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super(Dropout, self).__init__(**kwargs)
        self.rate = layer_arguments.rate(self, 'rate', rate)
        layer_arguments.optional_shape(self, 'noise_shape', noise_shape)
        self.noise_shape = noise_shape
        self.seed = seed
        self.supports_masking = True
        self._uses_learning_phase = 0. < self.rate < 1.

    def _get_noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        shape = K.shape(inputs)
        return tuple(shape[axis] if size is None else size
                     for axis, size in enumerate(self.noise_shape))

    def call(self, inputs, training=None):
        if 0. < self.rate < 1.:
            if training is None and _in_test_phase(inputs):
                # What `K.in_train_phase` would select, without building the selection
                # (~12 Python calls per layer at every predict or evaluate batch).
                return inputs
            noise_shape = self._get_noise_shape(inputs)

            def dropped_inputs():
                return K.dropout(inputs, self.rate, noise_shape, seed=self.seed)
            return K.in_train_phase(dropped_inputs, inputs, training=training)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {'rate': self.rate, 'noise_shape': self.noise_shape, 'seed': self.seed}
        base_config = super(Dropout, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class SpatialDropout1D(Dropout):
    """Drops whole 1D feature maps (channels) instead of single elements.

    # Arguments
        rate: float between 0 and 1, the fraction of the channels to drop.

    # Input shape
        3D tensor `(samples, timesteps, channels)`.
    """

    @legacy_spatialdropout_support
    def __init__(self, rate, **kwargs):
        super(SpatialDropout1D, self).__init__(rate, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    def _get_noise_shape(self, inputs):
        shape = K.shape(inputs)
        return (shape[0], 1, shape[2])


class SpatialDropout2D(Dropout):
    """Drops whole 2D feature maps (channels) instead of single elements.

    # Arguments
        rate: float between 0 and 1, the fraction of the channels to drop.
        data_format: `'channels_first'` or `'channels_last'` (default from the config).
    """

    @legacy_spatialdropout_support
    def __init__(self, rate, data_format=None, **kwargs):
        super(SpatialDropout2D, self).__init__(rate, **kwargs)
        self.data_format = layer_arguments.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=4)

    def _get_noise_shape(self, inputs):
        shape = K.shape(inputs)
        if self.data_format == 'channels_first':
            return (shape[0], shape[1], 1, 1)
        return (shape[0], 1, 1, shape[3])

    def get_config(self):
        config = super(SpatialDropout2D, self).get_config()
        config['data_format'] = self.data_format
        return config


class SpatialDropout3D(Dropout):
    """Drops whole 3D feature maps (channels) instead of single elements.

    # Arguments
        rate: float between 0 and 1, the fraction of the channels to drop.
        data_format: `'channels_first'` or `'channels_last'` (default from the config).
    """

    @legacy_spatialdropout_support
    def __init__(self, rate, data_format=None, **kwargs):
        super(SpatialDropout3D, self).__init__(rate, **kwargs)
        self.data_format = layer_arguments.data_format(self, data_format)
        self.input_spec = InputSpec(ndim=5)

    def _get_noise_shape(self, inputs):
        shape = K.shape(inputs)
        if self.data_format == 'channels_first':
            return (shape[0], shape[1], 1, 1, 1)
        return (shape[0], 1, 1, 1, shape[4])

    def get_config(self):
        config = super(SpatialDropout3D, self).get_config()
        config['data_format'] = self.data_format
        return config


class Activation(Layer):
    """Applies an activation function to its input.

    # Arguments
        activation: name of an activation function (see `cornu.activations`) or a function.
    """

    _rows_independent = True

    def __init__(self, activation, **kwargs):
        super(Activation, self).__init__(**kwargs)
        self.supports_masking = True
        self.activation = layer_arguments.looked_up(self, 'activation', activations.get,
                                                    activation)

    def call(self, inputs):
        return self.activation(inputs)

    def _pre_activation(self, inputs):
        """The input of the activation (training fuses softmax into the loss)."""
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {'activation': activations.serialize(self.activation)}
        base_config = super(Activation, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


def _fix_unknown_dimension(input_shape, output_shape):
    """Replaces the one `-1` of `output_shape` by the size that keeps the element count."""
    output_shape = list(output_shape)
    msg = 'total size of new array must be unchanged'
    known, unknown = 1, None
    for index, dim in enumerate(output_shape):
        if dim < 0:
            if unknown is None:
                unknown = index
            else:
                raise ValueError('Can only specify one unknown dimension.')
        else:
            known *= dim
    original = int(np.prod(input_shape, dtype=np.int64))
    if unknown is not None:
        if known == 0 or original % known != 0:
            raise ValueError(msg)
        output_shape[unknown] = original // known
    elif original != known:
        raise ValueError(msg)
    return tuple(output_shape)


class Reshape(Layer):
    """Reshapes an output to a certain shape (the batch axis is kept).

    # Arguments
        target_shape: target shape, a tuple of ints without the batch axis; one entry may be
            `-1`, inferred from the others.
    """

    _rows_independent = True

    def __init__(self, target_shape, **kwargs):
        super(Reshape, self).__init__(**kwargs)
        self.target_shape = layer_arguments.target_shape(self, 'target_shape', target_shape)

    def compute_output_shape(self, input_shape):
        if None in input_shape[1:]:
            return (input_shape[0],) + tuple(s if s != -1 else None for s in self.target_shape)
        try:
            return (input_shape[0],) + _fix_unknown_dimension(input_shape[1:],
                                                              self.target_shape)
        except ValueError as error:
            raise ValueError('Layer ' + self.name + ': cannot reshape an input of shape ' +
                             str(input_shape[1:]) + ' to ' + str(self.target_shape) + ' (' +
                             str(error) + ').') from error

    def call(self, inputs):
        return K.reshape(inputs, (K.shape(inputs)[0],) + self.target_shape)

    def get_config(self):
        config = {'target_shape': self.target_shape}
        base_config = super(Reshape, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Permute(Layer):
    """Permutes the axes of the input (the batch axis stays first).

    # Arguments
        dims: tuple of ints, the permutation pattern, indexing from 1 (e.g. `(2, 1)`).
    """

    _rows_independent = True

    def __init__(self, dims, **kwargs):
        super(Permute, self).__init__(**kwargs)
        self.dims = layer_arguments.permutation(self, 'dims', dims)
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def compute_output_shape(self, input_shape):
        input_shape = list(input_shape)
        output_shape = copy.copy(input_shape)
        for i, dim in enumerate(self.dims):
            output_shape[i + 1] = input_shape[dim]
        return tuple(output_shape)

    def call(self, inputs):
        return K.permute_dimensions(inputs, (0,) + self.dims)

    def get_config(self):
        config = {'dims': self.dims}
        base_config = super(Permute, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Flatten(Layer):
    """Flattens the input (the batch axis is kept).

    # Arguments
        data_format: `'channels_first'` or `'channels_last'` (default from the config). With
            `channels_first` inputs are flattened in channels-last order, as Keras 2 does, so
            weights stay interchangeable between formats.
    """

    _rows_independent = True

    def __init__(self, data_format=None, **kwargs):
        super(Flatten, self).__init__(**kwargs)
        self.input_spec = InputSpec(min_ndim=3)
        self.data_format = layer_arguments.data_format(self, data_format)

    def compute_output_shape(self, input_shape):
        if not all(input_shape[1:]):
            raise ValueError('The shape of the input to "Flatten" is not fully defined (got ' +
                             str(input_shape[1:]) + '). Make sure to pass a complete '
                             '"input_shape" or "batch_input_shape" argument to the first layer '
                             'in your model.')
        return (input_shape[0], int(np.prod(input_shape[1:], dtype=np.int64)))

    def call(self, inputs):
        if self.data_format == 'channels_first':
            permutation = [0] + list(range(2, K.ndim(inputs))) + [1]
            inputs = K.permute_dimensions(inputs, permutation)
        return K.batch_flatten(inputs)

    def get_config(self):
        config = {'data_format': self.data_format}
        base_config = super(Flatten, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class RepeatVector(Layer):
    """Repeats the input `n` times: `(batch, features)` becomes `(batch, n, features)`.

    # Arguments
        n: integer, repetition factor.
    """

    _rows_independent = True

    def __init__(self, n, **kwargs):
        super(RepeatVector, self).__init__(**kwargs)
        self.n = layer_arguments.positive_int(self, 'n', n)
        self.input_spec = InputSpec(ndim=2)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs):
        return K.repeat(inputs, self.n)

    def get_config(self):
        config = {'n': self.n}
        base_config = super(RepeatVector, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Lambda(Layer):
    """Wraps an arbitrary expression as a layer.

    # Arguments
        function: the function to evaluate, taking the input tensor (or list of tensors) as
            first argument.
        output_shape: expected output shape: a tuple (without the batch axis) or a function
            of the input shape. When omitted, it is found by running the function.
        mask: a mask (tensor) or a function `(inputs, mask) -> mask` computing the output mask.
        arguments: optional dict of keyword arguments passed to the function.

    # Example
    ```python
    model.add(Lambda(lambda x: x ** 2))
    ```
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super(Lambda, self).__init__(**kwargs)
        if not callable(function):
            layer_arguments.refuse(self, 'function', function, 'a function (of the input '
                                   'tensor or list of tensors)', layer_arguments.ArgumentTypeError)
        self.function = function
        self.arguments = arguments if arguments else {}
        if mask is not None:
            self.supports_masking = True
        self.mask = mask
        if output_shape is not None and not isinstance(output_shape, (tuple, list)) and \
                not callable(output_shape):
            raise TypeError('In Lambda, `output_shape` must be a list, a tuple, or a '
                            'function.')
        self._output_shape = output_shape
        self._function_takes_mask = has_arg(function, 'mask')

    def _has_shape_formula(self):
        return self._output_shape is not None

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            if isinstance(input_shape, list):
                inputs = [K.KerasTensor(s) for s in input_shape]
            else:
                inputs = K.KerasTensor(input_shape)
            described = shape_inference.probe(self.call, (inputs,), {})
            if isinstance(described, list):
                return [spec[0] for spec in described]
            return described[0]
        if isinstance(self._output_shape, (tuple, list)):
            if isinstance(input_shape, list):
                num_samples = input_shape[0][0]
            else:
                num_samples = input_shape[0] if input_shape else None
            return (num_samples,) + tuple(self._output_shape)
        shape = self._output_shape(input_shape)
        if not isinstance(shape, (list, tuple)):
            raise ValueError('`output_shape` function must return a tuple or a list of tuples.')
        if isinstance(shape, list) and (not shape or isinstance(shape[0], int) or
                                        shape[0] is None):
            shape = tuple(shape)
        return shape

    def call(self, inputs, mask=None):
        arguments = self.arguments
        if self._function_takes_mask:
            arguments = dict(arguments, mask=mask)
        return self.function(inputs, **arguments)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        if isinstance(self.function, python_types.LambdaType):
            function = func_dump(self.function)
            function_type = 'lambda'
        else:
            function = self.function.__name__
            function_type = 'function'
        if isinstance(self._output_shape, python_types.LambdaType):
            output_shape = func_dump(self._output_shape)
            output_shape_type = 'lambda'
        elif callable(self._output_shape):
            output_shape = self._output_shape.__name__
            output_shape_type = 'function'
        else:
            output_shape = self._output_shape
            output_shape_type = 'raw'
        config = {'function': function, 'function_type': function_type,
                  'output_shape': output_shape, 'output_shape_type': output_shape_type,
                  'arguments': self.arguments}
        base_config = super(Lambda, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = config.copy()
        globs = globals()
        if custom_objects:
            globs = dict(list(globs.items()) + list(custom_objects.items()))

        def load(value, value_type, what):
            if value_type == 'function':
                return deserialize_keras_object(value, custom_objects=custom_objects,
                                                printable_module_name='function in Lambda '
                                                                      'layer')
            if value_type == 'lambda':
                check_code_loading_allowed(config.get('name', 'lambda'), what)
                return func_load(value, globs=globs)
            return value

        function = load(config['function'], config.pop('function_type'), 'function')
        output_shape_type = config.pop('output_shape_type', 'raw')
        output_shape = load(config.get('output_shape'), output_shape_type, 'output_shape')
        if 'arguments' in config:
            for key, arg in list(config['arguments'].items()):
                config['arguments'][key] = array_from_json(arg)
        config['function'] = function
        config['output_shape'] = output_shape
        return cls(**config)


# The activations that the dense kernel applies itself (`kernels.DENSE_ACTIVATIONS`), by
# the identity of Keras' functions: one Python call per layer and batch instead of the
# four of `activations.relu` -> `K.relu` -> the engine.
_DENSE_KERNEL_ACTIVATIONS = {id(activations.relu): 'relu', id(activations.sigmoid): 'sigmoid',
                             id(activations.tanh): 'tanh', id(activations.softmax): 'softmax'}
assert set(_DENSE_KERNEL_ACTIVATIONS.values()) <= kernels.DENSE_ACTIVATIONS


class Dense(Layer):
    """A densely-connected layer: `output = activation(dot(input, kernel) + bias)`.

    # Arguments
        units: positive integer, dimensionality of the output space.
        activation: activation function (default: none, i.e. linear).
        use_bias: whether the layer uses a bias vector.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, bias_constraint: constraints.

    # Input shape
        N-D tensor `(batch_size, ..., input_dim)`; a first layer may give `input_dim`.

    # Output shape
        N-D tensor `(batch_size, ..., units)`.

    # Raises
        ValueError: for `units` below 1 or not a whole number, or an unknown activation.
        TypeError: for `units` that is not a number.
    """

    _rows_independent = True

    @legacy_dense_support
    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer='glorot_uniform', bias_initializer='zeros',
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        if 'input_shape' not in kwargs and 'input_dim' in kwargs:
            kwargs['input_shape'] = (kwargs.pop('input_dim'),)
        super(Dense, self).__init__(**kwargs)
        self.units = layer_arguments.positive_int(self, 'units', units)
        self.activation = layer_arguments.looked_up(self, 'activation', activations.get,
                                                    activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError('Layer ' + self.name + ' (Dense) expects inputs of rank >= 2 '
                             '(batch, ..., features), got an input of shape ' +
                             str(input_shape) + '.')
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError('Layer ' + self.name + ' (Dense): the last dimension of its input '
                             'must be defined, got an input of shape ' + str(input_shape) + '.')
        self.kernel = self.add_weight(shape=(input_dim, self.units),
                                      initializer=self.kernel_initializer, name='kernel',
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                        name='bias', regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        # Read at every call: code may replace `layer.activation` after construction (to
        # take the logits of a trained classifier, say).
        activation = self.activation
        kernel_activation = _DENSE_KERNEL_ACTIVATIONS.get(id(activation))
        if kernel_activation is not None:
            return kernels.dense(inputs, self.kernel, self.bias, kernel_activation)
        output = kernels.dense(inputs, self.kernel, self.bias)
        if activation is activations.linear:
            return output
        return activation(output)

    def _pre_activation(self, inputs):
        """The layer's output before its activation (training fuses softmax into the loss)."""
        return kernels.dense(inputs, self.kernel, self.bias)

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        output_shape[-1] = self.units
        return tuple(output_shape)

    def get_config(self):
        config = {
            'units': self.units,
            'activation': activations.serialize(self.activation),
            'use_bias': self.use_bias,
            'kernel_initializer': initializers.serialize(self.kernel_initializer),
            'bias_initializer': initializers.serialize(self.bias_initializer),
            'kernel_regularizer': regularizers.serialize(self.kernel_regularizer),
            'bias_regularizer': regularizers.serialize(self.bias_regularizer),
            'activity_regularizer': regularizers.serialize(self.activity_regularizer),
            'kernel_constraint': constraints.serialize(self.kernel_constraint),
            'bias_constraint': constraints.serialize(self.bias_constraint),
        }
        base_config = super(Dense, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class ActivityRegularization(Layer):
    """Adds a penalty on the layer's input activity to the loss; passes the input through.

    # Arguments
        l1: L1 regularization factor (positive float).
        l2: L2 regularization factor (positive float).
    """

    def __init__(self, l1=0., l2=0., **kwargs):
        super(ActivityRegularization, self).__init__(**kwargs)
        self.supports_masking = True
        self.l1 = layer_arguments.non_negative_number(self, 'l1', l1)
        self.l2 = layer_arguments.non_negative_number(self, 'l2', l2)
        self.activity_regularizer = regularizers.L1L2(l1=l1, l2=l2)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {'l1': self.l1, 'l2': self.l2}
        base_config = super(ActivityRegularization, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))
