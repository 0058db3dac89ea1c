"""Geometric and colour transformations of single images, with SciPy's `ndimage` and
Pillow (keras_preprocessing 1.0.5).

`apply_affine_transform` composes rotation, shift, shear and zoom exactly as Keras 2 did
(same matrices, same order, same centring offset of `size / 2 + 0.5`) and resamples each
channel with `scipy.ndimage.affine_transform` (linear interpolation by default), so results
equal Keras 2's.
"""
import numpy as np

from ._random import current_rng
from .utils import array_to_img, img_to_array, pil_modules


def random_rotation(x, rg, row_axis=1, col_axis=2, channel_axis=0, fill_mode='nearest',
                    cval=0.):
    """Performs a random rotation of a NumPy image tensor.

    # Arguments
        x: input tensor; must be 3D.
        rg: rotation range, in degrees: the angle is drawn uniformly from `[-rg, rg]`.
        row_axis: index of the axis of rows in the input tensor.
        col_axis: index of the axis of columns in the input tensor.
        channel_axis: index of the axis of channels in the input tensor.
        fill_mode: points outside the boundaries of the input are filled according to
            the given mode (one of `{'constant', 'nearest', 'reflect', 'wrap'}`).
        cval: value used for points outside the boundaries of the input if
            `fill_mode='constant'`.

    # Returns
        Rotated NumPy image tensor.
    """
    theta = current_rng().uniform(-rg, rg)
    return apply_affine_transform(x, theta=theta, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval)


def random_shift(x, wrg, hrg, row_axis=1, col_axis=2, channel_axis=0, fill_mode='nearest',
                 cval=0.):
    """Performs a random spatial shift of a NumPy image tensor.

    # Arguments
        x: input tensor; must be 3D.
        wrg: width shift range, as a float fraction of the width.
        hrg: height shift range, as a float fraction of the height.
        row_axis: index of the axis of rows in the input tensor.
        col_axis: index of the axis of columns in the input tensor.
        channel_axis: index of the axis of channels in the input tensor.
        fill_mode: points outside the boundaries of the input are filled according to
            the given mode (one of `{'constant', 'nearest', 'reflect', 'wrap'}`).
        cval: value used for points outside the boundaries of the input if
            `fill_mode='constant'`.

    # Returns
        Shifted NumPy image tensor.
    """
    h, w = x.shape[row_axis], x.shape[col_axis]
    rng = current_rng()
    tx = rng.uniform(-hrg, hrg) * h
    ty = rng.uniform(-wrg, wrg) * w
    return apply_affine_transform(x, tx=tx, ty=ty, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval)


def random_shear(x, intensity, row_axis=1, col_axis=2, channel_axis=0, fill_mode='nearest',
                 cval=0.):
    """Performs a random spatial shear of a NumPy image tensor.

    # Arguments
        x: input tensor; must be 3D.
        intensity: transformation intensity in degrees: the shear angle is drawn
            uniformly from `[-intensity, intensity]`.
        row_axis: index of the axis of rows in the input tensor.
        col_axis: index of the axis of columns in the input tensor.
        channel_axis: index of the axis of channels in the input tensor.
        fill_mode: points outside the boundaries of the input are filled according to
            the given mode (one of `{'constant', 'nearest', 'reflect', 'wrap'}`).
        cval: value used for points outside the boundaries of the input if
            `fill_mode='constant'`.

    # Returns
        Sheared NumPy image tensor.
    """
    shear = current_rng().uniform(-intensity, intensity)
    return apply_affine_transform(x, shear=shear, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval)


def random_zoom(x, zoom_range, row_axis=1, col_axis=2, channel_axis=0, fill_mode='nearest',
                cval=0.):
    """Performs a random spatial zoom of a NumPy image tensor.

    # Arguments
        x: input tensor; must be 3D.
        zoom_range: tuple of two floats: the zoom factors of rows and columns are drawn
            independently and uniformly from this range.
        row_axis: index of the axis of rows in the input tensor.
        col_axis: index of the axis of columns in the input tensor.
        channel_axis: index of the axis of channels in the input tensor.
        fill_mode: points outside the boundaries of the input are filled according to
            the given mode (one of `{'constant', 'nearest', 'reflect', 'wrap'}`).
        cval: value used for points outside the boundaries of the input if
            `fill_mode='constant'`.

    # Returns
        Zoomed NumPy image tensor.

    # Raises
        ValueError: if `zoom_range` isn't a tuple of two floats.
    """
    if len(zoom_range) != 2:
        raise ValueError('`zoom_range` should be a tuple or list of two floats. '
                         'Received: %s' % (zoom_range,))
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = current_rng().uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval)


def apply_channel_shift(x, intensity, channel_axis=0):
    """Performs a channel shift: adds `intensity` to every channel, clipped to the
    original range of the image.

    # Arguments
        x: input tensor; must be 3D.
        intensity: transformation intensity.
        channel_axis: index of the axis of channels in the input tensor.

    # Returns
        NumPy image tensor.
    """
    min_x, max_x = np.min(x), np.max(x)
    return np.clip(x + intensity, min_x, max_x)


def random_channel_shift(x, intensity_range, channel_axis=0):
    """Performs a random channel shift.

    # Arguments
        x: input tensor; must be 3D.
        intensity_range: transformation intensity: the shift is drawn uniformly from
            `[-intensity_range, intensity_range]`.
        channel_axis: index of the axis of channels in the input tensor.

    # Returns
        NumPy image tensor.
    """
    intensity = current_rng().uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis=channel_axis)


