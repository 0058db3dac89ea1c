"""NASNet-A models (Large and Mobile), as in Keras 2.2.4.

NASNet models are written `NASNet (N @ P)`: `N` normal cells between reductions
(`num_blocks`) and `P` filters in the penultimate layer (`penultimate_filters`).
NASNetLarge is NASNet (6 @ 4032) on 331x331 inputs, NASNetMobile NASNet (4 @ 1056) on
224x224 inputs. The models are only available in the `'channels_last'` data format, and
their input preprocessing scales pixels to [-1, 1].

# Reference
- [Learning Transferable Architectures for Scalable Image Recognition](
    https://arxiv.org/abs/1707.07012)
"""
from .. import backend as K
from .. import layers
from ..models import Model
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401
from .imagenet_utils import (_channels_last, _check_weights_argument, _correct_pad,
                             _global_pooling, _image_input, _load_weights, _model_inputs,
                             _obtain_input_shape)

BASE_WEIGHTS_PATH = 'https://github.com/titu1994/Keras-NASNet/releases/download/v1.2/'
NASNET_MOBILE_WEIGHT_PATH = BASE_WEIGHTS_PATH + 'NASNet-mobile.h5'
NASNET_MOBILE_WEIGHT_PATH_NO_TOP = BASE_WEIGHTS_PATH + 'NASNet-mobile-no-top.h5'
NASNET_LARGE_WEIGHT_PATH = BASE_WEIGHTS_PATH + 'NASNet-large.h5'
NASNET_LARGE_WEIGHT_PATH_NO_TOP = BASE_WEIGHTS_PATH + 'NASNet-large-no-top.h5'

# Default input size -> ((file name in the cache, URL, md5) with the top, then without it).
_WEIGHTS_FILES = {
    224: (('nasnet_mobile.h5', NASNET_MOBILE_WEIGHT_PATH,
           '020fb642bf7360b370c678b08e0adf61'),
          ('nasnet_mobile_no_top.h5', NASNET_MOBILE_WEIGHT_PATH_NO_TOP,
           '1ed92395b5b598bdda52abe5c0dbfd63')),
    331: (('nasnet_large.h5', NASNET_LARGE_WEIGHT_PATH,
           '11577c9a518f0070763c2b964a382f17'),
          ('nasnet_large_no_top.h5', NASNET_LARGE_WEIGHT_PATH_NO_TOP,
           'd81d89dc07e6e56530c4e77faddd61b5')),
}

# Batch normalization settings of every NASNet layer.
_BN = dict(axis=-1, momentum=0.9997, epsilon=1e-3)


def preprocess_input(x, data_format=None):
    """Preprocesses a batch of images for NASNet: pixels scaled to [-1, 1].

    # Arguments
        x: NumPy array or tensor, 3D or 4D, RGB values in [0, 255].
        data_format: image data format of `x` (default: the Keras config's).

    # Returns
        The preprocessed array or tensor.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode='tf')


def _separable_conv_block(ip, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """Two [ReLU, separable convolution, batch normalization] in a row; the first
    convolution has `strides` (padded like TensorFlow's 'same' when they are 2)."""
    x = layers.Activation('relu')(ip)
    if strides == (2, 2):
        x = layers.ZeroPadding2D(padding=_correct_pad(x, kernel_size),
                                 name='separable_conv_1_pad_%s' % block_id)(x)
        conv_pad = 'valid'
    else:
        conv_pad = 'same'
    x = layers.SeparableConv2D(filters, kernel_size, strides=strides,
                               name='separable_conv_1_%s' % block_id, padding=conv_pad,
                               use_bias=False, kernel_initializer='he_normal')(x)
    x = layers.BatchNormalization(name='separable_conv_1_bn_%s' % block_id, **_BN)(x)
    x = layers.Activation('relu')(x)
    x = layers.SeparableConv2D(filters, kernel_size, name='separable_conv_2_%s' % block_id,
                               padding='same', use_bias=False,
                               kernel_initializer='he_normal')(x)
    return layers.BatchNormalization(name='separable_conv_2_bn_%s' % block_id, **_BN)(x)


def _adjust_block(p, ip, filters, block_id=None):
    """Adapts the previous cell's output `p` to the shape of the current input `ip`: a
    factorised reduction when its size differs, a 1x1 projection when only its width
    does; `ip` itself when there is no previous output."""
    if p is None:
        return ip
    p_shape, ip_shape = K.int_shape(p), K.int_shape(ip)
    if p_shape[-2] != ip_shape[-2]:
        p = layers.Activation('relu', name='adjust_relu_1_%s' % block_id)(p)
        p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding='valid',
                                     name='adjust_avg_pool_1_%s' % block_id)(p)
        p1 = layers.Conv2D(filters // 2, (1, 1), padding='same', use_bias=False,
                           name='adjust_conv_1_%s' % block_id,
                           kernel_initializer='he_normal')(p1)
        # The second path looks at the pixels the first one skips (shifted by one).
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding='valid',
                                     name='adjust_avg_pool_2_%s' % block_id)(p2)
        p2 = layers.Conv2D(filters // 2, (1, 1), padding='same', use_bias=False,
                           name='adjust_conv_2_%s' % block_id,
                           kernel_initializer='he_normal')(p2)
        p = layers.concatenate([p1, p2], axis=-1)
        return layers.BatchNormalization(name='adjust_bn_%s' % block_id, **_BN)(p)
    if p_shape[-1] != filters:
        p = layers.Activation('relu')(p)
        p = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding='same',
                          name='adjust_conv_projection_%s' % block_id, use_bias=False,
                          kernel_initializer='he_normal')(p)
        return layers.BatchNormalization(name='adjust_bn_%s' % block_id, **_BN)(p)
    return p


