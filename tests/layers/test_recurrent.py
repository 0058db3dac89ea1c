"""Recurrent layers: SimpleRNN, GRU (both reset_after modes) and LSTM against NumPy loops
written here, masking as Keras 2.2.4 does it, states (return_state, stateful, initial_state),
the native-kernel path against the step-by-step path, dropout, custom and stacked cells,
weights and configuration."""
import json
import warnings

import numpy as np
import pytest

from cornu import layers
from cornu.backend import kernels
from cornu.layers import (Input, Dense, Embedding, Masking, RNN, SimpleRNN, GRU, LSTM,
                          SimpleRNNCell, GRUCell, LSTMCell, StackedRNNCells, Layer,
                          TimeDistributed)
from cornu.layers.recurrent import LSTM as LSTMFromPackage
from cornu.models import Model, Sequential
from cornu.optimizers import SGD


# ---------------------------------------------------------------- NumPy references

def sigmoid(x):
    return 1. / (1. + np.exp(-x))


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0., 1.)


def np_rnn(step, x, states, go_backwards=False, mask=None, unroll=False):
    """Keras 2.2.4's K.rnn: a masked step repeats the previous output (the first state, or
    with `unroll` the previous step's output, zeros at first) and keeps the states."""
    steps = range(x.shape[1])
    if go_backwards:
        steps = steps[::-1]
    outputs, previous = [], None
    for t in steps:
        output, new_states = step(x[:, t], states)
        if mask is not None:
            keep = mask[:, t][:, None].astype(bool)
            if unroll:
                previous = np.zeros_like(output) if previous is None else previous
            else:
                previous = states[0]
            output = np.where(keep, output, previous)
            new_states = [np.where(keep, new, old) for new, old in zip(new_states, states)]
        states = new_states
        outputs.append(output)
        previous = output
    return outputs[-1], np.stack(outputs, 1), states


def simple_step(weights, activation=np.tanh):
    kernel, recurrent, bias = weights

    def step(x, states):
        h = activation(x @ kernel + bias + states[0] @ recurrent)
        return h, [h]
    return step


def lstm_step(weights, recurrent_activation=hard_sigmoid, activation=np.tanh):
    kernel, recurrent, bias = weights
    units = recurrent.shape[0]

    def step(x, states):
        h, c = states
        z = x @ kernel + h @ recurrent + bias
        i = recurrent_activation(z[:, :units])
        f = recurrent_activation(z[:, units:2 * units])
        g = activation(z[:, 2 * units:3 * units])
        o = recurrent_activation(z[:, 3 * units:])
        c = f * c + i * g
        h = o * activation(c)
        return h, [h, c]
    return step


def gru_step(weights, reset_after, recurrent_activation=hard_sigmoid, activation=np.tanh):
    kernel, recurrent, bias = weights
    units = recurrent.shape[0]
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, 0.)

    def step(x, states):
        h = states[0]
        xz = x @ kernel + input_bias
        if reset_after:
            inner = h @ recurrent + recurrent_bias
            z = recurrent_activation(xz[:, :units] + inner[:, :units])
            r = recurrent_activation(xz[:, units:2 * units] + inner[:, units:2 * units])
            hh = activation(xz[:, 2 * units:] + r * inner[:, 2 * units:])
        else:
            z = recurrent_activation(xz[:, :units] + h @ recurrent[:, :units])
            r = recurrent_activation(xz[:, units:2 * units] + h @ recurrent[:, units:2 * units])
            hh = activation(xz[:, 2 * units:] + (r * h) @ recurrent[:, 2 * units:])
        h = z * h + (1 - z) * hh
        return h, [h]
    return step


def _randomize(layer, scale=0.5):
    layer.set_weights([np.random.uniform(-scale, scale, w.shape).astype('float32')
                       for w in layer.get_weights()])
    return layer.get_weights()


def _run(layer, x, **call_kwargs):
    inputs = Input(x.shape[1:])
    model = Model(inputs, layer(inputs, **call_kwargs))
    return model.predict(x)


def _zeros(batch, units):
    return np.zeros((batch, units), 'float32')


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize('go_backwards', [False, True])
def test_simple_rnn_matches_numpy(backend, go_backwards):
    x = np.random.rand(3, 5, 4).astype('float32')
    layer = SimpleRNN(6, return_sequences=True, go_backwards=go_backwards)
    out = _run(layer, x)
    weights = _randomize(layer)
    out = Model(layer.input, layer.output).predict(x)
    _, expected, _ = np_rnn(simple_step(weights), x, [_zeros(3, 6)], go_backwards)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('reset_after', [False, True])
@pytest.mark.parametrize('implementation', [1, 2])
@pytest.mark.parametrize('go_backwards', [False, True])
def test_gru_matches_numpy(backend, reset_after, implementation, go_backwards):
    x = np.random.rand(3, 5, 4).astype('float32')
    layer = GRU(6, reset_after=reset_after, implementation=implementation,
                go_backwards=go_backwards, return_sequences=True)
    _run(layer, x)
    assert layer.get_weights()[2].shape == ((2, 18) if reset_after else (18,))
    weights = _randomize(layer)
    out = Model(layer.input, layer.output).predict(x)
    _, expected, _ = np_rnn(gru_step(weights, reset_after), x, [_zeros(3, 6)], go_backwards)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('implementation', [1, 2])
