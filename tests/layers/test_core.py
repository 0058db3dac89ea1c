"""Core layers against NumPy references: static output shapes agree with the computed outputs
and with `compute_output_shape`, and configurations survive `from_config`."""
import numpy as np
import pytest

from cornu import constraints, regularizers
from cornu.backend.run_context import run_context
from cornu.engine.base_layer import Layer
from cornu.layers import (Activation, ActivityRegularization, Dense, Dropout, Flatten, Input,
                          Lambda, Masking, Permute, RepeatVector, Reshape, SpatialDropout1D,
                          SpatialDropout2D, SpatialDropout3D)
from cornu.models import Model


def _apply(K, layer, x, input_shape=None):
    """Runs `layer` alone in a model on `x`; checks its static output shape; returns the output."""
    input_shape = tuple(x.shape[1:]) if input_shape is None else input_shape
    inputs = Input(shape=input_shape)
    outputs = layer(inputs)
    out = Model(inputs, outputs).predict(x)
    static = K.int_shape(outputs)
    assert static == tuple(layer.compute_output_shape((None,) + input_shape))
    assert layer.output_shape == static
    assert static[0] is None and len(static) == out.ndim
    assert all(s is None or s == o for s, o in zip(static[1:], out.shape[1:])), (static, out.shape)
    return out


def _round_trip(layer):
    config = layer.get_config()
    clone = layer.__class__.from_config(config)
    assert clone.get_config() == config
    return clone


def _train_phase(K, layer, x):
    """The layer's output in the training phase (K.function fed learning phase 1)."""
    inputs = Input(shape=x.shape[1:])
    outputs = layer(inputs)
    return K.function([inputs, K.learning_phase()], [outputs])([x, 1])[0]


# ---------------------------------------------------------------------------- Dense

def test_dense_2d(backend):
    K = backend
    layer = Dense(3, activation='relu')
    x = np.random.randn(4, 5).astype('float32')
    out = _apply(K, layer, x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (5, 3) and bias.shape == (3,)
    np.testing.assert_array_equal(bias, np.zeros(3))
    np.testing.assert_allclose(out, np.maximum(x.dot(kernel), 0.), rtol=1e-5, atol=1e-6)
    assert out.min() == 0.  # relu really applied


def test_dense_nd_input(backend):
    K = backend
    layer = Dense(3, activation='softmax', bias_initializer='ones')
    x = np.random.randn(2, 4, 5).astype('float32')
    out = _apply(K, layer, x)
    assert out.shape == (2, 4, 3)
    kernel, bias = layer.get_weights()
    logits = np.dot(x, kernel) + bias
    expected = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)

    layer4 = Dense(2, use_bias=False)
    x4 = np.random.randn(2, 3, 2, 4).astype('float32')
    out4 = _apply(K, layer4, x4)
    assert len(layer4.get_weights()) == 1
    np.testing.assert_allclose(out4, np.dot(x4, layer4.get_weights()[0]), rtol=1e-5,
                               atol=1e-6)


def _numpy_activation(name, z):
    if name == 'relu':
        return np.maximum(z, 0.)
    if name == 'sigmoid':
        return 1. / (1. + np.exp(-z))
    if name == 'tanh':
        return np.tanh(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize('name', ['relu', 'sigmoid', 'tanh', 'softmax'])
@pytest.mark.parametrize('shape', [(6, 5), (2, 3, 5)])
def test_dense_activations_that_the_kernel_applies(backend, name, shape):
    # The dense kernel applies these four itself: the same values, and gradients, as the
    # activation functions give.
    K = backend
    rng = np.random.RandomState(3)
    x = rng.randn(*shape).astype('float32')
    layer = Dense(4, activation=name, bias_initializer='ones')
    out = _apply(K, layer, x, input_shape=shape[1:])
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, _numpy_activation(name, np.dot(x, kernel) + bias),
                               rtol=1e-5, atol=1e-6)

    # The gradient of sum(output * weights) with respect to the kernel, against NumPy's.
    weights = rng.randn(*(shape[:-1] + (4,))).astype('float32')
    inputs, upstream_weights = Input(shape=shape[1:]), Input(shape=weights.shape[1:])
    output = layer(inputs)
    gradient, = K.gradients(K.sum(output * upstream_weights), [layer.kernel])
    computed = K.function([inputs, upstream_weights], [gradient])([x, weights])[0]
    z = np.dot(x, kernel) + bias
    y = _numpy_activation(name, z)
    if name == 'relu':
        upstream = weights * (z > 0)
    elif name == 'sigmoid':
        upstream = weights * y * (1. - y)
    elif name == 'tanh':
        upstream = weights * (1. - y ** 2)
    else:
        upstream = y * (weights - (weights * y).sum(axis=-1, keepdims=True))
    expected = np.dot(x.reshape(-1, 5).T, upstream.reshape(-1, 4))
    np.testing.assert_allclose(computed, expected, rtol=1e-4, atol=1e-5)


