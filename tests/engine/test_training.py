"""The training loop over arrays: `compile`, `fit`, `evaluate`, `train_on_batch`,
`test_on_batch`, `predict_on_batch`, as Keras 2.2.4 defines them.

Numbers are checked against NumPy formulas written here: the forward pass of Dense layers, the
losses, and Keras 2.2.4's weighting rule `mean(score * w) / mean(w != 0)`. Which samples went
into which batch is read off the per-batch loss of a model that outputs zeros, with targets
chosen so that the loss of a batch spells out its members (`_BatchSpy`).
"""
import dataclasses
import re
import warnings

import numpy as np
import pytest

from cornu import backend as K
from cornu import losses, metrics, optimizers, regularizers
from cornu.callbacks import Callback, LambdaCallback
from cornu.layers import Dense, Input
from cornu.models import Model, Sequential
from tests.engine_frames import engine_frames


# ------------------------------------------------------------------------------ helpers

def _data(n=20, input_dim=3, output_dim=2, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, input_dim)).astype('float32')
    y = rng.normal(size=(n, output_dim)).astype('float32')
    return x, y


def _linear(input_dim=3, units=2, activation=None, name='out', **kwargs):
    inp = Input((input_dim,), name='x')
    out = Dense(units, activation=activation, name=name, **kwargs)(inp)
    return Model(inp, out)


def _dense_np(layer, x):
    kernel, bias = layer.get_weights()
    return x.astype('float64') @ kernel.astype('float64') + bias


def _sigmoid(z):
    return 1. / (1. + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _mse(y, p):
    return np.mean((p - y) ** 2, axis=-1)


def _mae(y, p):
    return np.mean(np.abs(p - y), axis=-1)


def _bce(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=-1)


def _cce(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return -np.sum(y * np.log(p), axis=-1)


def _weighted(score, w=None):
    """Keras 2.2.4's weighted loss of one batch: `mean(score * w) / mean(w != 0)`."""
    if w is None:
        return np.mean(score)
    w = np.asarray(w, dtype='float64')
    if score.ndim > w.ndim:
        score = score.mean(axis=tuple(range(w.ndim, score.ndim)))
    return np.mean(score * w) / np.mean(w != 0)


def _batched(values_fn, n, batch_size):
    """Keras' epoch average: batch values weighted by batch size."""
    total = 0.
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        total += values_fn(start, stop) * (stop - start)
    return total / n


def _two_outputs():
    inp = Input((3,), name='x')
    hidden = Dense(4, activation='tanh', name='hidden')(inp)
    out1 = Dense(2, name='out1')(hidden)
    out2 = Dense(1, activation='sigmoid', name='out2')(hidden)
    return Model(inp, [out1, out2])


def _two_outputs_np(model, x):
    h = np.tanh(_dense_np(model.get_layer('hidden'), x))
    return _dense_np(model.get_layer('out1'), h), _sigmoid(_dense_np(model.get_layer('out2'), h))


def _two_output_data(n=16, seed=1):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 3)).astype('float32')
    y1 = rng.normal(size=(n, 2)).astype('float32')
    y2 = rng.randint(0, 2, size=(n, 1)).astype('float32')
    return x, y1, y2


def _raises_cleanly(exc_type, message, fn, *args, **kwargs):
    """Asserts that `fn` raises `exc_type` matching `message` from cornu's own checks, before
    any engine (torch / jax / cornu.backend) frame is entered."""
    with pytest.raises(exc_type, match=message) as info:
        fn(*args, **kwargs)
    engine = engine_frames(info.traceback)
    assert not engine, 'error raised from engine code: ' + str(engine)
    return info.value


class _BatchSpy(Callback):
    """Recovers the samples of each training batch from its loss.

    The model outputs zeros (zero kernel and bias, learning rate 0) and sample `i` has the
    target `sqrt(2 ** i)`, so a batch's mse times its size is the sum of `2 ** i` over its
    members: a bitmask of the batch.
    """

    def on_train_begin(self, logs=None):
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append([])

    def on_batch_end(self, batch, logs=None):
        total = int(round(logs['loss'] * logs['size']))
        members = [i for i in range(total.bit_length()) if total >> i & 1]
        self.epochs[-1].append(members)


def _spy_model_and_data(n=12):
    model = _linear(input_dim=2, units=1, kernel_initializer='zeros')
    model.compile(optimizers.SGD(lr=0.), 'mse')
    x = np.zeros((n, 2), dtype='float32')
    y = np.sqrt(2. ** np.arange(n)).reshape(n, 1).astype('float32')
    return model, x, y


# ------------------------------------------------------------------------------ compile

class SquaredError(object):
    """A loss given as a callable object, not a function."""

    def __call__(self, y_true, y_pred):
        return K.mean(K.square(y_pred - y_true), axis=-1)


def my_loss(y_true, y_pred):
    return K.mean(K.square(y_pred - y_true), axis=-1)


def mean_pred(y_true, y_pred):
    return K.mean(y_pred)


class MaxError(object):
    """A metric given as a callable object with a `name`."""
    name = 'max_error'

    def __call__(self, y_true, y_pred):
        return K.max(K.abs(y_pred - y_true), axis=-1)


@pytest.mark.parametrize('loss', ['mse', 'mean_squared_error', losses.mean_squared_error,
                                  my_loss, SquaredError()])
def test_compile_loss_as_name_function_or_object(backend, loss):
    x, y = _data()
    model = _linear()
    model.compile('sgd', loss)
    value = model.evaluate(x, y, batch_size=20, verbose=0)
    expected = np.mean(_mse(y, _dense_np(model.get_layer('out'), x)))
    np.testing.assert_allclose(value, expected, rtol=1e-5)


@pytest.mark.parametrize('optimizer, cls', [('sgd', optimizers.SGD), ('adam', optimizers.Adam),
                                            ('rmsprop', optimizers.RMSprop),
                                            (optimizers.Adagrad(lr=0.1), optimizers.Adagrad)])
def test_compile_optimizer_as_name_or_instance(backend, optimizer, cls):
    x, y = _data()
    model = _linear()
    model.compile(optimizer, 'mse')
    assert isinstance(model.optimizer, cls)
    if not isinstance(optimizer, str):
        assert model.optimizer is optimizer
    before = model.get_weights()
    model.train_on_batch(x, y)
    assert not np.allclose(before[0], model.get_weights()[0])


def test_compile_metrics_as_names_functions_and_objects(backend):
    x, y = _data()
    model = _linear()
    model.compile('sgd', 'mse', metrics=['mae', metrics.mean_squared_error, mean_pred, MaxError(),
                                         'cosine'])
    assert model.metrics_names == ['loss', 'mean_absolute_error', 'mean_squared_error',
                                   'mean_pred', 'max_error', 'cosine_proximity']
    values = model.evaluate(x, y, batch_size=20, verbose=0)
    p = _dense_np(model.get_layer('out'), x)
    cosine = -np.sum(y * p, axis=-1) / (np.linalg.norm(y, axis=-1) * np.linalg.norm(p, axis=-1))
    expected = [np.mean(_mse(y, p)), np.mean(_mae(y, p)), np.mean(_mse(y, p)), np.mean(p),
                np.mean(np.max(np.abs(p - y), axis=-1)), np.mean(cosine)]
    np.testing.assert_allclose(values, expected, rtol=1e-5)


def test_user_loss_and_custom_metric_train_and_are_logged_by_name(backend):
    x, y = _data(n=32)
    x_val, y_val = _data(n=8, seed=5)
    model = _linear()
    model.compile(optimizers.SGD(lr=0.1), loss=my_loss, metrics=[mean_pred])
    assert model.metrics_names == ['loss', 'mean_pred']
    hist = model.fit(x, y, epochs=3, batch_size=8, validation_data=(x_val, y_val), verbose=0)
    assert set(hist.history) == {'loss', 'mean_pred', 'val_loss', 'val_mean_pred'}
    assert hist.history['loss'][-1] < hist.history['loss'][0]
    p = _dense_np(model.get_layer('out'), x_val)
    np.testing.assert_allclose(hist.history['val_loss'][-1], np.mean(_mse(y_val, p)), rtol=1e-5)
    np.testing.assert_allclose(hist.history['val_mean_pred'][-1], np.mean(p), rtol=1e-5,
                               atol=1e-7)