@pytest.mark.parametrize('go_backwards', [False, True])
def test_lstm_matches_numpy(backend, implementation, go_backwards):
    x = np.random.rand(3, 5, 4).astype('float32')
    layer = LSTM(6, implementation=implementation, go_backwards=go_backwards)
    _run(layer, x)
    weights = _randomize(layer)
    out = Model(layer.input, layer.output).predict(x)
    last, _, _ = np_rnn(lstm_step(weights), x, [_zeros(3, 6)] * 2, go_backwards)
    np.testing.assert_allclose(out, last, rtol=1e-5, atol=1e-5)


def test_cell_call_is_one_step(backend):
    K = backend
    x = np.random.rand(2, 4).astype('float32')
    states = [np.random.rand(2, 3).astype('float32') for _ in range(2)]
    for cell, reference in ((LSTMCell(3, implementation=1), lstm_step),
                            (GRUCell(3, reset_after=True),
                             lambda w: gru_step(w, True)),
                            (SimpleRNNCell(3), simple_step)):
        cell.build((2, 4))
        weights = _randomize(cell)
        count = len(cell.state_size) if hasattr(cell.state_size, '__len__') else 1
        out, new = cell.call(K.constant(x), [K.constant(s) for s in states[:count]])
        expected, expected_states = reference(weights)(x, states[:count])
        np.testing.assert_allclose(K.eval(out), expected, rtol=1e-5, atol=1e-6)
        for got, want in zip(new, expected_states):
            np.testing.assert_allclose(K.eval(got), want, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- weights and config

def test_weight_layouts_and_names(backend):
    x = np.zeros((1, 2, 5), 'float32')
    lstm, gru, simple = LSTM(3), GRU(3), SimpleRNN(3)
    for layer in (lstm, gru, simple):
        _run(layer, x)
    assert [w.shape for w in lstm.get_weights()] == [(5, 12), (3, 12), (12,)]
    assert [w.shape for w in gru.get_weights()] == [(5, 9), (3, 9), (9,)]
    assert [w.shape for w in simple.get_weights()] == [(5, 3), (3, 3), (3,)]
    assert [w.name for w in lstm.weights] == ['lstm_1/kernel:0', 'lstm_1/recurrent_kernel:0',
                                              'lstm_1/bias:0']
    # unit_forget_bias: ones for the forget gate only.
    np.testing.assert_array_equal(lstm.get_weights()[2], [0] * 3 + [1] * 3 + [0] * 6)
    # Orthogonal recurrent kernel by default.
    recurrent = simple.get_weights()[1]
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(3), atol=1e-5)
    assert LSTMFromPackage is LSTM and layers.LSTM is LSTM


def test_lstm_config_is_keras_2_2_4(backend):
    layer = LSTM(4, recurrent_activation='sigmoid', return_sequences=True, dropout=0.1,
                 kernel_regularizer='l2')
    config = layer.get_config()
    assert list(config) == [
        'name', 'trainable', 'return_sequences', 'return_state', 'go_backwards', 'stateful',
        'unroll', 'units', 'activation', 'recurrent_activation', 'use_bias',
        'kernel_initializer', 'recurrent_initializer', 'bias_initializer', 'unit_forget_bias',
        'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer',
        'activity_regularizer', 'kernel_constraint', 'recurrent_constraint',
        'bias_constraint', 'dropout', 'recurrent_dropout', 'implementation']
    assert config['recurrent_activation'] == 'sigmoid' and config['implementation'] == 1
    json.dumps(config)
    clone = LSTM.from_config(config)
    assert clone.get_config() == config
    gru_config = GRU(2, reset_after=True).get_config()
    assert gru_config['reset_after'] is True and 'cell' not in gru_config
    assert 'implementation' not in SimpleRNN(2).get_config()
    # Keras 2.2.4 turns the deprecated implementation 0 into 1 when loading.
    config['implementation'] = 0
    assert LSTM.from_config(config).implementation == 1
    rnn_config = RNN(LSTMCell(3)).get_config()
    assert rnn_config['cell']['class_name'] == 'LSTMCell'
    rebuilt = layers.deserialize({'class_name': 'RNN', 'config': rnn_config})
    assert isinstance(rebuilt.cell, LSTMCell) and rebuilt.cell.units == 3


def test_keras_1_arguments(backend):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        layer = LSTM(output_dim=4, inner_activation='sigmoid', input_dim=3, input_length=5,
                     dropout_W=0.1, consume_less='gpu')
    assert any('Keras 2 API' in str(w.message) for w in caught)
    assert layer.units == 4 and layer.recurrent_activation.__name__ == 'sigmoid'
    assert layer.dropout == 0.1 and layer.implementation == 2
    assert layer.batch_input_shape == (None, 5, 3)
    with pytest.raises(TypeError, match='positional'):
        LSTM(4, 'tanh')


