"""`fit_generator`, `evaluate_generator` and `predict_generator` with Python generators and
`cornu.utils.Sequence`s, loaded in the training thread (`workers=0`) or by worker threads
(and, once, processes), as Keras 2.2.4 defines them.

As in `test_training.py`, a model that outputs zeros and targets `sqrt(2 ** i)` let a batch's
loss spell out which samples it held.
"""
import threading
import time

import numpy as np
import pytest

from cornu import optimizers
from cornu.callbacks import Callback, LambdaCallback
from cornu.layers import Dense, Input
from cornu.models import Model, Sequential
from cornu.utils import Sequence


# ------------------------------------------------------------------------------ helpers

def _linear(input_dim=3, units=2, activation=None, **kwargs):
    inp = Input((input_dim,), name='x')
    return Model(inp, Dense(units, activation=activation, name='out', **kwargs)(inp))


def _dense_np(layer, x):
    kernel, bias = layer.get_weights()
    return x.astype('float64') @ kernel.astype('float64') + bias


def _mse(y, p):
    return np.mean((p - y) ** 2, axis=-1)


def _weighted(score, w=None):
    """Keras 2.2.4's weighted loss of one batch: `mean(score * w) / mean(w != 0)`."""
    if w is None:
        return np.mean(score)
    return np.mean(score * w) / np.mean(np.asarray(w) != 0)


def _regression_data(n=40, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 3)).astype('float32')
    true_kernel = rng.normal(size=(3, 2))
    y = (x @ true_kernel + 0.5).astype('float32')
    return x, y


def _looping_generator(x, y, batch_size, w=None):
    """Yields `(x, y)` (or `(x, y, w)`) batches in order, forever, as Keras 2 wants."""
    while True:
        for start in range(0, len(x), batch_size):
            batch = slice(start, start + batch_size)
            if w is None:
                yield x[batch], y[batch]
            else:
                yield x[batch], y[batch], w[batch]


class ArraySequence(Sequence):
    """The Sequence of the Keras 2 docs: batches of arrays, the last one shorter."""

    def __init__(self, x, y, batch_size, w=None):
        self.x, self.y, self.w, self.batch_size = x, y, w, batch_size
        self.epochs_ended = 0

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        batch = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        if self.w is None:
            return self.x[batch], self.y[batch]
        return self.x[batch], self.y[batch], self.w[batch]

    def on_epoch_end(self):
        self.epochs_ended += 1


class EpochTaggedSequence(Sequence):
    """Targets equal to (number of `on_epoch_end` calls so far) + 1."""

    def __init__(self, batches=3, batch_size=4):
        self.batches, self.batch_size = batches, batch_size
        self.epochs_ended = 0

    def __len__(self):
        return self.batches

    def __getitem__(self, idx):
        x = np.zeros((self.batch_size, 2), dtype='float32')
        y = np.full((self.batch_size, 1), self.epochs_ended + 1., dtype='float32')
        return x, y

    def on_epoch_end(self):
        self.epochs_ended += 1


class _BatchSpy(Callback):
    """Recovers the samples of each batch from its loss (see the module docstring)."""

    def on_train_begin(self, logs=None):
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append([])

    def on_batch_end(self, batch, logs=None):
        total = int(round(logs['loss'] * logs['size']))
        self.epochs[-1].append([i for i in range(total.bit_length()) if total >> i & 1])


def _spy_model_and_data(n=12):
    model = _linear(input_dim=2, units=1, kernel_initializer='zeros')
    model.compile(optimizers.SGD(lr=0.), 'mse')
    x = np.zeros((n, 2), dtype='float32')
    y = np.sqrt(2. ** np.arange(n)).reshape(n, 1).astype('float32')
    return model, x, y


# ------------------------------------------------------------------------------ fit_generator