def test_per_output_losses_as_list_and_dict(backend):
    x, y1, y2 = _two_output_data()
    results = []
    for loss in (['mse', 'binary_crossentropy'],
                 {'out2': 'binary_crossentropy', 'out1': 'mse'}):
        K.clear_session()
        np.random.seed(3)
        model = _two_outputs()
        model.compile('sgd', loss)
        assert model.metrics_names == ['loss', 'out1_loss', 'out2_loss']
        values = model.evaluate(x, [y1, y2], batch_size=16, verbose=0)
        p1, p2 = _two_outputs_np(model, x)
        l1, l2 = np.mean(_mse(y1, p1)), np.mean(_bce(y2, p2))
        np.testing.assert_allclose(values, [l1 + l2, l1, l2], rtol=1e-5)
        results.append(values)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


@pytest.mark.parametrize('loss_weights', [[0.3, 2.], {'out1': 0.3, 'out2': 2.}])
def test_loss_weights_make_the_total_a_weighted_sum(backend, loss_weights):
    x, y1, y2 = _two_output_data()
    model = _two_outputs()
    model.compile('sgd', {'out1': 'mse', 'out2': 'binary_crossentropy'},
                  loss_weights=loss_weights)
    total, l1, l2 = model.evaluate(x, {'out1': y1, 'out2': y2}, batch_size=16, verbose=0)
    p1, p2 = _two_outputs_np(model, x)
    np.testing.assert_allclose([l1, l2], [np.mean(_mse(y1, p1)), np.mean(_bce(y2, p2))],
                               rtol=1e-5)
    np.testing.assert_allclose(total, 0.3 * l1 + 2. * l2, rtol=1e-5)
    # train_on_batch reports the same (pre-update) weighted total.
    np.testing.assert_allclose(model.train_on_batch(x, [y1, y2])[0], total, rtol=1e-5)


def test_loss_weights_steer_training(backend):
    x, y1, y2 = _two_output_data(n=32)
    initial = None
    finals = []
    for loss_weights in ([1., 0.], [0., 1.]):
        K.clear_session()
        model = _two_outputs()
        if initial is None:
            initial = model.get_weights()
        model.set_weights(initial)
        model.compile(optimizers.SGD(lr=0.1), ['mse', 'binary_crossentropy'],
                      loss_weights=loss_weights)
        model.fit(x, [y1, y2], epochs=5, batch_size=8, shuffle=False, verbose=0)
        finals.append(model.get_weights())
    names = [w.name for w in model.weights]
    start = dict(zip(names, initial))
    by_name = [dict(zip(names, f)) for f in finals]
    # With a zero weight, an output's own layer gets no gradient at all.
    np.testing.assert_array_equal(by_name[0]['out2/kernel:0'], start['out2/kernel:0'])
    np.testing.assert_array_equal(by_name[1]['out1/kernel:0'], start['out1/kernel:0'])
    assert not np.allclose(by_name[0]['out1/kernel:0'], start['out1/kernel:0'])
    assert not np.allclose(by_name[1]['out2/kernel:0'], start['out2/kernel:0'])
    assert not np.allclose(by_name[0]['hidden/kernel:0'], by_name[1]['hidden/kernel:0'])


@pytest.mark.parametrize('metrics_arg, weighted, expected', [
    (None, None, ['loss']),
    (['mae'], None, ['loss', 'mean_absolute_error']),
    (['accuracy'], None, ['loss', 'acc']),
    (['acc', 'accuracy', 'mae', 'mae'], None,
     ['loss', 'acc', 'acc_1', 'mean_absolute_error', 'mean_absolute_error_1']),
    (['crossentropy'], None, ['loss', 'ce']),
    (['mae'], ['mae', 'acc'], ['loss', 'mean_absolute_error', 'weighted_mean_absolute_error',
                               'weighted_acc']),
])
def test_metrics_names_single_output(backend, metrics_arg, weighted, expected):
    model = _linear()
    model.compile('sgd', 'mse', metrics=metrics_arg, weighted_metrics=weighted)
    assert model.metrics_names == expected
    x, y = _data()
    assert len(np.atleast_1d(model.evaluate(x, y, verbose=0))) == len(expected)
    hist = model.fit(x, y, verbose=0)
    assert sorted(hist.history) == sorted(expected)


@pytest.mark.parametrize('loss, metrics_arg, weighted, expected', [
    ('mse', ['acc'], None, ['loss', 'out1_loss', 'out2_loss', 'out1_acc', 'out2_acc']),
    ('mse', ['mae', 'acc'], None,
     ['loss', 'out1_loss', 'out2_loss', 'out1_mean_absolute_error', 'out1_acc',
      'out2_mean_absolute_error', 'out2_acc']),
    ('mse', [['mae'], ['acc', 'acc']], None,
     ['loss', 'out1_loss', 'out2_loss', 'out1_mean_absolute_error', 'out2_acc', 'out2_acc_1']),
    ('mse', {'out2': 'acc'}, ['mae'],
     ['loss', 'out1_loss', 'out2_loss', 'out1_weighted_mean_absolute_error', 'out2_acc',
      'out2_weighted_mean_absolute_error']),
    ({'out2': 'binary_crossentropy'}, ['acc'], None, ['loss', 'out2_loss', 'out2_acc']),
])
def test_metrics_names_multi_output(backend, loss, metrics_arg, weighted, expected):
    model = _two_outputs()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model.compile('sgd', loss, metrics=metrics_arg, weighted_metrics=weighted)
    assert model.metrics_names == expected
    x, y1, y2 = _two_output_data()
    y = {'out2': y2} if isinstance(loss, dict) else [y1, y2]
    values = model.evaluate(x, y, verbose=0)
    assert len(values) == len(expected)


def test_output_without_loss_takes_no_target_and_is_not_trained(backend):
    x, y1, y2 = _two_output_data()
    model = _two_outputs()
    with pytest.warns(UserWarning, match='Output "out1" missing from loss dictionary'):
        model.compile(optimizers.SGD(lr=0.5), {'out2': 'binary_crossentropy'}, metrics=['acc'])
    out1_before = model.get_layer('out1').get_weights()
    hist = model.fit(x, {'out2': y2}, epochs=2, verbose=0)
    assert sorted(hist.history) == ['loss', 'out2_acc', 'out2_loss']
    for before, after in zip(out1_before, model.get_layer('out1').get_weights()):
        np.testing.assert_array_equal(before, after)
    _, p2 = _two_outputs_np(model, x)
    loss, out2_loss, acc = model.evaluate(x, y2, verbose=0)
    np.testing.assert_allclose([loss, out2_loss], [np.mean(_bce(y2, p2))] * 2, rtol=1e-5)
    np.testing.assert_allclose(acc, np.mean((p2 > 0.5) == y2), rtol=1e-6)


def test_accuracy_follows_the_loss_and_output_shape(backend):
    rng = np.random.RandomState(0)
    x = rng.normal(size=(30, 3)).astype('float32')
    labels = rng.randint(0, 4, size=(30,))
    for loss, y, expected in (
            ('categorical_crossentropy', np.eye(4)[labels], 'categorical'),
            ('sparse_categorical_crossentropy', labels.reshape(-1, 1), 'sparse'),
            ('binary_crossentropy', (labels > 1).astype('float32').reshape(-1, 1), 'binary')):
        K.clear_session()
        units = 1 if expected == 'binary' else 4
        model = _linear(units=units, activation='sigmoid' if units == 1 else 'softmax')
        model.compile('sgd', loss, metrics=['accuracy'])
        _, acc = model.evaluate(x, y, batch_size=30, verbose=0)
        p = model.predict(x)
        if expected == 'binary':
            reference = np.mean((p > 0.5) == y)
        else:
            reference = np.mean(p.argmax(axis=-1) == labels)
        np.testing.assert_allclose(acc, reference, rtol=1e-6)