def _squeeze(ip, filters, kind, block_id):
    """ReLU, 1x1 convolution to `filters` and batch normalization of a cell's input."""
    h = layers.Activation('relu')(ip)
    h = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding='same',
                      name='%s_conv_1_%s' % (kind, block_id), use_bias=False,
                      kernel_initializer='he_normal')(h)
    return layers.BatchNormalization(name='%s_bn_1_%s' % (kind, block_id), **_BN)(h)


def _normal_a_cell(ip, p, filters, block_id=None):
    """A normal cell of NASNet-A (Fig. 4 of the paper); returns `(output, ip)`."""
    p = _adjust_block(p, ip, filters, block_id)
    h = _squeeze(ip, filters, 'normal', block_id)

    x1_1 = _separable_conv_block(h, filters, kernel_size=(5, 5),
                                 block_id='normal_left1_%s' % block_id)
    x1_2 = _separable_conv_block(p, filters, block_id='normal_right1_%s' % block_id)
    x1 = layers.add([x1_1, x1_2], name='normal_add_1_%s' % block_id)

    x2_1 = _separable_conv_block(p, filters, (5, 5), block_id='normal_left2_%s' % block_id)
    x2_2 = _separable_conv_block(p, filters, (3, 3), block_id='normal_right2_%s' % block_id)
    x2 = layers.add([x2_1, x2_2], name='normal_add_2_%s' % block_id)

    x3 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding='same',
                                 name='normal_left3_%s' % block_id)(h)
    x3 = layers.add([x3, p], name='normal_add_3_%s' % block_id)

    x4_1 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding='same',
                                   name='normal_left4_%s' % block_id)(p)
    x4_2 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding='same',
                                   name='normal_right4_%s' % block_id)(p)
    x4 = layers.add([x4_1, x4_2], name='normal_add_4_%s' % block_id)

    x5 = _separable_conv_block(h, filters, block_id='normal_left5_%s' % block_id)
    x5 = layers.add([x5, h], name='normal_add_5_%s' % block_id)

    x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1,
                           name='normal_concat_%s' % block_id)
    return x, ip


