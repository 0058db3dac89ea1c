"""A model's configuration in Keras 3's schema, for `.keras` archives Keras 3 loads.

The model's Keras 2 configuration is rewritten: every object becomes `{'module',
'class_name', 'config', 'registered_name'}`, every layer gets the `build_config` (its input
shape) Keras 3 builds it from before loading weights, a Sequential starts with its
`InputLayer`, and a functional model's connections become call arguments
(`{'args': [<__keras_tensor__ with keras_history>], 'kwargs': {...}}`, nodes of nested models
numbered from 0). Settings Keras 3 does not take (`batch_input_shape` outside input layers,
`input_length`, recurrent `implementation`) are left out; Keras 2.2.4's truncated `'normal'`
variance scaling is Keras 3's `'truncated_normal'`; an optimizer's `decay` becomes the
`InverseTimeDecay` schedule that computes the same learning rates.

What Keras 3 cannot express is refused, naming the layer: layers it does not have, and
`hard_sigmoid`, which Keras 3 redefined (`relu6(x + 3) / 6` where Keras 2 computes
`0.2 x + 0.5`, clipped) — the default `recurrent_activation` of Keras 2's LSTM and GRU.
"""
import copy

from .. import backend as K
from .._common.serialization import registered_class

__all__ = ['keras3_model_config', 'Keras3ExportError']

# Keras 2 layers that Keras 3 does not have.
_KERAS2_ONLY_LAYERS = frozenset(['LocallyConnected1D', 'LocallyConnected2D', 'CuDNNGRU',
                                 'CuDNNLSTM', 'Highway', 'MaxoutDense', 'ThresholdedReLU',
                                 'TorchModuleLayer'])
# Keras 2 settings Keras 3 refuses, with the value that lets them go silently.
_DROPPED = {'batch_input_shape': None, 'input_length': None, 'implementation': None,
            'input_dtype': None}
_OBJECT_MODULES = {'_initializer': 'keras.initializers', '_regularizer': 'keras.regularizers',
                   '_constraint': 'keras.constraints'}
_NESTED_LAYER_KEYS = ('layer', 'backward_layer', 'cell')


class Keras3ExportError(ValueError):
    """A model, layer or setting that Keras 3 cannot express."""


def _object(class_name, config, module):
    return {'module': module, 'class_name': class_name, 'config': config,
            'registered_name': None}


def _layer_object(class_name, config, layer_class=None):
    """A layer's `{'module', 'class_name', ...}`: built-in layers from `keras.layers`;
    custom ones under their own module and registered name (Keras 3 then needs them
    registered or passed as custom objects)."""
    entry = _object(class_name, config, 'keras.layers')
    if registered_class(class_name) is None and layer_class is not None:
        entry['module'] = layer_class.__module__
        entry['registered_name'] = class_name
    return entry


def _convert_inner(value, module):
    if not isinstance(value, dict) or 'class_name' not in value:
        return value
    config = copy.deepcopy(value.get('config') or {})
    if value['class_name'] == 'VarianceScaling' and config.get('distribution') == 'normal':
        config['distribution'] = 'truncated_normal'
    return _object(value['class_name'], config, module)


