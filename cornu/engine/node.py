"""`Node`: one call of a layer on symbolic tensors, the edge of the functional graph."""


class Node(object):
    """Records that `outbound_layer` was called on tensors coming out of `inbound_layers`.

    Each time a layer is called on symbolic inputs it gains a node in `layer._inbound_nodes`,
    and every layer that produced one of those inputs gains the node in `_outbound_nodes`.

    # Arguments
        outbound_layer: the layer that was called.
        inbound_layers: the layers whose outputs were its inputs (one per input tensor).
        node_indices: for each input, which inbound node of its layer produced it.
        tensor_indices: for each input, which output of that node it is.
        input_tensors, output_tensors: the symbolic tensors.
        input_masks, output_masks: symbolic masks or `None`s.
        input_shapes, output_shapes: static shapes.
        arguments: keyword arguments the layer was called with.
    """

    def __init__(self, outbound_layer, inbound_layers, node_indices, tensor_indices,
                 input_tensors, output_tensors, input_masks, output_masks,
                 input_shapes, output_shapes, arguments=None):
        self.outbound_layer = outbound_layer
        self.inbound_layers = inbound_layers
        self.node_indices = node_indices
        self.tensor_indices = tensor_indices
        # Copies: the caller's list (`concatenate(tensors)`) may grow after the call, and the
        # node must keep recording the tensors the layer was called on.
        self.input_tensors = list(input_tensors)
        self.output_tensors = output_tensors
        self.input_masks = list(input_masks)
        self.output_masks = output_masks
        self.input_shapes = input_shapes
        self.output_shapes = output_shapes
        self.arguments = arguments or {}

        for layer in inbound_layers:
            if layer is not None:
                layer._outbound_nodes.append(self)
        outbound_layer._inbound_nodes.append(self)

    def get_config(self):
        """Names of the inbound layers and the node/tensor indices, as Keras 2 reports them."""
        return {'outbound_layer': self.outbound_layer.name,
                'inbound_layers': [layer.name if layer else None
                                   for layer in self.inbound_layers],
                'node_indices': self.node_indices,
                'tensor_indices': self.tensor_indices}
