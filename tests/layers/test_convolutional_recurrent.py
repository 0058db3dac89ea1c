"""ConvLSTM2D: numbers against a NumPy loop of convolutions, both data formats, states,
dropout paths, legacy arguments and configuration."""
import json
import warnings

import numpy as np
import pytest

from cornu import layers
from cornu.layers import Input, ConvLSTM2D, ConvLSTM2DCell, ConvRNN2D
from cornu.models import Model, Sequential


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0., 1.)


def conv2d(x, kernel, padding):
    """channels_last 'valid'/'same' convolution with stride 1 (TensorFlow's padding)."""
    kh, kw = kernel.shape[:2]
    if padding == 'same':
        ph, pw = kh - 1, kw - 1
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    rows, cols = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    out = np.zeros((x.shape[0], rows, cols, kernel.shape[3]))
    for i in range(kh):
        for j in range(kw):
            out += np.einsum('bhwc,cf->bhwf', x[:, i:i + rows, j:j + cols], kernel[i, j])
    return out


def conv_lstm(x, weights, padding, go_backwards=False):
    kernel, recurrent, bias = weights
    filters = recurrent.shape[-2]
    outputs, h, c = [], None, None
    steps = range(x.shape[1])
    for t in (steps[::-1] if go_backwards else steps):
        xz = conv2d(x[:, t], kernel, padding) + bias
        if h is None:
            h = c = np.zeros(xz.shape[:3] + (filters,))
        z = xz + conv2d(h, recurrent, 'same')
        i = hard_sigmoid(z[..., :filters])
        f = hard_sigmoid(z[..., filters:2 * filters])
        c = f * c + i * np.tanh(z[..., 2 * filters:3 * filters])
        h = hard_sigmoid(z[..., 3 * filters:]) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, 1), h, c


def _randomize(layer):
    layer.set_weights([np.random.uniform(-.3, .3, w.shape).astype('float32')
                       for w in layer.get_weights()])
    return layer.get_weights()


@pytest.mark.parametrize('padding,go_backwards', [('same', False), ('valid', True)])
def test_conv_lstm_matches_numpy(backend, padding, go_backwards):
    x = np.random.rand(2, 3, 5, 5, 2).astype('float32')
    inputs = Input((3, 5, 5, 2))
    layer = ConvLSTM2D(3, (3, 3), padding=padding, go_backwards=go_backwards,
                       return_sequences=True, return_state=True)
    outputs = layer(inputs)
    size = 5 if padding == 'same' else 3
    assert [o._keras_shape for o in outputs] == [(None, 3, size, size, 3),
                                                 (None, size, size, 3),
                                                 (None, size, size, 3)]
    assert [w.shape for w in layer.get_weights()] == [(3, 3, 2, 12), (3, 3, 3, 12), (12,)]
    assert [w.name for w in layer.weights][0] == 'conv_lst_m2d_1/kernel:0'
    weights = _randomize(layer)
    got = Model(inputs, outputs).predict(x)
    expected = conv_lstm(x, weights, padding, go_backwards)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_channels_first_equals_channels_last(backend):
    x = np.random.rand(2, 3, 4, 4, 2).astype('float32')
    last = ConvLSTM2D(2, 3, padding='same', data_format='channels_last')
    first = ConvLSTM2D(2, 3, padding='same', data_format='channels_first')
    models = []
    for layer, shape in ((last, (3, 4, 4, 2)), (first, (3, 2, 4, 4))):
        inputs = Input(shape)
        models.append(Model(inputs, layer(inputs)))
    first.set_weights(_randomize(last))
    assert first.compute_output_shape((None, 3, 2, 4, 4)) == (None, 2, 4, 4)
    got = models[1].predict(x.transpose(0, 1, 4, 2, 3))
    np.testing.assert_allclose(got, models[0].predict(x).transpose(0, 3, 1, 2), rtol=1e-5,
                               atol=1e-6)


