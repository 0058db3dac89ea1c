"""K math ops (products, reductions, element-wise, shapes) against NumPy reference formulas."""
import numpy as np
import pytest

RTOL = 1e-5
ATOL = 1e-6


def close(actual, expected, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def rand(*shape):
    return np.random.uniform(-1, 1, shape).astype('float32')


# PRODUCTS

@pytest.mark.parametrize('x_shape,y_shape', [
    ((2, 3), (3, 4)), ((2, 5, 3), (3, 4)), ((2, 3), (4, 3, 5)), ((2, 4, 3), (5, 3, 2)),
])
def test_dot(backend, x_shape, y_shape):
    K = backend
    x, y = rand(*x_shape), rand(*y_shape)
    # Keras 2: contract x's last axis with y's second-to-last; result x[:-1] + y[:-2] + y[-1:].
    expected = np.tensordot(x, y, axes=([x.ndim - 1], [y.ndim - 2]))
    result = K.eval(K.dot(K.variable(x), K.variable(y)))
    assert result.shape == x_shape[:-1] + y_shape[:-2] + y_shape[-1:]
    close(result, expected)


def reference_batch_dot(x, y, axes):
    out = np.stack([np.tensordot(x[i], y[i], axes=(axes[0] - 1, axes[1] - 1))
                    for i in range(x.shape[0])])
    return out.reshape(out.shape[0], 1) if out.ndim == 1 else out


@pytest.mark.parametrize('x_shape,y_shape,axes,out_shape', [
    ((3, 4), (3, 4), 1, (3, 1)),
    ((3, 4), (3, 4), (1, 1), (3, 1)),
    ((3, 4), (3, 4), -1, (3, 1)),
    ((2, 4, 1), (2, 3, 4), (1, 2), (2, 1, 3)),
    ((2, 3), (2, 4, 3), (1, 2), (2, 4)),
    ((2, 3, 4), (2, 4, 5), None, (2, 3, 5)),
    ((2, 3, 4), (2, 5, 4), (2, 2), (2, 3, 5)),
    ((2, 4, 3), (2, 4, 5), (1, 1), (2, 3, 5)),
])
def test_batch_dot(backend, x_shape, y_shape, axes, out_shape):
    K = backend
    x, y = rand(*x_shape), rand(*y_shape)
    result = K.eval(K.batch_dot(K.variable(x), K.variable(y), axes=axes))
    assert result.shape == out_shape
    normalized = axes if axes is not None else (x.ndim - 1, y.ndim - 2)
    if isinstance(normalized, int):
        normalized = (normalized, normalized)
    normalized = tuple(a % n for a, n in zip(normalized, (x.ndim, y.ndim)))
    close(result, reference_batch_dot(x, y, normalized))


def test_batch_dot_default_axes_3d_by_2d(backend):
    K = backend
    # Keras 2.2.4: axes (2, 0); y is padded to (b, n, 1) and the matmul contracts y's axis 1.
    x, y = rand(2, 3, 4), rand(2, 4)
    result = K.eval(K.batch_dot(x, y))
    close(result, np.einsum('bij,bj->bi', x, y))


def test_batch_dot_rejects_multiple_axes(backend):
    K = backend
    with pytest.raises(ValueError):
        K.batch_dot(rand(2, 3), rand(2, 3), axes=([1, 2], [1]))


def test_transpose(backend):
    K = backend
    x2, x3 = rand(2, 3), rand(2, 3, 4)
    close(K.eval(K.transpose(x2)), x2.T)
    close(K.eval(K.transpose(K.variable(x3))), np.transpose(x3))


def test_gather(backend):
    K = backend
    reference = rand(5, 3)
    indices = np.array([[0, 4], [2, 2]], dtype='int32')
    close(K.eval(K.gather(K.variable(reference), indices)), reference[indices])
    reference3 = rand(4, 2, 3)
    close(K.eval(K.gather(reference3, [3, 0])), reference3[[3, 0]])


# REDUCTIONS

REDUCTIONS = [
    ('max', np.max), ('min', np.min), ('sum', np.sum), ('prod', np.prod), ('mean', np.mean),
    ('var', np.var), ('std', np.std), ('logsumexp', None),
]


def np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


@pytest.mark.parametrize('name,np_fn', REDUCTIONS)
@pytest.mark.parametrize('axis', [None, 1, -1, [0, 2], (1,)])
@pytest.mark.parametrize('keepdims', [False, True])
def test_reductions(backend, name, np_fn, axis, keepdims):
    K = backend
    x = rand(2, 3, 4) + 1.5
    np_fn = np_fn or np_logsumexp
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    expected = np_fn(x, axis=np_axis, keepdims=keepdims)
    result = K.eval(getattr(K, name)(K.variable(x), axis=axis, keepdims=keepdims))
    assert result.shape == np.shape(expected)
    close(result, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('name,np_fn', [('any', np.any), ('all', np.all)])
@pytest.mark.parametrize('axis', [None, 0, -1, [0, 1]])
@pytest.mark.parametrize('keepdims', [False, True])
def test_logical_reductions(backend, name, np_fn, axis, keepdims):
    K = backend
    x = np.array([[0, 1, 2], [0, 0, 3]], dtype='float32')
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    result = K.eval(getattr(K, name)(x, axis=axis, keepdims=keepdims))
    assert result.dtype == np.bool_
    np.testing.assert_array_equal(result, np_fn(x != 0, axis=np_axis, keepdims=keepdims))


def test_mean_of_bool_and_int(backend):
    K = backend
    flags = np.array([[True, False], [True, True]])
    close(K.eval(K.mean(flags, axis=1)), [0.5, 1.0])
    assert K.dtype(K.mean(flags)) == K.floatx()
    ints = np.array([[1, 2], [3, 6]], dtype='int32')
    # TensorFlow's integer reduce_mean truncates.
    np.testing.assert_array_equal(K.eval(K.mean(ints, axis=1)), [1, 4])


def test_reduction_over_empty_axis_list_is_identity(backend):
    K = backend
    x = rand(2, 3)
    close(K.eval(K.sum(x, axis=[])), x)


@pytest.mark.parametrize('name,np_fn', [('cumsum', np.cumsum), ('cumprod', np.cumprod)])
def test_cumulative(backend, name, np_fn):
    K = backend
    x = rand(3, 4)
    close(K.eval(getattr(K, name)(x)), np_fn(x, axis=0))
    close(K.eval(getattr(K, name)(x, axis=1)), np_fn(x, axis=1))


def test_argmax_argmin(backend):
    K = backend
    x = rand(3, 4, 5)
    np.testing.assert_array_equal(K.eval(K.argmax(x)), np.argmax(x, axis=-1))
    np.testing.assert_array_equal(K.eval(K.argmin(x, axis=1)), np.argmin(x, axis=1))


# ELEMENT-WISE

@pytest.mark.parametrize('name,np_fn', [
    ('square', np.square), ('abs', np.abs), ('exp', np.exp), ('sign', np.sign),
    ('sin', np.sin), ('cos', np.cos), ('sqrt', lambda v: np.sqrt(np.maximum(v, 0))),
])
def test_unary(backend, name, np_fn):
    K = backend
    x = rand(3, 4)
    close(K.eval(getattr(K, name)(K.variable(x))), np_fn(x))


def test_log(backend):
    K = backend
    x = np.abs(rand(3, 4)) + 0.1
    close(K.eval(K.log(x)), np.log(x))


def test_round_half_to_even(backend):
    K = backend
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.4, 2.6], dtype='float32')
    np.testing.assert_array_equal(K.eval(K.round(x)), [0., 2., 2., -0., -2., 0., 3.])