def test_unknown_names_raise_clear_value_errors(backend):
    model = _linear()
    _raises_cleanly(ValueError, 'Unknown loss function: not_a_loss',
                    model.compile, 'sgd', 'not_a_loss')
    _raises_cleanly(ValueError, 'Unknown optimizer: not_an_optimizer',
                    model.compile, 'not_an_optimizer', 'mse')
    _raises_cleanly(ValueError, 'Unknown metric function: not_a_metric',
                    model.compile, 'sgd', 'mse', metrics=['not_a_metric'])
    two = _two_outputs()
    _raises_cleanly(ValueError, 'Unknown entry in loss dictionary: "out3"',
                    two.compile, 'sgd', {'out1': 'mse', 'out3': 'mse'})
    _raises_cleanly(ValueError, 'loss_weights', two.compile, 'sgd', 'mse',
                    loss_weights={'nope': 1.})
    _raises_cleanly(ValueError, 'The model has 2 outputs', two.compile, 'sgd', ['mse'])
    _raises_cleanly(ValueError, 'sample_weight_mode', model.compile, 'sgd', 'mse',
                    sample_weight_mode='per-sample')


# ------------------------------------------------------------------------------ freezing

def _frozen_pair():
    inp = Input((3,), name='x')
    first = Dense(4, name='first')
    second = Dense(2, name='second')
    return inp, first, second, Model(inp, second(first(inp)))


def test_layer_frozen_before_compile_keeps_its_weights(backend):
    x, y = _data()
    _, first, second, model = _frozen_pair()
    first.trainable = False
    model.compile(optimizers.SGD(lr=0.1), 'mse')
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    frozen = first.get_weights()
    trained = second.get_weights()
    model.fit(x, y, epochs=2, batch_size=5, verbose=0)
    for before, after in zip(frozen, first.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert not np.allclose(trained[0], second.get_weights()[0])


def test_trainable_changed_after_compile_applies_at_the_next_compile(backend):
    x, y = _data()
    _, first, second, model = _frozen_pair()
    model.compile(optimizers.SGD(lr=0.1), 'mse')
    first.trainable = False
    # Keras 2: the weights trained are those collected by compile, so `first` still trains...
    before = first.get_weights()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model.fit(x, y, epochs=1, batch_size=5, verbose=0)
    assert not np.allclose(before[0], first.get_weights()[0])
    # ...until the model is compiled again.
    model.compile(optimizers.SGD(lr=0.1), 'mse')
    before = first.get_weights()
    model.fit(x, y, epochs=1, batch_size=5, verbose=0)
    np.testing.assert_array_equal(before[0], first.get_weights()[0])
    # And unfreezing after compile does not train it either, until the next compile.
    first.trainable = True
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        model.fit(x, y, epochs=1, batch_size=5, verbose=0)
    np.testing.assert_array_equal(before[0], first.get_weights()[0])
    model.compile(optimizers.SGD(lr=0.1), 'mse')
    model.fit(x, y, epochs=1, batch_size=5, verbose=0)
    assert not np.allclose(before[0], first.get_weights()[0])


def test_fit_warns_when_trainable_weights_changed_since_compile(backend):
    x, y = _data()
    _, first, second, model = _frozen_pair()
    model.compile('sgd', 'mse')
    first.trainable = False
    with pytest.warns(UserWarning, match='Discrepancy between trainable weights and collected '
                                         'trainable weights'):
        model.fit(x, y, verbose=0)


def test_gan_pattern_freezes_the_discriminator_only_inside_the_combined_model(backend):
    rng = np.random.RandomState(0)
    # Discriminator: compiled on its own first.
    d_in = Input((4,), name='d_in')
    d_out = Dense(1, activation='sigmoid', name='d_dense')(Dense(5, activation='relu',
                                                                  name='d_hidden')(d_in))
    discriminator = Model(d_in, d_out, name='discriminator')
    discriminator.compile(optimizers.SGD(lr=0.1), 'binary_crossentropy')
    # Generator, and the combined model with the discriminator frozen.
    z = Input((2,), name='z')
    generator = Model(z, Dense(4, name='g_dense')(z), name='generator')
    discriminator.trainable = False
    combined = Model(z, discriminator(generator(z)))
    combined.compile(optimizers.SGD(lr=0.1), 'binary_crossentropy')
    assert len(combined.trainable_weights) == 2

    noise = rng.normal(size=(16, 2)).astype('float32')
    d_before = discriminator.get_weights()
    g_before = generator.get_weights()
    combined.train_on_batch(noise, np.ones((16, 1), dtype='float32'))
    for before, after in zip(d_before, discriminator.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert not np.allclose(g_before[0], generator.get_weights()[0])

    # The discriminator, compiled while trainable, still learns on its own.
    real = rng.normal(size=(16, 4)).astype('float32')
    g_now = generator.get_weights()
    discriminator.train_on_batch(real, np.ones((16, 1), dtype='float32'))
    assert not np.allclose(d_before[0], discriminator.get_weights()[0])
    for before, after in zip(g_now, generator.get_weights()):
        np.testing.assert_array_equal(before, after)
    # And the combined model keeps it frozen on later steps.
    d_now = discriminator.get_weights()
    combined.train_on_batch(noise, np.ones((16, 1), dtype='float32'))
    for before, after in zip(d_now, discriminator.get_weights()):
        np.testing.assert_array_equal(before, after)


# ------------------------------------------------------------------------------ fit arguments

def test_batch_size_sets_the_batches(backend):
    model, x, y = _spy_model_and_data(n=10)
    spy = _BatchSpy()
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, callbacks=[spy], verbose=0)
    assert spy.epochs == [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]]
    # The default batch size is 32.
    sizes = []
    x40, y40 = _data(n=40)
    reg = _linear()
    reg.compile('sgd', 'mse')
    reg.fit(x40, y40, callbacks=[LambdaCallback(on_batch_end=lambda b, logs:
                                                sizes.append(logs['size']))], verbose=0)
    assert sizes == [32, 8]


def test_epochs_and_initial_epoch(backend, capsys):
    x, y = _data()
    model = _linear()
    model.compile('sgd', 'mse')
    begun = []
    hist = model.fit(x, y, epochs=5, initial_epoch=2, verbose=1,
                     callbacks=[LambdaCallback(on_epoch_begin=lambda e, logs: begun.append(e))])
    assert begun == [2, 3, 4]
    assert hist.epoch == [2, 3, 4]
    assert len(hist.history['loss']) == 3
    out = capsys.readouterr().out
    assert 'Epoch 3/5' in out and 'Epoch 5/5' in out
    assert 'Epoch 1/5' not in out and 'Epoch 2/5' not in out
    assert model.fit(x, y, epochs=2, initial_epoch=2, verbose=0).epoch == []


def test_verbose_modes(backend, capsys):
    x, y = _data()
    model = _linear()
    model.compile('sgd', 'mse', metrics=['mae'])

    model.fit(x, y, epochs=3, verbose=0)
    assert capsys.readouterr().out == ''

    model.fit(x, y, epochs=3, batch_size=5, verbose=1)
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if line.startswith('Epoch')] == \
        ['Epoch 1/3', 'Epoch 2/3', 'Epoch 3/3']
    assert '20/20 [==============================]' in out
    assert re.search(r' - loss: \d\.\d{4} - mean_absolute_error: \d\.\d{4}', out)

    hist = model.fit(x, y, epochs=3, verbose=2, validation_split=0.25)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == 'Train on 15 samples, validate on 5 samples'
    assert lines[1::2] == ['Epoch 1/3', 'Epoch 2/3', 'Epoch 3/3']
    per_epoch = lines[2::2]
    assert len(per_epoch) == 3 and len(lines) == 7
    pattern = (r'^ - \d+s - loss: (\d\.\d{4}) - mean_absolute_error: \d\.\d{4} - '
               r'val_loss: (\d\.\d{4}) - val_mean_absolute_error: \d\.\d{4}$')
    for epoch, line in enumerate(per_epoch):
        match = re.match(pattern, line)
        assert match, line
        assert float(match.group(1)) == pytest.approx(hist.history['loss'][epoch], abs=1e-4)
        assert float(match.group(2)) == pytest.approx(hist.history['val_loss'][epoch],
                                                      abs=1e-4)
    assert '[' not in out and '\b' not in out


