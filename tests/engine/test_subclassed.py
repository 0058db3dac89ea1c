"""Subclassed models (layers made in `__init__`, a `call` method), as Keras 2.2.4 documents
them: compile before any data, then fit, evaluate, predict, `*_on_batch`, weights saved and
loaded, a summary once called; no configuration."""
import numpy as np
import pytest

from cornu import optimizers
from cornu.layers import Dense, Dropout, Input, concatenate
from cornu.models import Model


class MLP(Model):
    def __init__(self, hidden=6, classes=3):
        super(MLP, self).__init__()
        self.dense1 = Dense(hidden, activation='relu')
        self.dropout = Dropout(0.5)
        self.dense2 = Dense(classes, activation='softmax')

    def call(self, inputs, training=None):
        return self.dense2(self.dropout(self.dense1(inputs), training=training))


class Linear(Model):
    def __init__(self):
        super(Linear, self).__init__(name='linear')
        self.out = Dense(2)

    def call(self, inputs):
        return self.out(inputs)


class TwoInputs(Model):
    def __init__(self):
        super(TwoInputs, self).__init__()
        self.first = Dense(3)
        self.second = Dense(2)

    def call(self, inputs):
        a, b = inputs
        return [self.first(a), self.second(concatenate([a, b]))]


def _mlp_forward(x, weights):
    kernel1, bias1, kernel2, bias2 = weights
    hidden = np.maximum(x @ kernel1 + bias1, 0.)
    logits = hidden @ kernel2 + bias2
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def _data(rows=32, features=5, classes=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.rand(rows, features).astype('float32')
    y = np.eye(classes)[rng.randint(0, classes, rows)].astype('float32')
    return x, y


def test_compile_fit_evaluate_predict(backend):
    x, y = _data()
    model = MLP()
    model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['acc'])
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert sorted(history.history) == ['acc', 'loss']
    assert model.metrics_names == ['loss', 'acc']
    # The layers are the attributes, in the order they were set.
    assert [layer.name for layer in model.layers] == ['dense_1', 'dropout_1', 'dense_2']
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(5, 6), (6,), (6, 3), (3,)]

    expected = _mlp_forward(x, weights)
    np.testing.assert_allclose(model.predict(x, batch_size=8), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x), expected, rtol=1e-5, atol=1e-6)
    loss, acc = model.evaluate(x, y, batch_size=32, verbose=0)
    np.testing.assert_allclose(loss, -np.mean(np.sum(y * np.log(expected), axis=1)),
                               rtol=1e-4)
    np.testing.assert_allclose(acc, np.mean(expected.argmax(1) == y.argmax(1)), rtol=1e-6)
    test_loss, test_acc = model.test_on_batch(x, y)
    np.testing.assert_allclose([test_loss, test_acc], [loss, acc], rtol=1e-4)


def test_train_on_batch_is_one_sgd_step(backend):
    x, _ = _data(rows=4, features=3)
    y = np.arange(8, dtype='float32').reshape(4, 2) / 8.
    model = Linear()
    model.compile(optimizer=optimizers.SGD(lr=0.1), loss='mse')
    loss = model.train_on_batch(x, y)
    # The first call built the model; the weights now are those after the step.
    kernel, bias = model.get_weights()
    assert model.output_names == ['output_1']
    assert model.input_names == ['input_1']

    # Undo the step in NumPy: the step was taken from the weights before it.
    model2 = Linear()
    model2.compile(optimizer=optimizers.SGD(lr=0.1), loss='mse')
    model2.predict(x)
    kernel0, bias0 = np.random.RandomState(1).rand(3, 2), np.zeros(2)
    model2.set_weights([kernel0, bias0])
    loss2 = model2.train_on_batch(x, y)
    error = x @ kernel0 + bias0 - y
    np.testing.assert_allclose(loss2, np.mean(error ** 2), rtol=1e-5)
    grad_out = 2. * error / error.size
    new_kernel, new_bias = model2.get_weights()
    np.testing.assert_allclose(new_kernel, kernel0 - 0.1 * x.T @ grad_out, rtol=1e-5)
    np.testing.assert_allclose(new_bias, bias0 - 0.1 * grad_out.sum(0), rtol=1e-5, atol=1e-7)
    assert np.isfinite(loss) and kernel.shape == (3, 2) and bias.shape == (2,)


