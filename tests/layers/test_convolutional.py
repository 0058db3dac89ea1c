"""Convolutional layers against NumPy loops: convolutions (strides, dilation, 'valid'/'same'/
'causal' padding, both data formats), transposed convolutions (scatter-add reference),
separable and depthwise convolutions, upsampling, zero-padding and cropping; static shapes,
Keras 2.2.4 weight shapes and configurations, Keras 1 arguments and error messages."""
import itertools
import warnings

import numpy as np
import pytest

from cornu import layers as layers_module
from cornu import regularizers
from cornu.layers import (Conv1D, Conv2D, Conv3D, Conv2DTranspose, Conv3DTranspose,
                          SeparableConv1D, SeparableConv2D, DepthwiseConv2D, UpSampling1D,
                          UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D,
                          ZeroPadding3D, Cropping1D, Cropping2D, Cropping3D, Dense, Dropout,
                          Flatten, Input, MaxPooling2D)
from cornu.models import Model, Sequential
from cornu.utils import conv_utils

RTOL = 1e-4
ATOL = 1e-5
FORMATS = ['channels_last', 'channels_first']


def rand(*shape):
    return np.random.uniform(-1, 1, shape).astype('float32')


def to_first(x):
    return np.moveaxis(x, -1, 1)


def to_last(x):
    return np.moveaxis(x, 1, -1)


def apply(K, layer, x, weights=None):
    """Runs `layer` alone in a functional model on `x` (after setting `weights`); checks that
    the static shape, `compute_output_shape` and the computed output agree."""
    inputs = Input(shape=x.shape[1:])
    outputs = layer(inputs)
    if weights is not None:
        layer.set_weights(weights)
    out = Model(inputs, outputs).predict(x)
    static = K.int_shape(outputs)
    assert static == tuple(layer.compute_output_shape((None,) + x.shape[1:]))
    assert static == (None,) + out.shape[1:], (static, out.shape)
    return out


def run_both_formats(K, make_layer, x_last, weights, expected_last):
    """Checks a layer in channels_last and channels_first against a channels_last reference
    (the weights have the same layout in both formats)."""
    for data_format in FORMATS:
        layer = make_layer(data_format)
        x = x_last if data_format == 'channels_last' else to_first(x_last)
        out = apply(K, layer, x, weights)
        if data_format == 'channels_first':
            out = to_last(out)
        np.testing.assert_allclose(out, expected_last, rtol=RTOL, atol=ATOL,
                                   err_msg=data_format)


def round_trip(layer, expected_keys=None):
    config = layer.get_config()
    if expected_keys is not None:
        # (`dtype` is written by the base layer in some cases only, as Keras 2.2.4.)
        assert set(config) - {'dtype'} == set(expected_keys) | {'name', 'trainable'}, \
            sorted((set(config) - {'dtype'}) ^ (set(expected_keys) | {'name', 'trainable'}))
    clone = layer.__class__.from_config(config)
    assert clone.get_config() == config
    again = layers_module.deserialize({'class_name': layer.__class__.__name__,
                                       'config': config})
    assert type(again) is type(layer) and again.get_config() == config
    return clone


# ---------------------------------------------------------------------------- references

def same_pads(size, kernel, stride, dilation):
    """TensorFlow's 'SAME' padding: the odd unit goes at the end."""
    span = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def spatial_pads(x, window, strides, padding, dilation):
    """The `(before, after)` padding of each spatial axis of channels_last `x`."""
    pads = []
    for i in range(x.ndim - 2):
        if padding == 'valid':
            pads.append((0, 0))
        elif padding == 'same':
            pads.append(same_pads(x.shape[1 + i], window[i], strides[i], dilation[i]))
        else:  # causal
            pads.append(((window[i] - 1) * dilation[i], 0))
    return pads


def np_conv(x, kernel, strides, padding, dilation):
    """N-D convolution (cross-correlation) with explicit loops; channels_last `x`,
    kernel `(*window, in, out)`."""
    nd = x.ndim - 2
    window = kernel.shape[:nd]
    pads = spatial_pads(x, window, strides, padding, dilation)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    out_sizes = [(xp.shape[1 + i] - (window[i] - 1) * dilation[i] - 1) // strides[i] + 1
                 for i in range(nd)]
    out = np.zeros((x.shape[0],) + tuple(out_sizes) + (kernel.shape[-1],), 'float64')
    for idx in itertools.product(*[range(s) for s in out_sizes]):
        acc = 0.
        for kidx in itertools.product(*[range(k) for k in window]):
            pos = tuple(idx[i] * strides[i] + kidx[i] * dilation[i] for i in range(nd))
            acc = acc + xp[(slice(None),) + pos].astype('float64').dot(kernel[kidx])
        out[(slice(None),) + idx] = acc
    return out


