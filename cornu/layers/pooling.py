"""Pooling layers: max and average pooling over windows (1D, 2D, 3D) and global pooling.

Output sizes follow Keras 2.2.4 (TensorFlow's arithmetic): `ceil((size - pool + 1) / stride)`
with 'valid' padding, `ceil(size / stride)` with 'same'. Average pooling with 'same' padding
averages each window over its real entries only (the padding is not counted), as TensorFlow.
"""
from .. import backend as K
from ..engine.base_layer import Layer
from ..engine.input_spec import InputSpec
from .._common import conv_utils
from . import _conv_checks as _utils
from ._legacy import (legacy_pooling1d_support, legacy_pooling_support,
                                    legacy_spatial_support)


class _Pooling(Layer):
    """Abstract N-D pooling layer (shared logic of `_Pooling1D`, `_Pooling2D`, `_Pooling3D`).

    # Arguments
        pool_size: integer or tuple of `rank` integers, the window size.
        strides: integer, tuple of `rank` integers, or `None` (the default: `pool_size`).
        padding: `"valid"` or `"same"` (case-insensitive).
        data_format: `"channels_last"` or `"channels_first"`.
    """

    _rows_independent = True

    rank = None

    def __init__(self, pool_size, strides, padding, data_format, **kwargs):
        super(_Pooling, self).__init__(**kwargs)
        if strides is None:
            strides = pool_size
        self.pool_size = _utils.normalize_tuple(self, pool_size, self.rank, 'pool_size')
        self.strides = _utils.normalize_tuple(self, strides, self.rank, 'strides')
        self.padding = _utils.normalize_padding(self, padding)
        self.data_format = _utils.normalize_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._spatial_axes = _utils.spatial_axes(self.rank, self.data_format)

    def build(self, input_shape):
        self._output_space(tuple(input_shape))  # a window larger than the input fails here
        self.built = True

    def _output_space(self, input_shape):
        """Spatial output sizes for a full input shape; a `ValueError` naming the layer when
        the input is too small."""
        new_space = tuple(
            conv_utils.conv_output_length(input_shape[axis], self.pool_size[i], self.padding,
                                          self.strides[i])
            for i, axis in enumerate(self._spatial_axes))
        _utils.check_output_size(self, input_shape, new_space, 'pool_size', self.pool_size,
                                 self.padding, self.strides)
        return new_space

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        new_space = self._output_space(input_shape)
        output_shape = list(input_shape)
        for axis, size in zip(self._spatial_axes, new_space):
            output_shape[axis] = size
        return tuple(output_shape)

    def _pooling_function(self, inputs, pool_size, strides, padding, data_format):
        """The pooling itself (Keras 2's hook for subclasses)."""
        raise NotImplementedError

    def _pool(self, inputs):
        return self._pooling_function(inputs=inputs, pool_size=self.pool_size,
                                      strides=self.strides, padding=self.padding,
                                      data_format=self.data_format)

    def call(self, inputs):
        try:
            return self._pool(inputs)
        except NotImplementedError:
            raise
        except Exception:
            _utils.reraise_explained(self, inputs)
            raise

    def _commutes_with_relu(self):
        """Whether `call(relu(x)) == relu(call(x))`, values and gradients: max pooling as
        this library computes it (not a subclass's own pooling). An execution plan then
        applies a preceding convolution's ReLU to this layer's output, a quarter of the
        data for 2x2 windows (see `ExecutionPlan`)."""
        cls = type(self)
        return (cls._pooling_function in _MAX_POOLING_FUNCTIONS and cls.call is _Pooling.call and
                cls._pool in (_Pooling._pool, _Pooling1D._pool))

    def get_config(self):
        config = {'pool_size': self.pool_size, 'padding': self.padding,
                  'strides': self.strides, 'data_format': self.data_format}
        base_config = super(_Pooling, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class _Pooling1D(_Pooling):
    """Abstract 1D pooling layer, run as 2D pooling over a dummy axis of length 1.

    Subclasses implement `_pooling_function(inputs, pool_size, strides, padding,
    data_format)` on the 4D tensor, as in Keras 2.
    """

    rank = 1

    def __init__(self, pool_size=2, strides=None, padding='valid',
                 data_format='channels_last', **kwargs):
        super(_Pooling1D, self).__init__(pool_size, strides, padding, data_format, **kwargs)
        self._dummy_axis = 2 if self.data_format == 'channels_last' else 3
        self._pool_size_2d = self.pool_size + (1,)
        self._strides_2d = self.strides + (1,)

    def _pool(self, inputs):
        outputs = self._pooling_function(inputs=K.expand_dims(inputs, self._dummy_axis),
                                         pool_size=self._pool_size_2d,
                                         strides=self._strides_2d, padding=self.padding,
                                         data_format=self.data_format)
        return K.squeeze(outputs, self._dummy_axis)

    def get_config(self):
        # Keras 2.2.4 lists the 1D pooling arguments in this order.
        config = {'strides': self.strides, 'pool_size': self.pool_size,
                  'padding': self.padding, 'data_format': self.data_format}
        base_config = Layer.get_config(self)
        return dict(list(base_config.items()) + list(config.items()))


class MaxPooling1D(_Pooling1D):
    """Max pooling for temporal data.

    # Arguments
        pool_size: integer, the size of the max pooling windows.
        strides: integer, or `None` (the default: `pool_size`), the step between windows.
        padding: `"valid"` or `"same"` (case-insensitive).
        data_format: `"channels_last"` (default, `(batch, steps, features)`) or
            `"channels_first"` (`(batch, features, steps)`).

    # Input shape
        3D tensor `(batch, steps, features)` (or `(batch, features, steps)`).

    # Output shape
        3D tensor `(batch, downsampled_steps, features)` (or channels first).
    """

    @legacy_pooling1d_support
    def __init__(self, pool_size=2, strides=None, padding='valid',
                 data_format='channels_last', **kwargs):
        super(MaxPooling1D, self).__init__(pool_size, strides, padding, data_format, **kwargs)

    def _pooling_function(self, inputs, pool_size, strides, padding, data_format):
        return K.pool2d(inputs, pool_size, strides, padding, data_format, pool_mode='max')


class AveragePooling1D(_Pooling1D):
    """Average pooling for temporal data.

    # Arguments
        pool_size: integer, the size of the average pooling windows.
        strides: integer, or `None` (the default: `pool_size`), the step between windows.
        padding: `"valid"` or `"same"` (case-insensitive); 'same' windows average their
            real entries only.
        data_format: `"channels_last"` (default, `(batch, steps, features)`) or
            `"channels_first"` (`(batch, features, steps)`).

    # Input shape
        3D tensor `(batch, steps, features)` (or `(batch, features, steps)`).

    # Output shape
        3D tensor `(batch, downsampled_steps, features)` (or channels first).
    """

    @legacy_pooling1d_support
    def __init__(self, pool_size=2, strides=None, padding='valid',
                 data_format='channels_last', **kwargs):
        super(AveragePooling1D, self).__init__(pool_size, strides, padding, data_format,
                                               **kwargs)

    def _pooling_function(self, inputs, pool_size, strides, padding, data_format):
        return K.pool2d(inputs, pool_size, strides, padding, data_format, pool_mode='avg')


class _Pooling2D(_Pooling):
    """Abstract 2D pooling layer; subclasses implement `_pooling_function(inputs, pool_size,
    strides, padding, data_format)`, as in Keras 2."""

    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding='valid', data_format=None,
                 **kwargs):
        super(_Pooling2D, self).__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling2D):
    """Max pooling for spatial data.

    # Arguments
        pool_size: integer or tuple of 2 integers, the window size (e.g. `(2, 2)` halves
            both spatial sizes).
        strides: integer, tuple of 2 integers, or `None` (the default: `pool_size`).
        padding: `"valid"` or `"same"` (case-insensitive).
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.

    # Input shape
        4D tensor `(batch, rows, cols, channels)`, or `(batch, channels, rows, cols)`.

    # Output shape
        4D tensor `(batch, pooled_rows, pooled_cols, channels)` (or channels first).
    """

    @legacy_pooling_support
    def __init__(self, pool_size=(2, 2), strides=None, padding='valid', data_format=None,
                 **kwargs):
        super(MaxPooling2D, self).__init__(pool_size, strides, padding, data_format, **kwargs)

    def _pooling_function(self, inputs, pool_size, strides, padding, data_format):
        return K.pool2d(inputs, pool_size, strides, padding, data_format, pool_mode='max')