def test_stateful_and_initial_state(backend):
    x = np.random.rand(2, 4, 3, 3, 1).astype('float32')
    model = Sequential([ConvLSTM2D(2, 2, padding='same', stateful=True,
                                   batch_input_shape=(2, 2, 3, 3, 1))])
    layer = model.layers[0]
    weights = _randomize(layer)
    assert [s.shape for s in layer.states] == [(2, 3, 3, 2), (2, 3, 3, 2)]
    model.predict(x[:, :2], batch_size=2)
    second = model.predict(x[:, 2:], batch_size=2)
    _, h, _ = conv_lstm(x, weights, 'same')
    np.testing.assert_allclose(second, h, rtol=1e-4, atol=1e-5)
    model.reset_states()
    assert all(np.all(backend.get_value(s) == 0) for s in layer.states)

    inputs, h0, c0 = Input((4, 3, 3, 1)), Input((3, 3, 2)), Input((3, 3, 2))
    conv = ConvLSTM2D(2, 2, padding='same')
    functional = Model([inputs, h0, c0], conv(inputs, initial_state=[h0, c0]))
    conv.set_weights(weights)
    zeros = np.zeros((2, 3, 3, 2), 'float32')
    np.testing.assert_allclose(functional.predict([x, zeros, zeros]), h, rtol=1e-4, atol=1e-5)
    clone = Model.from_config(functional.get_config())
    clone.set_weights(functional.get_weights())
    np.testing.assert_allclose(clone.predict([x, zeros, zeros]), h, rtol=1e-4, atol=1e-5)


def test_dropout_paths_agree(backend, monkeypatch):
    K = backend
    state = {}

    def fixed_dropout(x, level, noise_shape=None, seed=None):
        keep = state['rng'].uniform(size=K.int_shape(x)) >= level
        return x * K.constant(keep.astype('float32') / (1. - level))
    monkeypatch.setattr(K, 'dropout', fixed_dropout)

    class StepByStep(ConvLSTM2DCell):
        def call(self, inputs, states, training=None):
            return super(StepByStep, self).call(inputs, states, training=training)

    x = K.constant(np.random.rand(2, 3, 4, 4, 2))
    outputs, weights = [], None
    for cls in (ConvLSTM2DCell, StepByStep):
        rnn = ConvRNN2D(cls(3, 3, padding='same', dropout=0.3, recurrent_dropout=0.3))
        rnn.build((2, 3, 4, 4, 2))
        if weights is None:
            weights = _randomize(rnn)
        rnn.set_weights(weights)
        state['rng'] = np.random.RandomState(0)
        with K.learning_phase_scope(1):
            outputs.append(K.eval(rnn(x)))
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-5, atol=1e-6)
    with K.learning_phase_scope(0):
        test_output = K.eval(rnn(x))
    assert not np.allclose(test_output, outputs[1])


def test_config_and_legacy_arguments(backend):
    layer = ConvLSTM2D(4, (3, 3), strides=2, padding='same', return_sequences=True,
                       dropout=0.1)
    config = layer.get_config()
    assert list(config)[:7] == ['name', 'trainable', 'return_sequences', 'return_state',
                                'go_backwards', 'stateful', 'unroll']
    assert config['filters'] == 4 and config['kernel_size'] == (3, 3)
    assert config['strides'] == (2, 2) and 'cell' not in config
    assert list(config).index('activity_regularizer') == list(config).index(
        'bias_regularizer') + 1
    json.dumps(config)
    clone = layers.deserialize({'class_name': 'ConvLSTM2D', 'config': config})
    assert clone.get_config() == config
    assert clone.compute_output_shape((None, 2, 8, 8, 1)) == (None, 2, 4, 4, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        legacy = ConvLSTM2D(nb_filter=2, nb_row=3, nb_col=3, border_mode='same',
                            inner_activation='sigmoid')
    assert any('Keras 2 API' in str(w.message) for w in caught)
    assert legacy.filters == 2 and legacy.kernel_size == (3, 3)
    assert legacy.padding == 'same' and legacy.recurrent_activation.__name__ == 'sigmoid'
    with pytest.raises(TypeError, match='Unrolling'):
        ConvRNN2D(ConvLSTM2DCell(2, 3), unroll=True)


def test_trains(backend):
    model = Sequential([ConvLSTM2D(2, 3, padding='same', input_shape=(3, 4, 4, 1)),
                        layers.Flatten(), layers.Dense(1)])
    model.compile('adam', 'mse')
    x = np.random.rand(8, 3, 4, 4, 1).astype('float32')
    y = x.mean(axis=(1, 2, 3, 4))[:, None]
    history = model.fit(x, y, epochs=5, batch_size=4, verbose=0)
    assert history.history['loss'][-1] < history.history['loss'][0]
