"""The fused convolution kernel behind `Conv1D`, `Conv2D` and `Conv3D`, on JAX.

Internal to cornu (reached through `cornu.backend.kernels`); same names as
`cornu.backend.torch.fused_conv`. XLA fuses the bias add and the ReLU into the convolution's
output by itself.
"""
from ..symbolic import graph_op
from .conv import conv1d, conv2d, conv3d
from .nn import bias_add, relu as _relu

_CONVOLUTIONS = {1: conv1d, 2: conv2d, 3: conv3d}

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
    if rank == 1:
        strides, dilation_rate = strides[0], dilation_rate[0]
    y = _CONVOLUTIONS[rank](inputs, kernel, strides, padding, data_format, dilation_rate)
    if bias is not None:
        y = bias_add(y, bias, data_format)
    if relu:
        y = _relu(y)
    return y
