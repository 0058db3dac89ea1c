"""Spatial resizing layers of the convolutional family: UpSampling1D/2D/3D,
ZeroPadding1D/2D/3D and Cropping1D/2D/3D."""
from ... import backend as K
from ...engine.base_layer import Layer
from ...engine.input_spec import InputSpec
from ..._common import layer_arguments
from .. import _conv_checks as _utils
from .._legacy import (legacy_upsampling1d_support, legacy_spatial_support,
                      legacy_zeropadding2d_support)


def _scaled(size, factor):
    return None if size is None else size * factor


class UpSampling1D(Layer):
    """Upsampling layer for 1D inputs: repeats each temporal step `size` times.

    # Arguments
        size: integer, the upsampling factor.

    # Input shape
        3D tensor `(batch, steps, features)`.

    # Output shape
        3D tensor `(batch, upsampled_steps, features)`.
    """

    _rows_independent = True

    @legacy_upsampling1d_support
    def __init__(self, size=2, **kwargs):
        super(UpSampling1D, self).__init__(**kwargs)
        self.size = _utils.normalize_tuple(self, size, 1, 'size')[0]
        self.input_spec = InputSpec(ndim=3)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], _scaled(input_shape[1], self.size), input_shape[2])

    def call(self, inputs):
        return K.repeat_elements(inputs, self.size, axis=1)

    def get_config(self):
        config = {'size': self.size}
        base_config = super(UpSampling1D, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class _UpSampling(Layer):
    """Base of the 2D/3D upsampling layers: `size` factors along the spatial axes."""

    _rows_independent = True

    rank = None

    def _init_upsampling(self, size, data_format):
        self.data_format = _utils.normalize_data_format(self, data_format)
        self.size = _utils.normalize_tuple(self, size, self.rank, 'size')
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._spatial_axes = _utils.spatial_axes(self.rank, self.data_format)

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        for axis, factor in zip(self._spatial_axes, self.size):
            output_shape[axis] = _scaled(input_shape[axis], factor)
        return tuple(output_shape)

    def get_config(self):
        config = {'size': self.size, 'data_format': self.data_format}
        base_config = super(_UpSampling, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class UpSampling2D(_UpSampling):
    """Upsampling layer for 2D inputs: repeats rows `size[0]` times and columns `size[1]`
    times (`interpolation="nearest"`), or interpolates bilinearly.

    # Arguments
        size: integer or tuple of 2 integers, the factors for rows and columns.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.
        interpolation: `"nearest"` or `"bilinear"` (TensorFlow 1's `resize_bilinear`, with
            corners not aligned, as Keras 2.2.4).

    # Input shape
        4D tensor `(batch, rows, cols, channels)`, or `(batch, channels, rows, cols)`.

    # Output shape
        4D tensor `(batch, upsampled_rows, upsampled_cols, channels)` (or channels first).

    # Raises
        ValueError: for another `interpolation`.
    """

    rank = 2

    @legacy_spatial_support
    def __init__(self, size=(2, 2), data_format=None, interpolation='nearest', **kwargs):
        super(UpSampling2D, self).__init__(**kwargs)
        self._init_upsampling(size, data_format)
        if interpolation not in ('nearest', 'bilinear'):
            raise ValueError(_utils.describe(self) + 'interpolation should be one of '
                             '"nearest" or "bilinear", got ' + repr(interpolation) + '.')
        self.interpolation = interpolation

    def call(self, inputs):
        return K.resize_images(inputs, self.size[0], self.size[1], self.data_format,
                               self.interpolation)

    def get_config(self):
        config = super(UpSampling2D, self).get_config()
        config['interpolation'] = self.interpolation
        return config


class UpSampling3D(_UpSampling):
    """Upsampling layer for 3D inputs: repeats the three spatial axes `size[0]`, `size[1]`
    and `size[2]` times.

    # Arguments
        size: integer or tuple of 3 integers, the factors for the three spatial axes.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.

    # Input shape
        5D tensor `(batch, dim1, dim2, dim3, channels)`, or `(batch, channels, dim1, dim2,
        dim3)`.

    # Output shape
        5D tensor with each spatial axis multiplied by its factor.
    """

    rank = 3

    @legacy_spatial_support
    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super(UpSampling3D, self).__init__(**kwargs)
        self._init_upsampling(size, data_format)

    def call(self, inputs):
        return K.resize_volumes(inputs, self.size[0], self.size[1], self.size[2],
                                self.data_format)


def _normalize_pairs(layer, value, rank, what):
    """`value` as `rank` pairs `(before, after)` of non-negative ints: an int, `rank` ints
    (symmetric) or `rank` pairs."""
    names = ('height', 'width') if rank == 2 else ('dim1', 'dim2', 'dim3')
    expected = ('a non-negative int, a tuple of ' + str(rank) + ' ints (' +
                ', '.join('symmetric_' + n for n in names) + '), or a tuple of ' + str(rank) +
                ' tuples of 2 ints (' +
                ', '.join('(' + n + '_before, ' + n + '_after)' for n in names) + ')')
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            layer_arguments.refuse(layer, what, value, expected)
        return ((value, value),) * rank
    if not hasattr(value, '__len__') or len(value) != rank:
        layer_arguments.refuse(layer, what, value, expected)
    try:
        return tuple(layer_arguments.int_tuple(layer, what, entry, 2, minimum=0)
                     for entry in value)
    except ValueError:
        layer_arguments.refuse(layer, what, value, expected)


def _check_amounts(layer, pairs, what):
    for pair in pairs:
        for amount in pair:
            if amount < 0:
                raise ValueError(_utils.describe(layer) + '`' + what + '` must not be '
                                 'negative. Found: ' + str(pairs))


class ZeroPadding1D(Layer):
    """Zero-padding layer for 1D inputs (e.g. temporal sequences).

    # Arguments
        padding: integer (zeros added at the start and end of axis 1) or tuple of 2
            integers `(left_pad, right_pad)`.

    # Input shape
        3D tensor `(batch, axis_to_pad, features)`.

    # Output shape
        3D tensor `(batch, padded_axis, features)`.
    """

    _rows_independent = True

    def __init__(self, padding=1, **kwargs):
        super(ZeroPadding1D, self).__init__(**kwargs)
        self.padding = _utils.normalize_tuple(self, padding, 2, 'padding', minimum=0)
        _check_amounts(self, (self.padding,), 'padding')
        self.input_spec = InputSpec(ndim=3)

    def compute_output_shape(self, input_shape):
        length = input_shape[1]
        if length is not None:
            length = length + self.padding[0] + self.padding[1]
        return (input_shape[0], length, input_shape[2])

    def call(self, inputs):
        return K.temporal_padding(inputs, padding=self.padding)

    def get_config(self):
        config = {'padding': self.padding}
        base_config = super(ZeroPadding1D, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class _ZeroPadding(Layer):
    """Base of the 2D/3D zero-padding layers."""

    _rows_independent = True

    rank = None

    def _init_padding(self, padding, data_format):
        self.data_format = _utils.normalize_data_format(self, data_format)
        self.padding = _normalize_pairs(self, padding, self.rank, 'padding')
        _check_amounts(self, self.padding, 'padding')
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._spatial_axes = _utils.spatial_axes(self.rank, self.data_format)

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        for axis, (before, after) in zip(self._spatial_axes, self.padding):
            if input_shape[axis] is not None:
                output_shape[axis] = input_shape[axis] + before + after
        return tuple(output_shape)

    def get_config(self):
        config = {'padding': self.padding, 'data_format': self.data_format}
        base_config = super(_ZeroPadding, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class ZeroPadding2D(_ZeroPadding):
    """Zero-padding layer for 2D inputs (e.g. pictures): adds rows and columns of zeros at
    the top, bottom, left and right.

    # Arguments
        padding: integer (the same symmetric padding for height and width), tuple of 2
            integers `(symmetric_height_pad, symmetric_width_pad)`, or tuple of 2 tuples of 2
            integers `((top_pad, bottom_pad), (left_pad, right_pad))`.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.

    # Input shape
        4D tensor `(batch, rows, cols, channels)`, or `(batch, channels, rows, cols)`.

    # Output shape
        4D tensor `(batch, padded_rows, padded_cols, channels)` (or channels first).
    """

    rank = 2

    @legacy_zeropadding2d_support
    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super(ZeroPadding2D, self).__init__(**kwargs)
        self._init_padding(padding, data_format)

    def call(self, inputs):
        return K.spatial_2d_padding(inputs, padding=self.padding, data_format=self.data_format)


class ZeroPadding3D(_ZeroPadding):
    """Zero-padding layer for 3D inputs (spatial or spatio-temporal).

    # Arguments
        padding: integer, tuple of 3 integers (symmetric padding per axis), or tuple of 3
            tuples of 2 integers `((left_dim1_pad, right_dim1_pad), (left_dim2_pad,
            right_dim2_pad), (left_dim3_pad, right_dim3_pad))`.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.

    # Input shape
        5D tensor `(batch, dim1, dim2, dim3, channels)`, or `(batch, channels, dim1, dim2,
        dim3)`.

    # Output shape
        5D tensor with padded spatial axes.
    """

    rank = 3

    @legacy_spatial_support
    def __init__(self, padding=(1, 1, 1), data_format=None, **kwargs):
        super(ZeroPadding3D, self).__init__(**kwargs)
        self._init_padding(padding, data_format)

    def call(self, inputs):
        return K.spatial_3d_padding(inputs, padding=self.padding, data_format=self.data_format)


class _Cropping(Layer):
    """Base of the cropping layers: `cropping` holds `(start, end)` amounts per spatial axis.

    The slicing index is worked out once, at construction: `call` is a single slice.
    """

    _rows_independent = True

    rank = None

    def _init_cropping(self, cropping, data_format):
        self.data_format = data_format
        self.cropping = cropping
        _check_amounts(self, self._pairs(), 'cropping')
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._spatial_axes = _utils.spatial_axes(self.rank, data_format)
        index = [slice(None)] * (self.rank + 2)
        for axis, (start, end) in zip(self._spatial_axes, self._pairs()):
            index[axis] = slice(start, -end if end else None)
        self._index = tuple(index)

    def _pairs(self):
        return self.cropping

    def call(self, inputs):
        return inputs[self._index]

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        for position, (axis, (start, end)) in enumerate(zip(self._spatial_axes,
                                                            self._pairs())):
            size = input_shape[axis]
            if size is None:
                continue
            # Cropping a whole axis leaves an empty one (length 0), as in Keras 2.2.4;
            # cropping more than the axis holds has no meaning.
            if size - start - end < 0:
                raise ValueError(_utils.describe(self) + 'cropping ' + str(self._pairs()) +
                                 ' removes more than the ' + str(size) + ' steps of spatial '
                                 'axis ' + str(position) + ' of an input of shape ' +
                                 str(tuple(input_shape)) + '.')
            output_shape[axis] = size - start - end
        return tuple(output_shape)

    def get_config(self):
        config = {'cropping': self.cropping, 'data_format': self.data_format}
        base_config = super(_Cropping, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Cropping1D(_Cropping):
    """Cropping layer for 1D inputs (e.g. temporal sequences): trims axis 1.

    # Arguments
        cropping: integer (the same amount at both ends) or tuple of 2 integers, the number
            of steps trimmed at the start and at the end.

    # Input shape
        3D tensor `(batch, axis_to_crop, features)`.

    # Output shape
        3D tensor `(batch, cropped_axis, features)`.
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super(Cropping1D, self).__init__(**kwargs)
        self._init_cropping(_utils.normalize_tuple(self, cropping, 2, 'cropping', minimum=0),
                            'channels_last')

    def _pairs(self):
        return (self.cropping,)

    def get_config(self):
        config = super(Cropping1D, self).get_config()
        config.pop('data_format')
        return config


class Cropping2D(_Cropping):
    """Cropping layer for 2D inputs (e.g. pictures): trims rows and columns.

    # Arguments
        cropping: integer (the same symmetric cropping for height and width), tuple of 2
            integers `(symmetric_height_crop, symmetric_width_crop)`, or tuple of 2 tuples of
            2 integers `((top_crop, bottom_crop), (left_crop, right_crop))`.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.

    # Input shape
        4D tensor `(batch, rows, cols, channels)`, or `(batch, channels, rows, cols)`.

    # Output shape
        4D tensor `(batch, cropped_rows, cropped_cols, channels)` (or channels first).

    # Example
    ```python
        model = Sequential()
        model.add(Cropping2D(cropping=((2, 2), (4, 4)), input_shape=(28, 28, 3)))
        # model.output_shape == (None, 24, 20, 3)
    ```
    """

    rank = 2

    @legacy_spatial_support
    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super(Cropping2D, self).__init__(**kwargs)
        self._init_cropping(_normalize_pairs(self, cropping, 2, 'cropping'),
                            _utils.normalize_data_format(self, data_format))


class Cropping3D(_Cropping):
    """Cropping layer for 3D inputs (e.g. spatial or spatio-temporal volumes).

    # Arguments
        cropping: integer, tuple of 3 integers (symmetric cropping per axis), or tuple of 3
            tuples of 2 integers `((left_dim1_crop, right_dim1_crop), (left_dim2_crop,
            right_dim2_crop), (left_dim3_crop, right_dim3_crop))`.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.

    # Input shape
        5D tensor `(batch, dim1, dim2, dim3, channels)`, or `(batch, channels, dim1, dim2,
        dim3)`.

    # Output shape
        5D tensor with cropped spatial axes.
    """

    rank = 3

    @legacy_spatial_support
    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super(Cropping3D, self).__init__(**kwargs)
        self._init_cropping(_normalize_pairs(self, cropping, 3, 'cropping'),
                            _utils.normalize_data_format(self, data_format))
