"""Neural-network ops on PyTorch: activations, losses, dropout, convolution, pooling, normalization.

Semantics follow Keras 2.2.4's TensorFlow backend: kernels keep Keras 2's layouts (e.g. conv2d
`(rows, cols, in, out)`), `'same'` padding reproduces TensorFlow's (extra padding at the end
when the total is odd), and `data_format=None` means `image_data_format()`. channels_last
tensors are handed to torch as channels-first views in its channels_last memory format, so no
transposed copy of the data is made.
"""
import functools

import torch
import torch.nn.functional as F

from .. import common
from .core import convert_to_tensor
from .random import _stream

__all__ = [
    'relu', 'elu', 'softmax', 'softplus', 'softsign', 'sigmoid', 'hard_sigmoid', 'tanh',
    'categorical_crossentropy', 'sparse_categorical_crossentropy', 'binary_crossentropy',
    'dropout', 'bias_add', 'conv1d', 'conv2d', 'conv2d_transpose', 'separable_conv1d',
    'separable_conv2d', 'depthwise_conv2d', 'conv3d', 'conv3d_transpose', 'pool2d', 'pool3d',
    'normalize_batch_in_training', 'batch_normalization', 'local_conv1d', 'local_conv2d',
]

_Tensor = torch.Tensor

# TensorFlow's fused batch norm raises smaller epsilons to this (a cuDNN requirement).
_FUSED_BN_MIN_EPSILON = 1.001e-5


def _t(x):
    return x if isinstance(x, _Tensor) else convert_to_tensor(x)


# ACTIVATIONS

def relu(x, alpha=0., max_value=None, threshold=0.):
    """Rectified linear unit, with Keras 2.2.4's options.

    `f(x) = max_value` for `x >= max_value`, `x` for `threshold <= x < max_value` and
    `alpha * (x - threshold)` otherwise.

    # Arguments
        x: tensor or variable.
        alpha: slope below the threshold.
        max_value: saturation value, or `None`.
        threshold: threshold below which values are damped.

    # Returns
        A tensor.
    """
    x = _t(x)
    if threshold == 0.:
        if alpha == 0.:
            if max_value is None:
                return torch.relu(x)
            if max_value == 6:
                return F.relu6(x)
            return torch.clamp(torch.relu(x), max=max_value)
        if max_value is None:
            return F.leaky_relu(x, alpha)
    if alpha != 0.:
        negative_part = torch.relu(threshold - x) if threshold != 0. else torch.relu(-x)
    clip_max = max_value is not None
    if threshold != 0.:
        out = x * (x > threshold).to(x.dtype)
    elif max_value == 6:
        out = F.relu6(x)
        clip_max = False
    else:
        out = torch.relu(x)
    if clip_max:
        out = torch.clamp(out, 0., max_value)
    if alpha != 0.:
        out = out - alpha * negative_part
    return out


def elu(x, alpha=1.):
    """Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise.

    # Arguments
        x: tensor or variable.
        alpha: scale of the negative part.

    # Returns
        A tensor.
    """
    return F.elu(_t(x), alpha)


def softmax(x, axis=-1):
    """Softmax over `axis`.

    # Arguments
        x: tensor or variable.
        axis: int.

    # Returns
        A tensor.
    """
    return torch.softmax(_t(x), dim=axis)


def softplus(x):
    """Softplus, `log(1 + exp(x))`.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return F.softplus(_t(x))


def softsign(x):
    """Softsign, `x / (1 + |x|)`.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return F.softsign(_t(x))


def sigmoid(x):
    """Element-wise logistic sigmoid.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return torch.sigmoid(_t(x))


def hard_sigmoid(x):
    """Piecewise-linear sigmoid: `0.2 * x + 0.5`, clipped to `[0, 1]`.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return torch.clamp(_t(x) * 0.2 + 0.5, 0., 1.)


def tanh(x):
    """Element-wise hyperbolic tangent.

    # Arguments
        x: tensor or variable.

    # Returns
        A tensor.
    """
    return torch.tanh(_t(x))


# LOSSES

