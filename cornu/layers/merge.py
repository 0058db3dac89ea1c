"""Layers that merge a list of inputs into one tensor: Add, Subtract, Multiply, Average,
Maximum, Minimum, Concatenate, Dot, and their functional forms."""
from .. import backend as K
from .._common import layer_arguments
from ..engine.base_layer import Layer


def _and_masks(masks):
    """Element-wise logical AND of a list of boolean masks (the one mask if only one)."""
    if len(masks) == 1:
        return masks[0]
    return K.all(K.stack(masks, axis=0), axis=0)


def _check_mask_arguments(inputs, mask):
    if not isinstance(mask, (list, tuple)):
        raise ValueError('`mask` should be a list.')
    if not isinstance(inputs, (list, tuple)):
        raise ValueError('`inputs` should be a list.')
    if len(mask) != len(inputs):
        raise ValueError('The lists `inputs` and `mask` should have the same length.')


class _Merge(Layer):
    """Base class of the element-wise merge layers.

    Inputs of different ranks are broadcast as Keras 2 does: the static shapes are aligned on
    their last axes (a size of 1 broadcasts), and at run time a lower-rank input gets size-1
    axes inserted after its batch axis until the ranks match.

    # Arguments
        **kwargs: standard layer keyword arguments.
    """

    _rows_independent = True

    def __init__(self, **kwargs):
        super(_Merge, self).__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    def _merge_function(self, inputs):
        raise NotImplementedError

    def _compute_elemwise_op_output_shape(self, shape1, shape2):
        """The shape of an element-wise operation between two shapes (without batch axis).

        # Arguments
            shape1: tuple or `None` (unknown).
            shape2: tuple or `None` (unknown).

        # Returns
            The broadcast shape, a tuple, or `None` if either shape is unknown.

        # Raises
            ValueError: if the shapes cannot be broadcast together.
        """
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            return self._compute_elemwise_op_output_shape(shape2, shape1)
        if not shape2:
            return tuple(shape1)
        output_shape = list(shape1[:-len(shape2)])
        for i, j in zip(shape1[-len(shape2):], shape2):
            if i is None or j is None:
                output_shape.append(None)
            elif i == 1:
                output_shape.append(j)
            elif j == 1:
                output_shape.append(i)
            else:
                if i != j:
                    raise ValueError('Operands could not be broadcast together with shapes ' +
                                     str(shape1) + ' ' + str(shape2))
                output_shape.append(i)
        return tuple(output_shape)

    def _check_list(self, input_shape):
        if not isinstance(input_shape, list):
            raise ValueError('A merge layer should be called on a list of inputs. Layer ' +
                             self.name + ' (' + self.__class__.__name__ + ') got an input of '
                             'shape ' + str(input_shape) + '.')
        if len(input_shape) < 2:
            raise ValueError('A merge layer should be called on a list of at least 2 inputs. '
                             'Got ' + str(len(input_shape)) + ' inputs (layer ' + self.name +
                             ').')

    def _batch_sizes(self, input_shape):
        return set(s[0] for s in input_shape if s is not None and len(s)) - set([None])

    def _elemwise_shape(self, input_shape):
        """The broadcast shape of all inputs, without the batch axis; errors name the layer."""
        output_shape = None if input_shape[0] is None else tuple(input_shape[0][1:])
        try:
            for shape in input_shape[1:]:
                output_shape = self._compute_elemwise_op_output_shape(
                    output_shape, None if shape is None else tuple(shape[1:]))
        except ValueError as error:
            raise ValueError(str(error) + ' in layer ' + self.name + ' (' +
                             self.__class__.__name__ + '), called on inputs of shapes ' +
                             str(input_shape) + '.') from error
        return output_shape

    def build(self, input_shape):
        # Only validates the shapes: merge layers have no weights.
        self._check_list(input_shape)
        if len(self._batch_sizes(input_shape)) > 1:
            raise ValueError('Can not merge tensors with different batch sizes. Got tensors '
                             'with shapes : ' + str(input_shape) + ' (layer ' + self.name +
                             ').')
        self._elemwise_shape(input_shape)
        ranks = set(len(s) for s in input_shape if s is not None)
        self._reshape_required = None in input_shape or len(ranks) != 1
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError('A merge layer should be called on a list of inputs (layer ' +
                             self.name + ').')
        if self._reshape_required:
            ranks = [K.ndim(x) for x in inputs]
            max_rank = max(ranks)
            if min(ranks) != max_rank:
                expanded = []
                for x, rank in zip(inputs, ranks):
                    for _ in range(max_rank - rank):
                        x = K.expand_dims(x, 1)
                    expanded.append(x)
                inputs = expanded
        return self._merge_function(inputs)

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        output_shape = self._elemwise_shape(input_shape)
        if output_shape is None:
            return None
        batch_sizes = self._batch_sizes(input_shape)
        batch_size = batch_sizes.pop() if len(batch_sizes) == 1 else None
        return (batch_size,) + tuple(output_shape)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        _check_mask_arguments(inputs, mask)
        masks = [m for m in mask if m is not None]
        if not masks:
            return None
        return _and_masks(masks)

    def _output_dtype(self, input_list):
        return input_list[0].dtype


