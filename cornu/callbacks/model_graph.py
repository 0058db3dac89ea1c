"""A model's layer graph as a TensorFlow `GraphDef`, for TensorBoard's graph tab.

One node per layer (a shared layer is one node, as in `plot_model`): its name is the layer's
name, its op the layer's class name, its inputs the layers whose outputs it was called on in
this model (`name` for a layer's first output, `name:i` for the others), and its
`_output_shapes` attribute (the attribute TensorBoard shows as a node's output shapes) the
shapes of its outputs, `-1` standing for an unknown dimension.
"""


def _calls_in(model, layer):
    """The calls (`Node`s) of `layer` that belong to `model`'s graph, in call order."""
    keys = getattr(model, '_network_nodes', None)
    if keys is None:
        return []
    return [node for index, node in enumerate(getattr(layer, '_inbound_nodes', []))
            if '%s_ib-%d' % (layer.name, index) in keys]


def _graph_layers(model):
    """The model's layers, its input layers first (`Sequential.layers` leaves them out)."""
    layers, seen = [], set()
    for layer in list(getattr(model, '_input_layers', []) or []) + list(model.layers):
        if id(layer) not in seen:
            seen.add(id(layer))
            layers.append(layer)
    return layers


def _as_shape_list(shapes):
    """A call's output shape(s) as a list of shapes (tuples)."""
    if shapes is None:
        return []
    if isinstance(shapes, list) and shapes and isinstance(shapes[0], (tuple, list)):
        return [tuple(s) for s in shapes]
    if isinstance(shapes, list) and not shapes:
        return []
    return [tuple(shapes)]


def model_graph_def(model, tb):
    """The `GraphDef` of `model`'s layers.

    # Arguments
        model: a `Model` (a subclassed model gives its layers without edges).
        tb: `event_summaries.tensorboard_modules()`.

    # Returns
        A `GraphDef`.
    """
    attr_value = tb.attr_value_pb2.AttrValue
    shape_proto = tb.tensor_shape_pb2.TensorShapeProto
    graph = tb.graph_pb2.GraphDef()
    for layer in _graph_layers(model):
        node = graph.node.add(name=layer.name, op=type(layer).__name__)
        calls = _calls_in(model, layer)
        for call in calls:
            for inbound, tensor_index in zip(call.inbound_layers, call.tensor_indices):
                name = inbound.name if not tensor_index else '%s:%d' % (inbound.name,
                                                                        tensor_index)
                if name not in node.input:
                    node.input.append(name)
        if calls:
            shapes = _as_shape_list(calls[0].output_shapes)
            protos = [shape_proto(dim=[shape_proto.Dim(size=-1 if d is None else int(d))
                                       for d in shape]) for shape in shapes]
            node.attr['_output_shapes'].CopyFrom(
                attr_value(list=attr_value.ListValue(shape=protos)))
    return graph
