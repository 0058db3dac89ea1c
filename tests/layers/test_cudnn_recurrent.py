"""CuDNNLSTM and CuDNNGRU: numbers against NumPy loops of cuDNN's formulas, Keras 2 weight
layout, states, masking refusal, Bidirectional use and configuration."""
import json

import numpy as np
import pytest

from cornu import layers
from cornu.layers import (Input, CuDNNLSTM, CuDNNGRU, LSTM, GRU, Bidirectional, Embedding,
                          Masking)
from cornu.models import Model, Sequential


def sigmoid(x):
    return 1. / (1. + np.exp(-x))


def cudnn_matrices(kernel, recurrent, gates):
    """cuDNN's per-gate matrices `W (units, input_dim)` and `R (units, units)` as Keras 2 fed
    them: each stored gate block flattened as it is (so W is a reshape of the block, not its
    transpose), stacked for all gates."""
    units = recurrent.shape[0]
    w = np.concatenate([kernel[:, g * units:(g + 1) * units].reshape(units, -1)
                        for g in range(gates)])
    r = np.concatenate([recurrent[:, g * units:(g + 1) * units] for g in range(gates)])
    return w, r


def cudnn_lstm(x, weights, h, c, go_backwards=False):
    kernel, recurrent, bias = weights
    units = recurrent.shape[0]
    w, r = cudnn_matrices(kernel, recurrent, 4)
    input_bias, recurrent_bias = bias[:4 * units], bias[4 * units:]
    outputs = []
    steps = range(x.shape[1])
    for t in (steps[::-1] if go_backwards else steps):
        z = x[:, t] @ w.T + input_bias + h @ r.T + recurrent_bias
        i, f = sigmoid(z[:, :units]), sigmoid(z[:, units:2 * units])
        g, o = np.tanh(z[:, 2 * units:3 * units]), sigmoid(z[:, 3 * units:])
        c = f * c + i * g
        h = o * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, 1), h, c


def cudnn_gru(x, weights, h, go_backwards=False):
    kernel, recurrent, bias = weights
    units = recurrent.shape[0]
    w_matrix, r_matrix = cudnn_matrices(kernel, recurrent, 3)
    input_bias, recurrent_bias = bias[:3 * units], bias[3 * units:]
    outputs = []
    steps = range(x.shape[1])
    for t in (steps[::-1] if go_backwards else steps):
        xz = x[:, t] @ w_matrix.T + input_bias
        hz = h @ r_matrix.T + recurrent_bias
        z = sigmoid(xz[:, :units] + hz[:, :units])
        r = sigmoid(xz[:, units:2 * units] + hz[:, units:2 * units])
        hh = np.tanh(xz[:, 2 * units:] + r * hz[:, 2 * units:])
        h = z * h + (1 - z) * hh
        outputs.append(h)
    return np.stack(outputs, 1), h


def _randomize(layer):
    layer.set_weights([np.random.uniform(-.5, .5, w.shape).astype('float32')
                       for w in layer.get_weights()])
    return layer.get_weights()


