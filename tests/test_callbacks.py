"""cornu.callbacks against Keras 2.2.4's behaviour, messages and file formats.

Callbacks are driven the way `fit` drives them (set_model, set_params, train/epoch/batch
hooks) with a small stand-in model and hand-made logs, so these tests do not depend on the
training loop; a few tests at the end run `Model.fit` itself.
"""
import contextlib
import csv
import json
import os
import socket
import threading
import urllib.parse
import warnings
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

from cornu.backend import kernels
from cornu import callbacks
from cornu.callbacks import base as callbacks_base
from cornu.callbacks import loggers
from cornu.callbacks.logs import Logs
from cornu._common import generic_utils  # where Progbar reads the clock
from cornu.utils.generic_utils import Progbar

METRICS = ['loss', 'acc', 'val_loss', 'val_acc']


# --- stand-ins ---------------------------------------------------------------------------------

class _Clock(object):
    """Stands in for the `time` module: time only moves when told."""

    def __init__(self):
        self.now = 0.

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = _Clock()
    for module in (generic_utils, loggers, callbacks_base):
        monkeypatch.setattr(module, 'time', fake)
    return fake


class FakeOptimizer(object):
    def __init__(self, K, lr=0.01):
        self.lr = K.variable(lr, name='lr')


class FakeModel(object):
    """What callbacks use of a model: stop_training, optimizer.lr, weights, save."""

    def __init__(self, K, lr=0.01):
        self.stop_training = False
        self.optimizer = FakeOptimizer(K, lr)
        self.weights = [np.zeros((2, 2)), np.zeros(2)]
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def _write(self, kind, filepath, overwrite):
        assert overwrite is True
        with open(filepath, 'w') as f:
            f.write('%s %s' % (kind, self.weights[0][0, 0]))
        self.saved.append((kind, os.path.basename(filepath)))

    def save(self, filepath, overwrite=True):
        self._write('model', filepath, overwrite)

    def save_weights(self, filepath, overwrite=True):
        self._write('weights', filepath, overwrite)


def _params(epochs=2, samples=100, steps=None, verbose=1, metrics=METRICS, batch_size=32):
    return {'batch_size': batch_size, 'epochs': epochs, 'steps': steps, 'samples': samples,
            'verbose': verbose, 'do_validation': any(m.startswith('val_') for m in metrics),
            'metrics': list(metrics)}


def _start(cbks, model, **params):
    cbk_list = callbacks.CallbackList(cbks)
    cbk_list.set_model(model)
    cbk_list.set_params(_params(**params))
    model.stop_training = False
    cbk_list.on_train_begin()
    return cbk_list


def _run_epochs(cbks, model, epoch_logs, **params):
    """Runs train begin, one epoch per dict of `epoch_logs` (no batches), train end."""
    cbk_list = _start(cbks, model, **params)
    for epoch, logs in enumerate(epoch_logs):
        cbk_list.on_epoch_begin(epoch)
        epoch_log = Logs(logs)
        cbk_list.on_epoch_end(epoch, epoch_log)
        if model.stop_training:
            break
    cbk_list.on_train_end()
    return cbk_list


def _batch_logs(K, batch, size, loss, acc):
    return Logs(batch=batch, size=size, loss=K.constant(loss), acc=K.constant(acc))


# --- Callback, CallbackList ------------------------------------------------------------------

class Recorder(callbacks.Callback):
    def __init__(self, name, journal):
        super(Recorder, self).__init__()
        self.name = name
        self.journal = journal

    def on_train_begin(self, logs=None):
        self.journal.append((self.name, 'train_begin', logs))

    def on_epoch_begin(self, epoch, logs=None):
        self.journal.append((self.name, 'epoch_begin', epoch))

    def on_batch_begin(self, batch, logs=None):
        self.journal.append((self.name, 'batch_begin', batch))

    def on_batch_end(self, batch, logs=None):
        self.journal.append((self.name, 'batch_end', batch))

    def on_epoch_end(self, epoch, logs=None):
        logs.setdefault('seen_by', []).append(self.name)
        self.journal.append((self.name, 'epoch_end', epoch))

    def on_train_end(self, logs=None):
        self.journal.append((self.name, 'train_end', logs))


def test_callback_base_attributes_and_no_op_hooks(backend):
    cbk = callbacks.Callback()
    assert cbk.validation_data is None and cbk.model is None
    cbk.set_params({'epochs': 3})
    cbk.set_model('model')
    assert cbk.params == {'epochs': 3} and cbk.model == 'model'
    for hook in ('on_epoch_begin', 'on_epoch_end', 'on_batch_begin', 'on_batch_end'):
        assert getattr(cbk, hook)(0, {}) is None
    assert cbk.on_train_begin() is None and cbk.on_train_end({}) is None


def test_callback_list_calls_every_callback_in_order(backend):
    journal = []
    first, second = Recorder('a', journal), Recorder('b', journal)
    cbk_list = callbacks.CallbackList([first])
    cbk_list.append(second)
    assert list(cbk_list) == [first, second]
    cbk_list.set_model('m')
    cbk_list.set_params({'p': 1})
    assert first.model == second.model == 'm' and second.params == {'p': 1}
    cbk_list.on_train_begin()
    cbk_list.on_epoch_begin(0)
    cbk_list.on_batch_begin(0)
    cbk_list.on_batch_end(0)
    logs = {}
    cbk_list.on_epoch_end(0, logs)
    cbk_list.on_train_end()
    assert journal == [('a', 'train_begin', {}), ('b', 'train_begin', {}),
                       ('a', 'epoch_begin', 0), ('b', 'epoch_begin', 0),
                       ('a', 'batch_begin', 0), ('b', 'batch_begin', 0),
                       ('a', 'batch_end', 0), ('b', 'batch_end', 0),
                       ('a', 'epoch_end', 0), ('b', 'epoch_end', 0),
                       ('a', 'train_end', {}), ('b', 'train_end', {})]
    # The caller's (empty) logs dict is the one the callbacks fill in.
    assert logs == {'seen_by': ['a', 'b']}
    assert callbacks.CallbackList().callbacks == []


