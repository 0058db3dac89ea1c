"""Batches fed per step and short batches padded (the JAX engine's `steps.feed`).

On JAX a step is compiled once per batch shape: the length of the data is no part of it, and a
short last batch is padded to a power of two, so that at most `log2(batch_size) + 1` shapes are
compiled per step, whatever the lengths. Padding is used only where it changes no number: the
padded results are checked against the same model run on exact batches (padding switched off)
and against NumPy. The torch engine never pads; the numbers tests run there too.
"""
import numpy as np
import pytest

from cornu import backend as K
from cornu import losses
from cornu.engine.compile_utils import weighted_masked_objective
from cornu.layers import (BatchNormalization, Dense, Input, Lambda, Masking, SimpleRNN,
                          TimeDistributed)
from cornu.models import Model, Sequential
from cornu import optimizers

jax_only = pytest.mark.skipif(K.backend() != 'jax', reason='compiled steps of the jax engine')


def _mlp(seed=0, steps_per_execution='auto'):
    np.random.seed(seed)
    model = Sequential([Dense(16, activation='relu', input_shape=(8,)),
                        Dense(4, activation='softmax')])
    model.compile(optimizers.SGD(lr=0.1), 'categorical_crossentropy', metrics=['accuracy'],
                  steps_per_execution=steps_per_execution)
    return model


def _data(samples, seed=1):
    rng = np.random.RandomState(seed)
    x = rng.rand(samples, 8).astype('float32')
    y = np.eye(4, dtype='float32')[rng.randint(0, 4, samples)]
    return x, y


def _exact(model):
    """The model's batches run at their exact sizes from now on (no padding)."""
    model._trainer._pads.update(train=False, test=False, predict=False)
    return model


def _traces(step):
    return 0 if step is None else step.traces


# ------------------------------------------------------------------ compile counts (JAX)

@jax_only
def test_fit_on_new_lengths_compiles_only_the_tail_buckets():
    model = _mlp(steps_per_execution=1)  # one call per batch
    x, y = _data(2000)
    for samples in (2000, 1990, 1980):
        model.fit(x[:samples], y[:samples], batch_size=32, epochs=1, verbose=0)
    # Batches of 32, and tails of 16 (2000 rows), 6 padded to 8 (1990) and 28 padded to 32
    # (1980): three shapes.
    assert _traces(model._trainer._train_step) == 3
    model.fit(x[:1970], y[:1970], batch_size=32, epochs=2, verbose=0)  # tail 18 -> 32
    assert _traces(model._trainer._train_step) == 3


@jax_only
def test_grouped_fit_on_new_lengths_compiles_nothing_new():
    model = _mlp()
    x, y = _data(2000)
    for samples in (2000, 1990, 1980, 1970):
        model.fit(x[:samples], y[:samples], batch_size=32, epochs=1, verbose=0)
    # The steps of this small model run in groups (`steps_per_execution='auto'`), each
    # tail padded to 32 rows inside its group: one trace of the step, one grouped loop.
    step = model._trainer._train_step
    assert _traces(step) == 1
    assert not step._plans
    assert sum(1 for key in step._compiled if isinstance(key, tuple)) == 1


@jax_only
def test_predict_and_evaluate_on_1_to_40_rows_compile_at_most_6_shapes():
    model = _mlp()
    x, y = _data(40)
    for samples in range(1, 41):
        model.predict(x[:samples], batch_size=32)
        model.evaluate(x[:samples], y[:samples], batch_size=32, verbose=0)
    limit = int(np.log2(32)) + 1
    assert _traces(model._trainer._predict_step) <= limit
    assert _traces(model._trainer._test_step) <= limit
    for samples in range(1, 41):
        model.predict_on_batch(x[:samples])
    # Any length up to 64 rows: powers of two, 64 the only new one.
    assert _traces(model._trainer._predict_step) <= limit + 1