def np_conv_transpose(x, kernel, strides, padding, output_sizes, dilation):
    """Transposed convolution by scatter-add: every input entry adds `value * kernel` into
    the output window it would have been computed from; kernel `(*window, out, in)`."""
    nd = x.ndim - 2
    window = kernel.shape[:nd]
    spans = [(window[i] - 1) * dilation[i] + 1 for i in range(nd)]
    full_sizes = [(x.shape[1 + i] - 1) * strides[i] + spans[i] for i in range(nd)]
    befores = []
    for i in range(nd):
        if padding == 'same':
            total = max((x.shape[1 + i] - 1) * strides[i] + spans[i] - output_sizes[i], 0)
            befores.append(total // 2)
        else:
            befores.append(0)
    big = [max(full_sizes[i], befores[i] + output_sizes[i]) for i in range(nd)]
    full = np.zeros((x.shape[0],) + tuple(big) + (kernel.shape[-2],), 'float64')
    for idx in itertools.product(*[range(s) for s in x.shape[1:-1]]):
        value = x[(slice(None),) + idx].astype('float64')  # (batch, in)
        for kidx in itertools.product(*[range(k) for k in window]):
            pos = tuple(idx[i] * strides[i] + kidx[i] * dilation[i] for i in range(nd))
            full[(slice(None),) + pos] += value.dot(kernel[kidx].T)
    crop = tuple(slice(befores[i], befores[i] + output_sizes[i]) for i in range(nd))
    return full[(slice(None),) + crop]


def depthwise_as_full(depthwise_kernel):
    """A depthwise kernel `(*window, in, mult)` as an ordinary kernel `(*window, in,
    in * mult)`: output channel `c * mult + m` reads input channel `c` only."""
    *window, channels, mult = depthwise_kernel.shape
    full = np.zeros(tuple(window) + (channels, channels * mult), 'float32')
    for c in range(channels):
        for m in range(mult):
            full[..., c, c * mult + m] = depthwise_kernel[..., c, m]
    return full


# ---------------------------------------------------------------------------- conv_utils

def test_conv_utils_arithmetic():
    assert conv_utils.normalize_tuple(3, 2, 'kernel_size') == (3, 3)
    assert conv_utils.normalize_tuple([2, 3], 2, 'kernel_size') == (2, 3)
    assert conv_utils.normalize_tuple(np.int64(2), 1, 'strides') == (2,)
    with pytest.raises(ValueError, match='The `strides` argument must be a tuple of 2 integers'):
        conv_utils.normalize_tuple((1, 2, 3), 2, 'strides')
    with pytest.raises(ValueError, match='including element'):
        conv_utils.normalize_tuple((1, 'a'), 2, 'strides')
    assert conv_utils.normalize_padding('SAME') == 'same'
    with pytest.raises(ValueError, match='padding'):
        conv_utils.normalize_padding('full-ish')
    # TF arithmetic: valid = ceil((n - span + 1) / s), same/causal = ceil(n / s).
    assert conv_utils.conv_output_length(5, 3, 'valid', 1) == 3
    assert conv_utils.conv_output_length(5, 3, 'valid', 2) == 2
    assert conv_utils.conv_output_length(6, 3, 'valid', 2) == 2
    assert conv_utils.conv_output_length(5, 3, 'same', 2) == 3
    assert conv_utils.conv_output_length(5, 3, 'causal', 1) == 5
    assert conv_utils.conv_output_length(9, 3, 'valid', 1, dilation=2) == 5
    assert conv_utils.conv_output_length(5, 3, 'full', 1) == 7
    assert conv_utils.conv_output_length(None, 3, 'same', 1) is None
    assert conv_utils.conv_input_length(3, 3, 'valid', 1) == 5
    # Keras 2.2.4 deconvolution lengths.
    assert conv_utils.deconv_length(5, 2, 3, 'same', None) == 10
    assert conv_utils.deconv_length(5, 2, 3, 'valid', None) == 11
    assert conv_utils.deconv_length(4, 3, 2, 'valid', None) == 12
    assert conv_utils.deconv_length(5, 2, 3, 'same', 1) == 10
    assert conv_utils.deconv_length(5, 2, 4, 'same', 1) == 9
    assert conv_utils.deconv_length(5, 2, 3, 'valid', 1) == 12
    assert conv_utils.deconv_length(None, 2, 3, 'valid', None) is None
    kernel = np.arange(2 * 3 * 1 * 2).reshape(2, 3, 1, 2)
    flipped = conv_utils.convert_kernel(kernel)
    np.testing.assert_array_equal(flipped, kernel[::-1, ::-1])
    np.testing.assert_array_equal(conv_utils.convert_kernel(flipped), kernel)


# ---------------------------------------------------------------------------- Conv1D

@pytest.mark.parametrize('padding,strides,dilation,data_format', [
    ('valid', 1, 1, 'channels_last'), ('valid', 2, 1, 'channels_first'),
    ('same', 1, 1, 'channels_first'), ('same', 2, 1, 'channels_last'),
    ('valid', 1, 2, 'channels_last'), ('same', 1, 2, 'channels_first'),
    ('causal', 1, 1, 'channels_last'), ('causal', 1, 2, 'channels_last'),
    ('causal', 2, 1, 'channels_last'),
])
def test_conv1d(backend, padding, strides, dilation, data_format):
    K = backend
    x = rand(2, 7, 2)
    kernel, bias = rand(3, 2, 4), rand(4)
    expected = np_conv(x, kernel, (strides,), padding, (dilation,)) + bias
    layer = Conv1D(4, 3, strides=strides, padding=padding, dilation_rate=dilation,
                   data_format=data_format)
    xin = x if data_format == 'channels_last' else to_first(x)
    out = apply(K, layer, xin, [kernel, bias])
    if data_format == 'channels_first':
        out = to_last(out)
    np.testing.assert_allclose(out, expected, rtol=RTOL, atol=ATOL)


def test_conv1d_causal_does_not_look_ahead(backend):
    K = backend
    layer = Conv1D(1, 3, padding='causal', dilation_rate=2, kernel_initializer='ones')
    x = rand(1, 9, 1)
    base = apply(K, layer, x)
    changed = x.copy()
    changed[0, 5:] += 10.
    out = Model(layer.input, layer.output).predict(changed)
    np.testing.assert_allclose(out[0, :5], base[0, :5], rtol=RTOL, atol=ATOL)
    assert not np.allclose(out[0, 5:], base[0, 5:])


# ---------------------------------------------------------------------------- Conv2D / Conv3D

@pytest.mark.parametrize('padding,strides,dilation', [
    ('valid', (1, 1), (1, 1)), ('same', (1, 1), (1, 1)), ('valid', (2, 2), (1, 1)),
    ('same', (2, 2), (1, 1)), ('same', (2, 1), (1, 1)), ('valid', (1, 1), (2, 2)),
    ('same', (1, 1), (2, 1)),
])
def test_conv2d(backend, padding, strides, dilation):
    K = backend
    x = rand(1, 5, 5, 2)
    kernel, bias = rand(3, 3, 2, 3), rand(3)
    expected = np_conv(x, kernel, strides, padding, dilation) + bias
    run_both_formats(K, lambda f: Conv2D(3, (3, 3), strides=strides, padding=padding,
                                         dilation_rate=dilation, data_format=f),
                     x, [kernel, bias], expected)


def test_conv2d_activation_no_bias_and_even_kernel(backend):
    K = backend
    x = rand(2, 6, 5, 3)
    kernel = rand(2, 4, 3, 2)
    expected = np.maximum(np_conv(x, kernel, (2, 2), 'same', (1, 1)), 0.)
    layer = Conv2D(2, (2, 4), strides=2, padding='same', activation='relu', use_bias=False)
    out = apply(K, layer, x, [kernel])
    np.testing.assert_allclose(out, expected, rtol=RTOL, atol=ATOL)
    assert len(layer.weights) == 1 and layer.bias is None


@pytest.mark.parametrize('padding,strides,dilation', [
    ('valid', (1, 1, 1), (1, 1, 1)), ('same', (2, 1, 2), (1, 1, 1)),
    ('valid', (1, 1, 1), (1, 2, 1)),
])
def test_conv3d(backend, padding, strides, dilation):
    K = backend
    x = rand(1, 4, 5, 4, 2)
    kernel, bias = rand(2, 3, 2, 2, 3), rand(3)
    expected = np_conv(x, kernel, strides, padding, dilation) + bias
    run_both_formats(K, lambda f: Conv3D(3, (2, 3, 2), strides=strides, padding=padding,
                                         dilation_rate=dilation, data_format=f),
                     x, [kernel, bias], expected)


# ------------------------------------------------------ fused convolution, bias and activation

def np_conv_grads(x, kernel, strides, padding, dilation, upstream):
    """Gradients of `sum(upstream * conv(x, kernel))` with respect to `x` and `kernel`, by the
    same loops as `np_conv` (channels_last)."""
    nd = x.ndim - 2
    window = kernel.shape[:nd]
    pads = spatial_pads(x, window, strides, padding, dilation)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)]).astype('float64')
    grad_xp = np.zeros_like(xp)
    grad_kernel = np.zeros(kernel.shape, 'float64')
    for idx in itertools.product(*[range(s) for s in upstream.shape[1:-1]]):
        g = upstream[(slice(None),) + idx].astype('float64')          # (batch, out)
        for kidx in itertools.product(*[range(k) for k in window]):
            pos = tuple(idx[i] * strides[i] + kidx[i] * dilation[i] for i in range(nd))
            grad_kernel[kidx] += xp[(slice(None),) + pos].T.dot(g)
            grad_xp[(slice(None),) + pos] += g.dot(kernel[kidx].T.astype('float64'))
    inner = tuple(slice(before, before + x.shape[1 + i]) for i, (before, _) in enumerate(pads))
    return grad_xp[(slice(None),) + inner], grad_kernel


