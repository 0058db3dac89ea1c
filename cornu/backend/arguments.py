"""Argument checks and shape arithmetic that both engines share.

Keras 2.2.4's rules for reading the arguments of backend functions (axes, shapes, bias and
batch-norm layouts, `switch` conditions, RNN masks) and the errors it raised, written once:
plain Python on shapes and numbers, for each engine's modules to apply to its own tensors.
"""
import numpy as np

from . import common


# ---------------------------------------------------------------- axes and shapes

def int_tuple(value):
    """An int, or a sequence of ints, as a tuple of ints (a shape, tile multiples, axes)."""
    if isinstance(value, (int, np.integer)):
        return (int(value),)
    return tuple(int(v) for v in value)


def normalize_axes(axis):
    """`None`, an int, or a tuple of ints (an empty tuple reduces nothing, as in TF)."""
    if axis is None:
        return None
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return int(axis)


def batch_dot_axes(axes, x_ndim, y_ndim):
    """The two axes `batch_dot` contracts, as non-negative ints.

    Keras 2.2.4 compared axes with `ndim - 1` literally; normalising negative axes keeps every
    call that worked there unchanged and makes `axes=-1` mean the last axis.

    # Raises
        ValueError: if `axes` names several axes per tensor.
    """
    if isinstance(axes, int):
        axes = (axes, axes)
    if axes is None:
        axes = (x_ndim - 1, y_ndim - 2)
    if any(isinstance(a, (list, tuple)) for a in axes):
        raise ValueError('Multiple target dimensions are not supported. '
                         'Expected: None, int, (int, int), Provided: ' + str(axes))
    a0 = axes[0] + x_ndim if axes[0] < 0 else axes[0]
    a1 = axes[1] + y_ndim if axes[1] < 0 else axes[1]
    return a0, a1


def clip_bounds(min_value, max_value):
    """`clip`'s bounds: a numeric `max_value` below a numeric `min_value` is raised to it."""
    if (isinstance(min_value, (int, float, np.number)) and
            isinstance(max_value, (int, float, np.number)) and max_value < min_value):
        max_value = min_value
    return min_value, max_value


def condition_shape(shape, expression_ndim):
    """The shape a `switch` condition of shape `shape` takes to choose along the leading axes
    of expressions of rank `expression_ndim`; `None` when it already has their rank.

    # Raises
        ValueError: if the condition has a higher rank than the expressions.
    """
    ndim = len(shape)
    if ndim > expression_ndim:
        raise ValueError('Rank of `condition` should be less than or equal to rank of '
                         '`then_expression` and `else_expression`. ndim(condition)=%d, '
                         'ndim(then_expression)=%d' % (ndim, expression_ndim))
    if ndim < expression_ndim:
        return tuple(shape) + (1,) * (expression_ndim - ndim)
    return None


def arange_bounds(start, stop, step):
    """`arange`'s arguments read as Keras 2 did: a lone argument is the stop value (a negative
    one gives an empty range).

    # Returns
        `(start, stop, step, integral)`, `integral` telling whether all three are integers.
    """
    if stop is None:
        start, stop = 0, max(start, 0)
    integral = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
    return start, stop, step, integral


def check_squeeze(shape, axis):
    """Raises a `ValueError` unless the axis `axis` of `shape` has length 1."""
    if shape[axis] != 1:
        raise ValueError('Can not squeeze axis %d of a tensor of shape %s: its size is not 1.'
                         % (axis, tuple(shape)))


def check_temporal_padding(padding):
    """Raises a `ValueError` unless `padding` is a pair."""
    if len(padding) != 2:
        raise ValueError('padding must be a pair of ints, got %r.' % (padding,))


def slice_index(start, size):
    """The index of `slice(x, start, size)`: a tuple of slices (a size of `-1` takes the rest)."""
    index = []
    for begin, length in zip(start, size):
        begin = int(begin)
        length = int(length)
        index.append(slice(begin, None if length == -1 else begin + length))
    return tuple(index)


def check_assignable(value, shape, name):
    """Raises a `ValueError` unless the NumPy `value` can be assigned to the variable `name` of
    shape `shape`: the same shape, or a scalar for a single value."""
    shape = tuple(shape)
    if tuple(value.shape) != shape:
        if not (value.ndim == 0 and value.size == int(np.prod(shape, dtype=np.int64))):
            raise ValueError('Cannot assign a value of shape %s to the variable %s of shape %s.'
                             % (value.shape, name, shape))


def seed_or_draw(seed):
    """`seed`, or with `None` one drawn from NumPy's global generator, as Keras 2's TensorFlow
    backend did (so `np.random.seed(...)` makes unseeded random ops reproducible)."""
    if seed is None:
        seed = np.random.randint(10e6)
    return seed


# ---------------------------------------------------------------- nn

# TensorFlow's fused batch norm raises smaller epsilons to this (a cuDNN requirement).
FUSED_BN_MIN_EPSILON = 1.001e-5