def test_validation_split_is_the_unshuffled_tail(backend):
    # Zero sample weights make the loss depend on how the validation samples are batched,
    # so val_loss tells which samples were used and in which order.
    x, y = _data(n=20)
    w = np.array([1.] * 15 + [0., 3., 1., 2., 0.5], dtype='float32')
    model = _linear()
    model.compile(optimizers.SGD(lr=0.), 'mse')
    hist = model.fit(x, y, sample_weight=w, validation_split=0.25, batch_size=2, epochs=2,
                     shuffle=True, verbose=0)
    score = _mse(y[15:], _dense_np(model.get_layer('out'), x[15:]))
    expected = _batched(lambda a, b: _weighted(score[a:b], w[15:][a:b]), 5, 2)
    order = [0, 2, 1, 3, 4]
    other_order = _batched(lambda a, b: _weighted(score[order][a:b], w[15:][order][a:b]), 5, 2)
    assert abs(expected - other_order) > 1e-2 * expected  # the check can tell orders apart
    np.testing.assert_allclose(hist.history['val_loss'], [expected] * 2, rtol=1e-5)
    np.testing.assert_allclose(
        model.evaluate(x[15:], y[15:], sample_weight=w[15:], batch_size=2, verbose=0),
        expected, rtol=1e-5)


def test_validation_split_trains_on_the_head_only(backend):
    model, x, y = _spy_model_and_data(n=12)
    spy = _BatchSpy()
    # split_at = int(12 * (1 - 0.3)) = 8, as Keras 2.2.4 computes it.
    hist = model.fit(x, y, validation_split=0.3, batch_size=3, epochs=3, callbacks=[spy],
                     verbose=0)
    for batches in spy.epochs:
        assert sorted(i for batch in batches for i in batch) == list(range(8))
    np.testing.assert_allclose(hist.history['val_loss'][-1], np.mean(2. ** np.arange(8, 12)),
                               rtol=1e-5)
    assert hist.params['samples'] == 8


def test_validation_data_pairs_and_triples(backend):
    x, y = _data(n=20)
    x_val, y_val = _data(n=7, seed=9)
    w_val = np.array([0., 1., 2., 0., 1., 5., 1.], dtype='float32')
    model = _linear()
    model.compile(optimizers.SGD(lr=0.), 'mse', metrics=['mae'])
    p = _dense_np(model.get_layer('out'), x_val)
    score = _mse(y_val, p)

    hist = model.fit(x, y, validation_data=(x_val, y_val), batch_size=4, verbose=0)
    np.testing.assert_allclose(hist.history['val_loss'], [np.mean(score)], rtol=1e-5)
    np.testing.assert_allclose(hist.history['val_mean_absolute_error'], [np.mean(_mae(y_val, p))],
                               rtol=1e-5)

    hist = model.fit(x, y, validation_data=(x_val, y_val, w_val), batch_size=4, verbose=0)
    expected = _batched(lambda a, b: _weighted(score[a:b], w_val[a:b]), 7, 4)
    np.testing.assert_allclose(hist.history['val_loss'], [expected], rtol=1e-5)
    # Plain metrics ignore sample weights (weighted_metrics use them).
    np.testing.assert_allclose(hist.history['val_mean_absolute_error'], [np.mean(_mae(y_val, p))],
                               rtol=1e-5)
    # validation_data wins over validation_split.
    hist = model.fit(x, y, validation_data=(x_val, y_val), validation_split=0.5, verbose=0)
    np.testing.assert_allclose(hist.history['val_loss'], [np.mean(score)], rtol=1e-5)
    assert hist.params['samples'] == 20


def test_shuffle_false_keeps_the_order(backend):
    model, x, y = _spy_model_and_data(n=10)
    spy = _BatchSpy()
    model.fit(x, y, batch_size=3, epochs=2, shuffle=False, callbacks=[spy], verbose=0)
    assert spy.epochs == [[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]] * 2


def test_shuffle_true_reshuffles_every_epoch(backend):
    model, x, y = _spy_model_and_data(n=12)
    spy = _BatchSpy()
    model.fit(x, y, batch_size=4, epochs=3, shuffle=True, callbacks=[spy], verbose=0)
    orders = []
    for batches in spy.epochs:
        assert [len(b) for b in batches] == [4, 4, 4]
        flat = [i for b in batches for i in b]
        assert sorted(flat) == list(range(12))
        orders.append(tuple(tuple(b) for b in batches))
    assert len(set(orders)) == 3
    assert tuple(tuple(range(s, s + 4)) for s in (0, 4, 8)) not in orders


def test_shuffle_batch_moves_whole_batches(backend):
    model, x, y = _spy_model_and_data(n=11)
    spy = _BatchSpy()
    model.fit(x, y, batch_size=3, epochs=4, shuffle='batch', callbacks=[spy], verbose=0)
    blocks = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    seen_orders = set()
    for batches in spy.epochs:
        # Full blocks of consecutive samples, shuffled among themselves; the remainder last.
        assert sorted(batches[:3]) == blocks
        assert batches[3] == [9, 10]
        seen_orders.add(tuple(b[0] for b in batches[:3]))
    assert len(seen_orders) > 1


def test_shuffle_with_the_same_seed_gives_the_same_weights(backend):
    x, y = _data(n=24)
    model = _linear()
    initial = model.get_weights()

    def train(seed, shuffle):
        model.set_weights(initial)
        model.compile(optimizers.SGD(lr=0.1), 'mse')
        np.random.seed(seed)
        model.fit(x, y, batch_size=5, epochs=3, shuffle=shuffle, verbose=0)
        return model.get_weights()[0]

    np.testing.assert_array_equal(train(1, True), train(1, True))
    assert not np.allclose(train(1, True), train(2, True))
    np.testing.assert_array_equal(train(1, False), train(2, False))
    np.testing.assert_array_equal(train(1, 'batch'), train(1, 'batch'))