def test_callback_list_warns_about_slow_batch_hooks(backend, clock):
    class Slow(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            clock.now += 0.5

    cbk_list = callbacks.CallbackList([Slow()])
    cbk_list.on_epoch_begin(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        for batch in range(3):
            cbk_list.on_batch_begin(batch)
            clock.now += 0.01  # the batch itself
            cbk_list.on_batch_end(batch)
    messages = [str(w.message) for w in caught]
    assert messages and all(m == 'Method on_batch_end() is slow compared to the batch update '
                                 '(0.500000). Check your callbacks.' for m in messages)

    fast = callbacks.CallbackList([callbacks.Callback()])
    fast.on_epoch_begin(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        for batch in range(12):
            fast.on_batch_begin(batch)
            clock.now += 0.2
            fast.on_batch_end(batch)
    assert not caught


def test_lazy_weighted_sum_folds_on_the_device_and_reads_once(backend, monkeypatch):
    K = backend
    total = callbacks_base.LazyWeightedSum()
    monkeypatch.setattr(callbacks_base.LazyWeightedSum, 'pending', 4)
    reads = []
    to_numpy = kernels.to_numpy
    monkeypatch.setattr(kernels, 'to_numpy', lambda x: reads.append(1) or to_numpy(x))
    for i in range(10):
        total.add(K.constant(float(i)), 2)
    total.add(0.5, 4)
    total.add(np.float32(1.5), 2)
    assert reads == []
    assert total.result() == pytest.approx(2 * 45 + 2 + 3)
    assert len(reads) == 1


# --- BaseLogger, History -----------------------------------------------------------------------

def test_base_logger_averages_on_the_device_and_reads_at_epoch_end(backend, monkeypatch):
    K = backend
    reads = []
    to_numpy = kernels.to_numpy
    monkeypatch.setattr(kernels, 'to_numpy', lambda x: reads.append(1) or to_numpy(x))
    model = FakeModel(K)
    logger = callbacks.BaseLogger(stateful_metrics=['tp'])
    cbk_list = _start([logger], model, samples=80)
    cbk_list.on_epoch_begin(0)
    batches = [(32, 1.0, 0.25, 3.), (32, 0.5, 0.5, 5.), (16, 0.25, 1.0, 7.)]
    logged = []
    for i, (size, loss, acc, tp) in enumerate(batches):
        logs = _batch_logs(K, i, size, loss, acc)
        logs['tp'] = K.constant(tp)
        cbk_list.on_batch_begin(i, logs)
        cbk_list.on_batch_end(i, logs)
        logged.append(logs)
    assert reads == []
    # Nothing was read through the logs either: they still hold the engine tensors.
    assert all(K.is_tensor(dict.__getitem__(logs, 'loss')) for logs in logged)
    epoch_logs = Logs(val_loss=0.75)
    logger.params['metrics'] = ['loss', 'acc', 'tp', 'val_loss']
    cbk_list.on_epoch_end(0, epoch_logs)
    assert epoch_logs == {'val_loss': 0.75, 'loss': (32 + 16 + 4) / 80.,
                          'acc': (8 + 16 + 16) / 80., 'tp': 7.}
    assert all(type(v) is float for v in epoch_logs.values())
    assert len(reads) <= 3
    # Only metrics named in params['metrics'] are written back.
    assert 'size' not in epoch_logs and 'batch' not in epoch_logs


def test_history_records_epochs_and_answers_both_accuracy_names(backend):
    K = backend
    history = callbacks.History()
    _run_epochs([history], FakeModel(K),
                [{'val_loss': 0.5, 'val_acc': 0.6, 'loss': 0.4, 'acc': 0.7},
                 {'val_loss': 0.3, 'val_acc': 0.8, 'loss': 0.2, 'acc': 0.9}])
    assert history.epoch == [0, 1]
    assert list(history.history.keys()) == ['val_loss', 'val_acc', 'loss', 'acc']
    assert history.history['acc'] == [0.7, 0.9]
    assert history.history['accuracy'] is history.history['acc']
    assert history.history['val_accuracy'] == [0.6, 0.8]
    assert history.history.get('val_accuracy') == [0.6, 0.8]
    assert 'accuracy' in history.history and 'val_acc' in history.history
    assert 'val_f1' not in history.history and history.history.get('val_f1', 3) == 3
    with pytest.raises(KeyError):
        history.history['val_f1']
    assert isinstance(history.history, dict)
    assert json.loads(json.dumps(history.history)) == dict(history.history)
    # A second fit starts a fresh record.
    _run_epochs([history], FakeModel(K), [{'loss': 1.0}])
    assert history.history == {'loss': [1.0]} and history.epoch == [0]


# --- ProgbarLogger -----------------------------------------------------------------------------

def _keras_224_progbar(target, batches, epoch_logs, use_steps, verbose, dynamic, clock,
                       epoch_time):
    """The output of Keras 2.2.4's ProgbarLogger, fed to the same Progbar with floats."""
    bar = Progbar(target=target, verbose=verbose)
    bar._dynamic_display = dynamic
    seen = 0
    log_values = []
    for size, values in batches:
        if seen < target:
            log_values = []
        seen += 1 if use_steps else size
        clock.now += epoch_time / len(batches)
        log_values += [(k, values[k]) for k in METRICS if k in values]
        if seen < target:
            bar.update(seen, log_values)
    log_values += [(k, epoch_logs[k]) for k in METRICS if k in epoch_logs]
    bar.update(seen, log_values)


def _run_progbar_logger(K, logger, target, batches, epoch_logs, dynamic, clock, epoch_time,
                        **params):
    model = FakeModel(K)
    cbk_list = _start([callbacks.BaseLogger(), logger], model, **params)
    cbk_list.on_epoch_begin(0)
    if dynamic:
        logger.progbar._dynamic_display = True
    for i, (size, values) in enumerate(batches):
        logs = _batch_logs(K, i, size, values['loss'], values['acc'])
        cbk_list.on_batch_begin(i, logs)
        clock.now += epoch_time / len(batches)
        cbk_list.on_batch_end(i, logs)
    logs = Logs(epoch_logs)
    cbk_list.on_epoch_end(0, logs)
    return logs


_BATCHES = [(32, {'loss': 1.0, 'acc': 0.25}), (32, {'loss': 0.5, 'acc': 0.5}),
            (32, {'loss': 0.25, 'acc': 0.75}), (4, {'loss': 0.125, 'acc': 1.0})]


@pytest.mark.parametrize('count_mode', ['samples', 'steps'])
@pytest.mark.parametrize('dynamic', [False, True])
def test_progbar_logger_prints_what_keras_2_2_4_printed(backend, capsys, clock, count_mode,
                                                        dynamic):
    K = backend
    use_steps = count_mode == 'steps'
    target = 4 if use_steps else 100
    logger = callbacks.ProgbarLogger(count_mode)
    logs = _run_progbar_logger(K, logger, target, _BATCHES, {'val_loss': 0.5, 'val_acc': 0.625},
                               dynamic, clock, 2., epochs=5, samples=100,
                               steps=4 if use_steps else None)
    out = capsys.readouterr().out
    # Keras 2.2.4's BaseLogger averages, then its ProgbarLogger feeds Progbar floats.
    assert logs['loss'] == pytest.approx((32 * 1.75 + 0.5) / 100)
    clock.now = 0.
    print('Epoch 1/5')
    _keras_224_progbar(target, _BATCHES, dict(logs.items()), use_steps, 1, dynamic, clock, 2.)
    expected = capsys.readouterr().out
    assert out == expected
    if dynamic:
        assert out.count('\r') == 4  # three batches drawn, then the final line
    elif use_steps:
        # Keras 2.2.4's final update adds the last batch's values and the epoch values
        # over the last step: (1 + .5 + .25 + .125 + .565) / 5 for the loss.
        assert out == ('Epoch 1/5\n4/4 [==============================] - 2s 500ms/step - '
                       'loss: 0.4880 - acc: 0.6040 - val_loss: 0.5000 - val_acc: 0.6250\n')
    else:
        # Over samples, the same double count averages back to the epoch values.
        assert out == ('Epoch 1/5\n100/100 [==============================] - 2s 20ms/step - '
                       'loss: 0.5650 - acc: 0.5200 - val_loss: 0.5000 - val_acc: 0.6250\n')


def test_progbar_logger_final_line_exact_text(backend, capsys, clock):
    K = backend
    logger = callbacks.ProgbarLogger()
    batches = [(30000, {'loss': 0.125, 'acc': 0.875}), (30000, {'loss': 0.075, 'acc': 0.925})]
    _run_progbar_logger(K, logger, 60000, batches, {}, False, clock, 2.,
                        epochs=5, samples=60000, metrics=['loss', 'acc'])
    assert capsys.readouterr().out == (
        'Epoch 1/5\n'
        '60000/60000 [==============================] - 2s 33us/step - loss: 0.1000 - '
        'acc: 0.9000\n')


def test_progbar_logger_reads_no_batch_value_off_a_terminal(backend, capsys, clock,
                                                            monkeypatch):
    K = backend
    reads = []
    to_numpy = kernels.to_numpy
    monkeypatch.setattr(kernels, 'to_numpy', lambda x: reads.append(1) or to_numpy(x))
    logger = callbacks.ProgbarLogger()
    cbk_list = _start([logger], FakeModel(K), samples=100, metrics=['loss', 'acc'])
    cbk_list.on_epoch_begin(0)
    for i, (size, values) in enumerate(_BATCHES):
        logs = _batch_logs(K, i, size, values['loss'], values['acc'])
        cbk_list.on_batch_begin(i, logs)
        clock.now += 0.5
        cbk_list.on_batch_end(i, logs)
        assert K.is_tensor(dict.__getitem__(logs, 'loss'))
    assert reads == [] and capsys.readouterr().out == 'Epoch 1/2\n'
    cbk_list.on_epoch_end(0, Logs(loss=0.5, acc=0.5))
    assert capsys.readouterr().out.startswith('100/100 [====')


def test_progbar_logger_verbose_2_and_stateful_metrics(backend, capsys, clock):
    K = backend
    logger = callbacks.ProgbarLogger(stateful_metrics=['acc'])
    _run_progbar_logger(K, logger, 100, _BATCHES, {'val_loss': 0.5}, False, clock, 3.,
                        epochs=1, samples=100, verbose=2)
    out = capsys.readouterr().out
    # acc is stateful: the epoch value (BaseLogger without stateful metrics: the average).
    assert out == 'Epoch 1/1\n - 3s - loss: 0.5650 - acc: 0.5200 - val_loss: 0.5000\n'


def test_progbar_logger_silent_and_bad_count_mode(backend, capsys, clock):
    K = backend
    with pytest.raises(ValueError, match='Unknown `count_mode`: batches'):
        callbacks.ProgbarLogger('batches')
    _run_progbar_logger(K, callbacks.ProgbarLogger(), 100, _BATCHES, {}, False, clock, 1.,
                        epochs=1, samples=100, verbose=0)
    assert capsys.readouterr().out == ''


# --- TerminateOnNaN ----------------------------------------------------------------------------

def test_terminate_on_nan(backend, capsys):
    K = backend
    model = FakeModel(K)
    cbk = callbacks.TerminateOnNaN()
    cbk.set_model(model)
    cbk.on_batch_end(0, Logs(loss=K.constant(0.5)))
    cbk.on_batch_end(1, {})
    assert model.stop_training is False and capsys.readouterr().out == ''
    cbk.on_batch_end(2, Logs(loss=K.constant(float('nan'))))
    assert model.stop_training is True
    assert capsys.readouterr().out == 'Batch 2: Invalid loss, terminating training\n'
    model.stop_training = False
    cbk.on_batch_end(7, {'loss': np.inf})
    assert model.stop_training is True
    assert capsys.readouterr().out == 'Batch 7: Invalid loss, terminating training\n'


# --- EarlyStopping -----------------------------------------------------------------------------

def _losses(*values, key='val_loss'):
    return [{key: v} for v in values]


def test_early_stopping_patience_and_min_delta(backend, capsys):
    K = backend
    model = FakeModel(K)
    stopper = callbacks.EarlyStopping(patience=2, verbose=1)
    history = callbacks.History()
    _run_epochs([stopper, history], model, _losses(1.0, 0.9, 0.95, 0.9, 0.8, 0.7))
    assert history.epoch == [0, 1, 2, 3] and stopper.stopped_epoch == 3
    assert model.stop_training is True and stopper.best == 0.9 and stopper.wait == 2
    assert capsys.readouterr().out == 'Epoch 00004: early stopping\n'

    # min_delta: an improvement smaller than 0.1 does not count.
    stopper = callbacks.EarlyStopping(min_delta=0.1, patience=1)
    history = callbacks.History()
    _run_epochs([stopper, history], FakeModel(K), _losses(1.0, 0.95, 0.5))
    assert history.epoch == [0, 1] and stopper.best == 1.0
    assert capsys.readouterr().out == ''  # verbose=0


def test_early_stopping_modes_and_accuracy_names(backend):
    K = backend
    # auto: 'acc' in the name means higher is better; val_accuracy finds val_acc.
    for monitor in ('val_acc', 'val_accuracy'):
        stopper = callbacks.EarlyStopping(monitor=monitor, patience=0)
        history = callbacks.History()
        _run_epochs([stopper, history], FakeModel(K), _losses(0.5, 0.6, 0.55, key='val_acc'))
        assert history.epoch == [0, 1, 2] and stopper.best == 0.6
    stopper = callbacks.EarlyStopping(monitor='val_loss', mode='max')
    assert stopper.monitor_op == np.greater
    with pytest.warns(RuntimeWarning, match='EarlyStopping mode sideways is unknown, '
                                            'fallback to auto mode.'):
        stopper = callbacks.EarlyStopping(mode='sideways')
    assert stopper.monitor_op == np.less and stopper.min_delta == 0


def test_early_stopping_baseline(backend):
    K = backend
    stopper = callbacks.EarlyStopping(monitor='val_acc', baseline=0.75, patience=2)
    history = callbacks.History()
    _run_epochs([stopper, history], FakeModel(K), _losses(0.5, 0.6, 0.7, 0.9, key='val_acc'))
    assert history.epoch == [0, 1] and stopper.best == 0.75
    stopper = callbacks.EarlyStopping(monitor='val_acc', baseline=0.55, patience=2)
    history = callbacks.History()
    _run_epochs([stopper, history], FakeModel(K), _losses(0.5, 0.6, 0.7, 0.9, key='val_acc'))
    assert history.epoch == [0, 1, 2, 3] and stopper.best == 0.9


def test_early_stopping_restores_best_weights(backend, capsys):
    K = backend
    model = FakeModel(K)
    stopper = callbacks.EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    cbk_list = _start([stopper], model)
    for epoch, loss in enumerate([1.0, 0.5, 0.7, 0.8, 0.1]):
        model.weights[0][:] = epoch
        cbk_list.on_epoch_begin(epoch)
        cbk_list.on_epoch_end(epoch, Logs(val_loss=loss))
        if model.stop_training:
            break
    cbk_list.on_train_end()
    assert stopper.stopped_epoch == 3
    assert (model.weights[0] == 1).all()
    assert capsys.readouterr().out == ('Restoring model weights from the end of the best epoch\n'
                                       'Epoch 00004: early stopping\n')


def test_early_stopping_warns_when_the_metric_is_missing(backend):
    K = backend
    stopper = callbacks.EarlyStopping(monitor='val_f1')
    with pytest.warns(RuntimeWarning) as record:
        _run_epochs([stopper], FakeModel(K), [{'loss': 0.5, 'acc': 0.5}])
    assert str(record[0].message) == ('Early stopping conditioned on metric `val_f1` which is '
                                      'not available. Available metrics are: loss,acc')


# --- ModelCheckpoint ---------------------------------------------------------------------------

def test_model_checkpoint_formats_the_file_name(backend, tmp_path, capsys):
    K = backend
    model = FakeModel(K)
    path = str(tmp_path / 'weights.{epoch:02d}-{val_loss:.2f}-{val_accuracy:.1f}.hdf5')
    checkpoint = callbacks.ModelCheckpoint(path, verbose=1)
    _run_epochs([checkpoint], model, [{'val_loss': 0.512, 'val_acc': 0.25},
                                      {'val_loss': 0.634, 'val_acc': 0.5}])
    assert model.saved == [('model', 'weights.01-0.51-0.2.hdf5'),
                           ('model', 'weights.02-0.63-0.5.hdf5')]
    assert sorted(os.listdir(str(tmp_path))) == ['weights.01-0.51-0.2.hdf5',
                                                 'weights.02-0.63-0.5.hdf5']
    out = capsys.readouterr().out
    assert out == ('\nEpoch 00001: saving model to %s\n\nEpoch 00002: saving model to %s\n' % (
        tmp_path / 'weights.01-0.51-0.2.hdf5', tmp_path / 'weights.02-0.63-0.5.hdf5'))


def test_model_checkpoint_save_best_only(backend, tmp_path, capsys):
    K = backend
    model = FakeModel(K)
    path = str(tmp_path / 'best.h5')
    checkpoint = callbacks.ModelCheckpoint(path, monitor='val_acc', verbose=1,
                                           save_best_only=True, save_weights_only=True)
    _run_epochs([checkpoint], model, _losses(0.5, 0.75, 0.625, key='val_acc'))
    assert model.saved == [('weights', 'best.h5'), ('weights', 'best.h5')]
    assert capsys.readouterr().out == (
        '\nEpoch 00001: val_acc improved from -inf to 0.50000, saving model to %s\n'
        '\nEpoch 00002: val_acc improved from 0.50000 to 0.75000, saving model to %s\n'
        '\nEpoch 00003: val_acc did not improve from 0.75000\n' % (path, path))
    # The monitored value missing: a warning, nothing saved.
    model.saved = []
    checkpoint = callbacks.ModelCheckpoint(path, save_best_only=True)
    with pytest.warns(RuntimeWarning, match='Can save best model only with val_loss '
                                            'available, skipping.'):
        _run_epochs([checkpoint], model, [{'loss': 0.1}])
    assert model.saved == []


def test_model_checkpoint_period_and_modes(backend, tmp_path):
    K = backend
    model = FakeModel(K)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / 'm{epoch}.h5'), period=2)
    _run_epochs([checkpoint], model, _losses(1, 2, 3, 4, 5))
    assert model.saved == [('model', 'm2.h5'), ('model', 'm4.h5')]
    assert callbacks.ModelCheckpoint('x', monitor='val_loss').best == np.inf
    assert callbacks.ModelCheckpoint('x', monitor='fmeasure').monitor_op == np.greater
    assert callbacks.ModelCheckpoint('x', monitor='val_acc', mode='min').best == np.inf
    with pytest.warns(RuntimeWarning, match='ModelCheckpoint mode up is unknown'):
        callbacks.ModelCheckpoint('x', mode='up')


# --- LearningRateScheduler, ReduceLROnPlateau ---------------------------------------------------

def _lr(K, model):
    return float(K.get_value(model.optimizer.lr))


def test_learning_rate_scheduler_both_signatures(backend, capsys):
    K = backend
    model = FakeModel(K, lr=0.1)
    history = callbacks.History()
    scheduler = callbacks.LearningRateScheduler(lambda epoch: 1. / (1. + epoch))
    _run_epochs([scheduler, history], model, [{'loss': 1.}, {'loss': 1.}, {'loss': 1.}])
    assert _lr(K, model) == pytest.approx(1. / 3)
    assert history.history['lr'] == [pytest.approx(1.), pytest.approx(.5),
                                     pytest.approx(1. / 3)]
    # A Python float with the float32's digits: JSON-friendly, printed as Keras printed it.
    assert [type(lr) for lr in history.history['lr']] == [float] * 3
    assert str(history.history['lr'][2]) == str(np.float32(1. / 3)) == '0.33333334'

    model = FakeModel(K, lr=0.5)
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5, verbose=1)
    _run_epochs([scheduler], model, [{}, {}])
    assert _lr(K, model) == pytest.approx(0.125)
    assert capsys.readouterr().out == (
        '\nEpoch 00001: LearningRateScheduler setting learning rate to 0.25.\n'
        '\nEpoch 00002: LearningRateScheduler setting learning rate to 0.125.\n')