def test_dense_activation_set_after_construction(backend):
    # As in Keras 2, `call` reads `layer.activation`: code may set it between constructing
    # the layer and calling it (or before building a model on it again, as code that takes
    # a trained classifier's logits does).
    from cornu import activations
    x = np.random.RandomState(4).randn(3, 5).astype('float32')
    layer = Dense(4)
    layer.activation = activations.get('relu')
    out = _apply(backend, layer, x)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, np.maximum(x.dot(kernel) + bias, 0.), rtol=1e-5,
                               atol=1e-6)
    assert out.min() == 0.
    layer.activation = activations.linear
    np.testing.assert_allclose(_apply(backend, layer, x), x.dot(kernel) + bias, rtol=1e-5,
                               atol=1e-6)
    layer.activation = lambda z: 2. * z
    np.testing.assert_allclose(_apply(backend, layer, x), 2. * (x.dot(kernel) + bias),
                               rtol=1e-5, atol=1e-6)


def test_dense_config_with_regularizers_and_constraints(backend):
    K = backend
    layer = Dense(2, activation='tanh',
                  kernel_regularizer=regularizers.l1_l2(l1=0.01, l2=0.02),
                  bias_regularizer=regularizers.l2(0.1),
                  activity_regularizer=regularizers.l1(0.05),
                  kernel_constraint=constraints.max_norm(2.),
                  bias_constraint=constraints.non_neg(),
                  kernel_initializer='ones')
    config = layer.get_config()
    assert config['activation'] == 'tanh'
    assert config['kernel_regularizer']['class_name'] == 'L1L2'
    assert config['kernel_regularizer']['config'] == {'l1': pytest.approx(0.01),
                                                      'l2': pytest.approx(0.02)}
    assert config['bias_regularizer']['config'] == {'l1': 0., 'l2': pytest.approx(0.1)}
    assert config['activity_regularizer']['config'] == {'l1': pytest.approx(0.05), 'l2': 0.}
    assert config['kernel_constraint'] == {'class_name': 'MaxNorm',
                                           'config': {'max_value': 2., 'axis': 0}}
    assert config['bias_constraint'] == {'class_name': 'NonNeg', 'config': {}}
    assert config['kernel_initializer'] == {'class_name': 'Ones', 'config': {}}
    clone = _round_trip(layer)
    clone.build((None, 3))
    clone.set_weights([np.ones((3, 2)), np.array([1., -1.])])
    losses = [float(K.eval(loss)) for loss in clone.losses]
    assert losses == [pytest.approx(0.01 * 6 + 0.02 * 6), pytest.approx(0.1 * 2)]
    assert isinstance(clone.kernel.constraint, constraints.MaxNorm)


def test_dense_activity_regularizer_adds_a_loss_per_call(backend):
    K = backend
    layer = Dense(2, kernel_initializer='ones', activity_regularizer=regularizers.l1(0.5))
    x = np.array([[1., -2., 3.]], dtype='float32')
    collected = []
    with run_context(call_losses=collected):
        layer(K.constant(x))
    assert len(collected) == 1
    assert float(K.eval(collected[0])) == pytest.approx(0.5 * 2 * 2.)


# ---------------------------------------------------------------------------- Activation

