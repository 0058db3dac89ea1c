"""Utilities shared by the ImageNet models: input preprocessing, decoding of predictions,
input-shape rules, and the private building blocks every architecture file uses (argument
checks, the image input, feature pooling, loading of the weights).

Everything follows Keras 2.2.4 (keras_applications 1.0.6): the same preprocessing formulas,
the same class index file (`~/.keras/models/imagenet_class_index.json`), the same messages.
"""
import contextlib
import json
import os
import warnings

import numpy as np

from .. import backend as K
from .. import layers
from ..utils import data_utils
from ..utils.layer_utils import get_source_inputs

CLASS_INDEX = None
CLASS_INDEX_PATH = ('https://s3.amazonaws.com/deep-learning-models/'
                    'image-models/imagenet_class_index.json')
# md5 of the class index file; a cached copy that does not match is downloaded again.
_CLASS_INDEX_HASH = 'c2c37ea517e94d9795004a39431a14cb'

# Per-channel statistics of the ImageNet training set: BGR means in pixel units ('caffe'),
# RGB means and standard deviations in [0, 1] units ('torch').
_CAFFE_MEAN = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


# ------------------------------------------------------------------------------------------
# Preprocessing
# ------------------------------------------------------------------------------------------

def _preprocess_numpy_input(x, data_format, mode):
    """Preprocesses a NumPy batch (4D) or image (3D), in place where the dtype allows."""
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(K.floatx(), copy=False)

    if mode == 'tf':
        x /= 127.5
        x -= 1.
        return x

    if mode == 'torch':
        x /= 255.
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        # RGB -> BGR, as a view of the input (like Keras 2, the caller's array is reused).
        if data_format == 'channels_first':
            x = x[::-1, ...] if x.ndim == 3 else x[:, ::-1, ...]
        else:
            x = x[..., ::-1]
        mean, std = _CAFFE_MEAN, None

    for channel in range(3):
        if data_format == 'channels_first':
            index = (channel,) if x.ndim == 3 else (slice(None), channel)
        else:
            index = (Ellipsis, channel)
        x[index] -= mean[channel]
        if std is not None:
            x[index] /= std[channel]
    return x


def _channel_constant(values, ndim, data_format, dtype):
    """A constant holding one value per channel, shaped to broadcast against a tensor of
    rank `ndim` in `data_format`."""
    shape = [1] * ndim
    shape[-1 if data_format == 'channels_last' else (0 if ndim == 3 else 1)] = len(values)
    return K.constant(np.reshape(np.asarray(values), shape), dtype=dtype)


def _preprocess_symbolic_input(x, data_format, mode):
    """Preprocesses a tensor (symbolic or eager) with backend operations."""
    dtype = K.dtype(x)
    if not str(dtype).startswith('float'):
        dtype = K.floatx()
        x = K.cast(x, dtype)

    if mode == 'tf':
        return x / 127.5 - 1.

    ndim = K.ndim(x)
    if mode == 'torch':
        x = x / 255.
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        channel_axis = -1 if data_format == 'channels_last' else (0 if ndim == 3 else 1)
        x = K.reverse(x, channel_axis)
        mean, std = _CAFFE_MEAN, None

    x = x - _channel_constant(mean, ndim, data_format, dtype)
    if std is not None:
        x = x / _channel_constant(std, ndim, data_format, dtype)
    return x


def preprocess_input(x, data_format=None, mode='caffe'):
    """Preprocesses a NumPy array or a tensor encoding a batch of images.

    # Arguments
        x: NumPy array or tensor, 3D (one image) or 4D (a batch), RGB values in [0, 255].
            A floating-point NumPy array is preprocessed in place (pass `np.copy(x)` to keep
            it); other dtypes are converted to `K.floatx()` first.
        data_format: `'channels_first'` or `'channels_last'` (default: the Keras config's
            `image_data_format`).
        mode: one of
            - `'caffe'`: RGB to BGR, then each channel zero-centred with the ImageNet
                means, without scaling (VGG16, VGG19, ResNet50);
            - `'tf'`: pixels scaled to [-1, 1] (Inception, Xception, MobileNet, NASNet);
            - `'torch'`: pixels scaled to [0, 1], then each channel normalised with the
                ImageNet means and standard deviations (DenseNet).

    # Returns
        The preprocessed array or tensor.

    # Raises
        ValueError: for an unknown `data_format`.
    """
    if data_format is None:
        data_format = K.image_data_format()
    if data_format not in {'channels_first', 'channels_last'}:
        raise ValueError('Unknown data_format ' + str(data_format))
    if isinstance(x, np.ndarray):
        return _preprocess_numpy_input(x, data_format=data_format, mode=mode)
    return _preprocess_symbolic_input(x, data_format=data_format, mode=mode)


