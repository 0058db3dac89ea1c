"""Advanced activation layers against NumPy reference formulas; static shapes agree with the
computed outputs; configurations survive `from_config`."""
import json

import numpy as np
import pytest

from cornu import layers
from cornu.layers import (ELU, PReLU, LeakyReLU, ReLU, Softmax, ThresholdedReLU, Input,
                          Embedding)
from cornu.models import Model, Sequential


def _apply(K, layer, x):
    """Runs `layer` alone in a model on `x`; checks its static output shape; returns the output."""
    inputs = Input(shape=x.shape[1:])
    outputs = layer(inputs)
    out = Model(inputs, outputs).predict(x)
    static = K.int_shape(outputs)
    assert static == tuple(layer.compute_output_shape((None,) + x.shape[1:]))
    assert static[1:] == out.shape[1:]
    return out


def _round_trip(layer):
    config = layer.get_config()
    json.dumps(config)
    clone = layers.deserialize({'class_name': layer.__class__.__name__, 'config': config})
    assert type(clone) is type(layer)
    assert clone.get_config() == config
    return clone


def _x(*shape):
    return np.random.uniform(-3, 3, shape).astype('float32')


def test_leaky_relu(backend):
    x = _x(4, 3, 5)
    for alpha in (0.3, 0.05):
        layer = LeakyReLU(alpha=alpha) if alpha != 0.3 else LeakyReLU()
        out = _apply(backend, layer, x)
        np.testing.assert_allclose(out, np.where(x >= 0, x, alpha * x), rtol=1e-6, atol=1e-6)
        assert _round_trip(layer).alpha == alpha
        assert layer.count_params() == 0


def test_elu(backend):
    x = _x(4, 6)
    for alpha in (1.0, 0.5):
        layer = ELU(alpha=alpha)
        out = _apply(backend, layer, x)
        np.testing.assert_allclose(out, np.where(x > 0, x, alpha * (np.exp(x) - 1)),
                                   rtol=1e-5, atol=1e-6)
        assert _round_trip(layer).alpha == alpha


def test_thresholded_relu(backend):
    x = _x(3, 7)
    x[0, :3] = [1.0, 0.999, 1.001]
    layer = ThresholdedReLU(theta=1.0)
    out = _apply(backend, layer, x)
    np.testing.assert_allclose(out, np.where(x > 1.0, x, 0.), rtol=1e-6)
    assert out[0, 0] == 0.  # strictly greater than theta
    layer = ThresholdedReLU(theta=-0.5)
    np.testing.assert_allclose(_apply(backend, layer, x), np.where(x > -0.5, x, 0.), rtol=1e-6)
    assert _round_trip(layer).theta == -0.5


