"""MobileNet v2 models, as in Keras 2.2.4.

MobileNetV2 stacks inverted residual blocks (expand with a 1x1 convolution, filter with a
3x3 depthwise convolution, project back with a linear 1x1 convolution). The width
multiplier `alpha` (0.35, 0.5, 0.75, 1.0, 1.3 or 1.4 for the ImageNet weights) scales the
number of filters; the input size (96, 128, 160, 192 or 224 for the weights) the
resolution. The models are only available in the `'channels_last'` data format.

# Reference
- [MobileNetV2: Inverted Residuals and Linear Bottlenecks](
    https://arxiv.org/abs/1801.04381)
"""
import warnings

import numpy as np

from .. import backend as K
from .. import layers
from ..models import Model
from ..utils.layer_utils import get_source_inputs
from .imagenet_utils import decode_predictions  # noqa: F401
from .imagenet_utils import (_channels_last, _check_weights_argument, _correct_pad,
                             _global_pooling, _image_input, _load_weights, _model_inputs,
                             _obtain_input_shape)

BASE_WEIGHT_PATH = ('https://github.com/JonathanCMitchell/mobilenet_v2_keras/'
                    'releases/download/v1.1/')
_IMAGENET_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
_IMAGENET_SIZES = (96, 128, 160, 192, 224)


def preprocess_input(x):
    """Preprocesses a batch of images for MobileNetV2: `x / 128 - 1`, as float32.

    Unlike `imagenet_utils.preprocess_input(mode='tf')` (`x / 127.5 - 1`), this is Keras
    2.2.4's own formula for MobileNetV2. A floating-point NumPy array is divided in place.

    # Arguments
        x: NumPy array or tensor of RGB values in [0, 255].

    # Returns
        The preprocessed array (float32) or tensor.
    """
    if not isinstance(x, np.ndarray):
        return x / 128. - 1.
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(K.floatx(), copy=False)
    x /= 128.
    x -= 1.
    return x.astype(np.float32)


