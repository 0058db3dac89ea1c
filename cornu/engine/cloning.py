"""`clone_model`: a new model with the same architecture and freshly initialised weights."""
from .._common.generic_utils import to_list, unpack_singleton
from .. import backend as K
from .input_layer import Input, InputLayer
from .training import Model
from .sequential import Sequential


def _clone_layer(layer):
    return layer.__class__.from_config(layer.get_config())


def _clone_functional_model(model, input_tensors=None):
    layer_map = {}
    tensor_map = {}
    if input_tensors is None:
        input_layers = []
        input_tensors = []
        for layer in model._input_layers:
            input_tensor = Input(batch_shape=layer.batch_input_shape, dtype=layer.dtype,
                                 sparse=layer.sparse, name=layer.name)
            input_tensors.append(input_tensor)
            layer_map[layer] = input_tensor._keras_history[0]
    else:
        input_tensors = to_list(input_tensors)
        prepared = []
        for i, x in enumerate(input_tensors):
            if not K.is_keras_tensor(x):
                name = model._input_layers[i].name
                x = Input(tensor=x, name='input_wrapper_for_' + name)
            prepared.append(x)
        input_tensors = prepared
    for x, y in zip(model.inputs, input_tensors):
        tensor_map[id(x)] = (y, None)

    for depth in sorted(model._nodes_by_depth.keys(), reverse=True):
        for node in model._nodes_by_depth[depth]:
            layer = node.outbound_layer
            if layer not in layer_map:
                layer_map[layer] = _clone_layer(layer)
            new_layer = layer_map[layer]
            if isinstance(new_layer, InputLayer):
                continue
            if not all(id(x) in tensor_map for x in node.input_tensors):
                continue
            computed = [tensor_map[id(x)][0] for x in node.input_tensors]
            kwargs = dict(node.arguments or {})
            outputs = to_list(new_layer(unpack_singleton(computed), **kwargs))
            for x, y in zip(node.output_tensors, outputs):
                tensor_map[id(x)] = (y, None)

    output_tensors = []
    for x in model.outputs:
        if id(x) not in tensor_map:
            raise ValueError('Could not compute output ' + str(x))
        output_tensors.append(tensor_map[id(x)][0])
    return Model(input_tensors, output_tensors, name=model.name)


def _clone_sequential_model(model, input_tensors=None):
    layers = [_clone_layer(layer) for layer in model.layers]
    if input_tensors is None:
        return Sequential(layers=layers, name=model.name)
    input_tensors = to_list(input_tensors)
    if len(input_tensors) != 1:
        raise ValueError('To clone a `Sequential` model, we expect at most one tensor as part '
                         'of `input_tensors`.')
    x = input_tensors[0]
    if not K.is_keras_tensor(x):
        x = Input(tensor=x, name='input_wrapper_for_' + model.layers[0].name)
    input_layer = x._keras_history[0]
    return Sequential(layers=[input_layer] + layers, name=model.name)


def clone_model(model, input_tensors=None):
    """Clones a functional or Sequential model: same layers (new instances), new weights.

    # Arguments
        model: the model to clone.
        input_tensors: optional tensors to build the clone on (new `Input`s otherwise).

    # Returns
        The clone, with freshly initialised weights (copy them with `set_weights`).
    """
    if isinstance(model, Sequential):
        return _clone_sequential_model(model, input_tensors=input_tensors)
    return _clone_functional_model(model, input_tensors=input_tensors)
