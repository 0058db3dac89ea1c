"""Shape operations on JAX: concatenating, reshaping, permuting, resizing, repeating,
padding, stacking, slicing.

Split from `math.py`; semantics follow Keras 2.2.4's TensorFlow backend.
"""
import numpy as np
import jax.numpy as jnp

from .. import common
from ..arguments import (arange_bounds, check_squeeze, check_temporal_padding, int_tuple,
                         slice_index)
from ..symbolic import graph_op
from .core import _t, _Array, standardize_dtype

__all__ = [
    'concatenate', 'reshape', 'permute_dimensions', 'resize_images', 'resize_volumes',
    'repeat_elements', 'repeat', 'arange', 'tile', 'flatten', 'batch_flatten', 'expand_dims',
    'squeeze', 'temporal_padding', 'spatial_2d_padding', 'spatial_3d_padding', 'stack',
    'one_hot', 'reverse', 'slice',
]


@graph_op
def concatenate(tensors, axis=-1):
    """Concatenates a list of tensors along `axis`.

    # Arguments
        tensors: list of tensors.
        axis: int.

    # Returns
        A tensor.
    """
    tensors = [_t(t) for t in tensors]
    return jnp.concatenate(tensors, axis=axis)


@graph_op
def reshape(x, shape):
    """Reshapes a tensor (`-1` infers one size).

    # Arguments
        x: tensor or variable.
        shape: tuple or list of ints.

    # Returns
        A tensor.
    """
    return jnp.reshape(_t(x), int_tuple(shape))


@graph_op
def permute_dimensions(x, pattern):
    """Permutes the axes of a tensor.

    # Arguments
        x: tensor or variable.
        pattern: tuple of axis indices, e.g. `(0, 2, 1)`.

    # Returns
        A tensor.
    """
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


@graph_op
def resize_images(x, height_factor, width_factor, data_format, interpolation='nearest'):
    """Resizes the images of a 4-D tensor by integer factors.

    # Arguments
        x: tensor of shape `(batch, rows, cols, channels)` (channels_last) or
            `(batch, channels, rows, cols)` (channels_first).
        height_factor: positive int.
        width_factor: positive int.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        interpolation: `'nearest'` or `'bilinear'` (TensorFlow 1's `resize_bilinear`).

    # Returns
        A tensor.

    # Raises
        ValueError: for an unknown `data_format` or `interpolation`.
    """
    x = _t(x)
    data_format = common.normalize_data_format(data_format)
    rows, cols = (2, 3) if data_format == 'channels_first' else (1, 2)
    if interpolation == 'nearest':
        return _repeat_axes(x, {rows: int(height_factor), cols: int(width_factor)})
    if interpolation == 'bilinear':
        x = _resize_bilinear_axis(x, cols, int(width_factor))
        return _resize_bilinear_axis(x, rows, int(height_factor))
    raise ValueError('interpolation should be one of "nearest" or "bilinear".')


@graph_op
def resize_volumes(x, depth_factor, height_factor, width_factor, data_format):
    """Resizes the volumes of a 5-D tensor by repeating entries (nearest neighbour).

    # Arguments
        x: 5-D tensor.
        depth_factor: positive int.
        height_factor: positive int.
        width_factor: positive int.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).

    # Returns
        A tensor.
    """
    x = _t(x)
    data_format = common.normalize_data_format(data_format)
    first = 2 if data_format == 'channels_first' else 1
    return _repeat_axes(x, {first: int(depth_factor), first + 1: int(height_factor),
                            first + 2: int(width_factor)})


@graph_op
def repeat_elements(x, rep, axis):
    """Repeats each entry of a tensor `rep` times along `axis`, like `np.repeat`.

    # Arguments
        x: tensor or variable.
        rep: int.
        axis: int.

    # Returns
        A tensor whose `axis` is `rep` times longer.
    """
    x = _t(x)
    return jnp.repeat(x, int(rep), axis=axis % x.ndim)


@graph_op
def repeat(x, n):
    """Repeats a 2-D tensor `n` times: `(samples, dim)` becomes `(samples, n, dim)`.

    # Arguments
        x: 2-D tensor.
        n: int.

    # Returns
        A 3-D tensor.

    # Raises
        ValueError: if `x` is not 2-D.
    """
    x = _t(x)
    if x.ndim != 2:
        raise ValueError('repeat expects a 2-D tensor, got shape %s.' % (tuple(x.shape),))
    return jnp.broadcast_to(x[:, None, :], (x.shape[0], int(n), x.shape[1]))


