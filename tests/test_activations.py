"""cornu.activations against NumPy reference formulas (Keras 2.2.4 semantics)."""
import warnings

import numpy as np
import pytest

from cornu import activations

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

X = np.array([[-3., -1., -0.25, 0., 0.5, 2., 4.]], dtype='float32')


def _np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_elu(x, alpha=1.):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


def _np_relu(x, alpha=0., max_value=None, threshold=0.):
    y = np.where(x > threshold, x, 0.)
    if max_value is not None:
        y = np.clip(y, 0., max_value)
    return y - alpha * np.maximum(threshold - x, 0.)


def _run(K, fn, x, **kwargs):
    return K.eval(fn(K.constant(x), **kwargs))


@pytest.mark.parametrize('name, reference', [
    ('elu', _np_elu),
    ('selu', lambda x: SELU_SCALE * _np_elu(x, SELU_ALPHA)),
    ('softplus', lambda x: np.log(np.exp(x) + 1.)),
    ('softsign', lambda x: x / (np.abs(x) + 1.)),
    ('relu', lambda x: np.maximum(x, 0.)),
    ('tanh', np.tanh),
    ('sigmoid', lambda x: 1. / (1. + np.exp(-x))),
    ('hard_sigmoid', lambda x: np.clip(0.2 * x + 0.5, 0., 1.)),
    ('exponential', np.exp),
    ('linear', lambda x: x),
])
def test_elementwise_activations(backend, name, reference):
    K = backend
    out = _run(K, getattr(activations, name), X)
    np.testing.assert_allclose(out, reference(X.astype('float64')), rtol=1e-5, atol=1e-6)


def test_elu_alpha_and_selu_constants(backend):
    K = backend
    np.testing.assert_allclose(_run(K, activations.elu, X, alpha=0.5), _np_elu(X, 0.5),
                               rtol=1e-5, atol=1e-6)
    # selu(-inf) -> -scale * alpha, selu(1) -> scale.
    out = _run(K, activations.selu, np.array([[-50., 1.]]))
    np.testing.assert_allclose(out, [[-SELU_SCALE * SELU_ALPHA, SELU_SCALE]], rtol=1e-6)


@pytest.mark.parametrize('name, scale, alpha', [
    ('elu', 1., 1.),
    ('selu', SELU_SCALE, SELU_ALPHA),
])
def test_elu_and_selu_float32_within_a_few_ulp_of_exact(backend, name, scale, alpha):
    # The negative branch is `scale * alpha * expm1(x)`: computed as `exp(x) - 1` in float32
    # it loses every digit near 0 (cancellation), so the reference is the exact value
    # rounded to float32 and the tolerance is counted in units in the last place. A float32
    # reference `(np.exp(x) - 1) * scale * alpha` is itself off by one or more ulp wherever
    # NumPy's vectorised float32 `exp` is (e.g. at x = -1), so it cannot serve at rtol=1e-7.
    K = backend
    x = -np.logspace(-6, 1, 200).astype('float32')
    out = _run(K, getattr(activations, name), x)
    exact = (scale * alpha * np.expm1(x.astype('float64'))).astype('float32')
    np.testing.assert_array_max_ulp(out, exact, maxulp=4)


@pytest.mark.parametrize('kwargs', [
    dict(alpha=0.1), dict(max_value=1.), dict(max_value=6.), dict(threshold=0.5),
    dict(alpha=0.2, max_value=2., threshold=0.5),
])
def test_relu_options(backend, kwargs):
    K = backend
    np.testing.assert_allclose(_run(K, activations.relu, X, **kwargs), _np_relu(X, **kwargs),
                               rtol=1e-5, atol=1e-6)


def test_softmax_2d_and_nd(backend):
    K = backend
    rng = np.random.RandomState(0)
    x2 = rng.randn(3, 5).astype('float32')
    np.testing.assert_allclose(_run(K, activations.softmax, x2), _np_softmax(x2), rtol=1e-5)
    x3 = rng.randn(2, 3, 4).astype('float32') * 10
    np.testing.assert_allclose(_run(K, activations.softmax, x3), _np_softmax(x3), rtol=1e-5)
    np.testing.assert_allclose(_run(K, activations.softmax, x3, axis=1),
                               _np_softmax(x3, axis=1), rtol=1e-5)
    # Stable for large logits.
    big = np.array([[1000., 1000.]], dtype='float32')
    np.testing.assert_allclose(_run(K, activations.softmax, big), [[0.5, 0.5]])


def test_softmax_rejects_1d(backend):
    K = backend
    with pytest.raises(ValueError, match='Cannot apply softmax to a tensor that is 1D'):
        activations.softmax(K.constant([1., 2.]))


def test_activations_accept_variables(backend):
    K = backend
    v = K.variable(X)
    np.testing.assert_allclose(K.eval(activations.relu(v)), np.maximum(X, 0.))


def test_serialize_deserialize_get(backend):
    for name in ('softmax', 'elu', 'selu', 'softplus', 'softsign', 'relu', 'tanh', 'sigmoid',
                 'hard_sigmoid', 'exponential', 'linear'):
        fn = getattr(activations, name)
        assert activations.serialize(fn) == name
        assert activations.deserialize(name) is fn
        assert activations.get(name) is fn
    assert activations.get(None) is activations.linear

    def custom(x):
        return x

    assert activations.get(custom) is custom
    assert activations.deserialize('custom', custom_objects={'custom': custom}) is custom


def test_unknown_activation_errors(backend):
    with pytest.raises(ValueError, match='^Unknown activation function: nope$'):
        activations.get('nope')
    # Module-level helpers are not activations.
    with pytest.raises(ValueError, match='Unknown activation function: K'):
        activations.get('K')
    with pytest.raises(ValueError, match='Could not interpret activation function identifier: 5'):
        activations.get(5)


def test_get_warns_for_layer_instances(backend):
    class FakeLayer(object):
        def __call__(self, x):
            return x

        def call(self, x):
            return x

        def compute_output_shape(self, shape):
            return shape

        def get_config(self):
            return {}

    layer = FakeLayer()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert activations.get(layer) is layer
    assert any('FakeLayer' in str(w.message) for w in caught)
