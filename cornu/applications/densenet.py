"""DenseNet models (121, 169 and 201 layers), as in Keras 2.2.4.

Their input preprocessing is PyTorch's: pixels scaled to [0, 1], then normalised per channel
with the ImageNet means and standard deviations.

# Reference
- [Densely Connected Convolutional Networks](https://arxiv.org/abs/1608.06993)
"""
from .. import backend as K
from .. import layers
from ..models import Model
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401
from .imagenet_utils import (_channel_axis, _check_weights_argument, _global_pooling,
                             _image_input, _load_weights, _model_inputs, _obtain_input_shape)

BASE_WEIGTHS_PATH = ('https://github.com/keras-team/keras-applications/'
                     'releases/download/densenet/')
DENSENET121_WEIGHT_PATH = BASE_WEIGTHS_PATH + 'densenet121_weights_tf_dim_ordering_tf_kernels.h5'
DENSENET121_WEIGHT_PATH_NO_TOP = (BASE_WEIGTHS_PATH +
                                  'densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5')
DENSENET169_WEIGHT_PATH = BASE_WEIGTHS_PATH + 'densenet169_weights_tf_dim_ordering_tf_kernels.h5'
DENSENET169_WEIGHT_PATH_NO_TOP = (BASE_WEIGTHS_PATH +
                                  'densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5')
DENSENET201_WEIGHT_PATH = BASE_WEIGTHS_PATH + 'densenet201_weights_tf_dim_ordering_tf_kernels.h5'
DENSENET201_WEIGHT_PATH_NO_TOP = (BASE_WEIGTHS_PATH +
                                  'densenet201_weights_tf_dim_ordering_tf_kernels_notop.h5')

# Blocks per dense block -> (model name, md5 with the top, md5 without it); the weight files
# are `<name>_weights_tf_dim_ordering_tf_kernels[_notop].h5` under BASE_WEIGTHS_PATH.
_VARIANTS = {
    (6, 12, 24, 16): ('densenet121', '9d60b8095a5708f2dcce2bca79d332c7',
                      '30ee3e1110167f948a6b9946edeeb738'),
    (6, 12, 32, 32): ('densenet169', 'd699b8f76981ab1b30698df4c175e90b',
                      'b8c4d4c20dd625c148057b9ff1c1176b'),
    (6, 12, 48, 32): ('densenet201', '1ceb130c1ea1b78c3bf6114dbdfd8807',
                      'c13680b51ded0fb44dff2d8f86ac8bb1'),
}


def dense_block(x, blocks, name):
    """A dense block: `blocks` conv blocks, each adding 32 channels.

    # Arguments
        x: input tensor.
        blocks: number of conv blocks.
        name: prefix of the layer names (`name + '_block1'`, ...).

    # Returns
        The output tensor of the block.
    """
    for i in range(blocks):
        x = conv_block(x, 32, name=name + '_block' + str(i + 1))
    return x


def transition_block(x, reduction, name):
    """A transition block: batch normalization, ReLU, a 1x1 convolution keeping
    `reduction` of the channels, 2x2 average pooling.

    # Arguments
        x: input tensor.
        reduction: fraction of the channels kept.
        name: prefix of the layer names.

    # Returns
        The output tensor of the block.
    """
    bn_axis = _channel_axis()
    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=name + '_bn')(x)
    x = layers.Activation('relu', name=name + '_relu')(x)
    x = layers.Conv2D(int(K.int_shape(x)[bn_axis] * reduction), 1, use_bias=False,
                      name=name + '_conv')(x)
    return layers.AveragePooling2D(2, strides=2, name=name + '_pool')(x)


def conv_block(x, growth_rate, name):
    """The building block of a dense block: BN-ReLU-1x1 conv (4 x `growth_rate` filters),
    BN-ReLU-3x3 conv (`growth_rate` filters), concatenated to the input.

    # Arguments
        x: input tensor.
        growth_rate: number of channels added.
        name: prefix of the layer names.

    # Returns
        The output tensor of the block.
    """
    bn_axis = _channel_axis()
    x1 = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=name + '_0_bn')(x)
    x1 = layers.Activation('relu', name=name + '_0_relu')(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=name + '_1_conv')(x1)
    x1 = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name=name + '_1_bn')(x1)
    x1 = layers.Activation('relu', name=name + '_1_relu')(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding='same', use_bias=False,
                       name=name + '_2_conv')(x1)
    return layers.Concatenate(axis=bn_axis, name=name + '_concat')([x, x1])


