"""What a JAX step's compiled function is given and gives back (`tracing._Plan`).

A training step donates and returns only the state it writes (the weights, the optimizer's
slots and `iterations`); the values it only reads (the learning rate, momentum and decay)
are passed to read and not returned, and the PRNG key and step counter are passed only to a
step that draws or folds in the counter. The tests check the plans, and that the numbers
are those of a NumPy reference: a learning rate set from a callback between two batches is
used from the next batch on (on both engines).
"""
import numpy as np
import pytest

from cornu import backend as K
from cornu import callbacks
from cornu.layers import Dense, Dropout
from cornu.models import Sequential

jax_only = pytest.mark.skipif(K.backend() != 'jax', reason='compiled steps of the jax engine')


def _names(slots):
    return sorted(getattr(slot, 'name', None) or type(slot).__name__ for slot in slots)


def _data(samples=12, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(samples, 3).astype('float32')
    y = rng.randn(samples, 2).astype('float32')
    return x, y


def _linear_model(momentum):
    from cornu.optimizers import SGD
    model = Sequential([Dense(2, input_shape=(3,))])
    # One call per batch: the plans are those of single calls.
    model.compile(SGD(lr=0.1, momentum=momentum), 'mse', steps_per_execution=1)
    return model


@jax_only
def test_a_training_step_donates_and_returns_only_what_it_writes():
    model = _linear_model(0.5)
    x, y = _data()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    step = model._trainer._train_step
    plan, = step._plans.values()
    optimizer = model.optimizer
    read_only = [optimizer.lr, optimizer.momentum, optimizer.decay]
    written = list(model.weights) + [optimizer.iterations] + \
        [w for w in step.variables if w.name.startswith('training/')]
    assert len(written) == 2 + 1 + 2
    assert _names(plan.donated) == _names(written)
    assert _names(plan.returned) == _names(written)
    assert _names(plan.kept) == _names(read_only)
    # No dropout: neither the key nor the counter is passed, and the counter counts on the
    # host.
    assert plan.counts_on_host
    assert step._lag == 3
    # The compiled call gives back the written values and the loss, nothing else.
    lowered = plan.compiled.lower(*step._values(plan), ([x[:4]], [y[:4]], [None], None, None))
    assert len(lowered.out_info[0]) == len(written)


def _numpy_sgd(x, y, kernel, bias, batch_size, rates, momentum):
    """Keras 2's SGD with momentum on a linear layer and mse, batch by batch; `rates[i]` is
    the learning rate of batch i."""
    velocity_k = np.zeros_like(kernel)
    velocity_b = np.zeros_like(bias)
    for index, start in enumerate(range(0, len(x), batch_size)):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        error = xb.dot(kernel) + bias - yb
        grad_out = 2. * error / error.size
        grad_k, grad_b = xb.T.dot(grad_out), grad_out.sum(axis=0)
        velocity_k = momentum * velocity_k - rates[index] * grad_k
        velocity_b = momentum * velocity_b - rates[index] * grad_b
        kernel, bias = kernel + velocity_k, bias + velocity_b
    return kernel, bias


@pytest.mark.parametrize('momentum', [0., 0.5])
def test_a_learning_rate_set_between_batches_is_used_from_the_next_batch(momentum):
    model = _linear_model(momentum)
    x, y = _data()
    kernel, bias = [w.astype('float64') for w in model.get_weights()]

    def slow_down(batch, logs):
        if batch == 0:
            K.set_value(model.optimizer.lr, 0.01)

    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False,
              callbacks=[callbacks.LambdaCallback(on_batch_end=slow_down)])
    want_kernel, want_bias = _numpy_sgd(x.astype('float64'), y.astype('float64'), kernel,
                                        bias, 4, [0.1, 0.01, 0.01], momentum)
    got_kernel, got_bias = model.get_weights()
    np.testing.assert_allclose(got_kernel, want_kernel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_bias, want_bias, rtol=1e-5, atol=1e-6)
    assert int(K.get_value(model.optimizer.iterations)) == 3


@jax_only
def test_a_step_with_dropout_is_passed_the_key():
    x, y = _data()
    model = Sequential([Dense(4, input_shape=(3,)), Dropout(0.5), Dense(2)])
    model.compile('sgd', 'mse', steps_per_execution=1)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    step = model._trainer._train_step
    plan, = step._plans.values()
    assert any(slot is step._rng for slot in plan.donated)
    assert not any(slot is step._step for slot in plan.donated + plan.kept)
    # The predict step draws nothing: neither is passed.
    model.predict(x)
    predict_plan, = model._trainer._predict_step._plans.values()
    assert not predict_plan.donated and not predict_plan.returned
    assert not any(slot is model._trainer._predict_step._rng for slot in predict_plan.kept)


@jax_only
def test_the_step_counter_counts_the_calls_that_do_not_read_it():
    """A step that folds in its counter (seeded dropout) sees the number of calls before it,
    including those of compiled functions (other phases) that did not read the counter."""
    from cornu.backend.jax import core
    from cornu.backend.jax.tracing import TracedStep
    from cornu.backend.run_context import current

    def body(x):
        if K.learning_phase() == 1:
            return x + K.cast(current().state_scope.step, 'float32')
        return x * 2.

    step = TracedStep(body, [])
    x = np.zeros((2,), 'float32')
    with K.learning_phase_scope(0):
        for _ in range(3):
            np.testing.assert_array_equal(np.asarray(step(x)), [0., 0.])
    with K.learning_phase_scope(1):
        np.testing.assert_array_equal(np.asarray(step(x)), [3., 3.])
        np.testing.assert_array_equal(np.asarray(step(x)), [4., 4.])
    with K.learning_phase_scope(0):
        step(x)
    with K.learning_phase_scope(1):
        np.testing.assert_array_equal(np.asarray(step(x)), [6., 6.])
    assert isinstance(step.step, core._Array)
    assert int(step.step) == 7


@jax_only
def test_a_widened_plan_passes_a_variable_a_later_trace_writes():
    """A plan learned from a first trace grows when a trace for another input shape writes a
    variable the first did not: the written value is kept, nothing is spent."""
    from cornu.backend.jax.tracing import TracedStep
    counter = K.variable(0., name='counter')

    def body(x):
        if x.shape[0] > 2:
            K.update_add(counter, 1.)
        return x + counter.value

    step = TracedStep(body, [counter], donate=True)
    out = step(np.zeros((2,), 'float32'))
    np.testing.assert_array_equal(np.asarray(out), [0., 0.])
    assert float(K.get_value(counter)) == 0.
    out = step(np.zeros((3,), 'float32'))
    np.testing.assert_array_equal(np.asarray(out), [1., 1., 1.])
    out = step(np.zeros((3,), 'float32'))
    assert float(K.get_value(counter)) == 2.
    step(np.zeros((2,), 'float32'))
    assert float(K.get_value(counter)) == 2.
