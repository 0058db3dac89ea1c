"""What `TensorBoard` computes on a validation batch: the outputs of the model's layers and
the gradients of its loss, both in the test phase (Keras 2 fed them the learning phase `0`).

Neither changes the model: the states of stateful recurrent layers, which running the
layers advances, are put back afterwards (Keras 2 computed these summaries without running
the layers' updates).
"""
import contextlib

import numpy as np

from .. import backend as K
from ..backend import kernels
from ..backend import steps as engine


def _state_variables(layer, seen=None):
    """The state variables of the stateful layers in `layer` (nested models and wrapped
    layers included)."""
    seen = set() if seen is None else seen
    if id(layer) in seen:
        return []
    seen.add(id(layer))
    found = []
    if getattr(layer, 'stateful', False):
        found.extend(s for s in (getattr(layer, 'states', None) or []) if s is not None)
    inner = list(getattr(layer, 'layers', None) or [])
    for name in ('layer', 'forward_layer', 'backward_layer', 'cell'):
        if getattr(layer, name, None) is not None:
            inner.append(getattr(layer, name))
    for child in inner:
        found.extend(_state_variables(child, seen))
    return found


@contextlib.contextmanager
def states_kept(model):
    """Puts back the states of `model`'s stateful layers on leaving."""
    states = _state_variables(model)
    values = K.batch_get_value(states) if states else []
    try:
        yield
    finally:
        if states:
            K.batch_set_value(list(zip(states, values)))


def _layer_output_tensors(model):
    """`(tag, symbolic output)` for each output of each of the model's layers: tagged
    `<layer>_out`, or `<layer>_out_<i>` for a layer with several outputs. A layer without a
    single output in the model (a shared layer called several times) is left out."""
    tagged = []
    for layer in model.layers:
        try:
            output = layer.output
        except (AttributeError, RuntimeError, ValueError):
            continue
        if isinstance(output, (list, tuple)):
            tagged.extend(('%s_out_%d' % (layer.name, i), o) for i, o in enumerate(output))
        else:
            tagged.append(('%s_out' % layer.name, output))
    return tagged


class LayerOutputs(object):
    """The outputs of a model's layers for a batch of inputs, in the test phase.

    # Arguments
        model: a built graph `Model`.
    """

    def __init__(self, model):
        self._model = model
        tagged = _layer_output_tensors(model)
        self.tags = [tag for tag, _ in tagged]
        inputs = list(model.inputs)
        self._feeds_phase = model.uses_learning_phase and \
            not isinstance(K.learning_phase(), int)
        if self._feeds_phase:
            inputs.append(K.learning_phase())
        self._function = K.function(inputs, [tensor for _, tensor in tagged]) \
            if tagged else None

    def __call__(self, inputs):
        """`[(tag, NumPy array)]` for the batch `inputs` (a list of arrays, one per input)."""
        if self._function is None:
            return []
        with states_kept(self._model):
            values = self._function(list(inputs) + ([0.] if self._feeds_phase else []))
        return list(zip(self.tags, values))


class LossGradients(object):
    """The gradients of a compiled model's total loss (regularization included) with
    respect to its trainable weights, for a batch, in the test phase.

    The loss is the one the training step minimizes, computed by the model's own step logic;
    the step is compiled by the engine as a test step is (on JAX, once per batch shape).

    # Arguments
        model: a compiled `Model`.
    """

    def __init__(self, model):
        self.model = model
        trainer = model._trainer
        logic = trainer.logic
        self.weights = list(trainer.params)

        def total_loss(inputs, targets, weights):
            outputs, masks, call_losses, graph_values, loss_inputs = logic.forward(
                inputs, training=False)
            total, _ = logic.losses(loss_inputs, masks, targets, weights, call_losses,
                                    graph_values)
            return total, ()

        value_and_grad = engine.value_and_grad(
            total_loss, self.weights, name='the gradients TensorBoard writes for ' +
            model.name)

        def gradients(inputs, targets, weights):
            return value_and_grad(inputs, targets, weights)[2]

        self._step = engine.compile_step(gradients, [model.weights], training=False)

    def __call__(self, inputs, targets, weights):
        """`[(weight, NumPy gradient)]` for a batch; zeros for a weight the loss does not
        depend on (as on every engine: JAX differentiates to zeros there).

        # Arguments
            inputs, targets, weights: lists of NumPy arrays as `Callback.validation_data`
                holds them (targets and sample weights of the outputs with a loss).
        """
        data = self.model._array_batches(list(inputs), list(targets), list(weights))
        batch = data.take((0, len(inputs[0])))
        (inputs, targets, weights), _, _ = engine.feed(batch, None, None, None, False)
        # The phase is read when the layers run (`fit` runs its callbacks in the training
        # phase).
        with K.learning_phase_scope(0), states_kept(self.model):
            grads = self._step(list(inputs), list(targets), list(weights))
        return [(weight, np.zeros(K.int_shape(weight), K.dtype(weight)) if grad is None
                 else np.asarray(kernels.to_numpy(grad)))
                for weight, grad in zip(self.weights, grads)]