class Add(_Merge):
    """Layer that adds a list of inputs.

    It takes as input a list of tensors, all of the same shape, and returns a single tensor
    (also of the same shape).

    # Examples

    ```python
    input1 = cornu.layers.Input(shape=(16,))
    x1 = cornu.layers.Dense(8, activation='relu')(input1)
    input2 = cornu.layers.Input(shape=(32,))
    x2 = cornu.layers.Dense(8, activation='relu')(input2)
    added = cornu.layers.Add()([x1, x2])  # equivalent to add([x1, x2])
    out = cornu.layers.Dense(4)(added)
    model = cornu.models.Model(inputs=[input1, input2], outputs=out)
    ```
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


class Subtract(_Merge):
    """Layer that subtracts two inputs.

    It takes as input a list of exactly two tensors of the same shape and returns a single
    tensor, `inputs[0] - inputs[1]`, also of the same shape.

    # Examples

    ```python
    input1 = cornu.layers.Input(shape=(16,))
    x1 = cornu.layers.Dense(8, activation='relu')(input1)
    input2 = cornu.layers.Input(shape=(32,))
    x2 = cornu.layers.Dense(8, activation='relu')(input2)
    subtracted = cornu.layers.Subtract()([x1, x2])  # equivalent to subtract([x1, x2])
    out = cornu.layers.Dense(4)(subtracted)
    model = cornu.models.Model(inputs=[input1, input2], outputs=out)
    ```
    """

    def _check_two_inputs(self, count):
        if count != 2:
            raise ValueError('A `Subtract` layer should be called on exactly 2 inputs. Layer ' +
                             self.name + ' got ' + str(count) + ' inputs.')

    def build(self, input_shape):
        super(Subtract, self).build(input_shape)
        self._check_two_inputs(len(input_shape))

    def compute_output_shape(self, input_shape):
        # Checked here too: a built layer called again on symbolic tensors gets its output
        # shape from this method, without `build` or `call`.
        output_shape = super(Subtract, self).compute_output_shape(input_shape)
        self._check_two_inputs(len(input_shape))
        return output_shape

    def _merge_function(self, inputs):
        self._check_two_inputs(len(inputs))
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Layer that multiplies (element-wise) a list of inputs.

    It takes as input a list of tensors, all of the same shape, and returns a single tensor
    (also of the same shape).
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output * x
        return output


class Average(_Merge):
    """Layer that averages a list of inputs.

    It takes as input a list of tensors, all of the same shape, and returns a single tensor
    (also of the same shape).
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / len(inputs)


class Maximum(_Merge):
    """Layer that computes the (element-wise) maximum of a list of inputs.

    It takes as input a list of tensors, all of the same shape, and returns a single tensor
    (also of the same shape).
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = K.maximum(output, x)
        return output


class Minimum(_Merge):
    """Layer that computes the (element-wise) minimum of a list of inputs.

    It takes as input a list of tensors, all of the same shape, and returns a single tensor
    (also of the same shape).
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = K.minimum(output, x)
        return output