def _check_channels_axis(axis, ndim):
    if axis != -1 and axis not in range(ndim):
        raise ValueError('Unexpected channels axis %s. Expected to be -1 or one of the axes '
                         'of `output`, which has %d dimensions.' % (axis, ndim))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical crossentropy between an output and a target of the same shape.

    Without `from_logits`, the output is rescaled to sum to 1 along `axis` and clipped to
    `[epsilon, 1 - epsilon]` before the log, as Keras 2.2.4 did.

    # Arguments
        target: tensor of the same shape as `output`.
        output: probabilities (e.g. a softmax output), or logits with `from_logits=True`.
        from_logits: whether `output` holds logits.
        axis: the channels axis (`-1`, or `1` for channels_first).

    # Returns
        A tensor with `axis` reduced.

    # Raises
        ValueError: if `axis` is not an axis of `output`.
    """
    target = _t(target)
    output = _t(output)
    _check_channels_axis(axis, output.dim())
    if from_logits:
        # Keras 2.2.4 passed logits to TF with the class axis fixed last; the axis is honoured.
        return torch.neg(torch.sum(target * torch.log_softmax(output, dim=axis), dim=axis))
    output = output / torch.sum(output, dim=axis, keepdim=True)
    eps = common.epsilon()
    output = torch.clamp(output, eps, 1. - eps)
    return torch.neg(torch.sum(target * torch.log(output), dim=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Categorical crossentropy with integer targets.

    Without `from_logits`, the output is clipped to `[epsilon, 1 - epsilon]` and its log is
    used as logits (so the result is normalised by the clipped sum), as Keras 2.2.4 did.

    # Arguments
        target: integer tensor of shape `output.shape[:-1]` or `output.shape[:-1] + (1,)`
            (axes of `output` other than the channels axis).
        output: probabilities, or logits with `from_logits=True`.
        from_logits: whether `output` holds logits.
        axis: the channels axis (`-1`, or `1` for channels_first).

    # Returns
        A tensor of the shape of `output` without its channels axis.

    # Raises
        ValueError: if `axis` is not an axis of `output`.
    """
    target = _t(target)
    output = _t(output)
    ndim = output.dim()
    _check_channels_axis(axis, ndim)
    if axis != -1 and axis != ndim - 1:
        output = torch.movedim(output, axis, -1)
    if not from_logits:
        eps = common.epsilon()
        output = torch.log(torch.clamp(output, eps, 1. - eps))
    num_classes = output.shape[-1]
    loss = F.cross_entropy(output.reshape(-1, num_classes), target.reshape(-1).long(),
                           reduction='none')
    if ndim >= 3:
        return loss.reshape(output.shape[:-1])
    return loss


def binary_crossentropy(target, output, from_logits=False):
    """Binary crossentropy between an output and a target of the same shape.

    Without `from_logits`, the output is clipped to `[epsilon, 1 - epsilon]` and turned back
    into logits before the sigmoid crossentropy, as Keras 2.2.4 did.

    # Arguments
        target: tensor of the same shape as `output`.
        output: probabilities, or logits with `from_logits=True`.
        from_logits: whether `output` holds logits.

    # Returns
        A tensor of the shape of `output`.
    """
    target = _t(target)
    output = _t(output)
    if not from_logits:
        # logit with eps clamps to [eps, 1 - eps], then takes log(p / (1 - p)): one kernel.
        output = torch.logit(output, eps=common.epsilon())
    if target.dtype != output.dtype:
        target = target.to(output.dtype)
    return F.binary_cross_entropy_with_logits(output, target, reduction='none')


# DROPOUT

