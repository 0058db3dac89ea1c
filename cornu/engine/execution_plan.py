"""Running a functional graph: a flat, precomputed list of layer calls.

`ExecutionPlan(inputs, outputs)` walks the graph once, from the requested outputs back to the
given inputs, and lays the calls out in dependency order over numbered value slots. Running it
is then a plain loop: no graph walking, dict lookups or signature inspection per batch. Masks
are propagated only when the graph carries any.

A plan made for training may stop some outputs before their layer's activation
(`pre_activation_outputs`): a softmax output then yields its logits, from which the loss
computes a fused log-softmax crossentropy. The plan decides each step's call when it is built;
nothing changes a step afterwards.

A recorded `K.gradients` op runs knowing how its loss was computed: while it runs, the run
context's `gradient_op` holds the plan from this plan's inputs to the loss, the op's targets
and the values this plan was fed (an engine with no tape of eager operations, JAX, traces that
plan again to differentiate it; PyTorch differentiates the loss's own graph and ignores it).
"""
from .. import backend as K
from ..backend.phase import learning_phase
from ..backend.run_context import current, run_context
from .autocast import policy_call
from .base_layer import call_signature


class GraphDisconnectedError(ValueError):
    pass


def _history(tensor):
    history = getattr(tensor, '_keras_history', None)
    if history is None:
        raise ValueError('The tensor ' + str(tensor) + ' was not produced by a cornu layer or '
                         '`Input` (it has no history), so it cannot be computed from the '
                         'model\'s inputs.')
    return history


