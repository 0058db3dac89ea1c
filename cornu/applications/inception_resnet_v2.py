"""Inception-ResNet V2 model, as in Keras 2.2.4.

Its default input is 299x299 and its input preprocessing scales pixels to [-1, 1].

# Reference
- [Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning](
    https://arxiv.org/abs/1602.07261)
"""
from .. import backend as K
from .. import layers
from ..models import Model
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401
from .imagenet_utils import (_channel_axis, _check_weights_argument, _global_pooling,
                             _image_input, _load_weights, _model_inputs, _obtain_input_shape)

BASE_WEIGHT_URL = 'https://github.com/fchollet/deep-learning-models/releases/download/v0.7/'
# (file name in the cache, md5) with the top, then without it; the URL is BASE_WEIGHT_URL +
# the file name.
_WEIGHTS_FILES = (
    ('inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5',
     'e693bd0210a403b3192acc6073ad2e96'),
    ('inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5',
     'd19885ff4a710c122648d3b5c3b684e4'))


def preprocess_input(x, data_format=None):
    """Preprocesses a batch of images for Inception-ResNet V2: pixels scaled to [-1, 1].

    # Arguments
        x: NumPy array or tensor, 3D or 4D, RGB values in [0, 255].
        data_format: image data format of `x` (default: the Keras config's).

    # Returns
        The preprocessed array or tensor.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode='tf')


def conv2d_bn(x, filters, kernel_size, strides=1, padding='same', activation='relu',
              use_bias=False, name=None):
    """A convolution, batch normalization (without scale, only when there is no bias) and
    an activation.

    # Arguments
        x: input tensor.
        filters: number of filters of the convolution.
        kernel_size: kernel size of the convolution.
        strides: strides of the convolution.
        padding: padding mode of the convolution.
        activation: activation applied last (`None` for none).
        use_bias: whether the convolution has a bias (and then no batch normalization).
        name: when given, the layers are named `name`, `name + '_bn'` and `name + '_ac'`.

    # Returns
        The output tensor.
    """
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                      use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=_channel_axis(), scale=False,
                                      name=None if name is None else name + '_bn')(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else name + '_ac')(x)
    return x


def _scaled_residual(inputs, scale):
    """`shortcut + scale * residual`, for `inputs = [shortcut, residual]`."""
    return inputs[0] + inputs[1] * scale


def inception_resnet_block(x, scale, block_type, block_idx, activation='relu'):
    """An Inception-ResNet block: `x + scale * r`, `r` being the residual branches of type
    `block_type` concatenated and projected back to the width of `x`.

    # Arguments
        x: input tensor.
        scale: scaling of the residual branch before it is added.
        block_type: `'block35'` (Inception-ResNet-A), `'block17'` (B) or `'block8'` (C).
        block_idx: index of the block among those of its type, used in the layer names
            (`'block35_1'`, ...).
        activation: activation at the end of the block (`None` for none).

    # Returns
        The output tensor of the block.

    # Raises
        ValueError: for an unknown `block_type`.
    """
    if block_type == 'block35':
        branch_0 = conv2d_bn(x, 32, 1)
        branch_1 = conv2d_bn(x, 32, 1)
        branch_1 = conv2d_bn(branch_1, 32, 3)
        branch_2 = conv2d_bn(x, 32, 1)
        branch_2 = conv2d_bn(branch_2, 48, 3)
        branch_2 = conv2d_bn(branch_2, 64, 3)
        branches = [branch_0, branch_1, branch_2]
    elif block_type == 'block17':
        branch_0 = conv2d_bn(x, 192, 1)
        branch_1 = conv2d_bn(x, 128, 1)
        branch_1 = conv2d_bn(branch_1, 160, [1, 7])
        branch_1 = conv2d_bn(branch_1, 192, [7, 1])
        branches = [branch_0, branch_1]
    elif block_type == 'block8':
        branch_0 = conv2d_bn(x, 192, 1)
        branch_1 = conv2d_bn(x, 192, 1)
        branch_1 = conv2d_bn(branch_1, 224, [1, 3])
        branch_1 = conv2d_bn(branch_1, 256, [3, 1])
        branches = [branch_0, branch_1]
    else:
        raise ValueError('Unknown Inception-ResNet block type. '
                         'Expects "block35", "block17" or "block8", '
                         'but got: ' + str(block_type))

    block_name = block_type + '_' + str(block_idx)
    channel_axis = _channel_axis()
    mixed = layers.Concatenate(axis=channel_axis, name=block_name + '_mixed')(branches)
    up = conv2d_bn(mixed, K.int_shape(x)[channel_axis], 1, activation=None, use_bias=True,
                   name=block_name + '_conv')
    x = layers.Lambda(_scaled_residual, output_shape=K.int_shape(x)[1:],
                      arguments={'scale': scale}, name=block_name)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=block_name + '_ac')(x)
    return x


def InceptionResNetV2(include_top=True, weights='imagenet', input_tensor=None,
                      input_shape=None, pooling=None, classes=1000):
    """Instantiates the Inception-ResNet v2 architecture, optionally with weights trained
    on ImageNet.

    The model follows the data format of the Keras config (`K.image_data_format()`). As in
    Keras 2.2.4, its input size is free even with `include_top=True`, 299x299 being the
    size the weights were trained on.

    # Arguments
        include_top: whether to include the fully-connected layer at the top.
        weights: `None` (random initialization), `'imagenet'` (pre-training on ImageNet,
            read from `~/.keras/models/`, downloaded when missing) or the path to a weights
            file.
        input_tensor: optional tensor (e.g. the output of `layers.Input()`) to use as the
            image input of the model.
        input_shape: optional shape tuple with 3 input channels and height and width of
            at least 75, e.g. `(150, 150, 3)` (default: `(None, None, 3)`, or
            `(3, None, None)` in `'channels_first'`).
        pooling: with `include_top=False`, `None` for the 4D output of the last
            convolutional block, `'avg'` for global average pooling of it (2D output),
            `'max'` for global max pooling.
        classes: number of classes, only to be given with `include_top=True` and no
            `weights`.

    # Returns
        A `Model` instance.

    # Raises
        ValueError: for an invalid `weights` argument or input shape.
    """
    _check_weights_argument(weights, include_top, classes)
    input_shape = _obtain_input_shape(input_shape, default_size=299, min_size=75,
                                      data_format=K.image_data_format(),
                                      require_flatten=False, weights=weights)
    img_input = _image_input(input_tensor, input_shape)
    channel_axis = _channel_axis()

    # Stem: 35 x 35 x 192
    x = conv2d_bn(img_input, 32, 3, strides=2, padding='valid')
    x = conv2d_bn(x, 32, 3, padding='valid')
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding='valid')
    x = conv2d_bn(x, 192, 3, padding='valid')
    x = layers.MaxPooling2D(3, strides=2)(x)

    # Mixed 5b (Inception-A): 35 x 35 x 320
    branch_0 = conv2d_bn(x, 96, 1)
    branch_1 = conv2d_bn(x, 48, 1)
    branch_1 = conv2d_bn(branch_1, 64, 5)
    branch_2 = conv2d_bn(x, 64, 1)
    branch_2 = conv2d_bn(branch_2, 96, 3)
    branch_2 = conv2d_bn(branch_2, 96, 3)
    branch_pool = layers.AveragePooling2D(3, strides=1, padding='same')(x)
    branch_pool = conv2d_bn(branch_pool, 64, 1)
    x = layers.Concatenate(axis=channel_axis, name='mixed_5b')(
        [branch_0, branch_1, branch_2, branch_pool])

    # 10x Inception-ResNet-A: 35 x 35 x 320
    for block_idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type='block35', block_idx=block_idx)

    # Mixed 6a (Reduction-A): 17 x 17 x 1088
    branch_0 = conv2d_bn(x, 384, 3, strides=2, padding='valid')
    branch_1 = conv2d_bn(x, 256, 1)
    branch_1 = conv2d_bn(branch_1, 256, 3)
    branch_1 = conv2d_bn(branch_1, 384, 3, strides=2, padding='valid')
    branch_pool = layers.MaxPooling2D(3, strides=2, padding='valid')(x)
    x = layers.Concatenate(axis=channel_axis, name='mixed_6a')(
        [branch_0, branch_1, branch_pool])

    # 20x Inception-ResNet-B: 17 x 17 x 1088
    for block_idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type='block17', block_idx=block_idx)

    # Mixed 7a (Reduction-B): 8 x 8 x 2080
    branch_0 = conv2d_bn(x, 256, 1)
    branch_0 = conv2d_bn(branch_0, 384, 3, strides=2, padding='valid')
    branch_1 = conv2d_bn(x, 256, 1)
    branch_1 = conv2d_bn(branch_1, 288, 3, strides=2, padding='valid')
    branch_2 = conv2d_bn(x, 256, 1)
    branch_2 = conv2d_bn(branch_2, 288, 3)
    branch_2 = conv2d_bn(branch_2, 320, 3, strides=2, padding='valid')
    branch_pool = layers.MaxPooling2D(3, strides=2, padding='valid')(x)
    x = layers.Concatenate(axis=channel_axis, name='mixed_7a')(
        [branch_0, branch_1, branch_2, branch_pool])

    # 10x Inception-ResNet-C: 8 x 8 x 2080, the last one without activation
    for block_idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type='block8', block_idx=block_idx)
    x = inception_resnet_block(x, scale=1., activation=None, block_type='block8',
                               block_idx=10)

    # Final convolution block: 8 x 8 x 1536
    x = conv2d_bn(x, 1536, 1, name='conv_7b')

    if include_top:
        x = layers.GlobalAveragePooling2D(name='avg_pool')(x)
        x = layers.Dense(classes, activation='softmax', name='predictions')(x)
    else:
        x = _global_pooling(x, pooling)

    model = Model(_model_inputs(input_tensor, img_input), x, name='inception_resnet_v2')
    fname, file_hash = _WEIGHTS_FILES[0 if include_top else 1]
    _load_weights(model, weights, fname, BASE_WEIGHT_URL + fname, file_hash)
    return model
