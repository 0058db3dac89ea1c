"""Exactly one-hot targets of a fused softmax crossentropy, read as class indices.

Where an output's loss is the crossentropy fused with its softmax and its metrics are all the
categorical accuracy, `fit` and `evaluate` may hand the step the class indices of one-hot
targets instead of the rows (`kernels.one_hot_class_indices`, on the engines that use it).
The tests check the numbers against NumPy and against the same run on the one-hot rows, and
that soft labels, sample weights and other metrics keep the rows.
"""
import numpy as np
import pytest

from cornu import backend as K
from cornu.backend import kernels
from cornu.engine import training_arrays
from cornu.layers import Dense
from cornu.models import Sequential


def _one_hot(labels, classes):
    return np.eye(classes, dtype='float32')[labels]


def _reads_indices():
    """Whether the engine under test reads one-hot targets as class indices."""
    return kernels.one_hot_class_indices(np.eye(2, dtype='float32')) is not None


def test_class_indices_of_exactly_one_hot_rows_only():
    labels = np.array([2, 0, 1, 1, 3])
    found = kernels.one_hot_class_indices(_one_hot(labels, 4))
    if not _reads_indices():
        assert found is None
        return
    np.testing.assert_array_equal(K.eval(found), labels)
    soft = _one_hot(labels, 4) * 0.9 + 0.025
    two_ones = _one_hot(labels, 4)
    two_ones[1, 3] = 1.
    empty_row = _one_hot(labels, 4)
    empty_row[2] = 0.
    with_nan = _one_hot(labels, 4)
    with_nan[0, 0] = np.nan
    with_negative = _one_hot(labels, 4)
    with_negative[4, 0] = -1.
    with_two = _one_hot(labels, 4) * 2.
    for rows in (soft, two_ones, empty_row, with_nan, with_negative, with_two,
                 labels.astype('float32'), _one_hot(labels, 4).astype('int32')):
        assert kernels.one_hot_class_indices(rows) is None


def test_batch_means_take_class_indices():
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 5, 16)
    logits = rng.randn(16, 5).astype('float32')
    # Ties in the predictions: `argmax` picks the first, in either form.
    logits[3] = logits[3, 0]
    probabilities = np.exp(logits - logits.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    indices = K.constant(labels, dtype='int64')
    rows = K.constant(_one_hot(labels, 5))
    accuracy = K.eval(kernels.mean_categorical_accuracy(indices, K.constant(probabilities)))
    expected = np.mean(labels == np.argmax(probabilities, -1))
    assert float(accuracy) == pytest.approx(expected, abs=0)
    assert float(accuracy) == float(K.eval(
        kernels.mean_categorical_accuracy(rows, K.constant(probabilities))))
    loss = float(K.eval(kernels.mean_crossentropy_from_logits(indices, K.constant(logits))))
    shifted = logits.astype('float64') - logits.max(-1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    assert loss == pytest.approx(-np.mean(log_probabilities[np.arange(16), labels]), rel=1e-6)
    assert loss == pytest.approx(float(K.eval(
        kernels.mean_crossentropy_from_logits(rows, K.constant(logits)))), rel=1e-6)


def _model(metrics=('accuracy',)):
    model = Sequential([Dense(6, activation='relu', input_shape=(4,)),
                        Dense(3, activation='softmax')])
    model.compile('sgd', 'categorical_crossentropy', metrics=list(metrics))
    rng = np.random.RandomState(3)
    model.set_weights([rng.randn(*w.shape).astype('float32') * 0.5
                       for w in model.get_weights()])
    return model


def _data():
    rng = np.random.RandomState(4)
    x = rng.randn(40, 4).astype('float32')
    return x, _one_hot(rng.randint(0, 3, 40), 3)


def _fit_and_evaluate(monkeypatch, as_rows):
    if as_rows:
        monkeypatch.setattr(kernels, 'one_hot_class_indices', lambda targets: None)
    model = _model()
    x, y = _data()
    np.random.seed(5)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    evaluated = model.evaluate(x, y, batch_size=16, verbose=0)
    return (history.history, evaluated, model.get_weights(),
            [K.get_value(w) for w in model.optimizer.weights])


def test_fit_on_class_indices_gives_the_numbers_of_the_rows(monkeypatch):
    history, evaluated, weights, slots = _fit_and_evaluate(monkeypatch, as_rows=False)
    row_history, row_evaluated, row_weights, row_slots = _fit_and_evaluate(monkeypatch,
                                                                          as_rows=True)
    # The same gradients: identical weights and optimizer slots.
    for got, expected in zip(weights + slots, row_weights + row_slots):
        np.testing.assert_array_equal(got, expected)
    assert history['acc'] == row_history['acc']
    np.testing.assert_allclose(history['loss'], row_history['loss'], rtol=1e-6)
    assert evaluated[1] == row_evaluated[1]
    np.testing.assert_allclose(evaluated[0], row_evaluated[0], rtol=1e-6)


def test_one_step_against_numpy():
    model = Sequential([Dense(3, activation='softmax', input_shape=(4,))])
    model.compile('sgd', 'categorical_crossentropy', metrics=['accuracy'])
    rng = np.random.RandomState(6)
    kernel = rng.randn(4, 3).astype('float32')
    bias = rng.randn(3).astype('float32')
    model.set_weights([kernel, bias])
    x = rng.randn(8, 4).astype('float32')
    labels = rng.randint(0, 3, 8)
    history = model.fit(x, _one_hot(labels, 3), batch_size=8, epochs=1, verbose=0,
                        shuffle=False)
    logits = x.astype('float64') @ kernel + bias
    probabilities = np.exp(logits - logits.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    loss = -np.mean(np.log(probabilities[np.arange(8), labels]))
    accuracy = np.mean(np.argmax(probabilities, -1) == labels)
    assert history.history['loss'][0] == pytest.approx(loss, rel=1e-5)
    assert history.history['acc'][0] == pytest.approx(accuracy, abs=0)
    step = (probabilities - _one_hot(labels, 3)) / 8.
    new_kernel, new_bias = model.get_weights()
    np.testing.assert_allclose(new_kernel, kernel - 0.01 * x.T @ step, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(new_bias, bias - 0.01 * step.sum(0), rtol=1e-5, atol=1e-7)


def _targets_read(model, y, weights=None):
    """The targets the steps of `model` read from `fit`'s arrays `y`."""
    x = np.zeros((len(y), 4), 'float32')
    data = training_arrays.ArrayBatches([x], [y], [weights], ['float32'], ['float32'])
    return data.class_index_targets(model._trainer._index_outputs)


def test_which_targets_are_read_as_class_indices():
    x, y = _data()
    model = _model()
    assert model._trainer._index_outputs == (0,)
    read = _targets_read(model, y)
    if _reads_indices():
        np.testing.assert_array_equal(K.eval(read[0]), np.argmax(y, -1))
    else:
        assert read is None
    # Soft labels and sample weights keep their rows.
    assert _targets_read(model, y * 0.9 + 0.05) is None
    assert _targets_read(model, y, weights=np.ones(len(y), 'float32')) is None
    # A metric that reads the rows, or a loss without the fused kernel, keeps them too.
    assert _model(metrics=('accuracy', 'mse'))._trainer._index_outputs == ()
    plain = Sequential([Dense(3, activation='softmax', input_shape=(4,))])
    plain.compile('sgd', 'mse', metrics=['accuracy'])
    assert plain._trainer._index_outputs == ()