def _fused_case(K, rank, data_format, padding, strides, dilation, activation, use_bias):
    """Runs a convolution layer and `K.gradients` of `sum(target * output)` with respect to
    its input, kernel and bias; returns them and the NumPy references (channels_last)."""
    layer_class = {1: Conv1D, 2: Conv2D, 3: Conv3D}[rank]
    x = rand(*((2,) + (6, 7, 5)[:rank] + (3,)))
    kernel = rand(*((3, 2, 3)[:rank] + (3, 4)))
    bias = rand(4)
    layer = layer_class(4, kernel.shape[:rank], strides=strides, padding=padding,
                        dilation_rate=dilation, data_format=data_format,
                        activation=activation, use_bias=use_bias)
    x_in = x if data_format == 'channels_last' else to_first(x)
    inputs = Input(shape=x_in.shape[1:])
    outputs = layer(inputs)
    layer.set_weights([kernel, bias] if use_bias else [kernel])
    pre = np_conv(x, kernel, (strides,) * rank, padding, (dilation,) * rank)
    if use_bias:
        pre = pre + bias
    slope = np.ones_like(pre)
    if activation == 'relu':
        expected, slope = np.maximum(pre, 0.), (pre > 0).astype('float64')
    elif activation == 'tanh':
        expected = np.tanh(pre)
        slope = 1. - expected ** 2
    else:
        expected = pre
    target = rand(*expected.shape)
    target_in = target if data_format == 'channels_last' else to_first(target)
    target_input = Input(shape=target_in.shape[1:])
    loss = K.sum(outputs * target_input)
    weights = layer.trainable_weights
    fetch = K.function([inputs, target_input],
                       [outputs] + K.gradients(loss, [inputs] + weights))
    got = fetch([x_in, target_in])
    if data_format == 'channels_first':
        got[0], got[1] = to_last(got[0]), to_last(got[1])
    upstream = target * slope
    grad_x, grad_kernel = np_conv_grads(x, kernel, (strides,) * rank, padding,
                                        (dilation,) * rank, upstream)
    wanted = [expected, grad_x, grad_kernel]
    if use_bias:
        wanted.append(upstream.sum(axis=tuple(range(rank + 1))))
    return got, wanted


@pytest.mark.parametrize('rank,data_format,padding,strides,dilation', [
    (2, 'channels_last', 'valid', 1, 1), (2, 'channels_first', 'valid', 1, 1),
    (2, 'channels_last', 'same', 2, 1), (2, 'channels_first', 'same', 1, 2),
    (2, 'channels_last', 'valid', 1, 2), (2, 'channels_first', 'same', 2, 1),
    (1, 'channels_last', 'causal', 1, 2), (1, 'channels_first', 'same', 2, 1),
    (1, 'channels_last', 'valid', 1, 1),
    (3, 'channels_last', 'same', 1, 1), (3, 'channels_first', 'valid', 2, 1),
])
def test_conv_relu_and_bias_values_and_gradients(backend, rank, data_format, padding, strides,
                                                 dilation):
    got, wanted = _fused_case(backend, rank, data_format, padding, strides, dilation, 'relu',
                              True)
    for name, value, reference in zip(['output', 'input grad', 'kernel grad', 'bias grad'],
                                      got, wanted):
        np.testing.assert_allclose(value, reference, rtol=RTOL, atol=ATOL, err_msg=name)


@pytest.mark.parametrize('activation,use_bias,data_format', [
    ('relu', False, 'channels_first'), ('tanh', True, 'channels_last'),
    ('tanh', False, 'channels_first'), (None, True, 'channels_first'),
])
def test_conv_other_activations_and_no_bias_values_and_gradients(backend, activation, use_bias,
                                                                 data_format):
    got, wanted = _fused_case(backend, 2, data_format, 'same', 1, 1, activation, use_bias)
    assert len(got) == len(wanted)
    for name, value, reference in zip(['output', 'input grad', 'kernel grad', 'bias grad'],
                                      got, wanted):
        np.testing.assert_allclose(value, reference, rtol=RTOL, atol=ATOL, err_msg=name)


@pytest.mark.parametrize('data_format,padding,strides,dilation,activation', [
    ('channels_last', 'valid', 1, 1, 'relu'), ('channels_first', 'same', 2, 1, 'relu'),
    ('channels_last', 'same', 1, 2, None), ('channels_first', 'valid', 2, 1, 'tanh'),
])
def test_conv_bias_gradient_summed_apart(backend, monkeypatch, data_format, padding, strides,
                                         dilation, activation):
    # On torch a large enough 2-D convolution output takes its bias gradient as a sum of the
    # output gradient; here every output is large enough.
    if backend.backend() == 'torch':
        import importlib
        torch_conv = importlib.import_module('cornu.backend.torch.conv')
        monkeypatch.setattr(torch_conv, '_SUMMED_BIAS_MIN_OUTPUT', 0)
    got, wanted = _fused_case(backend, 2, data_format, padding, strides, dilation, activation,
                              True)
    for name, value, reference in zip(['output', 'input grad', 'kernel grad', 'bias grad'],
                                      got, wanted):
        np.testing.assert_allclose(value, reference, rtol=RTOL, atol=ATOL, err_msg=name)


