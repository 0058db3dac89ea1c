"""TimeDistributed and Bidirectional: numbers against NumPy, both TimeDistributed paths,
masks, merge modes, states, weights order and names, configuration, and a sequence-tagging
model that trains."""
import json

import numpy as np
import pytest

from cornu import layers
from cornu.layers import (Input, Dense, Embedding, Masking, LSTM, GRU, SimpleRNN, Conv2D,
                          BatchNormalization, TimeDistributed, Bidirectional, Wrapper)
from cornu.models import Model, Sequential
from cornu.optimizers import Adam


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0., 1.)


def np_lstm(x, weights, go_backwards=False, mask=None, h=None, c=None):
    """Keras 2.2.4 LSTM (hard_sigmoid gates); outputs in processing order."""
    kernel, recurrent, bias = weights
    units = recurrent.shape[0]
    h = np.zeros((x.shape[0], units)) if h is None else h
    c = np.zeros((x.shape[0], units)) if c is None else c
    outputs = []
    steps = range(x.shape[1])
    for t in (steps[::-1] if go_backwards else steps):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f = hard_sigmoid(z[:, :units]), hard_sigmoid(z[:, units:2 * units])
        new_c = f * c + i * np.tanh(z[:, 2 * units:3 * units])
        new_h = hard_sigmoid(z[:, 3 * units:]) * np.tanh(new_c)
        if mask is not None:
            keep = mask[:, t][:, None]
            new_h, new_c = np.where(keep, new_h, h), np.where(keep, new_c, c)
        h, c = new_h, new_c
        outputs.append(h)
    return np.stack(outputs, 1), h, c


def _randomize(layer):
    layer.set_weights([np.random.uniform(-.5, .5, w.shape).astype('float32')
                       for w in layer.get_weights()])
    return layer.get_weights()


# ---------------------------------------------------------------- TimeDistributed

def test_time_distributed_dense(backend):
    model = Sequential([TimeDistributed(Dense(8), input_shape=(10, 16))])
    assert model.output_shape == (None, 10, 8)
    wrapper = model.layers[0]
    assert [w.name for w in wrapper.weights] == ['time_distributed_1/kernel:0',
                                                 'time_distributed_1/bias:0']
    kernel, bias = _randomize(wrapper)
    x = np.random.rand(3, 10, 16).astype('float32')
    np.testing.assert_allclose(model.predict(x), x @ kernel + bias, rtol=1e-5, atol=1e-6)
    config = wrapper.get_config()
    assert config['layer']['class_name'] == 'Dense'
    json.dumps(config)
    clone = layers.deserialize({'class_name': 'TimeDistributed', 'config': config})
    assert isinstance(clone.layer, Dense) and clone.layer.units == 8


def test_time_distributed_fixed_batch_runs_per_step(backend):
    x = np.random.rand(4, 3, 2).astype('float32')
    fixed = Sequential([TimeDistributed(Dense(5), batch_input_shape=(4, 3, 2))])
    free = Sequential([TimeDistributed(Dense(5), input_shape=(3, 2))])
    free.set_weights(fixed.get_weights())
    np.testing.assert_allclose(fixed.predict(x, batch_size=4), free.predict(x), rtol=1e-6,
                               atol=1e-7)
    # Batch-dependent layers see one timestep at a time with a fixed batch size.
    norm = Sequential([TimeDistributed(BatchNormalization(), batch_input_shape=(4, 3, 2))])
    norm.compile('sgd', 'mse')
    norm.train_on_batch(x, x)
    moving_mean = norm.layers[0].get_weights()[2]
    expected = 0.
    for t in range(3):  # one moving-average update per timestep
        expected = 0.99 * expected + 0.01 * x[:, t].mean(0)
    np.testing.assert_allclose(moving_mean, expected, rtol=1e-4)


def test_time_distributed_model_and_conv(backend):
    inner_inputs = Input((4,))
    inner = Model(inner_inputs, Dense(2, activation='relu')(Dense(3)(inner_inputs)))
    inputs = Input((5, 4))
    outputs = TimeDistributed(inner)(inputs)
    assert outputs._keras_shape == (None, 5, 2)
    x = np.random.rand(2, 5, 4).astype('float32')
    expected = inner.predict(x.reshape(10, 4)).reshape(2, 5, 2)
    np.testing.assert_allclose(Model(inputs, outputs).predict(x), expected, rtol=1e-5)

    conv = TimeDistributed(Conv2D(3, (3, 3)))
    images = Input((2, 6, 6, 1))
    assert conv(images)._keras_shape == (None, 2, 4, 4, 3)
    assert Model(images, conv.output).predict(np.random.rand(3, 2, 6, 6, 1)).shape == \
        (3, 2, 4, 4, 3)


