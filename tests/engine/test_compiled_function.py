"""`K.function` called many times: the same numbers as the eager run, with updates and with
gradients; on jax, one trace per input signature and learning phase."""
import warnings

import numpy as np
import pytest

from cornu import optimizers
from cornu.layers import Dense, Dropout, Input, Lambda
from cornu.models import Model, Sequential


def _mlp(seed=0):
    model = Sequential([Dense(8, activation='relu', input_shape=(5,)),
                        Dense(3, activation='softmax')])
    rng = np.random.RandomState(seed)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype('float32')
                       for w in model.get_weights()])
    return model


def _batches():
    rng = np.random.RandomState(1)
    x = rng.rand(24, 5).astype('float32')
    y = np.eye(3)[rng.randint(0, 3, 24)].astype('float32')
    return x, y


def _counting(K, calls):
    """A Lambda that records each run of its Python function (on jax: each trace)."""
    def count(t):
        calls.append(K.int_shape(t))
        return t
    return Lambda(count)


def test_keras2_training_loop_matches_fit(backend):
    K = backend
    x, y = _batches()
    looped, fitted = _mlp(), _mlp()
    target = K.placeholder(shape=(None, 3))
    loss = K.mean(K.categorical_crossentropy(target, looped.output))
    optimizer = optimizers.SGD(lr=0.1, momentum=0.9, decay=0.01, nesterov=True)
    train = K.function([looped.input, target], [loss],
                       updates=optimizer.get_updates(loss, looped.trainable_weights))
    losses = [train([x[i:i + 8], y[i:i + 8]])[0] for i in range(0, 24, 8)]
    losses += [train([x[i:i + 8], y[i:i + 8]])[0] for i in range(0, 24, 8)]

    fitted.compile(optimizers.SGD(lr=0.1, momentum=0.9, decay=0.01, nesterov=True),
                   'categorical_crossentropy')
    history = fitted.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for got, expected in zip(looped.get_weights(), fitted.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.mean(losses[:3]), history.history['loss'][0], rtol=1e-4)
    np.testing.assert_allclose(np.mean(losses[3:]), history.history['loss'][1], rtol=1e-4)
    assert K.get_value(optimizer.iterations) == 6


def test_gradients_with_respect_to_inputs_follow_the_weights(backend):
    K = backend
    inputs = Input(shape=(4,))
    layer = Dense(2, use_bias=False)
    outputs = layer(inputs)
    # Only the gradient op reads the kernel: it must still be read at each call.
    grads = K.function([inputs], K.gradients(K.sum(K.square(outputs)), [inputs]))
    rng = np.random.RandomState(2)
    for _ in range(3):
        kernel = rng.normal(size=(4, 2)).astype('float32')
        layer.set_weights([kernel])
        x = rng.normal(size=(3, 4)).astype('float32')
        np.testing.assert_allclose(grads([x])[0], 2 * x.dot(kernel).dot(kernel.T),
                                   rtol=1e-5, atol=1e-5)


def test_gradient_ascent_on_the_input(backend):
    # Deep dream / filter visualisation: step the input along the gradient of an activation.
    K = backend
    model = _mlp()
    activation = K.mean(model.layers[0].output)
    grads = K.gradients(activation, model.input)[0]
    step = K.function([model.input], [activation, grads])
    image = np.random.RandomState(3).rand(1, 5).astype('float32')
    values = []
    for _ in range(4):
        value, grad = step([image])
        values.append(value)
        image = image + 0.1 * grad
    kernel, bias = model.layers[0].get_weights()[:2]
    expected = np.maximum(image.dot(kernel) + bias, 0).mean()
    np.testing.assert_allclose(step([image])[0], expected, rtol=1e-5)
    assert values[-1] > values[0]


def test_learning_rate_changes_take_effect(backend):
    K = backend
    calls = []
    inputs = Input(shape=(5,))
    layer = Dense(3)
    outputs = layer(_counting(K, calls)(inputs))
    target = K.placeholder(shape=(None, 3))
    loss = K.mean(K.square(outputs - target))
    optimizer = optimizers.SGD(lr=0.)
    train = K.function([inputs, target], [loss],
                       updates=optimizer.get_updates(loss, layer.trainable_weights))
    del calls[:]  # inferring the shapes ran the Lambda
    x, y = np.ones((4, 5), 'float32'), np.zeros((4, 3), 'float32')
    start = layer.get_weights()
    train([x, y])
    # One trace, in which the gradients trace the loss again.
    traced = list(calls)
    train([x, y])
    for before, after in zip(start, layer.get_weights()):
        np.testing.assert_array_equal(after, before)
    K.set_value(optimizer.lr, 0.1)
    train([x, y])
    kernel, bias = layer.get_weights()
    grad_bias = 2 * (x.dot(start[0]) + start[1]).mean(axis=0) / 3
    np.testing.assert_allclose(bias, start[1] - 0.1 * grad_bias, rtol=1e-5, atol=1e-6)
    if K.backend() == 'jax':
        assert calls == traced == [(4, 5), (4, 5)]


