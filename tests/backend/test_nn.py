"""K neural-network ops (activations, losses, dropout, convolutions, pooling, normalization)
against NumPy reference formulas and explicit loops."""
import itertools

import numpy as np
import pytest

RTOL = 1e-5
ATOL = 1e-6
FORMATS = ['channels_last', 'channels_first']


def close(actual, expected, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def rand(*shape):
    return np.random.uniform(-1, 1, shape).astype('float32')


def to_first(x):
    return np.moveaxis(x, -1, 1)


def to_last(x):
    return np.moveaxis(x, 1, -1)


# ACTIVATIONS

def np_relu(x, alpha=0., max_value=None, threshold=0.):
    out = np.where(x > threshold, x, alpha * (x - threshold))
    if max_value is not None:
        out = np.where(x >= max_value, max_value, out)
    return out


@pytest.mark.parametrize('alpha,max_value,threshold', [
    (0., None, 0.), (0.1, None, 0.), (0., 6., 0.), (0., 0.5, 0.), (0.2, 0.5, 0.),
    (0., None, 0.3), (0.3, None, -0.2), (0.1, 0.7, 0.2),
])
def test_relu(backend, alpha, max_value, threshold):
    K = backend
    x = rand(4, 5) * 10 if max_value == 6. else rand(4, 5)
    close(K.eval(K.relu(x, alpha=alpha, max_value=max_value, threshold=threshold)),
          np_relu(x, alpha, max_value, threshold))


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_activations(backend):
    K = backend
    x = rand(3, 4) * 4
    close(K.eval(K.elu(x)), np.where(x > 0, x, np.exp(x) - 1))
    close(K.eval(K.elu(x, 0.5)), np.where(x > 0, x, 0.5 * (np.exp(x) - 1)))
    close(K.eval(K.softmax(x)), np_softmax(x))
    close(K.eval(K.softmax(x, axis=0)), np_softmax(x, axis=0))
    close(K.eval(K.softplus(x)), np.log1p(np.exp(x)))
    close(K.eval(K.softsign(x)), x / (1 + np.abs(x)))
    close(K.eval(K.sigmoid(x)), 1 / (1 + np.exp(-x)))
    close(K.eval(K.hard_sigmoid(x)), np.clip(0.2 * x + 0.5, 0, 1))
    close(K.eval(K.tanh(x)), np.tanh(x))


def test_hard_sigmoid_and_relu_gradients(backend):
    K = backend
    x = np.array([-3., -1., 0.5, 2., 3.], dtype='float32')
    v = K.placeholder(shape=(5,))
    grad = K.function([v], K.gradients(K.sum(K.hard_sigmoid(v)), [v]))([x])[0]
    close(grad, [0., .2, .2, .2, 0.])
    loss = K.sum(K.relu(v, alpha=0.1, max_value=2.5, threshold=1.))
    grad = K.function([v], K.gradients(loss, [v]))([x])[0]
    close(grad, [.1, .1, .1, 1., 0.])


# LOSSES

def test_categorical_crossentropy(backend):
    K = backend
    eps = K.epsilon()
    target = np.eye(4, dtype='float32')[[0, 2, 3]]
    output = np.random.uniform(0, 1, (3, 4)).astype('float32')
    output[0, 0] = 0.  # clipped to epsilon after rescaling
    scaled = np.clip(output / output.sum(-1, keepdims=True), eps, 1 - eps)
    close(K.eval(K.categorical_crossentropy(target, output)),
          -np.sum(target * np.log(scaled), axis=-1), rtol=1e-5)
    logits = rand(3, 4) * 3
    log_softmax = logits - np.log(np.sum(np.exp(logits), -1, keepdims=True))
    close(K.eval(K.categorical_crossentropy(target, logits, from_logits=True)),
          -np.sum(target * log_softmax, axis=-1), rtol=1e-5)


def test_categorical_crossentropy_channels_first(backend):
    K = backend
    eps = K.epsilon()
    target = np.eye(3, dtype='float32')[np.random.randint(0, 3, (2, 4))]  # (2, 4, 3)
    output = np.random.uniform(0.1, 1, (2, 4, 3)).astype('float32')
    expected = -np.sum(target * np.log(np.clip(output / output.sum(-1, keepdims=True),
                                               eps, 1 - eps)), axis=-1)
    result = K.eval(K.categorical_crossentropy(to_first(target), to_first(output), axis=1))
    close(result, expected)
    with pytest.raises(ValueError):
        K.categorical_crossentropy(target, output, axis=3)


def test_categorical_crossentropy_logits_gradient(backend):
    K = backend
    target = np.eye(3, dtype='float32')[[1, 0]]
    logits = rand(2, 3)
    v = K.placeholder(shape=(2, 3))
    loss = K.sum(K.categorical_crossentropy(target, v, from_logits=True))
    grad = K.function([v], K.gradients(loss, [v]))([logits])[0]
    close(grad, np_softmax(logits) - target)


def np_sparse_ce(target, output):
    eps = 1e-7
    clipped = np.clip(output, eps, 1 - eps)
    picked = np.take_along_axis(clipped, target[..., None], axis=-1)[..., 0]
    return -np.log(picked / clipped.sum(-1))


def test_sparse_categorical_crossentropy(backend):
    K = backend
    output = np.random.uniform(0.05, 1, (4, 3)).astype('float32')
    target = np.array([0, 2, 1, 2])
    expected = np_sparse_ce(target, output)
    close(K.eval(K.sparse_categorical_crossentropy(target[:, None].astype('float32'), output)),
          expected)
    close(K.eval(K.sparse_categorical_crossentropy(target, output)), expected)
    logits = rand(4, 3)
    log_softmax = logits - np.log(np.sum(np.exp(logits), -1, keepdims=True))
    close(K.eval(K.sparse_categorical_crossentropy(target, logits, from_logits=True)),
          -log_softmax[np.arange(4), target])


def test_sparse_categorical_crossentropy_sequences_and_axis(backend):
    K = backend
    output = np.random.uniform(0.05, 1, (2, 5, 3)).astype('float32')
    target = np.random.randint(0, 3, (2, 5))
    expected = np_sparse_ce(target, output)
    result = K.eval(K.sparse_categorical_crossentropy(target[..., None], output))
    assert result.shape == (2, 5)
    close(result, expected)
    close(K.eval(K.sparse_categorical_crossentropy(target, to_first(output), axis=1)), expected)


def test_binary_crossentropy(backend):
    K = backend
    eps = K.epsilon()
    target = np.random.randint(0, 2, (3, 4)).astype('float32')
    output = np.random.uniform(0, 1, (3, 4)).astype('float32')
    output[0, :2] = [0., 1.]
    p = np.clip(output.astype('float64'), eps, 1 - eps)
    z = np.log(p / (1 - p))
    expected = np.maximum(z, 0) - z * target + np.log1p(np.exp(-np.abs(z)))
    close(K.eval(K.binary_crossentropy(target, output)), expected, rtol=1e-4, atol=1e-5)
    logits = rand(3, 4) * 3
    expected = np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))
    close(K.eval(K.binary_crossentropy(target, logits, from_logits=True)), expected)