@pytest.mark.parametrize('rank,data_format,padding,strides,dilation,use_bias,crop', [
    (2, 'channels_last', 'valid', 1, 1, True, False),
    (2, 'channels_first', 'same', 2, 1, True, False),
    (2, 'channels_last', 'same', 1, 2, False, False),
    (2, 'channels_first', 'valid', 1, 1, False, True),
    (2, 'channels_last', 'same', 2, 1, True, True),
    (1, 'channels_last', 'causal', 1, 2, True, False),
    (1, 'channels_first', 'same', 2, 1, False, False),
])
@pytest.mark.parametrize('batch', [3, 2048])
def test_conv_relu_prediction_matches_numpy(backend, rank, data_format, padding, strides,
                                            dilation, use_bias, crop, batch):
    """Prediction, where no gradient is wanted, against NumPy: both layouts, padding kinds,
    strides, dilation, with and without bias, and an input that is a strided view (cropped
    before the layer). Batches of 3 and of 2048 rows: torch takes oneDNN's convolution with
    the ReLU fused into it for outputs of 2 ** 16 elements and more, and the plain
    convolution and ReLU below that."""
    layer_class = {1: Conv1D, 2: Conv2D}[rank]
    x = rand(*((batch,) + (8, 9)[:rank] + (3,)))
    kernel = rand(*((3, 2)[:rank] + (3, 4)))
    bias = rand(4)
    x_in = x if data_format == 'channels_last' else to_first(x)
    inputs = Input(shape=x_in.shape[1:])
    hidden = inputs
    if crop:
        hidden = Cropping2D(((1, 0), (0, 2)), data_format=data_format)(inputs)
        x = x[:, 1:, :-2]
    layer = layer_class(4, kernel.shape[:rank], strides=strides, padding=padding,
                        dilation_rate=dilation, data_format=data_format, activation='relu',
                        use_bias=use_bias)
    model = Model(inputs, layer(hidden))
    layer.set_weights([kernel, bias] if use_bias else [kernel])
    pre = np_conv(x, kernel, (strides,) * rank, padding, (dilation,) * rank)
    expected = np.maximum(pre + bias if use_bias else pre, 0.)
    got = model.predict(x_in, batch_size=batch)
    if data_format == 'channels_first':
        got = to_last(got)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


