"""The fused convolution kernel behind `Conv1D`, `Conv2D` and `Conv3D`.

Internal to cornu (reached through `cornu.backend.kernels`); `cornu.backend.jax.fused_conv`
has the same names. On torch the bias goes into the convolution kernel and a ReLU runs in
place on its output, so a layer writes one activation-sized tensor where the separate
`K.conv2d`, `K.bias_add` and `K.relu` write three.
"""
from ..symbolic import graph_op
from .conv import convolution
from .math import _t

__all__ = ['fused_conv']


@graph_op
def fused_conv(inputs, kernel, bias, rank, strides, padding, data_format, dilation_rate,
               relu=False):
    """`relu(conv(inputs, kernel) + bias)` (the ReLU only if `relu`) in Keras layouts.

    # Arguments
        inputs: tensor of rank `rank + 2`, in `data_format`.
        kernel: tensor of shape `kernel_size + (in_channels, filters)`.
        bias: `(filters,)` vector, or `None`.
        rank: 1, 2 or 3 spatial dimensions.
        strides, dilation_rate: tuples of `rank` ints.
        padding: `'valid'`, `'same'`, or `'causal'` (rank 1, channels_last).
        data_format: `'channels_last'` or `'channels_first'`.
        relu: whether to apply `max(x, 0)` to the result.

    # Returns
        A tensor of rank `rank + 2`, in `data_format`.
    """
    return convolution(_t(inputs), _t(kernel), rank, strides, padding, data_format,
                       dilation_rate, None if bias is None else _t(bias), relu)