@pytest.mark.parametrize('name,reference', [
    ('tanh', np.tanh),
    ('relu', lambda v: np.maximum(v, 0.)),
    ('sigmoid', lambda v: 1. / (1. + np.exp(-v))),
    ('linear', lambda v: v),
])
def test_activation(backend, name, reference):
    K = backend
    layer = Activation(name)
    x = np.random.randn(3, 4).astype('float32')
    np.testing.assert_allclose(_apply(K, layer, x), reference(x), rtol=1e-5, atol=1e-6)
    assert _round_trip(layer).get_config()['activation'] == name


def test_activation_softmax_on_3d_input(backend):
    K = backend
    x = np.random.randn(2, 3, 4).astype('float32')
    out = _apply(K, Activation('softmax'), x)
    expected = np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- Dropout

def test_dropout_is_the_identity_at_test_time(backend):
    K = backend
    x = np.random.rand(6, 5).astype('float32')
    np.testing.assert_array_equal(_apply(K, Dropout(0.5), x), x)
    assert Dropout(0.5).uses_learning_phase


def test_dropout_in_the_training_phase_drops_and_scales(backend):
    K = backend
    x = np.random.rand(40, 50).astype('float32') + 1.
    out = _train_phase(K, Dropout(0.25), x)
    dropped = out == 0
    assert 0.15 < dropped.mean() < 0.35
    np.testing.assert_allclose(out[~dropped], x[~dropped] / 0.75, rtol=1e-6)


def test_dropout_called_directly_with_training(backend):
    K = backend
    x = np.ones((20, 30), dtype='float32')
    layer = Dropout(0.5)
    out = K.eval(layer(K.constant(x), training=True))
    assert set(np.unique(out)) == {0., 2.}
    np.testing.assert_array_equal(K.eval(layer(K.constant(x), training=False)), x)
    np.testing.assert_array_equal(K.eval(layer(K.constant(x))), x)  # test phase by default


def test_dropout_called_on_a_symbolic_tensor_in_the_test_phase_records_the_selection(backend):
    # Concrete inputs in the test phase skip the phase selection; a symbolic one, even while
    # the phase is 0, gets the recorded selection, decided when the graph runs.
    K = backend
    inputs = K.placeholder(shape=(None, 50))
    with K.learning_phase_scope(0):
        outputs = Dropout(0.25).call(inputs)
    assert outputs is not inputs
    assert K.int_shape(outputs) == (None, 50)


def test_dropout_in_a_test_phase_run_is_the_identity(backend):
    K = backend
    x = K.constant(np.random.rand(6, 5).astype('float32'))
    with K.learning_phase_scope(0):
        assert Dropout(0.5).call(x) is x
    with K.learning_phase_scope(1):
        out = K.get_value(Dropout(0.5).call(x))
    assert set(np.unique(out)) <= {0.} | set(np.unique(2 * K.get_value(x)))
    assert (out == 0).any()


def test_dropout_noise_shape(backend):
    K = backend
    x = np.ones((8, 5, 6), dtype='float32')
    out = _train_phase(K, Dropout(0.5, noise_shape=(None, 1, 6)), x)
    # The same features are dropped at every timestep of a sample.
    np.testing.assert_array_equal(out, np.repeat(out[:, :1, :], 5, axis=1))
    assert set(np.unique(out)) == {0., 2.}


def test_dropout_rate_zero_never_drops(backend):
    K = backend
    x = np.random.rand(5, 4).astype('float32')
    np.testing.assert_array_equal(_train_phase(K, Dropout(0.), x), x)


def test_dropout_config(backend):
    layer = Dropout(0.3, noise_shape=(None, 1), seed=7, name='drop')
    config = _round_trip(layer).get_config()
    assert config['rate'] == 0.3 and config['noise_shape'] == (None, 1) and config['seed'] == 7


def _assert_whole_channels(out, channel_axis, scale):
    values = set(np.unique(out))
    assert values == {0., scale}, values
    reduce_axes = tuple(a for a in range(1, out.ndim) if a != channel_axis)
    per_channel_min = out.min(axis=reduce_axes)
    per_channel_max = out.max(axis=reduce_axes)
    np.testing.assert_array_equal(per_channel_min, per_channel_max)