def test_one_trace_per_input_shape_and_phase(backend):
    K = backend
    if K.backend() != 'jax':
        pytest.skip('only the jax engine compiles K.function')
    calls = []
    inputs = Input(shape=(3,))
    outputs = Dropout(0.5)(Dense(3)(_counting(K, calls)(inputs)))
    predict = K.function([inputs, K.learning_phase()], [outputs])
    del calls[:]  # inferring the shapes ran the Lambda
    x = np.ones((2, 3), 'float32')
    first = predict([x, 0])[0]
    for _ in range(3):
        np.testing.assert_array_equal(predict([x, 0])[0], first)
    assert calls == [(2, 3)]
    predict([np.ones((5, 3), 'float32'), 0])
    predict([x, 1])
    predict([x, 1])
    predict([np.ones((5, 3), 'float32'), 0])
    assert calls == [(2, 3), (5, 3), (2, 3)]
    # Dropout draws a new mask at each call.
    masks = [predict([np.ones((64, 3), 'float32'), 1])[0] != 0 for _ in range(2)]
    assert (masks[0] != masks[1]).any()


def test_update_of_a_state_variable(backend):
    K = backend
    inputs = Input(shape=(2,))
    total = K.variable(np.zeros(2), name='total')
    add = K.function([inputs], [K.sum(inputs, axis=0) + total],
                     updates=[(total, total + K.sum(inputs, axis=0))])
    x = np.array([[1., 2.], [3., 4.]], 'float32')
    outputs = [add([x])[0] for _ in range(3)]
    np.testing.assert_allclose(outputs[-1], [12., 18.])
    np.testing.assert_allclose(K.get_value(total), [12., 18.])
    K.set_value(total, np.zeros(2))
    np.testing.assert_allclose(add([x])[0], [4., 6.])


def test_untraceable_function_runs_eagerly(backend, capsys):
    K = backend
    inputs = Input(shape=(3,))
    # Reads a value in Python: cannot be traced, so it runs eagerly every call.
    outputs = Lambda(lambda t: t * float(K.eval(K.max(t))))(inputs)
    outputs = K.print_tensor(outputs, message='scaled')
    f = K.function([inputs], [outputs])
    capsys.readouterr()  # what inferring the shapes printed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        for scale in (1., 2.):
            x = np.array([[1., 2., scale]], 'float32')
            np.testing.assert_allclose(f([x])[0], x * max(2., scale))
    assert capsys.readouterr().out.count('scaled') == 2
    fallbacks = [w for w in caught if 'runs eagerly' in str(w.message)]
    if K.backend() == 'jax':
        # Said once, with the reason, when the trace fails; not again at the next call.
        assert len(fallbacks) == 1, [str(w.message) for w in caught]
        assert 'could not be compiled' in str(fallbacks[0].message)
    else:
        assert not fallbacks  # the torch engine runs K.function eagerly anyway


def test_print_tensor_prints_at_each_call(backend, capsys):
    K = backend
    inputs = Input(shape=(2,))
    f = K.function([inputs], [K.print_tensor(inputs * 2, message='doubled')])
    capsys.readouterr()  # what inferring the shapes printed
    for value in (1., 3.):
        f([np.full((1, 2), value, 'float32')])
    out = capsys.readouterr().out
    assert out.count('doubled') == 2
    assert '[[2. 2.]]' in out and '[[6. 6.]]' in out


def test_outputs_of_a_model_input_and_predict_match(backend):
    K = backend
    model = _mlp()
    f = K.function([model.input, K.learning_phase()], [model.output, model.input])
    x, _ = _batches()
    for rows in (4, 7, 4):
        out, fed = f([x[:rows], 0])
        np.testing.assert_allclose(out, model.predict(x[:rows]), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(fed, x[:rows])