def dropout(x, level, noise_shape=None, seed=None):
    """Sets entries of `x` to zero with probability `level`, scaling the rest by `1 / (1 - level)`.

    # Arguments
        x: tensor.
        level: fraction of entries to drop, in `[0, 1)`.
        noise_shape: shape of the keep/drop mask, broadcastable to `x` (`None` entries take
            the size of `x`).
        seed: int or `None`. A seeded call draws from a generator reserved for that seed,
            which advances with each call, so a run is reproducible but masks differ per step.

    # Returns
        A tensor.

    # Raises
        ValueError: if `level` is outside `[0, 1)`.
    """
    x = _t(x)
    if level == 0:
        return x
    if not 0. < level < 1.:
        raise ValueError('dropout level must be in [0, 1), got %r.' % (level,))
    if noise_shape is None:
        if seed is None and x.is_cuda:
            # torch's CUDA dropout draws and applies the mask in one kernel.
            return F.dropout(x, level, True)
        shape = x.shape
    else:
        shape = tuple(x.shape[i] if s is None else int(s) for i, s in enumerate(noise_shape))
    # A uniform draw compared with the rate is much cheaper on CPU than bernoulli_.
    keep = torch.empty(shape, dtype=x.dtype, device=x.device).uniform_(
        generator=_stream(seed, x.device))
    keep = keep.ge_(level).div_(1. - level)
    return x * keep


# BIAS

def bias_add(x, bias, data_format=None):
    """Adds a bias to a tensor, with Keras 2.2.4's rules.

    A 1-D bias is added along the channels axis. A bias with `ndim(x) - 1` axes holds one
    value per position, given in channels_last order `(..., channels)`; for channels_first it
    is reshaped (not transposed) to `(channels, ...)` as Keras 2.2.4 did, so weights saved by
    it keep their meaning.

    # Arguments
        x: tensor.
        bias: 1-D tensor, or a tensor with `ndim(x) - 1` axes.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).

    # Returns
        A tensor.

    # Raises
        ValueError: for a bias of another rank, or whose size does not match the channels.
    """
    x = _t(x)
    bias = _t(bias)
    ndim = x.dim()
    if ndim == 2 and bias.dim() == 1 and bias.shape[0] == x.shape[1]:
        return x + bias  # Dense outputs: the data format plays no part
    data_format = common.normalize_data_format(data_format)
    bias_shape = tuple(bias.shape)
    if len(bias_shape) != 1 and len(bias_shape) != ndim - 1:
        raise ValueError('Unexpected bias dimensions %d, expect to be 1 or %d dimensions'
                         % (len(bias_shape), ndim - 1))
    channels_first = data_format == 'channels_first' and 3 <= ndim <= 5
    if len(bias_shape) == 1:
        channels = x.shape[1] if channels_first else x.shape[-1]
        if bias_shape[0] != channels:
            raise ValueError('Bias of size %d does not match the %d channels of a tensor of '
                             'shape %s (%s).' % (bias_shape[0], channels, tuple(x.shape),
                                                 data_format))
        if channels_first:
            return x + bias.reshape((1, channels) + (1,) * (ndim - 2))
        return x + bias
    if channels_first:
        bias = bias.reshape((1, bias_shape[-1]) + bias_shape[:-1])
    if tuple(bias.shape[-(ndim - 1):]) != tuple(x.shape[1:]):
        raise ValueError('Bias of shape %s does not match a tensor of shape %s (%s).'
                         % (bias_shape, tuple(x.shape), data_format))
    return x + bias


# CONVOLUTIONS

def _tuple(value, n):
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1 and n > 1:
        return value * n
    return value