def test_spatial_dropout_1d(backend):
    K = backend
    x = np.ones((20, 4, 8), dtype='float32')
    layer = SpatialDropout1D(0.5)
    np.testing.assert_array_equal(_apply(K, layer, x), x)
    _assert_whole_channels(_train_phase(K, SpatialDropout1D(0.5), x), 2, 2.)
    _round_trip(layer)
    with pytest.raises(ValueError):
        SpatialDropout1D(0.5)(Input(shape=(4,)))


@pytest.mark.parametrize('data_format,shape,channel_axis', [
    ('channels_last', (10, 3, 3, 6), 3),
    ('channels_first', (10, 6, 3, 3), 1),
])
def test_spatial_dropout_2d(backend, data_format, shape, channel_axis):
    K = backend
    x = np.ones(shape, dtype='float32')
    layer = SpatialDropout2D(0.5, data_format=data_format)
    np.testing.assert_array_equal(_apply(K, layer, x), x)
    out = _train_phase(K, SpatialDropout2D(0.5, data_format=data_format), x)
    _assert_whole_channels(out, channel_axis, 2.)
    assert _round_trip(layer).get_config()['data_format'] == data_format


@pytest.mark.parametrize('data_format,shape,channel_axis', [
    ('channels_last', (10, 2, 2, 2, 6), 4),
    ('channels_first', (10, 6, 2, 2, 2), 1),
])
def test_spatial_dropout_3d(backend, data_format, shape, channel_axis):
    K = backend
    x = np.ones(shape, dtype='float32')
    layer = SpatialDropout3D(0.5, data_format=data_format)
    np.testing.assert_array_equal(_apply(K, layer, x), x)
    out = _train_phase(K, SpatialDropout3D(0.5, data_format=data_format), x)
    _assert_whole_channels(out, channel_axis, 2.)
    assert _round_trip(layer).get_config()['data_format'] == data_format


# ---------------------------------------------------------------------------- Flatten, Reshape

def test_flatten(backend):
    K = backend
    x = np.random.rand(2, 3, 4).astype('float32')
    layer = Flatten()
    np.testing.assert_array_equal(_apply(K, layer, x), x.reshape(2, 12))
    assert _round_trip(layer).get_config()['data_format'] == 'channels_last'


def test_flatten_channels_first_flattens_in_channels_last_order(backend):
    K = backend
    x = np.arange(2 * 3 * 2 * 2, dtype='float32').reshape(2, 3, 2, 2)
    out = _apply(K, Flatten(data_format='channels_first'), x)
    np.testing.assert_array_equal(out, np.transpose(x, (0, 2, 3, 1)).reshape(2, 12))
    assert not np.array_equal(out, x.reshape(2, 12))


def test_flatten_needs_a_fully_defined_shape(backend):
    with pytest.raises(ValueError) as info:
        Flatten()(Input(shape=(None, 3)))
    assert 'is not fully defined' in str(info.value)


def test_reshape(backend):
    K = backend
    x = np.random.rand(2, 12).astype('float32')
    layer = Reshape((3, 4))
    np.testing.assert_array_equal(_apply(K, layer, x), x.reshape(2, 3, 4))
    assert _round_trip(layer).get_config()['target_shape'] == (3, 4)
    out = _apply(K, Reshape((-1, 2)), x)
    assert out.shape == (2, 6, 2)
    np.testing.assert_array_equal(out, x.reshape(2, 6, 2))


def test_reshape_with_an_unknown_input_size(backend):
    K = backend
    inputs = Input(shape=(None, 4))
    outputs = Reshape((-1, 2))(inputs)
    assert K.int_shape(outputs) == (None, None, 2)
    x = np.random.rand(2, 3, 4).astype('float32')
    np.testing.assert_array_equal(Model(inputs, outputs).predict(x), x.reshape(2, 6, 2))


def test_reshape_errors(backend):
    with pytest.raises(ValueError) as info:
        Reshape((5,), name='bad_reshape')(Input(shape=(12,)))
    assert 'total size of new array must be unchanged' in str(info.value)
    assert 'bad_reshape' in str(info.value)
    # Two sizes to infer: refused when the layer is made, before any input is seen.
    with pytest.raises(ValueError, match=r'`target_shape` argument must be a tuple of positive '
                                         r'integers, with at most one -1 .*\(-1, -1\)'):
        Reshape((-1, -1))


