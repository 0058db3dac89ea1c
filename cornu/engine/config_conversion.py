"""Reading configurations written by later Keras versions (Keras 2.3, tf.keras in TF 2.x,
Keras 3).

Their files keep Keras 2's HDF5 layout but name some things differently: initializer and
regularizer classes (`GlorotUniform`, `L2`), functional models (`Functional`), optimizer
arguments (`learning_rate`), optimizer state (`iteration:0`, then `m`/`v` per variable), and
losses and metrics saved as objects. They also add constructor arguments that Keras 2.2.4 does
not have (`ragged`, `groups`, `keepdims`, ...). The functions here rewrite all of that into
the Keras 2.2.4 form that cornu reads; on Keras 2.2.4 configurations they change nothing.

Keras 3 configurations (`.keras` archives, its `.h5` files and JSON) go further: every object
is `{'module', 'class_name', 'config', 'registered_name'}`, dtypes are `DTypePolicy` objects,
layers carry a `build_config`, and a functional model's connections are written as the call's
arguments (`inbound_nodes: [{'args': [<__keras_tensor__ with its keras_history>], 'kwargs':
{...}}]`) instead of Keras 2's `[[layer, node, tensor, kwargs], ...]` lists. Some Keras 3
activations have no Keras 2.2.4 counterpart, and Keras 3 redefined `hard_sigmoid`
(`relu6(x + 3) / 6` instead of `0.2 x + 0.5`, clipped): a layer using one is refused.
"""
import copy
import inspect
import warnings

from .._common.serialization import registered_class

# tf.keras initializer classes that Keras 2.2.4 expresses as `VarianceScaling` settings.
_VARIANCE_SCALING_ALIASES = {
    'GlorotUniform': (1., 'fan_avg', 'uniform'),
    'GlorotNormal': (1., 'fan_avg', 'normal'),
    'HeUniform': (2., 'fan_in', 'uniform'),
    'HeNormal': (2., 'fan_in', 'normal'),
    'LecunUniform': (1., 'fan_in', 'uniform'),
    'LecunNormal': (1., 'fan_in', 'normal'),
}

# Constructor arguments added after Keras 2.2.4, with the value that means "as Keras 2.2.4".
_LATER_ARGUMENT_DEFAULTS = {
    'ragged': False, 'optional': False, 'time_major': False, 'groups': 1, 'keepdims': False,
    'renorm': False, 'renorm_clipping': None, 'renorm_momentum': 0.99,
    'virtual_batch_size': None, 'adjustment': None, 'fused': None, 'synchronized': False,
    'zero_output_for_mask': False, 'use_legacy_format': False,
    # Keras 3
    'quantization_config': None, 'lora_rank': None, 'lora_alpha': None, 'seed': None,
    'input_axes': None, 'output_axes': None, 'use_cudnn': 'auto', 'pad_to_aspect_ratio': False,
}
# Activations of Keras 3 that Keras 2.2.4 does not have (or, for `hard_sigmoid`, computes
# differently); a Keras 3 configuration naming one cannot be read faithfully.
_KERAS3_ACTIVATIONS = frozenset(['relu6', 'silu', 'swish', 'gelu', 'hard_silu', 'hard_swish',
                                 'leaky_relu', 'log_softmax', 'mish', 'celu', 'glu',
                                 'log_sigmoid', 'sparse_plus', 'soft_shrink', 'squareplus',
                                 'tanh_shrink', 'hard_tanh', 'hard_shrink', 'threshold',
                                 'sparsemax', 'hard_sigmoid'])
_ACTIVATION_KEYS = ('activation', 'recurrent_activation')
# Later arguments that choose between implementations computing the same function (any value
# reads as cornu's implementation), per layer class.
_EQUIVALENT_IMPLEMENTATIONS = {'LocallyConnected1D': ('implementation', (1, 2, 3)),
                               'LocallyConnected2D': ('implementation', (1, 2, 3))}
# Bookkeeping entries of later formats, never constructor arguments.
_METADATA_KEYS = frozenset(['module', 'registered_name', 'build_config', 'compile_config',
                            'shared_object_id', 'output_shape_module', 'function_module'])

