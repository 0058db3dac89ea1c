"""Xception V1 model, as in Keras 2.2.4.

Its default input is 299x299, its input preprocessing scales pixels to [-1, 1], and it is
only available in the `'channels_last'` data format.

# Reference
- [Xception: Deep Learning with Depthwise Separable Convolutions](
    https://arxiv.org/abs/1610.02357)
"""
from .. import backend as K
from .. import layers
from ..models import Model
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401
from .imagenet_utils import (_channels_last, _check_weights_argument, _global_pooling,
                             _image_input, _load_weights, _model_inputs, _obtain_input_shape)

_RELEASE = 'https://github.com/fchollet/deep-learning-models/releases/download/v0.4/'
TF_WEIGHTS_PATH = _RELEASE + 'xception_weights_tf_dim_ordering_tf_kernels.h5'
TF_WEIGHTS_PATH_NO_TOP = _RELEASE + 'xception_weights_tf_dim_ordering_tf_kernels_notop.h5'
# (file name in the cache, URL, md5) with the top, then without it.
_WEIGHTS_FILES = (
    ('xception_weights_tf_dim_ordering_tf_kernels.h5', TF_WEIGHTS_PATH,
     '0a58e3b7378bc2990ea3b43d5981f1f6'),
    ('xception_weights_tf_dim_ordering_tf_kernels_notop.h5', TF_WEIGHTS_PATH_NO_TOP,
     'b0042744bf5b25fce3cb969f33bebb97'))


def _sepconv_bn(x, filters, name):
    """A 3x3 separable convolution without bias, then batch normalization."""
    x = layers.SeparableConv2D(filters, (3, 3), padding='same', use_bias=False, name=name)(x)
    return layers.BatchNormalization(name=name + '_bn')(x)


def _downsampling_block(x, filters, block, relu_first=True):
    """Two separable convolutions and a stride-2 max pooling, added to a stride-2 1x1
    projection of the input (entry flow blocks 2 to 4, exit flow block 13)."""
    first_filters, second_filters = filters
    prefix = 'block%d' % block
    residual = layers.Conv2D(second_filters, (1, 1), strides=(2, 2), padding='same',
                             use_bias=False)(x)
    residual = layers.BatchNormalization()(residual)

    if relu_first:
        x = layers.Activation('relu', name=prefix + '_sepconv1_act')(x)
    x = _sepconv_bn(x, first_filters, prefix + '_sepconv1')
    x = layers.Activation('relu', name=prefix + '_sepconv2_act')(x)
    x = _sepconv_bn(x, second_filters, prefix + '_sepconv2')
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding='same', name=prefix + '_pool')(x)
    return layers.add([x, residual])


def Xception(include_top=True, weights='imagenet', input_tensor=None, input_shape=None,
             pooling=None, classes=1000):
    """Instantiates the Xception architecture, optionally with weights trained on ImageNet.

    The model is built in the `'channels_last'` data format whatever the Keras config says
    (with a warning when it says `'channels_first'`). As in Keras 2.2.4, its input size is
    free even with `include_top=True`, 299x299 being the size the weights were trained on.

    # Arguments
        include_top: whether to include the fully-connected layer at the top.
        weights: `None` (random initialization), `'imagenet'` (pre-training on ImageNet,
            read from `~/.keras/models/`, downloaded when missing) or the path to a weights
            file.
        input_tensor: optional tensor (e.g. the output of `layers.Input()`) to use as the
            image input of the model.
        input_shape: optional shape tuple with 3 input channels and height and width of
            at least 71, e.g. `(150, 150, 3)` (default: `(None, None, 3)`).
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
    with _channels_last('The Xception model'):
        input_shape = _obtain_input_shape(input_shape, default_size=299, min_size=71,
                                          data_format=K.image_data_format(),
                                          require_flatten=False, weights=weights)
        img_input = _image_input(input_tensor, input_shape)

        # Entry flow
        x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False,
                          name='block1_conv1')(img_input)
        x = layers.BatchNormalization(name='block1_conv1_bn')(x)
        x = layers.Activation('relu', name='block1_conv1_act')(x)
        x = layers.Conv2D(64, (3, 3), use_bias=False, name='block1_conv2')(x)
        x = layers.BatchNormalization(name='block1_conv2_bn')(x)
        x = layers.Activation('relu', name='block1_conv2_act')(x)

        x = _downsampling_block(x, (128, 128), block=2, relu_first=False)
        x = _downsampling_block(x, (256, 256), block=3)
        x = _downsampling_block(x, (728, 728), block=4)

        # Middle flow: 8 residual blocks of 3 separable convolutions
        for i in range(8):
            residual = x
            prefix = 'block' + str(i + 5)
            for conv in (1, 2, 3):
                x = layers.Activation('relu', name=prefix + '_sepconv%d_act' % conv)(x)
                x = _sepconv_bn(x, 728, prefix + '_sepconv%d' % conv)
            x = layers.add([x, residual])

        # Exit flow
        x = _downsampling_block(x, (728, 1024), block=13)
        x = _sepconv_bn(x, 1536, 'block14_sepconv1')
        x = layers.Activation('relu', name='block14_sepconv1_act')(x)
        x = _sepconv_bn(x, 2048, 'block14_sepconv2')
        x = layers.Activation('relu', name='block14_sepconv2_act')(x)

        if include_top:
            x = layers.GlobalAveragePooling2D(name='avg_pool')(x)
            x = layers.Dense(classes, activation='softmax', name='predictions')(x)
        else:
            x = _global_pooling(x, pooling)

        model = Model(_model_inputs(input_tensor, img_input), x, name='xception')
        fname, origin, file_hash = _WEIGHTS_FILES[0 if include_top else 1]
        _load_weights(model, weights, fname, origin, file_hash)
    return model


def preprocess_input(x, data_format=None):
    """Preprocesses a batch of images for Xception: pixels scaled to [-1, 1].

    # Arguments
        x: NumPy array or tensor, 3D or 4D, RGB values in [0, 255].
        data_format: image data format of `x` (default: the Keras config's).

    # Returns
        The preprocessed array or tensor.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode='tf')
