"""BatchNormalization against NumPy: batch statistics and the moving-statistics update in the
training phase, moving statistics in the test phase, frozen layers, weights, configuration."""
import json

import numpy as np
import pytest

from cornu import layers
from cornu.layers import BatchNormalization, Input, Dense, Embedding
from cornu.models import Model, Sequential

EPS = 1e-3
MOMENTUM = 0.99


def _build(K, layer, shape):
    inputs = Input(shape=shape)
    outputs = layer(inputs)
    assert K.int_shape(outputs) == (None,) + tuple(shape)
    assert layer.compute_output_shape((None,) + tuple(shape)) == (None,) + tuple(shape)
    return inputs, outputs


def _np_normalize(x, mean, var, gamma, beta, axis, eps=EPS):
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    r = lambda v: np.reshape(v, shape)  # noqa: E731
    return (x - r(mean)) / np.sqrt(r(var) + eps) * r(gamma) + r(beta)


def _batch_stats(x, axis):
    axes = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    return x.mean(axis=axes), x.var(axis=axes), int(np.prod([x.shape[i] for i in axes]))


def _set_random_weights(layer, dim):
    gamma = np.random.uniform(0.5, 1.5, dim).astype('float32')
    beta = np.random.uniform(-0.5, 0.5, dim).astype('float32')
    moving_mean = np.random.uniform(-1, 1, dim).astype('float32')
    moving_var = np.random.uniform(0.5, 2, dim).astype('float32')
    layer.set_weights([gamma, beta, moving_mean, moving_var])
    return gamma, beta, moving_mean, moving_var


def test_weights(backend):
    K = backend
    layer = BatchNormalization()
    _build(K, layer, (3, 4))
    assert [w.name for w in layer.weights] == [
        'batch_normalization_1/gamma:0', 'batch_normalization_1/beta:0',
        'batch_normalization_1/moving_mean:0', 'batch_normalization_1/moving_variance:0']
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2
    gamma, beta, mean, var = layer.get_weights()
    np.testing.assert_array_equal(gamma, np.ones(4))
    np.testing.assert_array_equal(beta, np.zeros(4))
    np.testing.assert_array_equal(mean, np.zeros(4))
    np.testing.assert_array_equal(var, np.ones(4))
    assert layer.count_params() == 16

    no_scale = BatchNormalization(scale=False, center=False)
    _build(K, no_scale, (5,))
    assert len(no_scale.trainable_weights) == 0 and len(no_scale.non_trainable_weights) == 2
    assert no_scale.gamma is None and no_scale.beta is None

    frozen = BatchNormalization(trainable=False)
    _build(K, frozen, (5,))
    assert not frozen.trainable_weights and len(frozen.non_trainable_weights) == 4


def test_undefined_axis_raises():
    with pytest.raises(ValueError, match='should have a defined dimension'):
        BatchNormalization(axis=1)(Input(shape=(None, 3)))


@pytest.mark.parametrize('shape,axis', [((5,), -1), ((3, 4), -1), ((3, 4), 1),
                                        ((3, 2, 4), -1), ((4, 3, 2), 1), ((3, 2, 4), 2)])