_LOSS_CLASSES = {
    'MeanSquaredError': 'mean_squared_error', 'MeanAbsoluteError': 'mean_absolute_error',
    'MeanAbsolutePercentageError': 'mean_absolute_percentage_error',
    'MeanSquaredLogarithmicError': 'mean_squared_logarithmic_error',
    'BinaryCrossentropy': 'binary_crossentropy',
    'CategoricalCrossentropy': 'categorical_crossentropy',
    'SparseCategoricalCrossentropy': 'sparse_categorical_crossentropy',
    'Hinge': 'hinge', 'SquaredHinge': 'squared_hinge', 'CategoricalHinge': 'categorical_hinge',
    'LogCosh': 'logcosh', 'KLDivergence': 'kullback_leibler_divergence',
    'Poisson': 'poisson', 'CosineSimilarity': 'cosine_proximity',
}

# Optimizer settings of later versions that have no Keras 2.2.4 counterpart, with their
# neutral values (a different value is reported, since training would then differ).
_OPTIMIZER_NEUTRAL = {'weight_decay': None, 'global_clipnorm': None, 'use_ema': False,
                      'centered': False, 'momentum': 0.}
_OPTIMIZER_IGNORED = frozenset(['name', 'ema_momentum', 'ema_overwrite_frequency',
                                'jit_compile', 'is_legacy_optimizer', 'initial_accumulator_value',
                                'mesh', 'loss_scale_factor', 'gradient_accumulation_steps'])


# ---------------------------------------------------------------------- model configuration

def convert_model_config(config):
    """A copy of a model configuration (`{'class_name', 'config'}`) in Keras 2.2.4's form.

    # Arguments
        config: the configuration, as read from a file or JSON/YAML text.

    # Returns
        A new dictionary (the argument is not modified).
    """
    return _convert_layer(copy.deepcopy(config))


def _convert_layer(layer_config):
    if not isinstance(layer_config, dict) or 'class_name' not in layer_config:
        return layer_config
    keras3 = 'module' in layer_config or 'registered_name' in layer_config
    if keras3:
        _refuse_keras3_only_layer(layer_config)
    for key in _METADATA_KEYS:
        layer_config.pop(key, None)
    if isinstance(layer_config.get('inbound_nodes'), list):
        layer_config['inbound_nodes'] = [_convert_node(node) for node in
                                         layer_config['inbound_nodes']]
    if keras3:
        _refuse_keras3_activations(layer_config)
    class_name = layer_config['class_name']
    if class_name == 'Functional':
        class_name = layer_config['class_name'] = 'Model'
    config = layer_config.get('config')
    if _is_model_entry(layer_config):
        _convert_model(layer_config, keras3)
        return layer_config
    if not isinstance(config, dict):
        return layer_config
    for key in list(config):
        value = config[key]
        if key.endswith('_initializer'):
            config[key] = _convert_initializer(value)
        elif key.endswith('_regularizer'):
            config[key] = _convert_regularizer(value)
        elif key.endswith('_constraint'):
            config[key] = _strip_metadata(value)
    if isinstance(config.get('dtype'), dict):
        config['dtype'] = _policy_dtype(config['dtype'])
    for key in ('layer', 'backward_layer', 'cell'):
        if isinstance(config.get(key), dict):
            config[key] = _convert_layer(config[key])
    if class_name == 'Lambda':
        _convert_lambda_functions(config)
    if class_name == 'Bidirectional':
        # tf.keras and Keras 3 set this on the layers they wrap themselves (zeros, not the
        # previous output, at masked steps of the returned sequences); Keras 2.2.4 has no
        # such setting.
        for key in ('layer', 'backward_layer'):
            inner = (config.get(key) or {}).get('config')
            if isinstance(inner, dict):
                inner.pop('zero_output_for_mask', None)
        if _mirrors(config.get('backward_layer'), config.get('layer')):
            # The backward layer they make themselves: what Keras 2.2.4 makes too.
            config.pop('backward_layer')
    for key in ('cell', 'cells'):
        if isinstance(config.get(key), list):  # stacked cells
            config[key] = [_convert_layer(cell) for cell in config[key]]
    if class_name == 'InputLayer' and 'batch_shape' in config:
        config.setdefault('batch_input_shape', config.pop('batch_shape'))
    if class_name == 'BatchNormalization' and isinstance(config.get('axis'), (list, tuple)) \
            and len(config['axis']) == 1:
        config['axis'] = config['axis'][0]
    _drop_unknown_arguments(class_name, config)
    return layer_config


