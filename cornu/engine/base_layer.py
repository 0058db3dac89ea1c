"""`Layer`: the base class of every layer, with Keras 2's full layer API."""
import inspect

import numpy as np

from .. import backend as K
from ..backend import kernels
from ..backend.run_context import current, run_context
from .._common.generic_utils import (to_list, unpack_singleton, is_all_none, to_snake_case,
                                   object_list_uid)
from ..mixed_precision.policy import get_policy
from .autocast import policy_call
from .input_spec import InputSpec, check_input_compatibility
from .node import Node
from . import call_losses as symbolic_call_losses
from . import shape_inference
from .shape_arguments import checked_shape, checked_size

_ALLOWED_KWARGS = frozenset(['input_shape', 'batch_input_shape', 'batch_size', 'dtype', 'name',
                             'trainable', 'weights', 'input_dtype'])

_CALL_SIGNATURES = {}


def call_signature(layer_class):
    """`(takes_mask, takes_training, takes_kwargs)` for a layer class's `call`, worked out once."""
    signature = _CALL_SIGNATURES.get(layer_class)
    if signature is None:
        parameters = inspect.signature(layer_class.call).parameters
        takes_kwargs = any(p.kind == p.VAR_KEYWORD for p in parameters.values())
        signature = ('mask' in parameters, 'training' in parameters, takes_kwargs)
        _CALL_SIGNATURES[layer_class] = signature
    return signature


def _is_symbolic_structure(inputs):
    if isinstance(inputs, (list, tuple)):
        if not inputs:
            return False
        flags = [isinstance(x, K.KerasTensor) for x in inputs]
        if any(flags) and not all(flags):
            raise ValueError('A layer was called with a mix of symbolic tensors (from Input) and '
                             'concrete values: ' + str(inputs)[:200])
        return flags[0]
    return isinstance(inputs, K.KerasTensor)


