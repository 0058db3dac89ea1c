"""Convolutions and pooling on PyTorch, with Keras 2 kernel layouts and TensorFlow's 'SAME'
padding (split from `nn.py`).

Bare implementations: each function's signature, docstring and argument-only checks are
in `cornu.backend.api.conv`, which calls these.
"""
import functools

import torch
import torch.nn.functional as F

from .. import common
from ..conv_arithmetic import (check_causal, normalize_tuple, padding_pairs,
                               transposed_padding)
from .core import graph_capture_active
from .math import _t

__all__ = [
    'conv1d', 'conv2d', 'conv3d', 'depthwise_conv2d', 'separable_conv2d', 'separable_conv1d',
    'conv2d_transpose', 'conv3d_transpose', 'pool2d', 'pool3d',
]


# CONVOLUTIONS

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


def _apply_padding(x, pairs, value=0.):
    """Returns `(x, torch_padding)`: symmetric pads go to torch, uneven ones to `F.pad`."""
    # (Loops, not generators: every convolution and pooling call passes here.)
    symmetric = []
    for before, after in pairs:
        if before != after:
            break
        symmetric.append(before)
    else:
        return x, tuple(symmetric)
    flat = []
    for before, after in reversed(pairs):
        flat.extend((before, after))
    return F.pad(x, flat, value=value), 0