def _lambda_function(value):
    """`(value, type)` of a Lambda's function in Keras 2's form, for Keras 3's
    `{'class_name': '__lambda__', 'config': {'code', 'defaults', 'closure'}}` (the same
    marshalled bytecode Keras 2 stores as `[code, defaults, closure]`) and its references to
    named functions; `None` for anything else."""
    if not isinstance(value, dict):
        return None
    if value.get('class_name') == '__lambda__':
        inner = value.get('config') or {}
        return [inner.get('code'), inner.get('defaults'), inner.get('closure')], 'lambda'
    if value.get('class_name') == 'function' and isinstance(value.get('config'), str):
        return value['config'], 'function'
    return None


def _convert_lambda_functions(config):
    for key, type_key in (('function', 'function_type'), ('output_shape', 'output_shape_type')):
        if type_key in config:
            continue  # Keras 2's form
        converted = _lambda_function(config.get(key))
        if converted is not None:
            config[key], config[type_key] = converted


def _mirrors(backward, forward):
    """Whether `backward` is `forward`'s configuration run the other way (the backward
    layer a Bidirectional derives from its layer)."""
    if not (isinstance(backward, dict) and isinstance(forward, dict)) or \
            backward.get('class_name') != forward.get('class_name'):
        return False
    b, f = dict(backward.get('config') or {}), dict(forward.get('config') or {})
    for config in (b, f):
        config.pop('name', None)
    return b.pop('go_backwards', False) != f.pop('go_backwards', False) and b == f


def _refuse_keras3_only_layer(layer_config):
    """A built-in Keras 3 layer (`module` `keras.layers` or `keras.src....`) that cornu does
    not have is one Keras 2 never had (`MultiHeadAttention`, `Rescaling`, ...): said so,
    naming it. (A custom layer's module is the user's: it goes to `custom_objects`.)"""
    class_name = layer_config.get('class_name')
    module = str(layer_config.get('module') or '')
    if not module.startswith('keras') or registered_class(class_name) is not None or \
            class_name in ('Functional', 'Model', 'Sequential'):
        return
    name = (layer_config.get('config') or {}).get('name', layer_config.get('name'))
    raise ValueError('Layer "' + str(name) + '" is Keras 3\'s ' + str(class_name) + ', which '
                     'has no Keras 2 counterpart: cornu implements the Keras 2 layers only.')


def _refuse_keras3_activations(layer_config):
    config = layer_config.get('config')
    if not isinstance(config, dict):
        return
    for key in _ACTIVATION_KEYS:
        value = config.get(key)
        if isinstance(value, dict):  # an activation saved as an object
            value = value.get('config', {}).get('name', value.get('class_name'))
        if value in _KERAS3_ACTIVATIONS:
            why = ('Keras 3 redefined it (relu6(x + 3) / 6, where Keras 2 computes '
                   '0.2 x + 0.5, clipped)' if value == 'hard_sigmoid' else
                   'Keras 2.2.4 has no such activation')
            raise ValueError('Layer "' + str(config.get('name')) + '" (' +
                             str(layer_config.get('class_name')) + ') of a Keras 3 model uses '
                             '`' + key + "='" + str(value) + "'`: " + why + '.')


def _keras_tensor_reference(value):
    """`[layer, node, tensor, {}]` for a Keras 3 `__keras_tensor__` entry, else None."""
    if isinstance(value, dict) and value.get('class_name') == '__keras_tensor__':
        history = (value.get('config') or {}).get('keras_history')
        if isinstance(history, (list, tuple)) and len(history) == 3:
            return [history[0], history[1], history[2], {}]
    return None


def _keras_tensors(value):
    """The `__keras_tensor__` entries in an argument (a tensor or a nest of them)."""
    reference = _keras_tensor_reference(value)
    if reference is not None:
        return [reference]
    if isinstance(value, (list, tuple)):
        return [r for item in value for r in _keras_tensors(item)]
    return []


# Call arguments whose tensors Keras 2 lists as inputs of the node after the main input.
_TENSOR_CALL_ARGUMENTS = ('initial_state', 'constants')