def test_conv_relu_output_read_by_two_layers_trains_as_numpy(backend):
    """The ReLU written into the convolution's output must leave autograd's saved values
    intact when that output feeds two branches; one SGD step against NumPy."""
    K = backend
    from cornu.optimizers import SGD
    x = rand(3, 5, 5, 2)
    kernel, bias = rand(3, 3, 2, 2), rand(2)
    inputs = Input(shape=(5, 5, 2))
    conv = Conv2D(2, 3, activation='relu')
    hidden = conv(inputs)
    flat = Flatten()(hidden)
    from cornu.layers import Add
    outputs = Add()([flat, Flatten()(hidden)])
    model = Model(inputs, outputs)
    conv.set_weights([kernel, bias])
    model.compile(SGD(lr=0.1), 'mse')
    target = rand(3, 18)
    model.train_on_batch(x, target)
    pre = np_conv(x, kernel, (1, 1), 'valid', (1, 1)) + bias
    out = 2. * np.maximum(pre, 0.).reshape(3, -1)
    upstream = (2. / out.size) * (out - target) * 2.            # d mse / d hidden
    upstream = upstream.reshape(pre.shape) * (pre > 0)
    _, grad_kernel = np_conv_grads(x, kernel, (1, 1), 'valid', (1, 1), upstream)
    grad_bias = upstream.sum(axis=(0, 1, 2))
    new_kernel, new_bias = conv.get_weights()
    np.testing.assert_allclose(new_kernel, kernel - 0.1 * grad_kernel, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(new_bias, bias - 0.1 * grad_bias, rtol=RTOL, atol=ATOL)


def test_unknown_spatial_sizes(backend):
    K = backend
    inputs = Input(shape=(None, None, 2))
    conv = Conv2D(3, 3, padding='valid', strides=2)
    outputs = conv(inputs)
    assert K.int_shape(outputs) == (None, None, None, 3)
    model = Model(inputs, outputs)
    assert model.predict(rand(1, 7, 9, 2)).shape == (1, 3, 4, 3)
    assert model.predict(rand(1, 5, 5, 2)).shape == (1, 2, 2, 3)
    transpose = Conv2DTranspose(2, 3, strides=2, padding='same')
    up = transpose(inputs)
    assert K.int_shape(up) == (None, None, None, 2)
    model = Model(inputs, up)
    assert model.predict(rand(1, 3, 4, 2)).shape == (1, 6, 8, 2)
    assert model.predict(rand(2, 5, 2, 2)).shape == (2, 10, 4, 2)


# ---------------------------------------------------------------------------- transposed

@pytest.mark.parametrize('kernel_size,strides,padding,output_padding', [
    (3, 1, 'valid', None), (3, 2, 'valid', None), (3, 2, 'same', None),
    (4, 2, 'same', None), (2, 3, 'valid', None), (3, 2, 'valid', 1), (3, 2, 'same', 1),
    (4, 2, 'same', 1), ((3, 2), (2, 1), 'same', None),
])
def test_conv2d_transpose(backend, kernel_size, strides, padding, output_padding):
    K = backend
    kernel_size = conv_utils.normalize_tuple(kernel_size, 2, 'kernel_size')
    strides = conv_utils.normalize_tuple(strides, 2, 'strides')
    out_pads = (None, None) if output_padding is None else (output_padding,) * 2
    x = rand(2, 3, 4, 2)
    kernel, bias = rand(*(kernel_size + (3, 2))), rand(3)
    sizes = [conv_utils.deconv_length(x.shape[1 + i], strides[i], kernel_size[i], padding,
                                      out_pads[i]) for i in range(2)]
    expected = np_conv_transpose(x, kernel, strides, padding, sizes, (1, 1)) + bias
    assert expected.shape == (2,) + tuple(sizes) + (3,)
    run_both_formats(K, lambda f: Conv2DTranspose(3, kernel_size, strides=strides,
                                                  padding=padding,
                                                  output_padding=output_padding,
                                                  data_format=f),
                     x, [kernel, bias], expected)


def test_conv2d_transpose_is_gradient_of_conv2d(backend):
    """`<conv(x), y> == <x, conv_transpose(y)>` with the same kernel (up to the layouts)."""
    K = backend
    x = rand(1, 6, 6, 2)
    y = rand(1, 3, 3, 4)
    kernel = rand(3, 3, 2, 4)  # conv: 2 -> 4; transposed: (3, 3, out=2, in=4)
    conv_out = apply(K, Conv2D(4, 3, strides=2, padding='same', use_bias=False), x, [kernel])
    back = apply(K, Conv2DTranspose(2, 3, strides=2, padding='same', use_bias=False), y,
                 [kernel])
    np.testing.assert_allclose(np.sum(conv_out * y), np.sum(x * back), rtol=1e-4)


@pytest.mark.parametrize('strides,padding,output_padding', [
    ((1, 1, 1), 'valid', None), ((2, 1, 2), 'same', None), ((2, 2, 2), 'valid', 1),
])
def test_conv3d_transpose(backend, strides, padding, output_padding):
    K = backend
    kernel_size = (2, 3, 2)
    out_pads = (None,) * 3 if output_padding is None else (output_padding,) * 3
    x = rand(1, 2, 3, 2, 2)
    kernel, bias = rand(*(kernel_size + (3, 2))), rand(3)
    sizes = [conv_utils.deconv_length(x.shape[1 + i], strides[i], kernel_size[i], padding,
                                      out_pads[i]) for i in range(3)]
    expected = np_conv_transpose(x, kernel, strides, padding, sizes, (1, 1, 1)) + bias
    run_both_formats(K, lambda f: Conv3DTranspose(3, kernel_size, strides=strides,
                                                  padding=padding,
                                                  output_padding=output_padding,
                                                  data_format=f),
                     x, [kernel, bias], expected)


def test_conv2d_transpose_dilation(backend):
    K = backend
    x = rand(1, 3, 3, 2)
    kernel, bias = rand(3, 3, 2, 2), rand(2)
    sizes = [conv_utils.deconv_length(3, 1, 3, 'valid', None, dilation=2)] * 2
    expected = np_conv_transpose(x, kernel, (1, 1), 'valid', sizes, (2, 2)) + bias
    layer = Conv2DTranspose(2, 3, dilation_rate=2)
    out = apply(K, layer, x, [kernel, bias])
    np.testing.assert_allclose(out, expected, rtol=RTOL, atol=ATOL)
    assert round_trip(layer).dilation_rate == (2, 2)


# ---------------------------------------------------------------------------- separable

@pytest.mark.parametrize('padding,strides,dilation,multiplier', [
    ('valid', (1, 1), (1, 1), 1), ('same', (2, 2), (1, 1), 2), ('valid', (1, 1), (2, 2), 2),
    ('same', (1, 2), (1, 1), 3),
])
def test_separable_conv2d(backend, padding, strides, dilation, multiplier):
    K = backend
    x = rand(2, 5, 5, 2)
    depthwise, pointwise, bias = rand(3, 3, 2, multiplier), rand(1, 1, 2 * multiplier, 3), rand(3)
    expected = np_conv(np_conv(x, depthwise_as_full(depthwise), strides, padding, dilation),
                       pointwise, (1, 1), 'valid', (1, 1)) + bias
    run_both_formats(K, lambda f: SeparableConv2D(3, 3, strides=strides, padding=padding,
                                                  dilation_rate=dilation,
                                                  depth_multiplier=multiplier, data_format=f),
                     x, [depthwise, pointwise, bias], expected)


@pytest.mark.parametrize('padding,strides,dilation,multiplier', [
    ('valid', 1, 1, 1), ('same', 2, 1, 2), ('valid', 1, 2, 2),
])
def test_separable_conv1d(backend, padding, strides, dilation, multiplier):
    K = backend
    x = rand(2, 7, 3)
    depthwise, pointwise, bias = rand(3, 3, multiplier), rand(1, 3 * multiplier, 2), rand(2)
    expected = np_conv(np_conv(x, depthwise_as_full(depthwise), (strides,), padding,
                               (dilation,)), pointwise, (1,), 'valid', (1,)) + bias
    run_both_formats(K, lambda f: SeparableConv1D(2, 3, strides=strides, padding=padding,
                                                  dilation_rate=dilation,
                                                  depth_multiplier=multiplier, data_format=f),
                     x, [depthwise, pointwise, bias], expected)


@pytest.mark.parametrize('padding,strides,dilation,multiplier', [
    ('valid', (1, 1), (1, 1), 1), ('same', (2, 2), (1, 1), 2), ('valid', (1, 1), (2, 2), 3),
])
def test_depthwise_conv2d(backend, padding, strides, dilation, multiplier):
    K = backend
    x = rand(2, 5, 5, 2)
    depthwise, bias = rand(3, 3, 2, multiplier), rand(2 * multiplier)
    expected = np_conv(x, depthwise_as_full(depthwise), strides, padding, dilation) + bias
    # Output channel c * multiplier + m comes from input channel c (TensorFlow's order).
    run_both_formats(K, lambda f: DepthwiseConv2D(3, strides=strides, padding=padding,
                                                  dilation_rate=dilation,
                                                  depth_multiplier=multiplier, data_format=f),
                     x, [depthwise, bias], expected)


# ---------------------------------------------------------------------------- weights

def test_weight_shapes_and_names(backend):
    K = backend
    checks = [
        (Conv2D(32, 3), (28, 28, 1), [(3, 3, 1, 32), (32,)], ['kernel', 'bias']),
        (Conv1D(8, 5, use_bias=False), (20, 3), [(5, 3, 8)], ['kernel']),
        (Conv3D(4, (1, 2, 3)), (5, 5, 5, 2), [(1, 2, 3, 2, 4), (4,)], ['kernel', 'bias']),
        (Conv2DTranspose(6, (3, 2)), (4, 4, 5), [(3, 2, 6, 5), (6,)], ['kernel', 'bias']),
        (Conv3DTranspose(6, 2), (3, 3, 3, 5), [(2, 2, 2, 6, 5), (6,)], ['kernel', 'bias']),
        (DepthwiseConv2D(3, depth_multiplier=4), (8, 8, 3), [(3, 3, 3, 4), (12,)],
         ['depthwise_kernel', 'bias']),
        (SeparableConv2D(7, 3, depth_multiplier=2), (8, 8, 3),
         [(3, 3, 3, 2), (1, 1, 6, 7), (7,)], ['depthwise_kernel', 'pointwise_kernel', 'bias']),
        (SeparableConv1D(7, 3, depth_multiplier=2), (8, 3), [(3, 3, 2), (1, 6, 7), (7,)],
         ['depthwise_kernel', 'pointwise_kernel', 'bias']),
    ]
    for layer, input_shape, shapes, names in checks:
        layer(Input(shape=input_shape))
        assert [K.int_shape(w) for w in layer.weights] == shapes, layer.name
        assert [w.name for w in layer.weights] == [layer.name + '/' + n + ':0' for n in names]
        assert layer.count_params() == sum(int(np.prod(s)) for s in shapes)
    channels_first = Conv2D(32, 3, data_format='channels_first')
    channels_first(Input(shape=(1, 28, 28)))
    assert [K.int_shape(w) for w in channels_first.weights] == [(3, 3, 1, 32), (32,)]
    assert Conv2D(2, 3).name == 'conv2d_3' and Conv2DTranspose(2, 3).name == 'conv2d_transpose_2'


def test_regularizers_and_constraints(backend):
    K = backend
    layer = Conv2D(2, 3, kernel_regularizer=regularizers.l2(0.1),
                   bias_regularizer=regularizers.l1(0.5), kernel_constraint='non_neg')
    layer(Input(shape=(5, 5, 1)))
    kernel, bias = rand(3, 3, 1, 2), rand(2)
    layer.set_weights([kernel, bias])
    losses = [float(K.eval(loss)) for loss in layer.losses]
    np.testing.assert_allclose(sorted(losses),
                               sorted([0.1 * np.sum(kernel ** 2), 0.5 * np.sum(np.abs(bias))]),
                               rtol=1e-5)
    assert layer.kernel_constraint.__class__.__name__ == 'NonNeg'
    separable = SeparableConv2D(2, 3, depthwise_regularizer='l2', pointwise_regularizer='l1')
    separable(Input(shape=(5, 5, 1)))
    assert len(separable.losses) == 2


def test_mnist_cnn(backend):
    K = backend
    model = Sequential()
    model.add(Conv2D(32, kernel_size=(3, 3), activation='relu', input_shape=(28, 28, 1)))
    model.add(Conv2D(64, (3, 3), activation='relu'))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128, activation='relu'))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation='softmax'))
    assert model.count_params() == 1199882
    assert [layer.output_shape for layer in model.layers[:4]] == [
        (None, 26, 26, 32), (None, 24, 24, 64), (None, 12, 12, 64), (None, 12, 12, 64)]
    assert model.layers[4].output_shape == (None, 9216)
    out = model.predict(np.random.rand(3, 28, 28, 1).astype('float32'))
    assert out.shape == (3, 10)
    np.testing.assert_allclose(out.sum(axis=1), np.ones(3), rtol=1e-5)


