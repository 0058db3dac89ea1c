"""Step functions for the PyTorch engine: eager forward, one backward, fused updates.

With `compile(..., jit_compile=True)`, the forward pass, the losses and the metrics of a
training step run as one `torch.compile`d function (its backward graph is compiled with it);
the gradients are then taken and the optimizer's fused (`torch._foreach_*`) update applied
eagerly, since the update reads its hyperparameters as Python numbers that change every step
(Adam's bias correction) and would make the compiled update recompile each time.
"""
from ... import backend as K
from ...backend import kernels
from .. import base_layer
from ..step_logic import StepLogic


class TorchTrainer(object):
    """Runs a model's batches on the PyTorch engine.

    # Arguments
        model: a built `Model`.
    """

    def __init__(self, model):
        self.model = model
        self.logic = None
        self.compiled_forward = None

    def prepare(self):
        """Arranges the compiled losses and metrics; called by `compile` and when weights
        are collected again."""
        model = self.model
        self.logic = StepLogic(model)
        self.params = list(model._collected_trainable_weights)
        for param in self.params:
            # A weight frozen in a torch module view (`as_torch_module`) trains again once
            # compiled as trainable.
            if not param.requires_grad and kernels.is_floating(param):
                param.requires_grad_(True)
        self.optimizer = model.optimizer
        if self.optimizer is not None:
            self.optimizer.build(self.params)
            self.custom_updates = getattr(self.optimizer, '_uses_custom_get_updates', False)
        self.compiled_forward = None
        if getattr(model, '_jit_compile', False):
            from ..torch_interop import torch_interop
            self.compiled_forward = torch_interop('jit_compile').compile_step(
                _training_forward(self.logic), 'the training step of ' + model.name)

    def train_batch(self, inputs, targets, weights):
        """One optimisation step; returns the logged values as engine scalars."""
        logic = self.logic
        if self.compiled_forward is not None:
            total, per_output, metric_values = self.compiled_forward(inputs, targets, weights)
        else:
            total, per_output, metric_values = _forward_losses_metrics(logic, inputs, targets,
                                                                       weights)
        if self.custom_updates:
            self.optimizer.get_updates(total, self.params)
        elif self.params:
            grads = kernels.gradients_of(total, self.params)
            with kernels.no_grad():
                self.optimizer.apply_gradients(self.params, grads)
        return logic.logged(total.detach(), [v.detach() for v in per_output], metric_values)

    def test_batch(self, inputs, targets, weights):
        """Loss and metrics of one batch without training; engine scalars."""
        logic = self.logic
        with kernels.inference_mode():
            outputs, masks, call_losses, graph_values, loss_inputs = logic.forward(
                inputs, training=False)
            total, per_output = logic.losses(loss_inputs, masks, targets, weights, call_losses,
                                             graph_values)
            metric_values = logic.metrics(outputs, masks, targets, weights)
        return logic.logged(total, per_output, metric_values)

    def predict_batches(self, inputs, batch_slices, on_batch_end=None):
        """Predicts every slice of the (engine) input tensors; returns per-output lists."""
        plan = self.model._plan
        collected = None
        # Losses that layers add in `call` mean nothing for predictions: drop them.
        previous = base_layer.set_call_loss_collector([])
        try:
            with kernels.inference_mode(), K.learning_phase_scope(0):
                for index, (start, stop) in enumerate(batch_slices):
                    outputs = plan.run([x[start:stop] for x in inputs])
                    if collected is None:
                        collected = [[] for _ in outputs]
                    for bucket, output in zip(collected, outputs):
                        bucket.append(output)
                    if on_batch_end is not None:
                        on_batch_end(index, stop)
        finally:
            base_layer.set_call_loss_collector(previous)
        return collected

    def predict_on_batch(self, inputs):
        previous = base_layer.set_call_loss_collector([])
        try:
            with kernels.inference_mode(), K.learning_phase_scope(0):
                return self.model._plan.run(inputs)
        finally:
            base_layer.set_call_loss_collector(previous)


def _forward_losses_metrics(logic, inputs, targets, weights):
    """The forward half of a training step: `(total_loss, per_output_losses, metrics)`."""
    outputs, masks, call_losses, graph_values, loss_inputs = logic.forward(inputs,
                                                                            training=True)
    total, per_output = logic.losses(loss_inputs, masks, targets, weights, call_losses,
                                     graph_values)
    with kernels.no_grad():
        metric_values = logic.metrics(outputs, masks, targets, weights)
    return total, per_output, metric_values


def _training_forward(logic):
    """The forward half of the training step as a plain function, for `torch.compile`."""
    def training_forward(inputs, targets, weights):
        return _forward_losses_metrics(logic, inputs, targets, weights)
    return training_forward