def test_learning_rate_scheduler_errors(backend):
    K = backend
    with pytest.raises(ValueError, match='The output of the "schedule" function should be '
                                         'float.'):
        _run_epochs([callbacks.LearningRateScheduler(lambda epoch: 1)], FakeModel(K), [{}])
    model = FakeModel(K)
    del model.optimizer.lr
    with pytest.raises(ValueError, match='Optimizer must have a "lr" attribute.'):
        _run_epochs([callbacks.LearningRateScheduler(lambda epoch: 1.)], model, [{}])


def test_reduce_lr_on_plateau_patience_cooldown_min_lr(backend, capsys):
    K = backend
    model = FakeModel(K, lr=1.0)
    reducer = callbacks.ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2, min_lr=0.2,
                                          verbose=1)
    history = callbacks.History()
    lrs = []
    recorder = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: lrs.append(_lr(K, model)))
    _run_epochs([reducer, history, recorder], model, _losses(1, 1, 1, 1, 1, 1, 1, 0.5))
    # Reduced after 1 epoch without improvement; as in Keras 2.2.4, the epoch where the
    # cooldown runs out already counts towards the patience again.
    assert lrs == pytest.approx([1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2])
    # `lr` in the logs is read before the reduction of that epoch.
    assert history.history['lr'] == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2])
    assert reducer.best == 0.5 and reducer.cooldown_counter == 0
    out = capsys.readouterr().out
    assert out == ('\nEpoch 00002: ReduceLROnPlateau reducing learning rate to 0.5.\n'
                   '\nEpoch 00004: ReduceLROnPlateau reducing learning rate to 0.25.\n'
                   '\nEpoch 00006: ReduceLROnPlateau reducing learning rate to 0.2.\n')