class AveragePooling2D(_Pooling2D):
    """Average pooling for spatial data.

    # Arguments
        pool_size: integer or tuple of 2 integers, the window size.
        strides: integer, tuple of 2 integers, or `None` (the default: `pool_size`).
        padding: `"valid"` or `"same"` (case-insensitive); 'same' windows average their
            real entries only.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.

    # Input shape
        4D tensor `(batch, rows, cols, channels)`, or `(batch, channels, rows, cols)`.

    # Output shape
        4D tensor `(batch, pooled_rows, pooled_cols, channels)` (or channels first).
    """

    @legacy_pooling_support
    def __init__(self, pool_size=(2, 2), strides=None, padding='valid', data_format=None,
                 **kwargs):
        super(AveragePooling2D, self).__init__(pool_size, strides, padding, data_format,
                                               **kwargs)

    def _pooling_function(self, inputs, pool_size, strides, padding, data_format):
        return K.pool2d(inputs, pool_size, strides, padding, data_format, pool_mode='avg')


class _Pooling3D(_Pooling):
    """Abstract 3D pooling layer; subclasses implement `_pooling_function(inputs, pool_size,
    strides, padding, data_format)`, as in Keras 2."""

    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding='valid', data_format=None,
                 **kwargs):
        super(_Pooling3D, self).__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_Pooling3D):
    """Max pooling for 3D (spatial or spatio-temporal) data.

    # Arguments
        pool_size: integer or tuple of 3 integers, the window size.
        strides: integer, tuple of 3 integers, or `None` (the default: `pool_size`).
        padding: `"valid"` or `"same"` (case-insensitive).
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.

    # Input shape
        5D tensor `(batch, dim1, dim2, dim3, channels)`, or `(batch, channels, dim1, dim2,
        dim3)`.

    # Output shape
        5D tensor with pooled spatial axes.
    """

    @legacy_pooling_support
    def __init__(self, pool_size=(2, 2, 2), strides=None, padding='valid', data_format=None,
                 **kwargs):
        super(MaxPooling3D, self).__init__(pool_size, strides, padding, data_format, **kwargs)

    def _pooling_function(self, inputs, pool_size, strides, padding, data_format):
        return K.pool3d(inputs, pool_size, strides, padding, data_format, pool_mode='max')