# ---------------------------------------------------------------------------- Permute, RepeatVector

def test_permute(backend):
    K = backend
    x = np.random.rand(2, 3, 4).astype('float32')
    layer = Permute((2, 1))
    out = _apply(K, layer, x)
    assert out.shape == (2, 4, 3)
    np.testing.assert_array_equal(out, np.transpose(x, (0, 2, 1)))
    assert _round_trip(layer).get_config()['dims'] == (2, 1)
    x4 = np.random.rand(2, 3, 4, 5).astype('float32')
    np.testing.assert_array_equal(_apply(K, Permute((3, 1, 2)), x4),
                                  np.transpose(x4, (0, 3, 1, 2)))


def test_repeat_vector(backend):
    K = backend
    x = np.random.rand(2, 3).astype('float32')
    layer = RepeatVector(4)
    out = _apply(K, layer, x)
    assert out.shape == (2, 4, 3)
    np.testing.assert_array_equal(out, np.repeat(x[:, np.newaxis, :], 4, axis=1))
    assert _round_trip(layer).get_config()['n'] == 4


# ---------------------------------------------------------------------------- Lambda

def test_lambda_with_an_output_shape_tuple(backend):
    K = backend
    layer = Lambda(lambda t: t[:, :2], output_shape=(2,))
    x = np.random.rand(3, 5).astype('float32')
    np.testing.assert_array_equal(_apply(K, layer, x), x[:, :2])
    config = layer.get_config()
    assert config['function_type'] == 'lambda'
    assert config['output_shape'] == (2,) and config['output_shape_type'] == 'raw'


def test_lambda_with_an_output_shape_function(backend):
    K = backend
    layer = Lambda(lambda t: K.concatenate([t, t * 2.]),
                   output_shape=lambda shape: (shape[0], 2 * shape[1]))
    x = np.random.rand(3, 2).astype('float32')
    np.testing.assert_allclose(_apply(K, layer, x), np.concatenate([x, 2. * x], axis=-1))
    assert layer.get_config()['output_shape_type'] == 'lambda'


def test_lambda_output_shape_inferred(backend):
    K = backend
    layer = Lambda(lambda t: K.sum(t, axis=1, keepdims=True))
    x = np.random.rand(3, 4).astype('float32')
    np.testing.assert_allclose(_apply(K, layer, x), x.sum(axis=1, keepdims=True), rtol=1e-6)
    assert layer.output_shape == (None, 1)


def test_lambda_on_several_inputs(backend):
    K = backend
    a, b = Input(shape=(3,)), Input(shape=(3,))
    layer = Lambda(lambda ts: ts[0] * ts[1])
    out = layer([a, b])
    assert K.int_shape(out) == (None, 3)
    assert layer.compute_output_shape([(None, 3), (None, 3)]) == (None, 3)
    xa, xb = np.random.rand(2, 3), np.random.rand(2, 3)
    np.testing.assert_allclose(Model([a, b], out).predict([xa, xb]), xa * xb, rtol=1e-6)


def test_lambda_arguments(backend):
    K = backend
    layer = Lambda(lambda t, factor: t * factor, arguments={'factor': 3.})
    x = np.random.rand(2, 3).astype('float32')
    np.testing.assert_allclose(_apply(K, layer, x), 3. * x, rtol=1e-6)
    assert layer.get_config()['arguments'] == {'factor': 3.}


def test_lambda_in_memory_round_trip_keeps_the_function(backend):
    K = backend
    layer = Lambda(lambda t, offset: t + offset, arguments={'offset': 1.5}, output_shape=(3,))
    clone = Lambda.from_config(layer.get_config())
    x = np.random.rand(2, 3).astype('float32')
    np.testing.assert_allclose(_apply(K, clone, x), x + 1.5, rtol=1e-6)


