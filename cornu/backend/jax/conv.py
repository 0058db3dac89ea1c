"""Convolutions and pooling on JAX, with Keras 2 kernel layouts and TensorFlow's 'SAME'
padding (split from `nn.py`).

Bare implementations: each function's signature, docstring and argument-only checks are
in `cornu.backend.api.conv`, which calls these.
"""
import functools
import itertools

import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

from .. import common
from ..conv_arithmetic import (check_causal, normalize_tuple, padding_pairs,
                               transposed_padding)
from .core import DEVICE, _t

__all__ = [
    'conv1d', 'conv2d', 'conv3d', 'depthwise_conv2d', 'separable_conv2d', 'separable_conv1d',
    'conv2d_transpose', 'conv3d_transpose', 'pool2d', 'pool3d',
]


# CONVOLUTIONS

_SPATIAL = {1: 'W', 2: 'HW', 3: 'DHW'}


def _layouts(nd, data_format, kernel_layout=None):
    spatial = _SPATIAL[nd]
    data = 'NC' + spatial if data_format == 'channels_first' else 'N' + spatial + 'C'
    return (data, kernel_layout or spatial + 'IO', data)


def _spatial_sizes(x, nd, data_format):
    return tuple(x.shape[2:]) if data_format == 'channels_first' else tuple(x.shape[1:nd + 1])


def _check_window(sizes, pairs, windows, strides, dilation, what):
    """Raises a `ValueError` when a window does not fit in the (padded) input: XLA would
    return an empty tensor where TensorFlow and torch fail."""
    for size, (before, after), k, s, d in zip(sizes, pairs, windows, strides, dilation):
        span = (k - 1) * d + 1
        if size + before + after < span:
            raise ValueError('%s: an input of spatial size %s is too small for a window of '
                             'size %s (output size %d).' % (what, tuple(sizes), tuple(windows),
                                                           (size + before + after - span) // s
                                                           + 1))


def _conv(x, kernel, nd, strides, padding, data_format, dilation, groups=1):
    """N-D convolution of a Keras-layout `x` with a Keras-layout kernel `(*k, in, out)`."""
    sizes = _spatial_sizes(x, nd, data_format)
    pairs = padding_pairs(sizes, padding, kernel.shape[:nd], strides, dilation)
    _check_window(sizes, pairs, kernel.shape[:nd], strides, dilation, 'Convolution')
    kernel = kernel.astype(x.dtype)
    if (_WRITES_OUT_CONV_GRADIENTS and data_format != 'channels_first' and groups == 1 and
            set(strides) == {1} and set(dilation) == {1} and
            int(np.prod(kernel.shape[:nd])) <= _MOST_GRADIENT_OFFSETS and
            all(0 <= low < k and 0 <= high < k
                for (low, high), k in zip(pairs, kernel.shape[:nd]))):
        return _unit_stride_conv(x, kernel, tuple(tuple(pair) for pair in pairs))
    return lax.conv_general_dilated(
        x, kernel, strides, pairs, rhs_dilation=dilation,
        dimension_numbers=_layouts(nd, data_format), feature_group_count=groups)


# A convolution's gradient is two more convolutions, and XLA's CPU backend runs both far
# more slowly inside a loop's body (a ConvLSTM2D's recurrence, a `lax.scan`) than outside
# one. Measured on a (10, 40, 40, 40) input and a 3x3x40x160 kernel, 'same' padding: the
# kernel's gradient ~1.3 s against ~20 ms, the input's ~57 ms against ~15 ms. The gradient
# of a channels-last convolution with unit strides is written out here instead, as a
# forward convolution (the input's) and one matrix product per kernel offset (the
# kernel's): ~16 and ~13 ms inside a loop as outside one. Above `_MOST_GRADIENT_OFFSETS`
# kernel offsets, the products would make too long a program. Other devices keep XLA's
# gradient (on a GPU, cuDNN's own kernels for both).
_MOST_GRADIENT_OFFSETS = 32
_WRITES_OUT_CONV_GRADIENTS = DEVICE.platform == 'cpu'


def _plain_conv(x, kernel, pairs):
    nd = kernel.ndim - 2
    if nd == 3:
        return _conv3d_by_frames(x, kernel, pairs)
    return lax.conv_general_dilated(x, kernel, (1,) * nd, pairs,
                                    dimension_numbers=_layouts(nd, 'channels_last'))


