"""VGG19 model, as in Keras 2.2.4.

# Reference
- [Very Deep Convolutional Networks for Large-Scale Image Recognition](
    https://arxiv.org/abs/1409.1556)
"""
from . import imagenet_utils
from .imagenet_utils import decode_predictions  # noqa: F401
from .vgg16 import _vgg

preprocess_input = imagenet_utils.preprocess_input

_RELEASE = 'https://github.com/fchollet/deep-learning-models/releases/download/v0.1/'
WEIGHTS_PATH = _RELEASE + 'vgg19_weights_tf_dim_ordering_tf_kernels.h5'
WEIGHTS_PATH_NO_TOP = _RELEASE + 'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5'
# (file name in the cache, URL, md5) with the top, then without it.
_WEIGHTS_FILES = (
    ('vgg19_weights_tf_dim_ordering_tf_kernels.h5', WEIGHTS_PATH,
     'cbe5617147190e668d6c5d5026f83318'),
    ('vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5', WEIGHTS_PATH_NO_TOP,
     '253f8cb515780f3b799900260a226db6'))


def VGG19(include_top=True, weights='imagenet', input_tensor=None, input_shape=None,
          pooling=None, classes=1000):
    """Instantiates the VGG19 architecture, optionally with weights trained on ImageNet.

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
    return _vgg('vgg19', (2, 2, 4, 4, 4), _WEIGHTS_FILES, include_top, weights,
                input_tensor, input_shape, pooling, classes)
