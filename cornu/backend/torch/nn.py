"""Neural-network ops on PyTorch: activations, losses, dropout, bias, normalization, local
convolutions (convolutions and pooling: `conv.py`).

Semantics follow Keras 2.2.4's TensorFlow backend: kernels keep Keras 2's layouts (e.g. conv2d
`(rows, cols, in, out)`), `'same'` padding reproduces TensorFlow's (extra padding at the end
when the total is odd), and `data_format=None` means `image_data_format()`. channels_last
tensors are handed to torch as channels-first views in its channels_last memory format, so no
transposed copy of the data is made.

Bare implementations: each function's signature, docstring and argument-only checks are
in `cornu.backend.api.nn`, which calls these.
"""
import math

import torch
import torch.nn.functional as F

from .. import common
from ..arguments import (batch_statistics_axes, bias_shape, check_channels_axis,
                         fused_statistics_shape, noise_shape_of, unbiased_factor)
from ..conv_arithmetic import normalize_tuple
from .core import convert_to_tensor, graph_capture_active
from .random import _stream

__all__ = [
    'relu', 'elu', 'softmax', 'softplus', 'softsign', 'sigmoid', 'hard_sigmoid', 'tanh',
    'categorical_crossentropy', 'sparse_categorical_crossentropy', 'binary_crossentropy',
    'dropout', 'bias_add', 'normalize_batch_in_training', 'batch_normalization', 'local_conv1d',
    'local_conv2d',
]

_Tensor = torch.Tensor
# `F.cross_entropy(input, target, reduction='none')` without its argument handling: the
# training step's loss of a softmax output calls it at every batch.
_cross_entropy_loss = torch._C._nn.cross_entropy_loss
_NO_REDUCTION = 0


def _t(x):
    return x if isinstance(x, _Tensor) else convert_to_tensor(x)


# ACTIVATIONS

def relu(x, alpha=0., max_value=None, threshold=0.):
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
    return F.elu(_t(x), alpha)


def softmax(x, axis=-1):
    return torch.softmax(_t(x), dim=axis)


def softplus(x):
    return F.softplus(_t(x))


def softsign(x):
    return F.softsign(_t(x))


def sigmoid(x):
    return torch.sigmoid(_t(x))


def hard_sigmoid(x):
    return torch.clamp(_t(x) * 0.2 + 0.5, 0., 1.)


def tanh(x):
    return torch.tanh(_t(x))


# LOSSES

def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target = _t(target)
    output = _t(output)
    check_channels_axis(axis, output.dim())
    if from_logits:
        if output.dim() == 2 and (axis == -1 or axis == 1) and \
                target.dtype == output.dtype and target.shape == output.shape:
            # The same `-sum(target * log_softmax(output))`, its ops run from C++ (the
            # step's own Python then dispatches one op instead of four, twice with backward).
            return _cross_entropy_loss(output, target, None, _NO_REDUCTION, -100, 0.)
        # Keras 2.2.4 passed logits to TF with the class axis fixed last; the axis is honoured.
        return torch.neg(torch.sum(target * torch.log_softmax(output, dim=axis), dim=axis))
    output = output / torch.sum(output, dim=axis, keepdim=True)
    eps = common.epsilon()
    output = torch.clamp(output, eps, 1. - eps)
    return torch.neg(torch.sum(target * torch.log(output), dim=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target = _t(target)
    output = _t(output)
    ndim = output.dim()
    check_channels_axis(axis, ndim)
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
    x = _t(x)
    if level == 0:
        return x
    if noise_shape is None:
        if seed is None and x.is_cuda:
            # torch's CUDA dropout draws and applies the mask in one kernel.
            return F.dropout(x, level, True)
        shape = x.shape
    else:
        shape = noise_shape_of(x.shape, noise_shape)
    generator = _stream(seed, x.device)
    keep = torch.empty(shape, dtype=x.dtype, device=x.device)
    if graph_capture_active():
        # torch.compile and torch.export trace `uniform_`, not `random_` over all 64 bits.
        return x * keep.uniform_(generator=generator).ge_(level).div_(1. - level)
    words, threshold = _random_words(shape, level, x.device, generator)
    torch.ge(words, threshold, out=keep)
    return x * keep.div_(1. - level)


# Random integers of `bits` bits, cut from 64-bit draws: torch's CPU generator spends 32
# random bits on every number it returns (a float of `uniform_` uses 24 of them), so drawing
# whole words and splitting them costs a quarter of a uniform draw for 8-bit integers. The
# signed types hold their words shifted down by half their range.
_WORD_TYPES = ((8, torch.uint8, 0), (16, torch.int16, 1 << 15), (32, torch.int32, 1 << 31))


def _random_words(shape, level, device, generator):
    """Uniform random integers of `shape` and the threshold they are kept at or above with
    probability `1 - level`: exactly where `level` is a multiple of 2^-8 or 2^-16 (a rate of
    0.5 or 0.25 takes 8-bit integers), else within 2^-32 (`uniform_` compared with the rate:
    within 2^-24)."""
    count = 1
    for size in shape:
        count *= size
    for bits, dtype, offset in _WORD_TYPES:
        steps = level * (1 << bits)  # exact: a power-of-two scaling
        if steps == int(steps) or bits == 32:
            break
    # The share of words below the threshold is level rounded up to a multiple of 2^-bits;
    # a rate within 2^-32 of 1 keeps the largest word only.
    threshold = min(int(math.ceil(steps)), (1 << bits) - 1) - offset
    per_draw = 64 // bits
    draws = torch.empty(((count + per_draw - 1) // per_draw,), dtype=torch.int64,
                        device=device).random_(-(1 << 63), None, generator=generator)
    return draws.view(dtype)[:count].view(shape), threshold


# BIAS

def bias_add(x, bias, data_format=None):
    x = _t(x)
    bias = _t(bias)
    shape = bias_shape(x.shape, bias.shape, data_format)
    return x + (bias if shape is None else bias.reshape(shape))


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
    x = _t(x)
    axes, fused, epsilon = batch_statistics_axes(reduction_axes, x.dim(), epsilon)
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
        var = var * unbiased_factor(x.numel(), mean.numel())
    return normed, mean, var


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    x = _t(x)
    mean = _t(mean)
    var = _t(var)
    beta = None if beta is None else _t(beta)
    gamma = None if gamma is None else _t(gamma)
    shape, epsilon = fused_statistics_shape(x.dim(), axis, epsilon)
    if shape is not None:
        mean = mean.reshape(shape)
        var = var.reshape(shape)
        if beta is not None:
            beta = beta.reshape(shape)
        if gamma is not None:
            gamma = gamma.reshape(shape)
    return _scale_and_shift(x, mean, var, beta, gamma, epsilon)


# LOCALLY-CONNECTED

def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    inputs = _t(inputs)
    kernel = _t(kernel)
    length = normalize_tuple(kernel_size, 1)[0]
    stride = normalize_tuple(strides, 1)[0]
    output_length, feature_dim, filters = kernel.shape
    # (batch, positions, channels, length) -> (positions, batch, length * channels)
    patches = inputs.unfold(1, length, stride)[:, :output_length]
    patches = patches.permute(1, 0, 3, 2).reshape(output_length, inputs.shape[0], feature_dim)
    return torch.bmm(patches, kernel).transpose(0, 1)


def local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    inputs = _t(inputs)
    kernel = _t(kernel)
    rows, cols = normalize_tuple(kernel_size, 2)
    stride_rows, stride_cols = normalize_tuple(strides, 2)
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
