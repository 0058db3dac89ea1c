"""The JAX engine's compiled steps: each is traced once per input signature (the last,
smaller batch once), hyperparameter changes need no new trace, and random streams follow
NumPy's seed. A Python function in a Lambda layer runs only while a step is traced, so the
calls it records count the traces."""
import numpy as np
import pytest

from cornu import backend as K
from cornu.layers import BatchNormalization, Dense, Dropout, Lambda
from cornu.models import Sequential

pytestmark = pytest.mark.skipif(K.backend() != 'jax', reason='jitted steps of the jax engine')


def _traced_model(traces):
    def spy(x):
        traces.append(K.int_shape(x)[0])
        return x

    model = Sequential([Dense(4, input_shape=(3,)), Lambda(spy), Dropout(0.5),
                        BatchNormalization(), Dense(1)])
    model.compile('adam', 'mse')
    del traces[:]  # building the model probes the layers: not a step
    return model


def _data(samples=100):
    rng = np.random.RandomState(0)
    return rng.rand(samples, 3).astype('float32'), rng.rand(samples, 1).astype('float32')


def test_each_step_is_traced_once_per_batch_size():
    traces = []
    model = _traced_model(traces)
    x, y = _data()
    model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    # 32-sample batches and the last batch of 4: one trace each, for all three epochs.
    assert sorted(traces) == [4, 32]
    K.set_value(model.optimizer.lr, 0.1)
    moving_mean = model.layers[3].moving_mean
    before = K.get_value(moving_mean)
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert sorted(traces) == [4, 32]
    assert not np.allclose(K.get_value(moving_mean), before)
    for _ in range(2):
        model.evaluate(x, y, batch_size=32, verbose=0)
    assert sorted(traces) == [4, 4, 32, 32]
    for _ in range(2):
        model.predict(x, batch_size=32)
    assert sorted(traces) == [4, 4, 4, 32, 32, 32]


def test_the_learning_rate_set_between_epochs_is_used():
    x, y = _data()
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile('sgd', 'mse')
    model.fit(x, y, batch_size=50, epochs=1, verbose=0)
    K.set_value(model.optimizer.lr, 0.)
    frozen = model.get_weights()
    model.fit(x, y, batch_size=50, epochs=2, verbose=0)
    for before, after in zip(frozen, model.get_weights()):
        np.testing.assert_array_equal(before, after)


def _train_with_dropout(seed):
    K.clear_session()
    np.random.seed(seed)
    x, y = _data()
    model = Sequential([Dense(8, input_shape=(3,)), Dropout(0.5), Dense(1)])
    model.compile('sgd', 'mse')
    model.fit(x, y, batch_size=20, epochs=2, verbose=0)
    return model.get_weights()


def test_training_with_dropout_is_reproducible_under_a_seed():
    first, again, other = (_train_with_dropout(1), _train_with_dropout(1),
                           _train_with_dropout(2))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not all(np.allclose(a, b) for a, b in zip(first, other))


def test_dropout_masks_differ_between_steps():
    x = np.ones((1, 64), dtype='float32')
    model = Sequential([Dropout(0.5, input_shape=(64,))])
    model.compile('sgd', 'mse')
    seen = []
    for _ in range(3):
        # train_on_batch returns the loss of the dropped-out output against zeros.
        seen.append(float(model.train_on_batch(x, np.zeros_like(x))))
    assert len(set(seen)) > 1
