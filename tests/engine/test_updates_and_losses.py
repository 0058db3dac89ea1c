"""`updates` and `losses` of layers and models as Keras 2 lists them: `StateUpdate`s for the
moving statistics of BatchNormalization, activity regularization of each call as symbolic
losses (checked against NumPy), counts for shared layers and nested models, frozen models
that do not move their statistics, `_uses_learning_phase` on outputs, TimeDistributed's
`_input_map`, and predictions that are ordinary writable arrays."""
import numpy as np

from cornu import backend as backend_module
from cornu import regularizers
from cornu.engine.base_layer import Layer
from cornu.engine.state_update import StateUpdate
from cornu.layers import (BatchNormalization, Concatenate, Dense, Dropout, Input, LSTM,
                          SimpleRNN, TimeDistributed)
from cornu.models import Model, Sequential


def _l1(x, factor=0.01):
    return factor * np.abs(x).sum()


def _dense_np(layer, x):
    kernel, bias = layer.get_weights()
    return x @ kernel + bias


# ---------------------------------------------------------------- updates

def test_batchnorm_call_lists_its_two_moving_average_updates(backend):
    layer = BatchNormalization()
    x = Input((3,))
    layer(x)
    updates = layer.get_updates_for(x)
    assert [u.variable for u in updates] == [layer.moving_mean, layer.moving_variance]
    assert all(isinstance(u, StateUpdate) and u.layer is layer and u.inputs == [x]
               for u in updates)
    assert layer.updates == updates and layer.get_updates_for(None) == []
    fixed = BatchNormalization()
    fixed(Input((3,)), training=False)
    assert fixed.updates == []
    layer.trainable = False
    assert layer.updates == [] and layer.get_updates_for(x) == []


def test_model_lists_the_updates_of_its_own_calls_only(backend):
    shared = BatchNormalization()
    first, second = Input((4,)), Input((4,))
    shared(first)
    model = Model(second, shared(second))
    assert len(shared.updates) == 4
    assert [u.inputs for u in model.updates] == [[second], [second]]
    # Called on new tensors, the model updates the statistics once more: entries of its own.
    outer_input = Input((4,))
    outer = Model(outer_input, model(outer_input))
    assert [u.inputs for u in outer.updates] == [[outer_input], [outer_input]]
    assert [u.variable for u in outer.updates] == [shared.moving_mean, shared.moving_variance]
    assert outer.updates == outer.updates  # the same entries each time
    assert len(model.updates) == 2


def test_frozen_model_does_not_move_the_moving_statistics(backend):
    x = np.random.uniform(-2, 3, (16, 3)).astype('float32')
    y = np.random.uniform(size=(16, 3)).astype('float32')
    inputs = Input((3,))
    layer = BatchNormalization()
    model = Model(inputs, layer(inputs))
    model.trainable = False
    assert model.updates == []
    model.compile('sgd', 'mse')
    model.train_on_batch(x, y)
    np.testing.assert_array_equal(backend.get_value(layer.moving_mean), np.zeros(3))

    model.trainable = True
    model.compile('sgd', 'mse')
    assert len(model.updates) == 2
    model.train_on_batch(x, y)
    np.testing.assert_allclose(backend.get_value(layer.moving_mean), 0.01 * x.mean(axis=0),
                               rtol=1e-5, atol=1e-6)

    before = backend.get_value(layer.moving_mean).copy()
    layer.trainable = False
    model.compile('sgd', 'mse')
    assert model.updates == []
    model.train_on_batch(x, y)
    np.testing.assert_array_equal(backend.get_value(layer.moving_mean), before)


def test_function_accepts_the_listed_updates(backend):
    inputs = Input((2,))
    layer = BatchNormalization(momentum=0.5)
    model = Model(inputs, layer(inputs))
    fn = backend.function([inputs, backend.learning_phase()], [model.output],
                          updates=model.updates)
    x = np.array([[1., 2.], [3., 6.]], dtype='float32')
    fn([x, 1])
    # The layer applies its update as it runs in the training phase, once per call.
    np.testing.assert_allclose(backend.get_value(layer.moving_mean), 0.5 * x.mean(axis=0),
                               rtol=1e-6)