def test_reduce_lr_on_plateau_min_delta_mode_and_arguments(backend):
    K = backend
    model = FakeModel(K, lr=1.0)
    reducer = callbacks.ReduceLROnPlateau(monitor='val_accuracy', patience=2, min_delta=0.1)
    _run_epochs([reducer], model, _losses(0.5, 0.55, 0.58, key='val_acc'))
    assert _lr(K, model) == pytest.approx(0.1)
    with pytest.warns(UserWarning, match='`epsilon` argument is deprecated and will be removed, '
                                         'use `min_delta` instead.'):
        reducer = callbacks.ReduceLROnPlateau(epsilon=0.5)
    assert reducer.min_delta == 0.5
    with pytest.raises(ValueError, match='ReduceLROnPlateau does not support a factor >= 1.0.'):
        callbacks.ReduceLROnPlateau(factor=1.0)
    with pytest.warns(RuntimeWarning, match='Learning Rate Plateau Reducing mode up is unknown'):
        callbacks.ReduceLROnPlateau(mode='up')
    with pytest.warns(RuntimeWarning, match='Reduce LR on plateau conditioned on metric '
                                            '`val_loss` which is not available. Available '
                                            'metrics are: loss,lr'):
        _run_epochs([callbacks.ReduceLROnPlateau()], FakeModel(K), [{'loss': 1.}])


