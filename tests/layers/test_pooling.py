"""Pooling layers against NumPy loops: max and average pooling (1D/2D/3D, 'valid'/'same',
strides, both data formats; 'same' averages exclude the padding as TensorFlow), global
pooling (with masks for GlobalAveragePooling1D); Keras 2.2.4 output sizes, configurations,
aliases, Keras 1 arguments and error messages."""
import itertools
import warnings

import numpy as np
import pytest

from cornu import layers as layers_module
from cornu.layers import (MaxPooling1D, AveragePooling1D, MaxPooling2D, AveragePooling2D,
                          MaxPooling3D, AveragePooling3D, GlobalAveragePooling1D,
                          GlobalMaxPooling1D, GlobalAveragePooling2D, GlobalMaxPooling2D,
                          GlobalAveragePooling3D, GlobalMaxPooling3D, Input, Masking)
from cornu.models import Model, Sequential

RTOL = 1e-5
ATOL = 1e-6
FORMATS = ['channels_last', 'channels_first']


def rand(*shape):
    return np.random.uniform(-1, 1, shape).astype('float32')


def to_first(x):
    return np.moveaxis(x, -1, 1)


def to_last(x):
    return np.moveaxis(x, 1, -1)


def apply(K, layer, x):
    """Runs `layer` alone in a functional model; checks static and computed shapes agree."""
    inputs = Input(shape=x.shape[1:])
    outputs = layer(inputs)
    out = Model(inputs, outputs).predict(x)
    static = K.int_shape(outputs)
    assert static == tuple(layer.compute_output_shape((None,) + x.shape[1:]))
    assert static == (None,) + out.shape[1:], (static, out.shape)
    return out


def round_trip(layer, expected_keys):
    config = layer.get_config()
    assert set(config) - {'dtype'} == set(expected_keys) | {'name', 'trainable'}
    clone = layer.__class__.from_config(config)
    assert clone.get_config() == config
    again = layers_module.deserialize({'class_name': layer.__class__.__name__,
                                       'config': config})
    assert type(again) is type(layer) and again.get_config() == config
    return clone