def test_lambda_mask(backend):
    K = backend
    x = Input(shape=(3, 2))
    masked = Masking()(x)
    # Without `mask`, a Lambda drops the mask (Keras 2.2.4: compute_mask returns self.mask).
    assert Lambda(lambda t: t * 2.)(masked)._keras_mask is None
    # A mask function computes the output mask from the inputs and the input mask.
    keeping = Lambda(lambda t: t * 2., mask=lambda inputs, mask: mask)
    kept = keeping(masked)
    assert kept._keras_mask is not None
    assert K.int_shape(kept._keras_mask) == (None, 3)
    data = np.array([[[1., 1.], [0., 0.], [2., 0.]]], dtype='float32')
    concrete_mask = keeping.compute_mask(K.constant(data), K.constant([[True, False, True]]))
    np.testing.assert_array_equal(K.eval(concrete_mask), [[True, False, True]])


def test_lambda_function_receives_the_mask(backend):
    K = backend

    def zero_masked(t, mask=None):
        return t * K.expand_dims(K.cast(mask, K.dtype(t)), -1)

    x = Input(shape=(3, 2))
    out = Lambda(zero_masked)(Masking(mask_value=5.)(x))
    data = np.array([[[1., 2.], [5., 5.], [3., 4.]]], dtype='float32')
    expected = np.array([[[1., 2.], [0., 0.], [3., 4.]]], dtype='float32')
    np.testing.assert_array_equal(Model(x, out).predict(data), expected)


# ---------------------------------------------------------------------------- ActivityRegularization

def test_activity_regularization(backend):
    K = backend
    layer = ActivityRegularization(l1=0.1, l2=0.01)
    x = np.array([[1., -2.], [3., 0.5]], dtype='float32')
    np.testing.assert_array_equal(_apply(K, layer, x), x)
    config = _round_trip(layer).get_config()
    assert config['l1'] == 0.1 and config['l2'] == 0.01
    expected_loss = 0.1 * np.abs(x).sum() + 0.01 * np.square(x).sum()

    collected = []
    with run_context(call_losses=collected):
        direct = layer(K.constant(x))
    np.testing.assert_array_equal(K.eval(direct), x)
    assert len(collected) == 1
    assert float(K.eval(collected[0])) == pytest.approx(expected_loss, rel=1e-5)

    inputs = Input(shape=(2,))
    model = Model(inputs, ActivityRegularization(l1=0.1, l2=0.01)(inputs))
    collected = []
    with run_context(call_losses=collected):
        model(K.constant(x))
    assert len(collected) == 1
    assert float(K.eval(collected[0])) == pytest.approx(expected_loss, rel=1e-5)


# ---------------------------------------------------------------------------- Masking

def test_masking_mask_values_and_zeroing(backend):
    K = backend
    layer = Masking(mask_value=2.)
    x = np.array([[[2., 2.], [1., 2.], [0., 0.]],
                  [[2., 2.], [2., 2.], [3., 3.]]], dtype='float32')
    out = _apply(K, layer, x)
    keep = np.any(x != 2., axis=-1)
    np.testing.assert_array_equal(out, x * keep[..., np.newaxis])
    mask = K.eval(layer.compute_mask(K.constant(x)))
    np.testing.assert_array_equal(mask, keep)
    assert layer.supports_masking
    assert _round_trip(layer).get_config()['mask_value'] == 2.


def test_masking_default_value_and_symbolic_mask(backend):
    K = backend
    x = Input(shape=(4, 3))
    layer = Masking()
    layer(x)
    assert layer.get_config()['mask_value'] == 0.
    assert K.int_shape(layer.output_mask) == (None, 4)
    assert layer.get_output_mask_at(0) is layer.output_mask


def test_masking_feeds_a_mask_aware_custom_layer(backend):
    class CountKept(Layer):
        def __init__(self, **kwargs):
            super(CountKept, self).__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            from cornu import backend as K
            return K.sum(K.cast(mask, K.dtype(inputs)), axis=1, keepdims=True)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 1)

        def compute_mask(self, inputs, mask=None):
            return None

    x = Input(shape=(3, 2))
    model = Model(x, CountKept()(Masking()(x)))
    data = np.array([[[0., 0.], [1., 0.], [0., 0.]],
                     [[1., 1.], [1., 1.], [0., 1.]]], dtype='float32')
    np.testing.assert_array_equal(model.predict(data), [[1.], [3.]])