_CONV = {2: F.conv2d, 3: F.conv3d}
_CONV_TRANSPOSE = {2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _conv(x, weight, nd, strides, padding, data_format, dilation, groups=1, bias=None,
          relu=False):
    """N-D convolution of a Keras-layout `x` with a torch-layout weight `(out, in, *k)`,
    plus `bias` inside the convolution kernel and then, if `relu`, a ReLU in place."""
    x = _channels_first_view(x, data_format, nd)
    pairs = padding_pairs(x.shape[2:], padding, weight.shape[2:], strides, dilation)
    x, pad = _apply_padding(x, pairs)
    if relu and nd == 2 and _onednn_relu_applies(x, weight, bias, groups):
        y = _CONV_POINTWISE(x, weight, bias, _pair(pad), tuple(strides), tuple(dilation), 1,
                            'relu', [], '')
        return _restore_layout(y, data_format, nd)
    if bias is not None and _sums_bias_gradient(x, weight, bias):
        y = _ConvolutionSummingBias.apply(x, weight, bias, tuple(strides), _pair(pad),
                                          tuple(dilation), groups)
    else:
        y = _CONV[nd](x, weight, bias, strides, pad, dilation, groups)
    if relu:
        # In place on the convolution's fresh output: its backward does not read it, and one
        # activation-sized tensor fewer is written per call.
        y = torch.relu_(y)
    return _restore_layout(y, data_format, nd)


# oneDNN's convolution with the ReLU as a post-op: the ReLU is applied to each output block
# while it is still in cache, instead of in a second pass over the whole activation (measured
# 4-6% of the CPU time of a small CNN's prediction). The values are those of
# `relu_(conv2d(...))` bit for bit: the same kernel computes the sums. It has no gradient, so
# it serves inference only; training keeps the in-place ReLU, whose backward reads its output.
_CONV_POINTWISE = getattr(getattr(torch.ops, 'mkldnn', None), '_convolution_pointwise', None)
# The direct call sets up its oneDNN primitive at every call, some 25 us, which `F.conv2d`
# does not pay: a one-image prediction (mnist_cnn's first convolution, 26 x 26 x 32 outputs)
# measured 52 us against 34 for `F.conv2d` and `relu_`. The post-op serves outputs of at
# least this many elements (input positions times filters, batch included), where its
# saved pass is worth more than the set-up.
_POINTWISE_MIN_OUTPUT = 1 << 16


def _pair(pad):
    return (pad, pad) if isinstance(pad, int) else tuple(pad)


def _onednn_relu_applies(x, weight, bias, groups):
    """Whether the ReLU of a 2-D convolution of `x` can be oneDNN's post-op: no gradient
    wanted, plain float32 tensors on the CPU, one group, an output big enough to pay for the
    call's set-up, oneDNN built in and enabled, no CPU autocast (which the direct call would
    bypass), and no graph being traced."""
    if (_CONV_POINTWISE is None or groups != 1 or type(x) is not torch.Tensor or
            x.device.type != 'cpu' or graph_capture_active()):
        return False
    # After the capture check: under torch.export the batch size may be symbolic, and a
    # comparison would put a guard on it.
    if x.shape[0] * weight.shape[0] * x.shape[2] * x.shape[3] < _POINTWISE_MIN_OUTPUT:
        return False
    tensors = (x, weight) if bias is None else (x, weight, bias)
    if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
        return False
    return (all(t.dtype == torch.float32 for t in tensors) and
            torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled and
            not torch.is_autocast_enabled('cpu'))


# Output elements from which summing the bias gradient apart pays for the Python-level
# autograd function (some 20 us a step, forward and backward).
_SUMMED_BIAS_MIN_OUTPUT = 1 << 16


def _sums_bias_gradient(x, weight, bias):
    """Whether a 2-D convolution's bias gradient is summed by torch (`_ConvolutionSummingBias`)
    rather than by oneDNN: a trained bias, a float CPU tensor whose output is large, and no
    graph being traced."""
    # Graph capture before the batch size: under torch.export, reading the (symbolic) batch
    # size would put a guard on it.
    return (torch.is_grad_enabled() and bias.requires_grad and x.dim() == 4 and
            type(x) is torch.Tensor and x.device.type == 'cpu' and
            x.dtype == torch.float32 and not torch.is_autocast_enabled('cpu') and
            not graph_capture_active() and
            x.shape[0] * weight.shape[0] * x.shape[2] * x.shape[3] >= _SUMMED_BIAS_MIN_OUTPUT)


class _ConvolutionSummingBias(torch.autograd.Function):
    """`conv2d(x, weight, bias)` whose backward takes the bias gradient as a sum of the output
    gradient over batch and positions. oneDNN's backward-weights kernel sums it in a loop of
    its own that costs more than the sum (measured on a 128 x 64 x 24 x 24 gradient, 1 thread:
    2.7 ms against 0.5 ms); the data and kernel gradients are torch's own."""

    @staticmethod
    def forward(ctx, x, weight, bias, strides, padding, dilation, groups):
        ctx.save_for_backward(x, weight)
        ctx.arguments = (strides, padding, dilation, groups)
        return F.conv2d(x, weight, bias, strides, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        strides, padding, dilation, groups = ctx.arguments
        wants_x, wants_weight, wants_bias = ctx.needs_input_grad[:3]
        grad_x = grad_weight = grad_bias = None
        if wants_x or wants_weight:
            grad_x, grad_weight, _ = torch.ops.aten.convolution_backward(
                grad, x, weight, None, strides, padding, dilation, False, (0, 0), groups,
                (wants_x, wants_weight, False))
        if wants_bias:
            grad_bias = grad.sum((0, 2, 3))
        return grad_x, grad_weight, grad_bias, None, None, None, None


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


def _conv1d(x, kernel, stride, padding, data_format, dilation, bias=None, relu=False):
    if padding == 'causal':
        check_causal(data_format)
        x = F.pad(x, (0, 0, dilation * (kernel.shape[0] - 1), 0))
        padding = 'valid'
    weight = kernel.permute(2, 1, 0).unsqueeze(2)
    y = _conv(_as_2d(x, data_format), weight, 2, (1, stride), padding, data_format,
              (1, dilation), bias=bias, relu=relu)
    return _from_2d(y, data_format)


def convolution(x, kernel, rank, strides, padding, data_format, dilation, bias=None,
                relu=False):
    """The convolution of `rank` spatial dimensions (1 to 3) of a Keras-layout `x` with a
    Keras-layout kernel `(*k, in, out)`, with `bias` added inside torch's convolution and an
    optional ReLU; `strides` and `dilation` are normalized tuples."""
    if rank == 1:
        return _conv1d(x, kernel, strides[0], padding, data_format, dilation[0], bias, relu)
    if rank == 2:
        weight = _conv2d_weight(kernel)
    else:
        weight = kernel.permute(4, 3, 0, 1, 2)
    return _conv(x, weight, rank, strides, padding, data_format, dilation, bias=bias,
                 relu=relu)


def conv1d(x, kernel, strides=1, padding='valid', data_format=None, dilation_rate=1):
    return _conv1d(_t(x), _t(kernel), normalize_tuple(strides, 1)[0], padding, data_format,
                   normalize_tuple(dilation_rate, 1)[0])


def conv2d(x, kernel, strides=(1, 1), padding='valid', data_format=None, dilation_rate=(1, 1)):
    return convolution(_t(x), _t(kernel), 2, normalize_tuple(strides, 2), padding, data_format,
                       normalize_tuple(dilation_rate, 2))


def conv3d(x, kernel, strides=(1, 1, 1), padding='valid', data_format=None,
           dilation_rate=(1, 1, 1)):
    return convolution(_t(x), _t(kernel), 3, normalize_tuple(strides, 3), padding, data_format,
                       normalize_tuple(dilation_rate, 3))


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding='valid', data_format=None,
                     dilation_rate=(1, 1)):
    x = _t(x)
    depthwise_kernel = _t(depthwise_kernel)
    return _conv(x, _depthwise_weight(depthwise_kernel), 2, normalize_tuple(strides, 2),
                 padding, data_format, normalize_tuple(dilation_rate, 2),
                 groups=depthwise_kernel.shape[2])


def _separable(x, depthwise_kernel, pointwise_kernel, strides, padding, data_format, dilation):
    # x: 4-D in Keras layout; kernels in their 2-D Keras layouts.
    x = _channels_first_view(x, data_format, 2)
    depthwise = _depthwise_weight(depthwise_kernel)
    pairs = padding_pairs(x.shape[2:], padding, depthwise.shape[2:], strides, dilation)
    x, pad = _apply_padding(x, pairs)
    y = F.conv2d(x, depthwise, None, strides, pad, dilation, depthwise_kernel.shape[2])
    y = F.conv2d(y, _conv2d_weight(pointwise_kernel))
    return _restore_layout(y, data_format, 2)


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding='valid',
                     data_format=None, dilation_rate=(1, 1)):
    return _separable(_t(x), _t(depthwise_kernel), _t(pointwise_kernel),
                      normalize_tuple(strides, 2), padding, data_format,
                      normalize_tuple(dilation_rate, 2))


def separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides=1, padding='valid',
                     data_format=None, dilation_rate=1):
    y = _separable(_as_2d(_t(x), data_format), _t(depthwise_kernel).unsqueeze(0),
                   _t(pointwise_kernel).unsqueeze(0), (1, normalize_tuple(strides, 1)[0]),
                   padding, data_format, (1, normalize_tuple(dilation_rate, 1)[0]))
    return _from_2d(y, data_format)


def _conv_transpose(x, kernel, output_shape, nd, strides, padding, data_format, dilation):
    x = _t(x)
    kernel = _t(kernel)
    data_format = common.normalize_data_format(data_format)
    strides = normalize_tuple(strides, nd)
    dilation = normalize_tuple(dilation, nd)
    # (k..., out, in) -> (in, out, k...)
    weight = kernel.permute((nd + 1, nd) + tuple(range(nd)))
    x = _channels_first_view(x, data_format, nd)
    sizes = tuple(x.shape[2:])
    targets, axes = transposed_padding(sizes, output_shape, tuple(kernel.shape), strides,
                                       dilation, padding, data_format, x.shape)
    pads = []
    output_padding = []
    crop = False
    for size, target, s, (before, span) in zip(sizes, targets, strides, axes):
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
    return _conv_transpose(x, kernel, output_shape, 2, strides, padding, data_format,
                           dilation_rate)


def conv3d_transpose(x, kernel, output_shape, strides=(1, 1, 1), padding='valid',
                     data_format=None, dilation_rate=(1, 1, 1)):
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
    pool_size = normalize_tuple(pool_size, nd)
    strides = normalize_tuple(strides, nd)
    x = _channels_first_view(x, data_format, nd)
    pairs = padding_pairs(x.shape[2:], padding, pool_size, strides, (1,) * nd)
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
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 2)


def pool3d(x, pool_size, strides=(1, 1, 1), padding='valid', data_format=None,
           pool_mode='max'):
    return _pool(x, pool_size, strides, padding, data_format, pool_mode, 3)