class AveragePooling3D(_Pooling3D):
    """Average pooling for 3D (spatial or spatio-temporal) data.

    # Arguments
        pool_size: integer or tuple of 3 integers, the window size.
        strides: integer, tuple of 3 integers, or `None` (the default: `pool_size`).
        padding: `"valid"` or `"same"` (case-insensitive); 'same' windows average their
            real entries only.
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.

    # Input shape
        5D tensor `(batch, dim1, dim2, dim3, channels)`, or `(batch, channels, dim1, dim2,
        dim3)`.

    # Output shape
        5D tensor with pooled spatial axes.
    """

    @legacy_pooling_support
    def __init__(self, pool_size=(2, 2, 2), strides=None, padding='valid', data_format=None,
                 **kwargs):
        super(AveragePooling3D, self).__init__(pool_size, strides, padding, data_format,
                                               **kwargs)

    def _pooling_function(self, inputs, pool_size, strides, padding, data_format):
        return K.pool3d(inputs, pool_size, strides, padding, data_format, pool_mode='avg')


# Max pooling commutes with the ReLU (both keep the largest value; a NaN wins both): what
# `_Pooling._commutes_with_relu` looks for.
_MAX_POOLING_FUNCTIONS = (MaxPooling1D._pooling_function, MaxPooling2D._pooling_function,
                          MaxPooling3D._pooling_function)