def test_pow(backend):
    K = backend
    x = np.abs(rand(3, 4)) + 0.1
    close(K.eval(K.pow(x, 3)), x ** 3)
    close(K.eval(K.pow(K.variable(x), 0.5)), x ** 0.5)


def test_clip(backend):
    K = backend
    x = rand(4, 5) * 3
    close(K.eval(K.clip(x, -1., 1.)), np.clip(x, -1., 1.))
    # A maximum below the minimum is raised to the minimum, as Keras 2 did.
    close(K.eval(K.clip(x, 0.5, 0.1)), np.full_like(x, 0.5))
    close(K.eval(K.clip(x, 0., None)), np.maximum(x, 0.))


@pytest.mark.parametrize('name,np_fn', [
    ('equal', np.equal), ('not_equal', np.not_equal), ('greater', np.greater),
    ('greater_equal', np.greater_equal), ('less', np.less), ('less_equal', np.less_equal),
])
def test_comparisons(backend, name, np_fn):
    K = backend
    x = np.array([[1., 2., 3.], [3., 2., 1.]], dtype='float32')
    y = np.array([[1., 1., 4.], [3., 3., 0.]], dtype='float32')
    fn = getattr(K, name)
    result = K.eval(fn(K.variable(x), y))
    assert result.dtype == np.bool_
    np.testing.assert_array_equal(result, np_fn(x, y))
    np.testing.assert_array_equal(K.eval(fn(x, 2.)), np_fn(x, 2.))


