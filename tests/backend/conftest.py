"""Shared references of the backend tests."""
import numpy as np
import pytest


def numpy_gate(name):
    """Keras 2.2.4's recurrent activation `name` ('hard_sigmoid' or 'sigmoid') in NumPy."""
    if name == 'hard_sigmoid':
        return lambda x: np.clip(0.2 * x + 0.5, 0., 1.)
    return lambda x: 1. / (1. + np.exp(-x))


def _numpy_lstm(projected, h, c, kernel, activation, mask=None, go_backwards=False,
                recurrent_masks=None):
    """Keras 2.2.4's LSTM step loop over `projected = x @ W + b` (gates i, f, c, o): a
    masked step keeps the states and repeats the previous output; with `recurrent_masks`
    (one mask for all gates, or one per gate) gate k's recurrent product is
    `(h * recurrent_masks[k]) @ kernel[:, k-th block]`. Returns `(outputs, h, c)`, outputs
    in processing order."""
    gate = numpy_gate(activation)
    units = h.shape[1]
    steps = range(projected.shape[1])
    outputs = []
    for t in (steps[::-1] if go_backwards else steps):
        if recurrent_masks is None:
            z = projected[:, t] + h @ kernel
        else:
            z = projected[:, t] + np.concatenate(
                [(h * recurrent_masks[k % len(recurrent_masks)]) @
                 kernel[:, k * units:(k + 1) * units] for k in range(4)], 1)
        i, f = gate(z[:, :units]), gate(z[:, units:2 * units])
        g, o = np.tanh(z[:, 2 * units:3 * units]), gate(z[:, 3 * units:])
        new_c = f * c + i * g
        new_h = o * np.tanh(new_c)
        if mask is not None:
            keep = mask[:, t][:, None]
            new_h, new_c = np.where(keep, new_h, h), np.where(keep, new_c, c)
        h, c = new_h, new_c
        outputs.append(h)
    return np.stack(outputs, 1), h, c


@pytest.fixture
def numpy_lstm():
    """The NumPy reference of the LSTM recurrence (see `_numpy_lstm`)."""
    return _numpy_lstm