# DROPOUT

def test_dropout(backend):
    K = backend
    x = np.ones((200, 50), dtype='float32')
    result = K.eval(K.dropout(K.variable(x), 0.25))
    kept = result != 0
    close(result[kept], np.full(kept.sum(), 1 / 0.75))
    assert 0.70 < kept.mean() < 0.80
    close(K.eval(K.dropout(x, 0.)), x)
    with pytest.raises(ValueError):
        K.dropout(x, 1.)


@pytest.mark.parametrize('level', [0.25, 0.5, 77 / 256., 6554 / 65536., 0.1, 0.7])
def test_dropout_keeps_one_minus_level(backend, level):
    # Levels that are multiples of 2^-8 or 2^-16 and others draw masks from random words of
    # different widths on torch; each must keep a share 1 - level of the entries.
    K = backend
    x = np.ones((1000, 1000), dtype='float32')
    result = K.eval(K.dropout(K.variable(x), level))
    kept = result != 0
    np.testing.assert_array_equal(result[kept], np.float32(1) / np.float32(1 - level))
    spread = np.sqrt(level * (1 - level) / x.size)
    assert abs(kept.mean() - (1 - level)) < 6 * spread


def test_dropout_noise_shape(backend):
    K = backend
    x = np.ones((20, 6, 8), dtype='float32')
    result = K.eval(K.dropout(x, 0.5, noise_shape=(None, 1, 8)))
    # The mask is shared along the axis of size 1 in noise_shape.
    np.testing.assert_array_equal(result, np.broadcast_to(result[:, :1, :], result.shape))
    assert set(np.unique(result)) <= {0., 2.}


