"""Shape operations on PyTorch: concatenating, reshaping, permuting, resizing, repeating,
padding, stacking, slicing.

Split from `math.py`; semantics follow Keras 2.2.4's TensorFlow backend.
"""
import builtins

import torch
import torch.nn.functional as F

from .. import common
from ..arguments import (arange_bounds, check_squeeze, check_temporal_padding, int_tuple,
                         slice_index)
from ..symbolic import graph_op
from .core import DEVICE, standardize_dtype
from .math import _t, _Tensor

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
        tensors: list of tensors (all sparse, or else they are densified).
        axis: int.

    # Returns
        A tensor.
    """
    tensors = [_t(t) for t in tensors]
    sparse = [t.is_sparse for t in tensors]
    if builtins.any(sparse):
        if not builtins.all(sparse):
            tensors = [t.to_dense() if s else t for t, s in zip(tensors, sparse)]
        elif axis < 0:
            axis %= tensors[0].dim()
    return torch.cat(tensors, dim=axis)


@graph_op
def reshape(x, shape):
    """Reshapes a tensor (`-1` infers one size).

    # Arguments
        x: tensor or variable.
        shape: tuple or list of ints.

    # Returns
        A tensor.
    """
    x = _t(x)
    try:
        return x.reshape(shape)
    except TypeError:
        return x.reshape(tuple(int(s) for s in shape))


@graph_op
def permute_dimensions(x, pattern):
    """Permutes the axes of a tensor.

    # Arguments
        x: tensor or variable.
        pattern: tuple of axis indices, e.g. `(0, 2, 1)`.

    # Returns
        A tensor.
    """
    return _t(x).permute(tuple(pattern))


def _repeat_axes(x, factors):
    """np.repeat along several axes at once: `factors` maps axis -> repeat count.

    One copy: each repeated axis gets a broadcast companion axis that is then merged in.
    """
    view_shape = []
    expanded_shape = []
    final_shape = []
    for axis, size in enumerate(x.shape):
        view_shape.append(size)
        expanded_shape.append(size)
        factor = factors.get(axis, 1)
        if factor != 1:
            view_shape.append(1)
            expanded_shape.append(factor)
        final_shape.append(size * factor)
    if view_shape == expanded_shape:
        return x
    return x.reshape(view_shape).expand(expanded_shape).reshape(final_shape)


def _resize_bilinear_axis(x, axis, factor):
    # TensorFlow 1's resize_bilinear (align_corners=False, no half-pixel centres): output
    # index i samples input position i * (in / out), computed in float32 as TF did.
    size = x.shape[axis]
    out_size = size * factor
    position = torch.arange(out_size, device=x.device, dtype=torch.float32) * (size / out_size)
    lower = position.floor()
    frac = (position - lower).to(x.dtype)
    lower = lower.long()
    upper = torch.clamp(lower + 1, max=size - 1)
    low = x.index_select(axis, lower)
    high = x.index_select(axis, upper)
    view = [1] * x.dim()
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
        # Width first, then height: the order in which TensorFlow interpolates.
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
    return _repeat_axes(x, {axis % x.dim(): int(rep)})


@graph_op
def repeat(x, n):
    """Repeats a 2-D tensor `n` times: `(samples, dim)` becomes `(samples, n, dim)`.

    The result is a broadcast view (no copy): read it, do not write to it in place.

    # Arguments
        x: 2-D tensor.
        n: int.

    # Returns
        A 3-D tensor.

    # Raises
        ValueError: if `x` is not 2-D.
    """
    x = _t(x)
    if x.dim() != 2:
        raise ValueError('repeat expects a 2-D tensor, got shape %s.' % (tuple(x.shape),))
    return x.unsqueeze(1).expand(x.shape[0], int(n), x.shape[1])


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
        if isinstance(v, _Tensor):
            values[i] = v.item()
    start, stop, step, integral = arange_bounds(*values)
    torch_dtype = standardize_dtype(dtype)
    if integral:
        return torch.arange(start, stop, step, dtype=torch_dtype, device=DEVICE)
    # Fractional bounds: count as in float64, then cast, as tf.range followed by a cast.
    return torch.arange(start, stop, step, dtype=torch.float64, device=DEVICE).to(torch_dtype)


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
    return x.repeat(int_tuple(n))


@graph_op
def flatten(x):
    """Flattens a tensor to 1-D.

    # Arguments
        x: tensor or variable.

    # Returns
        A 1-D tensor.
    """
    return torch.reshape(_t(x), (-1,))


@graph_op
def batch_flatten(x):
    """Flattens each sample: an N-D tensor becomes `(batch, everything else)`.

    # Arguments
        x: tensor or variable.

    # Returns
        A 2-D tensor.
    """
    x = _t(x)
    if x.dim() < 2:
        return x.reshape(-1, 1)
    return torch.flatten(x, 1)


@graph_op
def expand_dims(x, axis=-1):
    """Inserts an axis of length 1 at `axis`.

    # Arguments
        x: tensor or variable.
        axis: int (`-1` appends).

    # Returns
        A tensor.
    """
    return torch.unsqueeze(_t(x), axis)


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
    return torch.squeeze(x, axis)


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
    return F.pad(_t(x), (0, 0, int(padding[0]), int(padding[1])))


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
    data_format = common.normalize_data_format(data_format)
    (top, bottom), (left, right) = padding
    pads = (left, right, top, bottom)
    if data_format == 'channels_last':
        pads = (0, 0) + pads
    return F.pad(_t(x), tuple(int(p) for p in pads))


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
    data_format = common.normalize_data_format(data_format)
    (d0, d1), (h0, h1), (w0, w1) = padding
    pads = (w0, w1, h0, h1, d0, d1)
    if data_format == 'channels_last':
        pads = (0, 0) + pads
    return F.pad(_t(x), tuple(int(p) for p in pads))


@graph_op
def stack(x, axis=0):
    """Stacks a list of rank-R tensors into a rank R+1 tensor.

    # Arguments
        x: list of tensors of the same shape.
        axis: int, the new axis.

    # Returns
        A tensor.
    """
    return torch.stack([_t(t) for t in x], dim=axis)


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
    if not (indices.dtype.is_floating_point or indices.dtype == torch.bool):
        classes = torch.arange(num_classes, device=indices.device, dtype=indices.dtype)
    else:
        indices = indices.long()
        classes = torch.arange(num_classes, device=indices.device)
    # A comparison handles out-of-range indices and needs no device-side bounds check.
    return torch.eq(indices.unsqueeze(-1), classes).to(torch.float32)


@graph_op
def reverse(x, axes):
    """Reverses a tensor along `axes`.

    # Arguments
        x: tensor or variable.
        axes: int or list of ints.

    # Returns
        A tensor.
    """
    return torch.flip(_t(x), int_tuple(axes))


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
