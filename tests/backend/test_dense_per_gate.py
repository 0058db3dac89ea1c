"""`kernels.dense_per_gate` (a recurrent cell's input projection with one input mask per gate,
Keras 2's `implementation=1` input dropout) against NumPy: outputs, and the gradients into
the inputs, kernel and bias (exact: the projection is linear in each of them)."""
import numpy as np
import pytest

from cornu.backend import kernels


def _problem(seed, shape, gates=4, units=3):
    rng = np.random.RandomState(seed)
    inputs = rng.randn(*shape)
    mask_shape = (shape[0], 1, shape[-1]) if len(shape) == 3 else shape
    # Dropout masks: zeros and the kept inputs' scale.
    masks = [(rng.rand(*mask_shape) > 0.3) / 0.7 for _ in range(gates)]
    return inputs, masks, rng.randn(shape[-1], gates * units), rng.randn(gates * units)


def _np_projection(inputs, masks, kernel, bias):
    units = kernel.shape[1] // len(masks)
    return np.concatenate([(inputs * m) @ kernel[:, g * units:(g + 1) * units]
                           for g, m in enumerate(masks)], axis=-1) + bias


def _np_gradients(inputs, masks, kernel, weights):
    """The gradients of `sum(projection * weights)` into inputs, kernel and bias."""
    units = kernel.shape[1] // len(masks)
    d_inputs = np.zeros_like(inputs)
    d_kernel = np.zeros_like(kernel)
    rows = inputs.reshape(-1, inputs.shape[-1])
    for g, m in enumerate(masks):
        block = slice(g * units, (g + 1) * units)
        d_inputs += (weights[..., block] @ kernel[:, block].T) * m
        masked = (inputs * m).reshape(-1, inputs.shape[-1])
        d_kernel[:, block] = masked.T @ weights[..., block].reshape(len(rows), -1)
    d_bias = weights.reshape(-1, kernel.shape[1]).sum(axis=0)
    return d_inputs, d_kernel, d_bias


@pytest.mark.parametrize('shape', [(3, 5, 4), (3, 4)], ids=['sequence', 'step'])
@pytest.mark.parametrize('gates', [4, 3])
def test_outputs_and_gradients_match_numpy(backend, shape, gates):
    K = backend
    inputs, masks, kernel, bias = _problem(0, shape, gates)
    weights = np.random.RandomState(1).randn(*(shape[:-1] + (kernel.shape[1],)))
    placeholders = [K.placeholder(shape=a.shape, dtype='float64')
                    for a in (inputs, kernel, bias)]
    out = kernels.dense_per_gate(placeholders[0], [K.constant(m, 'float64') for m in masks],
                                 placeholders[1], placeholders[2])
    loss = K.sum(out * K.constant(weights, 'float64'))
    got = K.function(placeholders, [out] + K.gradients(loss, placeholders))(
        [inputs, kernel, bias])
    np.testing.assert_allclose(got[0], _np_projection(inputs, masks, kernel, bias),
                               rtol=1e-10, atol=1e-10)
    for a, b in zip(got[1:], _np_gradients(inputs, masks, kernel, weights)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_float32_sequence_matches_numpy(backend):
    K = backend
    inputs, masks, kernel, bias = [
        [m.astype(np.float32) for m in a] if isinstance(a, list) else a.astype(np.float32)
        for a in _problem(2, (4, 6, 5))]
    with kernels.no_grad():
        got = kernels.dense_per_gate(K.constant(inputs), [K.constant(m) for m in masks],
                                     K.constant(kernel), K.constant(bias))
    np.testing.assert_allclose(kernels.to_numpy(got),
                               _np_projection(inputs, masks, kernel, bias),
                               rtol=1e-5, atol=1e-5)
