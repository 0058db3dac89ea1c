"""K's shape operations: concatenation, reshaping, permutation, resizing, repetition, padding,
stacking, one-hot encoding, reversal and slicing.

Each function's signature, docstring and argument-only checks are written here once; the
engine's function of the same name (`cornu.backend.<engine>.shape_ops`) computes. Checks that
need the engine's tensor (its shape, its rank) stay in the engine, calling `arguments.py`.
"""
from .. import common
from ..arguments import check_temporal_padding
from ..engine_choice import engine_module
from ..symbolic import graph_op

_engine = engine_module('shape_ops')

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
        tensors: list of tensors (on torch: all sparse, or else they are densified).
        axis: int.

    # Returns
        A tensor.
    """
    return _engine.concatenate(tensors, axis)


@graph_op
def reshape(x, shape):
    """Reshapes a tensor (`-1` infers one size).

    # Arguments
        x: tensor or variable.
        shape: tuple or list of ints.

    # Returns
        A tensor.
    """
    return _engine.reshape(x, shape)


@graph_op
def permute_dimensions(x, pattern):
    """Permutes the axes of a tensor.

    # Arguments
        x: tensor or variable.
        pattern: tuple of axis indices, e.g. `(0, 2, 1)`.

    # Returns
        A tensor.
    """
    return _engine.permute_dimensions(x, pattern)


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
    data_format = common.normalize_data_format(data_format)
    return _engine.resize_images(x, height_factor, width_factor, data_format, interpolation)


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
    data_format = common.normalize_data_format(data_format)
    return _engine.resize_volumes(x, depth_factor, height_factor, width_factor, data_format)


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
    return _engine.repeat_elements(x, rep, axis)


@graph_op
def repeat(x, n):
    """Repeats a 2-D tensor `n` times: `(samples, dim)` becomes `(samples, n, dim)`.

    On torch the result is a broadcast view (no copy): read it, do not write to it in place.

    # Arguments
        x: 2-D tensor.
        n: int.

    # Returns
        A 3-D tensor.

    # Raises
        ValueError: if `x` is not 2-D.
    """
    return _engine.repeat(x, n)


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
    return _engine.arange(start, stop, step, dtype)


@graph_op
def tile(x, n):
    """Tiles a tensor: axis `i` is repeated `n[i]` times.

    # Arguments
        x: tensor or variable.
        n: int or list of ints (one per axis).

    # Returns
        A tensor.
    """
    return _engine.tile(x, n)


@graph_op
def flatten(x):
    """Flattens a tensor to 1-D.

    # Arguments
        x: tensor or variable.

    # Returns
        A 1-D tensor.
    """
    return _engine.flatten(x)


@graph_op
def batch_flatten(x):
    """Flattens each sample: an N-D tensor becomes `(batch, everything else)`.

    # Arguments
        x: tensor or variable.

    # Returns
        A 2-D tensor.
    """
    return _engine.batch_flatten(x)


@graph_op
def expand_dims(x, axis=-1):
    """Inserts an axis of length 1 at `axis`.

    # Arguments
        x: tensor or variable.
        axis: int (`-1` appends).

    # Returns
        A tensor.
    """
    return _engine.expand_dims(x, axis)


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
    return _engine.squeeze(x, axis)


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
    return _engine.temporal_padding(x, padding)


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
    return _engine.spatial_2d_padding(x, padding, data_format)


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
    return _engine.spatial_3d_padding(x, padding, data_format)


@graph_op
def stack(x, axis=0):
    """Stacks a list of rank-R tensors into a rank R+1 tensor.

    # Arguments
        x: list of tensors of the same shape.
        axis: int, the new axis.

    # Returns
        A tensor.
    """
    return _engine.stack(x, axis)


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
    return _engine.one_hot(indices, num_classes)


@graph_op
def reverse(x, axes):
    """Reverses a tensor along `axes`.

    # Arguments
        x: tensor or variable.
        axes: int or list of ints.

    # Returns
        A tensor.
    """
    return _engine.reverse(x, axes)


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
    return _engine.slice(x, start, size)
