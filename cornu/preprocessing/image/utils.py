"""Image files and arrays: loading with Pillow, conversions between PIL images and NumPy
arrays, saving, and listing pictures (Keras 2.2.4 / keras_preprocessing 1.0.5)."""
import os
import re
import warnings

import numpy as np

from ... import backend

# Pillow's constant for each `interpolation` name of `load_img`.
_PIL_INTERPOLATION_NAMES = {
    'nearest': 'NEAREST',
    'bilinear': 'BILINEAR',
    'bicubic': 'BICUBIC',
    'hamming': 'HAMMING',
    'box': 'BOX',
    'lanczos': 'LANCZOS',
}

_COLOR_MODES = {'grayscale': 'L', 'rgb': 'RGB', 'rgba': 'RGBA'}


def pil_modules(what):
    """Pillow's `Image` and `ImageEnhance` modules, imported at first use rather than with
    cornu (most programs never touch an image file).

    # Arguments
        what: the name of the function that needs Pillow, for the error message.

    # Returns
        The tuple `(PIL.Image, PIL.ImageEnhance)`.

    # Raises
        ImportError: if Pillow is not installed.
    """
    try:
        from PIL import Image, ImageEnhance
    except ImportError:  # Pillow is a dependency of cornu; this keeps the error clear.
        raise ImportError('Could not import PIL.Image. The use of `%s` requires PIL '
                          '(pip install pillow).' % what) from None
    return Image, ImageEnhance


def _check_data_format(data_format):
    if data_format is None:
        data_format = backend.image_data_format()
    if data_format not in {'channels_first', 'channels_last'}:
        raise ValueError('Invalid data_format: %s; expected "channels_first" or '
                         '"channels_last".' % (data_format,))
    return data_format


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """Converts a 3D NumPy array to a PIL Image instance.

    # Arguments
        x: input NumPy array, of shape `(height, width, channels)` or
            `(channels, height, width)` with 1, 3 or 4 channels.
        data_format: image data format, `'channels_first'` or `'channels_last'`
            (default: `K.image_data_format()`).
        scale: whether to rescale the values to `[0, 255]` (shifted so the minimum is
            at least 0, then divided by the maximum); without scaling, values are cast to
            `uint8` as they are.
        dtype: dtype used for the conversion (default: `K.floatx()`).

    # Returns
        A PIL Image instance (mode `'L'`, `'RGB'` or `'RGBA'`).

    # Raises
        ImportError: if PIL is not available.
        ValueError: if `x` is not 3D, has an unsupported number of channels, or
            `data_format` is invalid.
    """
    pil_image, _ = pil_modules('array_to_img')
    if dtype is None:
        dtype = backend.floatx()
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 3:
        raise ValueError('Expected image array to have rank 3 (single image). '
                         'Got array with shape: %s' % (x.shape,))
    data_format = _check_data_format(data_format)
    # NumPy images are (height, width, channels) or (channels, height, width); PIL wants
    # (height, width, channels) arrays.
    if data_format == 'channels_first':
        x = x.transpose(1, 2, 0)
    if scale:
        x = x + max(-np.min(x), 0)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    if x.shape[2] == 4:
        return pil_image.fromarray(x.astype('uint8'), 'RGBA')
    if x.shape[2] == 3:
        return pil_image.fromarray(x.astype('uint8'), 'RGB')
    if x.shape[2] == 1:
        return pil_image.fromarray(x[:, :, 0].astype('uint8'), 'L')
    raise ValueError('Unsupported channel number: %s' % (x.shape[2],))