@pytest.mark.parametrize('workers', [0, 1, 2])
def test_fit_generator_with_a_python_generator_learns(backend, workers):
    x, y = _regression_data()
    model = _linear()
    model.compile(optimizers.SGD(lr=0.05), 'mse', metrics=['mae'])
    batches = []
    hist = model.fit_generator(_looping_generator(x, y, 8), steps_per_epoch=5, epochs=4,
                               workers=workers, use_multiprocessing=False, verbose=0,
                               callbacks=[LambdaCallback(on_batch_end=lambda b, logs:
                                                         batches.append(logs['size']))])
    assert hist.epoch == [0, 1, 2, 3]
    assert sorted(hist.history) == ['loss', 'mean_absolute_error']
    assert batches == [8] * 20
    losses = hist.history['loss']
    assert all(b < a for a, b in zip(losses, losses[1:]))
    # The model that came out is the one evaluated.
    p = _dense_np(model.get_layer('out'), x)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0)[0], np.mean(_mse(y, p)),
                               rtol=1e-5)


@pytest.mark.parametrize('workers', [0, 1, 2])
def test_fit_generator_with_a_sequence_sees_every_batch_once_per_epoch(backend, workers):
    model, x, y = _spy_model_and_data(n=11)
    spy = _BatchSpy()
    sequence = ArraySequence(x, y, batch_size=3)
    hist = model.fit_generator(sequence, epochs=3, workers=workers, shuffle=False,
                               callbacks=[spy], verbose=0)
    # steps_per_epoch defaults to len(sequence); batches come in order without shuffle.
    assert spy.epochs == [[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10]]] * 3
    np.testing.assert_allclose(hist.history['loss'], [np.mean(2. ** np.arange(11))] * 3,
                               rtol=1e-5)


@pytest.mark.parametrize('workers', [1, 2])
def test_fit_generator_shuffles_sequence_batches_with_workers(backend, workers):
    model, x, y = _spy_model_and_data(n=16)
    spy = _BatchSpy()
    sequence = ArraySequence(x, y, batch_size=2)
    model.fit_generator(sequence, epochs=3, workers=workers, shuffle=True, callbacks=[spy],
                        verbose=0)
    blocks = [[2 * i, 2 * i + 1] for i in range(8)]
    orders = set()
    for batches in spy.epochs:
        assert sorted(batches) == blocks            # each batch once, intact
        orders.add(tuple(b[0] for b in batches))
    assert orders != {tuple(range(0, 16, 2))}       # and not always in order


@pytest.mark.parametrize('workers', [1, 2])
def test_sequence_on_epoch_end_is_called_between_epochs(backend, workers):
    model = _linear(input_dim=2, units=1, kernel_initializer='zeros')
    model.compile(optimizers.SGD(lr=0.), 'mse')
    sequence = EpochTaggedSequence(batches=3)
    hist = model.fit_generator(sequence, epochs=3, workers=workers, verbose=0)
    # Epoch e reads targets e + 1 (zero predictions): the loss is (e + 1) ** 2.
    np.testing.assert_allclose(hist.history['loss'], [1., 4., 9.], rtol=1e-6)
    assert sequence.epochs_ended >= 2


def test_fit_generator_with_processes_on_a_sequence(backend):
    model, x, y = _spy_model_and_data(n=8)
    spy = _BatchSpy()
    sequence = ArraySequence(x, y, batch_size=4)
    hist = model.fit_generator(sequence, epochs=2, workers=2, use_multiprocessing=True,
                               shuffle=False, callbacks=[spy], verbose=0)
    assert spy.epochs == [[[0, 1, 2, 3], [4, 5, 6, 7]]] * 2
    assert hist.epoch == [0, 1]