def test_dropout_seed(backend):
    K = backend
    x = np.ones((10, 10), dtype='float32')
    first = K.eval(K.dropout(x, 0.5, seed=3))
    second = K.eval(K.dropout(x, 0.5, seed=3))
    # A seeded dropout draws a new mask per call, reproducibly from a fresh session.
    assert not np.array_equal(first, second)
    K.clear_session()
    np.testing.assert_array_equal(K.eval(K.dropout(x, 0.5, seed=3)), first)
    np.testing.assert_array_equal(K.eval(K.dropout(x, 0.5, seed=3)), second)


# BIAS

@pytest.mark.parametrize('ndim', [2, 3, 4, 5])
@pytest.mark.parametrize('data_format', FORMATS)
def test_bias_add_vector(backend, ndim, data_format):
    K = backend
    x = rand(*((2,) + (3,) * (ndim - 2) + (4,)))
    bias = rand(4)
    expected = x + bias
    if data_format == 'channels_first' and ndim > 2:
        x, expected = to_first(x), to_first(expected)
    close(K.eval(K.bias_add(x, K.variable(bias), data_format)), expected)


@pytest.mark.parametrize('data_format', FORMATS)
def test_bias_add_per_position(backend, data_format):
    K = backend
    x = rand(2, 3, 5, 4)
    bias = rand(3, 5, 4)
    if data_format == 'channels_last':
        expected = x + bias
        close(K.eval(K.bias_add(x, bias, data_format)), expected)
    else:
        x_first = to_first(x)
        # Keras 2.2.4 reshaped (not transposed) the channels_last-shaped bias.
        expected = x_first + bias.reshape(1, 4, 3, 5)
        close(K.eval(K.bias_add(x_first, bias, data_format)), expected)


def test_bias_add_errors(backend):
    K = backend
    with pytest.raises(ValueError):
        K.bias_add(rand(2, 3, 4, 5), rand(5, 5))
    with pytest.raises(ValueError):
        K.bias_add(rand(2, 3, 4), rand(3), 'channels_last')


# CONVOLUTIONS (reference: explicit loops over channels_last data)

def same_pads(size, k, s, d):
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def np_conv(x, kernel, strides, padding, dilation):
    """x: (batch, *spatial, in); kernel: (*k, in, out); TensorFlow padding rules."""
    nd = x.ndim - 2
    k = kernel.shape[:nd]
    if padding == 'same':
        pads = [same_pads(x.shape[1 + i], k[i], strides[i], dilation[i]) for i in range(nd)]
    elif padding == 'causal':
        pads = [((k[0] - 1) * dilation[0], 0)]
    else:
        pads = [(0, 0)] * nd
    xp = np.pad(x.astype('float64'), [(0, 0)] + pads + [(0, 0)])
    sizes = [(xp.shape[1 + i] - (k[i] - 1) * dilation[i] - 1) // strides[i] + 1
             for i in range(nd)]
    out = np.zeros((x.shape[0],) + tuple(sizes) + (kernel.shape[-1],))
    for pos in np.ndindex(*sizes):
        for kpos in np.ndindex(*k):
            src = tuple(pos[i] * strides[i] + kpos[i] * dilation[i] for i in range(nd))
            out[(slice(None),) + pos] += xp[(slice(None),) + src] @ kernel[kpos]
    return out


