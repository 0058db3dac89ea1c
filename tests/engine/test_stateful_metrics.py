"""Stateful metric layers (`stateful = True`): reset per epoch and per evaluation, reported
by their last batch's value rather than averaged over batches."""
import numpy as np

from cornu import backend as K
from cornu.layers import Dense, Input, Layer
from cornu.models import Model


class RunningCount(Layer):
    """Counts the samples seen since the last reset (a stateful metric)."""

    def __init__(self, name='seen', **kwargs):
        super(RunningCount, self).__init__(name=name, **kwargs)
        self.stateful = True
        self.count = K.variable(value=0, dtype='int32')

    def reset_states(self):
        K.set_value(self.count, 0)

    def __call__(self, y_true, y_pred):
        batch = K.cast(K.sum(K.cast(K.greater_equal(y_true, -1.), 'int32')), 'int32')
        before = self.count * 1
        self.add_update(K.update_add(self.count, batch), inputs=[y_true, y_pred])
        return before + batch


class RunningTruePositives(Layer):
    """Counts predictions rounded to 1 where the target is 1, since the last reset."""

    def __init__(self, name='true_positives', **kwargs):
        super(RunningTruePositives, self).__init__(name=name, **kwargs)
        self.stateful = True
        self.hits = K.variable(value=0, dtype='int32')

    def reset_states(self):
        K.set_value(self.hits, 0)

    def __call__(self, y_true, y_pred):
        y_true = K.cast(y_true, 'int32')
        hits = K.cast(K.sum(K.cast(K.round(y_pred), 'int32') * y_true), 'int32')
        before = self.hits * 1
        self.add_update(K.update_add(self.hits, hits), inputs=[y_true, y_pred])
        return before + hits


def _model(*metrics):
    inputs = Input(shape=(3,))
    model = Model(inputs, Dense(1, activation='sigmoid', name='out')(inputs))
    model.compile(optimizer='sgd', loss='binary_crossentropy', metrics=['acc'] + list(metrics))
    return model


def _data(n, seed):
    rng = np.random.RandomState(seed)
    return rng.rand(n, 3).astype('float32'), rng.randint(2, size=(n, 1)).astype('float32')


def test_compiled_model_lists_its_stateful_metrics():
    seen = RunningCount()
    model = _model(seen)
    assert model.metrics_names == ['loss', 'acc', 'seen']
    assert model.stateful_metric_names == ['seen']
    assert model.stateful_metric_functions == [seen]
    plain = _model()
    assert plain.stateful_metric_names == [] and plain.stateful_metric_functions == []


def test_evaluate_reports_the_count_over_all_batches_and_starts_from_zero():
    seen, hits = RunningCount(), RunningTruePositives()
    model = _model(seen, hits)
    x, y = _data(40, 0)
    # Batches of 16, 16 and 8: an average over batches would give (16*16 + 32*16 + 40*8) / 40.
    for _ in range(2):  # the state is reset when an evaluation begins
        loss, acc, count, true_positives = model.evaluate(x, y, batch_size=16, verbose=0)
        assert count == 40
        predictions = model.predict(x)
        assert true_positives == np.sum((np.round(predictions) == 1) & (y == 1))
    assert int(K.get_value(seen.count)) == 40


def test_fit_resets_per_epoch_and_logs_the_last_value():
    seen = RunningCount()
    model = _model(seen)
    x, y = _data(40, 1)
    val_x, val_y = _data(10, 2)
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0,
                        validation_data=(val_x, val_y))
    assert history.history['seen'] == [40, 40, 40]
    assert history.history['val_seen'] == [10., 10., 10.]


def test_generator_loops_reset_and_report_the_last_value():
    seen = RunningCount()
    model = _model(seen)
    x, y = _data(40, 3)

    def batches():
        while True:
            for start in range(0, 40, 8):
                yield x[start:start + 8], y[start:start + 8]

    history = model.fit_generator(batches(), steps_per_epoch=5, epochs=2, verbose=0,
                                  validation_data=batches(), validation_steps=3)
    assert history.history['seen'] == [40, 40]
    assert history.history['val_seen'] == [24., 24.]
    outs = model.evaluate_generator(batches(), steps=5)
    assert outs[model.metrics_names.index('seen')] == 40


def test_progress_bar_shows_the_last_value(capsys):
    model = _model(RunningCount())
    x, y = _data(40, 4)
    model.fit(x, y, batch_size=16, epochs=1, verbose=1)
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert 'seen: 40.0000' in last_line, last_line