def _same_padding(size, kernel, stride, dilation):
    """TensorFlow's 'SAME' padding (before, after): the odd unit goes at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _channels_first_view(x, data_format, nd):
    # A channels_last tensor seen as channels-first is already in torch's channels_last
    # memory format, which its convolution and pooling kernels consume directly.
    if data_format == 'channels_last':
        return x.permute((0, nd + 1) + tuple(range(1, nd + 1)))
    return x


def _restore_layout(y, data_format, nd):
    if data_format == 'channels_last':
        return y.permute((0,) + tuple(range(2, nd + 2)) + (1,))
    return y


def _padding_pairs(x, padding, kernel_size, strides, dilation):
    """Per spatial axis (before, after) padding of a channels-first tensor, or `None`."""
    if padding == 'valid':
        return None
    if padding != 'same':
        raise ValueError('Invalid padding: ' + str(padding))
    return [_same_padding(size, k, s, d)
            for size, k, s, d in zip(x.shape[2:], kernel_size, strides, dilation)]


def _apply_padding(x, pairs, value=0.):
    """Returns `(x, torch_padding)`: symmetric pads go to torch, uneven ones to `F.pad`."""
    if pairs is None:
        return x, 0
    if all(before == after for before, after in pairs):
        return x, tuple(before for before, _ in pairs)
    flat = []
    for before, after in reversed(pairs):
        flat.extend((before, after))
    return F.pad(x, flat, value=value), 0


_CONV = {2: F.conv2d, 3: F.conv3d}
_CONV_TRANSPOSE = {2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _conv(x, weight, nd, strides, padding, data_format, dilation, groups=1):
    """N-D convolution of a Keras-layout `x` with a torch-layout weight `(out, in, *k)`."""
    x = _channels_first_view(x, data_format, nd)
    pairs = _padding_pairs(x, padding, weight.shape[2:], strides, dilation)
    x, pad = _apply_padding(x, pairs)
    y = _CONV[nd](x, weight, None, strides, pad, dilation, groups)
    return _restore_layout(y, data_format, nd)


def _as_2d(x, data_format):
    # 1-D convolutions run as 2-D ones over a height of 1: same kernels, and channels_last
    # stays a zero-copy view.
    return x.unsqueeze(1) if data_format == 'channels_last' else x.unsqueeze(2)


def _from_2d(y, data_format):
    return y.squeeze(1) if data_format == 'channels_last' else y.squeeze(2)


def _conv2d_weight(kernel):
    # (rows, cols, in, out) -> (out, in, rows, cols)
    return kernel.permute(3, 2, 0, 1)


def _depthwise_weight(kernel):
    # (rows, cols, in, multiplier) -> (in * multiplier, 1, rows, cols); output channel
    # i * multiplier + m reads input channel i, as in TensorFlow.
    rows, cols, channels, multiplier = kernel.shape
    return kernel.reshape(rows, cols, 1, channels * multiplier).permute(3, 2, 0, 1)


def conv1d(x, kernel, strides=1, padding='valid', data_format=None, dilation_rate=1):
    """1-D convolution.

    # Arguments
        x: 3-D tensor, `(batch, steps, channels)` or `(batch, channels, steps)`.
        kernel: tensor of shape `(kernel_size, in_channels, filters)`.
        strides: int.
        padding: `'valid'`, `'same'` or `'causal'` (channels_last only).
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int.

    # Returns
        A 3-D tensor.

    # Raises
        ValueError: for causal padding with channels_first data.
    """
    x = _t(x)
    kernel = _t(kernel)
    data_format = common.normalize_data_format(data_format)
    stride = _tuple(strides, 1)[0]
    dilation = _tuple(dilation_rate, 1)[0]
    if padding == 'causal':
        if data_format != 'channels_last':
            raise ValueError('When using causal padding in `conv1d`, `data_format` must be '
                             '"channels_last" (temporal data).')
        x = F.pad(x, (0, 0, dilation * (kernel.shape[0] - 1), 0))
        padding = 'valid'
    weight = kernel.permute(2, 1, 0).unsqueeze(2)
    y = _conv(_as_2d(x, data_format), weight, 2, (1, stride), padding, data_format,
              (1, dilation))
    return _from_2d(y, data_format)


def conv2d(x, kernel, strides=(1, 1), padding='valid', data_format=None, dilation_rate=(1, 1)):
    """2-D convolution.

    # Arguments
        x: 4-D tensor.
        kernel: tensor of shape `(rows, cols, in_channels, filters)`.
        strides: int or pair of ints.
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int or pair of ints.

    # Returns
        A 4-D tensor.
    """
    x = _t(x)
    kernel = _t(kernel)
    data_format = common.normalize_data_format(data_format)
    return _conv(x, _conv2d_weight(kernel), 2, _tuple(strides, 2), padding, data_format,
                 _tuple(dilation_rate, 2))


def conv3d(x, kernel, strides=(1, 1, 1), padding='valid', data_format=None,
           dilation_rate=(1, 1, 1)):
    """3-D convolution.

    # Arguments
        x: 5-D tensor.
        kernel: tensor of shape `(k1, k2, k3, in_channels, filters)`.
        strides: int or triple of ints.
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int or triple of ints.

    # Returns
        A 5-D tensor.
    """
    x = _t(x)
    kernel = _t(kernel)
    data_format = common.normalize_data_format(data_format)
    return _conv(x, kernel.permute(4, 3, 0, 1, 2), 3, _tuple(strides, 3), padding,
                 data_format, _tuple(dilation_rate, 3))


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding='valid', data_format=None,
                     dilation_rate=(1, 1)):
    """Depthwise 2-D convolution: each input channel is convolved with its own filters.

    # Arguments
        x: 4-D tensor.
        depthwise_kernel: tensor of shape `(rows, cols, in_channels, depth_multiplier)`.
        strides: int or pair of ints.
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int or pair of ints.

    # Returns
        A 4-D tensor with `in_channels * depth_multiplier` channels.
    """
    x = _t(x)
    depthwise_kernel = _t(depthwise_kernel)
    data_format = common.normalize_data_format(data_format)
    return _conv(x, _depthwise_weight(depthwise_kernel), 2, _tuple(strides, 2), padding,
                 data_format, _tuple(dilation_rate, 2), groups=depthwise_kernel.shape[2])


def _separable(x, depthwise_kernel, pointwise_kernel, strides, padding, data_format, dilation):
    # x: 4-D in Keras layout; kernels in their 2-D Keras layouts.
    x = _channels_first_view(x, data_format, 2)
    depthwise = _depthwise_weight(depthwise_kernel)
    pairs = _padding_pairs(x, padding, depthwise.shape[2:], strides, dilation)
    x, pad = _apply_padding(x, pairs)
    y = F.conv2d(x, depthwise, None, strides, pad, dilation, depthwise_kernel.shape[2])
    y = F.conv2d(y, _conv2d_weight(pointwise_kernel))
    return _restore_layout(y, data_format, 2)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding='valid',
                     data_format=None, dilation_rate=(1, 1)):
    """2-D convolution with separable filters: depthwise, then pointwise (1x1).

    # Arguments
        x: 4-D tensor.
        depthwise_kernel: tensor of shape `(rows, cols, in_channels, depth_multiplier)`.
        pointwise_kernel: tensor of shape `(1, 1, in_channels * depth_multiplier, filters)`.
        strides: int or pair of ints (of the depthwise step).
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int or pair of ints.

    # Returns
        A 4-D tensor.
    """
    data_format = common.normalize_data_format(data_format)
    return _separable(_t(x), _t(depthwise_kernel), _t(pointwise_kernel), _tuple(strides, 2),
                      padding, data_format, _tuple(dilation_rate, 2))


def separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides=1, padding='valid',
                     data_format=None, dilation_rate=1):
    """1-D convolution with separable filters: depthwise, then pointwise.

    # Arguments
        x: 3-D tensor.
        depthwise_kernel: tensor of shape `(kernel_size, in_channels, depth_multiplier)`.
        pointwise_kernel: tensor of shape `(1, in_channels * depth_multiplier, filters)`.
        strides: int.
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int.

    # Returns
        A 3-D tensor.
    """
    data_format = common.normalize_data_format(data_format)
    y = _separable(_as_2d(_t(x), data_format), _t(depthwise_kernel).unsqueeze(0),
                   _t(pointwise_kernel).unsqueeze(0), (1, _tuple(strides, 1)[0]), padding,
                   data_format, (1, _tuple(dilation_rate, 1)[0]))
    return _from_2d(y, data_format)


def _conv_transpose(x, kernel, output_shape, nd, strides, padding, data_format, dilation):
    x = _t(x)
    kernel = _t(kernel)
    data_format = common.normalize_data_format(data_format)
    strides = _tuple(strides, nd)
    dilation = _tuple(dilation, nd)
    # (k..., out, in) -> (in, out, k...)
    weight = kernel.permute((nd + 1, nd) + tuple(range(nd)))
    x = _channels_first_view(x, data_format, nd)
    output_shape = tuple(output_shape)
    if data_format == 'channels_last':
        targets = output_shape[1:nd + 1]
    else:
        targets = output_shape[2:nd + 2]
    targets = tuple(int(t) for t in targets)
    pads = []
    output_padding = []
    crop = False
    for size, target, k, s, d in zip(x.shape[2:], targets, kernel.shape[:nd], strides,
                                     dilation):
        span = (k - 1) * d + 1
        if padding == 'same':
            expected = -(-target // s)
            before = _same_padding(target, k, s, d)[0]
        elif padding == 'valid':
            expected = -(-(target - span + 1) // s)
            before = 0
        else:
            raise ValueError('Invalid padding: ' + str(padding))
        if expected != size:
            raise ValueError('Output shape %s cannot come from an input of shape %s with '
                             'kernel %s, strides %s and padding %r.'
                             % (output_shape, tuple(x.shape), tuple(kernel.shape), strides,
                                padding))
        # The padding TF puts after the input can exceed the one before by one; torch only
        # removes equal amounts, so the extra last row is cut off afterwards.
        extra = target - ((size - 1) * s - 2 * before + span)
        if extra < 0:
            crop = True
            extra = 0
        pads.append(before)
        output_padding.append(extra)
    y = _CONV_TRANSPOSE[nd](x, weight, None, strides, tuple(pads), tuple(output_padding), 1,
                            dilation)
    if crop:
        y = y[(slice(None), slice(None)) + tuple(slice(0, t) for t in targets)]
    return _restore_layout(y, data_format, nd)


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding='valid',
                     data_format=None, dilation_rate=(1, 1)):
    """2-D transposed convolution (the gradient of `conv2d` with respect to its input).

    # Arguments
        x: 4-D tensor.
        kernel: tensor of shape `(rows, cols, filters, in_channels)`.
        output_shape: the output shape in `data_format` order (its batch entry is ignored).
        strides: int or pair of ints.
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int or pair of ints.

    # Returns
        A 4-D tensor.

    # Raises
        ValueError: if `output_shape` is not one that convolving back would map onto `x`.
    """
    return _conv_transpose(x, kernel, output_shape, 2, strides, padding, data_format,
                           dilation_rate)


def conv3d_transpose(x, kernel, output_shape, strides=(1, 1, 1), padding='valid',
                     data_format=None, dilation_rate=(1, 1, 1)):
    """3-D transposed convolution (the gradient of `conv3d` with respect to its input).

    # Arguments
        x: 5-D tensor.
        kernel: tensor of shape `(k1, k2, k3, filters, in_channels)`.
        output_shape: the output shape in `data_format` order (its batch entry is ignored).
        strides: int or triple of ints.
        padding: `'valid'` or `'same'`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        dilation_rate: int or triple of ints.

    # Returns
        A 5-D tensor.

    # Raises
        ValueError: if `output_shape` is not one that convolving back would map onto `x`.
    """
    return _conv_transpose(x, kernel, output_shape, 3, strides, padding, data_format,
                           dilation_rate)


# POOLING

_MAX_POOL = {2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {2: F.avg_pool2d, 3: F.avg_pool3d}


@functools.lru_cache(maxsize=64)
def _window_counts(spatial, pool_size, strides, flat_pads, nd, device, dtype):
    """How many real (unpadded) entries each 'same' pooling window covers."""
    ones = torch.ones((1, 1) + spatial, device=device, dtype=dtype)
    return _AVG_POOL[nd](F.pad(ones, list(flat_pads)), pool_size, strides, divisor_override=1)


def _pool(x, pool_size, strides, padding, data_format, pool_mode, nd):
    x = _t(x)
    data_format = common.normalize_data_format(data_format)
    pool_size = _tuple(pool_size, nd)
    strides = _tuple(strides, nd)
    x = _channels_first_view(x, data_format, nd)
    pairs = _padding_pairs(x, padding, pool_size, strides, (1,) * nd)
    if pool_mode == 'max':
        if x.dtype.is_floating_point:
            low = float('-inf')
        else:
            low = torch.iinfo(x.dtype).min
        x, pad = _apply_padding(x, pairs, value=low)
        y = _MAX_POOL[nd](x, pool_size, strides, pad)
    elif pool_mode == 'avg':
        # TensorFlow averages 'same' windows over their real entries only.
        padded, pad = _apply_padding(x, pairs)
        if padded is x:
            y = _AVG_POOL[nd](x, pool_size, strides, pad, count_include_pad=False)
        else:
            flat = []
            for before, after in reversed(pairs):
                flat.extend((before, after))
            sums = _AVG_POOL[nd](padded, pool_size, strides, divisor_override=1)
            counts = _window_counts(tuple(x.shape[2:]), pool_size, strides, tuple(flat), nd,
                                    x.device, x.dtype)
            y = sums / counts
    else:
        raise ValueError('Invalid pool_mode: ' + str(pool_mode))
    return _restore_layout(y, data_format, nd)


def pool2d(x, pool_size, strides=(1, 1), padding='valid', data_format=None, pool_mode='max'):
    """2-D pooling.

    # Arguments
        x: 4-D tensor.
        pool_size: pair of ints.
        strides: pair of ints.
        padding: `'valid'` or `'same'` (averages exclude the padding, as TensorFlow).
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        pool_mode: `'max'` or `'avg'`.

    # Returns
        A 4-D tensor.

    # Raises
        ValueError: for an unknown `padding` or `pool_mode`.
    """
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 2)


def pool3d(x, pool_size, strides=(1, 1, 1), padding='valid', data_format=None,
           pool_mode='max'):
    """3-D pooling.

    # Arguments
        x: 5-D tensor.
        pool_size: triple of ints.
        strides: triple of ints.
        padding: `'valid'` or `'same'` (averages exclude the padding, as TensorFlow).
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).
        pool_mode: `'max'` or `'avg'`.

    # Returns
        A 5-D tensor.

    # Raises
        ValueError: for an unknown `padding` or `pool_mode`.
    """
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 3)


# NORMALIZATION

def _scale_and_shift(x, mean, var, beta, gamma, epsilon):
    # tf.nn.batch_normalization's arithmetic: x * (gamma / sqrt(var + eps)) + (beta - mean * .)
    inv = torch.rsqrt(var + epsilon)
    if gamma is not None:
        inv = inv * gamma
    shift = mean * inv
    shift = beta - shift if beta is not None else torch.neg(shift)
    return torch.addcmul(shift, x, inv)


def normalize_batch_in_training(x, gamma, beta, reduction_axes, epsilon=1e-3):
    """Normalises a batch with its own mean and variance over `reduction_axes`.

    For 4-D inputs normalised per channel (axes `[0, 1, 2]` or `[0, 2, 3]`), Keras 2.2.4 used
    TensorFlow's fused batch norm: the variance it returns is the unbiased one (times
    `n / (n - 1)`), which feeds the moving variance, and `epsilon` is at least 1.001e-5. Other
    cases return the biased variance. Both are reproduced.

    # Arguments
        x: tensor.
        gamma: scale, 1-D over the kept axes (or `None`).
        beta: offset, 1-D over the kept axes (or `None`).
        reduction_axes: list of ints, the axes to normalise over.
        epsilon: fuzz factor.

    # Returns
        `(normalized_tensor, mean, variance)`, the statistics with the reduced axes removed.
    """
    x = _t(x)
    axes = [int(a) % x.dim() for a in reduction_axes]
    fused = x.dim() == 4 and axes in ([0, 1, 2], [0, 2, 3])
    if fused:
        epsilon = max(epsilon, _FUSED_BN_MIN_EPSILON)
    var, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=True)
    kept_shape = mean.shape
    if gamma is not None:
        gamma = _t(gamma).reshape(kept_shape)
    if beta is not None:
        beta = _t(beta).reshape(kept_shape)
    normed = _scale_and_shift(x, mean, var, beta, gamma, epsilon)
    mean = mean.squeeze(tuple(axes))
    var = var.squeeze(tuple(axes))
    if fused:
        count = x.numel() // max(mean.numel(), 1)
        var = var * (count / max(count - 1, 1))
    return normed, mean, var


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """Applies `(x - mean) / sqrt(var + epsilon) * gamma + beta`.

    For 4-D inputs normalised along axis 1/-3 or 3/-1 the statistics may be 1-D or broadcast
    shaped (as TensorFlow's fused batch norm, whose minimum epsilon of 1.001e-5 applies);
    otherwise they broadcast against `x` as given.

    # Arguments
        x: tensor.
        mean: mean.
        var: variance.
        beta: offset, or `None`.
        gamma: scale, or `None`.
        axis: the normalised (features) axis.
        epsilon: fuzz factor.

    # Returns
        A tensor.
    """
    x = _t(x)
    mean = _t(mean)
    var = _t(var)
    beta = None if beta is None else _t(beta)
    gamma = None if gamma is None else _t(gamma)
    if x.dim() == 4 and axis in (1, -3, 3, -1):
        epsilon = max(epsilon, _FUSED_BN_MIN_EPSILON)
        shape = (-1, 1, 1) if axis in (1, -3) else (-1,)
        mean = mean.reshape(shape)
        var = var.reshape(shape)
        if beta is not None:
            beta = beta.reshape(shape)
        if gamma is not None:
            gamma = gamma.reshape(shape)
    return _scale_and_shift(x, mean, var, beta, gamma, epsilon)


# LOCALLY-CONNECTED

def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    """1-D convolution with unshared weights (one kernel per output position).

    # Arguments
        inputs: 3-D tensor `(batch, steps, input_dim)`.
        kernel: tensor of shape `(output_length, kernel_size * input_dim, filters)`; each
            row is laid out `(kernel position, input channel)`.
        kernel_size: tuple of one int.
        strides: tuple of one int.
        data_format: accepted for Keras 2 compatibility (the data is channels_last).

    # Returns
        A 3-D tensor `(batch, output_length, filters)`.
    """
    inputs = _t(inputs)
    kernel = _t(kernel)
    common.normalize_data_format(data_format)
    length = _tuple(kernel_size, 1)[0]
    stride = _tuple(strides, 1)[0]
    output_length, feature_dim, filters = kernel.shape
    # (batch, positions, channels, length) -> (positions, batch, length * channels)
    patches = inputs.unfold(1, length, stride)[:, :output_length]
    patches = patches.permute(1, 0, 3, 2).reshape(output_length, inputs.shape[0], feature_dim)
    return torch.bmm(patches, kernel).transpose(0, 1)


def local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    """2-D convolution with unshared weights (one kernel per output position).

    # Arguments
        inputs: 4-D tensor.
        kernel: tensor of shape `(output_rows * output_cols, feature_dim, filters)`; each row
            is laid out `(rows, cols, channels)` for channels_last and `(channels, rows, cols)`
            for channels_first, as Keras 2.
        kernel_size: pair of ints.
        strides: pair of ints.
        output_shape: `(output_rows, output_cols)`.
        data_format: `'channels_last'` or `'channels_first'` (`None`: `image_data_format()`).

    # Returns
        A 4-D tensor with `filters` channels.
    """
    inputs = _t(inputs)
    kernel = _t(kernel)
    data_format = common.normalize_data_format(data_format)
    rows, cols = _tuple(kernel_size, 2)
    stride_rows, stride_cols = _tuple(strides, 2)
    output_rows, output_cols = (int(s) for s in output_shape)
    _, feature_dim, filters = kernel.shape
    batch = inputs.shape[0]
    if data_format == 'channels_first':
        # (batch, channels, out_rows, out_cols, rows, cols)
        patches = inputs.unfold(2, rows, stride_rows).unfold(3, cols, stride_cols)
        patches = patches[:, :, :output_rows, :output_cols].permute(2, 3, 0, 1, 4, 5)
    else:
        # (batch, out_rows, out_cols, channels, rows, cols)
        patches = inputs.unfold(1, rows, stride_rows).unfold(2, cols, stride_cols)
        patches = patches[:, :output_rows, :output_cols].permute(1, 2, 0, 4, 5, 3)
    patches = patches.reshape(output_rows * output_cols, batch, feature_dim)
    out = torch.bmm(patches, kernel).reshape(output_rows, output_cols, batch, filters)
    if data_format == 'channels_first':
        return out.permute(2, 3, 0, 1)
    return out.permute(2, 0, 1, 3)
