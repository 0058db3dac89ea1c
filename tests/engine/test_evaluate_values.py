"""The values `evaluate` returns: averaged as Keras 2 averaged them (each batch's value times
its size, summed in float64, divided by the number of samples), as Python floats, so that an
accuracy of 8608 right answers in 10000 prints `0.8608`."""
import numpy as np

from cornu.layers import Dense
from cornu.models import Sequential


def _classifier():
    """Softmax over the identity: predicts the class of the larger input."""
    model = Sequential([Dense(2, activation='softmax', input_dim=2)])
    model.set_weights([np.eye(2, dtype='float32'), np.zeros(2, dtype='float32')])
    model.compile('sgd', 'categorical_crossentropy', metrics=['accuracy'])
    return model


def _data(num_samples, num_right, seed=0):
    rng = np.random.RandomState(seed)
    x = np.eye(2, dtype='float32')[rng.randint(0, 2, num_samples)]
    wrong = rng.permutation(num_samples)[:num_samples - num_right]
    y = x.copy()
    y[wrong] = 1. - y[wrong]
    return x, y


def _keras2_average(batch_values, sizes):
    """Keras 2.2.4's test loop: float32 batch values times sizes, summed, over the samples."""
    total = 0.
    for value, size in zip(batch_values, sizes):
        total += np.float64(np.float32(value)) * size
    return total / sum(sizes)


def test_evaluate_prints_an_accuracy_as_keras_2_did():
    x, y = _data(10000, 8608)
    loss, acc = _classifier().evaluate(x, y, batch_size=128, verbose=0)
    assert type(acc) is float and type(loss) is float
    assert repr(acc) == '0.8608'
    assert repr([round(loss, 3), acc]) == '[%r, 0.8608]' % round(loss, 3)


def test_evaluate_loss_and_accuracy_against_numpy():
    x, y = _data(1000, 777, seed=1)
    model = _classifier()
    loss, acc = model.evaluate(x, y, batch_size=96, verbose=0)
    logits = x.astype(np.float64)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    sample_losses = -np.log((probabilities * y).sum(axis=1))
    right = (probabilities.argmax(1) == y.argmax(1)).astype(np.float64)
    sizes = [96] * 10 + [40]
    starts = np.cumsum([0] + sizes[:-1])
    batch_losses = [sample_losses[s:s + n].mean() for s, n in zip(starts, sizes)]
    batch_accs = [right[s:s + n].mean() for s, n in zip(starts, sizes)]
    np.testing.assert_allclose(loss, _keras2_average(batch_losses, sizes), rtol=1e-6)
    assert acc == _keras2_average(batch_accs, sizes)
    # One batch: its float32 value, as Keras 2 returned it.
    assert model.evaluate(x, y, batch_size=1000, verbose=0)[1] == float(np.float32(0.777))