def test_maximum_minimum(backend):
    K = backend
    x, y = rand(3, 4), rand(3, 4)
    close(K.eval(K.maximum(x, y)), np.maximum(x, y))
    close(K.eval(K.minimum(K.variable(x), y)), np.minimum(x, y))
    close(K.eval(K.maximum(x, 0.)), np.maximum(x, 0.))
    close(K.eval(K.minimum(x, 0.25)), np.minimum(x, 0.25))


def test_sqrt_gradient_is_zero_below_zero(backend):
    K = backend
    x = np.array([0.25, 4., -1.], dtype='float32')
    v = K.placeholder(shape=(3,))
    grad = K.function([v], K.gradients(K.sum(K.sqrt(v)), [v]))([x])[0]
    close(grad, [1., 0.25, 0.])


def test_maximum_gradient_of_scalar_bound(backend):
    K = backend
    v = K.placeholder(shape=(2,))
    grad = K.function([v], K.gradients(K.sum(K.maximum(v, 0.)), [v]))(
        [np.array([-1., 2.], dtype='float32')])[0]
    close(grad, [0., 1.])


# SHAPES

def test_concatenate_and_stack(backend):
    K = backend
    a, b = rand(2, 3), rand(2, 4)
    close(K.eval(K.concatenate([a, K.variable(b)])), np.concatenate([a, b], axis=-1))
    close(K.eval(K.concatenate([a, a], axis=0)), np.concatenate([a, a], axis=0))
    close(K.eval(K.stack([a, a], axis=1)), np.stack([a, a], axis=1))


def test_reshape_permute_flatten(backend):
    K = backend
    x = rand(2, 3, 4)
    close(K.eval(K.reshape(x, (2, -1))), x.reshape(2, -1))
    close(K.eval(K.reshape(x, [4, 3, 2])), x.reshape(4, 3, 2))
    close(K.eval(K.permute_dimensions(x, (0, 2, 1))), x.transpose(0, 2, 1))
    close(K.eval(K.flatten(x)), x.reshape(-1))
    close(K.eval(K.batch_flatten(x)), x.reshape(2, -1))


def test_expand_dims_and_squeeze(backend):
    K = backend
    x = rand(2, 3)
    assert K.int_shape(K.expand_dims(x)) == (2, 3, 1)
    assert K.int_shape(K.expand_dims(x, 0)) == (1, 2, 3)
    assert K.int_shape(K.squeeze(K.expand_dims(x, 1), 1)) == (2, 3)
    with pytest.raises(ValueError):
        K.squeeze(x, 1)


@pytest.mark.parametrize('data_format', ['channels_last', 'channels_first'])
def test_resize_images_nearest(backend, data_format):
    K = backend
    x = rand(2, 3, 4, 5)
    axes = (1, 2) if data_format == 'channels_last' else (2, 3)
    expected = np.repeat(np.repeat(x, 2, axis=axes[0]), 3, axis=axes[1])
    close(K.eval(K.resize_images(x, 2, 3, data_format)), expected)