def _convert_node(node):
    """One inbound node in Keras 2's form: Keras 3's `{'args', 'kwargs'}` become the list
    of `[layer, node, tensor, kwargs]` of the inputs (other nodes are returned as they are)."""
    if not isinstance(node, dict) or 'args' not in node:
        return node
    args = node.get('args') or []
    kwargs = dict(node.get('kwargs') or {})
    inputs = _keras_tensors(args[0]) if args else []
    for extra in args[1:]:
        inputs.extend(_keras_tensors(extra))
    for key in _TENSOR_CALL_ARGUMENTS:
        inputs.extend(_keras_tensors(kwargs.pop(key, None)))
    # Keras 3 records `training`, and `mask` (None or a tensor Keras 2 derives itself).
    kwargs.pop('training', None)
    kwargs.pop('mask', None)
    call_kwargs = {}
    for key, value in kwargs.items():
        if _keras_tensors(value):
            raise ValueError('A Keras 3 layer call passes a tensor as `' + key + '`, which '
                             'Keras 2 models cannot express.')
        if value is not None:
            call_kwargs[key] = value
    if inputs and call_kwargs:
        inputs[0][3] = call_kwargs
    return inputs


def _is_model_entry(layer_config):
    config = layer_config.get('config')
    return layer_config.get('class_name') in ('Model', 'Sequential', 'Functional') or \
        (isinstance(config, dict) and isinstance(config.get('layers'), list))


def _convert_model(layer_config, keras3=False):
    config = layer_config.get('config')
    if isinstance(config, list):  # a Sequential configuration of Keras <= 2.2.2
        layer_config['config'] = [_convert_layer(c) for c in config]
        return
    if not isinstance(config, dict):
        return
    # (Keras 3's HDF5 files drop the `module` keys of the model, not its nodes' form.)
    keras3 = keras3 or any(isinstance(node, dict) and 'args' in node
                           for entry in config.get('layers', []) if isinstance(entry, dict)
                           for node in entry.get('inbound_nodes') or [])
    config['layers'] = [_convert_layer(c) for c in config.get('layers', [])]
    for key in ('input_layers', 'output_layers'):
        if key in config:
            config[key] = _coordinate_list(config[key])
    if keras3:
        _number_nested_model_nodes_from_one(config)


def _number_nested_model_nodes_from_one(config):
    """Keras 2 numbers the nodes of a model used as a layer from 1 (its node 0 links its
    own inputs to its outputs); Keras 3 from 0: references to such layers move up by one."""
    nested = set()
    for entry in config['layers']:
        if isinstance(entry, dict) and _is_model_entry(entry):
            nested.add(entry.get('name') or (entry.get('config') or {}).get('name'))
    if not nested:
        return

    def shifted(reference):
        if isinstance(reference, list) and len(reference) >= 3 and reference[0] in nested:
            return [reference[0], reference[1] + 1] + reference[2:]
        return reference

    for entry in config['layers']:
        nodes = entry.get('inbound_nodes') if isinstance(entry, dict) else None
        if isinstance(nodes, list):
            entry['inbound_nodes'] = [[shifted(r) for r in node] if isinstance(node, list)
                                      else node for node in nodes]
    if isinstance(config.get('output_layers'), list):
        config['output_layers'] = [shifted(r) for r in config['output_layers']]


def _coordinate_list(value):
    # tf.keras writes one `[name, node, tensor]` (not a list of them) for a single tensor,
    # and a dict for inputs given as a dict.
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)) and len(value) == 3 and isinstance(value[0], str):
        return [list(value)]
    return value


def _strip_metadata(value):
    if isinstance(value, dict):
        for key in _METADATA_KEYS:
            value.pop(key, None)
    return value


def _convert_initializer(value):
    value = _strip_metadata(value)
    if not isinstance(value, dict) or 'class_name' not in value:
        return value
    class_name = value['class_name']
    config = dict(value.get('config') or {})
    if class_name in _VARIANCE_SCALING_ALIASES:
        scale, mode, distribution = _VARIANCE_SCALING_ALIASES[class_name]
        return {'class_name': 'VarianceScaling',
                'config': {'scale': scale, 'mode': mode, 'distribution': distribution,
                           'seed': config.get('seed')}}
    for key in ('input_axes', 'output_axes'):  # Keras 3, None: Keras 2's fan computation
        if config.get(key) is None:
            config.pop(key, None)
    if class_name == 'VarianceScaling':
        # Keras 2.2.4's 'normal' is the truncated normal; it has no untruncated one (only
        # fresh weights would differ: saved weights are loaded over them).
        if config.get('distribution') in ('truncated_normal', 'untruncated_normal'):
            config['distribution'] = 'normal'
        return {'class_name': class_name, 'config': config}
    return value


def _convert_regularizer(value):
    value = _strip_metadata(value)
    if not isinstance(value, dict) or 'class_name' not in value:
        return value
    config = value.get('config') or {}
    if value['class_name'] in ('L1', 'L2'):
        key = value['class_name'].lower()
        other = 'l2' if key == 'l1' else 'l1'
        return {'class_name': 'L1L2', 'config': {key: float(config.get(key, 0.)), other: 0.}}
    return value


