"""`kernels.dense` against NumPy across output widths, with and without a bias, with and
without gradients: the narrow outputs of a classifier's last layer (2 to 15 units), which
inference on torch computes as a transposed product, and the widths around them."""
import numpy as np
import pytest

from cornu import backend as K
from cornu.backend import kernels


def _problem(rows, inputs, units, seed=0):
    rng = np.random.RandomState(seed)
    return (rng.randn(rows, inputs).astype(np.float32),
            rng.randn(inputs, units).astype(np.float32),
            rng.randn(units).astype(np.float32))


@pytest.mark.parametrize('with_bias', [True, False], ids=['bias', 'no-bias'])
@pytest.mark.parametrize('rows,inputs,units', [(128, 512, 10), (128, 128, 2), (256, 64, 15),
                                               (128, 512, 1), (128, 512, 16), (4, 8, 10)])
def test_dense_inference_matches_numpy(rows, inputs, units, with_bias):
    x, w, b = _problem(rows, inputs, units)
    with kernels.no_grad():
        got = kernels.dense(K.constant(x), K.variable(w), K.variable(b) if with_bias else None)
    value = K.get_value(got) if not isinstance(got, np.ndarray) else got
    expected = x.astype(np.float64) @ w + (b if with_bias else 0.)
    assert value.shape == (rows, units)
    np.testing.assert_allclose(value, expected, rtol=1e-4, atol=1e-4 * np.sqrt(inputs))
    # Row-major, as a plain product's result: reshaping it is a view.
    assert np.array_equal(K.get_value(K.reshape(got, (-1,))), value.reshape(-1))


@pytest.mark.parametrize('units', [10, 16])
def test_dense_gradients_of_a_narrow_output_match_numpy(units):
    x, w, b = _problem(128, 128, units, seed=1)
    weights = np.random.RandomState(2).randn(128, units).astype(np.float32)
    kernel, bias = K.variable(w), K.variable(b)
    inputs = K.placeholder(shape=(128, 128))
    loss = K.sum(kernels.dense(inputs, kernel, bias) * K.constant(weights))
    outputs = K.function([inputs], [kernels.dense(inputs, kernel, bias)] +
                         K.gradients(loss, [inputs, kernel, bias]))([x])
    value, d_inputs, d_kernel, d_bias = outputs
    np.testing.assert_allclose(value, x.astype(np.float64) @ w + b, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(d_inputs, weights @ w.T, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(d_kernel, x.T @ weights, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(d_bias, weights.sum(axis=0), rtol=1e-4, atol=1e-4)
