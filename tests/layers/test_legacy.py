"""`cornu.legacy` (Keras 2.2.4's `keras.legacy`): MaxoutDense, Highway, the Recurrent and
ConvRecurrent2D bases, the Keras 1 argument decorators, and `cornu.objectives`."""
import warnings

import numpy as np
import pytest

import cornu.layers
from cornu import backend as K
from cornu import constraints, losses, objectives, regularizers
from cornu.layers import Dense, Dropout, Input, SpatialDropout2D
from cornu.legacy import interfaces
from cornu.legacy import layers as legacy_layers
from cornu.models import Model, Sequential


def _quiet(factory, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return factory(*args, **kwargs)


def test_legacy_layers_are_exported_from_layers():
    for name in ['MaxoutDense', 'Highway', 'Recurrent', 'ConvRecurrent2D']:
        assert getattr(cornu.layers, name) is getattr(legacy_layers, name)


def test_maxout_dense_matches_numpy():
    x = np.random.RandomState(0).randn(5, 3).astype('float32')
    layer = _quiet(legacy_layers.MaxoutDense, 2, nb_feature=4, input_dim=3)
    model = Sequential([layer])
    W, b = layer.get_weights()
    assert W.shape == (4, 3, 2) and b.shape == (4, 2)
    b = np.random.RandomState(1).randn(4, 2).astype('float32')
    layer.set_weights([W, b])
    expected = np.max(np.einsum('bi,kio->bko', x, W) + b, axis=1)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)


def test_maxout_dense_warns_and_round_trips_its_config():
    with pytest.warns(UserWarning, match='deprecated'):
        layer = legacy_layers.MaxoutDense(3, W_regularizer=regularizers.l2(0.01),
                                          b_constraint=constraints.MaxNorm(1), bias=False)
    config = layer.get_config()
    assert config['output_dim'] == 3 and config['bias'] is False
    clone = _quiet(legacy_layers.MaxoutDense.from_config, config)
    assert clone.get_config() == config
    model = Sequential([_quiet(legacy_layers.MaxoutDense, 3, bias=False, input_shape=(2,),
                              W_regularizer=regularizers.l2(0.01))])
    assert len(model.layers[0].weights) == 1
    assert len(model.losses) == 1


def test_highway_matches_numpy():
    rng = np.random.RandomState(0)
    x = rng.randn(4, 3).astype('float32')
    layer = _quiet(legacy_layers.Highway, activation='tanh', input_dim=3)
    model = Sequential([layer])
    W, W_carry, b, b_carry = layer.get_weights()
    np.testing.assert_array_equal(b_carry, np.ones(3))
    b = rng.randn(3).astype('float32')
    layer.set_weights([W, W_carry, b, b_carry])
    gate = 1 / (1 + np.exp(-(x @ W_carry + b_carry)))
    expected = np.tanh(x @ W + b) * gate + (1 - gate) * x
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)


def test_highway_trains_and_reloads_from_config():
    layer = _quiet(legacy_layers.Highway, W_regularizer=regularizers.l2(0.01),
                   activity_regularizer=regularizers.l2(0.01), input_shape=(2,))
    model = Sequential([layer])
    model.compile('sgd', 'mse')
    model.fit(np.ones((4, 2)), np.zeros((4, 2)), epochs=1, verbose=0)
    clone = _quiet(legacy_layers.Highway.from_config, layer.get_config())
    assert clone.get_config() == layer.get_config()


class _CumulativeSum(legacy_layers.Recurrent):
    """A Keras 1 style recurrent layer: state <- state + x . kernel."""

    def __init__(self, units, **kwargs):
        super(_CumulativeSum, self).__init__(**kwargs)
        self.units = units
        self.states = [None]

    def build(self, input_shape):
        self.kernel = self.add_weight(name='kernel', shape=(input_shape[-1], self.units),
                                      initializer='glorot_uniform')
        self.built = True

    def step(self, inputs, states):
        output = states[0] + K.dot(inputs, self.kernel)
        return output, [output]