@graph_op
def arange(start, stop=None, step=1, dtype='int32'):
    """A 1-D tensor of evenly spaced values, like `np.arange`.

    With a single argument it is the stop value (a negative one gives an empty tensor).

    # Arguments
        start: start value (or stop value when `stop` is `None`).
        stop: stop value (excluded).
        step: difference between successive values.
        dtype: dtype name, `'int32'` by default.

    # Returns
        A 1-D tensor.
    """
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


@graph_op
def tile(x, n):
    """Tiles a tensor: axis `i` is repeated `n[i]` times.

    # Arguments
        x: tensor or variable.
        n: int or list of ints (one per axis).

    # Returns
        A tensor.
    """
    x = _t(x)
    return jnp.tile(x, int_tuple(n))


@graph_op
def flatten(x):
    """Flattens a tensor to 1-D.

    # Arguments
        x: tensor or variable.

    # Returns
        A 1-D tensor.
    """
    return jnp.reshape(_t(x), (-1,))


@graph_op
def batch_flatten(x):
    """Flattens each sample: an N-D tensor becomes `(batch, everything else)`.

    # Arguments
        x: tensor or variable.

    # Returns
        A 2-D tensor.
    """
    x = _t(x)
    if x.ndim < 2:
        return x.reshape(-1, 1)
    return x.reshape(x.shape[0], -1)


@graph_op
def expand_dims(x, axis=-1):
    """Inserts an axis of length 1 at `axis`.

    # Arguments
        x: tensor or variable.
        axis: int (`-1` appends).

    # Returns
        A tensor.
    """
    return jnp.expand_dims(_t(x), axis)


@graph_op
def squeeze(x, axis):
    """Removes the axis `axis`, which must have length 1.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        A tensor.

    # Raises
        ValueError: if the axis does not have length 1.
    """
    x = _t(x)
    check_squeeze(x.shape, axis)
    return jnp.squeeze(x, axis)


@graph_op
def temporal_padding(x, padding=(1, 1)):
    """Pads the middle axis of a 3-D tensor with zeros.

    # Arguments
        x: 3-D tensor.
        padding: pair of ints, zeros added at the start and end of axis 1.

    # Returns
        A 3-D tensor.
    """
    check_temporal_padding(padding)
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


@graph_op
def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """Pads the two spatial axes of a 4-D tensor with zeros.

    # Arguments
        x: 4-D tensor.
        padding: `((top, bottom), (left, right))`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).

    # Returns
        A 4-D tensor.
    """
    return _pad_spatial(x, padding, data_format)


@graph_op
def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    """Pads the three spatial axes of a 5-D tensor with zeros.

    # Arguments
        x: 5-D tensor.
        padding: `((d0, d1), (h0, h1), (w0, w1))`, zeros added before/after each axis.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).

    # Returns
        A 5-D tensor.
    """
    return _pad_spatial(x, padding, data_format)


@graph_op
def stack(x, axis=0):
    """Stacks a list of rank-R tensors into a rank R+1 tensor.

    # Arguments
        x: list of tensors of the same shape.
        axis: int, the new axis.

    # Returns
        A tensor.
    """
    return jnp.stack([_t(t) for t in x], axis=axis)


@graph_op
def one_hot(indices, num_classes):
    """One-hot encoding of an integer tensor, as float32.

    Indices outside `[0, num_classes)` give rows of zeros, as `tf.one_hot`.

    # Arguments
        indices: integer tensor of shape `(d1, ..., dn)`.
        num_classes: int.

    # Returns
        A float32 tensor of shape `(d1, ..., dn, num_classes)`.
    """
    indices = _t(indices)
    if not jnp.issubdtype(indices.dtype, jnp.integer):
        indices = indices.astype(jnp.int64)
    classes = jnp.arange(int(num_classes), dtype=indices.dtype)
    return jnp.equal(indices[..., None], classes).astype(jnp.float32)


@graph_op
def reverse(x, axes):
    """Reverses a tensor along `axes`.

    # Arguments
        x: tensor or variable.
        axes: int or list of ints.

    # Returns
        A tensor.
    """
    return jnp.flip(_t(x), int_tuple(axes))


@graph_op
def slice(x, start, size):
    """Extracts `x[start[0]:start[0] + size[0], ..., start[-1]:start[-1] + size[-1]]`.

    A size of `-1` takes everything from the start on.

    # Arguments
        x: tensor.
        start: list of ints, one per axis.
        size: list of ints, one per axis.

    # Returns
        A tensor.
    """
    return _t(x)[slice_index(start, size)]