def _conv3d_by_frames(x, kernel, pairs):
    """A unit-stride 3-D convolution as the sum, over the kernel's depth offsets, of 2-D
    convolutions of all the frames at once: XLA's CPU backend runs those 1.5 to 2.4 times as
    fast as its 3-D convolution (measured: a (10, 15, 40, 40, 40) input into 1 channel, as
    the Conv3D of Keras 2's conv_lstm example, 164 against 389 ms; 16 into 32 channels of
    (8, 16, 32, 32), 65 against 99 ms)."""
    (low, high), plane_pairs = pairs[0], list(pairs[1:])
    padded = jnp.pad(x, ((0, 0), (low, high), (0, 0), (0, 0), (0, 0)))
    batch, depth = x.shape[0], padded.shape[1] - kernel.shape[0] + 1
    total = None
    for offset in range(kernel.shape[0]):
        frames = padded[:, offset:offset + depth]
        plane = lax.conv_general_dilated(frames.reshape((batch * depth,) + frames.shape[2:]),
                                         kernel[offset], (1, 1), plane_pairs,
                                         dimension_numbers=_layouts(2, 'channels_last'))
        total = plane if total is None else total + plane
    return total.reshape((batch, depth) + total.shape[1:])


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _unit_stride_conv(x, kernel, pairs):
    return _plain_conv(x, kernel, pairs)


def _unit_stride_conv_forward(x, kernel, pairs):
    return _plain_conv(x, kernel, pairs), (x, kernel)


def _unit_stride_conv_backward(pairs, residuals, grad):
    x, kernel = residuals
    nd = kernel.ndim - 2
    window = kernel.shape[:nd]
    # The input's gradient: the output's gradient convolved with the kernel flipped in
    # space, its input and output channels swapped, padded so that each input position
    # meets every output position it contributed to.
    flipped = jnp.swapaxes(kernel[(slice(None, None, -1),) * nd], -1, -2)
    grad_x = _plain_conv(grad, flipped,
                         [(k - 1 - low, k - 1 - high) for k, (low, high) in zip(window, pairs)])
    # The kernel's gradient at each offset: the (padded) input seen through the window at
    # that offset, times the output's gradient, summed over the batch and the positions.
    padded = jnp.pad(x, ((0, 0),) + pairs + ((0, 0),))
    out_sizes = grad.shape[1:nd + 1]
    channels_in, channels_out = kernel.shape[-2:]
    grad_rows = grad.reshape(-1, channels_out)
    blocks = []
    for offset in itertools.product(*[range(k) for k in window]):
        window_rows = padded[(slice(None),) +
                             tuple(slice(o, o + n) for o, n in zip(offset, out_sizes))]
        blocks.append(lax.dot_general(window_rows.reshape(-1, channels_in), grad_rows,
                                      (((0,), (0,)), ((), ()))))
    return grad_x, jnp.stack(blocks).reshape(kernel.shape)


_unit_stride_conv.defvjp(_unit_stride_conv_forward, _unit_stride_conv_backward)


def _depthwise_kernel(kernel):
    # (rows, cols, in, multiplier) -> (rows, cols, 1, in * multiplier); output channel
    # i * multiplier + m reads input channel i, as in TensorFlow.
    rows, cols, channels, multiplier = kernel.shape
    return kernel.reshape(rows, cols, 1, channels * multiplier)


def conv1d(x, kernel, strides=1, padding='valid', data_format=None, dilation_rate=1):
    x = _t(x)
    kernel = _t(kernel)
    stride = normalize_tuple(strides, 1)
    dilation = normalize_tuple(dilation_rate, 1)
    if padding == 'causal':
        check_causal(data_format)
        x = jnp.pad(x, ((0, 0), (dilation[0] * (kernel.shape[0] - 1), 0), (0, 0)))
        padding = 'valid'
    return _conv(x, kernel, 1, stride, padding, data_format, dilation)


def conv2d(x, kernel, strides=(1, 1), padding='valid', data_format=None, dilation_rate=(1, 1)):
    return _conv(_t(x), _t(kernel), 2, normalize_tuple(strides, 2), padding, data_format,
                 normalize_tuple(dilation_rate, 2))


def conv3d(x, kernel, strides=(1, 1, 1), padding='valid', data_format=None,
           dilation_rate=(1, 1, 1)):
    return _conv(_t(x), _t(kernel), 3, normalize_tuple(strides, 3), padding, data_format,
                 normalize_tuple(dilation_rate, 3))


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding='valid', data_format=None,
                     dilation_rate=(1, 1)):
    depthwise_kernel = _t(depthwise_kernel)
    return _conv(_t(x), _depthwise_kernel(depthwise_kernel), 2, normalize_tuple(strides, 2),
                 padding, data_format, normalize_tuple(dilation_rate, 2),
                 groups=depthwise_kernel.shape[2])