def test_training_phase_batch_stats_and_update(backend, shape, axis):
    K = backend
    layer = BatchNormalization(axis=axis)
    inputs, outputs = _build(K, layer, shape)
    dim = ((None,) + shape)[axis]
    gamma, beta, moving_mean, moving_var = _set_random_weights(layer, dim)
    x = np.random.normal(0.5, 2., (6,) + shape).astype('float32')
    f = K.function([inputs, K.learning_phase()], [outputs])

    out = f([x, 1])[0]
    mean, var, n = _batch_stats(x, axis)
    # Normalized with the batch mean and (biased) batch variance.
    np.testing.assert_allclose(out, _np_normalize(x, mean, var, gamma, beta, axis),
                               rtol=1e-4, atol=1e-4)
    # Moving statistics: x = momentum * x + (1 - momentum) * value, with Keras 2.2.4's
    # unbiased variance n / (n - (1 + epsilon)); 4-D inputs normalized per channel go through
    # TensorFlow's fused batch norm in Keras 2.2.4, whose variance is already n / (n - 1)
    # corrected (the backend reproduces it).
    unbiased = var * n / (n - (1. + EPS))
    if len(shape) == 3 and axis % 4 in (1, 3):
        unbiased = unbiased * n / (n - 1.)
    expected_mean = MOMENTUM * moving_mean + (1 - MOMENTUM) * mean
    expected_var = MOMENTUM * moving_var + (1 - MOMENTUM) * unbiased
    np.testing.assert_allclose(K.get_value(layer.moving_mean), expected_mean, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(K.get_value(layer.moving_variance), expected_var, rtol=1e-5,
                               atol=1e-6)
    # A second training step moves them again.
    f([x, 1])
    np.testing.assert_allclose(K.get_value(layer.moving_mean),
                               MOMENTUM * expected_mean + (1 - MOMENTUM) * mean, rtol=1e-5,
                               atol=1e-6)

    # Test phase: moving statistics, and no update.
    before = [K.get_value(layer.moving_mean), K.get_value(layer.moving_variance)]
    out = f([x, 0])[0]
    np.testing.assert_allclose(out, _np_normalize(x, before[0], before[1], gamma, beta, axis),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(K.get_value(layer.moving_mean), before[0])
    np.testing.assert_array_equal(K.get_value(layer.moving_variance), before[1])


def test_default_phase_is_test_and_predict_does_not_update(backend):
    K = backend
    layer = BatchNormalization(momentum=0.5)
    inputs, outputs = _build(K, layer, (3,))
    gamma, beta, moving_mean, moving_var = _set_random_weights(layer, 3)
    x = np.random.normal(2., 3., (8, 3)).astype('float32')
    model = Model(inputs, outputs)
    expected = _np_normalize(x, moving_mean, moving_var, gamma, beta, -1)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(K.function([inputs], [outputs])([x])[0], expected, rtol=1e-4,
                               atol=1e-4)
    model.compile('sgd', 'mse')
    model.evaluate(x, x, verbose=0)
    np.testing.assert_array_equal(K.get_value(layer.moving_mean), moving_mean)
    np.testing.assert_array_equal(K.get_value(layer.moving_variance), moving_var)


def test_fit_updates_moving_statistics(backend):
    K = backend
    model = Sequential([BatchNormalization(momentum=0.9, input_shape=(4,))])
    layer = model.layers[0]
    model.compile('sgd', 'mse')
    x = np.random.normal(3., 2., (16, 4)).astype('float32')
    model.fit(x, x, batch_size=16, epochs=1, verbose=0, shuffle=False)
    mean, var, n = _batch_stats(x, -1)
    np.testing.assert_allclose(K.get_value(layer.moving_mean), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(K.get_value(layer.moving_variance),
                               0.9 + 0.1 * var * n / (n - 1 - EPS), rtol=1e-5)


def test_explicit_training_argument(backend):
    K = backend
    x = np.random.normal(1., 2., (5, 3)).astype('float32')
    # training=False: moving statistics even in the training phase, and no update.
    inputs = Input(shape=(3,))
    layer = BatchNormalization()
    outputs = layer(inputs, training=False)
    gamma, beta, moving_mean, moving_var = _set_random_weights(layer, 3)
    out = K.function([inputs, K.learning_phase()], [outputs])([x, 1])[0]
    np.testing.assert_allclose(out, _np_normalize(x, moving_mean, moving_var, gamma, beta, -1),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(K.get_value(layer.moving_mean), moving_mean)
    # training=True: batch statistics even in predict, but predict never updates (as Keras
    # 2.2.4, whose predict function runs no updates).
    inputs = Input(shape=(3,))
    layer = BatchNormalization()
    outputs = layer(inputs, training=True)
    gamma, beta, moving_mean, moving_var = _set_random_weights(layer, 3)
    out = Model(inputs, outputs).predict(x)
    mean, var, _ = _batch_stats(x, -1)
    np.testing.assert_allclose(out, _np_normalize(x, mean, var, gamma, beta, -1), rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_array_equal(K.get_value(layer.moving_mean), moving_mean)


def test_frozen_layer_uses_batch_stats_without_updating(backend):
    # Keras 2.2.4: a non-trainable BatchNormalization still normalizes with the batch
    # statistics in the training phase, but its updates are not run.
    K = backend
    layer = BatchNormalization(trainable=False)
    inputs, outputs = _build(K, layer, (3,))
    gamma, beta, moving_mean, moving_var = _set_random_weights(layer, 3)
    x = np.random.normal(1., 2., (6, 3)).astype('float32')
    out = K.function([inputs, K.learning_phase()], [outputs])([x, 1])[0]
    mean, var, _ = _batch_stats(x, -1)
    np.testing.assert_allclose(out, _np_normalize(x, mean, var, gamma, beta, -1), rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_array_equal(K.get_value(layer.moving_mean), moving_mean)
    np.testing.assert_array_equal(K.get_value(layer.moving_variance), moving_var)
    # Training the model leaves all four weights alone.
    model = Model(inputs, Dense(2)(outputs))
    model.compile('sgd', 'mse')
    model.train_on_batch(x, np.zeros((6, 2)))
    for value, before in zip(layer.get_weights(), [gamma, beta, moving_mean, moving_var]):
        np.testing.assert_array_equal(value, before)


def test_no_center_no_scale_values(backend):
    K = backend
    layer = BatchNormalization(center=False, scale=False, axis=1, epsilon=0.1)
    inputs, outputs = _build(K, layer, (2, 3))
    x = np.random.normal(0., 1., (4, 2, 3)).astype('float32')
    out = K.function([inputs, K.learning_phase()], [outputs])([x, 1])[0]
    mean, var, _ = _batch_stats(x, 1)
    np.testing.assert_allclose(out, _np_normalize(x, mean, var, np.ones(2), np.zeros(2), 1,
                                                  eps=0.1), rtol=1e-4, atol=1e-4)


def test_gradients_flow_to_gamma_and_beta(backend):
    model = Sequential([BatchNormalization(input_shape=(3,))])
    model.compile('sgd', 'mse')
    x = np.random.normal(0., 1., (8, 3)).astype('float32')
    model.train_on_batch(x, x * 2. + 1.)
    gamma, beta = model.get_weights()[:2]
    assert np.all(gamma != 1.) and np.all(beta != 0.)


def test_config_round_trip():
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-4, center=False,
                               gamma_initializer='glorot_uniform',
                               moving_variance_initializer='zeros',
                               gamma_regularizer='l2', beta_constraint='max_norm',
                               name='bn')
    config = layer.get_config()
    json.dumps(config)
    clone = layers.deserialize({'class_name': 'BatchNormalization', 'config': config})
    assert clone.get_config() == config
    assert (clone.axis, clone.momentum, clone.epsilon, clone.center, clone.scale) == \
        (1, 0.9, 1e-4, False, True)
    assert config['gamma_regularizer']['class_name'] == 'L1L2'
    assert config['beta_constraint']['class_name'] == 'MaxNorm'


def test_masks_pass_through(backend):
    K = backend
    ids = Input(shape=(4,))
    embedded = Embedding(5, 3, mask_zero=True)(ids)
    out = BatchNormalization()(embedded)
    assert K.int_shape(out._keras_mask) == (None, 4)


def test_regularizer_losses(backend):
    layer = BatchNormalization(gamma_regularizer='l2', beta_regularizer='l1')
    _build(backend, layer, (3,))
    assert len(layer.losses) == 2


def test_keras1_argument_names():
    with pytest.warns(UserWarning, match='beta_initializer'):
        layer = BatchNormalization(mode=0, beta_init='ones', gamma_init='zeros')
    config = layer.get_config()
    assert config['beta_initializer']['class_name'] == 'Ones'
    assert config['gamma_initializer']['class_name'] == 'Zeros'
    with pytest.raises(TypeError, match='`mode` argument'):
        BatchNormalization(mode=2)