class Layer(object):
    """Abstract base layer class.

    # Properties
        name: string, unique within a model.
        input_spec: list of `InputSpec` (or one) describing accepted inputs.
        trainable: whether the layer's weights are updated by training.
        supports_masking: whether the layer passes or computes masks.
        trainable_weights, non_trainable_weights, weights: lists of variables.
        input, output, input_shape, output_shape, input_mask, output_mask: available when the
            layer has been called once (one inbound node).
        losses, updates: regularization losses and state updates of the layer.
        built: whether `build` has run.

    # Methods
        call(x, mask=None): the layer's logic.
        __call__(x): builds the layer if needed, runs it, and on symbolic inputs records a node.
        compute_output_shape(input_shape), compute_mask(x, mask), build(input_shape),
        add_weight(...), get_weights(), set_weights(weights), get_config(), count_params(),
        get_input_at(node_index) and friends for shared layers.

    # Keyword arguments accepted by every layer
        input_shape, batch_input_shape, batch_size, dtype, name, trainable, weights.
    """

    def __init__(self, **kwargs):
        for kwarg in kwargs:
            if kwarg not in _ALLOWED_KWARGS:
                raise TypeError('Keyword argument not understood: ' + str(kwarg))
        name = kwargs.get('name')
        if not name:
            prefix = to_snake_case(self.__class__.__name__)
            name = prefix + '_' + str(K.get_uid(prefix))
        self.name = name
        self.trainable = kwargs.get('trainable', True)
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

        if 'input_shape' in kwargs or 'batch_input_shape' in kwargs:
            owner = 'Layer ' + self.name
            if 'batch_input_shape' in kwargs:
                batch_input_shape = checked_shape(kwargs['batch_input_shape'],
                                                  'batch_input_shape', owner)
            else:
                batch_input_shape = ((checked_size(kwargs.get('batch_size'), 'batch_size',
                                                   owner),) +
                                     checked_shape(kwargs['input_shape'], 'input_shape', owner))
            self.batch_input_shape = batch_input_shape
        dtype = kwargs.get('dtype') or kwargs.get('input_dtype')
        # `dtype` may name a policy (`'mixed_bfloat16'`, a `Policy`): the layer's variables
        # take its variable dtype, its computations its compute dtype. A dtype no policy
        # names (`'int32'`) is kept as it is.
        self._dtype_policy = get_policy(dtype)
        if self._dtype_policy is None:
            self.dtype = self._compute_dtype = dtype
        else:
            self.dtype = self._dtype_policy.variable_dtype
            self._compute_dtype = self._dtype_policy.compute_dtype
        # Keras 2.2.4 writes `dtype` only for layers given an input shape; a dtype given
        # explicitly is written too, so that it survives a round trip, and so is a policy
        # other than the default (`K.floatx()`'s).
        self._dtype_in_config = bool(dtype) or (self._dtype_policy is not None and
                                                self._dtype_policy.name != K.floatx())
        self._initial_weights = kwargs.get('weights')

    # ------------------------------------------------------------------ weights

    @property
    def dtype_policy(self):
        """The layer's `Policy` (`None` for a layer of a non-floating dtype)."""
        return self._dtype_policy

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's variables (the same as `dtype`)."""
        return self.dtype

    @property
    def built(self):
        return self._built

    @built.setter
    def built(self, value):
        self._built = value

    @property
    def trainable_weights(self):
        return list(self._trainable_weights) if self.trainable else []

    @trainable_weights.setter
    def trainable_weights(self, weights):
        self._trainable_weights = list(weights)

    @property
    def non_trainable_weights(self):
        if self.trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    @non_trainable_weights.setter
    def non_trainable_weights(self, weights):
        self._non_trainable_weights = list(weights)

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    def add_weight(self, name, shape, dtype=None, initializer=None, regularizer=None,
                   trainable=True, constraint=None):
        """Creates a weight variable of the layer, named like `dense_1/kernel:0`.

        # Arguments
            name: the weight's name within the layer, e.g. `'kernel'`.
            shape: shape tuple.
            dtype: dtype name (default: the layer's dtype).
            initializer: initializer instance, name or callable.
            regularizer: regularizer instance, name or callable (adds a loss).
            trainable: whether training updates it.
            constraint: constraint instance, name or callable applied after updates.

        # Returns
            The variable.
        """
        from .. import initializers, regularizers, constraints
        shape = tuple(int(d) for d in shape)
        initializer = initializers.get(initializer)
        constraint = constraints.get(constraint)
        dtype = dtype or self.dtype
        value = initializer(shape, dtype=dtype)
        weight = K.variable(value, dtype=dtype, name=self.name + '/' + name + ':0',
                            constraint=constraint)
        if regularizer is not None:
            self._weight_regularizers.append((weight, regularizers.get(regularizer)))
        if trainable:
            self._trainable_weights.append(weight)
        else:
            self._non_trainable_weights.append(weight)
        return weight

    def get_weights(self):
        """The layer's weights as a list of NumPy arrays."""
        return K.batch_get_value(self.weights)

    def set_weights(self, weights):
        """Sets the layer's weights from NumPy arrays (same order and shapes as `get_weights`).

        # Raises
            ValueError: naming the layer, when the number or shapes do not match. Nothing is
                assigned unless everything matches.
        """
        params = self.weights
        if len(params) != len(weights):
            raise ValueError('You called `set_weights(weights)` on layer "' + self.name +
                             '" with a weight list of length ' + str(len(weights)) +
                             ', but the layer was expecting ' + str(len(params)) +
                             ' weights. Provided weights: ' + str(weights)[:50] + '...')
        values = []
        for param, value in zip(params, weights):
            value = np.asarray(value)
            if tuple(K.int_shape(param)) != tuple(value.shape):
                raise ValueError('Layer "' + self.name + '": weight ' + str(param.name) +
                                 ' has shape ' + str(tuple(K.int_shape(param))) +
                                 ', but the provided weight has shape ' + str(value.shape) + '.')
            values.append((param, value))
        K.batch_set_value(values)

    def count_params(self):
        """The number of scalars in the layer's weights.

        # Raises
            RuntimeError: if the layer is not built yet.
        """
        if not self.built:
            if self.__class__.__name__ == 'Sequential':
                self.build()
            else:
                raise RuntimeError('You tried to call `count_params` on ' + self.name +
                                   ', but the layer isn\'t built. You can build it manually '
                                   'via: `' + self.name + '.build(batch_input_shape)`.')
        return int(sum(K.count_params(p) for p in {id(w): w for w in self.weights}.values()))

    # ------------------------------------------------------------------ losses and updates

    @property
    def losses(self):
        """The layer's losses, as Keras 2 lists them: losses added with `add_loss`, the
        regularization of its weights (computed from their current values), for each call
        on symbolic tensors the losses its `call` adds and its activity regularization
        (symbolic losses, see `get_losses_for`), and the losses of its latest call on
        concrete tensors."""
        losses = list(self._losses) + list(getattr(self, '_last_call_losses', []))
        for weight, regularizer in self._weight_regularizers:
            losses.append(regularizer(weight))
        for node_index in range(len(self._inbound_nodes)):
            losses += self._losses_added_in_call_at(node_index)
            losses += self._activity_losses_at(node_index)
        return losses

    @property
    def updates(self):
        """The layer's state updates (e.g. `StateUpdate`s for the moving statistics of
        `BatchNormalization`); none for a frozen layer that is not stateful, whose updates
        training does not apply."""
        if not self.trainable and not self.stateful:
            return []
        return list(self._updates)

    def add_loss(self, losses, inputs=None):
        """Adds loss tensors to the layer.

        Called during `call` with concrete tensors (e.g. activity regularization), the loss
        counts for that training step. Called with symbolic tensors built from a model's
        inputs or outputs (e.g. `vae.add_loss(K.mean(...))`), the loss is computed by the model
        at every step. Plain numbers and weight-only tensors are kept as they are.

        # Arguments
            losses: a loss or a list of losses.
            inputs: the input tensor(s) the losses depend on (`get_losses_for(inputs)` lists
                them), or `None` for losses that depend on no input.
        """
        if losses is None:
            return
        context = current()
        if context.probing:
            # Only a count of the call's losses is wanted from a probe (see
            # `_losses_added_in_call_at`); elsewhere probes add nothing.
            if type(context.call_losses) is symbolic_call_losses.CallLosses:
                context.call_losses.extend(x for x in to_list(losses) if x is not None)
            return
        # While a model runs, losses added on concrete tensors go to the run's collector.
        call_losses = context.call_losses
        for loss in to_list(losses):
            if loss is None:
                continue
            if call_losses is not None and not isinstance(loss, K.KerasTensor):
                call_losses.append(loss)
            else:
                self._losses.append(loss)
                uid = object_list_uid(inputs) if inputs is not None else None
                self._per_input_losses.setdefault(uid, []).append(loss)

    def add_update(self, updates, inputs=None):
        """Records state updates. `K.update`-style functions apply immediately in cornu; a
        `(variable, new_value)` pair given here is applied now.

        # Arguments
            updates: an update or a list of updates.
            inputs: the input tensor(s) the updates depend on (`get_updates_for(inputs)`
                lists them), or `None` for updates that depend on no input.
        """
        if updates is None or shape_inference.is_probing():
            return
        for update in to_list(updates):
            if isinstance(update, tuple) and len(update) == 2 and kernels.is_variable(update[0]):
                if not isinstance(update[1], K.KerasTensor):
                    K.update(update[0], update[1])
            uid = object_list_uid(inputs) if inputs is not None else None
            self._per_input_updates.setdefault(uid, []).append(update)
            if len(self._updates) < 64:
                self._updates.append(update)

    def get_updates_for(self, inputs):
        """The updates of the layer's call on `inputs` (`None`: those of no call).

        # Arguments
            inputs: input tensor(s) of a call of the layer, or `None`.

        # Returns
            A list (empty for a frozen layer that is not stateful).
        """
        if not self.trainable and not self.stateful:
            return []
        uid = object_list_uid(inputs) if inputs is not None else None
        return list(self._per_input_updates.get(uid, []))

    def get_losses_for(self, inputs):
        """The losses of the layer's call on `inputs`: those added for these inputs, those
        that `call` adds and the activity regularization of that call (symbolic tensors,
        computable with `K.function`), or the losses of the latest call on concrete tensors
        when `inputs` are its inputs. With `inputs=None`, the losses that depend on no input: those added
        without inputs and the regularization of the layer's weights.

        # Arguments
            inputs: input tensor(s) of a call of the layer, or `None`.

        # Returns
            A list of losses.
        """
        if inputs is None:
            losses = list(self._per_input_losses.get(None, []))
            return losses + [regularizer(weight)
                             for weight, regularizer in self._weight_regularizers]
        uid = object_list_uid(inputs)
        losses = list(self._per_input_losses.get(uid, []))
        for node_index, node in enumerate(self._inbound_nodes):
            if object_list_uid(node.input_tensors) == uid:
                losses += self._losses_added_in_call_at(node_index)
                losses += self._activity_losses_at(node_index)
        if uid == getattr(self, '_last_call_uid', None):
            losses += self._last_call_losses
        return losses

    def _activity_losses_at(self, node_index):
        return symbolic_call_losses.activity_losses_at(self, node_index)

    def _losses_added_in_call_at(self, node_index):
        # Built-in layers add no losses in `call`; only a user's `call` needs probing.
        if type(self).__module__.startswith('cornu.') or type(self).call is Layer.call:
            return []
        return symbolic_call_losses.losses_added_in_call_at(self, node_index)

    def _call_updates(self, inputs, kwargs):
        """The updates a call on the symbolic `inputs` with `kwargs` makes when it runs in
        the training phase (`StateUpdate`s), listed by `get_updates_for(inputs)`. Layers
        that change state as they run override it; the base layer makes none.

        # Arguments
            inputs: the list of symbolic input tensors.
            kwargs: the call's keyword arguments (e.g. `training`).
        """
        return []

    def _output_uses_learning_phase(self, input_list, kwargs):
        """Whether the outputs of a call depend on the learning phase, as Keras 2 marked
        them (`_uses_learning_phase`): when an input does, or when the layer does and the
        call leaves the phase open (no fixed `training` argument)."""
        if any(getattr(x, '_uses_learning_phase', False) for x in input_list):
            return True
        if not self.uses_learning_phase:
            return False
        training = kwargs.get('training')
        return training is None or kernels.is_symbolic(training) or \
            isinstance(training, K.KerasTensor)

    # Whether `call` computes each row of a batch from that row alone (the JAX engine may then
    # pad a short batch with rows that change nothing; see `computes_rows_independently`).
    # Built-in layers that do say so; a layer that does not is not assumed to.
    _rows_independent = False

    def computes_rows_independently(self, training):
        """Whether each output row depends only on the same input row, whatever the other
        rows of the batch (random draws aside): a batch may then be padded with extra rows
        and its real rows' outputs taken back unchanged.

        Only layers of this package are trusted with it (a subclass defined elsewhere may
        override `call`); a stateful layer needs its exact batch, and an activity
        regularizer adds a loss computed over the whole batch.

        # Arguments
            training: whether the question is for the training phase.

        # Returns
            A bool.
        """
        return (type(self).__module__.startswith('cornu.') and
                bool(self._rows_independent) and not self.stateful and
                getattr(self, 'activity_regularizer', None) is None)

    # ------------------------------------------------------------------ the layer logic

    def build(self, input_shape):
        """Creates the layer's weights. Subclasses override it and set `self.built = True`."""
        self.built = True

    def call(self, inputs, **kwargs):
        """The layer's logic: returns its output tensor(s). The base layer returns its input."""
        return inputs

    def compute_output_shape(self, input_shape):
        """The output shape for a given input shape (the base layer keeps it unchanged)."""
        return input_shape

    def compute_mask(self, inputs, mask=None):
        """The output mask (the base layer drops masks, and refuses them unless it
        `supports_masking`)."""
        if not self.supports_masking:
            if mask is not None and not is_all_none(mask):
                raise TypeError('Layer ' + self.name + ' does not support masking, '
                                'but was passed an input_mask: ' + str(mask))
            return None
        return mask

    def assert_input_compatibility(self, inputs):
        """Checks `inputs` against `self.input_spec`; raises a `ValueError` naming the layer."""
        if not self.input_spec:
            return
        inputs = to_list(inputs)
        for x in inputs:
            if not K.is_tensor(x) and not isinstance(x, K.KerasTensor):
                raise ValueError('Layer ' + self.name + ' was called with an input that isn\'t a '
                                 'symbolic tensor. Received type: ' + str(type(x)) +
                                 '. Full input: ' + str(inputs) + '. All inputs to the layer '
                                 'should be tensors.')
        specs = to_list(self.input_spec)
        check_input_compatibility(self, specs, inputs, [tuple(K.int_shape(x)) for x in inputs])

    def __call__(self, inputs, **kwargs):
        """Runs the layer: builds it if needed; on symbolic inputs, also records a graph node.

        # Arguments
            inputs: a tensor or a list of tensors (symbolic or concrete).
            **kwargs: passed to `call` (e.g. `mask`, `training`).
        """
        if _is_symbolic_structure(inputs):
            return self._call_symbolic(inputs, kwargs)
        return self._call_concrete(inputs, kwargs)

    def _maybe_build(self, inputs):
        if not self.built:
            self.assert_input_compatibility(inputs)
            shapes = [tuple(K.int_shape(x)) for x in to_list(inputs)]
            self.build(unpack_singleton(shapes))
            self.built = True
            if self._initial_weights is not None:
                self.set_weights(self._initial_weights)
                self._initial_weights = None

    def _call_concrete(self, inputs, kwargs):
        self._maybe_build(inputs)
        takes_mask, takes_training, takes_kwargs = call_signature(type(self))
        if not takes_mask and 'mask' in kwargs and not takes_kwargs:
            kwargs = {k: v for k, v in kwargs.items() if k != 'mask'}
        # Called directly on tensors outside of a model run, the losses of this call are
        # kept as the layer's latest call losses (replacing those of the previous call).
        if current().call_losses is not None:
            return self._call_and_regularize(inputs, kwargs)
        collector = []
        with run_context(call_losses=collector):
            outputs = self._call_and_regularize(inputs, kwargs)
        self._last_call_losses = collector
        self._last_call_uid = object_list_uid(inputs)
        uses_phase = self._output_uses_learning_phase(to_list(inputs), kwargs)
        for output in to_list(outputs):
            try:
                output._uses_learning_phase = uses_phase
            except (AttributeError, TypeError):  # a tensor type that takes no attributes
                pass
        return outputs

    def _call_and_regularize(self, inputs, kwargs):
        outputs = policy_call(self, self.call)(inputs, **kwargs)
        regularizer = getattr(self, 'activity_regularizer', None)
        if regularizer is not None:
            for output in to_list(outputs):
                self.add_loss(regularizer(output))
        return outputs

    def _call_symbolic(self, inputs, kwargs):
        input_list = to_list(inputs)
        self._maybe_build(inputs)
        self.assert_input_compatibility(inputs)
        takes_mask, takes_training, takes_kwargs = call_signature(type(self))

        previous_masks = [getattr(x, '_keras_mask', None) for x in input_list]
        call_kwargs = dict(kwargs)
        if takes_mask and 'mask' not in call_kwargs and not is_all_none(previous_masks):
            call_kwargs['mask'] = unpack_singleton(previous_masks)
        input_masks = to_list(call_kwargs.get('mask', unpack_singleton(previous_masks)))
        if len(input_masks) != len(input_list):
            input_masks = [None] * len(input_list)

        output_specs, output_masks = self._infer_outputs(inputs, input_list, call_kwargs,
                                                          input_masks)
        uses_phase = self._output_uses_learning_phase(input_list, kwargs)
        output_list = []
        for (shape, dtype), mask in zip(output_specs, output_masks):
            tensor = K.KerasTensor(shape, dtype, name=self.name)
            tensor._keras_mask = mask
            tensor._uses_learning_phase = uses_phase
            output_list.append(tensor)

        inbound_layers, node_indices, tensor_indices = [], [], []
        for x in input_list:
            if x._keras_history is not None:
                layer, node_index, tensor_index = x._keras_history
            else:
                layer, node_index, tensor_index = None, 0, 0
            inbound_layers.append(layer)
            node_indices.append(node_index)
            tensor_indices.append(tensor_index)
        node_arguments = {k: v for k, v in kwargs.items() if k != 'mask'}
        Node(self, inbound_layers, node_indices, tensor_indices, input_list, output_list,
             input_masks, output_masks, [x._keras_shape for x in input_list],
             [x._keras_shape for x in output_list], node_arguments)
        node_index = len(self._inbound_nodes) - 1
        for i, tensor in enumerate(output_list):
            tensor._keras_history = (self, node_index, i)
        updates = self._call_updates(input_list, kwargs)
        if updates:
            self.add_update(updates, input_list)
        if self._returns_list(output_list):
            return output_list
        return output_list[0]

    def _returns_list(self, output_list):
        return len(output_list) > 1 or getattr(self, '_single_output_as_list', False)

    def _infer_outputs(self, inputs, input_list, call_kwargs, input_masks):
        """Static `(shape, dtype)` of each output and the symbolic output masks."""
        cls = type(self)
        default_mask = cls.compute_mask is Layer.compute_mask
        if self._has_shape_formula():
            input_shapes = [x._keras_shape for x in input_list]
            shapes = self.compute_output_shape(unpack_singleton(input_shapes))
            shapes = shapes if isinstance(shapes, list) else [shapes]
            dtype = self._output_dtype(input_list)
            specs = [(tuple(s), dtype) for s in shapes]
        else:
            try:
                result = shape_inference.probe(policy_call(self, self.call), (inputs,),
                                               call_kwargs)
            except Exception as error:
                shapes = unpack_singleton([x._keras_shape for x in input_list])
                raise _like(error, f'Layer {self.name} ({cls.__name__}) failed when called on '
                                   f'inputs of shape {shapes}: {error}') from error
            specs = result if isinstance(result, list) else [result]
            specs = [spec if isinstance(spec, tuple) and len(spec) == 2 else ((), K.floatx())
                     for spec in specs]
        if default_mask:
            mask = self.compute_mask(inputs, unpack_singleton(input_masks)
                                     if not is_all_none(input_masks) else None)
        else:
            mask = self._symbolic_mask(inputs, input_masks)
        masks = mask if isinstance(mask, list) else [mask] * len(specs)
        if len(masks) != len(specs):
            masks = [None] * len(specs)
        return specs, masks

    def _has_shape_formula(self):
        """Whether `compute_output_shape` gives the output shape (else it is found by probing)."""
        return type(self).compute_output_shape is not Layer.compute_output_shape

    def _output_dtype(self, input_list):
        dtype = getattr(self, '_compute_dtype', self.dtype)
        return dtype if dtype else input_list[0].dtype

    def _symbolic_mask(self, inputs, input_masks):
        """The output mask as a symbolic tensor with a history (so `K.function` can compute
        it), when `compute_mask` is written with K functions; found by probing otherwise."""
        mask_argument = unpack_singleton(input_masks) if not is_all_none(input_masks) else None
        try:
            mask = self.compute_mask(inputs, mask_argument)
        except Exception:
            return self._probe_mask(inputs, input_masks)
        leaves = mask if isinstance(mask, list) else [mask]
        if all(m is None or isinstance(m, K.KerasTensor) for m in leaves):
            return mask
        return self._probe_mask(inputs, input_masks)

    def _probe_mask(self, inputs, input_masks):
        mask_argument = unpack_singleton(input_masks) if not is_all_none(input_masks) else None
        described = shape_inference.probe(self.compute_mask, (inputs, mask_argument), {})

        def to_symbolic(spec):
            if spec is None or not isinstance(spec, tuple):
                return None
            shape, dtype = spec
            return K.KerasTensor(shape, dtype, name=self.name + '_mask')

        if isinstance(described, list):
            return [to_symbolic(spec) for spec in described]
        return to_symbolic(described)

    # ------------------------------------------------------------------ graph introspection

    def _get_node_attribute_at_index(self, node_index, attr, attr_name):
        if not self._inbound_nodes:
            raise RuntimeError('The layer has never been called and thus has no defined ' +
                               attr_name + '.')
        if not len(self._inbound_nodes) > node_index:
            raise ValueError('Asked to get ' + attr_name + ' at node ' + str(node_index) +
                             ', but the layer has only ' + str(len(self._inbound_nodes)) +
                             ' inbound nodes.')
        values = getattr(self._inbound_nodes[node_index], attr)
        if len(values) == 1:
            return values[0]
        return values

    def get_input_shape_at(self, node_index):
        return self._get_node_attribute_at_index(node_index, 'input_shapes', 'input shape')

    def get_output_shape_at(self, node_index):
        return self._get_node_attribute_at_index(node_index, 'output_shapes', 'output shape')

    def get_input_at(self, node_index):
        return self._get_node_attribute_at_index(node_index, 'input_tensors', 'input')

    def get_output_at(self, node_index):
        return self._get_node_attribute_at_index(node_index, 'output_tensors', 'output')

    def get_input_mask_at(self, node_index):
        return self._get_node_attribute_at_index(node_index, 'input_masks', 'input mask')

    def get_output_mask_at(self, node_index):
        return self._get_node_attribute_at_index(node_index, 'output_masks', 'output mask')

    def _single_node_attribute(self, attr, what):
        if not self._inbound_nodes:
            if what == 'output':
                raise AttributeError('Layer ' + self.name + ' has no inbound nodes.')
            raise AttributeError('Layer ' + self.name + ' is not connected, no ' + what +
                                 ' to return.')
        if len(self._inbound_nodes) > 1:
            raise AttributeError('Layer ' + self.name + ' has multiple inbound nodes, hence the '
                                 'notion of "layer ' + what + '" is ill-defined. Use `get_' +
                                 what.replace(' ', '_') + '_at(node_index)` instead.')
        return self._get_node_attribute_at_index(0, attr, what)

    @property
    def input(self):
        return self._single_node_attribute('input_tensors', 'input')

    @property
    def output(self):
        return self._single_node_attribute('output_tensors', 'output')

    @property
    def input_mask(self):
        return self._single_node_attribute('input_masks', 'input mask')

    @property
    def output_mask(self):
        return self._single_node_attribute('output_masks', 'output mask')

    def _unique_shape(self, attr, what):
        if not self._inbound_nodes:
            raise AttributeError('The layer has never been called and thus has no defined ' +
                                 what + '.')
        shapes = [getattr(node, attr) for node in self._inbound_nodes]
        if len(set(str(s) for s in shapes)) == 1:
            return shapes[0][0] if len(shapes[0]) == 1 else shapes[0]
        raise AttributeError('The layer "' + str(self.name) + '" has multiple inbound nodes, '
                             'with different ' + what + 's. Hence the notion of "' + what +
                             '" is ill-defined for the layer. Use `get_' +
                             what.replace(' ', '_') + '_at(node_index)` instead.')

    @property
    def input_shape(self):
        return self._unique_shape('input_shapes', 'input shape')

    @property
    def output_shape(self):
        return self._unique_shape('output_shapes', 'output shape')

    @property
    def uses_learning_phase(self):
        return self._uses_learning_phase

    @uses_learning_phase.setter
    def uses_learning_phase(self, value):
        # Keras 2 custom layers set it in `__init__` when their `call` uses the phase.
        self._uses_learning_phase = bool(value)

    # ------------------------------------------------------------------ configuration

    def get_config(self):
        """The layer's constructor arguments, as a JSON-serialisable dict."""
        config = {'name': self.name, 'trainable': self.trainable}
        if hasattr(self, 'batch_input_shape'):
            config['batch_input_shape'] = self.batch_input_shape
        if hasattr(self, 'dtype') and (hasattr(self, 'batch_input_shape') or
                                       getattr(self, '_dtype_in_config', True)):
            policy = getattr(self, '_dtype_policy', None)
            config['dtype'] = policy.name if policy is not None and policy.is_mixed \
                else self.dtype
        return config

    @classmethod
    def from_config(cls, config):
        """Creates a layer from the output of `get_config`."""
        return cls(**config)

    def __repr__(self):
        return '<%s name=%s>' % (self.__class__.__name__, self.name)


def _like(error, message):
    """An exception of `error`'s class carrying `message`, for re-raising with the layer named;
    a `RuntimeError` when that class is not built from one message. The caller chains the
    original (`raise ... from error`), which keeps its attributes and traceback."""
    try:
        return type(error)(message)
    except Exception:
        return RuntimeError(message)
