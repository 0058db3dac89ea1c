"""`fit` of a small recurrent classifier against a NumPy replay of Keras 2.2.4's formulas:
the SimpleRNN forward pass, softmax, categorical crossentropy (clipped at epsilon), the
gradient through time and RMSprop's update, with the batch-averaged loss and accuracy that
the history logs. Given the same initial weights and batch order, the two must agree."""
import numpy as np

from cornu import layers
from cornu.models import Model

EPSILON = 1e-7


def _classification_data(samples, timesteps, features):
    """Sequences whose values are drawn around their class (0 or 1)."""
    labels = np.random.randint(0, 2, size=(samples,))
    x = np.random.normal(loc=labels[:, None, None].astype('float64'), scale=0.7,
                         size=(samples, timesteps, features)).astype('float32')
    return x, np.eye(2, dtype='float32')[labels]


def _np_fit(weights, x, y, epochs, batch_size, lr=1e-3, rho=0.9):
    """Keras 2.2.4's training of SimpleRNN(tanh) -> Dense(softmax) with RMSprop, unshuffled."""
    weights = [w.astype('float64') for w in weights]
    accumulators = [np.zeros_like(w) for w in weights]
    history = {'loss': [], 'acc': []}
    for _ in range(epochs):
        losses, accuracies, sizes = [], [], []
        for start in range(0, len(x), batch_size):
            kernel, recurrent, bias, dense_kernel, dense_bias = weights
            xb, yb = x[start:start + batch_size].astype('float64'), y[start:start + batch_size]
            count = len(xb)
            states = [np.zeros((count, recurrent.shape[0]))]
            for t in range(xb.shape[1]):
                states.append(np.tanh(xb[:, t] @ kernel + states[-1] @ recurrent + bias))
            logits = states[-1] @ dense_kernel + dense_bias
            probs = np.exp(logits - logits.max(1, keepdims=True))
            probs /= probs.sum(1, keepdims=True)
            clipped = np.clip(probs, EPSILON, 1 - EPSILON)
            losses.append(np.mean(-np.sum(yb * np.log(clipped), axis=1)))
            accuracies.append(np.mean(probs.argmax(1) == yb.argmax(1)))
            sizes.append(count)

            d_logits = (probs - yb) / count
            grads = [np.zeros_like(kernel), np.zeros_like(recurrent), np.zeros_like(bias),
                     states[-1].T @ d_logits, d_logits.sum(0)]
            d_state = d_logits @ dense_kernel.T
            for t in range(xb.shape[1], 0, -1):
                d_pre = d_state * (1 - states[t] ** 2)
                grads[0] += xb[:, t - 1].T @ d_pre
                grads[1] += states[t - 1].T @ d_pre
                grads[2] += d_pre.sum(0)
                d_state = d_pre @ recurrent.T
            for i, grad in enumerate(grads):
                accumulators[i] = rho * accumulators[i] + (1 - rho) * grad ** 2
                weights[i] = weights[i] - lr * grad / (np.sqrt(accumulators[i]) + EPSILON)
        history['loss'].append(np.average(losses, weights=sizes))
        history['acc'].append(np.average(accuracies, weights=sizes))
    return history, weights


def test_fit_of_a_recurrent_classifier_follows_keras2_formulas(backend):
    x, y = _classification_data(60, 3, 4)
    inputs = layers.Input(shape=(3, 4))
    outputs = layers.Dense(2, activation='softmax')(layers.SimpleRNN(8)(inputs))
    model = Model(inputs, outputs)
    model.compile(loss='categorical_crossentropy', optimizer='rmsprop', metrics=['accuracy'])
    expected_history, expected_weights = _np_fit(model.get_weights(), x, y, epochs=3,
                                                 batch_size=10)
    history = model.fit(x, y, epochs=3, batch_size=10, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history['loss'], expected_history['loss'], rtol=1e-4)
    np.testing.assert_allclose(history['acc'], expected_history['acc'], atol=1e-6)
    for got, expected in zip(model.get_weights(), expected_weights):
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-5)