def apply_brightness_shift(x, brightness, data_format=None):
    """Performs a brightness shift with Pillow's `ImageEnhance.Brightness`.

    As in Keras 2.2.4, the image goes through `array_to_img` (which rescales its values
    to `[0, 255]`) and back, so the result is an 8-bit-valued image in `[0, 255]`
    whatever the range of `x`.

    # Arguments
        x: input tensor; must be 3D, with 1, 3 or 4 channels.
        brightness: float, the brightness factor (1 keeps the image, 0 makes it black).
        data_format: image data format of `x` (default: `K.image_data_format()`).

    # Returns
        NumPy image tensor (dtype `K.floatx()`).

    # Raises
        ImportError: if PIL is not available.
    """
    _, ImageEnhance = pil_modules('apply_brightness_shift')
    img = array_to_img(x, data_format=data_format)
    img = ImageEnhance.Brightness(img).enhance(brightness)
    return img_to_array(img, data_format=data_format)


def random_brightness(x, brightness_range, data_format=None):
    """Performs a random brightness shift.

    # Arguments
        x: input tensor; must be 3D.
        brightness_range: tuple of two floats: the brightness factor is drawn uniformly
            from this range.
        data_format: image data format of `x` (default: `K.image_data_format()`).

    # Returns
        NumPy image tensor.

    # Raises
        ValueError: if `brightness_range` isn't a tuple of two floats.
    """
    if len(brightness_range) != 2:
        raise ValueError('`brightness_range should be tuple or list of two floats. '
                         'Received: %s' % (brightness_range,))
    u = current_rng().uniform(brightness_range[0], brightness_range[1])
    return apply_brightness_shift(x, u, data_format=data_format)


def transform_matrix_offset_center(matrix, x, y):
    """Moves the origin of a 3x3 homogeneous transform to the image centre.

    The centre is taken at `(x / 2 + 0.5, y / 2 + 0.5)`, as in Keras 2 (half a pixel past
    the geometric centre `((x - 1) / 2, (y - 1) / 2)` of the pixel grid).

    # Arguments
        matrix: 3x3 transform about the origin.
        x: number of rows of the image.
        y: number of columns of the image.

    # Returns
        The 3x3 transform about the centre.
    """
    o_x = float(x) / 2 + 0.5
    o_y = float(y) / 2 + 0.5
    offset_matrix = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset_matrix = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return np.dot(np.dot(offset_matrix, matrix), reset_matrix)


def _affine_matrix(theta, tx, ty, shear, zx, zy):
    """The Keras 2 composition rotation . shift . shear . zoom, or None for the identity."""
    transform_matrix = None
    if theta != 0:
        theta = np.deg2rad(theta)
        transform_matrix = np.array([[np.cos(theta), -np.sin(theta), 0],
                                     [np.sin(theta), np.cos(theta), 0],
                                     [0, 0, 1]])
    if tx != 0 or ty != 0:
        shift_matrix = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
        transform_matrix = (shift_matrix if transform_matrix is None
                            else np.dot(transform_matrix, shift_matrix))
    if shear != 0:
        shear = np.deg2rad(shear)
        shear_matrix = np.array([[1, -np.sin(shear), 0], [0, np.cos(shear), 0], [0, 0, 1]])
        transform_matrix = (shear_matrix if transform_matrix is None
                            else np.dot(transform_matrix, shear_matrix))
    if zx != 1 or zy != 1:
        zoom_matrix = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
        transform_matrix = (zoom_matrix if transform_matrix is None
                            else np.dot(transform_matrix, zoom_matrix))
    return transform_matrix


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=0,
                           col_axis=1, channel_axis=2, fill_mode='nearest', cval=0.,
                           order=1):
    """Applies an affine transformation specified by the parameters given.

    The transform maps each output pixel `p` to the input point `T (p - c) + c`, where
    `c` is the centre of `transform_matrix_offset_center` and `T` the product
    rotation . shift . shear . zoom, and interpolates the input there with
    `scipy.ndimage.affine_transform`, channel by channel.

    # Arguments
        x: 3D NumPy array, a single image.
        theta: rotation angle in degrees.
        tx: shift along the rows (height), in pixels.
        ty: shift along the columns (width), in pixels.
        shear: shear angle in degrees.
        zx: zoom factor along the rows.
        zy: zoom factor along the columns.
        row_axis: index of the axis of rows in the input image.
        col_axis: index of the axis of columns in the input image.
        channel_axis: index of the axis of channels in the input image.
        fill_mode: points outside the boundaries of the input are filled according to
            the given mode (one of `{'constant', 'nearest', 'reflect', 'wrap'}`).
        cval: value used for points outside the boundaries of the input if
            `fill_mode='constant'`.
        order: int, order of the spline interpolation (1: linear, as Keras 2).

    # Returns
        The transformed version of the input (the input itself when every parameter is
        the identity).
    """
    transform_matrix = _affine_matrix(theta, tx, ty, shear, zx, zy)
    if transform_matrix is None:
        return x
    h, w = x.shape[row_axis], x.shape[col_axis]
    transform_matrix = transform_matrix_offset_center(transform_matrix, h, w)
    final_affine_matrix = transform_matrix[:2, :2]
    final_offset = transform_matrix[:2, 2]

    # Imported here, not with cornu: SciPy's ndimage costs ~0.4 s to import.
    import scipy.ndimage as ndi
    channels = np.moveaxis(x, channel_axis, 0)
    output = np.empty(channels.shape, dtype=x.dtype)
    for source, target in zip(channels, output):
        ndi.affine_transform(source, final_affine_matrix, final_offset, output=target,
                             order=order, mode=fill_mode, cval=cval)
    return np.moveaxis(output, 0, channel_axis)


def flip_axis(x, axis):
    """Reverses `x` along `axis` (a view).

    # Arguments
        x: NumPy array.
        axis: axis to flip.

    # Returns
        The flipped array.
    """
    return np.flip(np.asarray(x), axis)
