"""The training, test and predict steps of a model, written once for every engine.

A compiled model holds a `Trainer`. Its steps are plain functions of a batch:

    train step:   (inputs, targets, weights, rows, valid) -> logged values   (updates the state)
    test step:    (inputs, targets, weights, rows, valid) -> logged values
    predict step: (inputs, rows) -> outputs

The engine's `feed` prepares each batch. On PyTorch the in-memory arrays are on the device and
`rows`, when given, picks the batch out of them inside the step. On JAX the arrays stay on
the host: `feed` gathers the batch there (`rows` is then `None`) and may pad a short batch to
one of a few lengths, so that few shapes are compiled; `valid` is then the number of real rows
(a traced scalar; `None` when the batch is not padded), and the losses and metrics average
over the real rows only (`StepLogic.real_rows`), while predictions are trimmed after the step
(`trim`). A model is padded only where that changes no number (`StepLogic.pads_exactly`,
worked out per phase by `_padding`). The state
(weights, optimizer accumulators, BatchNormalization statistics, the random key) is the
engine's to carry: PyTorch updates the variables in place; JAX compiles each step into a pure
function `(state, batch) -> (state, outputs)` and threads the state from call to call. What
differs between engines is supplied by `cornu.backend.steps`: `value_and_grad`, `compile_step`
and the kernels that pick rows and place arrays. The losses and metrics come from `StepLogic`,
which reads only the model's `CompileSpec`.
"""
import numpy as np

from .. import backend as K
from ..backend import kernels
from ..backend import steps as engine
from ..backend.phase import fixed_learning_phase
from ..backend.run_context import run_context
from . import process_group
from .step_logic import StepLogic