def test_time_distributed_maps_its_inputs_to_the_inner_layer_updates(backend):
    x = Input((5, 2))
    wrapper = TimeDistributed(BatchNormalization())
    wrapper(x)
    inner_input = wrapper._input_map[str(id(x))]
    assert backend.int_shape(inner_input) == (None, 2)
    assert len(wrapper.get_updates_for(x)) == 2 and len(wrapper.updates) == 2
    wrapper.trainable = False
    assert wrapper.updates == [] and wrapper.get_updates_for(x) == []
    wrapper.trainable = True
    assert len(Model(x, wrapper.output).updates) == 2


def test_stateful_rnn_lists_an_update_per_state_even_when_frozen(backend):
    layer = LSTM(2, stateful=True)
    x = Input(batch_shape=(3, 4, 5))
    model = Model(x, layer(x))
    assert [u.variable for u in model.updates] == layer.states
    assert all(u.rule == 'last state' for u in layer.updates)
    layer.trainable = False
    assert len(layer.updates) == 2 and len(model.state_updates) == 2
    assert SimpleRNN(2)(Input((4, 5))) is not None and not SimpleRNN(2).updates


# ---------------------------------------------------------------- losses

def test_activity_loss_of_a_call_is_a_symbolic_tensor_of_its_output(backend):
    inputs = Input((3,))
    layer = Dense(2, activity_regularizer=regularizers.l1(0.01))
    model = Model(inputs, layer(inputs))
    [loss] = model.losses
    assert layer.get_losses_for(inputs) == [loss] and layer.get_losses_for(None) == []
    x = np.random.uniform(-1, 1, (4, 3)).astype('float32')
    value = backend.function([inputs], [loss])([x])[0]
    np.testing.assert_allclose(value, _l1(_dense_np(layer, x)), rtol=1e-5)


def test_loss_counts_for_shared_layers(backend):
    shared = Dense(2, kernel_regularizer='l2', activity_regularizer='l1')
    a, b, c = Input((3,)), Input((3,)), Input((3,))
    outputs = Concatenate()([shared(a), shared(b), shared(c)])
    model = Model([a, b, c], outputs)
    model.add_loss(2.5)
    # One weight regularization, one activity loss per call, the added number.
    assert len(model.losses) == 5
    assert model.losses[-1] == 2.5


def test_nested_model_call_gets_losses_computed_from_its_own_inputs(backend):
    inner_input = Input((3,))
    dense = Dense(2, kernel_regularizer='l1', activity_regularizer=regularizers.l1(0.01))
    inner = Model(inner_input, dense(inner_input))
    a, b = Input((3,)), Input((3,))
    outer = Model([a, b], Concatenate()([inner(a), inner(b)]))
    losses = outer.losses
    # An activity loss per call of the inner model, the kernel's regularization once.
    assert len(losses) == 3
    loss_a, loss_b = inner.get_losses_for(a), inner.get_losses_for(b)
    assert losses[:2] == loss_a + loss_b
    xa = np.random.uniform(-1, 1, (5, 3)).astype('float32')
    xb = np.random.uniform(-1, 1, (5, 3)).astype('float32')
    values = backend.function([a, b], loss_a + loss_b)([xa, xb])
    np.testing.assert_allclose(values, [_l1(_dense_np(dense, xa)), _l1(_dense_np(dense, xb))],
                               rtol=1e-5)


def test_layer_shared_by_two_nested_models_counts_its_weight_loss_once(backend):
    shared = Dense(2, kernel_regularizer='l1')
    models = []
    for _ in range(2):
        x = Input((3,))
        models.append(Model(x, Dense(2, bias_regularizer='l2')(shared(x))))
    a, b = Input((3,)), Input((3,))
    outer = Model([a, b], Concatenate()([models[0](a), models[1](b)]))
    assert len(outer.losses) == 3


def test_time_distributed_lists_inner_regularization(backend):
    model = Sequential([TimeDistributed(Dense(2, kernel_regularizer='l1'), input_shape=(3, 4))])
    assert len(model.layers[0].losses) == 1 and len(model.losses) == 1
    model = Sequential([TimeDistributed(Dense(2, activity_regularizer=regularizers.l1(0.01)),
                                        input_shape=(3, 4))])
    [loss] = model.losses
    x = np.random.uniform(-1, 1, (2, 3, 4)).astype('float32')
    value = backend.function([model.input], [loss])([x])[0]
    np.testing.assert_allclose(value, _l1(_dense_np(model.layers[0].layer, x)), rtol=1e-5)


