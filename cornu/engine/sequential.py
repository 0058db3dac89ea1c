"""`Sequential`: a linear stack of layers."""
import copy

from .. import backend as K
from .._common.serialization import deserialize_layer
from .base_layer import Layer
from .input_layer import Input, InputLayer
from .training import Model


class Sequential(Model):
    """A linear stack of layers.

    # Arguments
        layers: optional list of layers to add.
        name: optional name (default `sequential_N`).

    # Example
    ```python
    model = Sequential()
    model.add(Dense(32, input_dim=500))
    model.add(Dense(10, activation='softmax'))
    ```
    The first layer needs to know its input shape (`input_shape`, `input_dim` or
    `batch_input_shape`); without one, the model is built when it first sees data.
    """

    def __init__(self, layers=None, name=None):
        self._base_init(name)
        self._is_graph_network = False
        self._build_input_shape = None
        self._feed_input_names = []
        self._feed_inputs = []
        self._feed_input_shapes = []
        self.input_names = []
        self.output_names = []
        if layers:
            for layer in layers:
                self.add(layer)

    @property
    def layers(self):
        # As in Keras 2, the InputLayer made automatically for the first layer is not listed.
        if self._layers and isinstance(self._layers[0], InputLayer):
            return self._layers[1:]
        return self._layers

    @property
    def model(self):
        """Keras 1 compatibility: the model itself."""
        return self

    def add(self, layer):
        """Adds a layer on top of the stack.

        # Raises
            TypeError: if `layer` is not a layer, or a layer has several outputs.
            ValueError: if the layer's input shape is incompatible with the stack.
        """
        if not isinstance(layer, Layer):
            raise TypeError('The added layer must be an instance of class Layer. Found: ' +
                            str(layer))
        self.built = False
        if not self._layers and not self.outputs:
            set_inputs = False
            if isinstance(layer, InputLayer):
                set_inputs = True
            else:
                batch_shape, dtype = _first_layer_input(layer)
                if batch_shape is not None:
                    x = Input(batch_shape=batch_shape, dtype=dtype, name=layer.name + '_input')
                    layer(x)
                    set_inputs = True
            if set_inputs:
                if len(layer._inbound_nodes[-1].output_tensors) != 1:
                    raise ValueError('All layers in a Sequential model should have a single '
                                     'output tensor. For multi-output layers, use the '
                                     'functional API.')
                self.outputs = [layer._inbound_nodes[-1].output_tensors[0]]
                self.inputs = _source_inputs(self.outputs[0])
        elif self.outputs:
            output_tensor = layer(self.outputs[0])
            if isinstance(output_tensor, list):
                raise TypeError('All layers in a Sequential model should have a single output '
                                'tensor. For multi-output layers, use the functional API.')
            self.outputs = [output_tensor]
        if self.inputs:
            self.build()
        else:
            self._layers.append(layer)

    def pop(self):
        """Removes the last layer of the model.

        # Raises
            TypeError: if the model has no layers.
        """
        if not self.layers:
            raise TypeError('There are no layers in the model.')
        layers = self.layers[:-1]
        self._layers = [self._layers[0]] + layers if self._layers and isinstance(
            self._layers[0], InputLayer) else layers
        if not layers:
            self.outputs = []
            self.inputs = []
            self._layers = []
            self.built = False
            self._is_graph_network = False
            return
        last = layers[-1]
        last._outbound_nodes = []
        self.outputs = [last._inbound_nodes[-1].output_tensors[-1]] if self.inputs else []
        if self.inputs:
            self.build()

    def build(self, input_shape=None):
        """Builds the graph, from a given input shape when the layers did not declare one."""
        if input_shape and not self.inputs:
            batch_shape = tuple(input_shape)
            self._build_input_shape = batch_shape
            x = Input(batch_shape=batch_shape, dtype=self.dtype,
                      name=self._layers[0].name + '_input')
            for layer in self._layers:
                x = layer(x)
            self.outputs = [x]
            self.inputs = _source_inputs(x)
        if self.inputs:
            layers = list(self._layers)
            name = self.name
            self._init_graph_network(self.inputs, self.outputs, name=name)
            self.name = name
            if layers and not isinstance(layers[0], InputLayer) and \
                    isinstance(self._layers[0], InputLayer):
                pass
            self.built = True

    def _can_build_later(self):
        return bool(self._layers) and not self.inputs

    def _ensure_graph(self, x=None):
        if self._is_graph_network:
            return
        if not self._layers:
            raise RuntimeError('The Sequential model ' + self.name + ' has no layers.')
        if x is None:
            raise RuntimeError('This model has not yet been built. Build the model first by '
                               'calling build() or calling fit() with some data. Or specify '
                               'input_shape or batch_input_shape in the first layer for '
                               'automatic build.')
        arrays = x if isinstance(x, (list, tuple)) else [x]
        import numpy as np
        first = np.asarray(arrays[0]) if not hasattr(arrays[0], 'shape') else arrays[0]
        shape = (None,) + tuple(first.shape[1:]) if first.ndim > 1 else (None, 1)
        self.build(shape)

    def get_config(self):
        layer_configs = [{'class_name': layer.__class__.__name__,
                          'config': layer.get_config()} for layer in self.layers]
        config = {'name': self.name, 'layers': copy.deepcopy(layer_configs)}
        if self._build_input_shape:
            config['build_input_shape'] = self._build_input_shape
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if isinstance(config, dict) and 'layers' in config:
            name = config.get('name')
            build_input_shape = config.get('build_input_shape')
            layer_configs = config['layers']
        else:
            name, build_input_shape, layer_configs = None, None, config
        model = cls(name=name)
        for conf in layer_configs:
            model.add(deserialize_layer(conf, custom_objects=custom_objects))
        if not model.inputs and build_input_shape:
            model.build(build_input_shape)
        return model

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Class probability predictions (warns when outputs are not in [0, 1])."""
        preds = self.predict(x, batch_size, verbose)
        if preds.min() < 0. or preds.max() > 1.:
            import warnings
            warnings.warn('Network returning invalid probability values. The last layer might '
                          'not normalize predictions into probabilities (like softmax or '
                          'sigmoid would).')
        return preds

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Class predictions: argmax for several classes, threshold 0.5 for one."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype('int32')


def _first_layer_input(layer):
    if hasattr(layer, 'batch_input_shape'):
        return layer.batch_input_shape, layer.dtype
    if isinstance(layer, Model) and layer.inputs:
        first = layer.inputs[0]
        return first._keras_shape, first.dtype
    if isinstance(layer, Sequential) and layer._layers:
        return _first_layer_input(layer._layers[0])
    return None, None


def _source_inputs(tensor):
    from .._common.layer_utils import get_source_inputs
    return get_source_inputs(tensor)