def np_resize_bilinear_legacy(x, height_factor, width_factor):
    # TensorFlow 1 resize_bilinear, align_corners=False: source = index * in / out.
    n, h, w, c = x.shape
    out_h, out_w = h * height_factor, w * width_factor
    out = np.zeros((n, out_h, out_w, c), dtype='float64')
    for i in range(out_h):
        src_y = i * (h / out_h)
        y0 = int(np.floor(src_y))
        y1 = min(y0 + 1, h - 1)
        fy = src_y - y0
        for j in range(out_w):
            src_x = j * (w / out_w)
            x0 = int(np.floor(src_x))
            x1 = min(x0 + 1, w - 1)
            fx = src_x - x0
            top = x[:, y0, x0] + (x[:, y0, x1] - x[:, y0, x0]) * fx
            bottom = x[:, y1, x0] + (x[:, y1, x1] - x[:, y1, x0]) * fx
            out[:, i, j] = top + (bottom - top) * fy
    return out


def test_resize_images_bilinear(backend):
    K = backend
    x = rand(1, 3, 2, 2)
    expected = np_resize_bilinear_legacy(x, 2, 3)
    close(K.eval(K.resize_images(x, 2, 3, 'channels_last', interpolation='bilinear')),
          expected, atol=1e-5)
    x_first = np.transpose(x, (0, 3, 1, 2))
    result = K.eval(K.resize_images(x_first, 2, 3, 'channels_first', interpolation='bilinear'))
    close(result, np.transpose(expected, (0, 3, 1, 2)), atol=1e-5)
    with pytest.raises(ValueError):
        K.resize_images(x, 2, 2, 'channels_last', interpolation='cubic')


@pytest.mark.parametrize('data_format', ['channels_last', 'channels_first'])
def test_resize_volumes(backend, data_format):
    K = backend
    x = rand(1, 2, 3, 2, 2)
    first = 1 if data_format == 'channels_last' else 2
    expected = np.repeat(np.repeat(np.repeat(x, 2, first), 1, first + 1), 3, first + 2)
    close(K.eval(K.resize_volumes(x, 2, 1, 3, data_format)), expected)


def test_repeat_elements_repeat_tile(backend):
    K = backend
    x = rand(2, 3)
    close(K.eval(K.repeat_elements(x, 3, axis=1)), np.repeat(x, 3, axis=1))
    close(K.eval(K.repeat_elements(x, 2, axis=-2)), np.repeat(x, 2, axis=0))
    repeated = K.eval(K.repeat(x, 4))
    assert repeated.shape == (2, 4, 3)
    close(repeated, np.repeat(x[:, None, :], 4, axis=1))
    close(K.eval(K.tile(x, [2, 3])), np.tile(x, (2, 3)))
    close(K.eval(K.tile(rand(3) * 0 + 1, 2)), np.ones(6))


def test_arange(backend):
    K = backend
    result = K.arange(5)
    assert K.dtype(result) == 'int32'
    np.testing.assert_array_equal(K.eval(result), np.arange(5))
    np.testing.assert_array_equal(K.eval(K.arange(2, 9, 3)), np.arange(2, 9, 3))
    assert K.eval(K.arange(-3)).shape == (0,)
    close(K.eval(K.arange(0, 1, 0.25, dtype='float32')), np.arange(0, 1, 0.25))


@pytest.mark.parametrize('data_format', ['channels_last', 'channels_first'])
def test_padding(backend, data_format):
    K = backend
    x3 = rand(2, 3, 4)
    close(K.eval(K.temporal_padding(x3, (1, 2))), np.pad(x3, ((0, 0), (1, 2), (0, 0))))
    x4 = rand(2, 3, 4, 5)
    x5 = rand(1, 2, 3, 4, 2)
    spatial2 = ((1, 0), (2, 1))
    spatial3 = ((1, 0), (0, 2), (1, 1))
    if data_format == 'channels_last':
        pad4 = ((0, 0),) + spatial2 + ((0, 0),)
        pad5 = ((0, 0),) + spatial3 + ((0, 0),)
    else:
        pad4 = ((0, 0), (0, 0)) + spatial2
        pad5 = ((0, 0), (0, 0)) + spatial3
    close(K.eval(K.spatial_2d_padding(x4, spatial2, data_format)), np.pad(x4, pad4))
    close(K.eval(K.spatial_3d_padding(x5, spatial3, data_format)), np.pad(x5, pad5))


