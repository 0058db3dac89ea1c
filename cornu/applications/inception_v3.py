"""Inception V3 model, as in Keras 2.2.4.

Its default input is 299x299 (not 224x224) and its input preprocessing scales pixels to
[-1, 1] (as for Xception).

# Reference
- [Rethinking the Inception Architecture for Computer Vision](
    http://arxiv.org/abs/1512.00567)
"""
from .. import backend as K
from .. import layers
from ..models import Model
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401
from .imagenet_utils import (_channel_axis, _check_weights_argument, _global_pooling,
                             _image_input, _load_weights, _model_inputs, _obtain_input_shape)

_RELEASE = 'https://github.com/fchollet/deep-learning-models/releases/download/v0.5/'
WEIGHTS_PATH = _RELEASE + 'inception_v3_weights_tf_dim_ordering_tf_kernels.h5'
WEIGHTS_PATH_NO_TOP = _RELEASE + 'inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5'
# (file name in the cache, URL, md5) with the top, then without it.
_WEIGHTS_FILES = (
    ('inception_v3_weights_tf_dim_ordering_tf_kernels.h5', WEIGHTS_PATH,
     '9a0d58056eeedaa3f26cb7ebd46da564'),
    ('inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5', WEIGHTS_PATH_NO_TOP,
     'bcbd6486424b2319ff4ef7d526e38f63'))


def conv2d_bn(x, filters, num_row, num_col, padding='same', strides=(1, 1), name=None):
    """A convolution without bias, batch normalization without scale, then ReLU.

    # Arguments
        x: input tensor.
        filters: number of filters of the convolution.
        num_row: height of the convolution kernel.
        num_col: width of the convolution kernel.
        padding: padding mode of the convolution.
        strides: strides of the convolution.
        name: when given, the layers are named `name + '_conv'`, `name + '_bn'` and
            `name`.

    # Returns
        The output tensor.
    """
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding,
                      use_bias=False, name=None if name is None else name + '_conv')(x)
    x = layers.BatchNormalization(axis=_channel_axis(), scale=False,
                                  name=None if name is None else name + '_bn')(x)
    return layers.Activation('relu', name=name)(x)


def _average_pool_branch(x, filters):
    """3x3 average pooling (stride 1), then a 1x1 convolution."""
    branch = layers.AveragePooling2D((3, 3), strides=(1, 1), padding='same')(x)
    return conv2d_bn(branch, filters, 1, 1)


def _mixed_35(x, pool_filters, name):
    """A 35x35 module (mixed 0 to 2): 1x1, 5x5, double 3x3 and pooling branches."""
    branch1x1 = conv2d_bn(x, 64, 1, 1)

    branch5x5 = conv2d_bn(x, 48, 1, 1)
    branch5x5 = conv2d_bn(branch5x5, 64, 5, 5)

    branch3x3dbl = conv2d_bn(x, 64, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)

    branch_pool = _average_pool_branch(x, pool_filters)
    return layers.concatenate([branch1x1, branch5x5, branch3x3dbl, branch_pool],
                              axis=_channel_axis(), name=name)


def _mixed_17(x, filters_7x7, name):
    """A 17x17 module (mixed 4 to 7): 1x1, factorised 7x7, double factorised 7x7 and
    pooling branches; `filters_7x7` is the width inside the 7x7 branches."""
    branch1x1 = conv2d_bn(x, 192, 1, 1)

    branch7x7 = conv2d_bn(x, filters_7x7, 1, 1)
    branch7x7 = conv2d_bn(branch7x7, filters_7x7, 1, 7)
    branch7x7 = conv2d_bn(branch7x7, 192, 7, 1)

    branch7x7dbl = conv2d_bn(x, filters_7x7, 1, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, filters_7x7, 7, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, filters_7x7, 1, 7)
    branch7x7dbl = conv2d_bn(branch7x7dbl, filters_7x7, 7, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, 192, 1, 7)

    branch_pool = _average_pool_branch(x, 192)
    return layers.concatenate([branch1x1, branch7x7, branch7x7dbl, branch_pool],
                              axis=_channel_axis(), name=name)