def np_conv_gradients(x, kernel, grad, padding):
    """The gradients of `sum(np_conv(x, kernel, unit strides) * grad)` with respect to `x`
    and `kernel`, each offset's contribution scattered back by hand."""
    nd = x.ndim - 2
    k = kernel.shape[:nd]
    pads = [same_pads(x.shape[1 + i], k[i], 1, 1) if padding == 'same' else (0, 0)
            for i in range(nd)]
    xp = np.pad(x.astype('float64'), [(0, 0)] + pads + [(0, 0)])
    grad_xp = np.zeros_like(xp)
    grad_kernel = np.zeros(kernel.shape)
    for kpos in np.ndindex(*k):
        window = (slice(None),) + tuple(slice(o, o + n) for o, n in zip(kpos, grad.shape[1:-1]))
        leading = list(range(x.ndim - 1))
        grad_kernel[kpos] = np.tensordot(xp[window], grad, axes=(leading, leading))
        grad_xp[window] += grad @ kernel[kpos].T
    inside = (slice(None),) + tuple(slice(low, low + size)
                                    for (low, _), size in zip(pads, x.shape[1:-1]))
    return grad_xp[inside], grad_kernel


@pytest.mark.parametrize('x_shape,kernel_shape', [
    ((2, 7, 3), (3, 3, 4)), ((2, 6, 5, 3), (3, 2, 3, 4)), ((1, 4, 5, 3, 2), (2, 3, 2, 2, 3)),
])
@pytest.mark.parametrize('padding', ['valid', 'same'])
def test_conv_gradients(backend, x_shape, kernel_shape, padding):
    # Against the scattered contributions of each kernel offset (the JAX engine writes these
    # gradients out for unit strides, see `cornu.backend.jax.conv`).
    K = backend
    x, kernel = rand(*x_shape), rand(*kernel_shape)
    conv = {3: K.conv1d, 4: K.conv2d, 5: K.conv3d}[x.ndim]
    grad = rand(*np_conv(x, kernel, (1,) * (x.ndim - 2), padding, (1,) * (x.ndim - 2)).shape)
    inputs, weights = K.placeholder(shape=x.shape), K.variable(kernel)
    loss = K.sum(conv(inputs, weights, padding=padding) * K.constant(grad))
    computed = K.function([inputs], K.gradients(loss, [inputs, weights]))([x])
    expected = np_conv_gradients(x, kernel, grad, padding)
    close(computed[0], expected[0], atol=1e-5)
    close(computed[1], expected[1], atol=1e-5)


def test_conv_gradients_inside_a_recurrence(backend):
    # A convolution's gradient taken through `K.rnn`'s loop, as a ConvLSTM2D's is: the
    # gradient of a two-step recurrence h <- conv(h, kernel), against the chain rule by hand.
    K = backend
    h0, kernel = rand(2, 5, 4, 3), rand(3, 3, 3, 3) * 0.5
    inputs = K.placeholder(shape=(2, 2, 1))
    weights = K.variable(kernel)

    def step(x_t, states):
        h = K.conv2d(states[0], weights, padding='same') + K.sum(x_t) * 0.
        return h, [h]

    h2 = K.rnn(step, inputs, [K.constant(h0)])[0]  # the last output: h after two steps
    grad = rand(2, 5, 4, 3)
    loss = K.sum(h2 * K.constant(grad))
    computed = K.function([inputs], K.gradients(loss, [weights]))([np.zeros((2, 2, 1), 'f')])[0]
    h1 = np_conv(h0, kernel, (1, 1), 'same', (1, 1))
    grad_h1, grad_kernel_2 = np_conv_gradients(h1, kernel, grad, 'same')
    _, grad_kernel_1 = np_conv_gradients(h0, kernel, grad_h1, 'same')
    close(computed, grad_kernel_1 + grad_kernel_2, atol=1e-4)


def np_depthwise(x, kernel, strides, padding, dilation):
    """kernel: (*k, in, multiplier); output channel c * multiplier + m."""
    channels, multiplier = kernel.shape[-2:]
    outs = []
    for c in range(channels):
        for m in range(multiplier):
            outs.append(np_conv(x[..., c:c + 1], kernel[..., c:c + 1, m:m + 1], strides,
                                padding, dilation))
    return np.concatenate(outs, axis=-1)


CONV2D_CASES = [
    ((1, 1), 'valid', (1, 1)), ((1, 1), 'same', (1, 1)), ((2, 2), 'same', (1, 1)),
    ((2, 1), 'valid', (1, 1)), ((2, 2), 'valid', (1, 1)), ((1, 1), 'same', (2, 2)),
    ((1, 1), 'valid', (2, 1)), ((3, 2), 'same', (1, 1)),
]


