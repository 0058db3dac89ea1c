"""`InputLayer` and `Input()`: the entry points of a functional model."""
from .. import backend as K
from .._common.generic_utils import unpack_singleton
from .base_layer import Layer
from .node import Node
from .shape_arguments import checked_shape, checked_size


class InputLayer(Layer):
    """The layer behind `Input()`: it holds the model's symbolic input tensor.

    # Arguments
        input_shape: shape tuple without the batch axis.
        batch_size: optional fixed batch size.
        batch_input_shape: shape tuple with the batch axis (instead of the two above).
        dtype: dtype name (default `K.floatx()`).
        input_tensor: an existing symbolic tensor to use as the input.
        sparse: whether the input is sparse.
        name: layer name (default `input_N`).
    """

    _rows_independent = True

    def __init__(self, input_shape=None, batch_size=None, batch_input_shape=None, dtype=None,
                 input_tensor=None, sparse=False, name=None):
        if not name:
            name = 'input_' + str(K.get_uid('input'))
        super(InputLayer, self).__init__(dtype=dtype, name=name)
        self.trainable = False
        self.built = True
        self.sparse = sparse

        if input_shape is not None and batch_input_shape is not None:
            raise ValueError('Only provide the input_shape OR batch_input_shape argument to '
                             'InputLayer, not both at the same time.')
        owner = 'InputLayer ' + name
        if input_tensor is not None and batch_input_shape is None:
            batch_input_shape = tuple(K.int_shape(input_tensor))
        elif batch_input_shape is not None:
            batch_input_shape = checked_shape(batch_input_shape, 'batch_input_shape', owner)
        if batch_input_shape is None:
            if input_shape is None:
                raise ValueError('An Input layer should be passed either a `batch_input_shape` '
                                 'or an `input_shape`.')
            batch_input_shape = ((checked_size(batch_size, 'batch_size', owner),) +
                                 checked_shape(input_shape, 'input_shape', owner))
        self.batch_input_shape = batch_input_shape
        self.dtype = dtype or K.floatx()

        # A concrete tensor (a variable, say) is the input's value, as in Keras 2 where such an
        # input was not fed: the graph gets a symbolic tensor for it, and runs read the value.
        self.value = None
        if input_tensor is not None and not isinstance(input_tensor, K.KerasTensor):
            self.value = input_tensor
            input_tensor = K.placeholder(shape=batch_input_shape, dtype=self.dtype,
                                         sparse=sparse, name=self.name)
            self.is_placeholder = False
        elif input_tensor is None:
            input_tensor = K.placeholder(shape=batch_input_shape, dtype=self.dtype,
                                         sparse=sparse, name=self.name)
            self.is_placeholder = True
        else:
            self.is_placeholder = False
        input_tensor._keras_shape = batch_input_shape
        input_tensor._uses_learning_phase = False
        input_tensor._keras_history = (self, 0, 0)
        Node(self, inbound_layers=[], node_indices=[], tensor_indices=[],
             input_tensors=[input_tensor], output_tensors=[input_tensor], input_masks=[None],
             output_masks=[None], input_shapes=[batch_input_shape],
             output_shapes=[batch_input_shape])

    def get_config(self):
        return {'batch_input_shape': self.batch_input_shape, 'dtype': self.dtype,
                'sparse': self.sparse, 'name': self.name}


def Input(shape=None, batch_shape=None, name=None, dtype=None, sparse=False, tensor=None):
    """Instantiates a symbolic input tensor for a functional model.

    # Arguments
        shape: shape tuple without the batch axis, e.g. `(32,)`.
        batch_shape: shape tuple with the batch axis, e.g. `(10, 32)`.
        name: optional name (unique within a model).
        dtype: dtype name (default `K.floatx()`).
        sparse: whether the placeholder is sparse.
        tensor: optional existing symbolic tensor to wrap.

    # Returns
        A symbolic tensor.

    # Raises
        TypeError: for a `shape` or `batch_shape` that is not a tuple (or list) of ints and
            `None`s, e.g. `shape=784` (write `shape=(784,)`).
        ValueError: for a size that is not a positive whole number, e.g. `shape=(-3, 4)`.
    """
    if not batch_shape and tensor is None:
        if shape is None:
            raise ValueError('Please provide to Input either a `shape` or a `batch_shape` '
                             'argument. Note that `shape` does not include the batch '
                             'dimension.')
    if shape is not None and not batch_shape:
        batch_shape = (None,) + checked_shape(shape, 'shape', 'Input')
    elif batch_shape is not None:
        batch_shape = checked_shape(batch_shape, 'batch_shape', 'Input')
    layer = InputLayer(batch_input_shape=batch_shape, name=name, dtype=dtype or K.floatx(),
                       sparse=sparse, input_tensor=tensor)
    return unpack_singleton(layer._inbound_nodes[0].output_tensors)