def test_fit_generator_validation_as_generator_sequence_and_tuple(backend):
    x, y = _regression_data(n=16)
    x_val, y_val = _regression_data(n=10, seed=3)
    w_val = np.array([1., 0., 2., 1., 0., 3., 1., 1., 0.5, 2.], dtype='float32')
    model = _linear()
    model.compile(optimizers.SGD(lr=0.), 'mse')
    score = _mse(y_val, _dense_np(model.get_layer('out'), x_val))

    def run(validation_data, **kwargs):
        hist = model.fit_generator(_looping_generator(x, y, 4), steps_per_epoch=4, epochs=2,
                                   validation_data=validation_data, verbose=0, **kwargs)
        assert sorted(hist.history) == ['loss', 'val_loss']
        assert len(hist.history['val_loss']) == 2
        return hist.history['val_loss'][-1]

    # A generator, with validation_steps: 2 batches of 5.
    np.testing.assert_allclose(run(_looping_generator(x_val, y_val, 5), validation_steps=2),
                               np.mean(score), rtol=1e-5)
    # Only the first batch, when validation_steps=1 and the generator restarts each epoch.
    np.testing.assert_allclose(run(_looping_generator(x_val[:5], y_val[:5], 5),
                                   validation_steps=1), np.mean(score[:5]), rtol=1e-5)
    # A Sequence: all of its batches, weighted by their sizes (4, 4, 2).
    np.testing.assert_allclose(run(ArraySequence(x_val, y_val, 4)), np.mean(score), rtol=1e-5)
    np.testing.assert_allclose(run(ArraySequence(x_val, y_val, 4), workers=0), np.mean(score),
                               rtol=1e-5)
    # A tuple (x, y).
    np.testing.assert_allclose(run((x_val, y_val)), np.mean(score), rtol=1e-5)
    # A tuple (x, y, sample_weight): evaluated in batches of the training batch size (4).
    expected = (4 * _weighted(score[:4], w_val[:4]) + 4 * _weighted(score[4:8], w_val[4:8]) +
                2 * _weighted(score[8:], w_val[8:])) / 10.
    np.testing.assert_allclose(run((x_val, y_val, w_val)), expected, rtol=1e-5)


def test_fit_generator_validation_errors(backend):
    x, y = _regression_data(n=8)
    model = _linear()
    model.compile('sgd', 'mse')
    with pytest.raises(ValueError, match='validation_steps=None'):
        model.fit_generator(_looping_generator(x, y, 4), steps_per_epoch=2,
                            validation_data=_looping_generator(x, y, 4), verbose=0)
    with pytest.raises(ValueError, match='validation_data'):
        model.fit_generator(_looping_generator(x, y, 4), steps_per_epoch=2,
                            validation_data=(x, y, None, None), verbose=0)
    with pytest.raises(ValueError, match='Error when checking input'):
        model.fit_generator(_looping_generator(x, y, 4), steps_per_epoch=2,
                            validation_data=(x[:, :2], y), verbose=0)


def test_fit_generator_needs_steps_for_a_plain_generator(backend):
    x, y = _regression_data(n=8)
    model = _linear()
    model.compile('sgd', 'mse')
    with pytest.raises(ValueError, match=r'`steps_per_epoch=None` is only valid for a generator '
                                         r'based on the `.*Sequence` class'):
        model.fit_generator(_looping_generator(x, y, 4), verbose=0)
    # There is no validation_split for generators (Keras 2.2.4's signature).
    with pytest.raises(TypeError, match='validation_split'):
        model.fit_generator(_looping_generator(x, y, 4), steps_per_epoch=2,
                            validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match='`steps=None` is only valid'):
        model.evaluate_generator(_looping_generator(x, y, 4))
    with pytest.raises(ValueError, match='`steps=None` is only valid'):
        model.predict_generator(_looping_generator(x, y, 4))


def test_fit_generator_rejects_malformed_batches(backend):
    x, y = _regression_data(n=8)
    model = _linear()
    model.compile('sgd', 'mse')

    def only_x():
        while True:
            yield x[:5]

    with pytest.raises(ValueError, match='Output of generator should be a tuple'):
        model.fit_generator(only_x(), steps_per_epoch=2, workers=0, verbose=0)

    def wrong_shape():
        while True:
            yield x[:4, :2], y[:4]

    with pytest.raises(ValueError, match='Error when checking input'):
        model.fit_generator(wrong_shape(), steps_per_epoch=2, workers=1, verbose=0)


