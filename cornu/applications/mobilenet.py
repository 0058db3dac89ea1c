"""MobileNet v1 models, as in Keras 2.2.4.

The width multiplier `alpha` (0.25, 0.50, 0.75 or 1.0 for the ImageNet weights) scales the
number of filters of every layer; the input size (128, 160, 192 or 224 for the weights) the
resolution. The models are only available in the `'channels_last'` data format, and their
input preprocessing scales pixels to [-1, 1].

# Reference
- [MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications](
    https://arxiv.org/abs/1704.04861)
"""
import warnings

from .. import backend as K
from .. import layers
from ..layers import DepthwiseConv2D  # noqa: F401  (Keras 2.1 code imports it from here)
from ..models import Model
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401
from .imagenet_utils import (_channels_last, _check_weights_argument, _global_pooling,
                             _image_input, _load_weights, _model_inputs, _obtain_input_shape)

BASE_WEIGHT_PATH = 'https://github.com/fchollet/deep-learning-models/releases/download/v0.6/'
# Weight file name fragment for each width multiplier with ImageNet weights.
_ALPHA_TEXT = {1.0: '1_0', 0.75: '7_5', 0.50: '5_0', 0.25: '2_5'}
_IMAGENET_SIZES = (128, 160, 192, 224)


def relu6(x):
    """ReLU capped at 6 (what Keras 2.1 code imports from `keras.applications.mobilenet`
    to load MobileNet models it saved)."""
    return K.relu(x, max_value=6)