def test_sample_weight_in_loss_and_gradient(backend):
    x, y = _data(n=8)
    w = np.array([1., 0., 2., 0.5, 0., 1., 3., 1.], dtype='float32')
    lr = 0.1
    model = _linear()
    model.compile(optimizers.SGD(lr=lr), 'mse', metrics=['mae'], weighted_metrics=['mae'])
    kernel, bias = model.get_layer('out').get_weights()
    p = _dense_np(model.get_layer('out'), x)
    expected_loss = _weighted(_mse(y, p), w)
    expected = [expected_loss, np.mean(_mae(y, p)), _weighted(_mae(y, p), w)]

    np.testing.assert_allclose(model.test_on_batch(x, y, sample_weight=w), expected, rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(x, y, sample_weight=w, batch_size=8, verbose=0),
                               expected, rtol=1e-5)
    # train_on_batch reports the loss before its update...
    np.testing.assert_allclose(model.train_on_batch(x, y, sample_weight=w), expected,
                               rtol=1e-5)
    # ...and the update follows the gradient of the weighted loss.
    coef = w / (len(w) * np.mean(w != 0))                   # d loss / d score_i
    d_pred = coef[:, None] * 2. * (p - y) / y.shape[1]      # d loss / d prediction
    new_kernel, new_bias = model.get_layer('out').get_weights()
    np.testing.assert_allclose(new_kernel, kernel - lr * x.T @ d_pred, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(new_bias, bias - lr * d_pred.sum(axis=0), rtol=1e-4, atol=1e-6)


def test_sample_weight_all_zero_except_one(backend):
    x, y = _data(n=6)
    w = np.array([0., 0., 4., 0., 0., 0.], dtype='float32')
    model = _linear()
    model.compile('sgd', 'mse')
    p = _dense_np(model.get_layer('out'), x)
    # mean(score * w) / mean(w != 0) = score_2 * 4
    np.testing.assert_allclose(model.test_on_batch(x, y, sample_weight=w), 4. * _mse(y, p)[2],
                               rtol=1e-5)


def test_class_weight_with_one_hot_and_binary_targets(backend):
    rng = np.random.RandomState(0)
    x = rng.normal(size=(12, 3)).astype('float32')
    labels = np.array([0, 1, 2, 1, 0, 2, 2, 1, 0, 0, 1, 2])
    class_weight = {0: 1., 1: 3., 2: 0.}
    model = _linear(units=3, activation='softmax')
    model.compile('sgd', 'categorical_crossentropy')
    y = np.eye(3)[labels].astype('float32')
    score = _cce(y, _softmax(_dense_np(model.get_layer('out'), x)))
    w = np.array([class_weight[c] for c in labels])
    np.testing.assert_allclose(model.train_on_batch(x, y, class_weight=class_weight),
                               _weighted(score, w), rtol=1e-5)
    # sample_weight takes precedence over class_weight (Keras 2.2.4).
    sw = np.linspace(0.5, 2., 12).astype('float32')
    score = _cce(y, _softmax(_dense_np(model.get_layer('out'), x)))
    np.testing.assert_allclose(model.test_on_batch(x, y, sample_weight=sw),
                               _weighted(score, sw), rtol=1e-5)
    np.testing.assert_allclose(model.train_on_batch(x, y, sample_weight=sw,
                                                    class_weight=class_weight),
                               _weighted(score, sw), rtol=1e-5)

    K.clear_session()
    binary = _linear(units=1, activation='sigmoid')
    binary.compile('sgd', 'binary_crossentropy')
    yb = (labels > 0).astype('float32').reshape(-1, 1)
    score = _bce(yb, _sigmoid(_dense_np(binary.get_layer('out'), x)))
    wb = np.where(yb[:, 0] > 0, 2.5, 0.5)
    np.testing.assert_allclose(binary.train_on_batch(x, yb, class_weight={0: 0.5, 1: 2.5}),
                               _weighted(score, wb), rtol=1e-5)
    # fit uses the class weights of each batch.
    K.clear_session()
    binary = _linear(units=1, activation='sigmoid')
    binary.compile(optimizers.SGD(lr=0.), 'binary_crossentropy')
    score = _bce(yb, _sigmoid(_dense_np(binary.get_layer('out'), x)))
    hist = binary.fit(x, yb, class_weight={0: 0.5, 1: 2.5}, batch_size=5, shuffle=False,
                      verbose=0)
    np.testing.assert_allclose(hist.history['loss'],
                               [_batched(lambda a, b: _weighted(score[a:b], wb[a:b]), 12, 5)],
                               rtol=1e-5)


def test_class_weight_missing_a_class_is_an_error(backend):
    model = _linear(units=3, activation='softmax')
    model.compile('sgd', 'categorical_crossentropy')
    x = np.zeros((3, 3), dtype='float32')
    y = np.eye(3, dtype='float32')
    _raises_cleanly(ValueError, 'class_weight', model.fit, x, y, class_weight={0: 1., 1: 1.},
                    verbose=0)


def test_temporal_sample_weights_on_a_3d_output(backend):
    rng = np.random.RandomState(0)
    inp = Input((4, 3), name='seq')
    out = Dense(2, name='out')(inp)
    model = Model(inp, out)
    model.compile('sgd', 'mse', sample_weight_mode='temporal')
    x = rng.normal(size=(5, 4, 3)).astype('float32')
    y = rng.normal(size=(5, 4, 2)).astype('float32')
    w = rng.randint(0, 3, size=(5, 4)).astype('float32')
    w[0] = 0.
    score = _mse(y, _dense_np(model.get_layer('out'), x))    # (5, 4)
    assert score.shape == (5, 4)
    np.testing.assert_allclose(model.test_on_batch(x, y, sample_weight=w), _weighted(score, w),
                               rtol=1e-5)
    model.compile(optimizers.SGD(lr=0.), 'mse', sample_weight_mode='temporal')
    hist = model.fit(x, y, sample_weight=w, batch_size=5, verbose=0)
    np.testing.assert_allclose(hist.history['loss'], [_weighted(score, w)], rtol=1e-5)
    # 2-D weights need sample_weight_mode='temporal'; 1-D weights are per sample.
    K.clear_session()
    per_sample = Model(inp, out)
    per_sample.compile('sgd', 'mse')
    _raises_cleanly(ValueError, 'sample_weight_mode="temporal"', per_sample.fit, x, y,
                    sample_weight=w, verbose=0)
    w1 = np.array([1., 0., 2., 1., 1.], dtype='float32')
    np.testing.assert_allclose(per_sample.test_on_batch(x, y, sample_weight=w1),
                               _weighted(score, w1), rtol=1e-5)


def test_steps_per_epoch_feeds_the_whole_data_each_step(backend):
    model, x, y = _spy_model_and_data(n=6)
    spy = _BatchSpy()
    x_val, y_val = x[:3], y[:3]
    hist = model.fit(x, y, steps_per_epoch=3, epochs=2, callbacks=[spy],
                     validation_data=(x_val, y_val), validation_steps=2, verbose=0)
    assert spy.epochs == [[list(range(6))] * 3] * 2
    np.testing.assert_allclose(hist.history['loss'], [np.mean(2. ** np.arange(6))] * 2,
                               rtol=1e-5)
    np.testing.assert_allclose(hist.history['val_loss'], [np.mean(2. ** np.arange(3))] * 2,
                               rtol=1e-5)


def test_validation_steps_rules(backend):
    x, y = _data()
    model = _linear()
    model.compile('sgd', 'mse')
    _raises_cleanly(ValueError, 'validation_steps', model.fit, x, y, steps_per_epoch=2,
                    validation_data=(x, y), verbose=0)
    _raises_cleanly(ValueError, 'steps_per_epoch', model.fit, x, y, validation_data=(x, y),
                    validation_steps=2, verbose=0)


def test_inputs_as_lists_and_dicts_targets_as_dicts(backend):
    rng = np.random.RandomState(0)
    a = Input((2,), name='a')
    b = Input((3,), name='b')
    from cornu.layers import Lambda
    merged = Lambda(lambda t: K.concatenate(t, axis=-1), output_shape=(5,))([a, b])
    out1 = Dense(2, name='out1')(merged)
    out2 = Dense(1, name='out2')(merged)
    model = Model([a, b], [out1, out2])
    model.compile(optimizers.SGD(lr=0.), ['mse', 'mae'])
    xa = rng.normal(size=(9, 2)).astype('float32')
    xb = rng.normal(size=(9, 3)).astype('float32')
    y1 = rng.normal(size=(9, 2)).astype('float32')
    y2 = rng.normal(size=(9,)).astype('float32')        # 1-D target, expanded to (9, 1)
    xab = np.concatenate([xa, xb], axis=1)
    p1, p2 = _dense_np(model.get_layer('out1'), xab), _dense_np(model.get_layer('out2'), xab)
    l1, l2 = np.mean(_mse(y1, p1)), np.mean(_mae(y2[:, None], p2))
    expected = [l1 + l2, l1, l2]
    as_list = model.evaluate([xa, xb], [y1, y2], verbose=0)
    as_dict = model.evaluate({'b': xb, 'a': xa}, {'out2': y2, 'out1': y1}, verbose=0)
    np.testing.assert_allclose(as_list, expected, rtol=1e-5)
    np.testing.assert_allclose(as_dict, expected, rtol=1e-5)
    hist = model.fit({'a': xa, 'b': xb}, {'out1': y1, 'out2': y2}, batch_size=9, verbose=0)
    np.testing.assert_allclose(hist.history['loss'], [l1 + l2], rtol=1e-5)
    preds = model.predict({'a': xa, 'b': xb})
    np.testing.assert_allclose(preds[0], p1, rtol=1e-5, atol=1e-6)
    _raises_cleanly(ValueError, 'No data provided for "b"', model.fit, {'a': xa},
                    [y1, y2], verbose=0)
    _raises_cleanly(ValueError, 'No data provided for "out2"', model.fit, [xa, xb],
                    {'out1': y1}, verbose=0)


def test_1d_targets_are_expanded(backend):
    rng = np.random.RandomState(0)
    x = rng.normal(size=(10, 3)).astype('float32')
    y = rng.normal(size=(10,)).astype('float32')
    model = _linear(units=1)
    model.compile('sgd', 'mse')
    p = _dense_np(model.get_layer('out'), x)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), np.mean((p[:, 0] - y) ** 2),
                               rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0),
                               model.evaluate(x, y[:, None], verbose=0), rtol=1e-6)
    # Sparse integer labels, 1-D.
    K.clear_session()
    labels = np.array([0, 2, 1, 1, 0, 2, 2, 0, 1, 0])
    clf = _linear(units=3, activation='softmax')
    clf.compile('sgd', 'sparse_categorical_crossentropy', metrics=['acc'])
    probs = _softmax(_dense_np(clf.get_layer('out'), x))
    loss, acc = clf.evaluate(x, labels, verbose=0)
    np.testing.assert_allclose(loss, np.mean(-np.log(probs[np.arange(10), labels])), rtol=1e-5)
    np.testing.assert_allclose(acc, np.mean(probs.argmax(-1) == labels), rtol=1e-6)