@jax_only
def test_single_sample_prediction_reuses_its_compile():
    model = _mlp()
    x, _ = _data(3)
    model.predict(x[:1])
    traced = _traces(model._trainer._predict_step)
    for _ in range(3):
        model.predict(x[:1])
        model.predict_on_batch(x[1:2])
    assert _traces(model._trainer._predict_step) == traced


@jax_only
def test_one_batch_predict_pads_no_further_than_the_batch_size():
    """`predict` on one batch runs as `predict_on_batch` does, but padded as the loop pads:
    20 rows with `batch_size=20` stay 20 (not 32), the shape of the loop's full batches."""
    model = _mlp()
    x, _ = _data(40)
    one = model.predict(x[:20], batch_size=20)
    assert _traces(model._trainer._predict_step) == 1
    both = model.predict(x, batch_size=20)
    assert _traces(model._trainer._predict_step) == 1
    np.testing.assert_allclose(both[:20], one, rtol=1e-6, atol=1e-7)


@jax_only
def test_the_exact_fallback_compiles_each_remainder():
    """A model that cannot be padded (BatchNormalization in training) runs each short batch at
    its size; its test and predict steps are still padded."""
    np.random.seed(0)
    model = Sequential([Dense(8, input_shape=(8,)), BatchNormalization(), Dense(1)])
    model.compile('sgd', 'mse')
    x, y = _data(100)
    y = y[:, :1]
    for samples in (100, 99, 98, 97):
        model.fit(x[:samples], y[:samples], batch_size=32, epochs=1, verbose=0)
    assert _traces(model._trainer._train_step) == 5  # 32 rows, and tails of 4, 3, 2 and 1
    for samples in (100, 99, 98, 97):
        model.evaluate(x[:samples], y[:samples], batch_size=32, verbose=0)
    assert _traces(model._trainer._test_step) == 4  # 32, 4 (tails of 4 and 3), 2 and 1


# ------------------------------------------------------------------ when padding is used

def test_padding_is_used_only_where_exact():
    model = _mlp()
    trainer = model._trainer
    assert trainer._padding('train') and trainer._padding('test') and \
        trainer._padding('predict')

    normalized = Sequential([Dense(4, input_shape=(8,)), BatchNormalization(), Dense(1)])
    normalized.compile('sgd', 'mse')
    assert not normalized._trainer._padding('train')
    assert normalized._trainer._padding('test') and normalized._trainer._padding('predict')

    inputs = Input((8,))
    forced = Model(inputs, BatchNormalization()(inputs, training=True))
    forced.compile('sgd', 'mse')
    assert not forced._trainer._padding('predict')  # batch statistics in predict too

    def summed_loss(y_true, y_pred):  # reduces over the batch: the padding would count
        return K.sum(K.square(y_true - y_pred))
    custom = Sequential([Dense(1, input_shape=(8,))])
    custom.compile('sgd', summed_loss)
    assert not custom._trainer._padding('train') and not custom._trainer._padding('test')
    assert custom._trainer._padding('predict')  # only the layers matter for predictions

    lambdas = Sequential([Dense(2, input_shape=(8,)), Lambda(lambda t: t - K.mean(t, axis=0))])
    lambdas.compile('sgd', 'mse')
    assert not any(lambdas._trainer._padding(p) for p in ('train', 'test', 'predict'))

    regularized = Sequential([Dense(2, input_shape=(8,), activity_regularizer='l2')])
    regularized.compile('sgd', 'mse')
    assert not regularized._trainer._padding('train')

    class Custom(Dense):  # defined outside the package: not trusted with it
        pass
    subclassed = Sequential([Custom(2, input_shape=(8,))])
    subclassed.compile('sgd', 'mse')
    assert not subclassed._trainer._padding('predict')


# ------------------------------------------------------------------ padded numbers = exact

def _fit_pair(build, x, y, **fit_args):
    """Weights, history and evaluation of the same model fitted padded and exact."""
    results = []
    for exact in (False, True):
        model = build()
        if exact:
            _exact(model)
        history = model.fit(x, y, epochs=2, shuffle=False, verbose=0, **fit_args)
        evaluated = model.evaluate(x, y, batch_size=fit_args.get('batch_size'), verbose=0,
                                   sample_weight=fit_args.get('sample_weight'))
        results.append((model.get_weights(), history.history, evaluated,
                        model.predict(x, batch_size=fit_args.get('batch_size'))))
    return results