def test_time_distributed_masks(backend):
    ids = np.array([[1, 2, 0, 0], [3, 0, 1, 2]])
    inputs = Input((4,))
    embedded = Embedding(4, 3, mask_zero=True)(inputs)
    dense = TimeDistributed(Dense(3))(embedded)
    assert dense._keras_mask is not None
    lstm = LSTM(2, return_sequences=True)
    outputs = lstm(dense)
    model = Model(inputs, outputs)
    table = model.layers[1].get_weights()[0]
    kernel, bias = model.layers[2].get_weights()
    expected, _, _ = np_lstm(table[ids] @ kernel + bias, lstm.get_weights(), mask=ids != 0)
    np.testing.assert_allclose(model.predict(ids), expected, rtol=1e-5, atol=1e-6)
    _, masks = model.run_internal_graph([backend.constant(ids)])
    np.testing.assert_array_equal(backend.eval(masks[0]), ids != 0)

    # The inner layer makes the mask (Masking over the features of each timestep).
    frames = Input((3, 2, 2))
    masked = TimeDistributed(Masking())(frames)
    x = np.random.rand(1, 3, 2, 2).astype('float32')
    x[0, 1, 0] = 0.
    _, masks = Model(frames, masked).run_internal_graph([backend.constant(x)])
    np.testing.assert_array_equal(backend.eval(masks[0]), [[[True, True], [False, True],
                                                            [True, True]]])