def _policy_dtype(policy):
    name = (policy.get('config') or {}).get('name', 'float32')
    if str(name).startswith('mixed_'):
        warnings.warn('Mixed-precision policy "' + str(name) + '" read as float32.')
        return 'float32'
    return name


def _drop_unknown_arguments(class_name, config):
    """Drops, from the configuration of a built-in layer, the bookkeeping entries of later
    formats and the later constructor arguments that hold their neutral value (which means
    what Keras 2.2.4 does). Anything else is left for the layer to accept or refuse, so that
    a setting cornu cannot honour fails loudly, naming the argument."""
    if registered_class(class_name) is None or class_name in ('Model', 'Sequential'):
        return  # a custom layer or a model: its configuration is its own business
    if class_name in _EQUIVALENT_IMPLEMENTATIONS:
        key, values = _EQUIVALENT_IMPLEMENTATIONS[class_name]
        if config.get(key) in values:
            config.pop(key)
    for key in list(config):
        if key in _METADATA_KEYS:
            config.pop(key)
        elif key in _LATER_ARGUMENT_DEFAULTS and _same_value(config[key],
                                                              _LATER_ARGUMENT_DEFAULTS[key]):
            config.pop(key)


def _same_value(value, default):
    return type(value) is type(default) and value == default or value is default


# ---------------------------------------------------------------------- training configuration

def convert_optimizer_config(optimizer_config):
    """An optimizer configuration (`{'class_name', 'config'}`) in Keras 2.2.4's form
    (`learning_rate` -> `lr`, `Custom>Adam` -> `Adam`, later settings dropped)."""
    optimizer_config = copy.deepcopy(optimizer_config)
    if not isinstance(optimizer_config, dict):
        return optimizer_config
    class_name = str(optimizer_config.get('class_name', ''))
    for prefix in ('Custom>', 'keras.optimizers.', 'keras.optimizers.legacy.'):
        if class_name.startswith(prefix):
            class_name = class_name[len(prefix):]
    if class_name.startswith('Legacy') and len(class_name) > 6:
        class_name = class_name[6:]
    config = dict(optimizer_config.get('config') or {})
    if 'learning_rate' in config:
        lr = config.pop('learning_rate')
        schedule = (lr.get('config') or {}) if isinstance(lr, dict) else {}
        if isinstance(lr, dict) and lr.get('class_name') == 'InverseTimeDecay' and \
                schedule.get('decay_steps') == 1 and not schedule.get('staircase'):
            # lr / (1 + rate * step): Keras 2's `decay`, exactly.
            config.setdefault('decay', schedule.get('decay_rate', 0.))
            lr = schedule.get('initial_learning_rate', 0.001)
        elif isinstance(lr, dict):
            warnings.warn('The saved optimizer used a learning rate schedule (' +
                          str(lr.get('class_name')) + '); it is replaced by its initial '
                          'learning rate.')
            lr = schedule.get('initial_learning_rate', 0.001)
        config.setdefault('lr', lr)
    for key in list(config):
        if key in _OPTIMIZER_IGNORED:
            config.pop(key)
        elif key in ('clipnorm', 'clipvalue') and config[key] is None:
            config.pop(key)
    from .. import optimizers
    cls = getattr(optimizers, class_name, None)
    if isinstance(cls, type):
        accepted = set(inspect.signature(cls.__init__).parameters) | {'clipnorm', 'clipvalue'}
        for key in list(config):
            if key in accepted:
                continue
            value = config.pop(key)
            if key in _OPTIMIZER_NEUTRAL and value in (_OPTIMIZER_NEUTRAL[key], 0, None):
                continue
            warnings.warn('Optimizer ' + class_name + ': setting ' + key + '=' + repr(value) +
                          ' has no Keras 2.2.4 equivalent and was ignored.')
    return {'class_name': class_name, 'config': config}


def _loss_name(value):
    if isinstance(value, dict) and 'class_name' in value:
        class_name = value['class_name']
        config = value.get('config') or {}
        if class_name == 'LossFunctionWrapper' and config.get('fn'):
            return config['fn']
        if config.get('from_logits') or config.get('label_smoothing'):
            raise ValueError('The saved loss ' + class_name + ' uses from_logits/'
                             'label_smoothing, which Keras 2.2.4 losses do not have. Load '
                             'with compile=False and compile the model yourself.')
        return _LOSS_CLASSES.get(class_name, class_name)
    return value