def _make_divisible(v, divisor, min_value=None):
    """`v` rounded to the nearest multiple of `divisor` (at least `min_value`, default
    `divisor`), never more than 10% below `v` (TensorFlow's MobileNet rule)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    """An inverted residual block; the input is added back when the shapes allow it.

    # Arguments
        inputs: 4D input tensor.
        expansion: expansion factor of the first 1x1 convolution (none for block 0).
        stride: stride of the depthwise convolution.
        alpha: width multiplier.
        filters: number of output filters before `alpha` scales it.
        block_id: block number, used in the layer names (`'block_<id>_'`, or
            `'expanded_conv_'` for block 0).

    # Returns
        The output tensor.
    """
    in_channels = K.int_shape(inputs)[-1]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = 'block_{}_'.format(block_id)

    if block_id:
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding='same',
                          use_bias=False, activation=None, name=prefix + 'expand')(x)
        x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999,
                                      name=prefix + 'expand_BN')(x)
        x = layers.ReLU(6., name=prefix + 'expand_relu')(x)
    else:
        prefix = 'expanded_conv_'

    if stride == 2:
        x = layers.ZeroPadding2D(padding=_correct_pad(x, 3), name=prefix + 'pad')(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None,
                               use_bias=False, padding='same' if stride == 1 else 'valid',
                               name=prefix + 'depthwise')(x)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999,
                                  name=prefix + 'depthwise_BN')(x)
    x = layers.ReLU(6., name=prefix + 'depthwise_relu')(x)

    x = layers.Conv2D(pointwise_filters, kernel_size=1, padding='same', use_bias=False,
                      activation=None, name=prefix + 'project')(x)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999,
                                  name=prefix + 'project_BN')(x)

    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=prefix + 'add')([inputs, x])
    return x


def _default_size(input_shape, input_tensor):
    """The side of the square input (from `input_shape`, else from `input_tensor`) when it
    is one of the ImageNet sizes, else 224; checks that both agree when both are given."""
    if input_shape is not None and input_tensor is not None:
        try:
            is_keras_tensor = K.is_keras_tensor(input_tensor)
        except ValueError:
            try:
                is_keras_tensor = K.is_keras_tensor(get_source_inputs(input_tensor))
            except ValueError as error:
                raise ValueError('input_tensor: ', input_tensor,
                                 'is not type input_tensor') from error
        if not is_keras_tensor:
            raise ValueError('input_tensor specified: ', input_tensor, 'is not a keras tensor')
        if K.int_shape(input_tensor)[2] != input_shape[1]:
            raise ValueError('input_shape: ', input_shape, 'and input_tensor: ',
                             input_tensor, 'do not meet the same shape requirements')

    if input_shape is None and input_tensor is not None:
        try:
            is_keras_tensor = K.is_keras_tensor(input_tensor)
        except ValueError as error:
            raise ValueError('input_tensor: ', input_tensor, 'is type: ',
                             type(input_tensor), 'which is not a valid type') from error
        if not is_keras_tensor:
            return 224
        rows, cols = K.int_shape(input_tensor)[1:3]
    elif input_shape is None:
        return 224
    else:
        rows, cols = input_shape[0], input_shape[1]
    return rows if rows == cols and rows in _IMAGENET_SIZES else 224


def MobileNetV2(input_shape=None, alpha=1.0, depth_multiplier=1, include_top=True,
                weights='imagenet', input_tensor=None, pooling=None, classes=1000):
    """Instantiates the MobileNetV2 architecture, optionally with weights trained on
    ImageNet.

    The model is built in the `'channels_last'` data format whatever the Keras config says
    (with a warning when it says `'channels_first'`); `input_shape` is then in that format
    too.

    # Arguments
        input_shape: optional shape tuple, for an input other than `(224, 224, 3)`, with 3
            input channels and height and width of at least 32, e.g. `(160, 160, 3)`. It
            may be left out when `input_tensor` is given; when both are given they must
            agree.
        alpha: width multiplier: below 1 fewer, above 1 more filters in every layer.
        depth_multiplier: kept for Keras 2 compatibility; must be 1 with ImageNet weights.
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
        ValueError: for an invalid `weights` argument, input shape or input tensor, or
            (with ImageNet weights) `alpha`, `depth_multiplier` or input size.
    """
    _check_weights_argument(weights, include_top, classes)
    with _channels_last('The MobileNet family of models'):
        input_shape = _obtain_input_shape(input_shape,
                                          default_size=_default_size(input_shape,
                                                                     input_tensor),
                                          min_size=32, data_format='channels_last',
                                          require_flatten=include_top, weights=weights)
        rows, cols = input_shape[0], input_shape[1]
        if weights == 'imagenet':
            rows = _check_imagenet_variant(alpha, depth_multiplier, rows, cols, input_shape)

        img_input = _image_input(input_tensor, input_shape)
        x = layers.ZeroPadding2D(padding=_correct_pad(img_input, 3),
                                 name='Conv1_pad')(img_input)
        x = layers.Conv2D(_make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
                          padding='valid', use_bias=False, name='Conv1')(x)
        x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name='bn_Conv1')(x)
        x = layers.ReLU(6., name='Conv1_relu')(x)

        # (filters, stride, expansion) of the 17 inverted residual blocks
        plan = ((16, 1, 1),
                (24, 2, 6), (24, 1, 6),
                (32, 2, 6), (32, 1, 6), (32, 1, 6),
                (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
                (96, 1, 6), (96, 1, 6), (96, 1, 6),
                (160, 2, 6), (160, 1, 6), (160, 1, 6),
                (320, 1, 6))
        for block_id, (filters, stride, expansion) in enumerate(plan):
            x = _inverted_res_block(x, filters=filters, alpha=alpha, stride=stride,
                                    expansion=expansion, block_id=block_id)

        # The last convolution only grows with alpha > 1, as in the paper.
        last_block_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
        x = layers.Conv2D(last_block_filters, kernel_size=1, use_bias=False,
                          name='Conv_1')(x)
        x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name='Conv_1_bn')(x)
        x = layers.ReLU(6., name='out_relu')(x)

        if include_top:
            x = layers.GlobalAveragePooling2D()(x)
            x = layers.Dense(classes, activation='softmax', use_bias=True, name='Logits')(x)
        else:
            x = _global_pooling(x, pooling)

        model = Model(_model_inputs(input_tensor, img_input), x,
                      name='mobilenetv2_%0.2f_%s' % (alpha, rows))
        if weights == 'imagenet':
            model_name = ('mobilenet_v2_weights_tf_dim_ordering_tf_kernels_' + str(alpha) +
                          '_' + str(rows) + ('.h5' if include_top else '_no_top.h5'))
            _load_weights(model, weights, model_name, BASE_WEIGHT_PATH + model_name)
        else:
            _load_weights(model, weights)
    return model


def _check_imagenet_variant(alpha, depth_multiplier, rows, cols, input_shape):
    """Checks that ImageNet weights exist for this variant; returns the input size whose
    weights are loaded (224 for an undefined size, with a warning)."""
    if depth_multiplier != 1:
        raise ValueError('If imagenet weights are being loaded, '
                         'depth multiplier must be 1')
    if alpha not in _IMAGENET_ALPHAS:
        raise ValueError('If imagenet weights are being loaded, '
                         'alpha can be one of `0.35`, `0.50`, `0.75`, '
                         '`1.0`, `1.3` or `1.4` only.')
    if rows != cols or rows not in _IMAGENET_SIZES:
        if rows is None:
            warnings.warn('MobileNet shape is undefined.'
                          ' Weights for input shape'
                          '(224, 224) will be loaded.')
            return 224
        raise ValueError('If imagenet weights are being loaded, '
                         'input must have a static square shape'
                         '(one of (96, 96), (128, 128), (160, 160),'
                         '(192, 192), or (224, 224)).'
                         'Input shape provided = %s' % (input_shape,))
    return rows