def _separable(x, depthwise_kernel, pointwise_kernel, nd, strides, padding, data_format,
               dilation):
    channels = depthwise_kernel.shape[-2]
    if nd == 1:
        depthwise = depthwise_kernel.reshape(depthwise_kernel.shape[0], 1, -1)
    else:
        depthwise = _depthwise_kernel(depthwise_kernel)
    y = _conv(x, depthwise, nd, strides, padding, data_format, dilation, groups=channels)
    return _conv(y, pointwise_kernel, nd, (1,) * nd, 'valid', data_format, (1,) * nd)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding='valid',
                     data_format=None, dilation_rate=(1, 1)):
    return _separable(_t(x), _t(depthwise_kernel), _t(pointwise_kernel), 2,
                      normalize_tuple(strides, 2), padding, data_format,
                      normalize_tuple(dilation_rate, 2))


def separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides=1, padding='valid',
                     data_format=None, dilation_rate=1):
    return _separable(_t(x), _t(depthwise_kernel), _t(pointwise_kernel), 1,
                      normalize_tuple(strides, 1), padding, data_format,
                      normalize_tuple(dilation_rate, 1))


def _conv_transpose(x, kernel, output_shape, nd, strides, padding, data_format, dilation):
    x = _t(x)
    kernel = _t(kernel)
    data_format = common.normalize_data_format(data_format)
    strides = normalize_tuple(strides, nd)
    dilation = normalize_tuple(dilation, nd)
    sizes = _spatial_sizes(x, nd, data_format)
    targets, axes = transposed_padding(sizes, output_shape, tuple(kernel.shape), strides,
                                       dilation, padding, data_format, x.shape)
    pads = []
    for size, target, s, (before, span) in zip(sizes, targets, strides, axes):
        # The gradient of the forward convolution with respect to its input: the input
        # dilated by the strides, padded so that the flipped kernel yields `target` values
        # (a negative pad crops what TensorFlow's padding left out).
        low = span - 1 - before
        high = target + before - 1 - (size - 1) * s
        pads.append((low, high))
    # The kernel (*k, filters, in) is the forward kernel (*k, I=filters, O=in): flipped in
    # space and read with its last two axes swapped.
    flipped = jnp.flip(kernel, tuple(range(nd))).astype(x.dtype)
    spatial = _SPATIAL[nd]
    return lax.conv_general_dilated(
        x, flipped, (1,) * nd, pads, lhs_dilation=strides, rhs_dilation=dilation,
        dimension_numbers=_layouts(nd, data_format, spatial + 'OI'))


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding='valid',
                     data_format=None, dilation_rate=(1, 1)):
    return _conv_transpose(x, kernel, output_shape, 2, strides, padding, data_format,
                           dilation_rate)


def conv3d_transpose(x, kernel, output_shape, strides=(1, 1, 1), padding='valid',
                     data_format=None, dilation_rate=(1, 1, 1)):
    return _conv_transpose(x, kernel, output_shape, 3, strides, padding, data_format,
                           dilation_rate)


# POOLING

def _window(nd, data_format, spatial_values):
    """A full-rank window tuple with `spatial_values` on the spatial axes and 1 elsewhere."""
    if data_format == 'channels_first':
        return (1, 1) + tuple(spatial_values)
    return (1,) + tuple(spatial_values) + (1,)


def _pool(x, pool_size, strides, padding, data_format, pool_mode, nd):
    x = _t(x)
    data_format = common.normalize_data_format(data_format)
    pool_size = normalize_tuple(pool_size, nd)
    strides = normalize_tuple(strides, nd)
    sizes = _spatial_sizes(x, nd, data_format)
    pairs = padding_pairs(sizes, padding, pool_size, strides, (1,) * nd)
    _check_window(sizes, pairs, pool_size, strides, (1,) * nd, 'Pooling')
    window = _window(nd, data_format, pool_size)
    window_strides = _window(nd, data_format, strides)
    full_pads = ([(0, 0), (0, 0)] + pairs if data_format == 'channels_first'
                 else [(0, 0)] + pairs + [(0, 0)])
    # The initial values are NumPy scalars: JAX then recognises the max/sum windows, which
    # have gradients (a traced initial value makes a generic, non-differentiable window).
    if pool_mode == 'max':
        if jnp.issubdtype(x.dtype, jnp.floating):
            if window == window_strides:
                return _tiled_max_pool(x, window, tuple(full_pads))
            low = np.array(-np.inf, dtype=x.dtype)
        else:
            low = np.array(jnp.iinfo(x.dtype).min, dtype=x.dtype)
        return lax.reduce_window(x, low, lax.max, window, window_strides, full_pads)
    if pool_mode == 'avg':
        sums = lax.reduce_window(x, np.array(0, dtype=x.dtype), lax.add, window,
                                 window_strides, full_pads)
        if all(p == (0, 0) for p in pairs):
            return sums / float(np.prod(pool_size))
        # TensorFlow averages 'same' windows over their real (unpadded) entries only.
        counts = _window_counts(sizes, pool_size, strides, pairs)
        counts = counts.reshape((1, 1) + counts.shape if data_format == 'channels_first'
                                else (1,) + counts.shape + (1,))
        return sums / jnp.asarray(counts, x.dtype)
    raise ValueError('Invalid pool_mode: ' + str(pool_mode))


