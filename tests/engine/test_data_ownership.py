"""The caller's arrays are never shared with cornu: what comes in (`K.variable`, `K.constant`,
`K.set_value`, `set_weights`, a `Constant` initializer's array, training data) is copied or
only read, and what goes out (`predict`, `K.get_value`, `K.function`, `get_weights`) is an
ordinary writable NumPy array of the caller's own. Each test changes one side and checks the
other did not change; the `K.update*` functions also take NumPy arrays and Python numbers.

The input arrays are 64-byte aligned, the case in which an engine may use a NumPy array's
memory in place instead of copying it."""
import numpy as np
import pytest

from cornu import backend as K
from cornu.backend import kernels
from cornu.initializers import Constant
from cornu.layers import (Activation, BatchNormalization, Dense, Dropout, GaussianNoise, Input,
                          Lambda, LSTM, Reshape)
from cornu.models import Model, Sequential


def _aligned(values):
    """A float32 copy of `values` whose memory starts on a 64-byte boundary."""
    values = np.asarray(values, dtype=np.float32)
    buffer = np.empty(values.nbytes + 64, dtype=np.uint8)
    offset = (-buffer.ctypes.data) % 64
    array = buffer[offset:offset + values.nbytes].view(np.float32).reshape(values.shape)
    array[...] = values
    return array


def _mlp():
    model = Sequential([Dense(4, input_shape=(3,)), BatchNormalization(), Dropout(0.5),
                        GaussianNoise(0.1), Dense(2, activation='softmax')])
    model.compile('adam', 'categorical_crossentropy', metrics=['accuracy'])
    return model


# ---------------------------------------------------------------- what comes in

@pytest.mark.parametrize('make', [K.variable, K.constant], ids=['variable', 'constant'])
def test_changing_the_array_afterwards_leaves_the_tensor_unchanged(make):
    array = _aligned(np.arange(12.).reshape(3, 4))
    tensor = make(array)
    array[...] = -1.
    np.testing.assert_array_equal(K.eval(tensor), np.arange(12.).reshape(3, 4))


def test_assigning_the_variable_leaves_the_array_unchanged():
    array = _aligned(np.ones((3, 4)))
    variable = K.variable(array)
    K.set_value(variable, np.zeros((3, 4)))
    K.update_add(variable, 5.)
    np.testing.assert_array_equal(array, np.ones((3, 4)))
    np.testing.assert_array_equal(K.get_value(variable), np.full((3, 4), 5.))


@pytest.mark.parametrize('assign', ['set_value', 'batch_set_value', 'update'])
def test_an_assigned_array_changed_afterwards_leaves_the_variable_unchanged(assign):
    variable = K.variable(np.zeros((4, 4)))
    array = _aligned(np.full((4, 4), 2.))
    if assign == 'set_value':
        K.set_value(variable, array)
    elif assign == 'batch_set_value':
        K.batch_set_value([(variable, array)])
    else:
        K.update(variable, array)
    array[...] = 7.
    np.testing.assert_array_equal(K.get_value(variable), np.full((4, 4), 2.))


@pytest.mark.parametrize('through', ['model', 'layer'])
def test_weights_set_from_arrays_changed_afterwards_stay_as_set(through):
    model = Sequential([Dense(4, input_shape=(4,))])
    kernel, bias = _aligned(np.eye(4)), _aligned(np.arange(4.))
    if through == 'model':
        model.set_weights([kernel, bias])
    else:
        model.layers[0].set_weights([kernel, bias])
    kernel[...] = 9.
    bias[...] = 9.
    got_kernel, got_bias = model.get_weights()
    np.testing.assert_array_equal(got_kernel, np.eye(4))
    np.testing.assert_array_equal(got_bias, np.arange(4.))


def test_optimizer_weights_set_from_arrays_changed_afterwards_stay_as_set():
    model = _mlp()
    x = np.random.rand(8, 3).astype('float32')
    y = np.eye(2, dtype='float32')[np.random.randint(0, 2, 8)]
    model.train_on_batch(x, y)
    # `iterations` is an integer: 2, the accumulators 0.5.
    chosen = [np.full(w.shape, 2 if w.dtype.kind in 'iu' else 0.5, dtype=w.dtype)
              for w in model.optimizer.get_weights()]
    values = [_aligned(value) if value.dtype.kind == 'f' else value.copy() for value in chosen]
    model.optimizer.set_weights(values)
    for value in values:
        value[...] = -3
    for got, expected in zip(model.optimizer.get_weights(), chosen):
        np.testing.assert_array_equal(got, expected)


def test_rnn_states_reset_from_arrays_changed_afterwards_stay_as_set():
    layer = LSTM(2, stateful=True)
    Sequential([layer]).build((1, 3, 2))
    hidden, cell = _aligned(np.ones((1, 2))), _aligned(np.full((1, 2), 2.))
    layer.reset_states([hidden, cell])
    hidden[...] = 0.
    cell[...] = 0.
    np.testing.assert_array_equal(K.get_value(layer.states[0]), np.ones((1, 2)))
    np.testing.assert_array_equal(K.get_value(layer.states[1]), np.full((1, 2), 2.))


def test_a_constant_initializer_keeps_its_own_copy_of_the_array():
    array = _aligned(np.arange(6.).reshape(3, 2))
    model = Sequential([Dense(2, input_shape=(3,), kernel_initializer=Constant(array))])
    array[...] = 0.
    np.testing.assert_array_equal(model.get_weights()[0], np.arange(6.).reshape(3, 2))
    second = Dense(2, kernel_initializer=Constant(array))
    Sequential([second]).build((None, 3))  # initialised after the change: sees it
    np.testing.assert_array_equal(second.get_weights()[0], np.zeros((3, 2)))