def test_rnn_losses_of_a_call_on_concrete_tensors(backend):
    layer = SimpleRNN(3, activity_regularizer=regularizers.l1(0.01))
    x = backend.variable(np.random.uniform(-1, 1, (2, 4, 2)))
    output = layer(x)
    assert layer.cell.get_losses_for(x) == []
    [loss] = layer.get_losses_for(x)
    np.testing.assert_allclose(backend.eval(loss), _l1(backend.eval(output)), rtol=1e-5)
    regularized = LSTM(2, kernel_regularizer='l1', recurrent_regularizer='l2',
                       bias_regularizer='l2')
    regularized.build((None, None, 3))
    assert len(regularized.losses) == 3 and len(regularized.get_losses_for(None)) == 3


class _Penalized(Layer):
    """Adds two losses in `call`, as Keras 2 custom layers do."""

    def call(self, x):
        self.add_loss(0.5 * backend_module.sum(backend_module.square(x)))
        self.add_loss(backend_module.mean(x), inputs=x)
        return 2. * x


def test_losses_added_in_call_are_listed_for_the_call(backend):
    x = Input((3,))
    layer = _Penalized()
    dense = Dense(2, kernel_regularizer='l2')
    model = Model(x, dense(layer(x)))
    added = layer.get_losses_for(x)
    assert len(added) == 2 and len(model.losses) == 3 and model.losses[:2] == added
    values = np.random.uniform(-1, 1, (4, 3)).astype('float32')
    computed = backend.function([x], added)([values])
    np.testing.assert_allclose(computed, [0.5 * (values ** 2).sum(), values.mean()], rtol=1e-5)
    # Listing them adds nothing to training: the step's loss counts each once.
    model.compile('sgd', 'mse')
    kernel, bias = dense.get_weights()
    predictions = 2. * values @ kernel + bias
    expected = (predictions ** 2).mean() + 0.5 * (values ** 2).sum() + values.mean() + \
        0.01 * (kernel ** 2).sum()
    np.testing.assert_allclose(model.test_on_batch(values, np.zeros((4, 2))), expected,
                               rtol=1e-5)


# ---------------------------------------------------------------- learning phase

def test_outputs_say_whether_they_depend_on_the_learning_phase(backend):
    a, b = Input((4,)), Input((4,))
    plain = Dense(3)(a)
    dropped = Dropout(0.5)(b)
    fixed = Dropout(0.5)(b, training=True)
    assert not plain._uses_learning_phase and dropped._uses_learning_phase
    assert not fixed._uses_learning_phase
    assert Dense(2)(dropped)._uses_learning_phase  # carried downstream
    model = Model([a, b], [plain, dropped])
    assert model.uses_learning_phase
    assert not Model(b, fixed).uses_learning_phase
    c, d = Input((4,)), Input((4,))
    assert all(t._uses_learning_phase for t in model([c, d]))

    # A Keras 2 custom layer says so in `__init__`.
    custom = Layer()
    custom.uses_learning_phase = True
    assert custom(a)._uses_learning_phase and not custom(a, training=False)._uses_learning_phase
    wrapped = TimeDistributed(Dropout(0.5))
    assert wrapped(Input((2, 4)))._uses_learning_phase

    rnn = SimpleRNN(2, dropout=0.5)
    x = backend.variable(np.ones((2, 3, 4)))
    assert rnn(x)._uses_learning_phase
    assert not rnn(x, training=True)._uses_learning_phase


# ---------------------------------------------------------------- predictions

def test_predictions_are_writable_arrays(backend):
    model = Sequential([Dense(2, input_shape=(3,))])
    x = np.ones((4, 3), dtype='float32')
    for result in (model.predict(x), model.predict(x, batch_size=2),
                   model.predict_on_batch(x)):
        assert isinstance(result, np.ndarray) and result.flags.writeable
        result -= 1.


def test_predict_in_a_fixed_training_phase_normalizes_with_the_whole_batch(backend):
    # A batch shorter than `batch_size` may be padded where rows do not affect each other;
    # with the training phase fixed, BatchNormalization's batch statistics mix them.
    inputs = Input((1,))
    model = Model(inputs, BatchNormalization(epsilon=0.)(inputs))
    model.set_weights([np.ones(1), np.zeros(1), np.full(1, 0.5), np.full(1, 100.)])
    x = np.arange(10.).reshape(10, 1).astype('float32')
    backend.set_learning_phase(1)
    out = model.predict(x)
    np.testing.assert_allclose(out, (x - x.mean()) / x.std(), rtol=1e-5, atol=1e-5)