def test_one_hot(backend):
    K = backend
    indices = np.array([[0, 2], [1, -1]], dtype='int32')
    result = K.eval(K.one_hot(indices, 3))
    assert result.dtype == np.float32 and result.shape == (2, 2, 3)
    expected = np.zeros((2, 2, 3), dtype='float32')
    expected[0, 0, 0] = expected[0, 1, 2] = expected[1, 0, 1] = 1
    np.testing.assert_array_equal(result, expected)  # -1 gives a row of zeros, as tf.one_hot


def test_reverse_and_slice(backend):
    K = backend
    x = rand(2, 3, 4)
    close(K.eval(K.reverse(x, 1)), x[:, ::-1])
    close(K.eval(K.reverse(x, [0, 2])), x[::-1, :, ::-1])
    close(K.eval(K.slice(x, (0, 1, 1), (2, 2, -1))), x[0:2, 1:3, 1:])


def test_switch(backend):
    K = backend
    a, b = rand(3, 2), rand(3, 2)
    close(K.eval(K.switch(True, a, b)), a)
    close(K.eval(K.switch(0, lambda: K.constant(a), lambda: K.constant(b))), b)
    close(K.eval(K.switch(K.constant(1, dtype='int32'), a, b)), a)
    condition = np.array([True, False, True])
    close(K.eval(K.switch(condition, a, b)), np.where(condition[:, None], a, b))
    full = a > 0
    close(K.eval(K.switch(full, a, b)), np.where(full, a, b))
    with pytest.raises(ValueError):
        K.switch(np.ones((3, 2, 1), dtype=bool), a, b)


def test_l2_normalize(backend):
    K = backend
    x = rand(3, 4)
    close(K.eval(K.l2_normalize(x, axis=-1)),
          x / np.sqrt(np.maximum(np.sum(x ** 2, axis=-1, keepdims=True), 1e-12)))
    close(K.eval(K.l2_normalize(x)), x / np.sqrt(np.sum(x ** 2)))
    close(K.eval(K.l2_normalize(np.zeros((2, 2), dtype='float32'), axis=1)), np.zeros((2, 2)))


def test_in_top_k(backend):
    K = backend
    predictions = np.array([[0.1, 0.5, 0.4, 0.5],
                            [0.9, 0.05, 0.03, 0.02],
                            [0.2, 0.2, 0.2, 0.4],
                            [0.3, np.nan, 0.3, 0.4]], dtype='float32')
    targets = np.array([2, 0, 1, 3], dtype='int32')
    result = K.eval(K.in_top_k(predictions, targets, 2))
    # Row 2: ties at the boundary count as in the top k; row 3 is not finite.
    np.testing.assert_array_equal(result, [False, True, True, False])


def test_python_and_numpy_inputs(backend):
    K = backend
    close(K.eval(K.sum([[1., 2.], [3., 4.]], axis=1)), [3., 7.])
    close(K.eval(K.square(3.)), 9.)
    np.testing.assert_array_equal(K.eval(K.equal(np.arange(3), 1)), [False, True, False])


def test_constants_and_variables_keep_their_values_when_the_array_changes(backend):
    K = backend
    # The engine may place a NumPy array without copying it (the CPU): a constant or a
    # variable made from one must own its values.
    for dtype in ('float32', 'float64', 'int32'):
        array = np.arange(64, dtype=dtype).reshape(8, 8)
        constant = K.constant(array, dtype=dtype)
        variable = K.variable(array, dtype=dtype)
        array[...] = -1
        expected = np.arange(64, dtype=dtype).reshape(8, 8)
        np.testing.assert_array_equal(K.eval(constant), expected)
        np.testing.assert_array_equal(K.get_value(variable), expected)
        assert K.dtype(constant) == dtype