# ------------------------------------------------------------------------------ return formats

def test_return_formats_and_values(backend):
    x, y = _data(n=10)
    model = _linear()
    model.compile(optimizers.SGD(lr=0.), 'mse')
    p = _dense_np(model.get_layer('out'), x)
    loss = np.mean(_mse(y, p))
    for value in (model.evaluate(x, y, verbose=0), model.test_on_batch(x, y),
                  model.train_on_batch(x, y)):
        assert np.ndim(value) == 0 and not isinstance(value, list)
        np.testing.assert_allclose(value, loss, rtol=1e-5)
    predicted = model.predict_on_batch(x)
    assert isinstance(predicted, np.ndarray) and predicted.shape == (10, 2)
    np.testing.assert_allclose(predicted, p, rtol=1e-5, atol=1e-6)

    model.compile(optimizers.SGD(lr=0.), 'mse', metrics=['mae'])
    for value in (model.evaluate(x, y, verbose=0), model.test_on_batch(x, y),
                  model.train_on_batch(x, y)):
        assert isinstance(value, list) and len(value) == 2
        np.testing.assert_allclose(value, [loss, np.mean(_mae(y, p))], rtol=1e-5)

    K.clear_session()
    x, y1, y2 = _two_output_data()
    two = _two_outputs()
    two.compile(optimizers.SGD(lr=0.), ['mse', 'binary_crossentropy'])
    for value in (two.evaluate(x, [y1, y2], verbose=0), two.test_on_batch(x, [y1, y2]),
                  two.train_on_batch(x, [y1, y2])):
        assert isinstance(value, list) and len(value) == 3
    predicted = two.predict_on_batch(x)
    assert isinstance(predicted, list) and len(predicted) == 2
    for got, want in zip(predicted, _two_outputs_np(two, x)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_evaluate_averages_batches_by_size(backend):
    x, y = _data(n=10)
    model = _linear()
    model.compile('sgd', 'mse', metrics=['mae'])
    p = _dense_np(model.get_layer('out'), x)
    # Equal per-sample means, whatever the batching.
    for batch_size in (3, 4, 10, 32):
        np.testing.assert_allclose(model.evaluate(x, y, batch_size=batch_size, verbose=0),
                                   [np.mean(_mse(y, p)), np.mean(_mae(y, p))], rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(x, y, steps=2, verbose=0),
                               [np.mean(_mse(y, p)), np.mean(_mae(y, p))], rtol=1e-5)


# ------------------------------------------------------------------------------ errors

def test_mismatched_sample_counts(backend):
    x, y = _data(n=10)
    model = _linear()
    model.compile('sgd', 'mse')
    message = re.escape('Input arrays should have the same number of samples as target arrays. '
                        'Found 10 input samples and 9 target samples.')
    for fn in (model.fit, model.evaluate, model.train_on_batch, model.test_on_batch):
        _raises_cleanly(ValueError, message, fn, x, y[:9])
    _raises_cleanly(ValueError, 'sample_weight', model.fit, x, y, sample_weight=np.ones(9),
                    verbose=0)


def test_wrong_number_of_input_arrays(backend):
    a, b = Input((2,), name='a'), Input((3,), name='b')
    from cornu.layers import Lambda
    out = Dense(1, name='out')(Lambda(lambda t: K.concatenate(t, axis=-1),
                                      output_shape=(5,))([a, b]))
    model = Model([a, b], out)
    model.compile('sgd', 'mse')
    xa, y = np.zeros((4, 2), dtype='float32'), np.zeros((4, 1), dtype='float32')
    message = re.escape('Error when checking model input: the list of Numpy arrays that you '
                        'are passing to your model is not the size the model expected. Expected '
                        'to see 2 array(s), but instead got the following list of 1 arrays')
    _raises_cleanly(ValueError, message, model.fit, [xa], y, verbose=0)
    _raises_cleanly(ValueError, 'Expected to see 2 array', model.predict, [xa])
    single = _linear(input_dim=2, units=1)
    single.compile('sgd', 'mse')
    _raises_cleanly(ValueError, 'Expected to see 1 array', single.fit, [xa, xa], y, verbose=0)


def test_wrong_input_shape(backend):
    model = _linear()
    model.compile('sgd', 'mse')
    y = np.zeros((4, 2), dtype='float32')
    _raises_cleanly(ValueError, re.escape('Error when checking input: expected x to have shape '
                                          '(3,) but got array with shape (4,)'),
                    model.fit, np.zeros((4, 4)), y, verbose=0)
    _raises_cleanly(ValueError, re.escape('Error when checking input: expected x to have 2 '
                                          'dimensions, but got array with shape (4, 3, 1)'),
                    model.evaluate, np.zeros((4, 3, 1)), y, verbose=0)
    _raises_cleanly(ValueError, 'expected x to have shape', model.predict, np.zeros((4, 5)))
    _raises_cleanly(ValueError, 'expected x to have shape', model.train_on_batch,
                    np.zeros((4, 5)), y)


def test_integer_labels_with_categorical_crossentropy(backend):
    model = _linear(units=10, activation='softmax')
    model.compile('sgd', 'categorical_crossentropy')
    x = np.zeros((6, 3), dtype='float32')
    labels = np.arange(6).reshape(6, 1)
    error = _raises_cleanly(ValueError, 'categorical_crossentropy', model.fit, x, labels,
                            verbose=0)
    message = str(error)
    assert 'sparse_categorical_crossentropy' in message
    assert 'to_categorical' in message
    # The Keras 2.2.4 wording people search for is kept.
    assert 'Error when checking target: expected out to have shape (10,) but got array with ' \
           'shape (1,)' in message


def test_target_shape_mismatch_for_mse(backend):
    model = _linear(units=2)
    model.compile('sgd', 'mse')
    x = np.zeros((4, 3), dtype='float32')
    _raises_cleanly(ValueError, re.escape('Error when checking target: expected out to have '
                                          'shape (2,) but got array with shape (3,)'),
                    model.fit, x, np.zeros((4, 3)), verbose=0)
    _raises_cleanly(ValueError, 'Error when checking target', model.test_on_batch, x,
                    np.zeros((4, 2, 1)))


def test_bad_fit_arguments(backend):
    x, y = _data(n=8)
    model = _linear()
    model.compile('sgd', 'mse')
    for bad in ((x,), (x, y, None, None)):
        _raises_cleanly(ValueError, 'When passing validation_data, it must contain 2 .* or 3 '
                        '.* items, however it contains %d items' % len(bad),
                        model.fit, x, y, validation_data=bad, verbose=0)
    _raises_cleanly(TypeError, "Unrecognized keyword arguments: {'learning_rate': 0.1}",
                    model.fit, x, y, learning_rate=0.1)
    _raises_cleanly(ValueError, 'Error when checking input', model.fit, x, y,
                    validation_data=(np.zeros((3, 5)), y[:3]), verbose=0)
    uncompiled = _linear()
    _raises_cleanly(RuntimeError, 'compile', uncompiled.fit, x, y, verbose=0)
    _raises_cleanly(RuntimeError, 'compile', uncompiled.train_on_batch, x, y)
    _raises_cleanly(RuntimeError, 'compile', uncompiled.evaluate, x, y, verbose=0)


def test_nb_epoch_is_still_understood(backend):
    x, y = _data(n=8)
    model = _linear()
    model.compile('sgd', 'mse')
    with pytest.warns(UserWarning, match='nb_epoch'):
        hist = model.fit(x, y, nb_epoch=3, verbose=0)
    assert hist.epoch == [0, 1, 2]


# ------------------------------------------------------------------------------ control

# (Not SGD with momentum: its velocity keeps moving the weights after lr is 0, in Keras 2 too.)
@pytest.mark.parametrize('optimizer', [optimizers.SGD(lr=0.1), optimizers.Adam(lr=0.01),
                                       optimizers.RMSprop(lr=0.01),
                                       optimizers.Adagrad(lr=0.1)])
def test_learning_rate_set_to_zero_stops_updates(backend, optimizer):
    x, y = _data()
    model = _linear()
    model.compile(optimizer, 'mse')
    before = model.get_weights()
    model.train_on_batch(x, y)
    moved = model.get_weights()
    assert not np.allclose(before[0], moved[0])
    K.set_value(model.optimizer.lr, 0.)
    assert K.get_value(model.optimizer.lr) == 0.
    model.train_on_batch(x, y)
    for a, b in zip(moved, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(moved, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_weights_read_before_training_are_snapshots(backend):
    x, y = _data()
    model = _linear()
    model.compile(optimizers.SGD(lr=0.1), 'mse')
    layer = model.get_layer('out')
    from_model, from_layer = model.get_weights(), layer.get_weights()
    from_k = K.get_value(layer.kernel)
    copies = [w.copy() for w in from_model]
    model.fit(x, y, epochs=2, verbose=0)
    for array in (from_model[0], from_layer[0], from_k):
        np.testing.assert_array_equal(array, copies[0])
    assert not np.allclose(model.get_weights()[0], copies[0])
    # Writing into a returned array does not write into the model either.
    current = model.get_weights()
    current[0][...] = 7.
    assert not np.any(model.get_weights()[0] == 7.)


def test_learning_rate_changed_by_a_callback_applies_from_the_next_batch(backend):
    x, y = _data(n=8)
    model = _linear()
    model.compile(optimizers.SGD(lr=0.1), 'mse')
    snapshots = []

    def on_batch_end(batch, logs):
        snapshots.append(model.get_weights()[0].copy())
        if batch == 1:
            K.set_value(model.optimizer.lr, 0.)

    model.fit(x, y, batch_size=2, shuffle=False, callbacks=[LambdaCallback(
        on_batch_end=on_batch_end)], verbose=0)
    assert not np.allclose(snapshots[0], snapshots[1])
    np.testing.assert_array_equal(snapshots[1], snapshots[2])
    np.testing.assert_array_equal(snapshots[1], snapshots[3])


def test_stop_training_from_a_lambda_callback(backend):
    model, x, y = _spy_model_and_data(n=12)
    spy = _BatchSpy()

    def stop_at_batch_1(batch, logs):
        if batch == 1:
            model.stop_training = True

    hist = model.fit(x, y, batch_size=3, epochs=5, shuffle=False, validation_split=0.25,
                     callbacks=[spy, LambdaCallback(on_batch_end=stop_at_batch_1)], verbose=0)
    assert spy.epochs == [[[0, 1, 2], [3, 4, 5]]]
    assert hist.epoch == [0]
    # Keras 2.2.4 validates only after the last batch: a stopped epoch has no val_loss.
    assert 'val_loss' not in hist.history
    np.testing.assert_allclose(hist.history['loss'], [np.mean(2. ** np.arange(6))], rtol=1e-5)

    def stop_after_epoch_1(epoch, logs):
        if epoch == 1:
            model.stop_training = True

    hist = model.fit(x, y, batch_size=3, epochs=5, validation_split=0.25,
                     callbacks=[LambdaCallback(on_epoch_end=stop_after_epoch_1)], verbose=0)
    assert hist.epoch == [0, 1]
    assert len(hist.history['val_loss']) == 2


def test_callbacks_see_the_training_model_and_params(backend):
    x, y = _data(n=10)
    model = _linear()
    model.compile('sgd', 'mse', metrics=['mae'])
    seen = {}

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            seen['model'] = self.model
            seen['params'] = dict(self.params)

    model.fit(x, y, batch_size=4, epochs=3, validation_split=0.2, callbacks=[Recorder()],
              verbose=0)
    assert seen['model'] is model
    params = seen['params']
    assert params['epochs'] == 3 and params['batch_size'] == 4 and params['samples'] == 8
    assert params['do_validation'] is True
    assert params['metrics'] == ['loss', 'mean_absolute_error', 'val_loss',
                                 'val_mean_absolute_error']


# ------------------------------------------------------------------------------ extra losses

def test_add_loss_with_no_compiled_loss_trains(backend):
    rng = np.random.RandomState(0)
    x = rng.normal(size=(64, 4)).astype('float32')
    inp = Input((4,), name='x')
    code = Dense(2, name='encoder')(inp)
    recon = Dense(4, name='decoder')(code)
    autoencoder = Model(inp, recon)
    autoencoder.add_loss(K.mean(K.square(recon - inp)))
    autoencoder.compile(optimizers.SGD(lr=0.1), loss=None)
    assert autoencoder.metrics_names == ['loss']

    def np_loss():
        h = _dense_np(autoencoder.get_layer('encoder'), x)
        return np.mean((_dense_np(autoencoder.get_layer('decoder'), h) - x) ** 2)

    start = np_loss()
    np.testing.assert_allclose(autoencoder.evaluate(x, None, batch_size=64, verbose=0), start,
                               rtol=1e-5)
    np.testing.assert_allclose(autoencoder.train_on_batch(x, None), start, rtol=1e-5)
    hist = autoencoder.fit(x, None, batch_size=16, epochs=5, verbose=0)
    assert hist.history['loss'][-1] < hist.history['loss'][0]
    assert np_loss() < start


def test_add_loss_adds_to_the_compiled_loss(backend):
    x, y = _data(n=10)
    inp = Input((3,), name='x')
    out = Dense(2, name='out')(inp)
    model = Model(inp, out)
    model.add_loss(0.5 * K.mean(K.abs(out)))
    model.compile(optimizers.SGD(lr=0.), 'mse')
    p = _dense_np(model.get_layer('out'), x)
    expected = np.mean(_mse(y, p)) + 0.5 * np.mean(np.abs(p))
    np.testing.assert_allclose(model.test_on_batch(x, y), expected, rtol=1e-5)
    np.testing.assert_allclose(model.train_on_batch(x, y), expected, rtol=1e-5)


def test_kernel_regularizer_adds_its_penalty(backend):
    x, y = _data(n=10)
    model = _linear(kernel_regularizer=regularizers.l2(0.01),
                    bias_regularizer=regularizers.l1(0.1), bias_initializer='ones')
    model.compile(optimizers.SGD(lr=0.), 'mse', metrics=['mse'])
    layer = model.get_layer('out')
    kernel, bias = layer.get_weights()
    mse = np.mean(_mse(y, _dense_np(layer, x)))
    penalty = 0.01 * np.sum(kernel ** 2) + 0.1 * np.sum(np.abs(bias))
    expected = [mse + penalty, mse]    # the metric shows the bare loss
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=10, verbose=0), expected,
                               rtol=1e-5)
    np.testing.assert_allclose(model.train_on_batch(x, y), expected, rtol=1e-5)
    np.testing.assert_allclose(model.test_on_batch(x, y), expected, rtol=1e-5)


def test_kernel_regularizer_shrinks_the_weights(backend):
    x, y = _data(n=10)
    model = _linear(kernel_regularizer=regularizers.l2(0.5))
    model.compile(optimizers.SGD(lr=0.1), 'mse')
    kernel, bias = model.get_layer('out').get_weights()
    p = _dense_np(model.get_layer('out'), x)
    model.train_on_batch(x, y)
    grad = x.T @ (2. * (p - y) / y.size) + 2 * 0.5 * kernel
    np.testing.assert_allclose(model.get_layer('out').get_weights()[0], kernel - 0.1 * grad,
                               rtol=1e-4, atol=1e-6)


def test_activity_regularizer_adds_its_penalty(backend):
    x, y = _data(n=10)
    model = _linear(activity_regularizer=regularizers.l1_l2(l1=0.01, l2=0.1))
    model.compile(optimizers.SGD(lr=0.), 'mse')
    p = _dense_np(model.get_layer('out'), x)
    # Keras 2.2.4 sums the activity penalty over the batch.
    expected = np.mean(_mse(y, p)) + 0.01 * np.sum(np.abs(p)) + 0.1 * np.sum(p ** 2)
    np.testing.assert_allclose(model.train_on_batch(x, y), expected, rtol=1e-5)
    hist = model.fit(x, y, batch_size=10, verbose=0)
    np.testing.assert_allclose(hist.history['loss'], [expected], rtol=1e-5)


def test_activity_regularizer_penalty_is_in_the_test_loss_too(backend):
    x, y = _data(n=10)
    model = _linear(activity_regularizer=regularizers.l2(0.1))
    model.compile(optimizers.SGD(lr=0.), 'mse')
    p = _dense_np(model.get_layer('out'), x)
    expected = np.mean(_mse(y, p)) + 0.1 * np.sum(p ** 2)
    # In Keras 2.2.4 the test function evaluates the same total loss as the train function.
    np.testing.assert_allclose(model.test_on_batch(x, y), expected, rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=10, verbose=0), expected,
                               rtol=1e-5)
    hist = model.fit(x, y, batch_size=10, validation_data=(x, y), verbose=0)
    np.testing.assert_allclose(hist.history['val_loss'], [expected], rtol=1e-5)


