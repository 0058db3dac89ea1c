"""Locally-connected layers against explicit NumPy loops, with Keras 2.2.4's kernel and bias
layouts; output shapes; padding errors; configuration."""
import json

import numpy as np
import pytest

from cornu import layers
from cornu.layers import LocallyConnected1D, LocallyConnected2D, Input
from cornu.models import Model, Sequential


def _apply(K, layer, x):
    inputs = Input(shape=x.shape[1:])
    outputs = layer(inputs)
    out = Model(inputs, outputs).predict(x)
    static = K.int_shape(outputs)
    assert static == layer.compute_output_shape((None,) + x.shape[1:])
    assert static[1:] == out.shape[1:]
    return out


def _randomize(layer):
    weights = [np.random.uniform(-1, 1, w.shape).astype('float32') for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def _round_trip(layer):
    config = layer.get_config()
    json.dumps(config)
    clone = layers.deserialize({'class_name': layer.__class__.__name__, 'config': config})
    assert clone.get_config() == config
    return clone


def np_local_conv1d(x, kernel, bias, k, s):
    length = (x.shape[1] - k) // s + 1
    out = np.zeros((x.shape[0], length, kernel.shape[-1]), 'float64')
    for i in range(length):
        patch = x[:, i * s:i * s + k, :].reshape(x.shape[0], -1)  # (position, channel) rows
        out[:, i] = patch.dot(kernel[i])
        if bias is not None:
            out[:, i] += bias[i]
    return out


def np_local_conv2d(x, kernel, bias, k, s, data_format):
    if data_format == 'channels_first':
        rows, cols = x.shape[2], x.shape[3]
    else:
        rows, cols = x.shape[1], x.shape[2]
    out_rows = (rows - k[0]) // s[0] + 1
    out_cols = (cols - k[1]) // s[1] + 1
    filters = kernel.shape[-1]
    out = np.zeros((x.shape[0], out_rows, out_cols, filters), 'float64')
    for r in range(out_rows):
        for c in range(out_cols):
            rs = slice(r * s[0], r * s[0] + k[0])
            cs = slice(c * s[1], c * s[1] + k[1])
            if data_format == 'channels_first':
                patch = x[:, :, rs, cs]  # rows laid out (channels, rows, cols)
            else:
                patch = x[:, rs, cs, :]  # rows laid out (rows, cols, channels)
            out[:, r, c] = patch.reshape(x.shape[0], -1).dot(kernel[r * out_cols + c])
    if data_format == 'channels_first':
        out = out.transpose(0, 3, 1, 2)
        if bias is not None:
            # Keras 2.2.4 reshapes (not transposes) the (rows, cols, filters) bias.
            out += bias.reshape((filters, out_rows, out_cols))
    elif bias is not None:
        out += bias
    return out


@pytest.mark.parametrize('kernel_size,strides', [(3, 1), (2, 2), (1, 1), (3, 2)])
def test_locally_connected_1d(backend, kernel_size, strides):
    K = backend
    x = np.random.uniform(-1, 1, (2, 7, 3)).astype('float32')
    layer = LocallyConnected1D(4, kernel_size, strides=strides)
    _apply(K, layer, x)
    length = (7 - kernel_size) // strides + 1
    assert K.int_shape(layer.kernel) == (length, kernel_size * 3, 4)
    assert K.int_shape(layer.bias) == (length, 4)
    assert [w.name for w in layer.weights] == ['locally_connected1d_1/kernel:0',
                                               'locally_connected1d_1/bias:0']
    kernel, bias = _randomize(layer)
    out = Model(layer.input, layer.output).predict(x)
    np.testing.assert_allclose(out, np_local_conv1d(x, kernel, bias, kernel_size, strides),
                               rtol=1e-5, atol=1e-5)


def test_locally_connected_1d_no_bias_activation(backend):
    x = np.random.uniform(-1, 1, (3, 5, 2)).astype('float32')
    layer = LocallyConnected1D(2, 2, use_bias=False, activation='relu')
    _apply(backend, layer, x)
    assert len(layer.weights) == 1 and layer.bias is None
    kernel, = _randomize(layer)
    out = Model(layer.input, layer.output).predict(x)
    np.testing.assert_allclose(out, np.maximum(np_local_conv1d(x, kernel, None, 2, 1), 0.),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('data_format', ['channels_last', 'channels_first'])
@pytest.mark.parametrize('kernel_size,strides', [((3, 2), (1, 1)), ((2, 2), (2, 1)), (1, 1)])
def test_locally_connected_2d(backend, data_format, kernel_size, strides):
    K = backend
    shape = (5, 4, 3) if data_format == 'channels_last' else (3, 5, 4)
    x = np.random.uniform(-1, 1, (2,) + shape).astype('float32')
    layer = LocallyConnected2D(4, kernel_size, strides=strides, data_format=data_format)
    out = _apply(K, layer, x)
    k = kernel_size if isinstance(kernel_size, tuple) else (kernel_size,) * 2
    s = strides if isinstance(strides, tuple) else (strides,) * 2
    out_rows, out_cols = (5 - k[0]) // s[0] + 1, (4 - k[1]) // s[1] + 1
    assert K.int_shape(layer.kernel) == (out_rows * out_cols, k[0] * k[1] * 3, 4)
    assert K.int_shape(layer.bias) == (out_rows, out_cols, 4)
    expected_shape = ((2, out_rows, out_cols, 4) if data_format == 'channels_last' else
                      (2, 4, out_rows, out_cols))
    assert out.shape == expected_shape
    kernel, bias = _randomize(layer)
    out = Model(layer.input, layer.output).predict(x)
    np.testing.assert_allclose(out, np_local_conv2d(x, kernel, bias, k, s, data_format),
                               rtol=1e-5, atol=1e-5)


def test_locally_connected_2d_sequential_param_count(backend):
    model = Sequential([LocallyConnected2D(8, (3, 3), input_shape=(6, 6, 2)),
                        LocallyConnected2D(2, 2, activation='tanh', use_bias=False)])
    assert model.output_shape == (None, 3, 3, 2)
    assert model.layers[0].count_params() == 16 * 18 * 8 + 16 * 8
    assert model.layers[1].count_params() == 9 * 32 * 2
    assert model.predict(np.zeros((1, 6, 6, 2))).shape == (1, 3, 3, 2)


def test_padding_other_than_valid_is_rejected():
    with pytest.raises(ValueError, match=r'\(LocallyConnected1D\): The `padding` argument must '
                                         r'be "valid" .*Received: \'same\''):
        LocallyConnected1D(2, 3, padding='same')
    with pytest.raises(ValueError, match=r'\(LocallyConnected2D\): The `padding` argument'):
        LocallyConnected2D(2, 3, padding='same')
    assert LocallyConnected1D(2, 3, padding='VALID').padding == 'valid'


def test_undefined_dimensions_are_rejected():
    with pytest.raises(ValueError, match='Axis 2 of input should be fully-defined'):
        LocallyConnected1D(2, 3)(Input(shape=(5, None)))
    with pytest.raises(ValueError, match='should be fully-defined'):
        LocallyConnected2D(2, 3)(Input(shape=(None, 5, 2)))
    with pytest.raises(ValueError, match='expected ndim=3'):
        LocallyConnected1D(2, 3)(Input(shape=(5,)))


def test_config_round_trip():
    layer = LocallyConnected1D(3, 2, strides=2, activation='relu', use_bias=False,
                               kernel_regularizer='l2', name='lc')
    clone = _round_trip(layer)
    assert (clone.filters, clone.kernel_size, clone.strides, clone.use_bias) == \
        (3, (2,), (2,), False)
    layer = LocallyConnected2D(3, (2, 3), strides=(1, 2), data_format='channels_first',
                               bias_initializer='ones', kernel_constraint='max_norm')
    clone = _round_trip(layer)
    assert (clone.kernel_size, clone.strides, clone.data_format) == \
        ((2, 3), (1, 2), 'channels_first')
    assert layer.get_config()['kernel_constraint']['class_name'] == 'MaxNorm'


def test_regularizer_losses_and_training(backend):
    model = Sequential([LocallyConnected1D(2, 2, input_shape=(4, 3), kernel_regularizer='l2',
                                           bias_regularizer='l1', activity_regularizer='l2')])
    # The kernel's and the bias's regularization, and the activity regularization of the
    # layer's call in the model (as Keras 2.2.4 lists them).
    assert len(model.layers[0].losses) == 3
    model.compile('sgd', 'mse')
    x = np.random.uniform(-1, 1, (4, 4, 3)).astype('float32')
    before = model.get_weights()[0].copy()
    model.train_on_batch(x, np.zeros((4, 3, 2)))
    assert not np.allclose(model.get_weights()[0], before)


def test_keras1_argument_names():
    with pytest.warns(UserWarning, match='LocallyConnected1D'):
        layer = LocallyConnected1D(nb_filter=4, filter_length=3, subsample_length=1,
                                   border_mode='valid', input_dim=5, input_length=7)
    assert (layer.filters, layer.kernel_size, layer.batch_input_shape) == (4, (3,), (None, 7, 5))
    with pytest.warns(UserWarning, match='LocallyConnected2D'):
        layer = LocallyConnected2D(4, 3, 2, dim_ordering='th', W_regularizer='l2')
    assert (layer.kernel_size, layer.data_format) == ((3, 2), 'channels_first')
    assert layer.kernel_regularizer is not None


def test_activation_set_after_building_is_applied(backend):
    # `call` reads `layer.activation`, as Keras 2's does: one set after the layer was built
    # (by calling it) applies to the next model built on it.
    from cornu import activations
    x = np.random.uniform(-1, 1, (2, 6, 3)).astype('float32')
    layer = LocallyConnected1D(4, 2)
    _apply(backend, layer, x)
    kernel, bias = _randomize(layer)
    layer.activation = activations.get('relu')
    out = _apply(backend, layer, x)
    np.testing.assert_allclose(out, np.maximum(np_local_conv1d(x, kernel, bias, 2, 1), 0.),
                               rtol=1e-5, atol=1e-5)
    assert out.min() == 0.