def _mixed_8(x, index):
    """An 8x8 module (mixed 9 and 10), with split 1x3 / 3x1 branches."""
    channel_axis = _channel_axis()
    branch1x1 = conv2d_bn(x, 320, 1, 1)

    branch3x3 = conv2d_bn(x, 384, 1, 1)
    branch3x3_1 = conv2d_bn(branch3x3, 384, 1, 3)
    branch3x3_2 = conv2d_bn(branch3x3, 384, 3, 1)
    branch3x3 = layers.concatenate([branch3x3_1, branch3x3_2], axis=channel_axis,
                                   name='mixed9_' + str(index))

    branch3x3dbl = conv2d_bn(x, 448, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 384, 3, 3)
    branch3x3dbl_1 = conv2d_bn(branch3x3dbl, 384, 1, 3)
    branch3x3dbl_2 = conv2d_bn(branch3x3dbl, 384, 3, 1)
    branch3x3dbl = layers.concatenate([branch3x3dbl_1, branch3x3dbl_2], axis=channel_axis)

    branch_pool = _average_pool_branch(x, 192)
    return layers.concatenate([branch1x1, branch3x3, branch3x3dbl, branch_pool],
                              axis=channel_axis, name='mixed' + str(9 + index))


def InceptionV3(include_top=True, weights='imagenet', input_tensor=None, input_shape=None,
                pooling=None, classes=1000):
    """Instantiates the Inception v3 architecture, optionally with weights trained on
    ImageNet.

    The model follows the data format of the Keras config (`K.image_data_format()`). As in
    Keras 2.2.4, its input size is free even with `include_top=True` (the classifier
    follows a global average pooling), 299x299 being the size the weights were trained on.

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

    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding='valid')
    x = conv2d_bn(x, 32, 3, 3, padding='valid')
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    x = conv2d_bn(x, 80, 1, 1, padding='valid')
    x = conv2d_bn(x, 192, 3, 3, padding='valid')
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    # 35 x 35 x 256, then 288
    x = _mixed_35(x, 32, name='mixed0')
    x = _mixed_35(x, 64, name='mixed1')
    x = _mixed_35(x, 64, name='mixed2')

    # mixed 3: down to 17 x 17 x 768
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding='valid')
    branch3x3dbl = conv2d_bn(x, 64, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding='valid')
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch3x3dbl, branch_pool], axis=channel_axis,
                           name='mixed3')

    # 17 x 17 x 768
    x = _mixed_17(x, 128, name='mixed4')
    x = _mixed_17(x, 160, name='mixed5')
    x = _mixed_17(x, 160, name='mixed6')
    x = _mixed_17(x, 192, name='mixed7')

    # mixed 8: down to 8 x 8 x 1280
    branch3x3 = conv2d_bn(x, 192, 1, 1)
    branch3x3 = conv2d_bn(branch3x3, 320, 3, 3, strides=(2, 2), padding='valid')
    branch7x7x3 = conv2d_bn(x, 192, 1, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 1, 7)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding='valid')
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch7x7x3, branch_pool], axis=channel_axis,
                           name='mixed8')

    # 8 x 8 x 2048
    x = _mixed_8(x, 0)
    x = _mixed_8(x, 1)

    if include_top:
        x = layers.GlobalAveragePooling2D(name='avg_pool')(x)
        x = layers.Dense(classes, activation='softmax', name='predictions')(x)
    else:
        x = _global_pooling(x, pooling)

    model = Model(_model_inputs(input_tensor, img_input), x, name='inception_v3')
    fname, origin, file_hash = _WEIGHTS_FILES[0 if include_top else 1]
    _load_weights(model, weights, fname, origin, file_hash)
    return model


def preprocess_input(x, data_format=None):
    """Preprocesses a batch of images for Inception V3: pixels scaled to [-1, 1].

    # Arguments
        x: NumPy array or tensor, 3D or 4D, RGB values in [0, 255].
        data_format: image data format of `x` (default: the Keras config's).

    # Returns
        The preprocessed array or tensor.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode='tf')