# ------------------------------------------------------------------------------ Sequential

def test_sequential_predict_classes_and_proba(backend):
    rng = np.random.RandomState(0)
    x = rng.normal(size=(9, 3)).astype('float32')
    model = Sequential([Dense(4, activation='softmax', input_dim=3)])
    probs = _softmax(_dense_np(model.layers[0], x))
    proba = model.predict_proba(x)
    np.testing.assert_allclose(proba, probs, rtol=1e-5)
    classes = model.predict_classes(x, batch_size=4)
    np.testing.assert_array_equal(classes, probs.argmax(axis=-1))
    assert classes.shape == (9,)

    binary = Sequential([Dense(1, activation='sigmoid', input_dim=3)])
    probs = _sigmoid(_dense_np(binary.layers[0], x))
    classes = binary.predict_classes(x)
    assert classes.shape == (9, 1) and classes.dtype == np.int32
    np.testing.assert_array_equal(classes, (probs > 0.5).astype('int32'))

    linear = Sequential([Dense(2, input_dim=3, kernel_initializer='ones', bias_initializer='ones')])
    with pytest.warns(UserWarning, match='invalid probability values'):
        linear.predict_proba(x + 10.)


def test_sequential_trains_like_the_functional_model(backend):
    x, y = _data(n=16)
    seq = Sequential([Dense(2, input_dim=3)])
    func = _linear()
    func.set_weights(seq.get_weights())
    for model in (seq, func):
        model.compile(optimizers.SGD(lr=0.1), 'mse', metrics=['mae'])
    h1 = seq.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    h2 = func.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h1.history['loss'], h2.history['loss'], rtol=1e-6)
    for a, b in zip(seq.get_weights(), func.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_sequential_without_input_shape_builds_on_fit(backend):
    x, y = _data(n=8)
    model = Sequential()
    model.add(Dense(4, activation='relu'))
    model.add(Dense(2))
    model.compile('sgd', 'mse')
    hist = model.fit(x, y, epochs=2, verbose=0)
    assert len(hist.history['loss']) == 2
    assert model.predict(x).shape == (8, 2)


# ------------------------------------------------------------------------------ fused softmax

def _saturated_softmax_model(fuse, loss):
    """A softmax output whose first class takes all the probability (logits 30 and 0)."""
    inputs = Input(shape=(1,))
    outputs = Dense(2, activation='softmax', kernel_initializer='zeros',
                    bias_initializer='zeros', name='out')(inputs)
    model = Model(inputs, outputs)
    model.get_layer('out').set_weights([np.array([[30., 0.]], 'float32'),
                                        np.zeros(2, 'float32')])
    model.compile(optimizers.SGD(lr=0.), loss, fuse_softmax_crossentropy=fuse)
    return model


@pytest.mark.parametrize('loss, target', [
    ('categorical_crossentropy', np.array([[0., 1.]], 'float32')),
    ('sparse_categorical_crossentropy', np.array([[1]], 'float32')),
])
def test_fuse_softmax_crossentropy_is_a_compile_argument(backend, loss, target):
    x = np.ones((1, 1), 'float32')
    clipped = -np.log(1e-7)  # Keras 2.2.4: the probability is clipped to epsilon
    # Fused (the default): the loss comes from the logits, exact past saturation.
    fused = _saturated_softmax_model(True, loss)
    np.testing.assert_allclose(fused.train_on_batch(x, target), 30., rtol=1e-5)
    np.testing.assert_allclose(fused.evaluate(x, target, verbose=0), 30., rtol=1e-5)
    # Predictions see the probabilities.
    np.testing.assert_allclose(fused.predict(x)[0], [1., 0.], atol=1e-6)
    # Not fused: Keras 2.2.4's clipped formula.
    plain = _saturated_softmax_model(False, loss)
    np.testing.assert_allclose(plain.train_on_batch(x, target), clipped, rtol=1e-5)
    np.testing.assert_allclose(plain.evaluate(x, target, verbose=0), clipped, rtol=1e-5)


def test_compile_refuses_an_unknown_keyword_naming_it(backend):
    model = _linear()
    _raises_cleanly(TypeError, 'fuse_softmax', model.compile, 'sgd', 'mse',
                    fuse_softmax=True)


# ------------------------------------------------------------------------------ compile spec

def test_compile_resolves_its_arguments_into_one_immutable_spec(backend):
    model = _two_outputs()
    with pytest.warns(UserWarning, match='out2'):  # Keras 2's note on an output left out
        model.compile('sgd', loss={'out1': 'mse'}, metrics={'out1': ['mae']},
                      loss_weights={'out1': 0.5})
    spec = model._compile_spec
    first, second = spec.outputs
    assert (first.name, first.loss, first.loss_weight) == ('out1', losses.mean_squared_error,
                                                           0.5)
    assert second.loss is None and not second.takes_target and second.metrics == ()
    assert [output.name for output in spec.fed_outputs] == ['out1']
    assert [metric.name for metric in spec.metric_specs] == ['out1_mean_absolute_error']
    assert list(spec.metrics_names) == model.metrics_names
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.jit_compile = True
    # Compiling again makes a new spec and leaves the old one as it was.
    model.compile('sgd', loss='mse')
    assert model._compile_spec is not spec
    assert spec.outputs[1].loss is None
    assert model._compile_spec.outputs[1].loss is losses.mean_squared_error


def test_user_callbacks_print_after_the_epochs_progress_bar(backend, capsys):
    # Keras 2.2.4 runs the progress bar before the user's callbacks: a checkpoint's message
    # comes after the bar's last line of the epoch, never inside it.
    x = np.random.RandomState(0).rand(20, 3).astype('float32')
    y = x.sum(axis=1, keepdims=True)
    model = Sequential([Dense(1, input_dim=3)])
    model.compile(optimizer='sgd', loss='mse')
    printer = LambdaCallback(on_epoch_end=lambda epoch, logs: print('USER epoch end'))
    model.fit(x, y, epochs=2, batch_size=10, verbose=2, validation_data=(x, y),
              callbacks=[printer])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    bar_lines = [i for i, line in enumerate(lines) if 'val_loss' in line]
    user_lines = [i for i, line in enumerate(lines) if line == 'USER epoch end']
    assert len(bar_lines) == len(user_lines) == 2
    assert all(bar < user for bar, user in zip(bar_lines, user_lines))
    assert lines[0] == 'Train on 20 samples, validate on 20 samples'