# ------------------------------------------------------------------------------------------
# Decoding
# ------------------------------------------------------------------------------------------

def decode_predictions(preds, top=5):
    """Decodes the predictions of an ImageNet model into class names.

    The class index (`imagenet_class_index.json`) is read once from the Keras cache
    (`~/.keras/models/`), downloaded there first when it is missing.

    # Arguments
        preds: NumPy array of shape `(samples, 1000)`.
        top: how many of the best guesses to return for each sample.

    # Returns
        A list with one list per sample of `(class_name, class_description, score)`
        tuples, best first.

    # Raises
        ValueError: when `preds` is not of shape `(samples, 1000)`.
    """
    global CLASS_INDEX
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError('`decode_predictions` expects '
                         'a batch of predictions '
                         '(i.e. a 2D array of shape (samples, 1000)). '
                         'Found array with shape: ' + str(preds.shape))
    if CLASS_INDEX is None:
        fpath = data_utils.get_file('imagenet_class_index.json', CLASS_INDEX_PATH,
                                    cache_subdir='models', file_hash=_CLASS_INDEX_HASH)
        with open(fpath) as f:
            CLASS_INDEX = json.load(f)
    results = []
    for pred in preds:
        top_indices = pred.argsort()[-top:][::-1]
        result = [tuple(CLASS_INDEX[str(i)]) + (pred[i],) for i in top_indices]
        result.sort(key=lambda entry: entry[2], reverse=True)
        results.append(result)
    return results


# ------------------------------------------------------------------------------------------
# Input shape
# ------------------------------------------------------------------------------------------

def _obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                        weights=None):
    """Works out (and checks) the input shape of an ImageNet model.

    # Arguments
        input_shape: `None` (use the model's default) or the shape the user asked for.
        default_size: default height and width of the model's input.
        min_size: smallest height and width the model accepts.
        data_format: image data format of the model.
        require_flatten: whether the model ends with a classifier that needs a fixed
            input size.
        weights: `None`, `'imagenet'` or a path; with `'imagenet'` the input must have 3
            channels.

    # Returns
        A shape tuple without the batch axis (may hold `None` entries).

    # Raises
        ValueError: for an invalid shape, with Keras 2's messages.
    """
    channels_first = data_format == 'channels_first'
    if weights != 'imagenet' and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in {1, 3}:
            warnings.warn('This model usually expects 1 or 3 input channels. '
                          'However, it was passed an input_shape with ' +
                          str(channels) + ' input channels.')
        default_shape = ((channels, default_size, default_size) if channels_first else
                         (default_size, default_size, channels))
    else:
        default_shape = ((3, default_size, default_size) if channels_first else
                         (default_size, default_size, 3))

    if weights == 'imagenet' and require_flatten:
        if input_shape is not None and input_shape != default_shape:
            # The missing space after "setting" is Keras 2.2.4's own message.
            raise ValueError('When setting`include_top=True` '
                             'and loading `imagenet` weights, '
                             '`input_shape` should be ' + str(default_shape) + '.')
        return default_shape

    if input_shape:
        if len(input_shape) != 3:
            raise ValueError('`input_shape` must be a tuple of three integers.')
        channels = input_shape[0] if channels_first else input_shape[-1]
        rows, cols = (input_shape[1], input_shape[2]) if channels_first else (
            input_shape[0], input_shape[1])
        if channels != 3 and weights == 'imagenet':
            raise ValueError('The input must have 3 channels; got '
                             '`input_shape=' + str(input_shape) + '`')
        if (rows is not None and rows < min_size) or (cols is not None and cols < min_size):
            raise ValueError('Input size must be at least ' + str(min_size) + 'x' +
                             str(min_size) + '; got `input_shape=' + str(input_shape) + '`')
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)

    if require_flatten and None in input_shape:
        raise ValueError('If `include_top` is True, '
                         'you should specify a static `input_shape`. '
                         'Got `input_shape=' + str(input_shape) + '`')
    return input_shape


