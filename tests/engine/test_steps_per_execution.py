"""`compile(..., steps_per_execution=N)`: several training steps in one engine call.

On JAX the batches of an epoch go in groups of up to N through one compiled loop of the step
(`TracedStep.run_steps`), which carries the state, random key and step counter as N calls
would: the numbers must be those of one call per batch. `'auto'`, the default, groups a small
model's steps only. On PyTorch each step is its own call whatever N; the same number checks
run there. A callback acting between batches gets the batches one by one.
"""
import numpy as np
import pytest

from cornu import backend as K
from cornu import optimizers
from cornu.callbacks import Callback, LambdaCallback
from cornu.layers import BatchNormalization, Dense, Dropout
from cornu.models import Sequential

on_jax = K.backend() == 'jax'


def _model(steps_per_execution='auto', seed=0):
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


def _compiled_shapes(model):
    """How many input signatures the JAX training step compiled, grouped or one call per
    batch (0 on torch): each is one XLA compile."""
    step = model._trainer._train_step
    grouped = sum(function._cache_size() for key, function in
                  getattr(step, '_compiled', {}).items() if isinstance(key, tuple))
    single = sum(plan.compiled._cache_size() for plan in getattr(step, '_plans', {}).values()
                 if plan.compiled is not None)
    return grouped + single


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


def _small_model(steps_per_execution='auto', seed=0):
    # No BatchNormalization: an epoch's last, short batch may be padded, and joins a group.
    np.random.seed(seed)
    model = Sequential([Dense(16, activation='relu', input_shape=(8,)), Dropout(0.25),
                        Dense(4, activation='softmax')])
    model.compile(optimizers.SGD(lr=0.05, momentum=0.9), 'categorical_crossentropy',
                  metrics=['accuracy'], steps_per_execution=steps_per_execution)
    return model


def test_auto_groups_a_small_model_and_gives_the_numbers_of_one_call_per_batch():
    single, grouped = _small_model(1), _small_model()
    single_history = _fit(single).history
    grouped_history = _fit(grouped).history
    for key in single_history:
        np.testing.assert_allclose(grouped_history[key], single_history[key], rtol=1e-5,
                                   atol=1e-6, err_msg=key)
    for a, b in zip(single.get_weights() + single.optimizer.get_weights(),
                    grouped.get_weights() + grouped.optimizer.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    if on_jax:
        # 270 rows in batches of 16: 16 full batches and one of 14, all in one group each
        # epoch; the validation rows go through the test step. The grouped loop is the only
        # training step compiled, once.
        assert grouped._trainer._group_sizes == {16: 64}
        assert _grouped_calls(grouped) == 1
        assert _compiled_shapes(grouped) == 1


def test_one_compiled_loop_serves_every_group_length():
    model = _small_model(4)
    x, y, _ = _data(300)
    K.set_random_seed(3)
    # 5, 7 and 2 batches of 16 (the 7th of 12 rows, padded): groups of 4 and 1, of 4 and 3,
    # of 2 — every length through the one loop.
    for rows in (80, 108, 32):
        model.fit(x[:rows], y[:rows], batch_size=16, epochs=1, verbose=0, shuffle=False)
    assert _compiled_shapes(model) == (1 if on_jax else 0)
    reference = _small_model(1)
    K.set_random_seed(3)
    for rows in (80, 108, 32):
        reference.fit(x[:rows], y[:rows], batch_size=16, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(reference.get_weights(), model.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_auto_leaves_a_large_step_ungrouped():
    np.random.seed(0)
    model = Sequential([Dense(512, activation='relu', input_shape=(256,)),
                        Dense(512, activation='relu'), Dense(4, activation='softmax')])
    model.compile('rmsprop', 'categorical_crossentropy')
    rng = np.random.RandomState(0)
    x = rng.rand(512, 256).astype('float32')
    y = np.eye(4, dtype='float32')[rng.randint(0, 4, 512)]
    model.fit(x, y, batch_size=128, epochs=1, verbose=0)
    # About 6 x 128 x (256 x 512 + 512 x 512 + 512 x 4) = 303 million operations a step:
    # one call per batch.
    assert _grouped_calls(model) == 0
    if on_jax:
        assert model._trainer._group_sizes == {128: 1}


@pytest.mark.skipif(not on_jax, reason="the jax engine's estimate of a step's work")
def test_work_of_a_step_counts_its_products():
    import jax
    import jax.numpy as jnp
    from cornu.backend.jax import step_groups

    def step(a, b, image, kernel):
        return jnp.tanh(a @ b), jax.lax.conv_general_dilated(image, kernel, (1, 1), 'VALID')

    jaxpr = jax.make_jaxpr(step)(np.zeros((8, 32), 'float32'), np.zeros((32, 16), 'float32'),
                                 np.zeros((2, 3, 10, 10), 'float32'),
                                 np.zeros((5, 3, 3, 3), 'float32')).jaxpr
    product = 2 * 8 * 16 * 32 + 8 * 16          # the product, then tanh on its output
    convolution = 2 * (2 * 5 * 8 * 8) * (3 * 3 * 3)
    assert step_groups.work(jaxpr) == product + convolution

    def loop(carry, x):
        return carry @ x, None

    scanned = jax.make_jaxpr(lambda c, xs: jax.lax.scan(loop, c, xs))(
        np.zeros((4, 4), 'float32'), np.zeros((6, 4, 4), 'float32')).jaxpr
    # The body's product six times, and the loop's result once.
    assert step_groups.work(scanned) == 6 * 2 * 4 * 4 * 4 + 4 * 4


@pytest.mark.parametrize('value, error', [(0, ValueError), (-2, ValueError),
                                          (2.5, TypeError), ('4', TypeError),
                                          ('fast', TypeError), (True, TypeError)])
def test_steps_per_execution_must_be_a_positive_integer(value, error):
    model = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(error, match='steps_per_execution.*' + repr(value).replace('.', r'\.')
                       if error is TypeError else 'steps_per_execution.*' + str(value)):
        model.compile('sgd', 'mse', steps_per_execution=value)