def _layer_config(class_name, config, layer_name):
    """A layer's own `config` dict in Keras 3's form (nested layers included)."""
    if class_name in _KERAS2_ONLY_LAYERS:
        raise Keras3ExportError('Layer "' + layer_name + '" (' + class_name + ') has no '
                                'Keras 3 counterpart: the model cannot be saved as a Keras 3 '
                                '`.keras` file (save it as `.h5`, which Keras 2 and tf.keras '
                                'load).')
    config = dict(config)
    for key in _ACTIVATION_KEYS:
        if config.get(key) == 'hard_sigmoid':
            raise Keras3ExportError(
                'Layer "' + layer_name + '" (' + class_name + ') uses `' + key +
                "='hard_sigmoid'`, which Keras 3 computes differently (relu6(x + 3) / 6, "
                'where Keras 2 computes 0.2 x + 0.5, clipped; it is the default '
                '`recurrent_activation` of Keras 2 LSTM and GRU layers): the model cannot be '
                'saved as a Keras 3 `.keras` file with the same predictions. Save it as '
                '`.h5`, or use `sigmoid` and retrain.')
    for key, neutral in _DROPPED.items():
        if key in config and (neutral is None or config[key] == neutral):
            config.pop(key)
    for key in list(config):
        for suffix, module in _OBJECT_MODULES.items():
            if key.endswith(suffix):
                config[key] = _convert_inner(config[key], module)
    for key in _NESTED_LAYER_KEYS:
        inner = config.get(key)
        if isinstance(inner, dict) and 'class_name' in inner:
            name = (inner.get('config') or {}).get('name', layer_name + '/' + key)
            config[key] = _layer_object(inner['class_name'],
                                        _layer_config(inner['class_name'],
                                                      inner.get('config') or {}, name))
    if isinstance(config.get('cells'), list):  # StackedRNNCells
        config['cells'] = [_layer_object(c['class_name'],
                                         _layer_config(c['class_name'], c.get('config') or {},
                                                       layer_name + '/cell'))
                           for c in config['cells']]
    return config


_ACTIVATION_KEYS = ('activation', 'recurrent_activation')


def _shape(shape):
    if isinstance(shape, list):
        return [_shape(s) for s in shape]
    return None if shape is None else list(shape)


def _input_shape(layer):
    try:
        return _shape(layer.input_shape)
    except (AttributeError, RuntimeError, ValueError):
        return None


def _keras_tensor(layer, node_index, tensor_index, shift):
    try:
        shape = layer.get_output_shape_at(node_index)
        if isinstance(shape, list):
            shape = shape[tensor_index]
        shape = _shape(shape)
    except (AttributeError, RuntimeError, ValueError, IndexError):
        shape = None
    return {'class_name': '__keras_tensor__',
            'config': {'shape': shape, 'dtype': K.floatx(),
                       'keras_history': [layer.name, node_index - shift, tensor_index]}}


def _node(references, layers_by_name, nested, is_recurrent):
    """One Keras 2 inbound node (`[[layer, node, tensor, kwargs], ...]`) as Keras 3's call
    arguments."""
    tensors = []
    kwargs = {}
    for reference in references:
        name, node_index, tensor_index = reference[:3]
        if len(reference) > 3 and reference[3]:
            kwargs.update(reference[3])
        tensors.append(_keras_tensor(layers_by_name[name], node_index, tensor_index,
                                     1 if name in nested else 0))
    if len(tensors) == 1:
        return {'args': tensors, 'kwargs': kwargs}
    if is_recurrent:  # Keras 2 lists a recurrent layer's initial states after its input
        kwargs['initial_state'] = tensors[1:]
        return {'args': tensors[:1], 'kwargs': kwargs}
    return {'args': [tensors], 'kwargs': kwargs}


def _is_model(layer):
    return isinstance(getattr(layer, 'layers', None), list)


def _sequential_entry(model):
    layers = []
    first = model.layers[0] if model.layers else None
    batch_shape = _shape(getattr(first, 'batch_input_shape', None)) if first else None
    if batch_shape is None and first is not None:
        batch_shape = _input_shape(first)
    if batch_shape is not None:
        layers.append(_layer_object('InputLayer', {
            'batch_shape': batch_shape, 'dtype': getattr(first, 'dtype', None) or K.floatx(),
            'sparse': False, 'name': model.name + '_input'}))
    for layer in model.layers:
        layers.append(_entry(layer))
    entry = _object('Sequential', {'name': model.name, 'trainable': model.trainable,
                                   'layers': layers}, 'keras')
    entry['build_config'] = {'input_shape': batch_shape}
    return entry