class Trainer:
    """Runs a model's batches.

    # Arguments
        model: a built `Model`.
    """

    def __init__(self, model):
        self.model = model
        self.logic = None
        self._index_outputs = ()
        self._train_step = self._test_step = self._predict_step = None
        self._predict_plan = None
        self._pads = {}
        self._largest = {}
        self._group_sizes = {}
        self.placement = self._placement_of(model)

    @staticmethod
    def _placement_of(model):
        """Where a data-parallel model's batches go (engine-specific; `None` for one
        device): the devices of the distribution it was compiled with
        (`cornu.distribute.DataParallel`), else those of `multi_gpu_model`'s replicas."""
        distribution = getattr(model, '_distribution', None)
        if distribution is not None:
            return engine.placement(distribution.devices)
        return engine.placement(getattr(model, 'replica_devices', None))

    def check_batch_size(self, batch_size):
        """Raises a `ValueError` before any step when the model's distribution cannot split
        batches of `batch_size` evenly over its devices."""
        distribution = getattr(self.model, '_distribution', None)
        if distribution is not None:
            distribution.check_batch_size(batch_size)

    def prepare(self, spec):
        """Arranges the steps of a model compiled as `spec`; called by `compile` (the
        engine's step functions are made again on first use).

        # Arguments
            spec: the model's `CompileSpec`.
        """
        model = self.model
        self.logic = StepLogic(model, spec)
        # How many training steps `train_steps` runs in one engine call.
        self.steps_per_call = spec.steps_per_execution
        self.params = list(model._collected_trainable_weights)
        engine.prepare_trainable(self.params)
        # Whether the update may skip the engine's dispatch to tensor subclasses (see
        # `kernels.update_mode`).
        self._plain_update = kernels.dispatches_plainly(self.params)
        # The outputs whose one-hot targets the steps may read as class indices.
        self._index_outputs = self.logic.class_index_outputs()
        self.optimizer = model.optimizer
        self.custom_updates = False
        if self.optimizer is not None:
            self.optimizer.build(self.params)
            self.custom_updates = getattr(self.optimizer, '_uses_custom_get_updates', False)
        # A `LossScaleOptimizer` (mixed precision) has the loss scaled before it is
        # differentiated; under torchrun the processes sum their gradients and logged values
        # (see `cornu.engine.process_group`).
        self.loss_scale = self.optimizer.loss_scale \
            if getattr(self.optimizer, '_scales_the_loss', False) else None
        self._value_and_grad = engine.value_and_grad(
            _loss_function(self.logic, self.loss_scale), self.params,
            keep_graph=self.custom_updates,
            jit_compile=spec.jit_compile, name='the training step of ' + model.name,
            data_parallel=process_group.wanted())
        self._train_step = self._test_step = self._predict_step = None
        self._pads = {}
        self._largest = {}
        self._group_sizes = {}
        self.placement = self._placement_of(model)

    def _padding(self, phase):
        """Whether the engine may pad a short batch of `phase` (`'train'`, `'test'` or
        `'predict'`) with rows that change no number (see `StepLogic.pads_exactly`; for
        predict only the layers matter: the outputs are trimmed). Worked out once."""
        # A phase fixed with `K.set_learning_phase` is the one the layers run in (say
        # BatchNormalization with batch statistics in predict, where padding rows would
        # change the statistics).
        fixed = fixed_learning_phase()
        key = phase if fixed is None else (phase, fixed)
        pads = self._pads.get(key)
        if pads is None:
            training = phase == 'train' if fixed is None else bool(fixed)
            if phase == 'predict':
                pads = self.model.computes_rows_independently(training)
            else:
                pads = self.logic.pads_exactly(self.model, training)
            self._pads[key] = pads
        return pads

    # ------------------------------------------------------------------ step bodies

    def _largest_batch(self, phase, inputs):
        """The largest batch given whole to the `phase` step so far, this one included."""
        count = len(inputs[0]) if inputs else 0
        largest = self._largest[phase] = max(self._largest.get(phase, 0), count)
        return largest

    def _real_rows(self, valid, arrays):
        """The real rows of a padded batch, from the first of `arrays` present (a model whose
        inputs all have their value, see `InputLayer`, is fed targets only)."""
        if valid is None:
            return None
        batch = next(a for a in arrays if a is not None)
        return self.logic.real_rows(valid, K.int_shape(batch)[0])

    def _train_body(self, inputs, targets, weights, rows, valid):
        inputs, targets, weights = engine.take_rows((inputs, targets, weights), rows,
                                                    self.placement)
        # (`valid` is `None` for a batch that is not padded, every batch on PyTorch: no
        # lists to build then.)
        real = None if valid is None else self._real_rows(valid, list(inputs) + list(targets))
        total, aux, grads = self._value_and_grad(inputs, targets, weights, real)
        differentiated = total
        if self.loss_scale is not None:
            # `total` was scaled; the logs show the loss itself.
            aux, total = aux
            total = K.stop_gradient(total)
        per_output, metric_values = aux
        if self.custom_updates:
            with engine.known_gradients(differentiated, self.params, grads):
                self.optimizer.get_updates(differentiated, self.params)
            total = K.stop_gradient(total)
        elif self.params:
            with kernels.update_mode(self._plain_update, grads):
                self.optimizer.apply_gradients(self.params, grads)
        if self.logic.report_output_losses:
            per_output = K.stop_gradient(per_output)
        return self.logic.logged(total, per_output, metric_values)

    def _test_body(self, inputs, targets, weights, rows, valid):
        inputs, targets, weights = engine.take_rows((inputs, targets, weights), rows,
                                                    self.placement)
        logic = self.logic
        real = None if valid is None else self._real_rows(valid, list(inputs) + list(targets))
        outputs, masks, call_losses, graph_values, loss_inputs = logic.forward(
            inputs, training=False)
        total, per_output = logic.losses(loss_inputs, masks, targets, weights, call_losses,
                                         graph_values, real)
        metric_values = logic.metrics(outputs, masks, targets, weights, real)
        return logic.logged(total, per_output, metric_values)

    def _predict_body(self, inputs, rows):
        # Run inside `_predicting()`, which sets the phase and drops call losses.
        inputs, = engine.take_rows((inputs,), rows, self.placement)
        return self.model._plan.run(inputs)

    def set_share(self, share):
        """The fraction of the global batch that this process's next training batches are
        (data-parallel training only)."""
        self._value_and_grad.share = share

    # ------------------------------------------------------------------ steps

    def train_batch(self, inputs, targets, weights, rows=None, limit=None):
        """One optimisation step; returns the logged values as engine scalars.

        # Arguments
            inputs, targets, weights: lists of arrays as the engine holds them (`hold`;
                targets and weights may hold `None`).
            rows: the batch's rows in those arrays (`batch_rows`), or `None` for all.
            limit: the loop's batch size, which a padded batch does not exceed (`None`: the
                largest batch this step was given whole, `rows` `None`, so far: batches of
                one size, as a generator's or `train_on_batch`'s, run unpadded, and a
                smaller last one is padded; see `cornu.backend.steps.feed`).
        """
        step = self._training_step()
        if limit is None and rows is None:
            limit = self._largest_batch('train', inputs)
        (inputs, targets, weights), rows, valid = engine.feed(
            (inputs, targets, weights), rows, self.placement, limit, self._padding('train'))
        return step(list(inputs), list(targets), list(weights), rows, valid)

    def test_batch(self, inputs, targets, weights, rows=None, limit=None):
        """Loss and metrics of one batch without training; engine scalars."""
        if self._test_step is None:
            self._test_step = engine.compile_step(self._test_body, [self.model.weights],
                                                  training=False, placement=self.placement)
        if limit is None and rows is None:
            limit = self._largest_batch('test', inputs)
        (inputs, targets, weights), rows, valid = engine.feed(
            (inputs, targets, weights), rows, self.placement, limit, self._padding('test'))
        with kernels.inference_mode():
            return self._test_step(list(inputs), list(targets), list(weights), rows, valid)

    def pads_training_batches(self):
        """Whether a short training batch may be padded to the loop's batch size (exact for
        this model, see `_padding`), so that it runs in a step compiled for full batches."""
        return self._padding('train')

    def _training_step(self):
        if self._train_step is None:
            state = [self.model.weights]
            if self.optimizer is not None:
                state.append(self.optimizer)
            self._train_step = engine.compile_step(self._train_body, state, training=True,
                                                   placement=self.placement)
        return self._train_step

    def steps_per_group(self, data, batch_size):
        """How many of this model's training steps on batches of `batch_size` rows of `data`
        (an `ArrayBatches`) `train_steps` runs in one engine call: 1 where the engine's
        compiled training step cannot run several (anywhere but JAX on one device; streamed
        data; a Keras 2-style `get_updates` or loss scaling, whose Python-side logic runs
        between steps); else the model's `steps_per_execution`, or for `'auto'`
        (`_auto_group`) as many as keep a group's work small. Decided once per batch size."""
        wanted = self.steps_per_call
        if wanted == 1 or not data.indexable or self.custom_updates or \
                self.loss_scale is not None or data.num_samples <= batch_size:
            return 1
        step = self._training_step()
        if not getattr(step, 'groups_steps', False):
            return 1
        if wanted != 'auto':
            return wanted
        size = self._group_sizes.get(batch_size)
        if size is None:
            size = self._group_sizes[batch_size] = self._auto_group(step, data, batch_size)
        return size

    def _auto_group(self, step, data, batch_size):
        """The group size `steps_per_execution='auto'` gives batches of `batch_size` rows: as
        many steps (a power of two, at most `_MOST_GROUPED`) as do together about
        `_GROUP_WORK` arithmetic operations (`step.work`, from the step's trace: nothing is
        compiled to decide) and stack at most `_GROUP_BYTES` of data; 1, no grouping, for a
        step whose own work makes the per-call cost negligible (fewer than
        `_FEWEST_GROUPED` steps would fit)."""
        args = self._stacked(data, (0, batch_size), 1, batch_size)
        work = step.work(_one_step_of(args))
        batch_bytes = sum(array.nbytes for group in args[:3] for array in group
                          if array is not None)
        fits = min(_MOST_GROUPED, _GROUP_WORK // max(work, 1),
                   _GROUP_BYTES // max(batch_bytes, 1))
        if fits < _FEWEST_GROUPED:
            return 1
        return 1 << (int(fits).bit_length() - 1)

    def _stacked(self, data, index, steps, batch_size):
        """The training step's arguments for `steps` batches of `batch_size` rows of `data`,
        stacked along a new first axis: the rows `index` (a `(start, stop)` pair or row
        indices) in order, the last batch, if short, padded with its last row and its real
        rows counted in `valid`, and batches past the rows filled with that row too (a
        grouped call stacks the same number of batches whatever it runs)."""
        if isinstance(index, tuple):
            index = np.arange(index[0], index[1])
        count = len(index)
        total = steps * batch_size
        if count < total:
            index = np.concatenate([index, np.repeat(index[-1:], total - count)])
        inputs, targets, weights = engine.place_arrays(data, self.placement)
        if self._index_outputs:
            targets = data.class_index_targets(self._index_outputs) or targets
        batches = tuple([None if array is None else
                         array[index].reshape((steps, batch_size) + tuple(array.shape[1:]))
                         for array in group] for group in (inputs, targets, weights))
        valid = None
        if self._padding('train'):
            valid = np.full(steps, batch_size, np.int32)
            full, rest = divmod(count, batch_size)
            if rest:
                valid[full] = rest
        return (*batches, None, valid)

    def train_steps(self, data, index, count, batch_size, steps):
        """`count` training steps in one engine call, on consecutive batches of
        `batch_size` rows (the last may be shorter, where padding is exact) that the rows
        `index` of `data` hold in order; the call stacks `steps` batches
        (`steps_per_group`), of which it runs `count`.

        # Returns
            For each logged value an engine vector of its per-step values, `steps` long, of
            which the first `count` are the steps' (the same numbers as `count` calls of
            `train_rows` give), left on the device; or `None` when the engine could not run
            the steps together: nothing ran then.
        """
        return self._training_step().run_steps(
            self._stacked(data, index, steps, batch_size), count)

    def train_rows(self, data, index, batch_size):
        """`train_batch` on the rows `index` of `data` (an `ArrayBatches`).

        # Arguments
            data: an `ArrayBatches`.
            index: a `(start, stop)` pair, or row indices (a slice of `row_order`).
            batch_size: the loop's batch size (`None`: each batch is exactly as given).
        """
        return data.ran(self.train_batch(*self._batch(data, index), limit=batch_size))

    def test_rows(self, data, index, batch_size):
        """`test_batch` on the rows `index` of `data` (as `train_rows`)."""
        return data.ran(self.test_batch(*self._batch(data, index), limit=batch_size))

    def _batch(self, data, index):
        if data.indexable:
            # The step gathers the rows from the whole arrays.
            inputs, targets, weights = engine.place_arrays(data, self.placement)
            if self._index_outputs:
                # (On the engines that take class indices, see `one_hot_class_indices`.)
                targets = data.class_index_targets(self._index_outputs) or targets
            return inputs, targets, weights, engine.batch_rows(index)
        # Streamed data (memmaps, HDF5Matrix, arrays above the streaming threshold) is copied
        # batch by batch, here.
        return (*data.take(index), None)

    def row_order(self, order):
        """An epoch's shuffled row order (NumPy) as `train_rows` takes slices of it."""
        return engine.row_order(order, self.placement)

    def _predictor(self):
        # A model whose graph changed (layers added to a Sequential) gets a new step.
        if self._predict_step is None or self._predict_plan is not self.model._plan:
            self._predict_plan = self.model._plan
            # Its layers decide whether predict batches may be padded: decided again.
            self._pads.pop('predict', None)
            self._predict_step = engine.compile_step(self._predict_body, [self.model.weights],
                                                     training=False, placement=self.placement)
        return self._predict_step

    def predict_batches(self, data, batch_slices, on_batch_end=None, batch_size=None):
        """Predicts every slice of `data` (an `ArrayBatches` of inputs); returns per-output
        lists. `batch_size` is the largest a padded batch may become (`None`: no padding
        beyond the slices' own lengths)."""
        predictor = self._predictor()
        pad = self._padding('predict')
        inputs = engine.place(list(data.inputs), self.placement) if data.indexable else None
        data.expect(batch_slices)
        collected = None
        with _predicting():
            for index, (start, stop) in enumerate(batch_slices):
                limit = stop - start if batch_size is None else batch_size
                if inputs is None:  # streamed from the host
                    (batch,), rows, valid = engine.feed(
                        (data.take((start, stop))[0],), None, self.placement, limit, pad)
                    outputs = data.ran(predictor(batch, rows))
                else:
                    (batch,), rows, valid = engine.feed(
                        (inputs,), engine.batch_rows((start, stop)), self.placement, limit,
                        pad)
                    outputs = predictor(batch, rows)
                outputs = engine.trim(outputs, valid)
                if collected is None:
                    collected = [[] for _ in outputs]
                for bucket, output in zip(collected, outputs):
                    bucket.append(output)
                if on_batch_end is not None:
                    on_batch_end(index, stop)
        return collected

    def predict_on_batch(self, inputs, limit=None):
        """The outputs for one batch of (engine) inputs; a padded batch is at most `limit`
        rows long (`None`: the next power of two)."""
        predictor = self._predict_step
        if predictor is None or self._predict_plan is not self.model._plan:
            predictor = self._predictor()
        (inputs,), rows, valid = engine.feed((list(inputs),), None, self.placement, limit,
                                             self._padding('predict'))
        with _predicting():
            return engine.trim(predictor(list(inputs), rows), valid)



# `steps_per_execution='auto'` (see `Trainer._auto_group`): the arithmetic operations a
# group of steps may do together (about a millisecond of a CPU core's work, where the ~50
# microseconds a call costs around a small step matter), the data it may stack, and the
# group sizes considered.
_GROUP_WORK = 32 * 2 ** 20
_GROUP_BYTES = 16 * 2 ** 20
_MOST_GROUPED = 64
_FEWEST_GROUPED = 4


def _one_step_of(stacked):
    """One step's arguments from `Trainer._stacked`'s (the first batch of each stack)."""
    return tuple(None if group is None else
                 (group[0] if not isinstance(group, list) else
                  [None if array is None else array[0] for array in group])
                 for group in stacked)


class _predicting:
    """The context of a prediction: test phase, no autograd, and the losses that layers add
    in `call` dropped (they mean nothing for predictions). Entered once per `predict`, not
    per batch."""

    __slots__ = ('modes',)

    def __enter__(self):
        self.modes = (kernels.inference_mode(), run_context(learning_phase=0, call_losses=[]))
        for mode in self.modes:
            mode.__enter__()

    def __exit__(self, *exc):
        for mode in reversed(self.modes):
            mode.__exit__(*exc)
        return False


def _loss_function(logic, loss_scale=None):
    """The differentiated half of a training step, `(inputs, targets, weights) -> (loss,
    (per-output losses, metric values))`, as a plain function (`torch.compile` takes it
    whole with `jit_compile`). With a `loss_scale` variable, the loss is multiplied by it and
    the unscaled loss joins the rest: `(scaled loss, ((per-output, metrics), loss))`."""
    def training_loss(inputs, targets, weights, rows=None):
        outputs, masks, call_losses, graph_values, loss_inputs = logic.forward(
            inputs, training=True)
        total, per_output = logic.losses(loss_inputs, masks, targets, weights, call_losses,
                                         graph_values, rows)
        with kernels.no_grad():
            metric_values = logic.metrics(outputs, masks, targets, weights, rows)
        return total, (per_output, metric_values)

    if loss_scale is None:
        return training_loss

    def scaled_training_loss(inputs, targets, weights, rows=None):
        total, aux = training_loss(inputs, targets, weights, rows)
        return total * loss_scale, (aux, total)
    return scaled_training_loss