class ExecutionPlan(object):
    """The calls that compute `outputs` from `inputs`.

    # Arguments
        inputs: list of symbolic tensors that will be fed.
        outputs: list of symbolic tensors to compute.
        pre_activation_outputs: indices of outputs to compute before their layer's
            activation (layers with a `_pre_activation` method, each the only output of its
            call); `pre_activation_outputs` on the plan lists those that could be.
    """

    def __init__(self, inputs, outputs, pre_activation_outputs=()):
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self._pre_activation_ids = set(id(self.outputs[i]) for i in pre_activation_outputs)
        self.pre_activation_outputs = []
        self._slots = {}
        self._pre_activation_slots = set()
        for tensor in self.inputs:
            self._slot(tensor)
        self.nodes = self._order_nodes()
        self.uses_masks = any(
            m is not None for node in self.nodes for m in list(node.input_masks) +
            list(node.output_masks)) or any(
            getattr(t, '_keras_mask', None) is not None for t in self.outputs)
        self.steps = [self._step(node) for node in self.nodes]
        self.input_slots = [self._slots[id(t)] for t in self.inputs]
        self.output_slots = [self._slots[id(t)] for t in self.outputs]
        if not self.uses_masks:
            self._move_relus_past_max_pooling()
        # Inputs made by `Input(tensor=...)` on a concrete tensor (a variable, say) have their
        # value, as in Keras 2 where they were not fed: a run may leave them out of its
        # values, which then only name the other inputs.
        fixed = [i for i, t in enumerate(self.inputs) if _holds_its_value(t)]
        self._fixed_inputs = [(self.input_slots[i], _history(self.inputs[i])[0].value)
                              for i in fixed]
        self._fed_slots = [slot for i, slot in enumerate(self.input_slots) if i not in fixed]
        self.pre_activation_outputs = [i for i, t in enumerate(self.outputs)
                                       if id(t) in self._pre_activation_ids and
                                       self._stops_before_activation(t)]
        self.size = len(self._slots)
        self._runs_gradient_ops = any(getattr(step.layer, '_is_gradients', False)
                                      for step in self.steps)
        self.layers = []
        for node in self.nodes:
            if node.outbound_layer not in self.layers:
                self.layers.append(node.outbound_layer)

    def _slot(self, tensor):
        key = id(tensor)
        if key not in self._slots:
            self._slots[key] = len(self._slots)
        return self._slots[key]

    def _order_nodes(self):
        """The nodes needed for `outputs`, each after the nodes that feed it (iterative DFS)."""
        fed = set(id(t) for t in self.inputs)
        ordered, done, in_progress = [], set(), set()
        accessed_layers = []
        stack = []
        for tensor in reversed(self.outputs):
            if id(tensor) not in fed:
                stack.append((tensor, False))
        while stack:
            tensor, expanded = stack.pop()
            layer, node_index, _ = _history(tensor)
            node = layer._inbound_nodes[node_index]
            if id(node) in done:
                continue
            if expanded:
                in_progress.discard(id(node))
                done.add(id(node))
                ordered.append(node)
                if layer.name not in accessed_layers:
                    accessed_layers.append(layer.name)
                continue
            if not node.inbound_layers and not _is_op_without_inputs(node):
                raise GraphDisconnectedError(
                    'Graph disconnected: cannot obtain value for tensor ' + str(tensor) +
                    ' at layer "' + layer.name + '". The following previous layers were '
                    'accessed without issue: ' + str(accessed_layers))
            if id(node) in in_progress:
                raise ValueError('The tensor ' + str(tensor) + ' at layer "' + layer.name +
                                 '" is part of a cycle.')
            in_progress.add(id(node))
            stack.append((tensor, True))
            for source in reversed(node.input_tensors):
                if id(source) not in fed:
                    source_layer, source_index, _ = _history(source)
                    if id(source_layer._inbound_nodes[source_index]) not in done:
                        stack.append((source, False))
        return ordered

    def _step(self, node):
        layer = node.outbound_layer
        in_slots = tuple(self._slot(t) for t in node.input_tensors)
        out_slots = tuple(self._slot(t) for t in node.output_tensors)
        takes_mask, _, takes_kwargs = call_signature(type(layer))
        call = layer.call
        if len(node.output_tensors) == 1 and id(node.output_tensors[0]) in \
                self._pre_activation_ids and hasattr(layer, '_pre_activation'):
            call = layer._pre_activation
            self._pre_activation_slots.add(out_slots)
        if getattr(layer, '_is_gradients', False):
            call = self._gradient_call(layer)
        else:
            call = policy_call(layer, call)
        return _Step(layer, call, in_slots, out_slots, dict(node.arguments),
                     takes_mask or takes_kwargs, len(node.output_tensors) == 1,
                     len(in_slots) == 1)

    def _move_relus_past_max_pooling(self):
        """Where a convolution's ReLU output is read by a max pooling only (not by another
        layer, nor as an output of the plan), runs the convolution without its ReLU and
        applies the ReLU to the pooling's output: `relu(maxpool(x)) == maxpool(relu(x))`,
        values and gradients alike (a window's largest value, or its NaN, wins either way;
        where it is not positive both give 0 and a zero gradient), on a fraction of the
        data (a quarter for 2x2 windows). A training step skips the ReLU's pass over the
        convolution's output and its gradient's pass, the largest activation of a CNN.
        Runs in the test phase keep the layers' own calls: there the ReLU fused into the
        convolution costs next to nothing (an epilogue of the convolution on torch)."""
        readers = {}
        for step in self.steps:
            for slot in step.in_slots:
                readers[slot] = readers.get(slot, 0) + 1
        for slot in self.output_slots:
            readers[slot] = readers.get(slot, 0) + 1
        producers = {step.out_slots[0]: step for step in self.steps if step.single_output}
        for step in self.steps:
            commutes = getattr(step.layer, '_commutes_with_relu', None)
            if not (step.single_input and not step.kwargs and commutes is not None and
                    commutes()):
                continue
            source = producers.get(step.in_slots[0])
            if (source is None or readers[step.in_slots[0]] != 1 or source.kwargs or
                    source.regularizer is not None or source.is_network or
                    not hasattr(source.layer, '_relu_split')):
                continue
            before_relu = source.layer._relu_split()
            if before_relu is None:
                continue
            source.call = _in_training(policy_call(source.layer, before_relu), source.call)
            step.call = _in_training(
                policy_call(step.layer, _then(step.layer.call, source.layer.activation)),
                step.call)

    def _gradient_call(self, op):
        """The call of a recorded `K.gradients` op, run in a context that says how its loss is
        computed from this plan's inputs (see the module docstring)."""
        loss, targets = op.gradient_operands()
        # Targets that are computed, not fed, are fed to the loss's plan: the gradient is
        # taken with respect to them, not through them.
        fed = []
        for target in targets:
            if isinstance(target, K.KerasTensor) and \
                    not any(target is t for t in self.inputs) and \
                    not any(target is t for t in fed):
                fed.append(target)
        loss_plan = []  # made at the first call: an engine with a tape never needs it

        def call_knowing_the_loss(inputs, **kwargs):
            if not loss_plan:
                loss_plan.append(ExecutionPlan(self.inputs + fed, [loss]))
            with run_context(gradient_op=(loss_plan[0], targets, fed,
                                          current().plan_feeds)):
                return op.call(inputs, **kwargs)

        return call_knowing_the_loss

    def _stops_before_activation(self, tensor):
        slot = self._slots[id(tensor)]
        return (slot,) in self._pre_activation_slots

    def run(self, values, masks=None, with_masks=False):
        """Computes the outputs from concrete input values.

        # Arguments
            values: list of tensors, one per input.
            masks: optional list of input masks.
            with_masks: also return the output masks.

        # Returns
            The list of output tensors, or `(outputs, output_masks)` with `with_masks`.
        """
        if self._runs_gradient_ops:
            # Its gradient ops read what this plan was fed (see `_gradient_call`).
            with run_context(plan_feeds=list(values)):
                return self._run(values, masks, with_masks)
        return self._run(values, masks, with_masks)

    def _run(self, values, masks, with_masks):
        slots = [None] * self.size
        input_slots = self.input_slots
        if self._fixed_inputs and len(values) == len(self._fed_slots):
            input_slots = self._fed_slots
            for slot, tensor in self._fixed_inputs:
                slots[slot] = tensor
        for slot, value in zip(input_slots, values):
            slots[slot] = value
        if self.uses_masks or (masks is not None and any(m is not None for m in masks)):
            mask_slots = [None] * self.size
            if masks is not None:
                for slot, mask in zip(input_slots, masks):
                    mask_slots[slot] = mask
            for step in self.steps:
                step.run_with_masks(slots, mask_slots)
            outputs = [slots[s] for s in self.output_slots]
            if with_masks:
                return outputs, [mask_slots[s] for s in self.output_slots]
            return outputs
        for step in self.steps:
            step.run(slots)
        outputs = [slots[s] for s in self.output_slots]
        if with_masks:
            return outputs, [None] * len(outputs)
        return outputs