def _assert_same(padded, exact):
    (w1, h1, e1, p1), (w2, h2, e2, p2) = padded, exact
    for a, b in zip(w1, w2):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert sorted(h1) == sorted(h2)
    for key in h1:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(e1, e2, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(p1, p2, rtol=1e-4, atol=1e-6)


def test_a_ragged_tail_with_sample_and_class_weights_trains_as_unpadded():
    x, y = _data(45)
    weights = np.random.RandomState(2).rand(45).astype('float32')
    weights[[3, 40, 41]] = 0.
    padded, exact = _fit_pair(_mlp, x, y, batch_size=16, sample_weight=weights,
                              class_weight={0: 1., 1: 2., 2: 0.5, 3: 1.})
    _assert_same(padded, exact)


def test_unweighted_evaluation_matches_numpy():
    model = _mlp()
    x, y = _data(21)
    loss, accuracy = model.evaluate(x, y, batch_size=8, verbose=0)
    probabilities = model.predict(x, batch_size=8)
    per_sample = -np.sum(y * np.log(np.clip(probabilities, 1e-7, 1 - 1e-7)), axis=1)
    hits = (np.argmax(probabilities, 1) == np.argmax(y, 1)).astype('float64')
    # Batches of 8, 8 and 5 rows, averaged weighted by their sizes: the mean over samples.
    np.testing.assert_allclose(loss, per_sample.mean(), rtol=1e-4)
    np.testing.assert_allclose(accuracy, hits.mean(), rtol=1e-6)


def _sequence_data(samples, steps=5, seed=3):
    rng = np.random.RandomState(seed)
    x = rng.rand(samples, steps, 3).astype('float32')
    lengths = rng.randint(1, steps + 1, samples)
    for row, length in enumerate(lengths):
        x[row, length:] = 0.  # masked by Masking
    y = rng.rand(samples, steps, 2).astype('float32')
    return x, y


def test_a_temporal_sample_weight_mode_trains_as_unpadded():
    x, y = _sequence_data(27)
    weights = np.random.RandomState(4).rand(27, 5).astype('float32')
    weights[:, 4] = 0.

    def build():
        np.random.seed(5)
        model = Sequential([TimeDistributed(Dense(2), input_shape=(5, 3))])
        model.compile(optimizers.SGD(lr=0.1), 'mse', sample_weight_mode='temporal',
                      weighted_metrics=['mae'])
        return model
    padded, exact = _fit_pair(build, x, y, batch_size=8, sample_weight=weights)
    _assert_same(padded, exact)
    assert build()._trainer._padding('train')


def test_a_masked_sequence_model_trains_as_unpadded():
    x, y = _sequence_data(27)

    def build():
        np.random.seed(6)
        inputs = Input((5, 3))
        hidden = SimpleRNN(4, return_sequences=True)(Masking()(inputs))
        model = Model(inputs, TimeDistributed(Dense(2))(hidden))
        model.compile(optimizers.SGD(lr=0.1), 'mse', metrics=['mae'])
        return model
    assert build()._trainer._padding('train')
    padded, exact = _fit_pair(build, x, y, batch_size=8)
    _assert_same(padded, exact)


def test_the_fallbacks_give_the_same_numbers():
    x, y = _data(37)

    def build():
        np.random.seed(7)
        model = Sequential([Dense(8, input_shape=(8,)), BatchNormalization(),
                            Dense(4, activation='softmax')])
        model.compile(optimizers.SGD(lr=0.1), 'categorical_crossentropy', metrics=['acc'])
        return model
    padded, exact = _fit_pair(build, x, y, batch_size=16)
    _assert_same(padded, exact)


# ------------------------------------------------------------------ the masked means

def test_the_objective_over_real_rows_matches_numpy():
    """`weighted_masked_objective` with `rows`: Keras 2's formula on the real rows alone,
    whatever the padding rows hold (here a NaN)."""
    rng = np.random.RandomState(8)
    y_true = rng.rand(6, 4, 3).astype('float32')
    y_pred = rng.rand(6, 4, 3).astype('float32')
    y_pred[5] = np.nan
    mask = (rng.rand(6, 4) > 0.3).astype('float32')
    weights = rng.rand(6).astype('float32')
    weights[1] = 0.
    rows = np.array([1, 1, 1, 1, 0, 0], dtype='float32')

    def keras2(t, p, w, m):
        score = np.mean(np.square(t - p), axis=-1) * m / np.mean(m)
        score = np.mean(score, axis=1) * w / np.mean(w != 0)
        return np.mean(score)

    objective = weighted_masked_objective(losses.mean_squared_error)
    value = objective(K.constant(y_true), K.constant(y_pred), K.constant(weights),
                      K.constant(mask), K.constant(rows))
    np.testing.assert_allclose(K.get_value(value),
                               keras2(y_true[:4], y_pred[:4], weights[:4], mask[:4]),
                               rtol=1e-5)
    unweighted = objective(K.constant(y_true), K.constant(y_pred), None, None,
                           K.constant(rows))
    np.testing.assert_allclose(K.get_value(unweighted),
                               np.mean(np.square(y_true[:4] - y_pred[:4])), rtol=1e-5)


@jax_only
def test_batches_given_whole_are_padded_up_to_the_largest_so_far():
    """`train_on_batch` (and the generator loops) on batches of one size run them unpadded
    (padding 100 rows to 128 would cost a quarter more work); a smaller one is padded."""
    model = _mlp()
    x, y = _data(100)
    traces = []
    for samples in (100, 100, 37, 40, 100):
        model.train_on_batch(x[:samples], y[:samples])
        traces.append(_traces(model._trainer._train_step))
    assert traces == [1, 1, 2, 2, 2]  # 100, then 37 and 40 both padded to 64
    exact = _exact(_mlp())
    for samples in (100, 100, 37, 40, 100):
        exact.train_on_batch(x[:samples], y[:samples])
    for a, b in zip(model.get_weights(), exact.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_a_layer_added_after_predicting_decides_the_padding_again():
    """A Sequential predicted once (padded batches) and then given a layer that mixes rows
    predicts its short batches at their exact size: each row minus the batch's mean."""
    model = Sequential([Dense(4, input_shape=(8,))])
    x, _ = _data(3)
    model.predict(x, batch_size=32)
    model.add(Lambda(lambda t: t - K.mean(t, axis=0, keepdims=True)))
    kernel, bias = model.layers[0].get_weights()
    dense = x.dot(kernel) + bias
    np.testing.assert_allclose(model.predict(x, batch_size=32),
                               dense - dense.mean(axis=0, keepdims=True), rtol=1e-5, atol=1e-6)



@jax_only
def test_feed_gives_the_rows_asked_for():
    """A batch's rows, asked for by a slice or by indices (an epoch's shuffled order), full
    or short (padded to 8 by repeating the last row), as NumPy indexing gives them, and the
    count of real rows."""
    from cornu.backend import steps
    x, y = _data(40)
    held = [steps.hold(x, 'float32')], [steps.hold(y, 'float32')], [None]
    order = np.random.RandomState(3).permutation(40)
    for index, real in (((0, 8), 8), ((8, 13), 5), (order[:8], 8), (order[32:37], 5)):
        wanted = np.arange(*index) if isinstance(index, tuple) else index
        wanted = np.concatenate([wanted, np.repeat(wanted[-1:], 8 - real)])
        (inputs, targets, weights), _, valid = steps.feed(held, steps.batch_rows(index), None,
                                                          8, True)
        assert int(valid) == real and weights == [None]
        np.testing.assert_array_equal(inputs[0], x[wanted])
        np.testing.assert_array_equal(targets[0], y[wanted])