def DenseNet(blocks, include_top=True, weights='imagenet', input_tensor=None,
             input_shape=None, pooling=None, classes=1000):
    """Instantiates the DenseNet architecture, optionally with weights trained on ImageNet.

    The model follows the data format of the Keras config (`K.image_data_format()`).

    # Arguments
        blocks: numbers of conv blocks in the 4 dense blocks; ImageNet weights exist for
            `[6, 12, 24, 16]` (DenseNet121), `[6, 12, 32, 32]` (169) and
            `[6, 12, 48, 32]` (201).
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
        ValueError: for an invalid `weights` argument or input shape, or ImageNet weights
            asked for `blocks` that have none.
    """
    _check_weights_argument(weights, include_top, classes)
    variant = _VARIANTS.get(tuple(blocks))
    if weights == 'imagenet' and variant is None:
        raise ValueError('ImageNet weights exist only for the blocks of DenseNet121 '
                         '[6, 12, 24, 16], DenseNet169 [6, 12, 32, 32] and DenseNet201 '
                         '[6, 12, 48, 32]; got blocks=' + str(list(blocks)) + '.')
    input_shape = _obtain_input_shape(input_shape, default_size=224, min_size=32,
                                      data_format=K.image_data_format(),
                                      require_flatten=include_top, weights=weights)
    img_input = _image_input(input_tensor, input_shape)
    bn_axis = _channel_axis()

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name='conv1/conv')(x)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name='conv1/bn')(x)
    x = layers.Activation('relu', name='conv1/relu')(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name='pool1')(x)

    x = dense_block(x, blocks[0], name='conv2')
    x = transition_block(x, 0.5, name='pool2')
    x = dense_block(x, blocks[1], name='conv3')
    x = transition_block(x, 0.5, name='pool3')
    x = dense_block(x, blocks[2], name='conv4')
    x = transition_block(x, 0.5, name='pool4')
    x = dense_block(x, blocks[3], name='conv5')

    x = layers.BatchNormalization(axis=bn_axis, epsilon=1.001e-5, name='bn')(x)
    x = layers.Activation('relu', name='relu')(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(name='avg_pool')(x)
        x = layers.Dense(classes, activation='softmax', name='fc1000')(x)
    else:
        x = _global_pooling(x, pooling, avg_name='avg_pool', max_name='max_pool')

    name = variant[0] if variant else 'densenet'
    model = Model(_model_inputs(input_tensor, img_input), x, name=name)
    if weights == 'imagenet':
        fname = name + ('_weights_tf_dim_ordering_tf_kernels.h5' if include_top else
                        '_weights_tf_dim_ordering_tf_kernels_notop.h5')
        _load_weights(model, weights, fname, BASE_WEIGTHS_PATH + fname,
                      variant[1] if include_top else variant[2])
    else:
        _load_weights(model, weights)
    return model


def DenseNet121(include_top=True, weights='imagenet', input_tensor=None, input_shape=None,
                pooling=None, classes=1000):
    """Instantiates DenseNet121 (dense blocks of 6, 12, 24 and 16 conv blocks); the
    arguments are those of `DenseNet` after `blocks`."""
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape,
                    pooling, classes)


def DenseNet169(include_top=True, weights='imagenet', input_tensor=None, input_shape=None,
                pooling=None, classes=1000):
    """Instantiates DenseNet169 (dense blocks of 6, 12, 32 and 32 conv blocks); the
    arguments are those of `DenseNet` after `blocks`."""
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape,
                    pooling, classes)


def DenseNet201(include_top=True, weights='imagenet', input_tensor=None, input_shape=None,
                pooling=None, classes=1000):
    """Instantiates DenseNet201 (dense blocks of 6, 12, 48 and 32 conv blocks); the
    arguments are those of `DenseNet` after `blocks`."""
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape,
                    pooling, classes)


def preprocess_input(x, data_format=None):
    """Preprocesses a batch of images for DenseNet: pixels scaled to [0, 1], then each
    channel normalised with the ImageNet means and standard deviations.

    # Arguments
        x: NumPy array or tensor, 3D or 4D, RGB values in [0, 255].
        data_format: image data format of `x` (default: the Keras config's).

    # Returns
        The preprocessed array or tensor.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode='torch')