@pytest.mark.parametrize('axis', [-1, 1])
def test_softmax(backend, axis):
    x = _x(2, 3, 4)
    layer = Softmax(axis=axis)
    out = _apply(backend, layer, x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    np.testing.assert_allclose(out, e / e.sum(axis=axis, keepdims=True), rtol=1e-5, atol=1e-7)
    assert _round_trip(layer).axis == axis


def np_relu(x, max_value=None, negative_slope=0., threshold=0.):
    # Keras 2.2.4's sequence: keep x above the threshold (else 0), clip to [0, max_value],
    # then subtract the leak `negative_slope * relu(threshold - x)`. (With a negative
    # threshold and a max_value, values in (threshold, 0) are clipped to 0.)
    out = x * (x > threshold)
    if max_value is not None:
        out = np.clip(out, 0., max_value)
    elif threshold == 0.:
        out = np.maximum(out, 0.)
    return out - negative_slope * np.maximum(threshold - x, 0.)


@pytest.mark.parametrize('max_value,negative_slope,threshold', [
    (None, 0., 0.), (6., 0., 0.), (1.5, 0., 0.), (None, 0.2, 0.), (2., 0.1, 0.),
    (None, 0., 0.5), (1.5, 0.3, -0.5)])
def test_relu(backend, max_value, negative_slope, threshold):
    x = _x(5, 8)
    layer = ReLU(max_value=max_value, negative_slope=negative_slope, threshold=threshold)
    out = _apply(backend, layer, x)
    np.testing.assert_allclose(out, np_relu(x, max_value, negative_slope, threshold),
                               rtol=1e-5, atol=1e-6)
    clone = _round_trip(layer)
    assert (clone.max_value, clone.negative_slope, clone.threshold) == \
        (max_value, negative_slope, threshold)


def test_relu_rejects_negative_arguments():
    with pytest.raises(ValueError, match='max_value'):
        ReLU(max_value=-1.)
    with pytest.raises(ValueError, match='negative_slope'):
        ReLU(negative_slope=-0.1)


def test_prelu_unshared(backend):
    K = backend
    x = _x(4, 3, 5)
    layer = PReLU(alpha_initializer='zeros')
    out = _apply(K, layer, x)
    np.testing.assert_allclose(out, np.maximum(x, 0.), rtol=1e-6)  # alpha starts at 0
    assert len(layer.trainable_weights) == 1 and not layer.non_trainable_weights
    assert K.int_shape(layer.alpha) == (3, 5)
    assert layer.name == 'p_re_lu_1' and layer.alpha.name == 'p_re_lu_1/alpha:0'
    alpha = np.random.uniform(0, 1, (3, 5)).astype('float32')
    layer.set_weights([alpha])
    out = Model(layer.input, layer.output).predict(x)
    np.testing.assert_allclose(out, np.where(x > 0, x, alpha * x), rtol=1e-6, atol=1e-6)


def test_prelu_shared_axes(backend):
    K = backend
    x = _x(2, 4, 5, 3)
    layer = PReLU(alpha_initializer='ones', shared_axes=[1, 2])
    _apply(K, layer, x)
    assert K.int_shape(layer.alpha) == (1, 1, 3)
    assert layer.count_params() == 3
    alpha = np.array([0.1, 0.2, 0.3], 'float32').reshape(1, 1, 3)
    layer.set_weights([alpha])
    out = Model(layer.input, layer.output).predict(x)
    np.testing.assert_allclose(out, np.where(x > 0, x, alpha * x), rtol=1e-6, atol=1e-6)
    # The non-shared axes are fixed by the input spec; the shared ones may vary.
    assert layer.input_spec.axes == {3: 3}
    clone = _round_trip(layer)
    assert clone.shared_axes == [1, 2]
    single = PReLU(shared_axes=1)
    assert single.shared_axes == [1]
    seq = Sequential([PReLU(shared_axes=1, input_shape=(None, 4))])
    assert K.int_shape(seq.layers[0].alpha) == (1, 4)
    assert seq.predict(_x(2, 7, 4)).shape == (2, 7, 4)


def test_prelu_regularizer_and_constraint(backend):
    layer = PReLU(alpha_initializer='ones', alpha_regularizer='l2', alpha_constraint='non_neg')
    _apply(backend, layer, _x(2, 3))
    assert len(layer.losses) == 1
    config = _round_trip(layer).get_config()
    assert config['alpha_regularizer']['class_name'] == 'L1L2'
    assert config['alpha_constraint']['class_name'] == 'NonNeg'


def test_activations_pass_masks_through(backend):
    K = backend
    inputs = Input(shape=(4,))
    embedded = Embedding(10, 3, mask_zero=True)(inputs)
    for layer in (LeakyReLU(), PReLU(), ELU(), ThresholdedReLU(), Softmax(), ReLU()):
        out = layer(embedded)
        assert out._keras_mask is not None
        assert K.int_shape(out._keras_mask) == (None, 4)


def test_prelu_keras1_argument_names():
    with pytest.warns(UserWarning, match='alpha_initializer'):
        layer = PReLU(init='ones')
    assert layer.get_config()['alpha_initializer']['class_name'] == 'Ones'