def _functional_entry(model):
    config = model.get_config()
    layers_by_name = {layer.name: layer for layer in model.layers}
    nested = {layer.name for layer in model.layers if _is_model(layer)}
    entries = []
    for saved in config['layers']:
        layer = layers_by_name[saved['name']]
        entry = _entry(layer, saved)
        is_recurrent = 'cell' in (saved.get('config') or {})
        entry['name'] = saved['name']
        entry['inbound_nodes'] = [_node(node, layers_by_name, nested, is_recurrent)
                                  for node in saved.get('inbound_nodes', [])]
        entries.append(entry)

    def coordinates(references):
        return [[name, node - (1 if name in nested else 0), tensor]
                for name, node, tensor in references]

    entry = _object('Functional', {'name': model.name, 'trainable': model.trainable,
                                   'layers': entries,
                                   'input_layers': coordinates(config['input_layers']),
                                   'output_layers': coordinates(config['output_layers'])},
                    'keras.src.models.functional')
    entry['registered_name'] = 'Functional'
    entry['build_config'] = {'input_shape': None}
    return entry


def _entry(layer, saved=None):
    """The Keras 3 entry of one layer (a nested model included)."""
    if _is_model(layer):
        return _sequential_entry(layer) if type(layer).__name__ == 'Sequential' else \
            _functional_entry(layer)
    class_name = type(layer).__name__
    if class_name == 'InputLayer':
        config = (saved or {}).get('config') or layer.get_config()
        return _layer_object('InputLayer', {
            'batch_shape': _shape(config.get('batch_input_shape')),
            'dtype': config.get('dtype') or K.floatx(), 'sparse': bool(config.get('sparse')),
            'name': layer.name})
    config = _layer_config(class_name, layer.get_config(), layer.name)
    entry = _layer_object(class_name, config, type(layer))
    entry['build_config'] = {'input_shape': _input_shape(layer)}
    return entry


def _optimizer_config(optimizer):
    config = dict(optimizer.get_config())
    class_name = type(optimizer).__name__
    learning_rate = config.pop('lr', config.pop('learning_rate', 0.001))
    decay = config.pop('decay', 0.) or 0.
    if decay:
        # Keras 2: lr / (1 + decay * iterations), Keras 3's InverseTimeDecay with one step.
        learning_rate = _object('InverseTimeDecay', {
            'initial_learning_rate': learning_rate, 'decay_steps': 1, 'decay_rate': decay,
            'staircase': False}, 'keras.optimizers.schedules')
    config['learning_rate'] = learning_rate
    if config.get('epsilon', 0) is None:
        config['epsilon'] = K.epsilon()
    if class_name == 'SGD':
        config.setdefault('nesterov', False)
    return _object(class_name, config, 'keras.optimizers')


def _compile_config(model):
    """Keras 3's `compile_config` (JSON-ready: losses and metrics given as functions are
    written by name, as in Keras 2 files), or `None` for a model that is not compiled."""
    from .hdf5_format import compile_arguments, training_json
    if getattr(model, 'optimizer', None) is None or \
            not hasattr(model.optimizer, 'get_config'):
        return None
    loss, metrics, loss_weights, _, weighted_metrics = compile_arguments(model)
    return training_json({'optimizer': _optimizer_config(model.optimizer), 'loss': loss,
                          'loss_weights': loss_weights, 'metrics': metrics,
                          'weighted_metrics': weighted_metrics, 'run_eagerly': False,
                          'steps_per_execution': 1, 'jit_compile': 'auto'})


def keras3_model_config(model, include_compile=True):
    """The configuration Keras 3 reads from a `.keras` archive's `config.json`.

    # Arguments
        model: a Sequential or functional model (a subclassed one has no configuration).
        include_compile: add the training configuration of a compiled model.

    # Returns
        A dict ready for `json.dumps`.

    # Raises
        Keras3ExportError: naming a layer or setting Keras 3 cannot express.
    """
    entry = _entry(model)
    if include_compile:
        compile_config = _compile_config(model)
        if compile_config is not None:
            entry['compile_config'] = compile_config
    return entry
