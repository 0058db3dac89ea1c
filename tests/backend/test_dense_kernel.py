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



def test_dense_gradients_of_a_wide_layer_match_numpy():
    # 1024 x 256 kernel entries: on torch, CPU training runs this product through oneDNN. Its
    # input comes from a narrow product, whose kernel gradient needs the input gradient.
    rng = np.random.RandomState(3)
    x, first = rng.randn(64, 16).astype(np.float32), rng.randn(16, 1024).astype(np.float32)
    _, w, b = _problem(64, 1024, 256, seed=4)
    weights = rng.randn(64, 256).astype(np.float32)
    first_kernel, kernel, bias = K.variable(first), K.variable(w), K.variable(b)
    inputs = K.placeholder(shape=(64, 16))
    output = kernels.dense(kernels.dense(inputs, first_kernel), kernel, bias)
    loss = K.sum(output * K.constant(weights))
    d_first_op = K.gradients(loss, [first_kernel])[0]
    # A gradient of a gradient: the first kernel gradient's squared norm, by kernel.
    penalty = K.gradients(K.sum(K.square(d_first_op)), [kernel])[0]
    got = K.function([inputs], [output] + K.gradients(loss, [first_kernel, kernel, bias]) +
                     [penalty])([x])
    value, d_first, d_kernel, d_bias, d_penalty = got
    hidden = x.astype(np.float64) @ first
    outer = x.T.astype(np.float64) @ weights
    expected_d_first = outer @ w.T
    for name, value, reference in [
            ('output', value, hidden @ w + b), ('first kernel grad', d_first, expected_d_first),
            ('kernel grad', d_kernel, hidden.T @ weights),
            ('bias grad', d_bias, weights.sum(axis=0)),
            ('penalty grad', d_penalty, 2 * expected_d_first.T @ outer)]:
        scale = np.abs(reference).max()
        np.testing.assert_allclose(value, reference, rtol=1e-4, atol=1e-5 * scale,
                                   err_msg=name)