# ------------------------------------------------------------------------------------------
# Building blocks of the architecture files (private)
# ------------------------------------------------------------------------------------------

def _check_weights_argument(weights, include_top, classes):
    """Raises Keras 2's errors for a `weights` / `classes` combination that cannot work."""
    is_path = isinstance(weights, (str, os.PathLike)) and os.path.exists(weights)
    if not (weights is None or is_path or
            (isinstance(weights, str) and weights == 'imagenet')):
        raise ValueError('The `weights` argument should be either '
                         '`None` (random initialization), `imagenet` '
                         '(pre-training on ImageNet), '
                         'or the path to the weights file to be loaded.')
    if weights == 'imagenet' and include_top and classes != 1000:
        raise ValueError('If using `weights` as `"imagenet"` with `include_top` '
                         'as true, `classes` should be 1000')


def _image_input(input_tensor, input_shape):
    """The model's image input: a new `Input`, `input_tensor` itself when it is a layer's
    output, or an `Input` wrapping it otherwise."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not K.is_keras_tensor(input_tensor):
        return layers.Input(tensor=input_tensor, shape=input_shape)
    return input_tensor


def _model_inputs(input_tensor, img_input):
    """The inputs of the model: those `input_tensor` was computed from, when given, so that
    layers before it are part of the model."""
    if input_tensor is not None:
        return get_source_inputs(input_tensor)
    return img_input


def _global_pooling(x, pooling, avg_name=None, max_name=None):
    """Global average (`'avg'`) or max (`'max'`) pooling of a feature map; anything else
    leaves it as it is."""
    if pooling == 'avg':
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == 'max':
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def _load_weights(model, weights, fname=None, origin=None, file_hash=None):
    """Loads the ImageNet weights file `fname` (through the Keras cache, `models/`
    subdirectory, downloaded from `origin` when absent) for `weights='imagenet'`, or the
    file at the path `weights`; nothing for `weights=None`."""
    if weights is None:
        return
    if isinstance(weights, str) and weights == 'imagenet':
        weights = data_utils.get_file(fname, origin, cache_subdir='models',
                                      file_hash=file_hash)
    model.load_weights(weights)


@contextlib.contextmanager
def _channels_last(subject):
    """Builds the model in `'channels_last'` whatever the config says (with Keras 2's
    warning, about `subject`, e.g. `'The Xception model'`), restoring the configured format
    afterwards, even on an error."""
    previous = K.image_data_format()
    if previous != 'channels_last':
        warnings.warn(subject + ' is only available '
                      'for the input data format "channels_last" '
                      '(width, height, channels). '
                      'However your settings specify the default '
                      'data format "channels_first" (channels, width, height).'
                      ' You should set `image_data_format="channels_last"` '
                      'in your Keras config located at ~/.keras/keras.json. '
                      'The model being returned right now will expect inputs '
                      'to follow the "channels_last" data format.')
        K.set_image_data_format('channels_last')
    try:
        yield
    finally:
        K.set_image_data_format(previous)


def _channel_axis():
    """The channel axis of 4D image tensors in the configured data format."""
    return 1 if K.image_data_format() == 'channels_first' else 3


def _correct_pad(inputs, kernel_size):
    """Zero padding `((top, bottom), (left, right))` that makes a stride-2 'valid'
    convolution with `kernel_size` match TensorFlow's 'same' padding (one less row/column
    before than after on even sizes)."""
    spatial = 2 if K.image_data_format() == 'channels_first' else 1
    rows, cols = K.int_shape(inputs)[spatial:spatial + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))
