"""Step functions for the JAX engine: each step is one jitted, pure function.

A training step runs the forward pass, the losses and metrics (`StepLogic`, as on torch), the
gradients (`jax.value_and_grad`) and the optimizer's update (its usual `apply_gradients`,
whose `K.*_update` functions assign through the state scope) inside one function of the
variables' values, compiled once per input signature (the last, smaller batch of an epoch
compiles once too). Hyperparameters such as `lr` are variables of the state, so
`K.set_value(model.optimizer.lr, ...)` takes effect at the next step without recompiling.
"""
from ... import backend as K
from ...backend.jax import tracing
from .. import base_layer
from ..step_logic import StepLogic


class JaxTrainer(object):
    """Runs a model's batches on the JAX engine.

    # Arguments
        model: a built `Model`.
    """

    def __init__(self, model):
        self.model = model
        self.logic = None
        self._train_step = None
        self._test_step = None
        self._predict_step = None
        self._predict_plan = None

    def prepare(self):
        """Arranges the compiled losses and metrics; called by `compile` and when weights
        are collected again (the jitted steps are made again on first use)."""
        model = self.model
        self.logic = StepLogic(model)
        self.params = list(model._collected_trainable_weights)
        self.optimizer = model.optimizer
        self.custom_updates = False
        if self.optimizer is not None:
            self.optimizer.build(self.params)
            self.custom_updates = getattr(self.optimizer, '_uses_custom_get_updates', False)
        self._train_step = None
        self._test_step = None
        self._predict_step = None

    def _model_state(self):
        return tracing.state_of(self.model.weights)

    # ------------------------------------------------------------------ bodies (traced)

    def _train_body(self, inputs, targets, weights):
        logic = self.logic

        def loss_and_logs():
            outputs, masks, call_losses, graph_values, loss_inputs = logic.forward(
                inputs, training=True)
            total, per_output = logic.losses(loss_inputs, masks, targets, weights,
                                             call_losses, graph_values)
            metric_values = logic.metrics(outputs, masks, targets, weights)
            return total, (per_output, metric_values)

        total, (per_output, metric_values), grads = tracing.value_and_grad(loss_and_logs,
                                                                           self.params)
        if self.custom_updates:
            with tracing.known_gradients(total, self.params, grads):
                self.optimizer.get_updates(total, self.params)
        elif self.params:
            self.optimizer.apply_gradients(self.params, grads)
        return logic.logged(total, per_output, metric_values)

    def _test_body(self, inputs, targets, weights):
        logic = self.logic
        outputs, masks, call_losses, graph_values, loss_inputs = logic.forward(inputs,
                                                                                training=False)
        total, per_output = logic.losses(loss_inputs, masks, targets, weights, call_losses,
                                         graph_values)
        metric_values = logic.metrics(outputs, masks, targets, weights)
        return logic.logged(total, per_output, metric_values)

    def _predict_body(self, inputs):
        # Losses that layers add in `call` mean nothing for predictions: drop them.
        previous = base_layer.set_call_loss_collector([])
        try:
            return self.model._plan.run(inputs)
        finally:
            base_layer.set_call_loss_collector(previous)

    # ------------------------------------------------------------------ steps

    def train_batch(self, inputs, targets, weights):
        """One optimisation step; returns the logged values as engine scalars."""
        if self._train_step is None:
            variables = self._model_state()
            if self.optimizer is not None:
                variables += tracing.state_of(self.optimizer)
            self._train_step = tracing.TracedStep(self._train_body, variables)
        return self._train_step(list(inputs), list(targets), list(weights))

    def test_batch(self, inputs, targets, weights):
        """Loss and metrics of one batch without training; engine scalars."""
        if self._test_step is None:
            self._test_step = tracing.TracedStep(self._test_body, self._model_state())
        return self._test_step(list(inputs), list(targets), list(weights))

    def _predictor(self):
        # A model whose graph changed (layers added to a Sequential) gets a new step.
        if self._predict_step is None or self._predict_plan is not self.model._plan:
            self._predict_plan = self.model._plan
            self._predict_step = tracing.TracedStep(self._predict_body, self._model_state())
        return self._predict_step

    def predict_batches(self, inputs, batch_slices, on_batch_end=None):
        """Predicts every slice of the (engine) input tensors; returns per-output lists."""
        predictor = self._predictor()
        collected = None
        with K.learning_phase_scope(0):
            for index, (start, stop) in enumerate(batch_slices):
                outputs = predictor([x[start:stop] for x in inputs])
                if collected is None:
                    collected = [[] for _ in outputs]
                for bucket, output in zip(collected, outputs):
                    bucket.append(output)
                if on_batch_end is not None:
                    on_batch_end(index, stop)
        return collected

    def predict_on_batch(self, inputs):
        with K.learning_phase_scope(0):
            return self._predictor()(list(inputs))