def convert_loss(loss):
    """Losses saved as objects (tf.keras) as Keras 2.2.4 loss names; nested lists and dicts
    keep their structure."""
    if isinstance(loss, list):
        return [convert_loss(x) for x in loss]
    if isinstance(loss, dict) and 'class_name' not in loss:
        return {key: convert_loss(value) for key, value in loss.items()}
    return _loss_name(loss)


def _metric_name(metric, output_name):
    if not isinstance(metric, dict) or 'class_name' not in metric:
        return metric
    config = metric.get('config') or {}
    name = str(config.get('name', ''))
    if output_name and name.startswith(output_name + '_'):
        name = name[len(output_name) + 1:]
    from .. import metrics as metrics_module
    candidates = [name, config.get('fn')]
    if metric['class_name'] not in ('MeanMetricWrapper',):
        candidates.append(_LOSS_CLASSES.get(metric['class_name']))
    for candidate in candidates:
        if not candidate:
            continue
        if candidate in ('accuracy', 'acc', 'crossentropy', 'ce'):
            return candidate
        try:
            metrics_module.get(candidate)
            return candidate
        except ValueError:
            continue
    warnings.warn('Metric ' + str(metric['class_name']) + ' ("' + name + '") saved by a later '
                  'Keras version has no Keras 2.2.4 equivalent; it is left out.')
    return None


def convert_metrics(metrics, output_names):
    """Metrics saved per output by tf.keras (lists of lists of metric objects) in Keras
    2.2.4's form: a list (one output) or a dict keyed by output name."""
    if metrics is None:
        return None
    if isinstance(metrics, dict):
        return {key: _metric_list(value, key if len(output_names) > 1 else None)
                for key, value in metrics.items()}
    if not isinstance(metrics, list):
        return metrics
    per_output = any(isinstance(m, list) for m in metrics)
    if not per_output:
        return _metric_list(metrics, None)
    if len(output_names) == 1:
        return _metric_list([m for group in metrics for m in (group or [])], None)
    result = {}
    for name, group in zip(output_names, metrics):
        converted = _metric_list(group or [], name)
        if converted:
            result[name] = converted
    return result


def _metric_list(values, output_name):
    if not isinstance(values, list):
        values = [values]
    converted = [_metric_name(m, output_name) for m in values if m is not None]
    return [m for m in converted if m is not None]


# ---------------------------------------------------------------------- optimizer state

def order_optimizer_weights(names, values):
    """Optimizer state saved by tf.keras's newer optimizers in Keras 2.2.4's order.

    Those store `iteration:0`, then each variable's slots in turn (`Adam/m/dense/kernel:0`,
    `Adam/v/dense/kernel:0`, ...); Keras 2.2.4 stores the iteration count, then all first
    slots, then all second slots (`[iterations] + ms + vs`). Other layouts are returned as
    they are.
    """
    if names and str(names[0]).endswith('/iteration'):
        return _keras3_optimizer_weights(names, values)
    if 'iteration:0' not in names:
        return list(values)
    iterations = [v for n, v in zip(names, values) if n == 'iteration:0']
    slots, order = {}, []
    others = []
    for name, value in zip(names, values):
        if name == 'iteration:0':
            continue
        parts = name.split('/')
        if len(parts) >= 3:
            slot = parts[1]
            if slot not in slots:
                slots[slot] = []
                order.append(slot)
            slots[slot].append(value)
        else:
            others.append(value)
    ordered = iterations
    for slot in order:
        ordered = ordered + slots[slot]
    return ordered + others


def _keras3_optimizer_weights(names, values):
    """Keras 3's order (`<name>/iteration`, `<name>/learning_rate`, then each variable's
    slots in turn: `..._momentum`, `..._velocity`) as Keras 2.2.4's `[iterations] + first
    slots + second slots`."""
    ordered, slots, order = [values[0]], {}, []
    for name, value in zip(names[1:], values[1:]):
        name = str(name)
        if name.endswith('/learning_rate'):
            continue  # a setting (the compiled optimizer has it), not state
        slot = name.rsplit('_', 1)[-1]
        if slot not in slots:
            slots[slot] = []
            order.append(slot)
        slots[slot].append(value)
    for slot in order:
        ordered = ordered + slots[slot]
    return ordered