# ---------------------------------------------------------------------------- upsampling

def test_upsampling1d(backend):
    K = backend
    x = rand(2, 4, 3)
    layer = UpSampling1D(size=3)
    np.testing.assert_array_equal(apply(K, layer, x), np.repeat(x, 3, axis=1))
    round_trip(layer, ['size'])


@pytest.mark.parametrize('data_format', FORMATS)
def test_upsampling2d_nearest(backend, data_format):
    K = backend
    x = rand(2, 3, 4, 2)
    expected = np.repeat(np.repeat(x, 2, axis=1), 3, axis=2)
    run_both_formats(K, lambda f: UpSampling2D(size=(2, 3), data_format=f), x, None, expected)


def np_resize_bilinear(x, factors):
    """TensorFlow 1 `resize_bilinear` (no aligned corners, no half-pixel centres), loops."""
    batch, rows, cols, channels = x.shape
    out_rows, out_cols = rows * factors[0], cols * factors[1]
    out = np.zeros((batch, out_rows, out_cols, channels), 'float64')
    for i in range(out_rows):
        pi = i * rows / out_rows
        i0 = int(np.floor(pi))
        i1, fi = min(i0 + 1, rows - 1), pi - i0
        for j in range(out_cols):
            pj = j * cols / out_cols
            j0 = int(np.floor(pj))
            j1, fj = min(j0 + 1, cols - 1), pj - j0
            top = x[:, i0, j0] + (x[:, i0, j1] - x[:, i0, j0]) * fj
            bottom = x[:, i1, j0] + (x[:, i1, j1] - x[:, i1, j0]) * fj
            out[:, i, j] = top + (bottom - top) * fi
    return out


def test_upsampling2d_bilinear(backend):
    K = backend
    x = rand(2, 3, 4, 2)
    expected = np_resize_bilinear(x, (2, 3))
    run_both_formats(K, lambda f: UpSampling2D(size=(2, 3), data_format=f,
                                               interpolation='bilinear'), x, None, expected)
    layer = UpSampling2D(interpolation='bilinear')
    assert round_trip(layer, ['size', 'data_format', 'interpolation']).interpolation == \
        'bilinear'
    with pytest.raises(ValueError, match='interpolation should be one of'):
        UpSampling2D(interpolation='bicubic')


def test_upsampling3d(backend):
    K = backend
    x = rand(1, 2, 3, 2, 2)
    expected = np.repeat(np.repeat(np.repeat(x, 2, axis=1), 1, axis=2), 3, axis=3)
    run_both_formats(K, lambda f: UpSampling3D(size=(2, 1, 3), data_format=f), x, None,
                     expected)
    round_trip(UpSampling3D(), ['size', 'data_format'])


# ---------------------------------------------------------------------------- zero-padding

def test_zero_padding(backend):
    K = backend
    x = rand(2, 4, 3)
    layer = ZeroPadding1D((1, 2))
    np.testing.assert_array_equal(apply(K, layer, x), np.pad(x, ((0, 0), (1, 2), (0, 0))))
    assert ZeroPadding1D(3).padding == (3, 3)
    round_trip(layer, ['padding'])

    x = rand(2, 3, 4, 2)
    for padding, pads in [(1, ((1, 1), (1, 1))), ((2, 1), ((2, 2), (1, 1))),
                          (((1, 0), (2, 3)), ((1, 0), (2, 3)))]:
        expected = np.pad(x, ((0, 0),) + pads + ((0, 0),))
        run_both_formats(K, lambda f: ZeroPadding2D(padding, data_format=f), x, None,
                         expected)
        assert ZeroPadding2D(padding).padding == pads
    round_trip(ZeroPadding2D(), ['padding', 'data_format'])

    x = rand(1, 2, 3, 2, 2)
    pads = ((1, 0), (0, 2), (1, 1))
    run_both_formats(K, lambda f: ZeroPadding3D(pads, data_format=f), x, None,
                     np.pad(x, ((0, 0),) + pads + ((0, 0),)))
    assert ZeroPadding3D(2).padding == ((2, 2),) * 3
    round_trip(ZeroPadding3D(), ['padding', 'data_format'])


# ---------------------------------------------------------------------------- cropping

def test_cropping(backend):
    K = backend
    x = rand(2, 6, 3)
    layer = Cropping1D((1, 2))
    np.testing.assert_array_equal(apply(K, layer, x), x[:, 1:4])
    assert Cropping1D(2).cropping == (2, 2)
    round_trip(layer, ['cropping'])

    x = rand(2, 5, 6, 2)
    for cropping, index in [(1, (slice(1, 4), slice(1, 5))),
                            ((0, 2), (slice(0, None), slice(2, 4))),
                            (((1, 0), (2, 1)), (slice(1, None), slice(2, 5)))]:
        expected = x[(slice(None),) + index]
        run_both_formats(K, lambda f: Cropping2D(cropping, data_format=f), x, None, expected)
    round_trip(Cropping2D(), ['cropping', 'data_format'])

    x = rand(1, 4, 3, 5, 2)
    cropping = ((1, 0), (0, 1), (2, 1))
    run_both_formats(K, lambda f: Cropping3D(cropping, data_format=f), x, None,
                     x[:, 1:, :2, 2:4])
    round_trip(Cropping3D(), ['cropping', 'data_format'])

    model = Sequential([Cropping2D(cropping=((2, 2), (4, 4)), input_shape=(28, 28, 3)),
                        Conv2D(64, (3, 3), padding='same'),
                        Cropping2D(cropping=((2, 2), (2, 2)))])
    assert model.layers[0].output_shape == (None, 24, 20, 3)
    assert model.output_shape == (None, 20, 16, 64)


