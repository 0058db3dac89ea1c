"""ResNet50 model, as in Keras 2.2.4.

# Reference
- [Deep Residual Learning for Image Recognition](https://arxiv.org/abs/1512.03385)
"""
import warnings

from .. import backend as K
from .. import layers
from ..models import Model
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401
from .imagenet_utils import (_channel_axis, _check_weights_argument, _global_pooling,
                             _image_input, _load_weights, _model_inputs, _obtain_input_shape)

preprocess_input = imagenet_utils.preprocess_input

_RELEASE = 'https://github.com/fchollet/deep-learning-models/releases/download/v0.2/'
WEIGHTS_PATH = _RELEASE + 'resnet50_weights_tf_dim_ordering_tf_kernels.h5'
WEIGHTS_PATH_NO_TOP = _RELEASE + 'resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5'
# (file name in the cache, URL, md5) with the top, then without it.
_WEIGHTS_FILES = (
    ('resnet50_weights_tf_dim_ordering_tf_kernels.h5', WEIGHTS_PATH,
     'a7b3fe01876f51b976af0dea6bc144eb'),
    ('resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5', WEIGHTS_PATH_NO_TOP,
     'a268eb855778b3df3c7506639542a6af'))


def _bottleneck(input_tensor, kernel_size, filters, stage, block, strides=None):
    """1x1 -> kxk -> 1x1 convolutions (each with batch normalization) added to a shortcut:
    the input itself (`strides=None`, the identity block) or its 1x1 projection with
    `strides` (the conv block)."""
    filters1, filters2, filters3 = filters
    bn_axis = _channel_axis()
    conv_name = 'res' + str(stage) + block + '_branch'
    bn_name = 'bn' + str(stage) + block + '_branch'

    x = layers.Conv2D(filters1, (1, 1), strides=strides or (1, 1),
                      kernel_initializer='he_normal', name=conv_name + '2a')(input_tensor)
    x = layers.BatchNormalization(axis=bn_axis, name=bn_name + '2a')(x)
    x = layers.Activation('relu')(x)

    x = layers.Conv2D(filters2, kernel_size, padding='same', kernel_initializer='he_normal',
                      name=conv_name + '2b')(x)
    x = layers.BatchNormalization(axis=bn_axis, name=bn_name + '2b')(x)
    x = layers.Activation('relu')(x)

    x = layers.Conv2D(filters3, (1, 1), kernel_initializer='he_normal',
                      name=conv_name + '2c')(x)
    x = layers.BatchNormalization(axis=bn_axis, name=bn_name + '2c')(x)

    shortcut = input_tensor
    if strides is not None:
        shortcut = layers.Conv2D(filters3, (1, 1), strides=strides,
                                 kernel_initializer='he_normal',
                                 name=conv_name + '1')(input_tensor)
        shortcut = layers.BatchNormalization(axis=bn_axis, name=bn_name + '1')(shortcut)

    x = layers.add([x, shortcut])
    return layers.Activation('relu')(x)


def identity_block(input_tensor, kernel_size, filters, stage, block):
    """The block whose shortcut is the input itself.

    # Arguments
        input_tensor: input tensor.
        kernel_size: size of the middle convolution of the main path.
        filters: the 3 numbers of filters of the main path.
        stage: stage number, used in the layer names.
        block: block letter (`'a'`, `'b'`, ...), used in the layer names.

    # Returns
        The output tensor of the block.
    """
    return _bottleneck(input_tensor, kernel_size, filters, stage, block)


def conv_block(input_tensor, kernel_size, filters, stage, block, strides=(2, 2)):
    """The block whose shortcut is a 1x1 convolution (first block of each stage).

    # Arguments
        input_tensor: input tensor.
        kernel_size: size of the middle convolution of the main path.
        filters: the 3 numbers of filters of the main path.
        stage: stage number, used in the layer names.
        block: block letter (`'a'`, `'b'`, ...), used in the layer names.
        strides: strides of the first convolution of the main path and of the shortcut.

    # Returns
        The output tensor of the block.
    """
    return _bottleneck(input_tensor, kernel_size, filters, stage, block, strides=strides)


def ResNet50(include_top=True, weights='imagenet', input_tensor=None, input_shape=None,
             pooling=None, classes=1000):
    """Instantiates the ResNet50 architecture, optionally with weights trained on ImageNet.

    The model follows the data format of the Keras config (`K.image_data_format()`).

    # Arguments
        include_top: whether to include the fully-connected layer at the top.
        weights: `None` (random initialization), `'imagenet'` (pre-training on ImageNet,
            read from `~/.keras/models/`, downloaded when missing) or the path to a weights
            file.
        input_tensor: optional tensor (e.g. the output of `layers.Input()`) to use as the
            image input of the model.
        input_shape: optional shape tuple, only to be given with `include_top=False`
            (otherwise it must be `(224, 224, 3)`, or `(3, 224, 224)` in
            `'channels_first'`), with 3 input channels and height and width of at least
            32, e.g. `(200, 200, 3)`.
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
    input_shape = _obtain_input_shape(input_shape, default_size=224, min_size=32,
                                      data_format=K.image_data_format(),
                                      require_flatten=include_top, weights=weights)
    img_input = _image_input(input_tensor, input_shape)
    bn_axis = _channel_axis()

    x = layers.ZeroPadding2D(padding=(3, 3), name='conv1_pad')(img_input)
    x = layers.Conv2D(64, (7, 7), strides=(2, 2), padding='valid',
                      kernel_initializer='he_normal', name='conv1')(x)
    x = layers.BatchNormalization(axis=bn_axis, name='bn_conv1')(x)
    x = layers.Activation('relu')(x)
    x = layers.ZeroPadding2D(padding=(1, 1), name='pool1_pad')(x)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    # (stage, filters, number of identity blocks after the conv block)
    for stage, filters, identities in ((2, (64, 64, 256), 2), (3, (128, 128, 512), 3),
                                       (4, (256, 256, 1024), 5), (5, (512, 512, 2048), 2)):
        x = conv_block(x, 3, filters, stage=stage, block='a',
                       strides=(1, 1) if stage == 2 else (2, 2))
        for block in 'bcdef'[:identities]:
            x = identity_block(x, 3, filters, stage=stage, block=block)

    if include_top:
        x = layers.GlobalAveragePooling2D(name='avg_pool')(x)
        x = layers.Dense(classes, activation='softmax', name='fc1000')(x)
    elif pooling in ('avg', 'max'):
        x = _global_pooling(x, pooling)
    else:
        warnings.warn('The output shape of `ResNet50(include_top=False)` '
                      'has been changed since Keras 2.2.0.')

    model = Model(_model_inputs(input_tensor, img_input), x, name='resnet50')
    fname, origin, file_hash = _WEIGHTS_FILES[0 if include_top else 1]
    _load_weights(model, weights, fname, origin, file_hash)
    return model