@pytest.mark.parametrize('strides,padding,dilation', CONV2D_CASES)
@pytest.mark.parametrize('data_format', FORMATS)
def test_conv2d(backend, strides, padding, dilation, data_format):
    K = backend
    x = rand(2, 6, 5, 3)
    kernel = rand(3, 2, 3, 4)  # even width: TF 'same' pads more at the end
    expected = np_conv(x, kernel, strides, padding, dilation)
    if data_format == 'channels_first':
        x, expected = to_first(x), to_first(expected)
    result = K.eval(K.conv2d(x, K.variable(kernel), strides, padding, data_format, dilation))
    close(result, expected, atol=1e-5)


@pytest.mark.parametrize('strides,padding,dilation', [
    (1, 'valid', 1), (1, 'same', 1), (2, 'same', 1), (2, 'valid', 1), (1, 'same', 2),
    (1, 'causal', 1), (1, 'causal', 2),
])
@pytest.mark.parametrize('data_format', FORMATS)
def test_conv1d(backend, strides, padding, dilation, data_format):
    K = backend
    if padding == 'causal' and data_format == 'channels_first':
        with pytest.raises(ValueError):
            K.conv1d(rand(1, 3, 5), rand(2, 3, 2), padding='causal',
                     data_format='channels_first')
        return
    x = rand(2, 7, 3)
    kernel = rand(2, 3, 4)
    expected = np_conv(x, kernel, (strides,), padding, (dilation,))
    if data_format == 'channels_first':
        x, expected = to_first(x), to_first(expected)
    result = K.eval(K.conv1d(x, kernel, strides, padding, data_format, dilation))
    close(result, expected, atol=1e-5)


@pytest.mark.parametrize('strides,padding,dilation', [
    ((1, 1, 1), 'valid', (1, 1, 1)), ((1, 1, 1), 'same', (1, 1, 1)),
    ((2, 1, 2), 'same', (1, 1, 1)), ((1, 1, 1), 'same', (2, 1, 1)),
])
@pytest.mark.parametrize('data_format', FORMATS)
def test_conv3d(backend, strides, padding, dilation, data_format):
    K = backend
    x = rand(1, 5, 4, 3, 2)
    kernel = rand(2, 3, 2, 2, 3)
    expected = np_conv(x, kernel, strides, padding, dilation)
    if data_format == 'channels_first':
        x, expected = to_first(x), to_first(expected)
    result = K.eval(K.conv3d(x, kernel, strides, padding, data_format, dilation))
    close(result, expected, atol=1e-5)


@pytest.mark.parametrize('strides,padding,dilation', [
    ((1, 1), 'valid', (1, 1)), ((2, 2), 'same', (1, 1)), ((1, 1), 'same', (2, 2)),
])
@pytest.mark.parametrize('data_format', FORMATS)
def test_depthwise_and_separable_conv2d(backend, strides, padding, dilation, data_format):
    K = backend
    x = rand(2, 5, 6, 3)
    depthwise = rand(3, 2, 3, 2)
    pointwise = rand(1, 1, 6, 4)
    expected_depthwise = np_depthwise(x, depthwise, strides, padding, dilation)
    expected_separable = np_conv(expected_depthwise, pointwise, (1, 1), 'valid', (1, 1))
    if data_format == 'channels_first':
        x = to_first(x)
        expected_depthwise = to_first(expected_depthwise)
        expected_separable = to_first(expected_separable)
    close(K.eval(K.depthwise_conv2d(x, depthwise, strides, padding, data_format, dilation)),
          expected_depthwise, atol=1e-5)
    close(K.eval(K.separable_conv2d(x, depthwise, pointwise, strides, padding, data_format,
                                    dilation)), expected_separable, atol=1e-5)


@pytest.mark.parametrize('strides,padding', [(1, 'valid'), (2, 'same'), (1, 'same')])
@pytest.mark.parametrize('data_format', FORMATS)
def test_separable_conv1d(backend, strides, padding, data_format):
    K = backend
    x = rand(2, 7, 3)
    depthwise = rand(2, 3, 2)
    pointwise = rand(1, 6, 4)
    expected = np_conv(np_depthwise(x, depthwise, (strides,), padding, (1,)), pointwise, (1,),
                       'valid', (1,))
    if data_format == 'channels_first':
        x, expected = to_first(x), to_first(expected)
    close(K.eval(K.separable_conv1d(x, depthwise, pointwise, strides, padding, data_format)),
          expected, atol=1e-5)


