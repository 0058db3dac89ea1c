"""Subclassed models (`class MLP(Model)` with layers made in `__init__` and a `call` method):
their inputs and outputs are set from the first data they see, as Keras 2.2.4 does.

Such a model has no inputs when it is made. The first `fit`, `evaluate`, `predict` or
`*_on_batch` makes one `Input` per input array (named `input_1`, `input_2`, ..., batch size
left open, the other dimensions fixed by the data) and calls the model's `call` on them: the
layers called there form the model's graph, which trains and predicts like a functional one.
Outputs are named `output_1`, `output_2`, ... `model.layers` lists the layers set as
attributes of the model, in the order they were set (then any other layer the call used), as
in Keras 2.2.4, so weights are saved and loaded in that order. Such a model has no
configuration: `get_config` and `save` raise `NotImplementedError`.
"""
import numpy as np

from .. import backend as K
from .._common.generic_utils import to_list, unpack_singleton
from .base_layer import Layer
from .input_layer import Input, InputLayer


def tracked_layers(model):
    """The layers held by `model`'s attributes (or in lists and tuples there), in the order the
    attributes were set."""
    found = []
    seen = set()

    def add(value):
        if isinstance(value, Layer) and value is not model and id(value) not in seen:
            seen.add(id(value))
            found.append(value)

    for name, value in list(vars(model).items()):
        if isinstance(value, (list, tuple)) and not name.startswith('_'):
            # Private lists are the model's own bookkeeping (`_layers`, `_output_layers`).
            for item in value:
                add(item)
        else:
            add(value)
    return found


def _input_spec_of(array, index):
    """The batch shape and dtype of the `Input` fed with `array` (or standing for the symbolic
    tensor `array`)."""
    if isinstance(array, K.KerasTensor):
        return tuple(array._keras_shape), array.dtype
    if isinstance(array, (list, tuple)):
        array = np.asarray(array)
        if array.ndim == 1:
            array = np.expand_dims(array, 1)
    shape = tuple(getattr(array, 'shape', ()))
    if not shape:
        raise ValueError('Input ' + str(index + 1) + ' of a subclassed model must be an array '
                         'with a batch axis; got: ' + repr(array)[:100])
    batch_shape = (None,) + tuple(shape[1:]) if len(shape) > 1 else (None, 1)
    dtype = str(getattr(array, 'dtype', K.floatx()))
    dtype = dtype.replace('torch.', '')
    if not (dtype.startswith('int') or dtype.startswith('uint') or dtype == 'bool'):
        dtype = K.floatx()
    return batch_shape, dtype


def set_inputs_from_data(model, x):
    """Gives a subclassed `model` inputs shaped like the data `x` and the outputs of its `call`
    on them, then makes it a graph of the layers called (see the module docstring).

    # Arguments
        model: a subclassed model without inputs.
        x: the input data: an array or a list of arrays (one per input of `call`), or the
            symbolic tensor(s) the model is called on (it gets inputs of their shapes).

    # Raises
        ValueError: when `x` is `None` or a dict (the model has no input names yet).
    """
    if x is None:
        raise ValueError('This model has not yet been built. Build the model first by calling '
                         'it on data (`fit`, `predict`, ...).')
    if isinstance(x, dict):
        raise ValueError('A subclassed model has no input names before it is built: pass its '
                         'inputs as an array or a list of arrays, not a dict (got keys ' +
                         str(sorted(x)) + ').')
    # As in Keras 2.2.4, a list holds one array per input.
    arrays = list(x) if isinstance(x, (list, tuple)) else [x]
    inputs = []
    for index, array in enumerate(arrays):
        batch_shape, dtype = _input_spec_of(array, index)
        inputs.append(Input(batch_shape=batch_shape, dtype=dtype,
                            name='input_' + str(index + 1)))
    if model._expects_training_arg:
        outputs = model.call(unpack_singleton(inputs), training=None)
    else:
        outputs = model.call(unpack_singleton(inputs))
    outputs = to_list(outputs)
    trainable = model.trainable
    expects = (model._expects_training_arg, model._expects_mask_arg)
    model._init_graph_network(inputs, outputs, name=model.name)
    model.trainable = trainable
    model._expects_training_arg, model._expects_mask_arg = expects
    model._is_subclassed_model = True
    model.output_names = ['output_' + str(index + 1) for index in range(len(outputs))]
    attributes = tracked_layers(model)
    called = [layer for layer in model._layers
              if not isinstance(layer, InputLayer) and layer not in attributes]
    model._layers = attributes + called