def test_save_weights_and_load_weights(backend, tmp_path):
    pytest.importorskip('h5py')
    x, y = _data()
    model = MLP()
    model.compile(optimizer='sgd', loss='categorical_crossentropy')
    model.fit(x, y, epochs=1, verbose=0)
    path = str(tmp_path / 'mlp.h5')
    model.save_weights(path)

    other = MLP()
    other.compile(optimizer='sgd', loss='categorical_crossentropy')
    other.predict(x[:1])  # builds it
    other.load_weights(path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(other.predict(x), model.predict(x), rtol=1e-6)


def test_no_configuration(backend, tmp_path):
    x, y = _data()
    model = MLP()
    model.compile(optimizer='sgd', loss='categorical_crossentropy')
    with pytest.raises(NotImplementedError, match='subclassed model'):
        model.get_config()
    model.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(NotImplementedError, match='subclassed model'):
        model.get_config()
    path = tmp_path / 'mlp.h5'
    with pytest.raises(NotImplementedError, match='save_weights'):
        model.save(str(path))
    assert not path.exists()


def test_summary(backend):
    model = MLP()
    with pytest.raises(ValueError, match='^This model has not yet been built. Build the model '
                       'first by calling build'):
        model.summary()
    x, _ = _data(rows=4)
    model(backend.constant(x))  # called eagerly: layers built, no graph yet
    lines = []
    model.summary(print_fn=lines.append)
    assert lines[3].split() == ['dense_1', '(Dense)', 'multiple', str(5 * 6 + 6)]
    assert 'Total params: {:,}'.format(5 * 6 + 6 + 6 * 3 + 3) in lines

    model.predict(x)
    lines = []
    model.summary(print_fn=lines.append)
    assert lines[3].split() == ['dense_1', '(Dense)', '(None,', '6)', str(5 * 6 + 6)]


def test_called_on_symbolic_tensors_inside_a_functional_model(backend):
    x, y = _data()
    inputs = Input(shape=(5,))
    subclassed = MLP()
    outputs = subclassed(inputs)
    assert outputs._keras_shape == (None, 3)
    model = Model(inputs, outputs)
    model.compile(optimizer='sgd', loss='categorical_crossentropy')
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_allclose(model.predict(x), _mlp_forward(x, subclassed.get_weights()),
                               rtol=1e-5, atol=1e-6)


def test_several_inputs_and_outputs(backend):
    rng = np.random.RandomState(3)
    a, b = rng.rand(10, 4).astype('float32'), rng.rand(10, 2).astype('float32')
    model = TwoInputs()
    model.compile(optimizer='sgd', loss='mse')
    history = model.fit([a, b], [np.zeros((10, 3)), np.zeros((10, 2))], epochs=1, verbose=0)
    assert model.metrics_names == ['loss', 'output_1_loss', 'output_2_loss']
    assert sorted(history.history) == ['loss', 'output_1_loss', 'output_2_loss']
    first_kernel, first_bias, second_kernel, second_bias = model.get_weights()
    out1, out2 = model.predict([a, b])
    np.testing.assert_allclose(out1, a @ first_kernel + first_bias, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out2, np.concatenate([a, b], 1) @ second_kernel + second_bias,
                               rtol=1e-5, atol=1e-6)


def test_set_inputs_gives_a_subclassed_model_its_inputs(backend):
    model = MLP()
    x = np.random.rand(4, 5).astype('float32')
    model._set_inputs(x)
    assert [backend.int_shape(t) for t in model.inputs] == [(None, 5)]
    assert [backend.int_shape(t) for t in model.outputs] == [(None, 3)]
    with pytest.raises(ValueError, match='already set'):
        model._set_inputs(x)