def test_regularizers_constraints_and_trainable(backend):
    layer = LSTM(3, kernel_regularizer='l2', recurrent_constraint='non_neg',
                 activity_regularizer='l1')
    inputs = Input((4, 2))
    model = Model(inputs, Dense(1)(layer(inputs)))
    # The kernel's regularization and the activity regularization of the layer's call.
    assert len(layer.losses) == 2
    model.compile('sgd', 'mse')
    x, y = np.random.rand(8, 4, 2), np.random.rand(8, 1)
    model.fit(x, y, epochs=1, verbose=0)
    assert layer.get_weights()[1].min() >= 0
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3


# ---------------------------------------------------------------- masking

def test_masking_from_embedding_end_to_end(backend):
    ids = np.array([[0, 0, 3, 1, 2], [4, 0, 2, 0, 1], [1, 2, 3, 4, 5]])
    inputs = Input((5,), dtype='int32')
    embedded = Embedding(6, 3, mask_zero=True)(inputs)
    lstm = LSTM(4, return_sequences=True)
    sequence = lstm(embedded)
    assert sequence._keras_mask is not None
    last = LSTM(2, go_backwards=True)(sequence)
    assert last._keras_mask is None
    model = Model(inputs, [sequence, last])
    weights = [_randomize(layer) for layer in model.layers[1:]]
    got_sequence, got_last = model.predict(ids)
    (table,), first, second = weights
    mask = ids != 0
    x = table[ids]
    _, expected_sequence, _ = np_rnn(lstm_step(first), x, [_zeros(3, 4)] * 2, mask=mask)
    expected_last, _, _ = np_rnn(lstm_step(second), expected_sequence, [_zeros(3, 2)] * 2,
                                 go_backwards=True, mask=mask)
    np.testing.assert_allclose(got_sequence, expected_sequence, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_last, expected_last, rtol=1e-5, atol=1e-6)
    # Masked leading steps output the (zero) initial state, then hold.
    np.testing.assert_array_equal(got_sequence[0, :2], 0)
    np.testing.assert_allclose(got_sequence[1, 1], got_sequence[1, 0])


@pytest.mark.parametrize('unroll', [False, True])
def test_masking_layer_with_initial_state_and_unroll(backend, unroll):
    x = np.random.rand(2, 4, 3).astype('float32')
    x[0, 0] = 0.
    x[1, 2] = 0.
    h0 = np.random.rand(2, 5).astype('float32')
    inputs, state = Input((4, 3)), Input((5,))
    rnn = SimpleRNN(5, return_sequences=True, unroll=unroll)
    outputs = rnn(Masking()(inputs), initial_state=state)
    model = Model([inputs, state], outputs)
    weights = _randomize(rnn)
    got = model.predict([x, h0])
    _, expected, _ = np_rnn(simple_step(weights), x, [h0], mask=np.any(x != 0, -1),
                            unroll=unroll)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # Keras 2.2.4: unrolled, a masked first step outputs zeros; otherwise the initial state.
    np.testing.assert_allclose(got[0, 0], 0. if unroll else h0[0], atol=1e-7)


def test_mask_with_time_distributed_after(backend):
    inputs = Input((4,))
    x = Embedding(5, 2, mask_zero=True)(inputs)
    x = GRU(3, return_sequences=True)(x)
    outputs = TimeDistributed(Dense(1))(x)
    assert outputs._keras_mask is not None
    model = Model(inputs, outputs)
    model.compile('sgd', 'mse')
    ids = np.array([[1, 2, 0, 0], [3, 4, 1, 0]])
    model.fit(ids, np.random.rand(2, 4, 1), epochs=1, verbose=0)
    assert model.predict(ids).shape == (2, 4, 1)


# ---------------------------------------------------------------- states

def test_return_state_shapes_and_values(backend):
    x = np.random.rand(2, 3, 4).astype('float32')
    inputs = Input((3, 4))
    lstm = LSTM(5, return_state=True, return_sequences=True)
    outputs = lstm(inputs)
    assert [o._keras_shape for o in outputs] == [(None, 3, 5), (None, 5), (None, 5)]
    assert lstm.compute_output_shape((None, 3, 4)) == [(None, 3, 5), (None, 5), (None, 5)]
    sequence, h, c = Model(inputs, outputs).predict(x)
    weights = lstm.get_weights()
    _, expected, (expected_h, expected_c) = np_rnn(lstm_step(weights), x, [_zeros(2, 5)] * 2)
    np.testing.assert_allclose(sequence, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, expected_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c, expected_c, rtol=1e-5, atol=1e-6)
    gru_outputs = GRU(2, return_state=True)(inputs)
    assert [o._keras_shape for o in gru_outputs] == [(None, 2), (None, 2)]


