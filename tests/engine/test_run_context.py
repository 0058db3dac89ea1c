"""The run context: the state of a run (learning phase, collected call losses, frozen network,
shape probing, the engine's state scope) belongs to the thread or task that runs it.

The main check runs `fit` in one thread and `predict` in another at the same time. A layer
records the learning phase it sees in `call`, and the two first calls meet at a barrier, so
that each thread reads the phase again while the other one is inside its run: a phase kept
anywhere shared would show up on the other side. On jax the steps are jitted and `call` runs
while they are traced, so the layer records what each trace saw, which is what the compiled
step computes with. A last check reads the source: the module globals that code assigns are
settings, registrations, caches and random streams, never the state of a run.
"""
import ast
import pathlib
import threading

import numpy as np
import pytest

import cornu
from cornu import backend as K
from cornu.backend.run_context import RunContext, current, run_context
from cornu.engine.base_layer import Layer
from cornu.engine.network import in_frozen_network
from cornu.engine.shape_inference import is_probing
from cornu.layers import Dense, Dropout, Input
from cornu.models import Model
from cornu.preprocessing.image._random import current_rng

_WAIT = 60


class _PhaseRecorder(Layer):
    """Passes its input through; appends the learning phase seen by each call to `seen`.

    The first call of each recorder waits at `barrier` (when given) and records the phase
    again after it, once the other thread is inside its own run."""

    def __init__(self, seen, barrier=None, **kwargs):
        super().__init__(**kwargs)
        self.seen = seen
        self.barrier = barrier
        self.waited = False

    def call(self, inputs):
        self.seen.append(K.learning_phase())
        if self.barrier is not None and not self.waited:
            self.waited = True
            self.barrier.wait()
            self.seen.append(K.learning_phase())
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def _model(seen, barrier=None):
    inputs = Input((4,))
    hidden = Dense(8, activation='relu', name='hidden')(inputs)
    # Seeded: the masks do not depend on which thread drew random numbers first.
    hidden = Dropout(0.5, seed=3)(hidden)
    hidden = _PhaseRecorder(seen, barrier)(hidden)
    model = Model(inputs, Dense(2, name='out')(hidden))
    model.compile('sgd', 'mse')
    return model


def _data():
    rng = np.random.RandomState(0)
    return (rng.normal(size=(32, 4)).astype('float32'),
            rng.normal(size=(32, 2)).astype('float32'))


def _run_in_threads(*functions):
    """Runs each function in a thread of its own, all at once; returns their results and
    re-raises the first error."""
    results = [None] * len(functions)
    errors = []

    def run(index, function):
        try:
            results[index] = function()
        except BaseException as error:  # reported in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(_WAIT * 2)
    assert not any(thread.is_alive() for thread in threads), 'a thread did not finish'
    if errors:
        raise errors[0]
    return results