def _in_training(training_call, call):
    """`training_call` in the training phase, else `call` (both take the layer's inputs)."""
    def call_by_phase(inputs):
        return training_call(inputs) if learning_phase() == 1 else call(inputs)
    return call_by_phase


def _then(call, activation):
    def call_then_activation(inputs):
        return activation(call(inputs))
    return call_then_activation


def _holds_its_value(tensor):
    """Whether `tensor` is the input of an `Input(tensor=...)` made on a concrete tensor,
    whose layer holds that value (see `InputLayer`)."""
    history = getattr(tensor, '_keras_history', None)
    return history is not None and getattr(history[0], 'value', None) is not None


def _is_op_without_inputs(node):
    return getattr(node.outbound_layer, '_is_constant_op', False)


class _Step(object):
    """One layer call of a plan."""

    __slots__ = ('layer', 'call', 'in_slots', 'out_slots', 'kwargs', 'takes_mask',
                 'single_output', 'single_input', 'regularizer', 'is_network')

    def __init__(self, layer, call, in_slots, out_slots, kwargs, takes_mask, single_output,
                 single_input):
        self.layer = layer
        self.call = call
        self.in_slots = in_slots
        self.out_slots = out_slots
        self.kwargs = kwargs
        self.takes_mask = takes_mask
        self.single_output = single_output
        self.single_input = single_input
        self.regularizer = getattr(layer, 'activity_regularizer', None)
        self.is_network = hasattr(layer, '_run_with_masks')

    def _inputs(self, slots):
        if self.single_input:
            return slots[self.in_slots[0]]
        return [slots[s] for s in self.in_slots]

    def _store(self, slots, outputs):
        if self.single_output:
            slots[self.out_slots[0]] = outputs
        else:
            for slot, value in zip(self.out_slots, outputs):
                slots[slot] = value

    def _regularize(self, outputs):
        for output in (outputs if isinstance(outputs, (list, tuple)) else [outputs]):
            self.layer.add_loss(self.regularizer(output))

    def run(self, slots):
        # `_inputs` and `_store` written out: this runs for every layer at every batch.
        inputs = slots[self.in_slots[0]] if self.single_input else \
            [slots[s] for s in self.in_slots]
        outputs = self.call(inputs, **self.kwargs) if self.kwargs else self.call(inputs)
        if self.regularizer is not None and current().call_losses is not None:
            self._regularize(outputs)
        if self.single_output:
            slots[self.out_slots[0]] = outputs
        else:
            for slot, value in zip(self.out_slots, outputs):
                slots[slot] = value

    def run_with_masks(self, slots, mask_slots):
        inputs = self._inputs(slots)
        masks = mask_slots[self.in_slots[0]] if self.single_input else \
            [mask_slots[s] for s in self.in_slots]
        has_mask = masks is not None and not (isinstance(masks, list) and
                                              all(m is None for m in masks))
        if self.is_network:
            outputs, output_masks = self.layer._run_with_masks(inputs, masks if has_mask else None)
        else:
            kwargs = self.kwargs
            if has_mask and self.takes_mask:
                kwargs = dict(kwargs, mask=masks)
            outputs = self.call(inputs, **kwargs) if kwargs else self.call(inputs)
            output_masks = self.layer.compute_mask(inputs, masks if has_mask else None)
        if self.regularizer is not None and current().call_losses is not None:
            self._regularize(outputs)
        self._store(slots, outputs)
        if self.single_output:
            mask_slots[self.out_slots[0]] = output_masks
        else:
            if not isinstance(output_masks, (list, tuple)):
                output_masks = [output_masks] * len(self.out_slots)
            for slot, mask in zip(self.out_slots, output_masks):
                mask_slots[slot] = mask