def test_stateful_lstm_carries_states(backend):
    x = np.random.rand(2, 6, 3).astype('float32')
    model = Sequential([LSTM(4, stateful=True, batch_input_shape=(2, 3, 3))])
    lstm = model.layers[0]
    weights = _randomize(lstm)
    first = model.predict(x[:, :3], batch_size=2)
    second = model.predict(x[:, 3:], batch_size=2)
    step = lstm_step(weights)
    expected_first, _, _ = np_rnn(step, x[:, :3], [_zeros(2, 4)] * 2)
    expected_second, _, (h, c) = np_rnn(step, x, [_zeros(2, 4)] * 2)
    np.testing.assert_allclose(first, expected_first, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(second, expected_second, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(backend.get_value(lstm.states[1]), c, rtol=1e-5, atol=1e-6)

    model.reset_states()
    assert all(np.all(backend.get_value(s) == 0) for s in lstm.states)
    np.testing.assert_allclose(model.predict(x[:, :3], batch_size=2), expected_first,
                               rtol=1e-5, atol=1e-6)
    lstm.reset_states(states=[np.ones((2, 4)), np.zeros((2, 4))])
    np.testing.assert_array_equal(backend.get_value(lstm.states[0]), 1)
    with pytest.raises(ValueError, match='expected shape'):
        lstm.reset_states(states=[np.ones((3, 4)), np.zeros((3, 4))])
    with pytest.raises(ValueError, match='lstm_1.*batch size of 2.*3 samples'):
        model.predict(np.random.rand(3, 3, 3), batch_size=3)
    with pytest.raises(AttributeError, match='stateful'):
        LSTM(2).reset_states()
    with pytest.raises(ValueError, match='batch size'):
        Sequential([LSTM(2, stateful=True, input_shape=(3, 3))])


def test_stateful_training_keeps_states_out_of_the_graph(backend):
    model = Sequential([SimpleRNN(3, stateful=True, batch_input_shape=(4, 5, 2)), Dense(1)])
    model.compile('sgd', 'mse')
    x, y = np.random.rand(8, 5, 2), np.random.rand(8, 1)
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    states = backend.get_value(model.layers[0].states[0])
    assert states.shape == (4, 3) and np.abs(states).sum() > 0


def test_initial_state_symbolic_in_a_functional_model(backend):
    encoder_x, decoder_x = Input((4, 3)), Input((2, 5))
    _, h, c = LSTM(6, return_state=True)(encoder_x)
    decoder = LSTM(6, return_sequences=True)
    outputs = Dense(2)(decoder(decoder_x, initial_state=[h, c]))
    model = Model([encoder_x, decoder_x], outputs)
    node = decoder._inbound_nodes[0]
    assert len(node.input_tensors) == 3 and node.arguments == {}
    data = [np.random.rand(3, 4, 3).astype('float32'), np.random.rand(3, 2, 5).astype('float32')]
    expected = model.predict(data)

    encoder = model.layers[2]
    _, _, (h_np, c_np) = np_rnn(lstm_step(encoder.get_weights()), data[0], [_zeros(3, 6)] * 2)
    _, sequence, _ = np_rnn(lstm_step(decoder.get_weights()), data[1], [h_np, c_np])
    kernel, bias = model.layers[-1].get_weights()
    np.testing.assert_allclose(expected, sequence @ kernel + bias, rtol=1e-5, atol=1e-5)

    config = model.get_config()
    json.dumps(config)
    clone = Model.from_config(config)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(data), expected, rtol=1e-6, atol=1e-6)
    # Calling with the states inside the input list is the same.
    again = decoder([decoder_x, h, c])
    assert again._keras_shape == (None, 2, 6)
    with pytest.raises(ValueError, match='mix of Keras tensors'):
        decoder(decoder_x, initial_state=[h, np.zeros((3, 6))])


def test_initial_state_concrete(backend):
    K = backend
    x = np.random.rand(2, 3, 4).astype('float32')
    h0 = np.random.rand(2, 5).astype('float32')
    layer = GRU(5)
    out = layer(K.constant(x), initial_state=K.constant(h0))
    expected, _, _ = np_rnn(gru_step(layer.get_weights(), False), x, [h0])
    np.testing.assert_allclose(K.eval(out), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='1 states but was passed 2'):
        layer.call(K.constant(x), initial_state=[K.constant(h0)] * 2)


# ---------------------------------------------------------------- native kernels

@pytest.mark.parametrize('go_backwards', [False, True])
def test_native_kernels_equal_the_step_loop(backend, go_backwards, monkeypatch):
    calls = []
    for name in ('lstm_sequence', 'gru_sequence'):
        original = getattr(kernels, name)
        monkeypatch.setattr(kernels, name, lambda *a, _f=original, _n=name, **k:
                            calls.append(_n) or _f(*a, **k))
    x = np.random.rand(4, 6, 3).astype('float32')
    y = np.random.rand(4, 6, 5).astype('float32')
    for make in (lambda unroll: LSTM(5, recurrent_activation='sigmoid', unroll=unroll,
                                     return_sequences=True, go_backwards=go_backwards),
                 lambda unroll: GRU(5, recurrent_activation='sigmoid', reset_after=True,
                                    unroll=unroll, return_sequences=True,
                                    go_backwards=go_backwards)):
        models = []
        for unroll in (False, True):  # unroll forces the step-by-step loop
            inputs = Input((6, 3))
            model = Model(inputs, make(unroll)(inputs))
            model.compile(SGD(lr=0.5), 'mse')
            models.append(model)
        models[1].set_weights(models[0].get_weights())
        del calls[:]
        fused, loop = models[0].predict(x), models[1].predict(x)
        assert len(calls) == 1
        np.testing.assert_allclose(fused, loop, rtol=1e-5, atol=1e-6)
        for model in models:
            model.train_on_batch(x, y)
        for a, b in zip(models[0].get_weights(), models[1].get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    # hard_sigmoid and reset_after=False have no native kernel.
    del calls[:]
    _run(LSTM(2), x)
    _run(GRU(2, recurrent_activation='sigmoid'), x)
    assert calls == []


def test_native_kernel_with_all_valid_mask_and_input_dropout(backend, monkeypatch):
    K = backend
    if K.backend() != 'torch':
        # Inside a compiled step a mask's values are unknown when the path is chosen.
        pytest.skip('the eager torch engine checks masks for the native kernel')
    calls = []
    original = kernels.lstm_sequence
    monkeypatch.setattr(kernels, 'lstm_sequence',
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    ids = np.array([[1, 2, 3], [3, 2, 1]])
    inputs = Input((3,))
    outputs = LSTM(2, recurrent_activation='sigmoid')(Embedding(4, 2, mask_zero=True)(inputs))
    model = Model(inputs, outputs)
    model.predict(ids)
    assert calls == [1]
    model.predict(np.array([[1, 0, 3]]))
    assert calls == [1]  # a real mask takes the step loop

    layer = LSTM(3, recurrent_activation='sigmoid', dropout=0.5, implementation=2)
    x = K.constant(np.random.rand(2, 4, 3))
    with K.learning_phase_scope(1):
        layer(x)
    assert len(calls) == 2
    with K.learning_phase_scope(1):
        LSTM(3, recurrent_activation='sigmoid', recurrent_dropout=0.5)(x)
    assert len(calls) == 2  # recurrent dropout needs the step loop


# ---------------------------------------------------------------- dropout

def test_dropout_only_in_training(backend):
    K = backend
    x = np.random.rand(4, 5, 3).astype('float32')
    for layer in (LSTM(6, dropout=0.5, recurrent_dropout=0.5, return_sequences=True),
                  GRU(6, dropout=0.5, recurrent_dropout=0.5, implementation=2),
                  SimpleRNN(6, dropout=0.5, recurrent_dropout=0.5)):
        inputs = Input((5, 3))
        model = Model(inputs, layer(inputs))
        assert layer.uses_learning_phase
        test_a, test_b = model.predict(x), model.predict(x)
        np.testing.assert_array_equal(test_a, test_b)
        clean = layer.__class__.from_config(dict(layer.get_config(), dropout=0.,
                                                 recurrent_dropout=0.))
        clean_model = Model(inputs, clean(inputs))
        clean.set_weights(layer.get_weights())
        np.testing.assert_allclose(clean_model.predict(x), test_a, rtol=1e-6)
        with K.learning_phase_scope(1):
            train_a = K.eval(layer(K.constant(x)))
            train_b = K.eval(layer(K.constant(x)))
        assert not np.allclose(train_a, test_a)
        assert not np.allclose(train_a, train_b)  # new masks at every call


def test_dropout_masks_are_shared_by_all_timesteps(backend):
    K = backend
    layer = SimpleRNN(3, dropout=0.5, kernel_initializer='ones', recurrent_initializer='zeros',
                      activation='linear', return_sequences=True)
    x = np.ones((2, 4, 8), 'float32')
    with K.learning_phase_scope(1):
        out = K.eval(layer(K.constant(x)))
    # The same input at every step and no recurrence: the same dropped output every step.
    for t in range(1, 4):
        np.testing.assert_allclose(out[:, t], out[:, 0])


# ---------------------------------------------------------------- custom and stacked cells

class MinimalRNNCell(Layer):
    """The cell of Keras 2.2.4's RNN docstring."""

    def __init__(self, units, **kwargs):
        self.units = units
        self.state_size = units
        super(MinimalRNNCell, self).__init__(**kwargs)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer='uniform', name='kernel')
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                initializer='uniform',
                                                name='recurrent_kernel')
        self.built = True

    def call(self, inputs, states):
        from cornu import backend as K
        output = K.dot(inputs, self.kernel) + K.dot(states[0], self.recurrent_kernel)
        return output, [output]

    def get_config(self):
        return dict(super(MinimalRNNCell, self).get_config(), units=self.units)


class AttentionLikeCell(Layer):
    """A cell that takes constants."""

    state_size = 2

    def build(self, input_shape):
        self.built = True

    def call(self, inputs, states, constants=None):
        output = states[0] + inputs[:, :2] * constants[0]
        return output, [output]


def test_custom_cell_and_stacked_cells(backend):
    x = np.random.rand(2, 4, 3).astype('float32')
    inputs = Input((None, 3))
    rnn = RNN([MinimalRNNCell(5), MinimalRNNCell(2)], return_state=True)
    outputs = rnn(inputs)
    assert isinstance(rnn.cell, StackedRNNCells)
    assert rnn.cell.state_size == (5, 2)  # Keras 2.2.4: the cells' states in cell order
    assert rnn.cell.output_size == 2
    assert [o._keras_shape for o in outputs] == [(None, 2), (None, 5), (None, 2)]
    assert [w.name for w in rnn.weights] == ['rnn_1/kernel:0', 'rnn_1/recurrent_kernel:0',
                                             'rnn_1/kernel_1:0', 'rnn_1/recurrent_kernel_1:0']
    got = Model(inputs, outputs).predict(x)
    k1, r1, k2, r2 = rnn.get_weights()

    def step(xt, states):
        h1, h2 = states
        h1 = xt @ k1 + h1 @ r1
        h2 = h1 @ k2 + h2 @ r2
        return h2, [h1, h2]
    last, _, (h1, h2) = np_rnn(step, x, [_zeros(2, 5), _zeros(2, 2)])
    for a, b in zip(got, [last, h1, h2]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

    config = Model(inputs, outputs).get_config()
    clone = Model.from_config(config, custom_objects={'MinimalRNNCell': MinimalRNNCell})
    clone.set_weights(Model(inputs, outputs).get_weights())
    for a, b in zip(clone.predict(x), got):
        np.testing.assert_allclose(a, b, rtol=1e-6)

    stacked = RNN([LSTMCell(3), GRUCell(2)])
    _run(stacked, x)
    assert [w.shape for w in stacked.get_weights()] == [(3, 12), (3, 12), (12,), (3, 6),
                                                        (2, 6), (6,)]


def test_stacked_cells_state_order_and_output_shape():
    cells = [LSTMCell(3), LSTMCell(6)]
    natural = RNN(cells, return_state=True, return_sequences=True)
    assert natural.cell.state_size == (3, 3, 6, 6)
    assert natural.compute_output_shape((None, 5, 4)) == [(None, 5, 6), (None, 3), (None, 3),
                                                          (None, 6), (None, 6)]
    with pytest.warns(UserWarning, match='reverse_state_order'):
        reversed_cells = StackedRNNCells(cells, reverse_state_order=True)
    assert reversed_cells.state_size == (6, 6, 3, 3)
    assert reversed_cells.output_size == 6
    reversed_rnn = RNN(reversed_cells, return_state=True, return_sequences=True)
    assert reversed_rnn.compute_output_shape((None, 5, 4)) == [
        (None, 5, 6), (None, 6), (None, 6), (None, 3), (None, 3)]
    assert StackedRNNCells.from_config(reversed_cells.get_config()).reverse_state_order
    assert 'reverse_state_order' not in StackedRNNCells(cells).get_config()


@pytest.mark.parametrize('reverse_state_order', [False, True])
def test_masked_stacked_cells_of_different_sizes(backend, reverse_state_order):
    """A masked timestep repeats the stack's output (the last cell's state), whatever the
    order of the states, and keeps every state."""
    np.random.seed(1)
    x = np.random.rand(3, 4, 2).astype('float32')
    mask = np.array([[1, 1, 0, 1], [1, 0, 0, 0], [1, 1, 1, 0]], dtype=bool)
    x[~mask] = 0.
    inputs = Input((4, 2))
    cells = StackedRNNCells([MinimalRNNCell(5), MinimalRNNCell(3)],
                            reverse_state_order=reverse_state_order)
    rnn = RNN(cells, return_sequences=True, return_state=True)
    model = Model(inputs, rnn(layers.Masking()(inputs)))
    got = model.predict(x)
    k1, r1, k2, r2 = rnn.get_weights()

    def step(xt, states):
        h2, h1 = states
        h1 = xt @ k1 + h1 @ r1
        h2 = h1 @ k2 + h2 @ r2
        return h2, [h2, h1]
    _, sequence, (h2, h1) = np_rnn(step, x, [_zeros(3, 3), _zeros(3, 5)], mask=mask)
    expected_states = [h2, h1] if reverse_state_order else [h1, h2]
    assert [g.shape for g in got] == [(3, 4, 3)] + [s.shape for s in expected_states]
    for a, b in zip(got, [sequence] + expected_states):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_constants(backend):
    x = np.random.rand(2, 3, 4).astype('float32')
    c = np.random.rand(2, 2).astype('float32')
    inputs, constant = Input((3, 4)), Input((2,))
    rnn = RNN(AttentionLikeCell())
    model = Model([inputs, constant], rnn(inputs, constants=constant))
    expected = (x[:, :, :2] * c[:, None]).sum(1)
    np.testing.assert_allclose(model.predict([x, c]), expected, rtol=1e-5)
    assert rnn.get_config()['num_constants'] == 1
    clone = Model.from_config(model.get_config(),
                              custom_objects={'AttentionLikeCell': AttentionLikeCell})
    np.testing.assert_allclose(clone.predict([x, c]), expected, rtol=1e-5)
    with pytest.raises(ValueError, match='does not support constants'):
        RNN(MinimalRNNCell(2))(Input((3, 4)), constants=Input((2,)))


def test_cell_argument_errors():
    with pytest.raises(ValueError, match='call'):
        RNN(object())
    with pytest.raises(ValueError, match='state_size'):
        RNN(Dense(2))
    with pytest.raises(ValueError, match='unroll'):
        SimpleRNN(2, unroll=True)(Input((None, 3)))


@pytest.mark.parametrize('make_cell', [
    lambda cls: cls(5, dropout=0.3, recurrent_dropout=0.4, implementation=1),
    lambda cls: cls(5, dropout=0.3, recurrent_dropout=0.4, implementation=2),
], ids=['implementation1', 'implementation2'])
def test_whole_sequence_path_equals_keras_step_with_dropout(backend, monkeypatch, make_cell):
    """With the same dropout masks, the batched-projection path gives what the cell's own
    Keras 2.2.4 step (`call`) gives, for every gate and mask layout."""
    K = backend
    state = {}

    def fixed_dropout(x, level, noise_shape=None, seed=None):
        keep = state['rng'].uniform(size=K.int_shape(x)) >= level
        return x * K.constant(keep.astype('float32') / (1. - level))
    monkeypatch.setattr(K, 'dropout', fixed_dropout)

    def step_by_step(cell_class):
        class StepByStep(cell_class):
            def call(self, inputs, states, training=None):
                return super(StepByStep, self).call(inputs, states, training=training)
        return StepByStep

    x = K.constant(np.random.rand(3, 4, 6))
    cell_classes = [(LSTMCell, {}), (GRUCell, {'reset_after': False}),
                    (GRUCell, {'reset_after': True}), (SimpleRNNCell, None)]
    for cell_class, extra in cell_classes:
        outputs, weights = [], None
        for cls in (cell_class, step_by_step(cell_class)):
            if extra is None:
                cell = cls(5, dropout=0.3, recurrent_dropout=0.4)
            else:
                cell = make_cell(lambda *a, **k: cls(*a, **dict(k, **extra)))
            rnn = RNN(cell, return_sequences=True)
            rnn.build((3, 4, 6))
            if weights is None:
                weights = _randomize(rnn)
            rnn.set_weights(weights)
            state['rng'] = np.random.RandomState(0)
            with K.learning_phase_scope(1):
                outputs.append(K.eval(rnn(x)))
        np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-5, atol=1e-6)


def _assert_fast_layer_equals_step_loop(layer_class, cell_class, recurrent_activation,
                                        go_backwards, num_states):
    """A masked sequence model with initial states computed from a second input, built once
    with `layer_class` (its whole-sequence path) and once as `RNN` over a `cell_class` whose
    `call` is wrapped (so the layer cannot take the fast path): equal predictions, and equal
    weights after one training step (the gradients into the kernels, the embeddings and the
    initial states)."""
    class StepByStep(cell_class):
        def call(self, inputs, states, training=None):
            return super(StepByStep, self).call(inputs, states, training=training)

    def build(make_layer):
        ids, context = Input((5,)), Input((3,))
        embedded = Embedding(7, 4, mask_zero=True)(ids)
        states = [Dense(6)(context) for _ in range(num_states)]
        sequence = make_layer()(embedded, initial_state=states)
        model = Model([ids, context], Dense(1)(sequence))
        model.compile(SGD(lr=0.3), 'mse')
        return model

    fast = build(lambda: layer_class(6, recurrent_activation=recurrent_activation,
                                     go_backwards=go_backwards, return_sequences=True))
    loop = build(lambda: RNN(StepByStep(6, recurrent_activation=recurrent_activation),
                             go_backwards=go_backwards, return_sequences=True))
    loop.set_weights(fast.get_weights())
    data = [np.array([[0, 1, 2, 0, 3], [4, 5, 6, 1, 2], [0, 0, 3, 0, 0]]),
            np.random.rand(3, 3).astype('float32')]
    target = np.random.rand(3, 5, 1).astype('float32')
    np.testing.assert_allclose(fast.predict(data), loop.predict(data), rtol=1e-5, atol=1e-6)
    fast.train_on_batch(data, target)
    loop.train_on_batch(data, target)
    for a, b in zip(fast.get_weights(), loop.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize('recurrent_activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
def test_lstm_sequence_path_equals_the_step_loop_with_masks_and_states(
        backend, recurrent_activation, go_backwards):
    """Outputs and gradients (into the kernels, the embeddings and the initial states) of the
    LSTM's whole-sequence path equal those of Keras' step loop, masks included."""
    _assert_fast_layer_equals_step_loop(LSTM, LSTMCell, recurrent_activation, go_backwards,
                                        num_states=2)


def test_engine_without_fused_functions(backend, monkeypatch):
    """An engine that lacks the fused recurrent functions runs the plain `K` path."""
    K = backend
    x = K.constant(np.random.rand(2, 4, 3))
    mask = K.constant(np.array([[1, 1, 0, 1], [1, 1, 1, 1]]) > 0)
    layers_ = [LSTM(5, recurrent_activation='sigmoid', return_sequences=True),
               LSTM(5, return_state=True), GRU(5, reset_after=True,
                                                recurrent_activation='sigmoid'),
               SimpleRNN(5, return_sequences=True)]
    expected = [layer(x, mask=mask) for layer in layers_] + [layers_[0](x)]
    for name in ('rnn_zero_states', 'rnn_step_matmul', 'rnn_mask_all_valid', 'lstm_sequence',
                 'gru_sequence', 'lstm_recurrence'):
        monkeypatch.delattr(kernels, name)
    got = [layer(x, mask=mask) for layer in layers_] + [layers_[0](x)]
    for a, b in zip(got, expected):
        for u, v in zip(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b]):
            np.testing.assert_allclose(K.eval(u), K.eval(v), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('layer_class', ['LSTM', 'GRU', 'SimpleRNN'])
def test_layer_call_on_symbolic_inputs_builds_a_function(backend, layer_class):
    """Keras 2 code runs a layer's `call` on an `Input` inside `K.function`: the engine's
    fused kernels record graph ops there as K's functions do."""
    K = backend
    from cornu import layers as cornu_layers
    inputs = cornu_layers.Input((5, 3))
    layer = getattr(cornu_layers, layer_class)(4, return_sequences=True)
    model_output = layer(inputs)
    f = K.function([inputs], [layer.call(inputs)])
    g = K.function([inputs], [model_output])
    x = np.random.RandomState(0).rand(2, 5, 3).astype('float32')
    np.testing.assert_allclose(f([x])[0], g([x])[0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('recurrent_activation', ['hard_sigmoid', 'sigmoid'])
@pytest.mark.parametrize('go_backwards', [False, True])
def test_gru_recurrence_path_equals_the_step_loop_with_masks_and_states(
        backend, recurrent_activation, go_backwards):
    """Outputs and gradients (into the kernels, the embeddings and the initial state) of the
    GRU's whole-sequence path (`reset_after=False`) equal those of Keras' step loop, masks
    included."""
    _assert_fast_layer_equals_step_loop(GRU, GRUCell, recurrent_activation, go_backwards,
                                        num_states=1)


def test_gru_takes_the_recurrence_kernel_only_for_its_formula(backend, monkeypatch):
    """`reset_after=False` GRUs run `gru_recurrence`, recurrent dropout included;
    `reset_after=True` GRUs do not (the kernel has not their formula)."""
    calls = []
    original = kernels.gru_recurrence
    monkeypatch.setattr(kernels, 'gru_recurrence',
                        lambda *a, **k: calls.append(1) or original(*a, **k))
    x = np.random.rand(2, 4, 3).astype('float32')
    Sequential([GRU(5, input_shape=(4, 3))]).predict(x)
    assert len(calls) == 1
    Sequential([GRU(5, reset_after=True, input_shape=(4, 3))]).predict(x)
    assert len(calls) == 1


@pytest.mark.parametrize('layer_class, kernel, implementation, mask_count', [
    (LSTM, 'lstm_input_recurrence', 1, 4), (LSTM, 'lstm_input_recurrence', 2, 1),
    (GRU, 'gru_recurrence', 1, 3), (GRU, 'gru_recurrence', 2, 1)])
def test_recurrent_dropout_trains_in_the_recurrence_kernel(backend, monkeypatch, layer_class,
                                                           kernel, implementation,
                                                           mask_count):
    """Training with `recurrent_dropout` runs the whole sequence in the layer's recurrence
    kernel with Keras 2's recurrent masks: one per gate for `implementation=1`; for
    `implementation=2` the LSTM's one for all gates and the GRU's one it applies to the state
    itself. Prediction passes none."""
    K = backend
    masks_seen = []
    original = getattr(kernels, kernel)

    def recording(*args, **kwargs):
        masks = kwargs.get('recurrent_masks')
        # (Shapes only: on JAX the step is traced.)
        masks_seen.append(None if masks is None else [K.int_shape(m) for m in masks])
        return original(*args, **kwargs)
    monkeypatch.setattr(kernels, kernel, recording)
    model = Sequential([layer_class(5, dropout=0.2, recurrent_dropout=0.5,
                                    implementation=implementation, input_shape=(4, 3))])
    model.compile(SGD(), 'mse')
    x = np.random.rand(6, 4, 3).astype('float32')
    del masks_seen[:]
    model.train_on_batch(x, np.zeros((6, 5), 'float32'))
    assert masks_seen == [[(6, 5)] * mask_count]
    del masks_seen[:]
    model.predict(x)
    assert masks_seen == [None]
