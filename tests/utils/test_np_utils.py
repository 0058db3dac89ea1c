"""cornu.utils.np_utils against NumPy reference formulas (Keras 2.2.4 semantics)."""
import numpy as np
import pytest

from cornu import utils
from cornu.utils.np_utils import normalize, to_categorical


def _one_hot(labels, num_classes):
    return np.eye(num_classes, dtype='float32')[np.asarray(labels)]


def test_to_categorical_vector():
    y = np.array([0, 2, 1, 2, 0])
    out = to_categorical(y)
    assert out.dtype == np.float32 and out.shape == (5, 3)
    np.testing.assert_array_equal(out, _one_hot(y, 3))
    np.testing.assert_array_equal(to_categorical(y, num_classes=5), _one_hot(y, 5))
    np.testing.assert_array_equal(to_categorical([1, 0]), _one_hot([1, 0], 2))  # lists


def test_to_categorical_column_and_nd_inputs():
    y = np.array([[1], [0], [3]])  # (n, 1): the trailing 1 is dropped
    np.testing.assert_array_equal(to_categorical(y, 4), _one_hot([1, 0, 3], 4))
    y = np.random.randint(0, 4, size=(2, 3, 5))
    out = to_categorical(y, 4)
    assert out.shape == (2, 3, 5, 4)
    np.testing.assert_array_equal(out, _one_hot(y, 4))
    y = np.random.randint(0, 3, size=(2, 3, 1))
    assert to_categorical(y, 3).shape == (2, 3, 3)
    assert to_categorical(np.array([[2]]), 3).shape == (1, 3)
    assert to_categorical(np.array([1]), 3).shape == (1, 3)


def test_to_categorical_dtype_and_float_labels():
    out = to_categorical([0., 1., 2.], dtype='int8')
    assert out.dtype == np.int8
    np.testing.assert_array_equal(out, np.eye(3, dtype='int8'))
    assert utils.to_categorical is to_categorical


@pytest.mark.parametrize('axis,order', [(-1, 2), (0, 2), (1, 1), (-1, np.inf)])
def test_normalize_matches_formula(axis, order):
    x = np.random.randn(4, 5)
    norms = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    np.testing.assert_allclose(normalize(x, axis=axis, order=order), x / norms, rtol=1e-12)


def test_normalize_leaves_zero_rows_and_vectors():
    x = np.array([[3., 4.], [0., 0.]])
    np.testing.assert_allclose(normalize(x), [[0.6, 0.8], [0., 0.]])
    np.testing.assert_allclose(normalize(np.array([3., 4.])), [[0.6, 0.8]])
    x3 = np.random.randn(2, 3, 4)
    expected = x3 / np.linalg.norm(x3, axis=1, keepdims=True)
    np.testing.assert_allclose(normalize(x3, axis=1), expected)
    assert utils.normalize is normalize
