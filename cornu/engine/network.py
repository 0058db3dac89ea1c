"""`Network`: a graph of layers built from symbolic inputs and outputs (the functional API).

Construction follows Keras 2.2.4 exactly where it is observable: the order of `model.layers`
(and so of `get_weights()` and of the layers in saved files), node indices, layer names and the
configuration format. Running a network uses an `ExecutionPlan`.
"""
import copy
import json
import warnings

from .. import backend as K
from ..backend import distributed
from ..backend.run_context import current, run_context
from .._common.generic_utils import to_list, unpack_singleton
from .._common.layer_utils import get_source_inputs  # noqa: F401 (Keras 2.2.4's place)
from .._common.serialization import deserialize_layer, json_default
from .base_layer import Layer
from .execution_plan import ExecutionPlan, GraphDisconnectedError
from .input_layer import InputLayer
from .node import Node
from . import network_listings



def in_frozen_network():
    """Whether the code runs inside a network whose `trainable` is False: layers that update
    state during training (BatchNormalization) skip the update there, as the updates of a
    frozen model were never run by Keras 2."""
    return current().frozen


_node_key = network_listings.node_key


class GraphTensorError(TypeError, ValueError):
    """A model's input or output that is not a tensor of the functional graph. A `TypeError`
    by this project's rule (the value has the wrong type), and a `ValueError` as Keras 2.2.4
    raised, so that code catching either keeps working."""