# Max pooling over windows that tile the input (strides equal to the pool size, Keras's
# default): the same values as `reduce_window`, with a derivative of element-wise ops. JAX's own
# derivative of a max window is a variadic `reduce_window` that carries each window's choice
# and a scatter of the gradient through it: measured, 52 ms of CPU for the 128 x 24 x 24 x 64
# pooling of the Keras 2 MNIST CNN (forward and gradient), against 6.5 ms this way.

@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def _tiled_max_pool(x, window, full_pads):
    """`reduce_window` max of a floating `x` over windows of the full-rank `window` with strides
    equal to it, padded by `full_pads` (`(before, after)` per axis)."""
    return lax.reduce_window(x, np.array(-np.inf, dtype=x.dtype), lax.max, window, window,
                             full_pads)


@_tiled_max_pool.defjvp
def _tiled_max_pool_jvp(window, full_pads, primals, tangents):
    x, = primals
    tangent, = tangents
    chosen = _chosen_in_windows(x, window, full_pads)
    picked = jnp.where(chosen, _tiles(tangent, window, full_pads, 0),
                       jnp.zeros((), tangent.dtype))
    return (_tiled_max_pool(x, window, full_pads),
            jnp.sum(picked, axis=tuple(range(1, 2 * x.ndim, 2))))


def _tiles(x, window, full_pads, fill):
    """`x` padded by `full_pads` with `fill`, cut to whole windows and reshaped so that each
    axis of size `n * k` (`k` its window size) becomes two, `(n, k)`."""
    x = lax.pad(x, np.array(fill, x.dtype), [(before, after, 0) for before, after in full_pads])
    counts = [size // k for size, k in zip(x.shape, window)]
    x = lax.slice(x, (0,) * x.ndim, tuple(n * k for n, k in zip(counts, window)))
    return x.reshape(tuple(d for n, k in zip(counts, window) for d in (n, k)))


def _chosen_in_windows(x, window, full_pads):
    """A boolean mask, in the layout of `_tiles`, of the element of each window that the
    gradient of XLA's max pooling goes to: the window's elements, padding included as -inf,
    are scanned in row-major order, and a later one replaces the choice so far unless the
    choice is greater than or equal to it (XLA's select-and-scatter with `>=`: a tie goes to
    the first maximum; a NaN is chosen when met, and replaced by the next element). A window
    whose choice is padding passes no gradient on."""
    tiles = _tiles(x, window, full_pads, -np.inf)
    best = choice = None
    for index, offsets in enumerate(itertools.product(*[range(k) for k in window])):
        element = tiles[tuple(i for offset in offsets for i in (slice(None), offset))]
        if best is None:
            best, choice = element, jnp.zeros(element.shape, jnp.int32)
            continue
        take = ~(best >= element)
        best = jnp.where(take, element, best)
        choice = jnp.where(take, np.int32(index), choice)
    positions = np.arange(int(np.prod(window)), dtype=np.int32).reshape(window)
    positions = positions.reshape(tuple(d for k in window for d in (1, k)))
    return jnp.expand_dims(choice, tuple(range(1, 2 * x.ndim, 2))) == positions


def _window_counts(sizes, pool_size, strides, pairs):
    """How many real (unpadded) entries each padded pooling window covers, as NumPy."""
    counts = np.ones(())
    for size, k, s, (before, after) in zip(sizes, pool_size, strides, pairs):
        starts = np.arange((size + before + after - k) // s + 1) * s - before
        per_axis = np.minimum(starts + k, size) - np.maximum(starts, 0)
        counts = np.multiply.outer(counts, per_axis)
    return counts


def pool2d(x, pool_size, strides=(1, 1), padding='valid', data_format=None, pool_mode='max'):
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 2)


def pool3d(x, pool_size, strides=(1, 1, 1), padding='valid', data_format=None,
           pool_mode='max'):
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 3)
