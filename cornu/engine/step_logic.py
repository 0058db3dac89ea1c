"""Losses and metrics of a training or test step, from the model's outputs.

Written once for both engines: the step (`cornu.engine.trainer`) runs the model through
`forward` and turns the outputs into the total loss and the logged values here. All that it
reads of the compiled model is its `CompileSpec`.
"""
from .. import backend as K
from ..backend import kernels
from .. import activations
from .. import losses as losses_module
from .. import metrics as metrics_module
from ..backend.run_context import run_context
from ..mixed_precision.policy import mixed_in_use
from .autocast import cast_floats
from . import compile_utils
from .compile_utils import weighted_masked_objective
from .execution_plan import ExecutionPlan


def _from_logits_categorical(y_true, logits):
    return K.categorical_crossentropy(y_true, logits, from_logits=True)


_from_logits_categorical.__name__ = 'categorical_crossentropy'
_from_logits_categorical.per_sample = True


def _from_logits(loss_fn):
    if loss_fn is losses_module.categorical_crossentropy:
        return _from_logits_categorical
    if loss_fn is losses_module.sparse_categorical_crossentropy:
        def sparse_categorical_crossentropy(y_true, logits):
            return K.sparse_categorical_crossentropy(y_true, logits, from_logits=True)
        sparse_categorical_crossentropy.per_sample = True
        return sparse_categorical_crossentropy
    return None


def regularized_weights(model):
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


def stored_losses(model):
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