# --- CSVLogger ---------------------------------------------------------------------------------

def _read(path):
    with open(path, 'rb') as f:
        return f.read().decode('utf-8')


def test_csv_logger_writes_keras_2_2_4_rows_and_appends(backend, tmp_path):
    K = backend
    path = str(tmp_path / 'log.csv')
    epochs = [{'val_loss': 0.5, 'val_acc': 0.25, 'loss': 0.75, 'acc': 0.125},
              {'val_loss': 0.25, 'val_acc': 0.5, 'loss': 0.5, 'acc': 0.375}]
    _run_epochs([callbacks.CSVLogger(path)], FakeModel(K), epochs)
    assert _read(path) == ('epoch,acc,loss,val_acc,val_loss\r\n'
                           '0,0.125,0.75,0.25,0.5\r\n'
                           '1,0.375,0.5,0.5,0.25\r\n')
    # append=True continues the file without a second header.
    _run_epochs([callbacks.CSVLogger(path, append=True)], FakeModel(K), epochs[:1])
    assert _read(path).count('epoch') == 1
    assert _read(path).endswith('1,0.375,0.5,0.5,0.25\r\n0,0.125,0.75,0.25,0.5\r\n')
    # append=False starts over; append=True on an empty file writes the header.
    _run_epochs([callbacks.CSVLogger(path)], FakeModel(K), epochs[:1])
    assert _read(path) == 'epoch,acc,loss,val_acc,val_loss\r\n0,0.125,0.75,0.25,0.5\r\n'
    empty = str(tmp_path / 'empty.csv')
    open(empty, 'w').close()
    _run_epochs([callbacks.CSVLogger(empty, append=True)], FakeModel(K), epochs[:1])
    assert _read(empty).startswith('epoch,acc,')