def np_pool(x, pool_size, strides, padding, mode):
    """N-D pooling with explicit loops on channels_last `x`. 'same' pads as TensorFlow (odd
    unit at the end); padded entries are ignored by both max and average."""
    nd = x.ndim - 2
    spatial = x.shape[1:-1]
    befores, out_sizes = [], []
    for size, pool, stride in zip(spatial, pool_size, strides):
        if padding == 'same':
            out = -(-size // stride)
            total = max((out - 1) * stride + pool - size, 0)
            befores.append(total // 2)
        else:
            out = (size - pool) // stride + 1
            befores.append(0)
        out_sizes.append(out)
    out = np.zeros((x.shape[0],) + tuple(out_sizes) + (x.shape[-1],), 'float64')
    for idx in itertools.product(*[range(s) for s in out_sizes]):
        window = []
        for i in range(nd):
            start = idx[i] * strides[i] - befores[i]
            window.append(slice(max(start, 0), min(start + pool_size[i], spatial[i])))
        values = x[(slice(None),) + tuple(window)].reshape(x.shape[0], -1, x.shape[-1])
        reduce = np.max if mode == 'max' else np.mean
        out[(slice(None),) + idx] = reduce(values, axis=1)
    return out


def check_both_formats(K, make_layer, x_last, expected_last):
    for data_format in FORMATS:
        x = x_last if data_format == 'channels_last' else to_first(x_last)
        out = apply(K, make_layer(data_format), x)
        if data_format == 'channels_first':
            out = to_last(out)
        np.testing.assert_allclose(out, expected_last, rtol=RTOL, atol=ATOL,
                                   err_msg=data_format)


# ---------------------------------------------------------------------------- windows

@pytest.mark.parametrize('layer_class,mode', [(MaxPooling1D, 'max'), (AveragePooling1D, 'avg')])
@pytest.mark.parametrize('pool_size,strides,padding', [
    (2, None, 'valid'), (2, None, 'same'), (3, 1, 'valid'), (3, 2, 'same'), (2, 3, 'same'),
])
def test_pooling1d(backend, layer_class, mode, pool_size, strides, padding):
    K = backend
    x = rand(2, 7, 3)
    expected = np_pool(x, (pool_size,), (strides or pool_size,), padding, mode)
    check_both_formats(K, lambda f: layer_class(pool_size, strides, padding, data_format=f),
                       x, expected)


@pytest.mark.parametrize('layer_class,mode', [(MaxPooling2D, 'max'), (AveragePooling2D, 'avg')])
@pytest.mark.parametrize('pool_size,strides,padding', [
    ((2, 2), None, 'valid'), ((2, 2), None, 'same'), ((3, 3), (1, 1), 'valid'),
    ((3, 3), (1, 1), 'same'), ((3, 2), (2, 1), 'same'), ((2, 3), (2, 2), 'valid'),
])
def test_pooling2d(backend, layer_class, mode, pool_size, strides, padding):
    K = backend
    x = rand(1, 5, 5, 2)
    expected = np_pool(x, pool_size, strides or pool_size, padding, mode)
    check_both_formats(K, lambda f: layer_class(pool_size, strides, padding, data_format=f),
                       x, expected)


@pytest.mark.parametrize('layer_class,mode', [(MaxPooling3D, 'max'), (AveragePooling3D, 'avg')])
@pytest.mark.parametrize('pool_size,strides,padding', [
    ((2, 2, 2), None, 'valid'), ((2, 3, 2), None, 'same'), ((2, 2, 2), (1, 2, 1), 'same'),
])
def test_pooling3d(backend, layer_class, mode, pool_size, strides, padding):
    K = backend
    x = rand(1, 4, 5, 3, 2)
    expected = np_pool(x, pool_size, strides or pool_size, padding, mode)
    check_both_formats(K, lambda f: layer_class(pool_size, strides, padding, data_format=f),
                       x, expected)


def np_max_pool_gradient(x, grad, pool_size, strides, padding):
    """The gradient of the sum of `grad` times the max pooling of channels_last `x`, with
    explicit loops: each window passes its entry of `grad` to its first maximum in row-major
    order (ties included; padding never wins over a finite value)."""
    spatial = x.shape[1:-1]
    befores = []
    for size, pool, stride in zip(spatial, pool_size, strides):
        out = -(-size // stride) if padding == 'same' else (size - pool) // stride + 1
        total = max((out - 1) * stride + pool - size, 0) if padding == 'same' else 0
        befores.append(total // 2)
    result = np.zeros(x.shape, 'float64')
    for n, channel in itertools.product(range(x.shape[0]), range(x.shape[-1])):
        for idx in itertools.product(*[range(s) for s in grad.shape[1:-1]]):
            best = None
            for offsets in itertools.product(*[range(p) for p in pool_size]):
                at = tuple(i * s - b + o for i, s, b, o in zip(idx, strides, befores, offsets))
                if all(0 <= a < size for a, size in zip(at, spatial)):
                    if best is None or x[(n,) + at + (channel,)] > x[(n,) + best + (channel,)]:
                        best = at
            result[(n,) + best + (channel,)] += grad[(n,) + idx + (channel,)]
    return result


@pytest.mark.parametrize('data_format', FORMATS)
@pytest.mark.parametrize('shape,pool_size,strides,padding', [
    ((2, 6, 6, 3), (2, 2), (2, 2), 'valid'), ((2, 7, 5, 3), (2, 2), (2, 2), 'valid'),
    ((2, 7, 5, 3), (2, 3), (2, 3), 'same'), ((2, 6, 6, 3), (3, 3), (2, 2), 'same'),
    ((1, 5, 4, 3, 2), (2, 2, 2), (2, 2, 2), 'same'), ((1, 4, 4, 4, 2), (2, 1, 2), (2, 1, 2), 'valid'),
])
def test_max_pooling_gradient_goes_to_the_first_maximum(backend, data_format, shape, pool_size,
                                                        strides, padding):
    K = backend
    # Few distinct values: many windows hold several maxima.
    x = np.random.randint(0, 3, shape).astype('float32')
    pool = K.pool2d if len(pool_size) == 2 else K.pool3d
    expected_out = np_pool(x, pool_size, strides, padding, 'max')
    grad = np.random.uniform(-1, 1, expected_out.shape).astype('float32')
    if data_format == 'channels_first':
        x_in, grad_in = to_first(x), to_first(grad)
    else:
        x_in, grad_in = x, grad
    v = K.placeholder(shape=x_in.shape)
    g = K.placeholder(shape=grad_in.shape)
    out = pool(v, pool_size, strides, padding, data_format, pool_mode='max')
    loss = K.sum(out * g)
    result, gradient = K.function([v, g], [out] + K.gradients(loss, [v]))([x_in, grad_in])
    if data_format == 'channels_first':
        result, gradient = to_last(result), to_last(gradient)
    np.testing.assert_allclose(result, expected_out, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(gradient, np_max_pool_gradient(x, grad, pool_size, strides,
                                                              padding), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize('values', ['ties', 'infinities', 'nans'])
@pytest.mark.parametrize('padding', ['valid', 'same'])
def test_jax_max_pooling_gradient_is_xlas_own(backend, values, padding):
    # On JAX, max pooling over windows that tile the input has a derivative of its own
    # (element-wise ops instead of XLA's select-and-scatter): it must give XLA's numbers
    # exactly, -inf and NaN entries and padded windows included.
    K = backend
    if K.backend() != 'jax':
        pytest.skip("compares with XLA's derivative of the jax engine")
    import jax
    from jax import lax
    rng = np.random.RandomState(3)
    x = rng.randint(0, 2, (2, 7, 5, 3)).astype('float32')
    if values == 'infinities':
        x[rng.rand(*x.shape) < 0.4] = -np.inf
    elif values == 'nans':
        x[rng.rand(*x.shape) < 0.2] = np.nan
    pool_size = (2, 3)
    pads = [(0, 0), (0, 1), (0, 1), (0, 0)] if padding == 'same' else [(0, 0)] * 4

    def xla_pool(inputs):
        return lax.reduce_window(inputs, np.float32(-np.inf), lax.max, (1, 2, 3, 1),
                                 (1, 2, 3, 1), pads)

    expected_out, pullback = jax.vjp(xla_pool, x)
    grad = rng.uniform(-1, 1, expected_out.shape).astype('float32')
    expected_gradient, = pullback(grad)
    v = K.placeholder(shape=x.shape)
    g = K.placeholder(shape=grad.shape)
    out = K.pool2d(v, pool_size, pool_size, padding, 'channels_last', pool_mode='max')
    result, gradient = K.function([v, g], [out] + K.gradients(K.sum(out * g), [v]))([x, grad])
    np.testing.assert_array_equal(result, np.asarray(expected_out))
    np.testing.assert_array_equal(gradient, np.asarray(expected_gradient))


def test_same_average_excludes_padding(backend):
    K = backend
    x = np.ones((1, 3, 3, 1), 'float32')
    out = apply(K, AveragePooling2D((2, 2), padding='same'), x)
    np.testing.assert_allclose(out, np.ones((1, 2, 2, 1)))  # zero padding would give 0.5s
    x = -np.ones((1, 3, 1), 'float32')
    out = apply(K, MaxPooling1D(2, padding='same'), x)
    np.testing.assert_allclose(out, -np.ones((1, 2, 1)))  # padding never wins a max


def test_output_sizes(backend):
    # Keras 2.2.4 / TensorFlow arithmetic.
    assert MaxPooling2D().compute_output_shape((None, 5, 5, 3)) == (None, 2, 2, 3)
    assert MaxPooling2D(padding='same').compute_output_shape((None, 5, 5, 3)) == (None, 3, 3, 3)
    assert MaxPooling2D(3, 2).compute_output_shape((None, 7, 8, 3)) == (None, 3, 3, 3)
    assert MaxPooling2D(data_format='channels_first').compute_output_shape(
        (None, 3, 5, 4)) == (None, 3, 2, 2)
    assert AveragePooling1D(3, padding='same').compute_output_shape((4, 10, 2)) == (4, 4, 2)
    assert MaxPooling1D().compute_output_shape((None, None, 2)) == (None, None, 2)
    assert AveragePooling3D().compute_output_shape((None, 4, 5, 6, 1)) == (None, 2, 2, 3, 1)
    layer = MaxPooling2D((2, 3))
    assert layer.strides == (2, 3) and layer.pool_size == (2, 3)


def test_keras2_pooling_function_hook(backend):
    """Keras 2 code subclasses the private bases and overrides `_pooling_function`."""
    K = backend
    from cornu.layers.pooling import _Pooling1D, _Pooling2D

    class MinPooling2D(_Pooling2D):
        def _pooling_function(self, inputs, pool_size, strides, padding, data_format):
            return -K.pool2d(-inputs, pool_size, strides, padding, data_format, 'max')

    class SumPooling1D(_Pooling1D):
        def _pooling_function(self, inputs, pool_size, strides, padding, data_format):
            return K.pool2d(inputs, pool_size, strides, padding, data_format, 'avg') * 2.

    x = rand(2, 4, 4, 3)
    expected = -np_pool(-x, (2, 2), (2, 2), 'valid', 'max')
    np.testing.assert_allclose(apply(K, MinPooling2D(), x), expected, rtol=RTOL, atol=ATOL)
    x = rand(2, 6, 3)
    expected = 2. * np_pool(x, (2,), (2,), 'valid', 'avg')
    np.testing.assert_allclose(apply(K, SumPooling1D(), x), expected, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------------- global

def test_global_pooling(backend):
    K = backend
    x = rand(2, 5, 3)
    check_both_formats(K, lambda f: GlobalAveragePooling1D(f), x, x.mean(axis=1))
    check_both_formats(K, lambda f: GlobalMaxPooling1D(f), x, x.max(axis=1))
    x = rand(2, 3, 4, 3)
    check_both_formats(K, lambda f: GlobalAveragePooling2D(f), x, x.mean(axis=(1, 2)))
    check_both_formats(K, lambda f: GlobalMaxPooling2D(f), x, x.max(axis=(1, 2)))
    x = rand(2, 2, 3, 2, 3)
    check_both_formats(K, lambda f: GlobalAveragePooling3D(f), x, x.mean(axis=(1, 2, 3)))
    check_both_formats(K, lambda f: GlobalMaxPooling3D(f), x, x.max(axis=(1, 2, 3)))
    assert GlobalMaxPooling2D().compute_output_shape((None, 4, 4, 7)) == (None, 7)
    assert GlobalMaxPooling2D('channels_first').compute_output_shape((None, 7, 4, 4)) == \
        (None, 7)


def test_global_average_pooling1d_mask(backend):
    K = backend
    x = rand(3, 5, 2)
    x[0, 3:] = 0.
    x[1, :1] = 0.
    inputs = Input(shape=(5, 2))
    pooled = GlobalAveragePooling1D()(Masking(0.)(inputs))
    assert getattr(pooled, '_keras_mask', None) is None
    out = Model(inputs, pooled).predict(x)
    keep = np.any(x != 0, axis=-1, keepdims=True).astype('float32')
    expected = (x * keep).sum(axis=1) / keep.sum(axis=1)
    np.testing.assert_allclose(out, expected, rtol=RTOL, atol=ATOL)
    layer = GlobalAveragePooling1D(data_format='channels_first')
    mask = K.constant(np.array([[1, 1, 0, 0, 1]], 'float32'))
    values = rand(1, 2, 5)
    out = K.eval(layer(K.constant(values), mask=mask))
    np.testing.assert_allclose(out, values[:, :, [0, 1, 4]].mean(axis=2), rtol=RTOL, atol=ATOL)


def test_global_pooling_in_a_classifier(backend):
    model = Sequential([GlobalAveragePooling2D(input_shape=(4, 4, 3))])
    x = rand(2, 4, 4, 3)
    np.testing.assert_allclose(model.predict(x), x.mean(axis=(1, 2)), rtol=RTOL, atol=ATOL)
    assert model.output_shape == (None, 3)


# ---------------------------------------------------------------------------- configurations

def test_configs():
    keys = ['pool_size', 'strides', 'padding', 'data_format']
    config = round_trip(MaxPooling1D(3, padding='same'), keys).get_config()
    assert config['pool_size'] == (3,) and config['strides'] == (3,)
    assert config['data_format'] == 'channels_last' and config['padding'] == 'same'
    round_trip(AveragePooling1D(data_format='channels_first'), keys)
    config = round_trip(MaxPooling2D((2, 3), strides=1), keys).get_config()
    assert config['pool_size'] == (2, 3) and config['strides'] == (1, 1)
    round_trip(AveragePooling2D(), keys)
    round_trip(MaxPooling3D(), keys)
    assert round_trip(AveragePooling3D(2, (1, 2, 1)), keys).strides == (1, 2, 1)
    for layer_class in (GlobalAveragePooling1D, GlobalMaxPooling1D):
        assert round_trip(layer_class(), ['data_format']).data_format == 'channels_last'
    for layer_class in (GlobalAveragePooling2D, GlobalMaxPooling2D, GlobalAveragePooling3D,
                        GlobalMaxPooling3D):
        round_trip(layer_class(data_format='channels_first'), ['data_format'])


def test_image_data_format_default(backend):
    K = backend
    K.set_image_data_format('channels_first')
    try:
        assert MaxPooling2D().data_format == 'channels_first'
        assert GlobalAveragePooling3D().data_format == 'channels_first'
        assert MaxPooling1D().data_format == 'channels_last'  # Keras 2.2.4's 1D default
    finally:
        K.set_image_data_format('channels_last')


def test_aliases():
    from cornu.layers import pooling
    assert pooling.MaxPool1D is MaxPooling1D and pooling.AvgPool1D is AveragePooling1D
    assert pooling.MaxPool2D is MaxPooling2D and pooling.AvgPool2D is AveragePooling2D
    assert pooling.MaxPool3D is MaxPooling3D and pooling.AvgPool3D is AveragePooling3D
    assert pooling.GlobalMaxPool1D is GlobalMaxPooling1D
    assert pooling.GlobalMaxPool2D is GlobalMaxPooling2D
    assert pooling.GlobalMaxPool3D is GlobalMaxPooling3D
    assert pooling.GlobalAvgPool1D is GlobalAveragePooling1D
    assert pooling.GlobalAvgPool2D is GlobalAveragePooling2D
    assert pooling.GlobalAvgPool3D is GlobalAveragePooling3D
    assert layers_module.MaxPool2D is MaxPooling2D


def test_keras1_arguments():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        layer = MaxPooling1D(pool_length=3, stride=1, border_mode='same')
    assert 'Keras 2 API' in str(caught[-1].message)
    assert (layer.pool_size, layer.strides, layer.padding) == ((3,), (1,), 'same')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        layer = AveragePooling2D((2, 2), dim_ordering='th', border_mode='same')
        assert layer.data_format == 'channels_first' and layer.padding == 'same'
        assert GlobalMaxPooling2D(dim_ordering='tf').data_format == 'channels_last'


# ---------------------------------------------------------------------------- errors

def test_errors(backend):
    K = backend
    with pytest.raises(ValueError) as error:
        MaxPooling2D((3, 3), name='pool')(Input(shape=(2, 6, 1)))
    message = str(error.value)
    assert 'pool (MaxPooling2D)' in message and '(None, 2, 6, 1)' in message
    assert 'pool_size=(3, 3)' in message and 'padding="valid"' in message
    with pytest.raises(ValueError, match=r'average_pooling1d_\d+ \(AveragePooling1D\).*too '
                                         r'small for pool_size=\(4,\)'):
        AveragePooling1D(4)(K.constant(rand(1, 3, 2)))
    inputs = Input(shape=(None, 1))
    model = Model(inputs, MaxPooling1D(3, name='later')(inputs))
    with pytest.raises(ValueError, match=r'later \(MaxPooling1D\).*\(1, 2, 1\)'):
        model.predict(rand(1, 2, 1))
    with pytest.raises(ValueError, match=r'\(MaxPooling2D\): The `data_format` argument must '
                                         r'be one of'):
        MaxPooling2D(data_format='NHWC')
    with pytest.raises(ValueError, match=r'\(GlobalAveragePooling2D\): The `data_format`'):
        GlobalAveragePooling2D(data_format='nope')
    with pytest.raises(ValueError, match='The `pool_size` argument must be a tuple of 2 '
                                         'integers'):
        MaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match='The `strides` argument must be a tuple of 3'):
        AveragePooling3D(strides=(1, 1))
    with pytest.raises(ValueError, match=r'\(MaxPooling1D\): The `padding` argument .*"causal" '
                                         r'padding is only supported by `Conv1D`'):
        MaxPooling1D(padding='causal')
    with pytest.raises(ValueError, match='expected ndim=4, found ndim=3'):
        MaxPooling2D()(Input(shape=(4, 4)))
    with pytest.raises(ValueError, match='expected ndim=3'):
        GlobalMaxPooling1D()(Input(shape=(4, 4, 2)))