class StepLogic:
    """Losses and metrics of a compiled model, arranged once at compile time.

    # Arguments
        model: the compiled model (its graph, layers and stored losses).
        spec: its `CompileSpec`.
    """

    def __init__(self, model, spec):
        self.loss_terms = [(output.index, output.weighted_loss, output.loss_weight)
                           for output in spec.outputs if output.loss is not None]
        self.metric_specs = spec.metric_specs
        self.regularized = regularized_weights(model)
        self.graph_losses, self.fixed_losses = stored_losses(model)
        self.num_outputs = len(model.outputs)
        # A model compiled while frozen never updates state in training (Keras 2.2.4 left a
        # frozen model's updates out of its training function).
        self.frozen = not model.trainable
        self.plan = model.plan_for(list(model.outputs) + self.graph_losses) \
            if self.graph_losses else model._plan
        self.report_output_losses = self.num_outputs > 1
        # Under a mixed policy, half-precision outputs (and graph losses) are cast to float32
        # before losses and metrics: a softmax and its crossentropy are computed in float32.
        self.float32_outputs = mixed_in_use()
        self.logit_outputs = []
        self._logits_losses = {}
        if spec.fuse_softmax_crossentropy and not self.plan.uses_masks:
            self._fuse_softmax_crossentropy(model, spec)
        # A batch's mean of a built-in accuracy, or of the crossentropy from logits, in one
        # engine call where no weight or mask enters it (the same ops, fewer Python frames).
        self._loss_means = [self._logits_losses.get(index) for index, _, _ in self.loss_terms]
        measured = set(spec.output_index for spec in self.metric_specs)
        self._measured_logit_outputs = [i for i in self.logit_outputs if i in measured]
        self._metric_means = [_BATCH_MEANS.get(spec.metric) for spec in self.metric_specs]

    def class_index_outputs(self):
        """The outputs whose targets the step may take as class indices
        (`kernels.one_hot_class_indices`) when they are exactly one-hot and carry no sample
        weights: those whose loss is the fused crossentropy from logits and whose metrics
        are all the categorical accuracy, each computed by its batch-mean kernel (which
        takes either form). A tuple of output indices."""
        chosen = []
        for (index, _, _), batch_mean in zip(self.loss_terms, self._loss_means):
            if batch_mean is not kernels.mean_crossentropy_from_logits:
                continue
            measured = [mean for spec, mean in zip(self.metric_specs, self._metric_means)
                        if spec.output_index == index]
            if all(mean is kernels.mean_categorical_accuracy for mean in measured):
                chosen.append(index)
        return tuple(chosen)

    def _fuse_softmax_crossentropy(self, model, spec):
        """Lets outputs that end in a softmax give their logits to a crossentropy loss.

        The plan is made again, stopping those outputs before their activation (the model's
        own plan also serves predict, so it is left as it is)."""
        candidates = {}
        for output in spec.outputs:
            logits_fn = _from_logits(output.loss)
            layer = model.outputs[output.index]._keras_history[0]
            if logits_fn is not None and getattr(layer, 'activation', None) is \
                    activations.softmax and hasattr(layer, '_pre_activation'):
                candidates[output.index] = logits_fn
        if not candidates:
            return
        plan = ExecutionPlan(self.plan.inputs, self.plan.outputs,
                             pre_activation_outputs=sorted(candidates))
        if not plan.pre_activation_outputs:
            return
        self.plan = plan
        self.logit_outputs = list(plan.pre_activation_outputs)
        self._logits_losses = {
            index: kernels.mean_crossentropy_from_logits for index in self.logit_outputs
            if candidates[index] is _from_logits_categorical}
        self.loss_terms = [
            (index, weighted_masked_objective(candidates[index]), weight)
            if index in self.logit_outputs else (index, fn, weight)
            for index, fn, weight in self.loss_terms]

    def forward(self, inputs, training):
        """Runs the model; returns `(outputs, masks, call_losses, graph_loss_values,
        loss_inputs)`, where `loss_inputs` are what the losses take (logits for fused
        softmax outputs, else the outputs) and `outputs` what the metrics take (`None` for
        a fused softmax output without metrics)."""
        # Activity regularizers and `add_loss` in `call` count in the test loss too, as in
        # Keras 2 where they were part of the total loss tensor.
        collector = []
        with run_context(call_losses=collector, frozen=True) if self.frozen else \
                run_context(call_losses=collector):
            if self.plan.uses_masks:
                results, masks = self.plan.run(inputs, with_masks=True)
            else:
                results, masks = self.plan.run(inputs), None
        if self.float32_outputs:
            results = cast_floats(results, 'float32', only_half=True)
        outputs = results[:self.num_outputs]
        graph_values = results[self.num_outputs:]
        if self.logit_outputs:
            # `outputs` holds logits there: the loss takes them; the metrics see
            # probabilities, computed only for the outputs that have metrics (`None` for
            # the others: nothing else reads them).
            loss_inputs = list(outputs)
            outputs = list(outputs)
            for index in self.logit_outputs:
                outputs[index] = None
            if self._measured_logit_outputs:
                with kernels.no_grad():
                    for index in self._measured_logit_outputs:
                        outputs[index] = kernels.probabilities_from_logits(loss_inputs[index])
            return outputs, masks, collector or [], graph_values, loss_inputs
        return outputs, masks, collector or [], graph_values, outputs

    def losses(self, outputs, masks, targets, weights, call_losses, graph_values, rows=None):
        """`(total_loss, per_output_losses)` as engine scalars; `rows` (see `real_rows`)
        leaves a padded batch's padding rows out."""
        total = None
        per_output = []
        for (index, fn, loss_weight), batch_mean in zip(self.loss_terms, self._loss_means):
            if batch_mean is not None and masks is None and weights[index] is None and \
                    rows is None:
                value = batch_mean(targets[index], outputs[index])
            else:
                mask = masks[index] if masks is not None else None
                value = fn(targets[index], outputs[index], weights[index], mask, rows)
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

    def metrics(self, outputs, masks, targets, weights, rows=None):
        """Per-batch metric values, in `metrics_names` order (over the real rows only, with
        `rows`)."""
        values = []
        for spec, batch_mean in zip(self.metric_specs, self._metric_means):
            index = spec.output_index
            if batch_mean is not None and masks is None and rows is None and \
                    (not spec.weighted or weights[index] is None):
                values.append(batch_mean(targets[index], outputs[index]))
                continue
            mask = masks[index] if masks is not None else None
            values.append(spec.fn(targets[index], outputs[index],
                                  weights[index] if spec.weighted else None, mask, rows))
        return values

    def pads_exactly(self, model, training):
        """Whether a batch padded with extra rows (that `real_rows` marks) gives the numbers
        of its real rows alone: every layer computes rows independently in that phase, the
        losses and metrics are Keras' own per-sample functions (their means then leave the
        padding out), and no loss is computed from the batch as a whole (an activity
        regularizer, a symbolic `add_loss`). Otherwise batches run at their exact size."""
        if self.graph_losses or not model.computes_rows_independently(training):
            return False
        functions = [fn for _, fn, _ in self.loss_terms] + \
            [spec.fn for spec in self.metric_specs]
        return all(compile_utils.is_builtin_objective(fn) for fn in functions)

    @staticmethod
    def real_rows(valid, batch):
        """Traced: a float vector over a padded batch of `batch` rows, 1 for the first
        `valid` (the real rows) and 0 for the padding."""
        return K.cast(K.less(K.arange(0, batch), valid), K.floatx())

    def logged(self, total, per_output, metric_values):
        """The values logged for a batch, in `metrics_names` order."""
        if self.report_output_losses:
            return [total] + per_output + metric_values
        return [total] + metric_values


# The built-in metrics that `kernels` averages over a batch in one call.
_BATCH_MEANS = {metrics_module.categorical_accuracy: kernels.mean_categorical_accuracy,
                metrics_module.binary_accuracy: kernels.mean_binary_accuracy}