class Concatenate(_Merge):
    """Layer that concatenates a list of inputs.

    It takes as input a list of tensors, all of the same shape except for the concatenation
    axis, and returns a single tensor, the concatenation of all inputs.

    # Arguments
        axis: axis along which to concatenate.
        **kwargs: standard layer keyword arguments.
    """

    def __init__(self, axis=-1, **kwargs):
        super(Concatenate, self).__init__(**kwargs)
        self.axis = layer_arguments.axis(self, 'axis', axis)
        self.supports_masking = True
        self._reshape_required = False

    def _check_shapes(self, input_shape):
        if all(shape is None for shape in input_shape):
            return
        mismatch = len(set(len(shape) for shape in input_shape)) > 1
        if not mismatch:
            rank = len(input_shape[0])
            if not -rank <= self.axis < rank:
                raise ValueError('Layer ' + self.name + ' (Concatenate): axis ' +
                                 str(self.axis) + ' is out of range for inputs of shapes ' +
                                 str(input_shape) + '.')
            axis = self.axis % rank
            for position in range(rank):
                if position == axis:
                    continue
                known = set(shape[position] for shape in input_shape) - set([None])
                if len(known) > 1:
                    mismatch = True
        if mismatch:
            raise ValueError('A `Concatenate` layer requires inputs with matching shapes '
                             'except for the concat axis. Got inputs shapes: %s (layer %s)'
                             % (input_shape, self.name))

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError('A `Concatenate` layer should be called on a list of at least 2 '
                             'inputs (layer ' + self.name + ').')
        self._check_shapes(input_shape)
        self.built = True

    def _merge_function(self, inputs):
        return K.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, list):
            raise ValueError('A `Concatenate` layer should be called on a list of inputs '
                             '(layer ' + self.name + ').')
        self._check_shapes(input_shape)
        output_shape = list(input_shape[0])
        axis = self.axis % len(output_shape)
        for position in range(len(output_shape)):
            if position == axis:
                sizes = [shape[axis] for shape in input_shape]
                output_shape[axis] = None if None in sizes else sum(sizes)
            elif output_shape[position] is None:
                # A size known from another input is the size of all.
                for shape in input_shape[1:]:
                    if shape[position] is not None:
                        output_shape[position] = shape[position]
                        break
        return tuple(output_shape)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        _check_mask_arguments(inputs, mask)
        if all(m is None for m in mask):
            return None
        # Keras 2 brings every mask to its input's rank (an absent mask is all ones, a mask
        # one axis short gets a trailing axis), concatenates along `axis` and reduces the
        # last axis with AND. The same result is computed from the masks reduced first,
        # which also works when masked and unmasked inputs meet on a non-last axis.
        rank = K.ndim(inputs[0])
        axis = self.axis % rank
        reduced = []
        for x, m in zip(inputs, mask):
            if m is None:
                reduced.append(None if axis == rank - 1 else
                               K.ones_like(x[..., 0], dtype='bool'))
            elif K.ndim(m) < K.ndim(x):
                reduced.append(K.cast(m, 'bool'))
            else:
                reduced.append(K.all(m, axis=-1))
        if axis == rank - 1:
            return _and_masks([m for m in reduced if m is not None])
        return K.concatenate(reduced, axis=axis)

    def get_config(self):
        config = {'axis': self.axis}
        base_config = super(Concatenate, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


class Dot(_Merge):
    """Layer that computes a dot product between samples in two tensors.

    E.g. applied to a list of two tensors `a` and `b` of shape `(batch_size, n)`, the output
    is a tensor of shape `(batch_size, 1)` where each entry `i` is the dot product between
    `a[i]` and `b[i]`.

    # Arguments
        axes: integer or tuple of integers, the axis or axes along which to take the dot
            product.
        normalize: whether to L2-normalize samples along the dot product axis before taking
            the dot product. If set to True, the output of the dot product is the cosine
            proximity between the two samples.
        **kwargs: standard layer keyword arguments.
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super(Dot, self).__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                layer_arguments.refuse(self, 'axes', axes, 'an integer or a list of two '
                                       'integers (one axis per input)')
            layer_arguments.axis(self, 'axes', axes, allow_list=True)
        else:
            layer_arguments.axis(self, 'axes', axes)
        self.axes = axes
        self.normalize = normalize
        self.supports_masking = True
        self._reshape_required = False

    def _static_axes(self, shape1, shape2):
        if isinstance(self.axes, int):
            if self.axes < 0:
                return [self.axes % len(shape1), self.axes % len(shape2)]
            return [self.axes] * 2
        return list(self.axes)

    def _check_pair(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ValueError('A `Dot` layer should be called on a list of 2 inputs (layer ' +
                             self.name + ').')

    def build(self, input_shape):
        self._check_pair(input_shape)
        shape1, shape2 = input_shape
        if shape1 is not None and shape2 is not None:
            axes = self._static_axes(shape1, shape2)
            if shape1[axes[0]] != shape2[axes[1]]:
                raise ValueError('Dimension incompatibility %s != %s. Layer shapes: %s, %s '
                                 '(layer %s)' % (shape1[axes[0]], shape2[axes[1]], shape1,
                                                 shape2, self.name))
        self.built = True

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise ValueError('A `Dot` layer should be called on exactly 2 inputs (layer ' +
                             self.name + ').')
        x1, x2 = inputs
        if isinstance(self.axes, int):
            if self.axes < 0:
                axes = [self.axes % K.ndim(x1), self.axes % K.ndim(x2)]
            else:
                axes = [self.axes] * 2
        else:
            axes = [axis % K.ndim(x) if axis < 0 else axis
                    for axis, x in zip(self.axes, inputs)]
        if self.normalize:
            x1 = K.l2_normalize(x1, axis=axes[0])
            x2 = K.l2_normalize(x2, axis=axes[1])
        return K.batch_dot(x1, x2, axes)

    def compute_output_shape(self, input_shape):
        self._check_pair(input_shape)
        shape1 = list(input_shape[0])
        shape2 = list(input_shape[1])
        axes = self._static_axes(shape1, shape2)
        shape1.pop(axes[0])
        shape2.pop(axes[1])
        shape2.pop(0)
        output_shape = shape1 + shape2
        if len(output_shape) == 1:
            output_shape += [1]
        return tuple(output_shape)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = {'axes': self.axes, 'normalize': self.normalize}
        base_config = super(Dot, self).get_config()
        return dict(list(base_config.items()) + list(config.items()))


def add(inputs, **kwargs):
    """Functional interface to the `Add` layer.

    # Arguments
        inputs: a list of input tensors (at least 2).
        **kwargs: standard layer keyword arguments.

    # Returns
        A tensor, the sum of the inputs.
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional interface to the `Subtract` layer.

    # Arguments
        inputs: a list of input tensors (exactly 2).
        **kwargs: standard layer keyword arguments.

    # Returns
        A tensor, the difference of the inputs.
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional interface to the `Multiply` layer.

    # Arguments
        inputs: a list of input tensors (at least 2).
        **kwargs: standard layer keyword arguments.

    # Returns
        A tensor, the element-wise product of the inputs.
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional interface to the `Average` layer.

    # Arguments
        inputs: a list of input tensors (at least 2).
        **kwargs: standard layer keyword arguments.

    # Returns
        A tensor, the average of the inputs.
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional interface to the `Maximum` layer.

    # Arguments
        inputs: a list of input tensors (at least 2).
        **kwargs: standard layer keyword arguments.

    # Returns
        A tensor, the element-wise maximum of the inputs.
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional interface to the `Minimum` layer.

    # Arguments
        inputs: a list of input tensors (at least 2).
        **kwargs: standard layer keyword arguments.

    # Returns
        A tensor, the element-wise minimum of the inputs.
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional interface to the `Concatenate` layer.

    # Arguments
        inputs: a list of input tensors (at least 2).
        axis: concatenation axis.
        **kwargs: standard layer keyword arguments.

    # Returns
        A tensor, the concatenation of the inputs along `axis`.
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """Functional interface to the `Dot` layer.

    # Arguments
        inputs: a list of input tensors (exactly 2).
        axes: integer or tuple of integers, the axis or axes along which to take the dot
            product.
        normalize: whether to L2-normalize samples along the dot product axis before taking
            the dot product (the output is then the cosine proximity).
        **kwargs: standard layer keyword arguments.

    # Returns
        A tensor, the dot product of the samples from the inputs.
    """
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