class _GlobalPooling(Layer):
    """Abstract global pooling layer: reduces all spatial axes, keeping batch and channels.

    # Arguments
        data_format: `"channels_last"` or `"channels_first"`.
    """

    _rows_independent = True

    rank = None

    def __init__(self, data_format=None, **kwargs):
        super(_GlobalPooling, self).__init__(**kwargs)
        self.data_format = _utils.normalize_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._spatial_axes = list(_utils.spatial_axes(self.rank, self.data_format))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[_utils.channel_axis(self.data_format)])

    def call(self, inputs):
        raise NotImplementedError

    def get_config(self):
        config = {'data_format': self.data_format}
        base_config = super(_GlobalPooling, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class _GlobalPooling1D(_GlobalPooling):
    """Abstract global pooling layer for temporal data."""

    rank = 1

    def __init__(self, data_format='channels_last', **kwargs):
        super(_GlobalPooling1D, self).__init__(data_format, **kwargs)
        self._steps_axis = self._spatial_axes[0]


class _GlobalPooling2D(_GlobalPooling):
    """Abstract global pooling layer for spatial data."""

    rank = 2

    def __init__(self, data_format=None, **kwargs):
        super(_GlobalPooling2D, self).__init__(data_format, **kwargs)


class _GlobalPooling3D(_GlobalPooling):
    """Abstract global pooling layer for 3D data."""

    rank = 3

    def __init__(self, data_format=None, **kwargs):
        super(_GlobalPooling3D, self).__init__(data_format, **kwargs)


class GlobalAveragePooling1D(_GlobalPooling1D):
    """Global average pooling for temporal data.

    With a mask (e.g. from `Embedding(mask_zero=True)`), only the unmasked steps are
    averaged; the output carries no mask.

    # Arguments
        data_format: `"channels_last"` (default, `(batch, steps, features)`) or
            `"channels_first"` (`(batch, features, steps)`).

    # Input shape
        3D tensor `(batch, steps, features)` (or `(batch, features, steps)`).

    # Output shape
        2D tensor `(batch, features)`.
    """

    @legacy_spatial_support
    def __init__(self, data_format='channels_last', **kwargs):
        super(GlobalAveragePooling1D, self).__init__(data_format, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        steps_axis = self._steps_axis
        if mask is None:
            return K.mean(inputs, axis=steps_axis)
        mask = K.cast(mask, K.dtype(inputs))
        mask = K.expand_dims(mask, 2 if steps_axis == 1 else 1)
        return K.sum(inputs * mask, axis=steps_axis) / K.sum(mask, axis=steps_axis)

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalMaxPooling1D(_GlobalPooling1D):
    """Global max pooling for temporal data.

    # Arguments
        data_format: `"channels_last"` (default, `(batch, steps, features)`) or
            `"channels_first"` (`(batch, features, steps)`).

    # Input shape
        3D tensor `(batch, steps, features)` (or `(batch, features, steps)`).

    # Output shape
        2D tensor `(batch, features)`.
    """

    @legacy_spatial_support
    def __init__(self, data_format='channels_last', **kwargs):
        super(GlobalMaxPooling1D, self).__init__(data_format, **kwargs)

    def call(self, inputs):
        return K.max(inputs, axis=self._steps_axis)


class GlobalAveragePooling2D(_GlobalPooling2D):
    """Global average pooling for spatial data.

    # Arguments
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.

    # Input shape
        4D tensor `(batch, rows, cols, channels)`, or `(batch, channels, rows, cols)`.

    # Output shape
        2D tensor `(batch, channels)`.
    """

    @legacy_spatial_support
    def __init__(self, data_format=None, **kwargs):
        super(GlobalAveragePooling2D, self).__init__(data_format, **kwargs)

    def call(self, inputs):
        return K.mean(inputs, axis=self._spatial_axes)


class GlobalMaxPooling2D(_GlobalPooling2D):
    """Global max pooling for spatial data.

    # Arguments
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.

    # Input shape
        4D tensor `(batch, rows, cols, channels)`, or `(batch, channels, rows, cols)`.

    # Output shape
        2D tensor `(batch, channels)`.
    """

    @legacy_spatial_support
    def __init__(self, data_format=None, **kwargs):
        super(GlobalMaxPooling2D, self).__init__(data_format, **kwargs)

    def call(self, inputs):
        return K.max(inputs, axis=self._spatial_axes)


class GlobalAveragePooling3D(_GlobalPooling3D):
    """Global average pooling for 3D data.

    # Arguments
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.

    # Input shape
        5D tensor `(batch, dim1, dim2, dim3, channels)`, or `(batch, channels, dim1, dim2,
        dim3)`.

    # Output shape
        2D tensor `(batch, channels)`.
    """

    @legacy_spatial_support
    def __init__(self, data_format=None, **kwargs):
        super(GlobalAveragePooling3D, self).__init__(data_format, **kwargs)

    def call(self, inputs):
        return K.mean(inputs, axis=self._spatial_axes)


class GlobalMaxPooling3D(_GlobalPooling3D):
    """Global max pooling for 3D data.

    # Arguments
        data_format: `"channels_last"` or `"channels_first"`; `None` means
            `K.image_data_format()`.

    # Input shape
        5D tensor `(batch, dim1, dim2, dim3, channels)`, or `(batch, channels, dim1, dim2,
        dim3)`.

    # Output shape
        2D tensor `(batch, channels)`.
    """

    @legacy_spatial_support
    def __init__(self, data_format=None, **kwargs):
        super(GlobalMaxPooling3D, self).__init__(data_format, **kwargs)

    def call(self, inputs):
        return K.max(inputs, axis=self._spatial_axes)


AvgPool1D = AveragePooling1D
MaxPool1D = MaxPooling1D
AvgPool2D = AveragePooling2D
MaxPool2D = MaxPooling2D
AvgPool3D = AveragePooling3D
MaxPool3D = MaxPooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
