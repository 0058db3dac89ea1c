"""cornu.regularizers: exact penalties and (de)serialization (Keras 2.2.4)."""
import numpy as np
import pytest

from cornu import regularizers

W = np.array([[0.5, -1.5, 2.], [-0.25, 0., 3.]], dtype='float32')


def _penalty(K, reg, value=W):
    out = reg(K.variable(value))
    return float(K.eval(out)) if K.is_tensor(out) else out


@pytest.mark.parametrize('l1, l2', [(0.01, 0.), (0., 0.02), (0.3, 0.05)])
def test_l1l2_penalty(backend, l1, l2):
    K = backend
    f1, f2 = np.float32(l1), np.float32(l2)
    expected = np.sum(f1 * np.abs(W)) + np.sum(f2 * np.square(W))
    np.testing.assert_allclose(_penalty(K, regularizers.L1L2(l1=l1, l2=l2)), expected,
                               rtol=1e-6)


def test_zero_penalty_and_base_class(backend):
    K = backend
    assert _penalty(K, regularizers.L1L2()) == 0.
    assert _penalty(K, regularizers.Regularizer()) == 0.


def test_penalty_is_differentiable(backend):
    K = backend
    w = K.placeholder(shape=W.shape)
    penalty = regularizers.l1_l2(l1=0.1, l2=0.2)(w)
    grad = K.function([w], K.gradients(penalty, [w]))([W])[0]
    # The derivative of |w| at w = 0 is 0 (as in TensorFlow), so exact zeros stay put.
    np.testing.assert_allclose(grad, 0.1 * np.sign(W) + 0.4 * W, rtol=1e-5, atol=1e-7)


def test_shortcuts(backend):
    assert regularizers.l1().get_config() == {'l1': float(np.float32(0.01)), 'l2': 0.}
    assert regularizers.l2(0.5).get_config() == {'l1': 0., 'l2': 0.5}
    both = regularizers.l1_l2()
    assert both.get_config() == {'l1': float(np.float32(0.01)), 'l2': float(np.float32(0.01))}
    assert isinstance(regularizers.get('l2'), regularizers.L1L2)
    assert regularizers.get('l1_l2').get_config() == both.get_config()


def test_serialization_round_trip(backend):
    reg = regularizers.L1L2(l1=0.25, l2=0.125)
    config = regularizers.serialize(reg)
    assert config == {'class_name': 'L1L2', 'config': {'l1': 0.25, 'l2': 0.125}}
    restored = regularizers.deserialize(config)
    assert isinstance(restored, regularizers.L1L2)
    assert restored.get_config() == reg.get_config()
    assert regularizers.get(config).get_config() == reg.get_config()


def test_get_and_errors(backend):
    assert regularizers.get(None) is None

    def custom(x):
        return 0.

    assert regularizers.get(custom) is custom
    with pytest.raises(ValueError, match='^Unknown regularizer: nope$'):
        regularizers.get('nope')
    with pytest.raises(ValueError, match='Could not interpret regularizer identifier: 5'):
        regularizers.get(5)