def np_conv_transpose(x, kernel, out_spatial, strides, padding, dilation):
    """The adjoint of np_conv: kernel (*k, out, in), output of spatial size `out_spatial`."""
    nd = x.ndim - 2
    k = kernel.shape[:nd]
    if padding == 'same':
        before = [same_pads(out_spatial[i], k[i], strides[i], dilation[i])[0] for i in range(nd)]
    else:
        before = [0] * nd
    out = np.zeros((x.shape[0],) + tuple(out_spatial) + (kernel.shape[-2],))
    for pos in np.ndindex(*x.shape[1:-1]):
        for kpos in np.ndindex(*k):
            dst = tuple(pos[i] * strides[i] + kpos[i] * dilation[i] - before[i]
                        for i in range(nd))
            if all(0 <= dst[i] < out_spatial[i] for i in range(nd)):
                out[(slice(None),) + dst] += x[(slice(None),) + pos] @ kernel[kpos].T
    return out


@pytest.mark.parametrize('in_size,out_size,strides,padding,dilation', [
    ((3, 4), (5, 5), (1, 1), 'valid', (1, 1)),
    ((3, 3), (7, 7), (2, 2), 'valid', (1, 1)),   # output padding of 0 and 1
    ((3, 4), (6, 8), (2, 2), 'same', (1, 1)),
    ((3, 4), (5, 7), (2, 2), 'same', (1, 1)),    # odd 'same' totals: cropped at the end
    ((4, 4), (4, 4), (1, 1), 'same', (1, 1)),
    ((4, 5), (4, 5), (1, 1), 'same', (2, 2)),
])
@pytest.mark.parametrize('data_format', FORMATS)
def test_conv2d_transpose(backend, in_size, out_size, strides, padding, dilation, data_format):
    K = backend
    x = rand(2, in_size[0], in_size[1], 3)
    kernel = rand(3, 2, 4, 3)  # (rows, cols, filters, in_channels)
    expected = np_conv_transpose(x, kernel, out_size, strides, padding, dilation)
    output_shape = (2,) + out_size + (4,)
    if data_format == 'channels_first':
        x, expected = to_first(x), to_first(expected)
        output_shape = (2, 4) + out_size
    result = K.eval(K.conv2d_transpose(x, kernel, output_shape, strides, padding, data_format,
                                       dilation))
    close(result, expected, atol=1e-5)


def test_conv2d_transpose_is_the_adjoint_of_conv2d(backend):
    K = backend
    y = rand(1, 7, 6, 2)
    kernel = rand(3, 3, 2, 4)
    x = rand(1, 4, 3, 4)
    forward = K.eval(K.conv2d(y, kernel, (2, 2), 'same'))
    backward = K.eval(K.conv2d_transpose(x, kernel, (1, 7, 6, 2), (2, 2), 'same'))
    close(np.sum(forward * x), np.sum(y * backward), rtol=1e-4)


def test_conv2d_transpose_rejects_impossible_output_shape(backend):
    K = backend
    with pytest.raises(ValueError):
        K.conv2d_transpose(rand(1, 3, 3, 2), rand(2, 2, 4, 2), (1, 9, 9, 4), (2, 2), 'same')


@pytest.mark.parametrize('in_size,out_size,padding', [
    ((2, 2, 2), (5, 4, 5), 'valid'), ((2, 3, 2), (3, 5, 4), 'same'),
])
@pytest.mark.parametrize('data_format', FORMATS)
def test_conv3d_transpose(backend, in_size, out_size, padding, data_format):
    K = backend
    x = rand(*((1,) + in_size + (3,)))
    kernel = rand(2, 2, 3, 2, 3)  # (k1, k2, k3, filters, in_channels)
    expected = np_conv_transpose(x, kernel, out_size, (2, 2, 2), padding, (1, 1, 1))
    output_shape = (1,) + out_size + (2,)
    if data_format == 'channels_first':
        x, expected = to_first(x), to_first(expected)
        output_shape = (1, 2) + out_size
    result = K.eval(K.conv3d_transpose(x, kernel, output_shape, (2, 2, 2), padding,
                                       data_format))
    close(result, expected, atol=1e-5)


