"""Utilities about layers: the model summary, parameter counts, source inputs."""
import numpy as np

from .. import backend as K


def count_params(weights):
    """The number of scalars in a list of weights (each variable counted once)."""
    unique = {id(w): w for w in weights}.values()
    return int(sum(K.count_params(p) for p in unique))


def get_source_inputs(tensor, layer=None, node_index=None):
    """The input tensors (made by `Input`) that `tensor` was computed from.

    # Arguments
        tensor: a symbolic tensor.
        layer, node_index: start from this layer's node instead of the tensor's history.

    # Returns
        A list of symbolic tensors.
    """
    if not hasattr(tensor, '_keras_history') or tensor._keras_history is None:
        return [tensor]
    if layer is None or node_index:
        layer, node_index, _ = tensor._keras_history
    if not layer._inbound_nodes:
        return [tensor]
    node = layer._inbound_nodes[node_index]
    if not node.inbound_layers:
        return node.input_tensors
    source_tensors = []
    for i, x in enumerate(node.input_tensors):
        for found in get_source_inputs(x, node.inbound_layers[i], node.node_indices[i]):
            if all(found is not t for t in source_tensors):
                source_tensors.append(found)
    return source_tensors


def _is_sequential_like(model):
    """Keras 2's test: one node per depth, each with at most one inbound layer, and no layer
    called twice within this model (calls of a layer in other models do not count)."""
    if model.__class__.__name__ == 'Sequential' or not getattr(model, '_is_graph_network', True):
        return True
    nodes = set()
    for depth_nodes in model._nodes_by_depth.values():
        if len(depth_nodes) > 1 or (len(depth_nodes) == 1 and
                                    len(depth_nodes[0].inbound_layers) > 1):
            return False
        nodes.update(id(node) for node in depth_nodes)
    for layer in model.layers:
        if sum(1 for node in layer._inbound_nodes if id(node) in nodes) > 1:
            return False
    return True


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Prints a summary of a model, in Keras 2's layout.

    # Arguments
        model: a model.
        line_length: total width of the table (default 65, or 98 with connections).
        positions: relative or absolute end positions of the columns.
        print_fn: function called with each line (default `print`).
    """
    if print_fn is None:
        print_fn = print
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [.45, .85, 1.]
        if positions[-1] <= 1:
            positions = [int(line_length * p) for p in positions]
        to_display = ['Layer (type)', 'Output Shape', 'Param #']
    else:
        line_length = line_length or 98
        positions = positions or [.33, .55, .67, 1.]
        if positions[-1] <= 1:
            positions = [int(line_length * p) for p in positions]
        to_display = ['Layer (type)', 'Output Shape', 'Param #', 'Connected to']
        relevant_nodes = set()
        for nodes in model._nodes_by_depth.values():
            relevant_nodes.update(id(n) for n in nodes)

    def print_row(fields):
        line = ''
        for i in range(len(fields)):
            if i > 0:
                line = line[:-1] + ' '
            line += str(fields[i])
            line = line[:positions[i]]
            line += ' ' * (positions[i] - len(line))
        print_fn(line)

    print_fn('_' * line_length)
    print_row(to_display)
    print_fn('=' * line_length)

    def layer_output_shape(layer):
        try:
            return layer.output_shape
        except AttributeError:
            return 'multiple'
        except RuntimeError:
            return 'multiple'

    def print_layer(layer):
        name = layer.name
        cls_name = layer.__class__.__name__
        fields = [name + ' (' + cls_name + ')', layer_output_shape(layer), layer.count_params()]
        if sequential_like:
            print_row(fields)
            return
        connections = []
        for node in layer._inbound_nodes:
            if id(node) not in relevant_nodes:
                continue
            for i in range(len(node.inbound_layers)):
                connections.append(node.inbound_layers[i].name + '[' +
                                   str(node.node_indices[i]) + '][' +
                                   str(node.tensor_indices[i]) + ']')
        print_row(fields + [connections[0] if connections else ''])
        for connection in connections[1:]:
            print_row(['', '', '', connection])

    layers = model.layers
    for i, layer in enumerate(layers):
        print_layer(layer)
        print_fn('=' * line_length if i == len(layers) - 1 else '_' * line_length)

    if hasattr(model, '_collected_trainable_weights'):
        # The count is of the weights `compile` collected: warn when they no longer are the
        # trainable ones (a `trainable` flag changed after `compile`), as Keras 2 does.
        model._check_trainable_weights_consistency()
        trainable_count = count_params(model._collected_trainable_weights)
    else:
        trainable_count = count_params(model.trainable_weights)
    non_trainable_count = count_params(model.non_trainable_weights)
    print_fn('Total params: {:,}'.format(trainable_count + non_trainable_count))
    print_fn('Trainable params: {:,}'.format(trainable_count))
    print_fn('Non-trainable params: {:,}'.format(non_trainable_count))
    print_fn('_' * line_length)


def convert_dense_weights_data_format(dense, previous_feature_map_shape,
                                      target_data_format='channels_first'):
    """Reorders the kernel rows of a Dense layer that follows a Flatten, when the data format
    of the convolutional part changes.

    # Arguments
        dense: the Dense layer.
        previous_feature_map_shape: the feature map shape before Flatten, without the batch
            axis, in the source data format.
        target_data_format: the format to convert to.
    """
    assert target_data_format in {'channels_last', 'channels_first'}
    kernel, bias = dense.get_weights()
    for i in range(kernel.shape[1]):
        if target_data_format == 'channels_first':
            c, h, w = previous_feature_map_shape
            original_fm_shape = (h, w, c)
            ki = kernel[:, i].reshape(original_fm_shape)
            ki = np.transpose(ki, (2, 0, 1))
        else:
            h, w, c = previous_feature_map_shape
            original_fm_shape = (c, h, w)
            ki = kernel[:, i].reshape(original_fm_shape)
            ki = np.transpose(ki, (1, 2, 0))
        kernel[:, i] = np.reshape(ki, (np.prod(previous_feature_map_shape),))
    dense.set_weights([kernel, bias])


def convert_all_kernels_in_model(model):
    """Flips convolution kernels between Theano and TensorFlow conventions (rotates spatially)."""
    conv_classes = {'Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose'}
    to_assign = []
    for layer in model.layers:
        if layer.__class__.__name__ in conv_classes:
            original_kernel = K.get_value(layer.kernel)
            converted_kernel = original_kernel[tuple(
                [slice(None, None, -1)] * (original_kernel.ndim - 2) + [slice(None)] * 2)]
            to_assign.append((layer.kernel, converted_kernel))
    K.batch_set_value(to_assign)