def _reduction_a_cell(ip, p, filters, block_id=None):
    """A reduction cell of NASNet-A (Fig. 4 of the paper), halving the spatial size;
    returns `(output, ip)`."""
    p = _adjust_block(p, ip, filters, block_id)
    h = _squeeze(ip, filters, 'reduction', block_id)
    h3 = layers.ZeroPadding2D(padding=_correct_pad(h, 3),
                              name='reduction_pad_1_%s' % block_id)(h)

    x1_1 = _separable_conv_block(h, filters, (5, 5), strides=(2, 2),
                                 block_id='reduction_left1_%s' % block_id)
    x1_2 = _separable_conv_block(p, filters, (7, 7), strides=(2, 2),
                                 block_id='reduction_right1_%s' % block_id)
    x1 = layers.add([x1_1, x1_2], name='reduction_add_1_%s' % block_id)

    x2_1 = layers.MaxPooling2D((3, 3), strides=(2, 2), padding='valid',
                               name='reduction_left2_%s' % block_id)(h3)
    x2_2 = _separable_conv_block(p, filters, (7, 7), strides=(2, 2),
                                 block_id='reduction_right2_%s' % block_id)
    x2 = layers.add([x2_1, x2_2], name='reduction_add_2_%s' % block_id)

    x3_1 = layers.AveragePooling2D((3, 3), strides=(2, 2), padding='valid',
                                   name='reduction_left3_%s' % block_id)(h3)
    x3_2 = _separable_conv_block(p, filters, (5, 5), strides=(2, 2),
                                 block_id='reduction_right3_%s' % block_id)
    x3 = layers.add([x3_1, x3_2], name='reduction_add3_%s' % block_id)

    x4 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding='same',
                                 name='reduction_left4_%s' % block_id)(x1)
    x4 = layers.add([x2, x4])

    x5_1 = _separable_conv_block(x1, filters, (3, 3),
                                 block_id='reduction_left4_%s' % block_id)
    x5_2 = layers.MaxPooling2D((3, 3), strides=(2, 2), padding='valid',
                               name='reduction_right5_%s' % block_id)(h3)
    x5 = layers.add([x5_1, x5_2], name='reduction_add4_%s' % block_id)

    x = layers.concatenate([x2, x3, x4, x5], axis=-1,
                           name='reduction_concat_%s' % block_id)
    return x, ip