def preprocess_input(x, data_format=None):
    """Preprocesses a batch of images for MobileNet: pixels scaled to [-1, 1].

    # Arguments
        x: NumPy array or tensor, 3D or 4D, RGB values in [0, 255].
        data_format: image data format of `x` (default: the Keras config's).

    # Returns
        The preprocessed array or tensor.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode='tf')


def _conv_block(inputs, filters, alpha, kernel=(3, 3), strides=(1, 1)):
    """The first layer: a convolution (padded like TensorFlow's 'same'), batch
    normalization and ReLU6.

    # Arguments
        inputs: 4D input tensor.
        filters: number of filters before `alpha` scales it.
        alpha: width multiplier.
        kernel: kernel size.
        strides: strides.

    # Returns
        The output tensor.
    """
    filters = int(filters * alpha)
    x = layers.ZeroPadding2D(padding=((0, 1), (0, 1)), name='conv1_pad')(inputs)
    x = layers.Conv2D(filters, kernel, padding='valid', use_bias=False, strides=strides,
                      name='conv1')(x)
    x = layers.BatchNormalization(axis=-1, name='conv1_bn')(x)
    return layers.ReLU(6., name='conv1_relu')(x)


def _depthwise_conv_block(inputs, pointwise_conv_filters, alpha, depth_multiplier=1,
                          strides=(1, 1), block_id=1):
    """A depthwise separable block: 3x3 depthwise convolution, batch normalization,
    ReLU6, 1x1 pointwise convolution, batch normalization, ReLU6.

    # Arguments
        inputs: 4D input tensor.
        pointwise_conv_filters: number of filters of the pointwise convolution before
            `alpha` scales it.
        alpha: width multiplier.
        depth_multiplier: number of depthwise outputs per input channel.
        strides: strides of the depthwise convolution.
        block_id: block number, used in the layer names.

    # Returns
        The output tensor.
    """
    pointwise_conv_filters = int(pointwise_conv_filters * alpha)
    if strides == (1, 1):
        x = inputs
    else:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name='conv_pad_%d' % block_id)(inputs)
    x = layers.DepthwiseConv2D((3, 3), padding='same' if strides == (1, 1) else 'valid',
                               depth_multiplier=depth_multiplier, strides=strides,
                               use_bias=False, name='conv_dw_%d' % block_id)(x)
    x = layers.BatchNormalization(axis=-1, name='conv_dw_%d_bn' % block_id)(x)
    x = layers.ReLU(6., name='conv_dw_%d_relu' % block_id)(x)
    x = layers.Conv2D(pointwise_conv_filters, (1, 1), padding='same', use_bias=False,
                      strides=(1, 1), name='conv_pw_%d' % block_id)(x)
    x = layers.BatchNormalization(axis=-1, name='conv_pw_%d_bn' % block_id)(x)
    return layers.ReLU(6., name='conv_pw_%d_relu' % block_id)(x)


def _square_size(input_shape, sizes):
    """The side of a square (`'channels_last'`) `input_shape` whose side is one of `sizes`,
    else 224."""
    if input_shape is None:
        return 224
    rows, cols = input_shape[0], input_shape[1]
    return rows if rows == cols and rows in sizes else 224


def _check_imagenet_variant(alpha, depth_multiplier, rows, cols, input_shape):
    """Checks that ImageNet weights exist for this variant; returns the input size whose
    weights are loaded (224 for an undefined size, with a warning)."""
    if depth_multiplier != 1:
        raise ValueError('If imagenet weights are being loaded, '
                         'depth multiplier must be 1')
    if alpha not in _ALPHA_TEXT:
        raise ValueError('If imagenet weights are being loaded, '
                         'alpha can be one of'
                         '`0.25`, `0.50`, `0.75` or `1.0` only.')
    if rows != cols or rows not in _IMAGENET_SIZES:
        if rows is None:
            warnings.warn('MobileNet shape is undefined.'
                          ' Weights for input shape '
                          '(224, 224) will be loaded.')
            return 224
        raise ValueError('If imagenet weights are being loaded, '
                         'input must have a static square shape '
                         '(one of (128, 128), (160, 160), '
                         '(192, 192), or (224, 224)). '
                         'Input shape provided = %s' % (input_shape,))
    return rows


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3,
              include_top=True, weights='imagenet', input_tensor=None, pooling=None,
              classes=1000):
    """Instantiates the MobileNet architecture, optionally with weights trained on ImageNet.

    The model is built in the `'channels_last'` data format whatever the Keras config says
    (with a warning when it says `'channels_first'`); `input_shape` is then in that format
    too.

    # Arguments
        input_shape: optional shape tuple, only to be given with `include_top=False`
            (otherwise it must be `(224, 224, 3)`, or one of the other sizes with ImageNet
            weights: 128, 160 or 192), with 3 input channels and height and width of at
            least 32, e.g. `(200, 200, 3)`.
        alpha: width multiplier: below 1 fewer, above 1 more filters in every layer.
        depth_multiplier: number of depthwise outputs per input channel (resolution
            multiplier of the paper).
        dropout: dropout rate before the classifier.
        include_top: whether to include the classifier at the top.
        weights: `None` (random initialization), `'imagenet'` (pre-training on ImageNet,
            read from `~/.keras/models/`, downloaded when missing) or the path to a weights
            file.
        input_tensor: optional tensor (e.g. the output of `layers.Input()`) to use as the
            image input of the model.
        pooling: with `include_top=False`, `None` for the 4D output of the last
            convolutional block, `'avg'` for global average pooling of it (2D output),
            `'max'` for global max pooling.
        classes: number of classes, only to be given with `include_top=True` and no
            `weights`.

    # Returns
        A `Model` instance.

    # Raises
        ValueError: for an invalid `weights` argument, input shape, or (with ImageNet
            weights) `alpha`, `depth_multiplier` or input size.
    """
    _check_weights_argument(weights, include_top, classes)
    with _channels_last('The MobileNet family of models'):
        input_shape = _obtain_input_shape(
            input_shape, default_size=_square_size(input_shape, _IMAGENET_SIZES),
            min_size=32, data_format='channels_last', require_flatten=include_top,
            weights=weights)
        rows, cols = input_shape[0], input_shape[1]
        if weights == 'imagenet':
            rows = _check_imagenet_variant(alpha, depth_multiplier, rows, cols, input_shape)

        img_input = _image_input(input_tensor, input_shape)
        x = _conv_block(img_input, 32, alpha, strides=(2, 2))
        # (pointwise filters, strides) of the 13 depthwise separable blocks
        plan = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1),
                (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))
        for block_id, (filters, stride) in enumerate(plan, start=1):
            x = _depthwise_conv_block(x, filters, alpha, depth_multiplier,
                                      strides=(stride, stride), block_id=block_id)

        if include_top:
            x = layers.GlobalAveragePooling2D()(x)
            x = layers.Reshape((1, 1, int(1024 * alpha)), name='reshape_1')(x)
            x = layers.Dropout(dropout, name='dropout')(x)
            x = layers.Conv2D(classes, (1, 1), padding='same', name='conv_preds')(x)
            x = layers.Activation('softmax', name='act_softmax')(x)
            x = layers.Reshape((classes,), name='reshape_2')(x)
        else:
            x = _global_pooling(x, pooling)

        model = Model(_model_inputs(input_tensor, img_input), x,
                      name='mobilenet_%0.2f_%s' % (alpha, rows))
        if weights == 'imagenet':
            model_name = 'mobilenet_%s_%d_tf%s.h5' % (
                _ALPHA_TEXT[alpha], rows, '' if include_top else '_no_top')
            _load_weights(model, weights, model_name, BASE_WEIGHT_PATH + model_name)
        else:
            _load_weights(model, weights)
    return model