class Network(Layer):
    """A directed acyclic graph of layers; also usable as a layer.

    # Arguments
        inputs: input tensor(s) made by `Input`.
        outputs: output tensor(s) of layers called on them.
        name: optional name (default `model_N`).
    """

    def __init__(self, *args, **kwargs):
        if (len(args) == 2 or len(args) == 1 and 'outputs' in kwargs or
                'inputs' in kwargs and 'outputs' in kwargs):
            self._init_graph_network(*args, **kwargs)
        else:
            self._init_subclassed_network(**kwargs)

    # ------------------------------------------------------------------ construction

    def _base_init(self, name):
        if not name:
            prefix = self.__class__.__name__.lower()
            name = prefix + '_' + str(K.get_uid(prefix))
        self.name = name
        self.trainable = True
        self.input_spec = None
        self.supports_masking = False
        self.stateful = False
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._weight_regularizers = []
        self._losses = []
        self._updates = []
        self._per_input_losses = {}
        self._per_input_updates = {}
        self._inbound_nodes = []
        self._outbound_nodes = []
        self._built = False
        self._uses_learning_phase = False
        self._initial_weights = None
        self.dtype = K.floatx()
        self._layers = []
        self.inputs = []
        self.outputs = []
        self._is_graph_network = False
        self._plans = {}

    def _init_subclassed_network(self, name=None):
        self._base_init(name)
        self._is_graph_network = False
        # Stays True once the model is built from data (see `subclassed.py`).
        self._is_subclassed_model = True
        self._expects_training_arg = 'training' in _call_parameters(self.call)
        self._expects_mask_arg = 'mask' in _call_parameters(self.call)

    def _init_graph_network(self, inputs, outputs, name=None):
        self._base_init(name)
        self._is_graph_network = True
        self.inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self.outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]

        if len(set(id(x) for x in self.inputs)) != len(self.inputs):
            raise ValueError('The list of inputs passed to the model is redundant. All inputs '
                             'should only appear once. Found: ' + str(self.inputs))
        for x in self.inputs:
            if not isinstance(x, K.KerasTensor) or x._keras_history is None:
                raise GraphTensorError('Input tensors to a ' + self.__class__.__name__ +
                                       ' must come from `Input`. Received: ' + str(x) +
                                       ' (missing previous layer metadata).')
            layer, node_index, tensor_index = x._keras_history
            if len(layer._inbound_nodes) > 1 or (layer._inbound_nodes and
                                                layer._inbound_nodes[0].inbound_layers):
                warnings.warn(self.__class__.__name__ + ' inputs must come from `Input` (thus '
                              'holding past layer metadata), they cannot be the output of a '
                              'previous non-Input layer. Here, a tensor specified as input to '
                              '"' + self.name + '" was not an Input tensor, it was generated '
                              'by layer ' + layer.name + '.')
        for x in self.outputs:
            if not isinstance(x, K.KerasTensor) or x._keras_history is None:
                raise GraphTensorError('Output tensors to a ' + self.__class__.__name__ +
                                       ' must be the output of a cornu `Layer` (thus holding '
                                       'past layer metadata). Found: ' + str(x))

        self._output_layers, self._output_coordinates = [], []
        for x in self.outputs:
            layer, node_index, tensor_index = x._keras_history
            self._output_layers.append(layer)
            self._output_coordinates.append((layer, node_index, tensor_index))
        self._input_layers, self._input_coordinates = [], []
        for x in self.inputs:
            layer, node_index, tensor_index = x._keras_history
            self._input_layers.append(layer)
            self._input_coordinates.append((layer, node_index, tensor_index))

        self.input_names = [layer.name for layer in self._input_layers]
        self.output_names = [layer.name for layer in self._output_layers]
        self._feed_input_names = []
        self._feed_inputs = []
        self._feed_input_shapes = []
        for layer, x in zip(self._input_layers, self.inputs):
            if isinstance(layer, InputLayer) and layer.is_placeholder:
                self._feed_input_names.append(layer.name)
                self._feed_inputs.append(x)
                self._feed_input_shapes.append(x._keras_shape)

        self._build_graph_structure()
        self._check_input_computability()
        self._output_mask_templates = [getattr(x, '_keras_mask', None) for x in self.outputs]
        self._internal_input_shapes = [x._keras_shape for x in self.inputs]
        self._internal_output_shapes = [x._keras_shape for x in self.outputs]

        Node(self, inbound_layers=[], node_indices=[], tensor_indices=[],
             input_tensors=self.inputs, output_tensors=self.outputs,
             input_masks=[None] * len(self.inputs), output_masks=self._output_mask_templates,
             input_shapes=self._internal_input_shapes,
             output_shapes=self._internal_output_shapes)
        self.built = True

    def _build_graph_structure(self):
        """Orders nodes and layers by depth, exactly as Keras 2.2.4 does."""
        network_nodes = set()
        nodes_depths = {}
        layers_depths = {}
        layer_indices = {}
        nodes_in_decreasing_depth = []
        finished_nodes = set()

        # Depth-first from each output; iterative so that very deep graphs are fine.
        for x in self.outputs:
            layer, node_index, _ = x._keras_history
            stack = [(layer, node_index, False)]
            in_progress = set()
            while stack:
                layer, node_index, expanded = stack.pop()
                node = layer._inbound_nodes[node_index]
                if expanded:
                    finished_nodes.add(node)
                    in_progress.discard(node)
                    nodes_in_decreasing_depth.append(node)
                    continue
                if node in in_progress:
                    raise ValueError('The tensor at layer "' + layer.name + '" is part of a '
                                     'cycle.')
                if node in finished_nodes:
                    continue
                network_nodes.add(_node_key(layer, node_index))
                if layer not in layer_indices:
                    layer_indices[layer] = len(layer_indices)
                in_progress.add(node)
                stack.append((layer, node_index, True))
                for i in reversed(range(len(node.inbound_layers))):
                    stack.append((node.inbound_layers[i], node.node_indices[i], False))

        for node in reversed(nodes_in_decreasing_depth):
            depth = nodes_depths.setdefault(node, 0)
            previous_depth = layers_depths.get(node.outbound_layer, 0)
            depth = max(depth, previous_depth)
            layers_depths[node.outbound_layer] = depth
            nodes_depths[node] = depth
            for i in range(len(node.inbound_layers)):
                inbound_node = node.inbound_layers[i]._inbound_nodes[node.node_indices[i]]
                nodes_depths[inbound_node] = max(depth + 1, nodes_depths.get(inbound_node, 0))

        nodes_by_depth = {}
        for node, depth in nodes_depths.items():
            nodes_by_depth.setdefault(depth, []).append(node)
        layers_by_depth = {}
        for layer, depth in layers_depths.items():
            layers_by_depth.setdefault(depth, []).append(layer)

        layers = []
        for depth in sorted(layers_by_depth.keys(), reverse=True):
            layers_for_depth = layers_by_depth[depth]
            layers_for_depth.sort(key=lambda x: layer_indices[x])
            layers.extend(layers_for_depth)
        self._layers = layers
        self._layers_by_depth = layers_by_depth
        self._nodes_by_depth = nodes_by_depth
        self._network_nodes = network_nodes

        all_names = [layer.name for layer in layers]
        for name in all_names:
            if all_names.count(name) != 1:
                raise ValueError('The name "' + name + '" is used ' + str(all_names.count(name)) +
                                 ' times in the model. All layer names should be unique. Layer '
                                 'names: ' + str(all_names))

    def _check_input_computability(self):
        # As Keras 2.2.4: every node of the graph, back to its `Input`s, must be computable
        # from the model's inputs; an input that is the output of another layer leaves that
        # layer's own input unfed.
        computable = set(id(x) for x in self.inputs)
        accessed = []
        for depth in sorted(self._nodes_by_depth, reverse=True):
            for node in self._nodes_by_depth[depth]:
                for x in node.input_tensors:
                    if id(x) not in computable:
                        raise GraphDisconnectedError(
                            'Graph disconnected: cannot obtain value for tensor ' + str(x) +
                            ' at layer "' + node.outbound_layer.name + '". The following '
                            'previous layers were accessed without issue: ' + str(accessed))
                computable.update(id(x) for x in node.output_tensors)
                if node.outbound_layer.name not in accessed:
                    accessed.append(node.outbound_layer.name)
        self._plans = {}
        self._plan = ExecutionPlan(self.inputs, self.outputs)

    # ------------------------------------------------------------------ layers and weights

    @property
    def layers(self):
        if not self._is_graph_network and self.__dict__.get('_is_subclassed_model'):
            # Before it is built from data, a subclassed model's layers are its attributes.
            from .subclassed import tracked_layers
            return tracked_layers(self)
        return self._layers

    def get_layer(self, name=None, index=None):
        """Retrieves a layer by name or by index in `self.layers`.

        # Raises
            ValueError: for an unknown name or an out-of-range index.
        """
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError('Was asked to retrieve layer at index ' + str(index) +
                                 ' but model only has ' + str(len(self.layers)) + ' layers.')
            return self.layers[index]
        if not name:
            raise ValueError('Provide either a layer name or layer index.')
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError('No such layer: ' + name)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        weights = list(self._trainable_weights)
        for layer in self.layers:
            weights += layer.trainable_weights
        return weights

    @trainable_weights.setter
    def trainable_weights(self, weights):
        self._trainable_weights = list(weights)

    @property
    def non_trainable_weights(self):
        weights = list(self._non_trainable_weights)
        for layer in self.layers:
            weights += layer.non_trainable_weights
        if not self.trainable:
            trainable = list(self._trainable_weights)
            for layer in self.layers:
                trainable += layer.trainable_weights
            return trainable + weights
        return weights

    @non_trainable_weights.setter
    def non_trainable_weights(self, weights):
        self._non_trainable_weights = list(weights)

    def get_weights(self):
        """All weights of the network's layers, in `self.layers` order, as NumPy arrays."""
        weights = []
        for layer in self.layers:
            weights += layer.weights
        return K.batch_get_value(weights)

    def set_weights(self, weights):
        """Sets all weights from NumPy arrays in `get_weights()` order.

        # Raises
            ValueError: naming the layer when a count or a shape does not match; then no
                weight is changed.
        """
        weights = list(weights)
        expected = sum(len(layer.weights) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError('You called `set_weights(weights)` on model "' + self.name +
                             '" with a weight list of length ' + str(len(weights)) +
                             ', but the model was expecting ' + str(expected) + ' weights.')
        import numpy as np
        assignments = []
        offset = 0
        for layer in self.layers:
            for param in layer.weights:
                value = np.asarray(weights[offset])
                offset += 1
                if tuple(K.int_shape(param)) != tuple(value.shape):
                    raise ValueError('Layer "' + layer.name + '": weight ' + str(param.name) +
                                     ' has shape ' + str(tuple(K.int_shape(param))) +
                                     ', but the provided weight has shape ' + str(value.shape) +
                                     '.')
                assignments.append((param, value))
        K.batch_set_value(assignments)

    @property
    def losses(self):
        """The losses of the network's layers, as Keras 2 lists them: those of each layer's
        calls in the graph (activity regularization, losses added for inputs), then those of
        no call (weight regularization, losses added to the network or its layers), each
        weight's regularization once even for a layer shared between nested models."""
        return network_listings.graph_losses(self)

    @property
    def updates(self):
        """The updates of the network's layers (see `StateUpdate`): those of each layer's
        calls in the graph, then those of no call; none for a frozen network that is not
        stateful (training does not apply them)."""
        if not self.trainable and not self.stateful:
            return []
        return network_listings.graph_updates(self)

    def get_updates_for(self, inputs):
        """The updates of the network's call on `inputs` (a call on new tensors makes its
        layers' updates again, and gets `StateUpdate`s of its own); with `None`, those of
        no call."""
        if not self.trainable and not self.stateful:
            return []
        return network_listings.updates_for(self, inputs)

    def get_losses_for(self, inputs):
        """The losses of the network's call on `inputs` (for a call on new tensors, symbolic
        tensors computed from them); with `None`, those of no call."""
        return network_listings.losses_for(self, inputs)

    @property
    def state_updates(self):
        updates = []
        for layer in self.layers:
            if getattr(layer, 'stateful', False):
                updates += layer.updates
        return updates

    @property
    def stateful(self):
        return any(getattr(layer, 'stateful', False) for layer in self.layers)

    @stateful.setter
    def stateful(self, value):
        pass

    def reset_states(self):
        """Resets the states of every stateful layer."""
        for layer in self.layers:
            if hasattr(layer, 'reset_states') and getattr(layer, 'stateful', False):
                layer.reset_states()

    @property
    def uses_learning_phase(self):
        """Whether an output depends on the learning phase (a layer that uses it, such as
        `Dropout`, called without a fixed `training` argument, upstream of it); for a
        network without a graph, whether a layer uses it."""
        if self._is_graph_network:
            return any(getattr(x, '_uses_learning_phase', False) for x in self.outputs)
        return any(getattr(layer, 'uses_learning_phase', False) for layer in self.layers)

    @property
    def input_spec(self):
        if not self._is_graph_network:
            return None
        specs = []
        for layer in self._input_layers:
            specs += to_list(layer.input_spec) if layer.input_spec else [None]
        return specs[0] if len(specs) == 1 else specs

    @input_spec.setter
    def input_spec(self, value):
        pass

    # ------------------------------------------------------------------ running

    def call(self, inputs, mask=None):
        """Runs the network on concrete tensors; returns its output(s)."""
        masks = to_list(mask) if mask is not None else None
        if not self.trainable:
            with run_context(frozen=True):
                return unpack_singleton(self._plan.run(to_list(inputs), masks))
        return unpack_singleton(self._plan.run(to_list(inputs), masks))

    def run_internal_graph(self, inputs, masks=None):
        """Runs the graph; returns `(outputs, output_masks)` as lists (Keras 2's name)."""
        return self._plan.run(to_list(inputs), masks, with_masks=True)

    def _run_with_masks(self, inputs, masks):
        masks = to_list(masks) if masks is not None else None
        if not self.trainable:
            with run_context(frozen=True):
                outputs, output_masks = self._plan.run(to_list(inputs), masks, with_masks=True)
        else:
            outputs, output_masks = self._plan.run(to_list(inputs), masks, with_masks=True)
        return unpack_singleton(outputs), unpack_singleton(output_masks)

    def compute_output_shape(self, input_shape):
        input_shapes = [tuple(s) for s in (input_shape if isinstance(input_shape, list)
                                           else [input_shape])]
        if len(input_shapes) != len(self._internal_input_shapes):
            raise ValueError('Invalid input_shape argument ' + str(input_shape) + ': model has ' +
                             str(len(self._internal_input_shapes)) + ' tensor inputs.')
        if input_shapes == [tuple(s) for s in self._internal_input_shapes]:
            shapes = self._internal_output_shapes
        else:
            # Sizes the graph left open (batch, timesteps) may be known now: replay the
            # graph, as Keras 2.2.4 does for any input shape it has not seen.
            shapes = self._infer_shapes_through_graph(input_shapes)
        return unpack_singleton(list(shapes))

    def _infer_shapes_through_graph(self, input_shapes):
        """Output shapes for new input shapes, found by replaying the graph symbolically."""
        placeholders = [K.KerasTensor(shape, x.dtype) for shape, x in zip(input_shapes,
                                                                           self.inputs)]
        known = {id(x): p for x, p in zip(self.inputs, placeholders)}
        for node in self._plan.nodes:
            inputs = [known[id(t)] for t in node.input_tensors]
            layer = node.outbound_layer
            input_shape = unpack_singleton([p._keras_shape for p in inputs])
            if layer._has_shape_formula():
                shapes = layer.compute_output_shape(input_shape)
            else:
                from . import shape_inference
                spec = shape_inference.probe(layer.call, (unpack_singleton(inputs),),
                                             dict(node.arguments))
                shapes = [s[0] for s in spec] if isinstance(spec, list) else spec[0]
            shapes = shapes if isinstance(shapes, list) else [shapes]
            for tensor, shape in zip(node.output_tensors, shapes):
                known[id(tensor)] = K.KerasTensor(shape, tensor.dtype)
        return [known[id(x)]._keras_shape for x in self.outputs]

    def compute_mask(self, inputs, mask=None):
        if isinstance(to_list(inputs)[0], K.KerasTensor):
            if mask is None or all(m is None for m in to_list(mask)):
                return unpack_singleton(self._output_mask_templates)
        _, masks = self._run_with_masks(inputs, mask)
        return masks

    def plan_for(self, outputs):
        """An execution plan from the network's inputs to other tensors of its graph (cached)."""
        key = tuple(id(t) for t in outputs)
        plan = self._plans.get(key)
        if plan is None:
            plan = ExecutionPlan(self.inputs, outputs)
            self._plans[key] = plan
        return plan

    def as_torch_module(self):
        """Returns a `torch.nn.Module` view of the model, sharing its weights (PyTorch engine).

        The module's parameters are the model's variables themselves, no copies, named after
        the Keras weight names (`dense_1/kernel:0` becomes `dense_1.kernel`); non-trainable
        weights are parameters with `requires_grad=False`. Training the module with a
        `torch.optim` optimizer, `load_state_dict` or `set_weights` changes both at once.
        `module(*inputs)` runs the model in the learning phase of the module's mode
        (`train()`: 1, `eval()`: 0; a new module is in training mode, as in PyTorch) and
        returns a tensor, or a tuple for several outputs. `module.losses` holds the
        regularization and `add_loss` terms to add to a hand-written loss.

        The module works with `state_dict`, forward hooks (on the whole model),
        `torch.compile` and `DistributedDataParallel`. It lists the weights the model has when
        it is made: make it again after adding layers.

        For serving, put it in `eval()` mode and export it: `torch.export.export` (its
        default non-strict mode or strict), `torch.jit.trace` or `torch.onnx.export`; the
        recurrent layers then record a plain loop of standard ops. `forward(*inputs)` takes
        its inputs as one variadic argument, so a free batch axis reads
        `dynamic_shapes=(({0: batch},) * len(model.inputs),)` with
        `batch = torch.export.Dim('batch')`. Parameters handed to the module in place of its
        own (`torch.func.functional_call`, the export's placeholders) are what it computes
        with.

        # Returns
            A `torch.nn.Module`.

        # Raises
            RuntimeError: when the engine is not PyTorch.
            ValueError: when the model is not built yet.

        # Example
        ```python
        module = model.as_torch_module()
        optimizer = torch.optim.SGD(module.parameters(), lr=0.1)
        loss = torch.nn.functional.mse_loss(module(x), y)
        loss.backward()
        optimizer.step()  # model.predict(x) now uses the new weights
        ```
        """
        from .torch_interop import as_torch_module
        return as_torch_module(self)

    # ------------------------------------------------------------------ configuration

    def computes_rows_independently(self, training):
        """When it is a graph of layers that all do (see `Layer`)."""
        return self._is_graph_network and not self.stateful and \
            all(layer.computes_rows_independently(training) for layer in self.layers)

    def get_config(self):
        """The network's layers and connections, in Keras 2's JSON-compatible format."""
        if not self._is_graph_network or self.__dict__.get('_is_subclassed_model'):
            # As Keras 2: the layers and their connections are written in Python code
            # (`call`), which no configuration can hold.
            raise NotImplementedError('Model ' + self.name + ' (' + self.__class__.__name__ +
                                      ') is a subclassed model: it has no configuration to '
                                      'serialise (its graph is defined by its `call` method). '
                                      'Override get_config and from_config to support it, or '
                                      'save its weights with `save_weights`.')
        config = {'name': self.name}
        node_conversion_map = {}
        for layer in self.layers:
            kept_nodes = 1 if isinstance(layer, Network) and layer._is_graph_network else 0
            for original_node_index, node in enumerate(layer._inbound_nodes):
                node_key = _node_key(layer, original_node_index)
                if node_key in self._network_nodes:
                    node_conversion_map[node_key] = kept_nodes
                    kept_nodes += 1
        layer_configs = []
        for layer in self.layers:
            filtered_inbound_nodes = []
            for original_node_index, node in enumerate(layer._inbound_nodes):
                node_key = _node_key(layer, original_node_index)
                if node_key not in self._network_nodes:
                    continue
                kwargs = {}
                if node.arguments:
                    try:
                        json.dumps(node.arguments)
                        kwargs = node.arguments
                    except TypeError:
                        warnings.warn('Layer ' + layer.name + ' was passed non-serializable '
                                      'keyword arguments: ' + str(node.arguments) + '. They will '
                                      'not be included in the serialized model (and thus will '
                                      'be missing at deserialization time).')
                if node.inbound_layers:
                    node_data = []
                    for inbound_layer, node_index, tensor_index in zip(
                            node.inbound_layers, node.node_indices, node.tensor_indices):
                        key = _node_key(inbound_layer, node_index)
                        node_data.append([inbound_layer.name, node_conversion_map.get(key, 0),
                                          tensor_index, kwargs])
                    filtered_inbound_nodes.append(node_data)
            layer_configs.append({'name': layer.name, 'class_name': layer.__class__.__name__,
                                  'config': layer.get_config(),
                                  'inbound_nodes': filtered_inbound_nodes})
        config['layers'] = layer_configs

        def coordinates(layers_and_indices):
            result = []
            for layer, node_index, tensor_index in layers_and_indices:
                key = _node_key(layer, node_index)
                if key not in self._network_nodes:
                    continue
                result.append([layer.name, node_conversion_map[key], tensor_index])
            return result

        config['input_layers'] = coordinates(self._input_coordinates)
        config['output_layers'] = coordinates(self._output_coordinates)
        return copy.deepcopy(config)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds a network from `get_config()` output (layers are created anew)."""
        created_layers = {}
        unprocessed_nodes = {}

        def add_unprocessed_node(layer, node_data):
            unprocessed_nodes.setdefault(layer, []).append(node_data)

        def process_node(layer, node_data):
            input_tensors = []
            kwargs = {}
            for input_data in node_data:
                if len(input_data) == 3:
                    kwargs = {}
                elif len(input_data) == 4:
                    kwargs = input_data[3]
                else:
                    raise ValueError('Improperly formatted model config.')
                inbound_layer = created_layers[input_data[0]]
                if len(inbound_layer._inbound_nodes) <= input_data[1]:
                    add_unprocessed_node(layer, node_data)
                    return
                inbound_node = inbound_layer._inbound_nodes[input_data[1]]
                input_tensors.append(inbound_node.output_tensors[input_data[2]])
            if input_tensors:
                layer(unpack_singleton(input_tensors), **kwargs)

        def process_layer(layer_data):
            layer = deserialize_layer(layer_data, custom_objects=custom_objects)
            created_layers[layer_data['config']['name'] if 'name' not in layer_data
                           else layer_data['name']] = layer
            for node_data in layer_data['inbound_nodes']:
                add_unprocessed_node(layer, node_data)

        for layer_data in config['layers']:
            process_layer(layer_data)
        while unprocessed_nodes:
            for layer_data in config['layers']:
                name = layer_data.get('name', layer_data['config'].get('name'))
                layer = created_layers[name]
                if layer in unprocessed_nodes:
                    for node_data in unprocessed_nodes.pop(layer):
                        process_node(layer, node_data)

        def tensors(coordinates):
            result = []
            for layer_name, node_index, tensor_index in coordinates:
                layer = created_layers[layer_name]
                result.append(layer._inbound_nodes[node_index].output_tensors[tensor_index])
            return result

        return cls(inputs=tensors(config['input_layers']),
                   outputs=tensors(config['output_layers']), name=config.get('name'))

    def to_json(self, **kwargs):
        """The model's architecture as a JSON string (Keras 2 format)."""
        from .model_config import model_config_dict
        return json.dumps(model_config_dict(self), default=json_default, **kwargs)

    def to_yaml(self, **kwargs):
        """The model's architecture as a YAML string (Keras 2 format)."""
        import yaml
        from .model_config import model_config_dict
        return yaml.dump(json.loads(json.dumps(model_config_dict(self), default=json_default)),
                         **kwargs)

    # ------------------------------------------------------------------ saving (hdf5_format)

    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Saves the model (architecture, weights, training configuration and optimizer
        state) to one Keras 2 HDF5 file, atomically; `cornu.models.load_model` reads it back.

        # Arguments
            filepath: path of the file, an open `h5py.File`, or a binary file object
                (`io.BytesIO`).
            overwrite: whether to overwrite an existing file without asking.
            include_optimizer: whether to save the optimizer's state too.

        When several processes train together (under `torchrun`), only process 0 writes
        (their weights are the same); the others return at once.
        """
        if distributed.rank() != 0:
            return
        from .model_files import save_model
        save_model(self, filepath, overwrite, include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Saves the weights of all layers to a Keras 2 HDF5 file, atomically.

        A path ending in `.weights.h5` gets the layout tf.keras (2.13 on) and Keras 3 write
        and read under that name instead (see `cornu.engine.weights_tree`).

        # Arguments
            filepath: path of the file, an open `h5py.File`, or a binary file object
                (`io.BytesIO`).
            overwrite: whether to overwrite an existing file without asking.

        When several processes train together (under `torchrun`), only process 0 writes.
        """
        if distributed.rank() != 0:
            return
        from .hdf5_format import save_weights
        save_weights(self, filepath, overwrite)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False, reshape=False):
        """Loads weights from a file written by `save_weights` or `save`.

        By default layers with weights are matched in order (the architecture must be the
        same); with `by_name=True`, to the saved layers of the same name (others are left as
        they are). Nothing changes unless every weight fits. Files in the `.weights.h5`
        layout of tf.keras and Keras 3, and Keras 3 `.keras` archives, are recognised and
        matched by the model's structure (they store no layer names, so `by_name` does not
        apply to them); into a compiled model they also restore the optimizer's state.

        # Arguments
            filepath: path of the file, an open `h5py.File`, or a binary file object
                (`io.BytesIO`).
            by_name: match layers by name instead of by order.
            skip_mismatch: with `by_name` (or a tf.keras / Keras 3 `.weights.h5` file),
                skip (with a warning) weights whose number or shape does not match instead
                of raising.
            reshape: reshape convolution kernels with the right number of values.

        # Raises
            ValueError: naming the layer and both shapes or counts, on a mismatch.
        """
        from .model_files import load_weights
        load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch,
                     reshape=reshape)

    def __reduce__(self):
        # Pickled through the same serialisation as `save`: config, weights, training
        # configuration and optimizer state.
        from .pickling import reduce_model
        return reduce_model(self)

    def summary(self, line_length=None, positions=None, print_fn=None):
        """Prints a table of the layers, output shapes and parameter counts (Keras 2 layout).

        # Raises
            ValueError: if the model has not been built yet (a Sequential model without an
                input shape that has not seen data).
        """
        if not self.built:
            raise ValueError('This model has not yet been built. Build the model first by '
                             'calling build() or calling fit() with some data. Or specify '
                             'input_shape or batch_input_shape in the first layer for '
                             'automatic build. ')
        from .._common.layer_utils import print_summary
        return print_summary(self, line_length=line_length, positions=positions,
                             print_fn=print_fn)


def _call_parameters(fn):
    import inspect
    return inspect.signature(fn).parameters