def test_cropping_a_whole_axis_leaves_it_empty(backend):
    K = backend
    x = rand(2, 4, 3)
    layer = Cropping1D((2, 2))
    out = apply(K, layer, x)
    assert out.shape == (2, 0, 3)
    assert layer.compute_output_shape((None, 4, 3)) == (None, 0, 3)
    model = Sequential([Cropping1D((2, 2), input_shape=(4, 3))])
    assert model.output_shape == (None, 0, 3)
    assert model.predict(x).shape == (2, 0, 3)
    with pytest.raises(ValueError, match=r'removes more than the 4 steps of spatial axis 0'):
        Cropping1D((3, 2)).compute_output_shape((None, 4, 3))


# ---------------------------------------------------------------------------- configurations

_CONV_KEYS = ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate',
              'activation', 'use_bias', 'kernel_initializer', 'bias_initializer',
              'kernel_regularizer', 'bias_regularizer', 'activity_regularizer',
              'kernel_constraint', 'bias_constraint']
_KERNEL_KEYS = ('kernel_initializer', 'kernel_regularizer', 'kernel_constraint')
_SEPARABLE_KEYS = [k for k in _CONV_KEYS if k not in _KERNEL_KEYS] + [
    'depth_multiplier', 'depthwise_initializer', 'pointwise_initializer',
    'depthwise_regularizer', 'pointwise_regularizer', 'depthwise_constraint',
    'pointwise_constraint']
_TRANSPOSE_KEYS = [k for k in _CONV_KEYS if k != 'dilation_rate'] + ['output_padding']
_DEPTHWISE_KEYS = [k for k in _CONV_KEYS if k != 'filters' and k not in _KERNEL_KEYS] + [
    'depth_multiplier', 'depthwise_initializer', 'depthwise_regularizer',
    'depthwise_constraint']


def test_configs(backend):
    conv = Conv2D(4, (3, 2), strides=2, padding='same', data_format='channels_first',
                  activation='relu', kernel_regularizer=regularizers.l2(0.01),
                  bias_constraint='max_norm', name='my_conv')
    config = round_trip(conv, _CONV_KEYS).get_config()
    assert config['kernel_size'] == (3, 2) and config['strides'] == (2, 2)
    assert config['dilation_rate'] == (1, 1) and config['activation'] == 'relu'
    assert config['name'] == 'my_conv' and config['data_format'] == 'channels_first'
    assert config['kernel_initializer']['class_name'] == 'VarianceScaling'
    conv1d = round_trip(Conv1D(2, 3, padding='causal', dilation_rate=2), _CONV_KEYS)
    assert conv1d.get_config()['strides'] == (1,) and conv1d.padding == 'causal'
    assert conv1d.get_config()['data_format'] == 'channels_last'
    round_trip(Conv3D(2, 3), _CONV_KEYS)
    transpose = round_trip(Conv2DTranspose(2, 3, strides=2, output_padding=1), _TRANSPOSE_KEYS)
    assert transpose.output_padding == (1, 1)
    assert round_trip(Conv3DTranspose(2, 3), _TRANSPOSE_KEYS).output_padding is None
    round_trip(SeparableConv2D(2, 3, depth_multiplier=2, depthwise_regularizer='l2'),
               _SEPARABLE_KEYS)
    round_trip(SeparableConv1D(2, 3), _SEPARABLE_KEYS)
    depthwise = round_trip(DepthwiseConv2D(3, depth_multiplier=3), _DEPTHWISE_KEYS)
    assert depthwise.depth_multiplier == 3


def test_config_in_a_model_round_trips(backend):
    inputs = Input(shape=(8, 8, 3))
    x = SeparableConv2D(4, 3, padding='same')(inputs)
    x = Conv2DTranspose(2, 3, strides=2)(x)
    x = Cropping2D(1)(x)
    outputs = DepthwiseConv2D(3)(UpSampling2D()(ZeroPadding2D(1)(x)))
    model = Model(inputs, outputs)
    clone = Model.from_config(model.get_config())
    assert clone.output_shape == model.output_shape
    clone.set_weights(model.get_weights())
    x = rand(2, 8, 8, 3)
    np.testing.assert_allclose(clone.predict(x), model.predict(x), rtol=1e-5, atol=1e-6)


def test_image_data_format_default(backend):
    K = backend
    K.set_image_data_format('channels_first')
    try:
        layer = Conv2D(2, 3)
        assert layer.data_format == 'channels_first'
        out = apply(K, layer, rand(1, 3, 5, 5))
        assert out.shape == (1, 2, 3, 3)
        assert Conv1D(2, 3).data_format == 'channels_last'  # Keras 2.2.4's Conv1D default
    finally:
        K.set_image_data_format('channels_last')


# ---------------------------------------------------------------------------- Keras 1 API

def test_aliases():
    from cornu.layers import convolutional
    assert convolutional.Convolution1D is Conv1D
    assert convolutional.Convolution2D is Conv2D and convolutional.Convolution3D is Conv3D
    assert convolutional.SeparableConvolution1D is SeparableConv1D
    assert convolutional.SeparableConvolution2D is SeparableConv2D
    assert convolutional.Convolution2DTranspose is Conv2DTranspose
    assert convolutional.Deconvolution2D is Conv2DTranspose
    assert convolutional.Deconv2D is Conv2DTranspose
    assert convolutional.Deconvolution3D is Conv3DTranspose
    assert convolutional.Deconv3D is Conv3DTranspose
    assert convolutional.AtrousConv1D is convolutional.AtrousConvolution1D
    assert convolutional.AtrousConv2D is convolutional.AtrousConvolution2D
    assert convolutional.MaxPooling2D is MaxPooling2D  # Keras 2 re-exported pooling here
    assert issubclass(Conv2DTranspose, Conv2D) and issubclass(DepthwiseConv2D, Conv2D)


