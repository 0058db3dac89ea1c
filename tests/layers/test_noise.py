"""Noise layers: identity in the test phase; in the training phase, the statistics of the
Keras 2.2.4 formulas (loose tolerances, seeded)."""
import json

import numpy as np
import pytest

from cornu import layers
from cornu.layers import (GaussianNoise, GaussianDropout, AlphaDropout, Input, Embedding,
                          Dense)
from cornu.models import Model, Sequential

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _phases(K, layer, x):
    """(test-phase output via predict, training-phase output via K.function)."""
    inputs = Input(shape=x.shape[1:])
    outputs = layer(inputs)
    assert K.int_shape(outputs) == (None,) + x.shape[1:]
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + x.shape[1:]
    test = Model(inputs, outputs).predict(x)
    train = K.function([inputs, K.learning_phase()], [outputs])([x, 1])[0]
    assert train.shape == x.shape
    return test, train


def _round_trip(layer):
    config = layer.get_config()
    json.dumps(config)
    clone = layers.deserialize({'class_name': layer.__class__.__name__, 'config': config})
    assert clone.get_config() == config
    return clone


def test_gaussian_noise(backend):
    K = backend
    K.set_random_seed(1)
    x = np.random.uniform(-1, 1, (200, 50)).astype('float32')
    layer = GaussianNoise(0.5)
    test, train = _phases(K, layer, x)
    np.testing.assert_array_equal(test, x)
    noise = train - x
    assert abs(noise.mean()) < 0.02
    assert abs(noise.std() - 0.5) < 0.02
    assert _round_trip(layer).stddev == 0.5
    assert layer.uses_learning_phase


def test_gaussian_dropout(backend):
    K = backend
    K.set_random_seed(2)
    x = np.random.uniform(0.5, 2., (200, 50)).astype('float32')
    rate = 0.3
    layer = GaussianDropout(rate)
    test, train = _phases(K, layer, x)
    np.testing.assert_array_equal(test, x)
    factor = train / x
    assert abs(factor.mean() - 1.) < 0.02
    assert abs(factor.std() - np.sqrt(rate / (1 - rate))) < 0.02
    assert _round_trip(layer).rate == rate
    # Rates outside (0, 1) leave the input alone in both phases.
    test, train = _phases(K, GaussianDropout(0.), x)
    np.testing.assert_array_equal(train, x)


def test_alpha_dropout(backend):
    K = backend
    K.set_random_seed(3)
    rate = 0.2
    x = np.random.normal(0., 1., (400, 50)).astype('float32')
    layer = AlphaDropout(rate, seed=5)
    test, train = _phases(K, layer, x)
    np.testing.assert_array_equal(test, x)
    alpha_p = -SELU_ALPHA * SELU_SCALE
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    kept = np.isclose(train, a * x + b, rtol=1e-5, atol=1e-5)
    dropped = np.isclose(train, a * alpha_p + b, rtol=1e-5, atol=1e-5)
    assert np.all(kept | dropped)
    assert abs(dropped.mean() - rate) < 0.02
    # Self-normalizing: zero mean, unit variance preserved.
    assert abs(train.mean()) < 0.03
    assert abs(train.std() - 1.) < 0.03
    clone = _round_trip(layer)
    assert (clone.rate, clone.noise_shape, clone.seed) == (rate, None, 5)


def test_alpha_dropout_noise_shape(backend):
    K = backend
    x = np.random.normal(0., 1., (8, 6, 5)).astype('float32')
    layer = AlphaDropout(0.5, noise_shape=(None, 1, 5))
    _, train = _phases(K, layer, x)
    alpha_p = -SELU_ALPHA * SELU_SCALE
    a = ((1 - 0.5) * (1 + 0.5 * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * 0.5
    dropped = np.isclose(train, a * alpha_p + b, rtol=1e-5, atol=1e-5)
    # The same units are dropped at every timestep.
    assert np.all(dropped == dropped[:, :1, :])


def test_training_argument_overrides_phase(backend):
    x = np.ones((4, 3), 'float32')
    inputs = Input(shape=(3,))
    outputs = GaussianNoise(1.)(inputs, training=True)
    assert not np.allclose(Model(inputs, outputs).predict(x), x)


def test_noise_layers_in_fit(backend):
    noise = Sequential([GaussianNoise(0.1, input_shape=(3,)), GaussianDropout(0.1),
                        AlphaDropout(0.1)])
    model = Sequential([noise, Dense(3)])
    model.compile('sgd', 'mse')
    x = np.random.normal(0., 1., (16, 3)).astype('float32')
    model.fit(x, x, epochs=1, verbose=0)
    np.testing.assert_array_equal(noise.predict(x), x)


def test_masks_pass_through(backend):
    K = backend
    embedded = Embedding(5, 3, mask_zero=True)(Input(shape=(4,)))
    for layer in (GaussianNoise(0.1), GaussianDropout(0.1), AlphaDropout(0.1)):
        assert K.int_shape(layer(embedded)._keras_mask) == (None, 4)


def test_keras1_argument_names():
    with pytest.warns(UserWarning, match='stddev'):
        assert GaussianNoise(sigma=0.3).stddev == 0.3
    with pytest.warns(UserWarning, match='rate'):
        assert GaussianDropout(p=0.2).rate == 0.2


@pytest.mark.parametrize('make', [lambda seed: GaussianNoise(0.5, seed=seed),
                                  lambda seed: GaussianDropout(0.3, seed=seed)],
                         ids=['GaussianNoise', 'GaussianDropout'])
def test_seed_of_later_keras_versions(backend, make):
    """`seed` (written by tf.keras): the same seed draws the same noise in two fresh
    layers, another seed other noise; the configuration holds it only when it is set, so
    that unseeded layers' files stay readable by Keras 2.2.4."""
    K = backend
    x = np.random.uniform(0.5, 2., (20, 8)).astype('float32')
    first = _phases(K, make(7), x)[1]
    again = _phases(K, make(7), x)[1]
    other = _phases(K, make(8), x)[1]
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    assert not np.allclose(first, x)
    assert _round_trip(make(7)).seed == 7
    assert 'seed' not in make(None).get_config()