def _np_simple_rnn(x, kernel, recurrent, bias, mask):
    """SimpleRNN (tanh) over `(samples, time, features)`; masked steps keep the state."""
    h = np.zeros((x.shape[0], recurrent.shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        new_h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        h = np.where(mask[:, t][:, None], new_h, h)
        outputs.append(h)
    return np.stack(outputs, 1)


def test_time_distributed_masks_with_unknown_sample_and_time_sizes(backend):
    """Masks through TimeDistributed when the sizes of the input are unknown (`None`): the
    masks are symbolic tensors whose reshapes take their sizes when they run."""
    K = backend
    model = Sequential()
    model.add(TimeDistributed(Embedding(5, 3, mask_zero=True), input_shape=(None, None)))
    model.add(TimeDistributed(SimpleRNN(4, return_sequences=True)))
    model.add(TimeDistributed(SimpleRNN(2)))
    assert model.output_shape == (None, None, 2)
    ids = np.random.randint(1, 5, size=(3, 2, 4))
    ids[0, 1:, 2:] = 0
    ids[2, :, 1:] = 0
    masks = [model.layers[0].compute_mask(model.input)]
    for layer in model.layers[1:]:
        masks.append(layer.compute_mask(layer.input, masks[-1]))
    assert [K.int_shape(m) for m in masks] == [(None, None, None), (None, None, None),
                                               (None, None)]
    values = K.function([model.input], masks)([ids])
    for value, expected in zip(values, [ids > 0, ids > 0, np.any(ids > 0, axis=-1)]):
        np.testing.assert_array_equal(value, expected)

    # The numbers: each (sample, timestep) row runs through both RNNs on its own.
    table = model.layers[0].get_weights()[0]
    rnn1, rnn2 = model.layers[1].get_weights(), model.layers[2].get_weights()
    rows = ids.reshape(6, 4)
    first = _np_simple_rnn(table[rows], *rnn1, mask=rows > 0)
    second = _np_simple_rnn(first, *rnn2, mask=rows > 0)[:, -1]
    np.testing.assert_allclose(model.predict(ids), second.reshape(3, 2, 2), rtol=1e-5,
                               atol=1e-6)


def test_time_distributed_masking_layer_and_nested_model(backend):
    """A mask made inside TimeDistributed (Masking), and a mask passed through a wrapped
    Sequential, with an unknown number of timesteps."""
    K = backend
    x = np.random.randint(1, 5, size=(4, 3, 2)).astype('float32')
    for i in range(3):
        x[i, i:] = 0.
    expected = np.any(x != 0, axis=-1)

    model = Sequential()
    model.add(TimeDistributed(Masking(0.), input_shape=(None, 2)))
    model.add(TimeDistributed(Dense(5)))
    masks = [model.layers[0].compute_mask(model.input)]
    masks.append(model.layers[1].compute_mask(model.layers[1].input, masks[-1]))
    for value in K.function([model.input], masks)([x]):
        np.testing.assert_array_equal(value, expected)

    inputs = Input((3, 2))
    masked = Masking(0.)(inputs)
    inner = Sequential([Dense(5, input_shape=(2,)), layers.Activation('relu')])
    wrapped = TimeDistributed(inner)
    outputs = wrapped(masked)
    assert K.int_shape(outputs._keras_mask) == (None, 3)
    # The nested model's own mask, on symbolic inputs: that of its input, as Dense passes it.
    inner_mask = inner.compute_mask(Input((2,)), Input((), dtype='bool'))
    assert K.int_shape(inner_mask) == (None,)
    model = Model(inputs, outputs)
    model.compile('rmsprop', 'mse')
    model.fit(x, np.random.rand(4, 3, 5), epochs=1, batch_size=3, verbose=0)
    mask = wrapped.compute_mask(wrapped.input, masked._keras_mask)
    np.testing.assert_array_equal(K.function([inputs], [mask])([x])[0], expected)
    kernel, bias = inner.get_weights()
    np.testing.assert_allclose(model.predict(x), np.maximum(x @ kernel + bias, 0.), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize('merge_mode', ['sum', 'concat', None])
def test_wrapped_dropout_marks_outputs_as_using_the_learning_phase(backend, merge_mode):
    def outputs_of(tensors):
        return tensors if isinstance(tensors, list) else [tensors]

    inputs = Input((3, 5))
    wrapped = Bidirectional(LSTM(3, dropout=0.2, return_state=True), merge_mode=merge_mode)
    outputs = outputs_of(wrapped(inputs))
    assert wrapped.uses_learning_phase
    assert all(x._uses_learning_phase for x in outputs)
    model = Model(inputs, outputs)
    assert model.uses_learning_phase
    x = np.random.rand(2, 3, 5).astype('float32')
    for first, second in zip(outputs_of(model.predict(x)), outputs_of(model.predict(x))):
        np.testing.assert_array_equal(first, second)  # predict runs without dropout

    # A call given its phase does not depend on the learning phase.
    fixed = Bidirectional(LSTM(3, dropout=0.2, recurrent_dropout=0.2), merge_mode=merge_mode)
    assert not any(x._uses_learning_phase for x in outputs_of(fixed(inputs, training=True)))
    assert not LSTM(3, dropout=0.2)(inputs, training=False)._uses_learning_phase
    assert not Bidirectional(LSTM(3), merge_mode=merge_mode).uses_learning_phase
    assert TimeDistributed(layers.Dropout(0.5))(inputs)._uses_learning_phase


def test_time_distributed_keeps_a_frozen_layer_frozen(backend):
    dense = Dense(2)
    dense.trainable = False
    wrapper = TimeDistributed(dense)
    wrapper(Input((3, 4)))
    assert wrapper.trainable_weights == [] and len(wrapper.non_trainable_weights) == 2
    wrapper.trainable = True
    assert len(wrapper.trainable_weights) == 2
    with pytest.raises(ValueError, match='rank'):
        TimeDistributed(Dense(2))(Input((3,)))


# ---------------------------------------------------------------- Bidirectional

@pytest.mark.parametrize('merge_mode', ['concat', 'sum', 'mul', 'ave', None])
def test_bidirectional_merge_modes(backend, merge_mode):
    x = np.random.rand(2, 4, 3).astype('float32')
    inputs = Input((4, 3))
    wrapper = Bidirectional(LSTM(5, return_sequences=True), merge_mode=merge_mode)
    outputs = wrapper(inputs)
    model = Model(inputs, outputs)
    forward, backward = wrapper.get_weights()[:3], wrapper.get_weights()[3:]
    y, _, _ = np_lstm(x, forward)
    y_rev, _, _ = np_lstm(x, backward, go_backwards=True)
    y_rev = y_rev[:, ::-1]
    expected = {'concat': np.concatenate([y, y_rev], -1), 'sum': y + y_rev, 'mul': y * y_rev,
                'ave': (y + y_rev) / 2, None: [y, y_rev]}[merge_mode]
    got = model.predict(x)
    if merge_mode is None:
        assert [o._keras_shape for o in outputs] == [(None, 4, 5)] * 2
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    else:
        size = 10 if merge_mode == 'concat' else 5
        assert outputs._keras_shape == (None, 4, size)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_bidirectional_weights_names_and_initial_weights(backend):
    inputs = Input((3, 2))
    wrapper = Bidirectional(GRU(4))
    wrapper(inputs)
    assert [w.name for w in wrapper.weights] == [
        'bidirectional_1/forward_gru_1/kernel:0',
        'bidirectional_1/forward_gru_1/recurrent_kernel:0',
        'bidirectional_1/forward_gru_1/bias:0', 'bidirectional_1/backward_gru_1/kernel:0',
        'bidirectional_1/backward_gru_1/recurrent_kernel:0',
        'bidirectional_1/backward_gru_1/bias:0']
    assert wrapper.backward_layer.go_backwards and not wrapper.forward_layer.go_backwards
    weights = [np.random.rand(*w.shape).astype('float32') for w in wrapper.get_weights()]
    given = Bidirectional(GRU(4), weights=weights)
    given(inputs)
    for a, b in zip(given.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    wrapper.trainable = False
    assert wrapper.trainable_weights == [] and len(wrapper.non_trainable_weights) == 6
    with pytest.raises(ValueError, match="`merge_mode` argument must be one of 'sum', 'mul', "
                                         "'ave', 'concat', None. Received: 'max'"):
        Bidirectional(LSTM(2), merge_mode='max')


def test_bidirectional_return_state_and_initial_state(backend):
    x = np.random.rand(2, 3, 4).astype('float32')
    inputs = Input((3, 4))
    wrapper = Bidirectional(LSTM(2, return_state=True))
    outputs = wrapper(inputs)
    assert [o._keras_shape for o in outputs] == [(None, 4)] + [(None, 2)] * 4
    output, fh, fc, bh, bc = Model(inputs, outputs).predict(x)
    _, h, c = np_lstm(x, wrapper.get_weights()[:3])
    np.testing.assert_allclose(fc, c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(output[:, :2], h, rtol=1e-5, atol=1e-6)

    states = [Input((2,)) for _ in range(4)]
    decoder = Bidirectional(LSTM(2, return_sequences=True))
    sequence = decoder(inputs, initial_state=states)
    model = Model([inputs] + states, sequence)
    values = [np.random.rand(2, 2).astype('float32') for _ in range(4)]
    forward, _, _ = np_lstm(x, decoder.get_weights()[:3], h=values[0], c=values[1])
    backward, _, _ = np_lstm(x, decoder.get_weights()[3:], True, h=values[2], c=values[3])
    expected = np.concatenate([forward, backward[:, ::-1]], -1)
    np.testing.assert_allclose(model.predict([x] + values), expected, rtol=1e-5, atol=1e-6)
    clone = Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict([x] + values), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='states of the underlying RNNs'):
        Bidirectional(LSTM(2))(inputs, initial_state=states[:3])


def test_bidirectional_masks_and_stateful(backend):
    ids = np.array([[0, 1, 2], [3, 0, 1]])
    inputs = Input((3,))
    embedded = Embedding(4, 2, mask_zero=True)(inputs)
    wrapper = Bidirectional(SimpleRNN(3, return_sequences=True), merge_mode='sum')
    outputs = wrapper(embedded)
    assert outputs._keras_mask is not None
    model = Model(inputs, outputs)
    assert model.predict(ids).shape == (2, 3, 3)

    stateful = Sequential([Bidirectional(LSTM(2, stateful=True),
                                         batch_input_shape=(2, 3, 2))])
    layer = stateful.layers[0]
    assert layer.stateful and stateful.stateful
    first = stateful.predict(np.ones((2, 3, 2)), batch_size=2)
    second = stateful.predict(np.ones((2, 3, 2)), batch_size=2)
    assert not np.allclose(first, second)
    stateful.reset_states()
    np.testing.assert_allclose(stateful.predict(np.ones((2, 3, 2)), batch_size=2), first,
                               rtol=1e-6)


def test_sequence_tagging_model_trains_and_round_trips(backend):
    np.random.seed(3)
    samples, length, vocabulary, tags = 64, 6, 10, 3
    ids = np.random.randint(1, vocabulary, (samples, length))
    labels = np.eye(tags)[ids % tags]
    model = Sequential([
        Embedding(vocabulary, 8, input_length=length),
        Bidirectional(LSTM(8, return_sequences=True)),
        TimeDistributed(Dense(tags, activation='softmax'))])
    model.compile(Adam(lr=0.02), 'categorical_crossentropy', metrics=['accuracy'])
    history = model.fit(ids, labels, epochs=8, batch_size=16, verbose=0)
    losses = history.history['loss']
    assert losses[-1] < losses[0] * 0.5 and history.history['acc'][-1] > 0.8

    config = model.get_config()
    clone = Sequential.from_config(config)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(ids), model.predict(ids), rtol=1e-6, atol=1e-7)
    assert clone.get_config() == config
    rebuilt = layers.deserialize(json.loads(json.dumps(
        {'class_name': 'Bidirectional', 'config': model.layers[1].get_config()})))
    assert rebuilt.merge_mode == 'concat' and rebuilt.forward_layer.units == 8
    assert isinstance(rebuilt, Wrapper)
