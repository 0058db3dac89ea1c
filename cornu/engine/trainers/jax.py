"""Step functions for the JAX engine: each step is one jitted, pure function.

A training step runs the forward pass, the losses and metrics (`StepLogic`, as on torch), the
gradients (`jax.value_and_grad`) and the optimizer's update (its usual `apply_gradients`,
whose `K.*_update` functions assign through the state scope) inside one function of the
variables' values, compiled once per input signature (the last, smaller batch of an epoch
compiles once too). Hyperparameters such as `lr` are variables of the state, so
`K.set_value(model.optimizer.lr, ...)` takes effect at the next step without recompiling.

The loops over in-memory arrays (`fit`, `evaluate`, `predict`) hand a step the whole (device)
arrays and the batch's row indices as a NumPy array (`train_rows`, `test_rows`): the rows are
gathered inside the compiled step, since indexing a jax array outside `jit` dispatches a dozen
small ops per array and would cost more than a small model's whole step.

A data-parallel model (`multi_gpu_model`, whose `replica_devices` name several devices) runs
its steps on a mesh of those devices: the arrays and the state are replicated on each, and
the rows of a batch are split over them inside the step, so that XLA runs a share of the batch
(and of the replicas' work) on each device and sums the gradients.
"""
import numpy as np

from ... import backend as K
from ...backend.jax import tracing
from ...backend.run_context import run_context
from ..step_logic import StepLogic


def _take_rows(groups, rows):
    """The rows `rows` of every array in `groups` (lists that may hold `None`); traced."""
    if rows is None:
        return groups
    return tuple([None if a is None else a[rows] for a in group] for group in groups)


def _row_indices(rows):
    """Row indices as a NumPy array, from a `(start, stop)` pair or indices."""
    if isinstance(rows, tuple):
        return np.arange(rows[0], rows[1])
    return rows


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
        self._mesh = False  # not looked up yet

    @property
    def mesh(self):
        """The devices a data-parallel model's batches are split over (`None`: one device)."""
        if self._mesh is False:
            self._mesh = tracing.replica_mesh(getattr(self.model, 'replica_devices', None))
        return self._mesh

    def _take(self, groups, rows):
        """The batch: `groups` at `rows`, split over the mesh's devices if there is one."""
        groups = _take_rows(groups, rows)
        if self.mesh is not None:
            groups = tracing.shard_rows(groups, self.mesh)
        return groups

    def _arrays(self, data):
        """The arrays of `data` (an `ArrayBatches`); with a mesh, copied to its devices once
        (kept on `data`, so the copies go with it) rather than by every step."""
        if self.mesh is None:
            return data.inputs, data.targets, data.weights
        placed = getattr(data, 'replicated', None)
        if placed is None or placed[0] is not self.mesh:
            placed = data.replicated = (self.mesh, tracing.replicate(
                (data.inputs, data.targets, data.weights), self.mesh))
        return placed[1]

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
        self._mesh = False

    def _model_state(self):
        return tracing.state_of(self.model.weights)

    # ------------------------------------------------------------------ bodies (traced)

    def _train_body(self, inputs, targets, weights, rows=None):
        inputs, targets, weights = self._take((inputs, targets, weights), rows)
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

    def _test_body(self, inputs, targets, weights, rows=None):
        inputs, targets, weights = self._take((inputs, targets, weights), rows)
        logic = self.logic
        outputs, masks, call_losses, graph_values, loss_inputs = logic.forward(inputs,
                                                                                training=False)
        total, per_output = logic.losses(loss_inputs, masks, targets, weights, call_losses,
                                         graph_values)
        metric_values = logic.metrics(outputs, masks, targets, weights)
        return logic.logged(total, per_output, metric_values)

    def _predict_body(self, inputs, rows=None):
        inputs, = self._take((inputs,), rows)
        # Losses that layers add in `call` mean nothing for predictions: drop them.
        with run_context(call_losses=[]):
            return self.model._plan.run(inputs)

    # ------------------------------------------------------------------ steps

    def train_batch(self, inputs, targets, weights, rows=None):
        """One optimisation step; returns the logged values as engine scalars.

        `rows` (NumPy indices), when given, picks the batch out of the arrays in the step."""
        if self._train_step is None:
            variables = self._model_state()
            if self.optimizer is not None:
                variables += tracing.state_of(self.optimizer)
            self._train_step = tracing.TracedStep(self._train_body, variables, donate=True,
                                                  mesh=self.mesh)
        return self._train_step(list(inputs), list(targets), list(weights), rows)

    def train_rows(self, data, rows):
        """One optimisation step on some rows of in-memory arrays, gathered inside the step.

        # Arguments
            data: an `ArrayBatches` of engine arrays.
            rows: a `(start, stop)` pair or a NumPy array of row indices.

        # Returns
            The logged values as engine scalars.
        """
        inputs, targets, weights = self._arrays(data)
        return self.train_batch(inputs, targets, weights, _row_indices(rows))

    def test_batch(self, inputs, targets, weights, rows=None):
        """Loss and metrics of one batch without training; engine scalars."""
        if self._test_step is None:
            self._test_step = tracing.TracedStep(self._test_body, self._model_state(),
                                                 mesh=self.mesh)
        return self._test_step(list(inputs), list(targets), list(weights), rows)

    def test_rows(self, data, rows):
        """`test_batch` on some rows of in-memory arrays (as `train_rows`)."""
        inputs, targets, weights = self._arrays(data)
        return self.test_batch(inputs, targets, weights, _row_indices(rows))

    def _predictor(self):
        # A model whose graph changed (layers added to a Sequential) gets a new step.
        if self._predict_step is None or self._predict_plan is not self.model._plan:
            self._predict_plan = self.model._plan
            self._predict_step = tracing.TracedStep(self._predict_body, self._model_state(),
                                                    mesh=self.mesh)
        return self._predict_step

    def predict_batches(self, inputs, batch_slices, on_batch_end=None):
        """Predicts every slice of the (engine) input tensors; returns per-output lists."""
        predictor = self._predictor()
        inputs = list(inputs)
        if self.mesh is not None:
            inputs = tracing.replicate(inputs, self.mesh)
        collected = None
        with K.learning_phase_scope(0):
            for index, (start, stop) in enumerate(batch_slices):
                outputs = predictor(inputs, np.arange(start, stop))
                if collected is None:
                    collected = [[] for _ in outputs]
                for bucket, output in zip(collected, outputs):
                    bucket.append(output)
                if on_batch_end is not None:
                    on_batch_end(index, stop)
        return collected

    def predict_on_batch(self, inputs):
        with K.learning_phase_scope(0):
            return self._predictor()(list(inputs), None)