def NASNet(input_shape=None, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
           skip_reduction=True, filter_multiplier=2, include_top=True, weights=None,
           input_tensor=None, pooling=None, classes=1000, default_size=None):
    """Instantiates a NASNet-A model, optionally with weights trained on ImageNet.

    The model is built in the `'channels_last'` data format whatever the Keras config says
    (with a warning when it says `'channels_first'`); `input_shape` is then in that format
    too.

    # Arguments
        input_shape: optional shape tuple, only to be given with `include_top=False`
            (otherwise it must be `(default_size, default_size, 3)`), with 3 input channels
            and height and width of at least 32, e.g. `(224, 224, 3)`. No `None` entry with
            ImageNet weights.
        penultimate_filters: number of filters of the penultimate layer (`P`); a multiple
            of 24.
        num_blocks: number of normal cells between reduction cells (`N`).
        stem_block_filters: number of filters of the first convolution.
        skip_reduction: whether the cells after a reduction cell skip its input (as in
            NASNetLarge) instead of reusing the reduction cell's output.
        filter_multiplier: growth of the number of filters at each reduction.
        include_top: whether to include the fully-connected layer at the top.
        weights: `None` (random initialization), `'imagenet'` (pre-training on ImageNet,
            only for the NASNetLarge and NASNetMobile configurations) or the path to a
            weights file.
        input_tensor: optional tensor (e.g. the output of `layers.Input()`) to use as the
            image input of the model.
        pooling: with `include_top=False`, `None` for the 4D output of the last cell,
            `'avg'` for global average pooling of it (2D output), `'max'` for global max
            pooling.
        classes: number of classes, only to be given with `include_top=True` and no
            `weights`.
        default_size: default height and width of the input (331 when `None`); 224 selects
            the NASNetMobile ImageNet weights, 331 the NASNetLarge ones.

    # Returns
        A `Model` instance.

    # Raises
        ValueError: for an invalid `weights` argument, input shape or
            `penultimate_filters`.
    """
    _check_weights_argument(weights, include_top, classes)
    if isinstance(input_shape, tuple) and None in input_shape and weights == 'imagenet':
        raise ValueError('When specifying the input shape of a NASNet'
                         ' and loading `ImageNet` weights, '
                         'the input_shape argument must be static '
                         '(no None entries). Got: `input_shape=' + str(input_shape) + '`.')
    if default_size is None:
        default_size = 331

    with _channels_last('The NASNet family of models'):
        input_shape = _obtain_input_shape(input_shape, default_size=default_size,
                                          min_size=32, data_format='channels_last',
                                          require_flatten=include_top, weights=weights)
        img_input = _image_input(input_tensor, input_shape)

        if penultimate_filters % 24 != 0:
            raise ValueError('For NASNet-A models, the value of `penultimate_filters` '
                             'needs to be divisible by 24. Current value: %d' %
                             penultimate_filters)
        filters = penultimate_filters // 24

        x = layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding='valid',
                          use_bias=False, name='stem_conv1',
                          kernel_initializer='he_normal')(img_input)
        x = layers.BatchNormalization(name='stem_bn1', **_BN)(x)

        p = None
        x, p = _reduction_a_cell(x, p, filters // (filter_multiplier ** 2), block_id='stem_1')
        x, p = _reduction_a_cell(x, p, filters // filter_multiplier, block_id='stem_2')

        # Three stages of `num_blocks` normal cells, a reduction cell before the last two;
        # cells are numbered 0 to N-1, then N+1 to 2N, then 2N+1 to 3N.
        for stage in range(3):
            first_id = stage * num_blocks
            if stage:
                x, p0 = _reduction_a_cell(x, p, filters * filter_multiplier ** stage,
                                          block_id='reduce_%d' % first_id)
                p = p if skip_reduction else p0
                first_id += 1
            for i in range(num_blocks):
                x, p = _normal_a_cell(x, p, filters * filter_multiplier ** stage,
                                      block_id='%d' % (first_id + i))

        x = layers.Activation('relu')(x)
        if include_top:
            x = layers.GlobalAveragePooling2D()(x)
            x = layers.Dense(classes, activation='softmax', name='predictions')(x)
        else:
            x = _global_pooling(x, pooling)

        model = Model(_model_inputs(input_tensor, img_input), x, name='NASNet')
        if weights == 'imagenet':
            if default_size not in _WEIGHTS_FILES:
                raise ValueError('ImageNet weights can only be loaded with NASNetLarge'
                                 ' or NASNetMobile')
            fname, origin, file_hash = _WEIGHTS_FILES[default_size][0 if include_top else 1]
            _load_weights(model, weights, fname, origin, file_hash)
        else:
            _load_weights(model, weights)
    return model


def NASNetLarge(input_shape=None, include_top=True, weights='imagenet', input_tensor=None,
                pooling=None, classes=1000):
    """Instantiates NASNetLarge (NASNet (6 @ 4032), 331x331 inputs), optionally with
    weights trained on ImageNet.

    # Arguments
        input_shape: optional shape tuple, only to be given with `include_top=False`
            (otherwise it must be `(331, 331, 3)`), with 3 input channels and height and
            width of at least 32.
        include_top: whether to include the fully-connected layer at the top.
        weights: `None` (random initialization), `'imagenet'` (pre-training on ImageNet,
            read from `~/.keras/models/`, downloaded when missing) or the path to a weights
            file.
        input_tensor: optional tensor (e.g. the output of `layers.Input()`) to use as the
            image input of the model.
        pooling: with `include_top=False`, `None`, `'avg'` or `'max'` (see `NASNet`).
        classes: number of classes, only to be given with `include_top=True` and no
            `weights`.

    # Returns
        A `Model` instance.

    # Raises
        ValueError: for an invalid `weights` argument or input shape.
    """
    return NASNet(input_shape, penultimate_filters=4032, num_blocks=6,
                  stem_block_filters=96, skip_reduction=True, filter_multiplier=2,
                  include_top=include_top, weights=weights, input_tensor=input_tensor,
                  pooling=pooling, classes=classes, default_size=331)


def NASNetMobile(input_shape=None, include_top=True, weights='imagenet', input_tensor=None,
                 pooling=None, classes=1000):
    """Instantiates NASNetMobile (NASNet (4 @ 1056), 224x224 inputs), optionally with
    weights trained on ImageNet.

    # Arguments
        input_shape: optional shape tuple, only to be given with `include_top=False`
            (otherwise it must be `(224, 224, 3)`), with 3 input channels and height and
            width of at least 32.
        include_top: whether to include the fully-connected layer at the top.
        weights: `None` (random initialization), `'imagenet'` (pre-training on ImageNet,
            read from `~/.keras/models/`, downloaded when missing) or the path to a weights
            file.
        input_tensor: optional tensor (e.g. the output of `layers.Input()`) to use as the
            image input of the model.
        pooling: with `include_top=False`, `None`, `'avg'` or `'max'` (see `NASNet`).
        classes: number of classes, only to be given with `include_top=True` and no
            `weights`.

    # Returns
        A `Model` instance.

    # Raises
        ValueError: for an invalid `weights` argument or input shape.
    """
    return NASNet(input_shape, penultimate_filters=1056, num_blocks=4,
                  stem_block_filters=32, skip_reduction=False, filter_multiplier=2,
                  include_top=include_top, weights=weights, input_tensor=input_tensor,
                  pooling=pooling, classes=classes, default_size=224)
