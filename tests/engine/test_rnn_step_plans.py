"""The PRNG key in the compiled steps of recurrent models (`tracing._Plan`).

A recurrent layer's step loop carries the random key only when its body draws random
numbers (dropout in the training phase): at inference the loop draws nothing, so a predict
step made of recurrent layers is compiled without the key, as a predict step of Dense layers
is. The tests check the plans, and the numbers against NumPy references.
"""
import numpy as np
import pytest

from cornu import backend as K
from cornu.layers import LSTM, Dense, SimpleRNN
from cornu.models import Sequential

jax_only = pytest.mark.skipif(K.backend() != 'jax', reason='compiled steps of the jax engine')


def _sequences(samples=6, steps=5, features=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(samples, steps, features).astype('float32')
    y = rng.randn(samples, 2).astype('float32')
    return x, y


def _numpy_simple_rnn(x, kernel, recurrent_kernel, bias):
    h = np.zeros((x.shape[0], kernel.shape[1]))
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t].dot(kernel) + h.dot(recurrent_kernel) + bias)
    return h


def _hard_sigmoid(z):
    return np.clip(0.2 * z + 0.5, 0., 1.)


def _numpy_lstm(x, kernel, recurrent_kernel, bias):
    units = recurrent_kernel.shape[0]
    h = np.zeros((x.shape[0], units))
    c = np.zeros((x.shape[0], units))
    for t in range(x.shape[1]):
        z = x[:, t].dot(kernel) + h.dot(recurrent_kernel) + bias
        i, f = _hard_sigmoid(z[:, :units]), _hard_sigmoid(z[:, units:2 * units])
        g, o = np.tanh(z[:, 2 * units:3 * units]), _hard_sigmoid(z[:, 3 * units:])
        c = f * c + i * g
        h = o * np.tanh(c)
    return h


def _numpy_model(model, x):
    layer, dense = model.layers
    weights = [w.astype('float64') for w in layer.get_weights()]
    reference = _numpy_lstm if isinstance(layer, LSTM) else _numpy_simple_rnn
    kernel, bias = [w.astype('float64') for w in dense.get_weights()]
    return reference(x.astype('float64'), *weights).dot(kernel) + bias


def _passes_key(step, plan):
    return any(slot is step._rng for slot in plan.donated + plan.kept)


def _fitted(layer):
    x, y = _sequences()
    model = Sequential([layer, Dense(2)])
    # One call per batch: the plans are those of single calls.
    model.compile('sgd', 'mse', steps_per_execution=1)
    model.fit(x, y, batch_size=3, epochs=1, verbose=0)
    return model, x


@pytest.mark.parametrize('make_layer', [
    lambda: SimpleRNN(4, input_shape=(5, 3)),
    lambda: SimpleRNN(4, dropout=0.5, recurrent_dropout=0.5, input_shape=(5, 3)),
    # Recurrent dropout in training takes the generic step loop (`K.rnn`).
    lambda: LSTM(4, recurrent_dropout=0.5, input_shape=(5, 3)),
], ids=['simple_rnn', 'simple_rnn_dropout', 'lstm_recurrent_dropout'])
def test_a_recurrent_model_predicts_without_a_key(make_layer):
    model, x = _fitted(make_layer())
    got = model.predict(x, batch_size=3)
    np.testing.assert_allclose(got, _numpy_model(model, x), rtol=1e-5, atol=1e-5)
    if K.backend() == 'jax':
        step = model._trainer._predict_step
        plan, = step._plans.values()
        assert not _passes_key(step, plan)


@jax_only
def test_recurrent_dropout_in_training_passes_the_key():
    model, _ = _fitted(LSTM(4, recurrent_dropout=0.5, input_shape=(5, 3)))
    step = model._trainer._train_step
    plan, = step._plans.values()
    assert _passes_key(step, plan)


@jax_only
def test_a_recurrent_model_without_dropout_trains_without_a_key():
    model, _ = _fitted(SimpleRNN(4, input_shape=(5, 3)))
    step = model._trainer._train_step
    plan, = step._plans.values()
    assert not _passes_key(step, plan)


@jax_only
def test_a_loop_that_draws_carries_the_key_from_step_to_step():
    """A step function drawing at every timestep gets a new key at each one (the draws
    differ along time), and the step that runs the loop is passed the key (its draws differ
    from call to call)."""
    from cornu.backend.jax.tracing import TracedStep

    def step_function(x_t, states):
        noise = K.random_uniform((2, 3))
        return x_t + noise, [states[0] + noise]

    def body(x):
        last, outputs, _ = K.rnn(step_function, x, [K.zeros((2, 3))])
        return outputs

    step = TracedStep(body, [])
    x = np.zeros((2, 4, 3), 'float32')
    first = np.asarray(step(x))
    second = np.asarray(step(x))
    assert _passes_key(step, next(iter(step._plans.values())))
    assert ((first >= 0.) & (first < 1.)).all()
    # Four different draws along time, and others at the next call.
    assert len({first[:, t].tobytes() for t in range(4)}) == 4
    assert not np.array_equal(first, second)


@jax_only
def test_a_loop_that_draws_nothing_leaves_the_key_out():
    from cornu.backend.jax.tracing import TracedStep

    def body(x):
        last, outputs, _ = K.rnn(lambda x_t, states: (x_t + states[0], [x_t + states[0]]),
                                 x, [K.zeros((2, 3))])
        return outputs

    step = TracedStep(body, [])
    x = np.ones((2, 4, 3), 'float32')
    out = np.asarray(step(x))
    np.testing.assert_array_equal(out, np.cumsum(x, axis=1))
    assert not _passes_key(step, next(iter(step._plans.values())))


@jax_only
def test_what_a_loop_draws_once_and_keeps_is_not_drawn_again_after_it():
    """A step function that draws on its first call and keeps the draw for every timestep
    (as the cells keep their dropout masks) draws it while the loop is probed; the draws
    made after the loop come from keys that follow it, not from the same key again."""
    from cornu.backend.jax.tracing import TracedStep

    def body(x):
        kept = {}

        def step_function(x_t, states):
            if 'noise' not in kept:
                kept['noise'] = K.random_uniform((2, 3))
            return x_t * kept['noise'], [states[0]]

        last, outputs, _ = K.rnn(step_function, x, [K.zeros((2, 3))])
        return last, K.random_uniform((2, 3))

    step = TracedStep(body, [])
    last, after = [np.asarray(a) for a in step(np.ones((2, 4, 3), 'float32'))]
    assert ((last > 0.) & (last < 1.)).all()
    assert not np.array_equal(last, after)
