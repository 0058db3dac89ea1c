"""VGG16 model, as in Keras 2.2.4.

# Reference
- [Very Deep Convolutional Networks for Large-Scale Image Recognition](
    https://arxiv.org/abs/1409.1556)
"""
from .. import backend as K
from .. import layers
from ..models import Model
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401
from .imagenet_utils import (_check_weights_argument, _global_pooling, _image_input,
                             _load_weights, _model_inputs, _obtain_input_shape)

preprocess_input = imagenet_utils.preprocess_input

_RELEASE = 'https://github.com/fchollet/deep-learning-models/releases/download/v0.1/'
WEIGHTS_PATH = _RELEASE + 'vgg16_weights_tf_dim_ordering_tf_kernels.h5'
WEIGHTS_PATH_NO_TOP = _RELEASE + 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5'
# (file name in the cache, URL, md5) with the top, then without it.
_WEIGHTS_FILES = (
    ('vgg16_weights_tf_dim_ordering_tf_kernels.h5', WEIGHTS_PATH,
     '64373286793e3c8b2b4e3219cbf3544b'),
    ('vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5', WEIGHTS_PATH_NO_TOP,
     '6d6bbae143d832006294945121d1f1fc'))


def _vgg(name, convs_per_block, weights_files, include_top, weights, input_tensor,
         input_shape, pooling, classes):
    """Builds a VGG network with `convs_per_block[i]` 3x3 convolutions in block `i + 1`.

    `weights_files` holds `(file name, URL, hash)` for the weights with the top, then
    without it.
    """
    _check_weights_argument(weights, include_top, classes)
    input_shape = _obtain_input_shape(input_shape, default_size=224, min_size=32,
                                      data_format=K.image_data_format(),
                                      require_flatten=include_top, weights=weights)
    img_input = _image_input(input_tensor, input_shape)

    x = img_input
    for block, (filters, convs) in enumerate(zip((64, 128, 256, 512, 512), convs_per_block),
                                             start=1):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation='relu', padding='same',
                              name='block%d_conv%d' % (block, conv))(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name='block%d_pool' % block)(x)

    if include_top:
        x = layers.Flatten(name='flatten')(x)
        x = layers.Dense(4096, activation='relu', name='fc1')(x)
        x = layers.Dense(4096, activation='relu', name='fc2')(x)
        x = layers.Dense(classes, activation='softmax', name='predictions')(x)
    else:
        x = _global_pooling(x, pooling)

    model = Model(_model_inputs(input_tensor, img_input), x, name=name)
    fname, origin, file_hash = weights_files[0 if include_top else 1]
    _load_weights(model, weights, fname, origin, file_hash)
    return model


def VGG16(include_top=True, weights='imagenet', input_tensor=None, input_shape=None,
          pooling=None, classes=1000):
    """Instantiates the VGG16 architecture, optionally with weights trained on ImageNet.

    The model follows the data format of the Keras config (`K.image_data_format()`); the
    ImageNet weights work in both formats.

    # Arguments
        include_top: whether to include the 3 fully-connected layers at the top.
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
    return _vgg('vgg16', (2, 2, 3, 3, 3), _WEIGHTS_FILES, include_top, weights,
                input_tensor, input_shape, pooling, classes)