def test_fit_generator_reports_an_error_raised_by_the_generator(backend):
    x, y = _regression_data(n=8)
    model = _linear()
    model.compile('sgd', 'mse')
    ended = []

    def failing():
        yield x[:4], y[:4]
        yield x[4:], y[4:]
        raise KeyError('boom in the generator')

    threads_before = set(threading.enumerate())
    with pytest.raises(KeyError, match='boom in the generator'):
        model.fit_generator(failing(), steps_per_epoch=2, epochs=3, workers=1, verbose=0,
                            callbacks=[LambdaCallback(on_train_end=lambda logs:
                                                      ended.append(True))])
    assert ended == [True]
    # No loader thread is left running behind.
    deadline = time.time() + 5.
    while set(threading.enumerate()) - threads_before and time.time() < deadline:
        time.sleep(0.01)
    assert not set(threading.enumerate()) - threads_before


def test_fit_generator_class_weight_and_sample_weight(backend):
    rng = np.random.RandomState(0)
    x = rng.normal(size=(12, 3)).astype('float32')
    y = rng.randint(0, 2, size=(12, 1)).astype('float32')
    model = _linear(units=1, activation='sigmoid')
    model.compile(optimizers.SGD(lr=0.), 'binary_crossentropy')
    p = np.clip(1. / (1. + np.exp(-_dense_np(model.get_layer('out'), x))), 1e-7, 1 - 1e-7)
    score = np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=-1)

    class_weight = {0: 0.25, 1: 4.}
    cw = np.where(y[:, 0] > 0, 4., 0.25)
    hist = model.fit_generator(_looping_generator(x, y, 4), steps_per_epoch=3,
                               class_weight=class_weight, verbose=0)
    expected = np.mean([_weighted(score[s:s + 4], cw[s:s + 4]) for s in (0, 4, 8)])
    np.testing.assert_allclose(hist.history['loss'], [expected], rtol=1e-5)

    # A generator yielding (x, y, sample_weight).
    w = np.array([0., 1., 2., 3., 1., 1., 0., 0.5, 2., 2., 1., 0.], dtype='float32')
    hist = model.fit_generator(_looping_generator(x, y, 4, w), steps_per_epoch=3, verbose=0)
    expected = np.mean([_weighted(score[s:s + 4], w[s:s + 4]) for s in (0, 4, 8)])
    np.testing.assert_allclose(hist.history['loss'], [expected], rtol=1e-5)
    # The same from a Sequence, read by two workers.
    hist = model.fit_generator(ArraySequence(x, y, 4, w), workers=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(hist.history['loss'], [expected], rtol=1e-5)


def test_fit_generator_weights_and_gradients_follow_sample_weights(backend):
    rng = np.random.RandomState(1)
    x = rng.normal(size=(4, 3)).astype('float32')
    y = rng.normal(size=(4, 2)).astype('float32')
    w = np.array([2., 0., 1., 0.5], dtype='float32')
    model = _linear()
    model.compile(optimizers.SGD(lr=0.1), 'mse')
    kernel, bias = model.get_layer('out').get_weights()
    p = _dense_np(model.get_layer('out'), x)
    model.fit_generator(_looping_generator(x, y, 4, w), steps_per_epoch=1, verbose=0)
    coef = w / (len(w) * np.mean(w != 0))
    d_pred = coef[:, None] * 2. * (p - y) / y.shape[1]
    new_kernel, new_bias = model.get_layer('out').get_weights()
    np.testing.assert_allclose(new_kernel, kernel - 0.1 * x.T @ d_pred, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(new_bias, bias - 0.1 * d_pred.sum(axis=0), rtol=1e-4, atol=1e-6)


def test_fit_generator_initial_epoch_and_verbose_output(backend, capsys):
    x, y = _regression_data(n=12)
    model = _linear()
    model.compile('sgd', 'mse')
    seen = []
    hist = model.fit_generator(ArraySequence(x, y, 4), epochs=4, initial_epoch=2, verbose=1,
                               callbacks=[LambdaCallback(on_epoch_begin=lambda e, logs:
                                                         seen.append(e))])
    assert seen == [2, 3] and hist.epoch == [2, 3]
    out = capsys.readouterr().out
    assert 'Epoch 3/4' in out and 'Epoch 4/4' in out and 'Epoch 1/4' not in out
    # Progress counts steps, not samples.
    assert '3/3 [==============================]' in out and ' - loss: ' in out
    model.fit_generator(ArraySequence(x, y, 4), epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0::2] == ['Epoch 1/2', 'Epoch 2/2']
    assert all(line.startswith(' - ') and ' - loss: ' in line for line in lines[1::2])


def test_fit_generator_stop_training(backend):
    model, x, y = _spy_model_and_data(n=8)
    spy = _BatchSpy()

    def stop(batch, logs):
        if batch == 1:
            model.stop_training = True

    hist = model.fit_generator(ArraySequence(x, y, 2), epochs=5, workers=1, shuffle=False,
                               callbacks=[spy, LambdaCallback(on_batch_end=stop)], verbose=0)
    assert spy.epochs == [[[0, 1], [2, 3]]]
    assert hist.epoch == [0]


def test_fit_generator_with_dict_inputs_and_outputs(backend):
    rng = np.random.RandomState(0)
    a = Input((2,), name='a')
    out1 = Dense(1, name='out1')(a)
    out2 = Dense(2, name='out2')(a)
    model = Model(a, [out1, out2])
    model.compile(optimizers.SGD(lr=0.), {'out1': 'mse', 'out2': 'mae'},
                  loss_weights={'out1': 1., 'out2': 0.5})
    xa = rng.normal(size=(6, 2)).astype('float32')
    y1 = rng.normal(size=(6,)).astype('float32')
    y2 = rng.normal(size=(6, 2)).astype('float32')

    def gen():
        while True:
            yield {'a': xa}, {'out1': y1, 'out2': y2}

    hist = model.fit_generator(gen(), steps_per_epoch=2, verbose=0)
    l1 = np.mean((_dense_np(model.get_layer('out1'), xa)[:, 0] - y1) ** 2)
    l2 = np.mean(np.abs(_dense_np(model.get_layer('out2'), xa) - y2))
    np.testing.assert_allclose(hist.history['out1_loss'], [l1], rtol=1e-5)
    np.testing.assert_allclose(hist.history['out2_loss'], [l2], rtol=1e-5)
    np.testing.assert_allclose(hist.history['loss'], [l1 + 0.5 * l2], rtol=1e-5)


# ------------------------------------------------------------------------------ evaluate / predict

@pytest.mark.parametrize('workers', [0, 1, 2])
def test_evaluate_generator_weights_batches_by_size(backend, workers):
    x, y = _regression_data(n=10)
    model = _linear()
    model.compile('sgd', 'mse', metrics=['mae'])
    p = _dense_np(model.get_layer('out'), x)
    expected = [np.mean(_mse(y, p)), np.mean(np.abs(p - y))]
    # A Sequence of batches 4, 4, 2: steps default to its length.
    np.testing.assert_allclose(model.evaluate_generator(ArraySequence(x, y, 4), workers=workers),
                               expected, rtol=1e-5)
    # A generator, 3 steps of 4, 4, 2.
    np.testing.assert_allclose(model.evaluate_generator(_looping_generator(x, y, 4), steps=3,
                                                        workers=workers),
                               expected, rtol=1e-5)
    # A single scalar for a model without metrics; sample weights from the generator.
    model.compile('sgd', 'mse')
    w = np.array([1., 0., 2., 1., 3., 0., 1., 1., 0.5, 2.], dtype='float32')
    score = _mse(y, p)
    value = model.evaluate_generator(_looping_generator(x, y, 5, w), steps=2, workers=workers)
    assert np.ndim(value) == 0
    np.testing.assert_allclose(value, (_weighted(score[:5], w[:5]) +
                                       _weighted(score[5:], w[5:])) / 2., rtol=1e-5)


@pytest.mark.parametrize('workers', [0, 1, 2])
def test_predict_generator_keeps_the_order(backend, workers):
    x, y = _regression_data(n=11)
    model = _linear()
    expected = _dense_np(model.get_layer('out'), x)

    def inputs_only():
        for start in range(0, 11, 3):
            yield x[start:start + 3]

    for source, steps in ((ArraySequence(x, y, 3), None), (inputs_only(), 4),
                          (_looping_generator(x, y, 3), 4)):
        predicted = model.predict_generator(source, steps=steps, workers=workers)
        assert predicted.shape == (11, 2)
        np.testing.assert_allclose(predicted, expected, rtol=1e-5, atol=1e-6)


def test_predict_generator_with_several_outputs(backend):
    x, y = _regression_data(n=6)
    inp = Input((3,), name='x')
    model = Model(inp, [Dense(1, name='a')(inp), Dense(2, name='b')(inp)])
    predicted = model.predict_generator(ArraySequence(x, y, 4), workers=0)
    assert isinstance(predicted, list) and [p.shape for p in predicted] == [(6, 1), (6, 2)]
    np.testing.assert_allclose(predicted[1], _dense_np(model.get_layer('b'), x), rtol=1e-5,
                               atol=1e-6)


def test_predict_generator_calls_a_subclass_predict_on_batch(backend):
    """As Keras 2 did, `predict_generator` goes through `predict_on_batch` when a model
    class defines its own (otherwise the outputs stay on the device between host copies)."""
    seen = []

    class Recording(Sequential):
        def predict_on_batch(self, x):
            seen.append(len(x))
            return super(Recording, self).predict_on_batch(x) + 1.

    model = Recording([Dense(2, input_dim=3)])
    x = np.random.rand(10, 3).astype('float32')
    predicted = model.predict_generator((x[s:s + 4] for s in range(0, 10, 4)), steps=3)
    assert seen == [4, 4, 2]
    np.testing.assert_allclose(predicted, model.predict(x) + 1., rtol=1e-6)


def test_float_steps_draw_as_many_batches_as_keras_2(backend):
    # Keras 2.2.4 loops `while steps_done < steps`: `len(x) / 32` batches, rounded up.
    x = np.arange(200, dtype='float32').reshape(100, 2) / 100.
    y = x.sum(axis=1, keepdims=True)
    drawn = []

    def batches(tag):
        while True:
            for start in range(0, 100, 32):
                drawn.append(tag)
                yield x[start:start + 32], y[start:start + 32]

    model = Sequential([Dense(1, input_dim=2)])
    model.compile(optimizer='sgd', loss='mse')
    seen = []
    model.fit_generator(batches('train'), steps_per_epoch=len(x) / 32, epochs=2,
                        validation_data=batches('val'), validation_steps=len(x) / 32.,
                        max_queue_size=1, workers=0, verbose=0,
                        callbacks=[LambdaCallback(on_batch_end=lambda b, logs: seen.append(b))])
    assert seen == [0, 1, 2, 3] * 2
    assert drawn.count('val') == 8

    kernel, bias = model.get_weights()
    expected = np.mean((x @ kernel + bias - y) ** 2)
    # Four batches of 32, 32, 32 and 4 rows: the mean weighted by batch size.
    loss = model.evaluate_generator(batches('eval'), steps=100 / 32., workers=0)
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    predictions = model.predict_generator((b[0] for b in batches('predict')), steps=3.1,
                                          workers=0)
    np.testing.assert_allclose(predictions, x @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_generators_build_a_subclassed_model_from_their_first_batch(backend):
    class Linear(Model):
        def __init__(self):
            super(Linear, self).__init__()
            self.dense = Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

    x = np.random.RandomState(0).rand(8, 3).astype('float32')
    y = np.ones((8, 1), dtype='float32')
    model = Linear()
    model.compile(optimizer='sgd', loss='mse')
    predictions = model.predict_generator(iter([x[:4], x[4:]]), steps=2, workers=0)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(predictions, x @ kernel + bias, rtol=1e-5, atol=1e-6)

    model = Linear()
    model.compile(optimizer='sgd', loss='mse')
    loss = model.evaluate_generator(iter([(x, y)]), steps=1, workers=0)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(loss, np.mean((x @ kernel + bias - y) ** 2), rtol=1e-5)