def test_csv_logger_separator_iterables_and_na_after_stop(backend, tmp_path):
    K = backend
    path = str(tmp_path / 'log.tsv')
    model = FakeModel(K)
    logger = callbacks.CSVLogger(path, separator='\t')
    cbk_list = _start([logger], model)
    cbk_list.on_epoch_end(0, Logs(loss=0.5, val_loss=0.25, cm=np.array([1, 2]), note='ok'))
    model.stop_training = True  # stopped mid-epoch: no validation values
    cbk_list.on_epoch_end(1, Logs(loss=0.125, cm=[3, 4], note='x'))
    cbk_list.on_train_end()
    assert _read(path) == ('epoch\tcm\tloss\tnote\tval_loss\r\n'
                           '0\t"""[1, 2]"""\t0.5\tok\t0.25\r\n'
                           '1\t"""[3, 4]"""\t0.125\tx\tNA\r\n')
    with open(path, newline='') as f:
        rows = list(csv.reader(f, delimiter='\t'))
    assert rows[1][1] == '"[1, 2]"' and rows[2][4] == 'NA'
    assert logger.csv_file.closed and logger.writer is None


# --- LambdaCallback ----------------------------------------------------------------------------

def test_lambda_callback(backend):
    K = backend
    calls = []
    cbk = callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append('train_begin'),
        on_epoch_end=lambda epoch, logs: calls.append(('epoch_end', epoch, logs['loss'])),
        on_batch_begin=lambda batch, logs: calls.append(('batch_begin', batch)),
        on_train_end=lambda logs: calls.append('train_end'),
        extra='attribute')
    assert cbk.extra == 'attribute'
    cbk_list = _start([cbk], FakeModel(K))
    cbk_list.on_epoch_begin(0)
    cbk_list.on_batch_begin(0, Logs(batch=0, size=4))
    cbk_list.on_batch_end(0, Logs(batch=0, size=4))
    cbk_list.on_epoch_end(0, Logs(loss=K.constant(0.5)))
    cbk_list.on_train_end()
    assert calls == ['train_begin', ('batch_begin', 0), ('epoch_end', 0, 0.5), 'train_end']