# POOLING

def np_pool(x, pool_size, strides, padding, mode):
    """x channels_last; 'same' windows only cover real entries (TensorFlow)."""
    nd = x.ndim - 2
    if padding == 'same':
        pads = [same_pads(x.shape[1 + i], pool_size[i], strides[i], 1) for i in range(nd)]
        sizes = [-(-x.shape[1 + i] // strides[i]) for i in range(nd)]
    else:
        pads = [(0, 0)] * nd
        sizes = [(x.shape[1 + i] - pool_size[i]) // strides[i] + 1 for i in range(nd)]
    out = np.zeros((x.shape[0],) + tuple(sizes) + (x.shape[-1],))
    for pos in np.ndindex(*sizes):
        window = tuple(slice(max(pos[i] * strides[i] - pads[i][0], 0),
                             min(pos[i] * strides[i] - pads[i][0] + pool_size[i],
                                 x.shape[1 + i])) for i in range(nd))
        values = x[(slice(None),) + window]
        axes = tuple(range(1, nd + 1))
        out[(slice(None),) + pos] = values.max(axis=axes) if mode == 'max' else values.mean(
            axis=axes)
    return out


@pytest.mark.parametrize('pool_size,strides,padding', [
    ((2, 2), (2, 2), 'valid'), ((3, 2), (1, 1), 'valid'), ((2, 2), (2, 2), 'same'),
    ((3, 3), (2, 2), 'same'), ((2, 3), (1, 1), 'same'), ((3, 3), (1, 1), 'same'),
])
@pytest.mark.parametrize('mode', ['max', 'avg'])
@pytest.mark.parametrize('data_format', FORMATS)
def test_pool2d(backend, pool_size, strides, padding, mode, data_format):
    K = backend
    x = rand(2, 5, 6, 3)
    expected = np_pool(x, pool_size, strides, padding, mode)
    if data_format == 'channels_first':
        x, expected = to_first(x), to_first(expected)
    result = K.eval(K.pool2d(x, pool_size, strides, padding, data_format, mode))
    close(result, expected)


@pytest.mark.parametrize('pool_size,strides,padding', [
    ((2, 2, 2), (2, 2, 2), 'valid'), ((2, 3, 2), (2, 1, 2), 'same'),
])
@pytest.mark.parametrize('mode', ['max', 'avg'])
@pytest.mark.parametrize('data_format', FORMATS)
def test_pool3d(backend, pool_size, strides, padding, mode, data_format):
    K = backend
    x = rand(1, 5, 4, 3, 2)
    expected = np_pool(x, pool_size, strides, padding, mode)
    if data_format == 'channels_first':
        x, expected = to_first(x), to_first(expected)
    close(K.eval(K.pool3d(x, pool_size, strides, padding, data_format, mode)), expected)


def test_pool_rejects_unknown_mode(backend):
    K = backend
    with pytest.raises(ValueError):
        K.pool2d(rand(1, 4, 4, 1), (2, 2), pool_mode='median')


# NORMALIZATION

@pytest.mark.parametrize('shape,axes,unbiased', [
    ((6, 4), [0], False),
    ((3, 4, 5), [0, 1], False),
    ((3, 4, 5), [0, 2], False),
    ((2, 3, 4, 5), [0, 1, 2], True),
    ((2, 3, 4, 5), [0, 2, 3], True),
])
@pytest.mark.parametrize('affine', [True, False])
def test_normalize_batch_in_training(backend, shape, axes, unbiased, affine):
    K = backend
    x = rand(*shape) * 2 + 0.5
    kept = [size for i, size in enumerate(shape) if i not in axes]
    gamma = np.random.uniform(0.5, 1.5, kept).astype('float32').reshape(-1) if affine else None
    beta = rand(*kept).reshape(-1) if affine else None
    normed, mean, var = K.normalize_batch_in_training(x, gamma, beta, axes, epsilon=1e-3)
    np_axes = tuple(axes)
    np_mean = x.mean(axis=np_axes)
    np_var = x.var(axis=np_axes)
    keep_shape = [1 if i in axes else size for i, size in enumerate(shape)]
    expected = (x - np_mean.reshape(keep_shape)) / np.sqrt(np_var.reshape(keep_shape) + 1e-3)
    if affine:
        expected = expected * gamma.reshape(keep_shape) + beta.reshape(keep_shape)
    close(K.eval(normed), expected, atol=1e-5)
    close(K.eval(mean), np_mean.reshape(np_mean.shape), atol=1e-6)
    n = x.size // np_mean.size
    # Keras 2.2.4 took 4-D per-channel statistics from TF's fused kernel: unbiased variance.
    close(K.eval(var), np_var * (n / (n - 1)) if unbiased else np_var, atol=1e-6)


def test_normalize_batch_in_training_gamma_gradient(backend):
    K = backend
    x = rand(8, 3)
    weights = rand(8, 3)
    gamma = K.variable(np.ones(3, dtype='float32'))
    inputs = K.placeholder(shape=(8, 3))
    normed, _, _ = K.normalize_batch_in_training(inputs, gamma, None, [0], epsilon=1e-3)
    loss = K.sum(normed * K.constant(weights))
    grad = K.function([inputs], K.gradients(loss, [gamma]))([x])[0]
    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3)
    close(grad, np.sum(x_hat * weights, axis=0), atol=1e-5)


@pytest.mark.parametrize('shape,axis,broadcast', [
    ((5, 4), -1, False), ((2, 3, 4, 5), -1, False), ((2, 3, 4, 5), 1, False),
    ((2, 3, 4, 5), 1, True), ((2, 3, 4), 1, True),
])
def test_batch_normalization(backend, shape, axis, broadcast):
    K = backend
    x = rand(*shape)
    channels = shape[axis]
    mean, beta = rand(channels), rand(channels)
    var = np.random.uniform(0.5, 1.5, channels).astype('float32')
    gamma = np.random.uniform(0.5, 1.5, channels).astype('float32')
    view = [1] * len(shape)
    view[axis] = channels
    expected = ((x - mean.reshape(view)) / np.sqrt(var.reshape(view) + 1e-3) *
                gamma.reshape(view) + beta.reshape(view))
    params = [p.reshape(view) if broadcast else p for p in (mean, var, beta, gamma)]
    close(K.eval(K.batch_normalization(x, *params, axis=axis, epsilon=1e-3)), expected,
          atol=1e-5)
    plain = (x - mean.reshape(view)) / np.sqrt(var.reshape(view) + 1e-3)
    close(K.eval(K.batch_normalization(x, params[0], params[1], None, None, axis=axis,
                                       epsilon=1e-3)), plain, atol=1e-5)


# LOCALLY-CONNECTED

def test_local_conv1d(backend):
    K = backend
    x = rand(2, 7, 3)
    kernel_size, stride = 3, 2
    output_length = (7 - kernel_size) // stride + 1
    kernel = rand(output_length, kernel_size * 3, 4)
    expected = np.stack([
        x[:, i * stride:i * stride + kernel_size, :].reshape(2, -1) @ kernel[i]
        for i in range(output_length)], axis=1)
    close(K.eval(K.local_conv1d(x, kernel, (kernel_size,), (stride,))), expected, atol=1e-5)


@pytest.mark.parametrize('data_format', FORMATS)
def test_local_conv2d(backend, data_format):
    K = backend
    x = rand(2, 5, 6, 3)
    kernel_size, strides = (2, 3), (2, 1)
    output_shape = (2, 4)
    kernel = rand(8, 2 * 3 * 3, 4)
    data = x if data_format == 'channels_last' else to_first(x)
    expected = np.zeros((2, 2, 4, 4))
    for i, j in itertools.product(range(2), range(4)):
        rows = slice(i * strides[0], i * strides[0] + kernel_size[0])
        cols = slice(j * strides[1], j * strides[1] + kernel_size[1])
        if data_format == 'channels_last':
            patch = data[:, rows, cols, :]
        else:
            patch = data[:, :, rows, cols]
        expected[:, i, j] = patch.reshape(2, -1) @ kernel[i * 4 + j]
    if data_format == 'channels_first':
        expected = to_first(expected)
    result = K.eval(K.local_conv2d(data, kernel, kernel_size, strides, output_shape,
                                   data_format))
    close(result, expected, atol=1e-5)