def check_channels_axis(axis, ndim):
    """Raises a `ValueError` unless `axis` is `-1` or an axis of a tensor of rank `ndim`."""
    if axis != -1 and axis not in range(ndim):
        raise ValueError('Unexpected channels axis %s. Expected to be -1 or one of the axes '
                         'of `output`, which has %d dimensions.' % (axis, ndim))


def check_dropout_level(level):
    """Raises a `ValueError` unless `level` is in `(0, 1)`."""
    if not 0. < level < 1.:
        raise ValueError('dropout level must be in [0, 1), got %r.' % (level,))


def noise_shape_of(shape, noise_shape):
    """A dropout mask's shape: `noise_shape` with its `None` entries taken from `shape`."""
    return tuple(shape[i] if s is None else int(s) for i, s in enumerate(noise_shape))


def bias_shape(x_shape, shape, data_format):
    """The shape a bias of shape `shape` takes to be added to a tensor of shape `x_shape`,
    with Keras 2.2.4's rules (see `bias_add`); `None` when it is added as it is.

    # Raises
        ValueError: for a bias of another rank, or whose size does not match the channels.
    """
    x_shape = tuple(x_shape)
    shape = tuple(shape)
    ndim = len(x_shape)
    if ndim == 2 and len(shape) == 1 and shape[0] == x_shape[1]:
        return None  # Dense outputs: the data format plays no part
    data_format = common.normalize_data_format(data_format)
    if len(shape) != 1 and len(shape) != ndim - 1:
        raise ValueError('Unexpected bias dimensions %d, expect to be 1 or %d dimensions'
                         % (len(shape), ndim - 1))
    channels_first = data_format == 'channels_first' and 3 <= ndim <= 5
    if len(shape) == 1:
        channels = x_shape[1] if channels_first else x_shape[-1]
        if shape[0] != channels:
            raise ValueError('Bias of size %d does not match the %d channels of a tensor of '
                             'shape %s (%s).' % (shape[0], channels, x_shape, data_format))
        return (1, channels) + (1,) * (ndim - 2) if channels_first else None
    # One value per position, given channels_last; reshaped (not transposed) for
    # channels_first as Keras 2.2.4 did.
    new_shape = (1, shape[-1]) + shape[:-1] if channels_first else shape
    if new_shape[-(ndim - 1):] != x_shape[1:]:
        raise ValueError('Bias of shape %s does not match a tensor of shape %s (%s).'
                         % (shape, x_shape, data_format))
    return new_shape if channels_first else None


def batch_statistics_axes(reduction_axes, ndim, epsilon):
    """How `normalize_batch_in_training` reduces a tensor of rank `ndim`.

    # Returns
        `(axes, fused, epsilon)`: the non-negative axes; whether Keras 2.2.4 used TensorFlow's
        fused batch norm for them (4-D inputs normalised per channel), whose variance is the
        unbiased one and whose epsilon is at least `FUSED_BN_MIN_EPSILON`; and the epsilon.
    """
    axes = [int(a) % ndim for a in reduction_axes]
    fused = ndim == 4 and axes in ([0, 1, 2], [0, 2, 3])
    if fused:
        epsilon = max(epsilon, FUSED_BN_MIN_EPSILON)
    return axes, fused, epsilon


def unbiased_factor(size, statistics_size):
    """`n / (n - 1)`, `n` being how many of `size` values each of `statistics_size`
    statistics summarises: the fused batch norm's variance is the biased one times this."""
    count = size // max(statistics_size, 1)
    return count / max(count - 1, 1)


def fused_statistics_shape(ndim, axis, epsilon):
    """How `batch_normalization` reads its statistics for a tensor of rank `ndim`: for 4-D
    inputs normalised along axis 1/-3 or 3/-1 (TensorFlow's fused batch norm), as 1-D or
    broadcast-shaped, with epsilon at least `FUSED_BN_MIN_EPSILON`.

    # Returns
        `(shape, epsilon)`: the shape to give the statistics (`None`: as they are) and the
        epsilon.
    """
    if ndim == 4 and axis in (1, -3, 3, -1):
        shape = (-1, 1, 1) if axis in (1, -3) else (-1,)
        return shape, max(epsilon, FUSED_BN_MIN_EPSILON)
    return None, epsilon


# ---------------------------------------------------------------- rnn

def check_rnn_arguments(ndim, masked, unroll, states):
    """Raises `rnn`'s errors: for inputs of rank below 3, or a mask without states and
    `unroll=False`."""
    if ndim < 3:
        raise ValueError('Input should be at least 3D.')
    if masked and not unroll and not states:
        raise ValueError('No initial states provided! When using masking in an RNN, you '
                         'should provide initial states (and your step function should '
                         'return as its first state at time `t` the output at time `t-1`).')


def check_mask_shape(shape):
    """Raises a `ValueError` unless a mask of shape `shape` holds one value per sample and
    step."""
    if int(np.prod(shape[2:])) != 1:
        raise ValueError('Expected a mask of shape (samples, time), got %s.' % (tuple(shape),))
