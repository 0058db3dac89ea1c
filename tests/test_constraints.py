"""cornu.constraints: the Keras 2.2.4 formulas exactly, written out in NumPy."""
import numpy as np
import pytest

from cornu import constraints

RNG = np.random.RandomState(0)
W2 = (RNG.randn(4, 3) * 2).astype('float32')
W4 = (RNG.randn(2, 2, 3, 4) * 2).astype('float32')


def _norms(w, axis):
    axis = tuple(axis) if isinstance(axis, list) else axis
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


def _apply(K, constraint, w):
    variable = K.variable(w)
    out = K.eval(constraint(variable))
    # Constraints return new values; the variable itself is left alone.
    np.testing.assert_array_equal(K.eval(variable), w)
    return out


@pytest.mark.parametrize('w, axis', [(W2, 0), (W2, 1), (W4, [0, 1, 2])])
def test_max_norm(backend, w, axis):
    K = backend
    norms = _norms(w, axis)
    expected = w * (np.clip(norms, 0, 2.) / (K.epsilon() + norms))
    np.testing.assert_allclose(_apply(K, constraints.MaxNorm(2., axis=axis), w), expected,
                               rtol=1e-5, atol=1e-7)


def test_non_neg(backend):
    K = backend
    np.testing.assert_array_equal(_apply(K, constraints.NonNeg(), W2),
                                  W2 * (W2 >= 0).astype('float32'))


@pytest.mark.parametrize('w, axis', [(W2, 0), (W4, [0, 1, 2])])
def test_unit_norm(backend, w, axis):
    K = backend
    expected = w / (K.epsilon() + _norms(w, axis))
    np.testing.assert_allclose(_apply(K, constraints.UnitNorm(axis=axis), w), expected,
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize('rate', [1., 0.5])
def test_min_max_norm(backend, rate):
    K = backend
    norms = _norms(W2, 0)
    desired = rate * np.clip(norms, 2., 3.) + (1 - rate) * norms
    expected = W2 * (desired / (K.epsilon() + norms))
    out = _apply(K, constraints.MinMaxNorm(min_value=2., max_value=3., rate=rate), W2)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-7)


def test_base_constraint_is_identity(backend):
    K = backend
    np.testing.assert_array_equal(_apply(K, constraints.Constraint(), W2), W2)


def test_aliases(backend):
    assert constraints.max_norm is constraints.maxnorm is constraints.MaxNorm
    assert constraints.non_neg is constraints.nonneg is constraints.NonNeg
    assert constraints.unit_norm is constraints.unitnorm is constraints.UnitNorm
    assert constraints.min_max_norm is constraints.MinMaxNorm
    for name, cls in [('max_norm', constraints.MaxNorm), ('maxnorm', constraints.MaxNorm),
                      ('non_neg', constraints.NonNeg), ('nonneg', constraints.NonNeg),
                      ('unit_norm', constraints.UnitNorm), ('unitnorm', constraints.UnitNorm),
                      ('min_max_norm', constraints.MinMaxNorm), ('MaxNorm', constraints.MaxNorm)]:
        assert type(constraints.get(name)) is cls
    assert constraints.get('max_norm').get_config() == {'max_value': 2, 'axis': 0}


@pytest.mark.parametrize('constraint', [
    constraints.MaxNorm(3., axis=[0, 1, 2]), constraints.NonNeg(), constraints.UnitNorm(1),
    constraints.MinMaxNorm(0.5, 2., rate=0.3, axis=1),
])
def test_serialization_round_trip(backend, constraint):
    config = constraints.serialize(constraint)
    assert config['class_name'] == type(constraint).__name__
    restored = constraints.deserialize(config)
    assert type(restored) is type(constraint)
    assert restored.get_config() == constraint.get_config()
    assert constraints.get(config).get_config() == constraint.get_config()


def test_get_and_errors(backend):
    assert constraints.get(None) is None

    def custom(w):
        return w

    assert constraints.get(custom) is custom
    with pytest.raises(ValueError, match='^Unknown constraint: nope$'):
        constraints.get('nope')
    with pytest.raises(ValueError, match='Could not interpret constraint identifier: 5'):
        constraints.get(5)
