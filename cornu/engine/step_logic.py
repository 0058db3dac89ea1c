"""The engine-neutral part of a training or test step: losses and metrics from outputs.

Both trainers (eager PyTorch, jitted JAX) run the model and then call `StepLogic` to turn the
outputs into the total loss and the logged values, so the arithmetic is written once.
"""
from .. import backend as K
from ..backend import kernels
from .. import activations
from .. import losses as losses_module
from . import base_layer
from .compile_utils import weighted_masked_objective
from .execution_plan import ExecutionPlan

# Softmax followed by categorical crossentropy is computed from the logits with one fused
# log-softmax (as tf.keras does), instead of Keras 2.2.4's clipped log of probabilities. It is
# faster and more accurate; the two differ only where a probability saturates below epsilon
# or above 1 - epsilon (there the clipped form has no gradient). Set to False for the
# clipped formula everywhere.
FUSE_SOFTMAX_CROSSENTROPY = True


def _from_logits(loss_fn):
    if loss_fn is losses_module.categorical_crossentropy:
        def categorical_crossentropy(y_true, logits):
            return K.categorical_crossentropy(y_true, logits, from_logits=True)
        return categorical_crossentropy
    if loss_fn is losses_module.sparse_categorical_crossentropy:
        def sparse_categorical_crossentropy(y_true, logits):
            return K.sparse_categorical_crossentropy(y_true, logits, from_logits=True)
        return sparse_categorical_crossentropy
    return None


def _regularized_weights(model):
    """`(weight, regularizer)` pairs of every layer, nested models included."""
    pairs, seen = [], set()

    def visit(layer):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        pairs.extend(layer._weight_regularizers)
        for inner in getattr(layer, 'layers', []) or []:
            visit(inner)
        for inner in getattr(layer, '_sublayers', []) or []:
            visit(inner)

    visit(model)
    return pairs


def _stored_losses(model):
    """Losses added outside of `call`: symbolic graph losses and fixed concrete ones."""
    symbolic, concrete, seen = [], [], set()

    def visit(layer):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        for loss in layer._losses:
            (symbolic if isinstance(loss, K.KerasTensor) else concrete).append(loss)
        for inner in getattr(layer, 'layers', []) or []:
            visit(inner)

    visit(model)
    return symbolic, concrete


class StepLogic(object):
    """Losses and metrics of a compiled model, arranged once at compile time.

    # Arguments
        model: the compiled model (reads `loss_functions`, `_loss_weights_list`,
            `_metric_specs`).
    """

    def __init__(self, model):
        self.model = model
        self.loss_terms = [(index, fn, weight) for index, (fn, weight) in
                           enumerate(zip(model._weighted_losses, model._loss_weights_list))
                           if fn is not None]
        self.metric_specs = model._metric_specs
        self.regularized = _regularized_weights(model)
        self.graph_losses, self.fixed_losses = _stored_losses(model)
        self.num_outputs = len(model.outputs)
        self.plan = model.plan_for(list(model.outputs) + self.graph_losses) \
            if self.graph_losses else model._plan
        self.report_output_losses = self.num_outputs > 1
        self.logit_outputs = self._fuse_softmax_crossentropy(model)
        self.metric_outputs = set(spec.output_index for spec in self.metric_specs)

    def _fuse_softmax_crossentropy(self, model):
        """Makes outputs that end in a softmax feed their logits to a crossentropy loss.

        Returns the indices of the outputs whose plan step now yields logits.
        """
        if not FUSE_SOFTMAX_CROSSENTROPY or self.plan.uses_masks:
            return []
        fused = []
        for position, (index, fn, loss_weight) in enumerate(self.loss_terms):
            logits_fn = _from_logits(model.loss_functions[index])
            layer = model.outputs[index]._keras_history[0]
            if logits_fn is None or getattr(layer, 'activation', None) is not \
                    activations.softmax or not hasattr(layer, '_pre_activation'):
                continue
            if not fused:
                # A plan of our own: the shared one also serves predict.
                self.plan = ExecutionPlan(self.plan.inputs, self.plan.outputs)
            producer = [step for step in self.plan.steps
                        if self.plan.output_slots[index] in step.out_slots]
            if len(producer) != 1 or len(producer[0].out_slots) != 1:
                continue
            producer[0].call = layer._pre_activation
            self.loss_terms[position] = (index, weighted_masked_objective(logits_fn),
                                         loss_weight)
            fused.append(index)
        return fused

    def forward(self, inputs, training):
        """Runs the model; returns `(outputs, masks, call_losses, graph_loss_values,
        loss_inputs)`, where `loss_inputs` are what the losses take (logits for fused
        softmax outputs, else the outputs)."""
        # Activity regularizers and `add_loss` in `call` count in the test loss too, as in
        # Keras 2 where they were part of the total loss tensor.
        collector = []
        previous = base_layer.set_call_loss_collector(collector)
        try:
            if self.plan.uses_masks:
                results, masks = self.plan.run(inputs, with_masks=True)
            else:
                results, masks = self.plan.run(inputs), None
        finally:
            base_layer.set_call_loss_collector(previous)
        outputs = results[:self.num_outputs]
        graph_values = results[self.num_outputs:]
        if self.logit_outputs:
            # `outputs` holds logits there: the loss takes them; the metrics and the caller
            # see probabilities.
            loss_inputs = list(outputs)
            outputs = list(outputs)
            with kernels.no_grad():
                for index in self.logit_outputs:
                    outputs[index] = K.softmax(loss_inputs[index])
            return outputs, masks, collector or [], graph_values, loss_inputs
        return outputs, masks, collector or [], graph_values, outputs

    def losses(self, outputs, masks, targets, weights, call_losses, graph_values):
        """`(total_loss, per_output_losses)` as engine scalars."""
        total = None
        per_output = []
        for index, fn, loss_weight in self.loss_terms:
            mask = masks[index] if masks is not None else None
            value = fn(targets[index], outputs[index], weights[index], mask)
            per_output.append(value)
            term = value if loss_weight == 1. else value * loss_weight
            total = term if total is None else total + term
        for weight, regularizer in self.regularized:
            term = regularizer(weight)
            total = term if total is None else total + term
        for term in list(self.fixed_losses) + list(call_losses) + list(graph_values):
            total = term if total is None else total + term
        if total is None:
            raise ValueError('The model has no loss to optimize: compile it with a `loss`, or '
                             'add losses with `model.add_loss`.')
        return total, per_output

    def metrics(self, outputs, masks, targets, weights):
        """Per-batch metric values, in `metrics_names` order."""
        values = []
        for spec in self.metric_specs:
            index = spec.output_index
            mask = masks[index] if masks is not None else None
            values.append(spec.fn(targets[index], outputs[index],
                                  weights[index] if spec.weighted else None, mask))
        return values

    def logged(self, total, per_output, metric_values):
        """The values logged for a batch, in `metrics_names` order."""
        if self.report_output_losses:
            return [total] + per_output + metric_values
        return [total] + metric_values
