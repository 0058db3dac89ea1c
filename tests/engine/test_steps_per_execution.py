"""`compile(..., steps_per_execution=N)`: several training steps in one engine call.

On JAX the full batches of an epoch go in groups of N through one `lax.scan` of the compiled
step (`TracedStep.run_steps`), which carries the state, random key and step counter as N
calls would: the numbers must be those of one call per batch. On PyTorch each step is its own
call whatever N; the same number checks run there. A callback acting between batches gets
the batches one by one.
"""
import numpy as np
import pytest

from cornu import backend as K
from cornu import optimizers
from cornu.callbacks import Callback, LambdaCallback
from cornu.layers import BatchNormalization, Dense, Dropout
from cornu.models import Sequential

on_jax = K.backend() == 'jax'


def _model(steps_per_execution, seed=0):
    np.random.seed(seed)
    model = Sequential([Dense(16, activation='relu', input_shape=(8,)),
                        BatchNormalization(), Dropout(0.3),
                        Dense(4, activation='softmax')])
    model.compile(optimizers.Adam(lr=0.01), 'categorical_crossentropy', metrics=['accuracy'],
                  steps_per_execution=steps_per_execution)
    return model


def _data(samples=300, seed=1):
    rng = np.random.RandomState(seed)
    x = rng.rand(samples, 8).astype('float32')
    y = np.eye(4, dtype='float32')[rng.randint(0, 4, samples)]
    weights = rng.rand(samples).astype('float32')
    return x, y, weights


def _grouped_calls(model):
    """How many grouped step functions the JAX training step compiled (0 on torch)."""
    step = model._trainer._train_step
    return sum(1 for key in getattr(step, '_compiled', {}) if isinstance(key, tuple))


def _fit(model, callbacks=None, epochs=3):
    x, y, weights = _data()
    K.set_random_seed(7)  # the epochs' shuffles and the dropout draws
    return model.fit(x, y, sample_weight=weights, batch_size=16, epochs=epochs, verbose=0,
                     validation_split=0.1, callbacks=callbacks)


def test_grouped_steps_give_the_numbers_of_one_call_per_batch():
    single, grouped = _model(1), _model(4)
    single_history = _fit(single).history
    grouped_history = _fit(grouped).history
    # 270 training rows: 16 full batches of 16 (4 groups of 4) and a batch of 14, per epoch;
    # dropout, BatchNormalization's moving statistics and Adam's state all carried.
    assert set(grouped_history) == set(single_history)
    for key in single_history:
        np.testing.assert_allclose(grouped_history[key], single_history[key], rtol=1e-5,
                                   atol=1e-6, err_msg=key)
    for a, b in zip(single.get_weights(), grouped.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert grouped.optimizer.get_weights()[0] == single.optimizer.get_weights()[0] == 3 * 17
    assert _grouped_calls(grouped) == (1 if on_jax else 0)
    assert _grouped_calls(single) == 0


def test_batch_hooks_of_loggers_see_each_batch_of_a_group():
    seen = []

    class Recorder(Callback):
        # Reads the logs only, but is not one of Keras' loggers: batches one by one.
        def on_batch_end(self, batch, logs=None):
            seen.append((batch, logs['size'], logs['loss']))

    reference = _model(1)
    _fit(reference, callbacks=[Recorder()], epochs=1)
    expected, seen[:] = list(seen), []
    grouped = _model(4)
    history = _fit(grouped, epochs=1)
    # Not grouped with the recording callback; grouped without it, and its logs then reach
    # BaseLogger batch by batch: the epoch's loss is their weighted mean.
    assert _grouped_calls(grouped) == (1 if on_jax else 0)
    losses = np.array([loss for _, _, loss in expected])
    sizes = np.array([size for _, size, _ in expected])
    assert [batch for batch, _, _ in expected] == list(range(17))
    np.testing.assert_allclose(history.history['loss'][0],
                               np.sum(losses * sizes) / np.sum(sizes), rtol=1e-5)


def test_a_callback_acting_between_batches_gets_them_one_by_one():
    kernels_seen = []
    model = _model(4)
    stopper = LambdaCallback(on_batch_end=lambda batch, logs: (
        kernels_seen.append(model.layers[0].get_weights()[0].copy()),
        setattr(model, 'stop_training', batch == 9)))
    _fit(model, callbacks=[stopper])
    # Training stopped after batch 9 of the first epoch, every batch seen between steps.
    assert len(kernels_seen) == 10
    assert all(not np.array_equal(a, b) for a, b in zip(kernels_seen, kernels_seen[1:]))
    assert _grouped_calls(model) == 0


def test_progress_bar_shows_the_grouped_batches(capsys):
    model = _model(4)
    x, y, _ = _data(256)
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert '256/256' in out
    assert 'loss: %.4f' % history.history['loss'][0] in out


@pytest.mark.parametrize('value, error', [(0, ValueError), (-2, ValueError),
                                          (2.5, TypeError), ('4', TypeError),
                                          (True, TypeError)])
def test_steps_per_execution_must_be_a_positive_integer(value, error):
    model = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(error, match='steps_per_execution.*' + repr(value).replace('.', r'\.')
                       if error is TypeError else 'steps_per_execution.*' + str(value)):
        model.compile('sgd', 'mse', steps_per_execution=value)