def img_to_array(img, data_format=None, dtype=None):
    """Converts a PIL Image instance to a NumPy array.

    # Arguments
        img: PIL Image instance.
        data_format: image data format, `'channels_first'` or `'channels_last'`
            (default: `K.image_data_format()`).
        dtype: dtype of the returned array (default: `K.floatx()`).

    # Returns
        A 3D NumPy array; grayscale images get a channel axis of length 1.

    # Raises
        ValueError: if `img` or `data_format` is invalid.
    """
    data_format = _check_data_format(data_format)
    if dtype is None:
        dtype = backend.floatx()
    x = np.asarray(img, dtype=dtype)
    if x.ndim == 3:
        if data_format == 'channels_first':
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        if data_format == 'channels_first':
            x = x.reshape((1, x.shape[0], x.shape[1]))
        else:
            x = x.reshape((x.shape[0], x.shape[1], 1))
    else:
        raise ValueError('Unsupported image shape: %s' % (x.shape,))
    return x


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Saves an image stored as a NumPy array to a path or file object.

    # Arguments
        path: path or file object.
        x: NumPy array (a single image).
        data_format: image data format, `'channels_first'` or `'channels_last'`.
        file_format: optional file format override; by default it comes from the file
            name extension. Required when `path` is a file object.
        scale: whether to rescale the values to `[0, 255]` (see `array_to_img`).
        **kwargs: additional keyword arguments passed to `PIL.Image.save()`.
    """
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == 'RGBA' and _is_jpeg(path, file_format):
        warnings.warn('The JPG format does not support RGBA images, converting to RGB.')
        img = img.convert('RGB')
    img.save(path, format=file_format, **kwargs)


def _is_jpeg(path, file_format):
    if file_format is not None:
        return file_format.lower() in ('jpg', 'jpeg')
    if isinstance(path, (str, os.PathLike)):
        return os.path.splitext(str(path))[1].lower() in ('.jpg', '.jpeg')
    return False


def load_img(path, grayscale=False, color_mode='rgb', target_size=None,
             interpolation='nearest'):
    """Loads an image into PIL format.

    # Arguments
        path: path to the image file (or a file object).
        grayscale: deprecated, use `color_mode='grayscale'`.
        color_mode: one of `'grayscale'`, `'rgb'`, `'rgba'`: the image is converted to
            1, 3 or 4 channels.
        target_size: `None` (keep the original size) or tuple of ints
            `(img_height, img_width)`.
        interpolation: method used to resample the image when `target_size` differs
            from its size: `'nearest'` (default), `'bilinear'`, `'bicubic'`,
            `'lanczos'`, `'box'` or `'hamming'`.

    # Returns
        A PIL Image instance (its file is closed).

    # Raises
        ImportError: if PIL is not available.
        ValueError: for an unknown `color_mode` or interpolation method.
    """
    if grayscale is True:
        warnings.warn('grayscale is deprecated. Please use color_mode = "grayscale"')
        color_mode = 'grayscale'
    pil_image, _ = pil_modules('load_img')
    if color_mode not in _COLOR_MODES:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    with pil_image.open(path) as opened:
        # `convert` (or `copy` for the same mode) reads the pixels into a new image, so
        # the file can be closed at once.
        mode = _COLOR_MODES[color_mode]
        img = opened.convert(mode) if opened.mode != mode else opened.copy()
    if target_size is not None:
        width_height_tuple = (target_size[1], target_size[0])
        if img.size != width_height_tuple:
            if interpolation not in _PIL_INTERPOLATION_NAMES:
                raise ValueError(
                    'Invalid interpolation method {} specified. Supported '
                    'methods are {}'.format(interpolation,
                                            ', '.join(_PIL_INTERPOLATION_NAMES.keys())))
            method = getattr(pil_image, _PIL_INTERPOLATION_NAMES[interpolation])
            img = img.resize(width_height_tuple, method)
    return img


def list_pictures(directory, ext='jpg|jpeg|bmp|png|ppm'):
    """Lists the pictures in a directory and its subdirectories.

    # Arguments
        directory: directory to walk.
        ext: extensions of the pictures, as a regular-expression alternative.

    # Returns
        The list of paths of the files whose (lowercase) name is word characters, a dot
        and one of the extensions.
    """
    pattern = re.compile(r'([\w]+\.(?:' + ext + '))')
    return [os.path.join(root, f)
            for root, _, files in os.walk(directory) for f in files
            if pattern.match(f.lower())]