@pytest.mark.parametrize('fit', ['fit', 'train_on_batch', 'fit_generator'])
def test_training_never_writes_into_the_callers_arrays(fit):
    model = _mlp()
    x = _aligned(np.random.rand(32, 3))
    y = _aligned(np.eye(2)[np.random.randint(0, 2, 32)])
    weights = _aligned(np.random.rand(32) + 0.5)
    copies = [x.copy(), y.copy(), weights.copy()]
    if fit == 'fit':
        model.fit(x, y, sample_weight=weights, batch_size=8,
                  epochs=2, validation_data=(x, y, weights), verbose=0)
    elif fit == 'train_on_batch':
        model.train_on_batch(x, y, sample_weight=weights)
        model.train_on_batch(x, y, class_weight={0: 1., 1: 2.})
    else:
        model.fit_generator(iter([(x, y, weights)] * 2), steps_per_epoch=2, epochs=1,
                            verbose=0, workers=0)
    model.evaluate(x, y, sample_weight=weights, verbose=0)
    for array, copy in zip((x, y, weights), copies):
        np.testing.assert_array_equal(array, copy)


# ---------------------------------------------------------------- what goes out

def _pass_through_models():
    inputs = Input((3,))
    return {
        'linear activation': Sequential([Activation('linear', input_shape=(3,))]),
        'reshape': Sequential([Reshape((3, 1), input_shape=(3,))]),
        'identity model': Model(inputs, inputs),
        'identity lambda': Sequential([Lambda(lambda t: t, input_shape=(3,))]),
        'dense': Sequential([Dense(3, input_shape=(3,))]),
    }


@pytest.mark.parametrize('name', ['linear activation', 'reshape', 'identity model',
                                  'identity lambda', 'dense'])
@pytest.mark.parametrize('how', ['predict', 'predict many batches', 'predict_on_batch',
                                 'K.function'])
def test_outputs_are_writable_and_share_nothing_with_the_inputs(name, how):
    model = _pass_through_models()[name]
    x = _aligned(np.random.rand(8, 3))
    original = x.copy()
    weights = model.get_weights()
    if how == 'predict':
        outputs = model.predict(x)
    elif how == 'predict many batches':
        outputs = model.predict(x, batch_size=3)
    elif how == 'predict_on_batch':
        outputs = model.predict_on_batch(x)
    else:
        outputs = K.function([model.input], [model.output])([x])[0]
    assert isinstance(outputs, np.ndarray)
    assert outputs.flags.writeable
    expected = outputs.copy()
    outputs[outputs < 0.5] = 0.  # the Keras 2 idiom the issue names
    np.testing.assert_array_equal(x, original)
    for got, before in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(got, before)
    if name != 'dense':
        np.testing.assert_allclose(expected.reshape(x.shape), original)


@pytest.mark.parametrize('read', ['get_weights', 'layer.get_weights', 'K.get_value',
                                  'K.batch_get_value', 'K.eval', 'optimizer.get_weights'])
def test_values_read_are_writable_copies_of_the_model_state(read):
    model = _mlp()
    x = np.random.rand(8, 3).astype('float32')
    y = np.eye(2, dtype='float32')[np.random.randint(0, 2, 8)]
    model.train_on_batch(x, y)
    kernel = model.layers[0].kernel
    if read == 'get_weights':
        values, state = model.get_weights(), model.get_weights
    elif read == 'layer.get_weights':
        values, state = model.layers[0].get_weights(), model.layers[0].get_weights
    elif read == 'K.get_value':
        values, state = [K.get_value(kernel)], lambda: [K.get_value(kernel)]
    elif read == 'K.batch_get_value':
        values, state = K.batch_get_value([kernel]), lambda: K.batch_get_value([kernel])
    elif read == 'K.eval':
        values, state = [K.eval(kernel)], lambda: [K.eval(kernel)]
    else:
        values, state = model.optimizer.get_weights(), model.optimizer.get_weights
    before = [v.copy() for v in values]
    for value in values:
        assert isinstance(value, np.ndarray) and value.flags.writeable
        value[...] = 123.
    for got, expected in zip(state(), before):
        np.testing.assert_array_equal(got, expected)


def test_engine_values_read_to_numpy_are_never_views_of_variables():
    variable = K.variable(np.arange(6.).reshape(2, 3))
    for value in (variable, variable[0]):  # the variable, and a view of it (on PyTorch)
        array = kernels.to_numpy(value)
        assert array.flags.writeable
        array[...] = -1.
    np.testing.assert_array_equal(K.get_value(variable), np.arange(6.).reshape(2, 3))


# ---------------------------------------------------------------- updates take NumPy arrays

@pytest.mark.parametrize('kind', ['array', 'number', 'numpy scalar'])
def test_updates_take_numpy_arrays_and_numbers(kind):
    start = np.array([1., 2., 3.], dtype='float32')

    def operand(values):
        if kind == 'array':
            return np.asarray(values, dtype='float64')
        if kind == 'number':
            return float(values[0])
        return np.float64(values[0])

    amounts = [0.5, 0.5, 0.5]
    v = K.variable(start)
    K.update_add(v, operand(amounts))
    np.testing.assert_allclose(K.get_value(v), start + 0.5)
    K.update_sub(v, operand([2., 2., 2.]))
    np.testing.assert_allclose(K.get_value(v), start - 1.5)
    K.update(v, operand([4., 4., 4.]))
    np.testing.assert_allclose(K.get_value(v), [4., 4., 4.])
    K.moving_average_update(v, operand([2., 2., 2.]), 0.75)
    np.testing.assert_allclose(K.get_value(v), [4. * 0.75 + 2. * 0.25] * 3, rtol=1e-6)