# --- RemoteMonitor -----------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        self.server.received.append({'path': self.path, 'body': body,
                                     'headers': dict(self.headers.items())})
        self.send_response(200)
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'ok')

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _http_server(requests_expected):
    """A real HTTP server on 127.0.0.1 answering at most `requests_expected` requests."""
    server = HTTPServer(('127.0.0.1', 0), _Handler)
    server.received = []
    server.timeout = 5  # handle_request gives up after this: the thread always ends

    def serve():
        for _ in range(requests_expected):
            server.handle_request()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        thread.join(10)
        server.server_close()


@pytest.fixture
def no_requests(monkeypatch):
    monkeypatch.setattr(loggers, 'requests', None)
    monkeypatch.setattr(callbacks.RemoteMonitor, 'timeout', 5)


def test_remote_monitor_posts_a_form_and_json(backend, no_requests):
    K = backend
    with _http_server(3) as server:
        root = 'http://127.0.0.1:%d' % server.server_address[1]
        monitor = callbacks.RemoteMonitor(root=root, headers={'X-Run': 'seven'})
        _run_epochs([monitor], FakeModel(K),
                    [{'loss': 0.5, 'acc': np.float32(0.25)}, {'loss': 0.25, 'acc': 0.5}])
        as_json = callbacks.RemoteMonitor(root=root, path='/json/', send_as_json=True)
        _run_epochs([as_json], FakeModel(K), [{'loss': K.constant(0.125)}])
    first, second, third = server.received
    assert first['path'] == '/publish/epoch/end/'
    assert first['headers']['Content-Type'] == 'application/x-www-form-urlencoded'
    assert first['headers']['X-Run'] == 'seven'
    form = urllib.parse.parse_qs(first['body'].decode())
    assert list(form) == ['data']
    assert json.loads(form['data'][0]) == {'epoch': 0, 'loss': 0.5, 'acc': 0.25}
    assert json.loads(urllib.parse.parse_qs(second['body'].decode())['data'][0])['epoch'] == 1
    assert third['path'] == '/json/'
    assert third['headers']['Content-Type'] == 'application/json'
    assert json.loads(third['body'].decode()) == {'epoch': 0, 'loss': 0.125}


def test_remote_monitor_warns_when_the_server_cannot_be_reached(backend, no_requests):
    K = backend
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    root = 'http://127.0.0.1:%d' % port
    with pytest.warns(UserWarning) as record:
        _run_epochs([callbacks.RemoteMonitor(root=root)], FakeModel(K), [{'loss': 1.}])
    assert str(record[0].message) == ('Warning: could not reach RemoteMonitor root server at '
                                      + root)


def test_remote_monitor_uses_requests_when_installed(backend, monkeypatch):
    K = backend

    class RequestException(Exception):
        pass

    class FakeRequests(object):
        class exceptions(object):
            pass

        def __init__(self):
            self.calls = []
            self.fail = False

        def post(self, url, data=None, json=None, headers=None, timeout=None):
            self.calls.append((url, data, json, headers))
            if self.fail:
                raise RequestException('refused')

    FakeRequests.exceptions.RequestException = RequestException
    fake = FakeRequests()
    monkeypatch.setattr(loggers, 'requests', fake)
    _run_epochs([callbacks.RemoteMonitor(field='payload')], FakeModel(K), [{'loss': 0.5}])
    _run_epochs([callbacks.RemoteMonitor(send_as_json=True)], FakeModel(K), [{'loss': 0.5}])
    assert fake.calls == [
        ('http://localhost:9000/publish/epoch/end/',
         {'payload': json.dumps({'epoch': 0, 'loss': 0.5})}, None, None),
        ('http://localhost:9000/publish/epoch/end/', None, {'epoch': 0, 'loss': 0.5}, None)]
    fake.fail = True
    with pytest.warns(UserWarning, match='could not reach RemoteMonitor root server at '
                                         'http://localhost:9000'):
        _run_epochs([callbacks.RemoteMonitor()], FakeModel(K), [{'loss': 0.5}])


# --- with the training loop --------------------------------------------------------------------

def _small_model():
    from cornu.layers import Dense
    from cornu.models import Sequential
    model = Sequential([Dense(4, activation='relu', input_shape=(3,)),
                        Dense(2, activation='softmax')])
    model.compile('sgd', 'categorical_crossentropy', metrics=['acc'])
    rng = np.random.RandomState(0)
    x = rng.rand(40, 3).astype('float32')
    y = np.eye(2)[rng.randint(0, 2, 40)]
    return model, x, y


