"""Shape operations on PyTorch: concatenating, reshaping, permuting, resizing, repeating,
padding, stacking, slicing.

Split from `math.py`; semantics follow Keras 2.2.4's TensorFlow backend.

Bare implementations: each function's signature, docstring and argument-only checks are
in `cornu.backend.api.shape_ops`, which calls these.
"""
import builtins

import torch
import torch.nn.functional as F

from .. import common
from ..arguments import arange_bounds, check_squeeze, int_tuple, slice_index
from .core import DEVICE, standardize_dtype
from .math import _t, _Tensor

__all__ = [
    'concatenate', 'reshape', 'permute_dimensions', 'resize_images', 'resize_volumes',
    'repeat_elements', 'repeat', 'arange', 'tile', 'flatten', 'batch_flatten', 'expand_dims',
    'squeeze', 'temporal_padding', 'spatial_2d_padding', 'spatial_3d_padding', 'stack',
    'one_hot', 'reverse', 'slice',
]


def concatenate(tensors, axis=-1):
    tensors = [_t(t) for t in tensors]
    sparse = [t.is_sparse for t in tensors]
    if builtins.any(sparse):
        if not builtins.all(sparse):
            tensors = [t.to_dense() if s else t for t, s in zip(tensors, sparse)]
        elif axis < 0:
            axis %= tensors[0].dim()
    return torch.cat(tensors, dim=axis)


def reshape(x, shape):
    x = _t(x)
    try:
        return x.reshape(shape)
    except TypeError:
        return x.reshape(tuple(int(s) for s in shape))


def permute_dimensions(x, pattern):
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


def resize_images(x, height_factor, width_factor, data_format, interpolation='nearest'):
    x = _t(x)
    rows, cols = (2, 3) if data_format == 'channels_first' else (1, 2)
    if interpolation == 'nearest':
        return _repeat_axes(x, {rows: int(height_factor), cols: int(width_factor)})
    if interpolation == 'bilinear':
        # Width first, then height: the order in which TensorFlow interpolates.
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
    return _repeat_axes(x, {axis % x.dim(): int(rep)})


def repeat(x, n):
    x = _t(x)
    if x.dim() != 2:
        raise ValueError('repeat expects a 2-D tensor, got shape %s.' % (tuple(x.shape),))
    return x.unsqueeze(1).expand(x.shape[0], int(n), x.shape[1])


def arange(start, stop=None, step=1, dtype='int32'):
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


def tile(x, n):
    x = _t(x)
    return x.repeat(int_tuple(n))


def flatten(x):
    return torch.reshape(_t(x), (-1,))


def batch_flatten(x):
    x = _t(x)
    if x.dim() < 2:
        return x.reshape(-1, 1)
    return torch.flatten(x, 1)


def expand_dims(x, axis=-1):
    return torch.unsqueeze(_t(x), axis)


def squeeze(x, axis):
    x = _t(x)
    check_squeeze(x.shape, axis)
    return torch.squeeze(x, axis)


def temporal_padding(x, padding=(1, 1)):
    return F.pad(_t(x), (0, 0, int(padding[0]), int(padding[1])))


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    data_format = common.normalize_data_format(data_format)
    (top, bottom), (left, right) = padding
    pads = (left, right, top, bottom)
    if data_format == 'channels_last':
        pads = (0, 0) + pads
    return F.pad(_t(x), tuple(int(p) for p in pads))


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    data_format = common.normalize_data_format(data_format)
    (d0, d1), (h0, h1), (w0, w1) = padding
    pads = (w0, w1, h0, h1, d0, d1)
    if data_format == 'channels_last':
        pads = (0, 0) + pads
    return F.pad(_t(x), tuple(int(p) for p in pads))


def stack(x, axis=0):
    return torch.stack([_t(t) for t in x], dim=axis)


def one_hot(indices, num_classes):
    indices = _t(indices)
    if not (indices.dtype.is_floating_point or indices.dtype == torch.bool):
        classes = torch.arange(num_classes, device=indices.device, dtype=indices.dtype)
    else:
        indices = indices.long()
        classes = torch.arange(num_classes, device=indices.device)
    # A comparison handles out-of-range indices and needs no device-side bounds check.
    return torch.eq(indices.unsqueeze(-1), classes).to(torch.float32)


def reverse(x, axes):
    return torch.flip(_t(x), int_tuple(axes))


def slice(x, start, size):
    return _t(x)[slice_index(start, size)]