def test_fit_and_predict_in_two_threads_each_see_their_own_phase(backend):
    x, y = _data()
    K.set_random_seed(7)
    train_model, predict_model = _model([]), _model([])
    start_train, start_predict = train_model.get_weights(), predict_model.get_weights()

    # One after the other: the reference results.
    history = train_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    expected_losses = history.history['loss']
    expected_weights = train_model.get_weights()
    expected_predictions = predict_model.predict(x, batch_size=8)

    K.set_random_seed(7)
    train_seen, predict_seen = [], []
    barrier = threading.Barrier(2, timeout=_WAIT)
    train_model, predict_model = _model(train_seen, barrier), _model(predict_seen, barrier)
    train_model.set_weights(start_train)
    predict_model.set_weights(start_predict)
    history, predictions = _run_in_threads(
        lambda: train_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0),
        lambda: predict_model.predict(x, batch_size=8))

    # Both recorders waited, then read the phase again while the other thread ran.
    assert len(train_seen) >= 2 and len(predict_seen) >= 2
    assert train_seen == [1] * len(train_seen)
    assert predict_seen == [0] * len(predict_seen)
    np.testing.assert_allclose(history.history['loss'], expected_losses, rtol=1e-6)
    for weight, expected in zip(train_model.get_weights(), expected_weights):
        np.testing.assert_allclose(weight, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(predictions, expected_predictions, rtol=1e-6)
    assert current().learning_phase is None  # nothing left behind in this thread


class _ActivityLoss(Layer):
    """Adds `sum(inputs) * scale` as a loss during `call`."""

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        self.add_loss(K.sum(inputs) * self.scale)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def test_call_losses_collected_in_one_thread_stay_out_of_another(backend):
    barrier = threading.Barrier(2, timeout=_WAIT)
    x = K.constant(np.ones((2, 3), dtype='float32'))

    def collect(scale):
        collected = []
        layer = _ActivityLoss(scale)
        with run_context(call_losses=collected):
            layer(x)
            barrier.wait()  # the other thread has its collector installed too
            layer(x)
        return [float(K.eval(loss)) for loss in collected]

    first, second = _run_in_threads(lambda: collect(1.), lambda: collect(10.))
    assert first == [6., 6.]
    assert second == [60., 60.]


@pytest.mark.parametrize('changes, read', [
    ({'learning_phase': 1}, lambda: K.learning_phase()),
    ({'frozen': True}, in_frozen_network),
    ({'probing': True}, is_probing),
    ({'state_scope': object()}, lambda: current().state_scope),
    ({'code_loading_allowed': False}, lambda: current().code_loading_allowed),
    ({'augmentation_rng': np.random.RandomState(0)}, current_rng),
])
def test_every_field_belongs_to_the_thread_that_set_it(backend, changes, read):
    outside = read()
    inside_ready, other_done = threading.Event(), threading.Event()
    seen = {}

    def holder():
        with run_context(**changes):
            seen['inside'] = read()
            inside_ready.set()
            other_done.wait(_WAIT)

    def other():
        inside_ready.wait(_WAIT)
        seen['other'] = read()
        other_done.set()

    _run_in_threads(holder, other)
    # Compared by identity: outside any run the phase is a symbolic tensor, whose `==` would
    # record a graph op.
    assert seen['inside'] is not outside
    assert seen['other'] is outside
    assert read() is outside


def test_state_scope_of_a_trace_stays_in_its_thread(backend):
    if K.backend() != 'jax':
        pytest.skip('torch runs eagerly: it has no state scope')
    from cornu.backend.jax import core
    variable = K.variable(np.array([1., 2.], dtype='float32'))
    scope = core._Scope({id(variable): np.array([5., 6.], dtype='float32')})
    entered, read = threading.Event(), threading.Event()
    values = {}

    def tracing():
        with core._in_scope(scope):
            values['inside'] = np.asarray(variable.value)
            entered.set()
            read.wait(_WAIT)

    def other():
        entered.wait(_WAIT)
        values['other'] = np.asarray(variable.value)
        read.set()

    _run_in_threads(tracing, other)
    np.testing.assert_array_equal(values['inside'], [5., 6.])
    np.testing.assert_array_equal(values['other'], [1., 2.])


def test_set_learning_phase_is_a_process_wide_setting(backend):
    K.set_learning_phase(1)
    seen = _run_in_threads(K.learning_phase, lambda: _in_scope_phase(0))
    assert seen == [1, 1]  # fixed by the user: it wins over a run's phase, in every thread


def _in_scope_phase(phase):
    with K.learning_phase_scope(phase):
        return K.learning_phase()


def test_run_context_restores_on_error_and_checks_field_names(backend):
    with pytest.raises(RuntimeError):
        with run_context(learning_phase=1, frozen=True):
            raise RuntimeError('stop')
    assert current().learning_phase is None and not current().frozen
    with pytest.raises(TypeError, match='learning_fase'):
        run_context(learning_fase=1)


def test_nested_contexts_change_only_the_fields_given(backend):
    collected = []
    with run_context(learning_phase=1, call_losses=collected):
        with run_context(frozen=True) as inner:
            assert inner.learning_phase == 1 and inner.call_losses is collected
            assert inner.frozen
        assert not current().frozen
    assert current().call_losses is None
    assert isinstance(current(), RunContext)


# Module globals that code assigns at run time, each a process-wide setting, registration,
# cache or random stream, none the state of one run (which belongs in the run context).
_MODULE_SETTINGS = {
    '_EPSILON', '_FLOATX', '_IMAGE_DATA_FORMAT',  # K.set_epsilon, set_floatx, ...
    '_STREAMING_THRESHOLD',  # streaming.set_streaming_threshold: a setting, as floatx
    '_user_phase',  # K.set_learning_phase: process-wide, as in Keras 2
    '_unsafe_allowed',  # enable_unsafe_deserialization
    '_op_recorder', '_function_builder',  # registered once by the engine
    '_global_stream',  # the random stream of unseeded dropout (jax)
    '_BUCKET_LIMITS', 'CLASS_INDEX', 'pydot', 'requests',  # loaded once, on first use
    '_LOCAL_DEVICES',  # the device list of tensorflow_backend, read once as Keras 2 did
    '_SHARED_SEQUENCES',  # Sequences shared with worker processes
    '_global_policy', '_mixed_seen',  # mixed_precision.set_global_policy, a mixed policy made
}


def test_no_run_state_is_kept_in_module_globals():
    assigned = {}
    for path in pathlib.Path(cornu.__file__).parent.rglob('*.py'):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Global):
                for name in node.names:
                    assigned.setdefault(name, f'{path.name}:{node.lineno}')
    unexpected = {name: where for name, where in assigned.items()
                  if name not in _MODULE_SETTINGS}
    assert not unexpected, f'module globals assigned at run time: {unexpected}'