@pytest.mark.parametrize('go_backwards', [False, True])
def test_recurrent_runs_the_subclass_step_over_time(go_backwards):
    x = np.random.RandomState(0).randn(2, 4, 3).astype('float32')
    inputs = Input(shape=(4, 3))
    layer = _CumulativeSum(2, return_sequences=True, return_state=True,
                           go_backwards=go_backwards)
    sequence, state = layer(inputs)
    model = Model(inputs, [sequence, state])
    kernel = layer.get_weights()[0]
    steps = x[:, ::-1] if go_backwards else x
    expected = np.cumsum(steps @ kernel, axis=1)
    got_sequence, got_state = model.predict(x)
    np.testing.assert_allclose(got_sequence, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_state, expected[:, -1], rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape((None, 4, 3)) == [(None, 4, 2), (None, 2)]


def test_recurrent_base_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match='stateful'):
        _CumulativeSum(2, stateful=True)
    with pytest.raises(NotImplementedError, match='step'):
        legacy_layers.Recurrent().step(None, [])


def test_conv_recurrent_2d_output_shapes():
    layer = legacy_layers.ConvRecurrent2D(5, (3, 3), padding='valid', return_sequences=True,
                                          data_format='channels_last')
    assert layer.compute_output_shape((None, 7, 10, 12, 2)) == (None, 7, 8, 10, 5)
    layer = legacy_layers.ConvRecurrent2D(5, 3, strides=2, padding='same',
                                          data_format='channels_first')
    assert layer.compute_output_shape((None, 7, 2, 10, 12)) == (None, 5, 5, 6)
    assert layer.get_config()['kernel_size'] == (3, 3)


def test_keras1_arguments_of_dense_and_dropout():
    with pytest.warns(UserWarning, match=r'Dense\(units=3'):
        dense = Dense(output_dim=3, init='ones', bias=False)
    assert dense.units == 3 and dense.use_bias is False
    with pytest.warns(UserWarning, match='Keras 2 API'):
        assert Dropout(p=0.25).rate == 0.25
    with pytest.warns(UserWarning, match='Keras 2 API'):
        assert SpatialDropout2D(p=0.5, dim_ordering='th').data_format == 'channels_first'
    with pytest.raises(TypeError, match='positional'):
        Dense(3, 'relu', True)


def test_generate_legacy_interface_for_a_users_layer():
    class Scale(cornu.layers.Layer):
        @interfaces.generate_legacy_interface(allowed_positional_args=['factor'],
                                              conversions=[('k', 'factor')])
        def __init__(self, factor, **kwargs):
            super(Scale, self).__init__(**kwargs)
            self.factor = factor

    with pytest.warns(UserWarning, match=r'Scale\(factor=2'):
        assert Scale(k=2).factor == 2
    with pytest.raises(TypeError, match='Stick to the latter'):
        Scale(k=2, factor=3)
    with pytest.raises(ValueError, match='object_type'):
        interfaces.generate_legacy_interface(object_type='function')


def test_objectives_is_the_losses_module_under_its_keras1_name():
    assert objectives.categorical_crossentropy is losses.categorical_crossentropy
    assert objectives.get('mse') is losses.mean_squared_error


def test_generator_methods_take_keras1_arguments():
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile('sgd', 'mse')

    class Batches(object):
        batch_size = 2

        def __iter__(self):
            return self

        def __next__(self):
            return np.ones((2, 2)), np.zeros((2, 1))

    with pytest.warns(UserWarning, match='fit_generator'):
        history = model.fit_generator(Batches(), samples_per_epoch=6, nb_epoch=2, verbose=0,
                                      max_q_size=2, nb_worker=1)
    # 6 samples in batches of 2: 3 steps per epoch.
    assert history.params['steps'] == 3
    assert history.epoch == [0, 1]
    with pytest.warns(UserWarning, match='evaluate_generator'):
        loss = model.evaluate_generator(Batches(), val_samples=2)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(loss, np.mean((np.ones((2, 2)) @ kernel + bias) ** 2),
                               rtol=1e-5)
    with pytest.warns(UserWarning, match='predict_generator'):
        assert model.predict_generator(Batches(), val_samples=3).shape == (6, 1)