def _fit_or_skip(model, *args, **kwargs):
    if not hasattr(model, 'fit'):
        pytest.skip('Model.fit is not available yet')
    return model.fit(*args, **kwargs)


def test_fit_with_early_stopping_csv_logger_and_history(backend, tmp_path):
    model, x, y = _small_model()
    path = str(tmp_path / 'log.csv')
    stopper = callbacks.EarlyStopping(monitor='val_accuracy', baseline=1.5, patience=2)
    history = _fit_or_skip(model, x, y, epochs=10, batch_size=8, validation_split=0.25,
                           verbose=0, callbacks=[stopper, callbacks.CSVLogger(path)])
    assert history.epoch == [0, 1] and stopper.stopped_epoch == 1
    assert list(history.history.keys()) == ['val_loss', 'val_acc', 'loss', 'acc']
    assert history.history['val_accuracy'] == history.history['val_acc']
    assert all(type(v) is float for v in history.history['loss'])
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    assert rows[0] == ['epoch', 'acc', 'loss', 'val_acc', 'val_loss']
    assert [float(v) for v in rows[2][1:]] == [
        history.history[k][1] for k in ('acc', 'loss', 'val_acc', 'val_loss')]


def test_fit_prints_keras_progress_lines(backend, capsys):
    model, x, y = _small_model()
    history = _fit_or_skip(model, x, y, epochs=2, batch_size=16, validation_split=0.25,
                           verbose=1)
    lines = [l for l in capsys.readouterr().out.split('\n') if l]
    bars = [l for l in lines if l.startswith('30/30 [')]
    assert 'Epoch 1/2' in lines and 'Epoch 2/2' in lines and len(bars) == 2
    for epoch, bar in enumerate(bars):
        shown = bar.split('] - ')[1].split(' - ')[1:]
        expected = ['%s: %.4f' % (k, history.history[k][epoch])
                    for k in ('loss', 'acc', 'val_loss', 'val_acc')]
        assert shown == expected


def test_fit_with_scheduler_checkpoint_and_terminate_on_nan(backend, tmp_path, monkeypatch,
                                                            capsys):
    from cornu import backend as K
    model, x, y = _small_model()
    saved = []
    monkeypatch.setattr(type(model), 'save_weights',
                        lambda self, filepath, overwrite=True: saved.append(filepath),
                        raising=False)
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2.)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / 'w{epoch:02d}-{loss:.3f}.h5'),
                                           monitor='loss', save_weights_only=True)
    history = _fit_or_skip(model, x, y, epochs=2, batch_size=20, verbose=0,
                           callbacks=[scheduler, checkpoint, callbacks.TerminateOnNaN()])
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.0025)
    assert [os.path.basename(p) for p in saved] == [
        'w%02d-%.3f.h5' % (e + 1, history.history['loss'][e]) for e in (0, 1)]
    assert history.history['lr'] == [pytest.approx(0.005), pytest.approx(0.0025)]
    assert capsys.readouterr().out == ''


class _SeesValidationData(callbacks.Callback):
    """Records `validation_data` at the end of each epoch."""

    def __init__(self):
        super(_SeesValidationData, self).__init__()
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(self.validation_data)


def test_callbacks_see_validation_inputs_targets_and_weights(backend):
    model, x, y = _small_model()
    val_x, val_y = x[:10], y[:10]
    by_fit, by_generator = _SeesValidationData(), _SeesValidationData()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, validation_data=(val_x, val_y),
              callbacks=[by_fit])

    def batches():
        while True:
            yield x[:8], y[:8]

    model.fit_generator(batches(), steps_per_epoch=2, epochs=1, verbose=0,
                        validation_data=(val_x, val_y), callbacks=[by_generator])
    for seen in (by_fit.seen[0], by_generator.seen[0]):
        # As in Keras 2: inputs, targets, then weights (ones when none were given); the
        # arrays given are handed on as they are.
        assert len(seen) == 3
        assert seen[0] is val_x and seen[1] is val_y
        np.testing.assert_array_equal(seen[2], np.ones(10))
    # Weights given are handed on; validation_split hands on the held-out part.
    weights = np.linspace(0., 1., 10)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[by_fit],
              validation_data=(val_x, val_y, weights))
    np.testing.assert_array_equal(by_fit.seen[-1][2], weights)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, validation_split=0.25,
              callbacks=[by_fit])
    held_out = by_fit.seen[-1]
    assert len(held_out) == 3
    np.testing.assert_array_equal(held_out[0], x[30:])
    np.testing.assert_array_equal(held_out[1], y[30:])
    np.testing.assert_array_equal(held_out[2], np.ones(10))
    # Without validation there is none.
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[by_fit])
    assert by_fit.seen[-1] is None


def test_validation_data_of_temporal_weights_and_learning_phase_models(backend):
    from cornu.layers import Dense, Dropout, TimeDistributed
    from cornu.models import Sequential
    model = Sequential([TimeDistributed(Dense(2), input_shape=(4, 3)), Dropout(0.5)])
    model.compile('sgd', 'mse', sample_weight_mode='temporal')
    x = np.random.rand(6, 4, 3).astype('float32')
    y = np.random.rand(6, 4, 2).astype('float32')
    seen = _SeesValidationData()
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[seen])
    data = seen.seen[0]
    # Per-timestep weights, and the test phase last: the model uses the learning phase.
    assert len(data) == 4
    np.testing.assert_array_equal(data[2], np.ones((6, 4)))
    assert data[3] == 0.
