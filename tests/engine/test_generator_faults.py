"""A generator or `Sequence` that yields only `None` is refused after a bounded number of
batches however it is read (never a hang), with the error the loops give without workers;
data worker processes start safely on each engine (never forked from JAX's threads)."""
import itertools
import warnings

import numpy as np
import pytest

from cornu.backend import kernels
from cornu._common import enqueuers
from cornu._common.enqueuers import GeneratorEnqueuer, MAX_SKIPPED_BATCHES
from cornu.layers import Dense
from cornu.models import Sequential
from cornu.utils import Sequence


def _model(value):
    model = Sequential([Dense(3, input_shape=(2,))])
    model.set_weights([np.full((2, 3), value, 'float32'), np.zeros(3, 'float32')])
    model.compile('sgd', 'mse')
    return model


# ---------------------------------------------------------------- batches that are None

class _NoneSequence(Sequence):
    def __len__(self):
        return 4

    def __getitem__(self, index):
        return None


def _none_source(kind):
    return _NoneSequence() if kind == 'Sequence' else itertools.repeat(None)


def _call(model, method, source, workers, use_multiprocessing):
    options = dict(workers=workers, use_multiprocessing=use_multiprocessing)
    if method == 'fit_generator':
        return model.fit_generator(source, steps_per_epoch=3, epochs=2, verbose=0, **options)
    if method == 'evaluate_generator':
        return model.evaluate_generator(source, steps=3, **options)
    return model.predict_generator(source, steps=3, **options)


@pytest.mark.timeout(300)
@pytest.mark.parametrize('method', ['fit_generator', 'evaluate_generator',
                                    'predict_generator'])
@pytest.mark.parametrize('kind', ['generator', 'Sequence'])
@pytest.mark.parametrize('workers,use_multiprocessing', [(0, False), (1, False), (2, False),
                                                          (2, True)])
def test_a_source_of_none_batches_is_refused_not_waited_on(method, kind, workers,
                                                          use_multiprocessing):
    if kind == 'Sequence' and use_multiprocessing and method != 'fit_generator' and \
            not kernels.WORKERS_MAY_FORK:
        # Each costs a start of new worker processes (seconds): fit's case covers them.
        return
    model = _model(1.)
    before = model.get_weights()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the warning about generators and processes
        with pytest.raises(ValueError) as error:
            _call(model, method, _none_source(kind), workers, use_multiprocessing)
    message = str(error.value)
    assert 'Output of generator should be a tuple `(x, y, sample_weight)` or `(x, y)`' in \
        message and 'Found: None' in message
    if workers:
        repeats = min(MAX_SKIPPED_BATCHES, 4) if kind == 'Sequence' else MAX_SKIPPED_BATCHES
        assert str(repeats) + ' times in a row' in message
    for got, expected in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.timeout(120)
def test_none_batches_now_and_then_are_still_skipped():
    def sometimes_none():
        rng = np.random.RandomState(0)
        for step in itertools.count():
            if step % 3 == 0:
                yield None
            else:
                yield rng.rand(4, 2).astype('float32'), rng.rand(4, 3).astype('float32')
    model = _model(1.)
    history = model.fit_generator(sometimes_none(), steps_per_epoch=5, epochs=1, verbose=0,
                                  workers=1)
    assert np.isfinite(history.history['loss'][0])


# ---------------------------------------------------------------- worker processes

class _ArraySequence(Sequence):
    """Batches of fixed arrays; picklable (defined at module level)."""

    def __init__(self, x, y, batch_size):
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return len(self.x) // self.batch_size

    def __getitem__(self, index):
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[rows], self.y[rows]


class _UnpicklableSequence(_ArraySequence):
    def __init__(self, x, y, batch_size):
        super(_UnpicklableSequence, self).__init__(x, y, batch_size)
        self.transform = lambda batch: batch


def _trained_weights(sequence, **options):
    model = _model(0.5)
    model.fit_generator(sequence, epochs=2, verbose=0, shuffle=False, **options)
    return model.get_weights()


@pytest.mark.timeout(300)
def test_a_sequence_read_by_processes_trains_as_without_workers_and_forks_only_safely():
    rng = np.random.RandomState(0)
    sequence = _ArraySequence(rng.rand(16, 2).astype('float32'),
                              rng.rand(16, 3).astype('float32'), 4)
    expected = _trained_weights(sequence, workers=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        got = _trained_weights(sequence, workers=2, use_multiprocessing=True)
    forks = [str(w.message) for w in caught if 'fork' in str(w.message)]
    if not kernels.WORKERS_MAY_FORK:
        assert not forks, forks  # JAX's warning about a fork after its threads started
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    context, not_forked = enqueuers._worker_processes()
    if kernels.WORKERS_MAY_FORK:
        assert context.get_start_method() == 'fork' and not_forked is None
    else:
        assert context.get_start_method() == 'spawn' and 'deadlock' in not_forked


def test_where_workers_are_not_forked_generators_and_unpicklable_sequences_use_threads(
        monkeypatch):
    monkeypatch.setattr(kernels, 'WORKERS_MAY_FORK', False)
    with pytest.warns(UserWarning, match='generator.*not forked|started by fork.*deadlock'):
        enqueuer = GeneratorEnqueuer(iter([]), use_multiprocessing=True)
    assert not enqueuer._use_multiprocessing

    rng = np.random.RandomState(1)
    sequence = _UnpicklableSequence(rng.rand(8, 2).astype('float32'),
                                    rng.rand(8, 3).astype('float32'), 4)
    expected = _trained_weights(sequence, workers=0)
    with pytest.warns(UserWarning, match='cannot be pickled'):
        got = _trained_weights(sequence, workers=2, use_multiprocessing=True)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