@pytest.mark.parametrize('go_backwards', [False, True])
def test_cudnn_lstm_matches_the_cudnn_formula(backend, go_backwards):
    x = np.random.rand(3, 5, 4).astype('float32')
    inputs = Input((5, 4))
    layer = CuDNNLSTM(6, return_sequences=True, return_state=True, go_backwards=go_backwards)
    model = Model(inputs, layer(inputs))
    assert [w.shape for w in layer.get_weights()] == [(4, 24), (6, 24), (48,)]
    assert [w.name for w in layer.weights] == ['cu_dnnlstm_1/kernel:0',
                                               'cu_dnnlstm_1/recurrent_kernel:0',
                                               'cu_dnnlstm_1/bias:0']
    weights = _randomize(layer)
    sequence, h, c = model.predict(x)
    zeros = np.zeros((3, 6), 'float32')
    expected = cudnn_lstm(x, weights, zeros, zeros, go_backwards)
    for got, want in zip((sequence, h, c), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('go_backwards', [False, True])
def test_cudnn_gru_matches_the_cudnn_formula(backend, go_backwards):
    x = np.random.rand(3, 5, 4).astype('float32')
    h0 = np.random.rand(3, 6).astype('float32')
    inputs, state = Input((5, 4)), Input((6,))
    layer = CuDNNGRU(6, go_backwards=go_backwards)
    model = Model([inputs, state], layer(inputs, initial_state=state))
    assert [w.shape for w in layer.get_weights()] == [(4, 18), (6, 18), (36,)]
    weights = _randomize(layer)
    _, expected = cudnn_gru(x, weights, h0, go_backwards)
    np.testing.assert_allclose(model.predict([x, h0]), expected, rtol=1e-5, atol=1e-6)


def test_cudnn_weights_equal_lstm_and_gru_weights_converted_as_keras_does(backend):
    """Keras 2.2.4's conversion of CuDNN weights to LSTM/GRU(reset_after=True) weights gives
    the same outputs (as it did in Keras 2), here through `load_weights`."""
    from cornu.engine.weight_conversion import convert_rnn_weights
    x = np.random.rand(2, 4, 3).astype('float32')
    pairs = ((CuDNNLSTM(5), LSTM(5, recurrent_activation='sigmoid')),
             (CuDNNGRU(5), GRU(5, reset_after=True, recurrent_activation='sigmoid')))
    for cudnn, plain in pairs:
        models = []
        for layer in (cudnn, plain):
            inputs = Input((4, 3))
            models.append(Model(inputs, layer(inputs, initial_state=None)))
        plain.set_weights(convert_rnn_weights(plain, _randomize(cudnn)))
        np.testing.assert_allclose(models[0].predict(x), models[1].predict(x), rtol=1e-5,
                                   atol=1e-6)
        back = convert_rnn_weights(cudnn, plain.get_weights())
        cudnn.set_weights(back)
        np.testing.assert_allclose(models[0].predict(x), models[1].predict(x), rtol=1e-5,
                                   atol=1e-6)


def test_unit_forget_bias_and_config(backend):
    layer = CuDNNLSTM(2)
    layer.build((None, 3, 4))
    np.testing.assert_array_equal(layer.get_weights()[2], [0] * 10 + [1] * 2 + [0] * 4)
    config = layer.get_config()
    assert list(config) == ['name', 'trainable', 'return_sequences', 'return_state',
                            'go_backwards', 'stateful', 'units', 'kernel_initializer',
                            'recurrent_initializer', 'bias_initializer', 'unit_forget_bias',
                            'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer',
                            'activity_regularizer', 'kernel_constraint',
                            'recurrent_constraint', 'bias_constraint']
    json.dumps(config)
    assert CuDNNLSTM.from_config(config).get_config() == config
    gru_config = CuDNNGRU(3, go_backwards=True).get_config()
    assert gru_config['go_backwards'] is True and 'unit_forget_bias' not in gru_config
    clone = layers.deserialize({'class_name': 'CuDNNGRU', 'config': gru_config})
    assert clone.go_backwards and clone.units == 3


def test_stateful_and_bidirectional(backend):
    x = np.random.rand(2, 6, 3).astype('float32')
    model = Sequential([CuDNNLSTM(4, stateful=True, batch_input_shape=(2, 3, 3))])
    layer = model.layers[0]
    weights = _randomize(layer)
    model.predict(x[:, :3], batch_size=2)
    second = model.predict(x[:, 3:], batch_size=2)
    zeros = np.zeros((2, 4), 'float32')
    _, h, _ = cudnn_lstm(x, weights, zeros, zeros)
    np.testing.assert_allclose(second, h, rtol=1e-5, atol=1e-6)

    inputs = Input((6, 3))
    bidirectional = Bidirectional(CuDNNGRU(3, return_sequences=True))
    model = Model(inputs, bidirectional(inputs))
    forward, backward = (bidirectional.forward_layer.get_weights(),
                         bidirectional.backward_layer.get_weights())
    assert bidirectional.backward_layer.go_backwards
    zeros = np.zeros((2, 3), 'float32')
    expected = np.concatenate([cudnn_gru(x, forward, zeros)[0],
                               cudnn_gru(x, backward, zeros, True)[0][:, ::-1]], -1)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)


def test_masking_is_refused(backend):
    inputs = Input((4,))
    embedded = Embedding(5, 3, mask_zero=True)(inputs)
    with pytest.raises(ValueError, match='Masking is not supported for CuDNN RNNs'):
        CuDNNLSTM(2)(embedded)
    with pytest.raises(ValueError, match='Masking is not supported'):
        CuDNNGRU(2)(Masking()(Input((3, 2))))


def test_trains(backend):
    model = Sequential([CuDNNLSTM(8, input_shape=(5, 2)), layers.Dense(1)])
    model.compile('adam', 'mse')
    x = np.random.rand(32, 5, 2).astype('float32')
    y = x.sum(axis=(1, 2))[:, None] / 5
    history = model.fit(x, y, epochs=10, batch_size=8, verbose=0)
    assert history.history['loss'][-1] < history.history['loss'][0]
    assert len(model.trainable_weights) == 5
