"""Shape operations on JAX: concatenating, reshaping, permuting, resizing, repeating,
padding, stacking, slicing.

Split from `math.py`; semantics follow Keras 2.2.4's TensorFlow backend.

Bare implementations: each function's signature, docstring and argument-only checks are
in `cornu.backend.api.shape_ops`, which calls these.
"""
import functools

import numpy as np
import jax
import jax.numpy as jnp

from .. import common
from ..arguments import arange_bounds, check_squeeze, int_tuple, slice_index
from .core import _t, _Array, _Tracer, standardize_dtype

__all__ = [
    'concatenate', 'reshape', 'permute_dimensions', 'resize_images', 'resize_volumes',
    'repeat_elements', 'repeat', 'arange', 'tile', 'flatten', 'batch_flatten', 'expand_dims',
    'squeeze', 'temporal_padding', 'spatial_2d_padding', 'spatial_3d_padding', 'stack',
    'one_hot', 'reverse', 'slice',
]


def concatenate(tensors, axis=-1):
    tensors = [_t(t) for t in tensors]
    return jnp.concatenate(tensors, axis=axis)


def reshape(x, shape):
    return jnp.reshape(_t(x), int_tuple(shape))


def permute_dimensions(x, pattern):
    return jnp.transpose(_t(x), tuple(int(p) for p in pattern))


def _repeat_axes(x, factors):
    """np.repeat along several axes at once: `factors` maps axis -> repeat count."""
    for axis, factor in sorted(factors.items()):
        if factor != 1:
            x = jnp.repeat(x, factor, axis=axis)
    return x


def _resize_bilinear_axis(x, axis, factor):
    # TensorFlow 1's resize_bilinear (align_corners=False, no half-pixel centres): output
    # index i samples input position i * (in / out), computed in float32 as TF did.
    size = x.shape[axis]
    out_size = size * factor
    position = np.arange(out_size, dtype=np.float32) * np.float32(size / out_size)
    lower = np.floor(position)
    frac = jnp.asarray(position - lower).astype(x.dtype)
    lower = lower.astype(np.int64)
    upper = np.minimum(lower + 1, size - 1)
    low = jnp.take(x, lower, axis=axis)
    high = jnp.take(x, upper, axis=axis)
    view = [1] * x.ndim
    view[axis] = out_size
    return low + (high - low) * frac.reshape(view)


def resize_images(x, height_factor, width_factor, data_format, interpolation='nearest'):
    x = _t(x)
    rows, cols = (2, 3) if data_format == 'channels_first' else (1, 2)
    if interpolation == 'nearest':
        return _repeat_axes(x, {rows: int(height_factor), cols: int(width_factor)})
    if interpolation == 'bilinear':
        x = _resize_bilinear_axis(x, cols, int(width_factor))
        return _resize_bilinear_axis(x, rows, int(height_factor))
    raise ValueError('interpolation should be one of "nearest" or "bilinear".')


def resize_volumes(x, depth_factor, height_factor, width_factor, data_format):
    x = _t(x)
    first = 2 if data_format == 'channels_first' else 1
    return _repeat_axes(x, {first: int(depth_factor), first + 1: int(height_factor),
                            first + 2: int(width_factor)})


def repeat_elements(x, rep, axis):
    x = _t(x)
    return jnp.repeat(x, int(rep), axis=axis % x.ndim)


def repeat(x, n):
    x = _t(x)
    if x.ndim != 2:
        raise ValueError('repeat expects a 2-D tensor, got shape %s.' % (tuple(x.shape),))
    return jnp.broadcast_to(x[:, None, :], (x.shape[0], int(n), x.shape[1]))


def arange(start, stop=None, step=1, dtype='int32'):
    values = [start, stop, step]
    for i, v in enumerate(values):
        if isinstance(v, _Array) or hasattr(v, '_value'):
            values[i] = np.asarray(v).item()
    start, stop, step, integral = arange_bounds(*values)
    target = standardize_dtype(dtype)
    if integral:
        return jnp.asarray(np.arange(start, stop, step), dtype=target)
    # Fractional bounds: count as in float64, then cast, as tf.range followed by a cast.
    return jnp.asarray(np.arange(start, stop, step, dtype=np.float64)).astype(target)


def tile(x, n):
    x = _t(x)
    return jnp.tile(x, int_tuple(n))


def flatten(x):
    return jnp.reshape(_t(x), (-1,))


def batch_flatten(x):
    x = _t(x)
    if x.ndim < 2:
        return x.reshape(-1, 1)
    return x.reshape(x.shape[0], -1)


def expand_dims(x, axis=-1):
    return jnp.expand_dims(_t(x), axis)


def squeeze(x, axis):
    x = _t(x)
    check_squeeze(x.shape, axis)
    return jnp.squeeze(x, axis)


def temporal_padding(x, padding=(1, 1)):
    return jnp.pad(_t(x), ((0, 0), (int(padding[0]), int(padding[1])), (0, 0)))


def _pad_spatial(x, padding, data_format):
    """Pads the spatial axes of `x` with zeros: `padding` holds a (before, after) pair each."""
    data_format = common.normalize_data_format(data_format)
    spatial = [(int(a), int(b)) for a, b in padding]
    if data_format == 'channels_last':
        pads = [(0, 0)] + spatial + [(0, 0)]
    else:
        pads = [(0, 0), (0, 0)] + spatial
    return jnp.pad(_t(x), pads)


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    return _pad_spatial(x, padding, data_format)


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    return _pad_spatial(x, padding, data_format)


def stack(x, axis=0):
    values = [_t(t) for t in x]
    if len(values) > 4 and not any(isinstance(v, _Tracer) for v in values):
        # Eagerly, `jnp.stack` dispatches an op per operand (tens of microseconds each: a
        # stack of an epoch's logged values would cost more than the steps); jitted, the
        # stack is one call, compiled once per count and shape as the eager ops are.
        return _stack_jitted(values, axis)
    return jnp.stack(values, axis=axis)


@functools.partial(jax.jit, static_argnums=1)
def _stack_jitted(values, axis):
    return jnp.stack(values, axis=axis)


def one_hot(indices, num_classes):
    indices = _t(indices)
    if not jnp.issubdtype(indices.dtype, jnp.integer):
        indices = indices.astype(jnp.int64)
    classes = jnp.arange(int(num_classes), dtype=indices.dtype)
    return jnp.equal(indices[..., None], classes).astype(jnp.float32)


def reverse(x, axes):
    return jnp.flip(_t(x), int_tuple(axes))


def slice(x, start, size):
    return _t(x)[slice_index(start, size)]