def test_keras1_arguments(backend):
    from cornu.layers import (Convolution1D, Convolution2D, Convolution3D, AtrousConvolution1D,
                              AtrousConvolution2D, Deconvolution2D)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        conv = Convolution2D(16, 3, 5, border_mode='same', subsample=(2, 2),
                             dim_ordering='th', init='he_normal', bias=False)
    assert 'Update your `Conv2D` call to the Keras 2 API' in str(caught[-1].message)
    assert conv.kernel_size == (3, 5) and conv.padding == 'same' and conv.strides == (2, 2)
    assert conv.data_format == 'channels_first' and conv.use_bias is False
    assert conv.kernel_initializer.__class__.__name__ == 'VarianceScaling'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        assert Convolution2D(4, nb_row=2, nb_col=3).kernel_size == (2, 3)
        conv1d = Convolution1D(nb_filter=8, filter_length=3, input_dim=5, input_length=10,
                               subsample_length=2)
        assert (conv1d.filters, conv1d.kernel_size, conv1d.strides) == (8, (3,), (2,))
        assert conv1d.batch_input_shape == (None, 10, 5)
        assert Convolution3D(2, 1, 2, 3).kernel_size == (1, 2, 3)
        atrous = AtrousConvolution2D(4, 3, 3, atrous_rate=(2, 2), border_mode='same')
        assert type(atrous) is Conv2D and atrous.dilation_rate == (2, 2)
        assert atrous.padding == 'same' and atrous.kernel_size == (3, 3)
        atrous1d = AtrousConvolution1D(4, 3, atrous_rate=2, padding='causal')
        assert type(atrous1d) is Conv1D and atrous1d.dilation_rate == (2,)
        deconv = Deconvolution2D(3, 3, 3, output_shape=(None, 10, 10, 3), subsample=(2, 2))
        assert deconv.kernel_size == (3, 3) and deconv.strides == (2, 2)
        padding = ZeroPadding2D(padding={'top_pad': 1, 'left_pad': 2})
        assert padding.padding == ((1, 0), (2, 0))
        assert UpSampling1D(length=3).size == 3
    with pytest.raises(TypeError, match='Stick to the latter'):
        Conv2D(4, 3, padding='same', border_mode='valid')


# ---------------------------------------------------------------------------- errors

def test_kernel_larger_than_input(backend):
    K = backend
    with pytest.raises(ValueError) as error:
        Conv2D(2, (3, 3), name='too_big')(Input(shape=(2, 5, 1)))
    message = str(error.value)
    assert 'too_big (Conv2D)' in message and '(None, 2, 5, 1)' in message
    assert 'kernel_size=(3, 3)' in message and 'padding="valid"' in message
    with pytest.raises(ValueError, match=r'conv1d_\d+ \(Conv1D\).*dilation_rate=\(3,\)'):
        Conv1D(2, 3, dilation_rate=3)(Input(shape=(6, 1)))
    # Concrete inputs: the first call builds the layer and checks the same way...
    with pytest.raises(ValueError, match='is too small for kernel_size'):
        Conv3D(1, 3)(K.constant(rand(1, 2, 4, 4, 1)))
    # ... and a later, smaller input is explained instead of the engine's error.
    inputs = Input(shape=(None, None, 1))
    model = Model(inputs, Conv2D(1, 3, name='later')(inputs))
    with pytest.raises(ValueError, match=r'later \(Conv2D\).*\(1, 2, 2, 1\)'):
        model.predict(rand(1, 2, 2, 1))
    with pytest.raises(ValueError, match=r'cropping2d_\d+ \(Cropping2D\): cropping .* removes '
                                         r'more than the 4 steps of spatial axis 0'):
        Cropping2D(((3, 2), (0, 0)))(Input(shape=(4, 4, 1)))
    # 'same' padding never fails.
    assert K.int_shape(Conv2D(2, 5, padding='same')(Input(shape=(2, 2, 1)))) == (None, 2, 2, 2)


def test_argument_errors():
    with pytest.raises(ValueError, match=r'Layer conv2d_\d+ \(Conv2D\): The `data_format` '
                                         r'argument must be one of'):
        Conv2D(2, 3, data_format='channels_middle')
    with pytest.raises(ValueError, match='bad_kernel.*The `kernel_size` argument must be a '
                                         'tuple of 2 integers. Received: \\(3, 3, 3\\)'):
        Conv2D(2, (3, 3, 3), name='bad_kernel')
    with pytest.raises(ValueError, match=r'\(Conv3D\): The `strides` argument must be a '
                                         r'tuple of 3 integers'):
        Conv3D(2, 3, strides=(1, 2))
    with pytest.raises(ValueError, match=r'\(Conv1D\).*dilation_rate'):
        Conv1D(2, 3, dilation_rate=(1, 2))
    with pytest.raises(ValueError, match=r'\(Conv2D\): The `padding` argument must be "valid" '
                                         r'or "same" \("causal" padding is only supported by '
                                         r'`Conv1D`\)\. Received: \'causal\''):
        Conv2D(2, 3, padding='causal')
    for layer_class in (SeparableConv1D, Conv2DTranspose):
        with pytest.raises(ValueError, match='causal'):
            layer_class(2, 3, padding='causal')
    with pytest.raises(ValueError, match='causal padding in `Conv1D`, `data_format` must be '
                                         '"channels_last"'):
        Conv1D(2, 3, padding='causal', data_format='channels_first')
    with pytest.raises(ValueError, match='padding'):
        Conv2D(2, 3, padding='full')
    with pytest.raises(ValueError, match=r'The `output_padding` argument must be smaller than '
                                         r'`strides` \(2, 2\) along every axis\. Received: 2'):
        Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match='`filters` argument must be a positive integer'):
        Conv2D(0, 3)
    with pytest.raises(ValueError, match='depth_multiplier'):
        DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match=r'ZeroPadding2D.*`padding` argument must be a non-'
                                         r'negative int, a tuple of 2 ints .*Received: '
                                         r'\(1, 2, 3\)'):
        ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match=r'Cropping3D.*`cropping` argument .*Received: '
                                         r'\(1, \(1, 2, 3\), 1\)'):
        Cropping3D((1, (1, 2, 3), 1))
    with pytest.raises(TypeError, match='Keyword argument not understood'):
        Conv2D(2, 3, nonsense=1)


def test_input_errors(backend):
    with pytest.raises(ValueError, match=r'conv2d_\d+.*expected ndim=4, found ndim=3'):
        Conv2D(2, 3)(Input(shape=(5, 5)))
    with pytest.raises(ValueError, match='channel dimension of the inputs should be defined'):
        Conv2D(2, 3)(Input(shape=(5, 5, None)))
    conv = Conv2D(2, 3)
    conv(Input(shape=(5, 5, 3)))
    with pytest.raises(ValueError, match='expected axis -1 of input shape to have value 3'):
        conv(Input(shape=(5, 5, 4)))
    with pytest.raises(ValueError, match='would not map back'):
        Conv2DTranspose(2, 4, strides=2, padding='same', output_padding=0)(
            Input(shape=(5, 5, 1)))
