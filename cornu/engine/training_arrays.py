"""The loops over in-memory arrays behind `fit` and `evaluate`.

Arrays are held as the engine wants them once per call (`cornu.backend.steps.hold`: on the
device on PyTorch, on the host on JAX); each batch is then given by its rows (a `(start,
stop)` pair, or a slice of the epoch's shuffled order), which the engine takes (see
`cornu.engine.trainer`). Data too large for that, memmaps and `HDF5Matrix` stay on the
host and are copied batch by batch, the next batch while the current one runs
(`streamed_batches.py`); the loops announce each epoch's batches for that (`expect`). Logged values stay on the device: epoch averages are summed
there and read once per epoch (callbacks that read batch values trigger the copy themselves).
"""
import numpy as np

from .. import backend as K
from ..backend import kernels
from ..backend import steps
from ..callbacks.logs import Logs, StepValue, StepValues, stack_for_reading, stack_in_chunks
from . import streamed_batches
from . import process_group
from . import training_utils
from .stateful_metrics import reset_metric_states, stateful_metric_indices


class ArrayBatches(object):
    """Input, target and weight arrays, served batch by batch.

    Arrays that fit (see `cornu.backend.streaming`) are held once as the engine wants them
    (`steps.hold`), and the steps take their batches from them (`indexable`); the others stay
    on the host and `take` copies each batch when it is needed (`StreamedBatches`).
    `inputs`, `targets` and `weights` are the held arrays, or the host arrays when
    streamed.

    # Arguments
        inputs, targets, weights: lists of NumPy arrays (or array-likes such as
            `HDF5Matrix`); targets and weights may hold `None`s.
        input_dtypes, target_dtypes: dtype of each engine tensor.
        may_stream: whether to ask if the arrays should stay on the host; `False` for one
            batch of NumPy arrays in memory (not memmaps), which is copied whole either way:
            the question costs a size sum and, on a GPU, a query of the device's free memory,
            much of what `predict` on a few samples would otherwise spend.
        check: for streamed arrays, the check of each batch's values as it is read (see
            `cornu.engine.data_checks.streamed_check`), or `None`.
    """

    def __init__(self, inputs, targets, weights, input_dtypes, target_dtypes, may_stream=True,
                 check=None):
        weight_dtypes = [K.floatx()] * len(weights)
        arrays = list(inputs) + list(targets) + list(weights)
        dtypes = list(input_dtypes) + list(target_dtypes) + weight_dtypes
        sizes = [a.shape[0] for a in arrays if a is not None]
        self.num_samples = int(sizes[0]) if sizes else 0
        self.streamed = None
        if may_stream and streamed_batches.should_stream(arrays, dtypes):
            self.streamed = streamed_batches.StreamedBatches(arrays, dtypes, check=check)
            self.inputs, self.targets, self.weights = (list(inputs), list(targets),
                                                       list(weights))
        else:
            self.inputs = [_to_engine(a, d) for a, d in zip(inputs, input_dtypes)]
            self.targets = [_to_engine(a, d) for a, d in zip(targets, target_dtypes)]
            self.weights = [_to_engine(w, d) for w, d in zip(weights, weight_dtypes)]
        self.indexable = self.streamed is None
        # The host targets, for `class_index_targets` to read.
        self._host_targets = list(targets)
        self._class_index_targets = {}

    def class_index_targets(self, outputs):
        """The held targets, those at the positions `outputs` as their class indices
        (`kernels.one_hot_class_indices`) where they are exactly one-hot and have no sample
        weights; `None` when none is. Worked out on the first call for `outputs` (once per
        `fit` or `evaluate`), then kept.

        # Arguments
            outputs: a tuple of output indices (`StepLogic.class_index_outputs`).
        """
        if outputs in self._class_index_targets:
            return self._class_index_targets[outputs]
        targets = list(self.targets)
        converted = False
        if self.indexable:
            for index in outputs:
                if targets[index] is None or self.weights[index] is not None:
                    continue
                labels = kernels.one_hot_class_indices(self._host_targets[index])
                if labels is not None:
                    targets[index] = labels
                    converted = True
        self._class_index_targets[outputs] = targets if converted else None
        return self._class_index_targets[outputs]

    def expect(self, batches, order=None):
        """Announces the batches the loop takes next, so that streamed data copies each
        batch while the one before it runs (nothing to do for data on the engine).

        # Arguments
            batches: `(start, stop)` pairs, in the order they will be taken.
            order: the epoch's row order (the loop takes `order[start:stop]`), or `None`.
        """
        if self.streamed is not None:
            self.streamed.expect(batches, order)

    def ran(self, outputs):
        """Reports the outputs of a step that ran on a batch from `take` (streamed data waits
        on them so that the host runs at most a step or two ahead of the device); returns
        them."""
        return outputs if self.streamed is None else self.streamed.ran(outputs)

    def take(self, index):
        """The batch for `index`: a `(start, stop)` pair or row indices (NumPy or engine)."""
        if self.streamed is not None:
            taken = self.streamed.take(index)
            n_in, n_t = len(self.inputs), len(self.targets)
            return taken[:n_in], taken[n_in:n_in + n_t], taken[n_in + n_t:]
        if isinstance(index, tuple):
            start, stop = index
            return ([x[start:stop] for x in self.inputs],
                    [None if y is None else y[start:stop] for y in self.targets],
                    [None if w is None else w[start:stop] for w in self.weights])
        return ([x[index] for x in self.inputs],
                [None if y is None else y[index] for y in self.targets],
                [None if w is None else w[index] for w in self.weights])


def _to_engine(array, dtype):
    return steps.hold(array, dtype)


class EpochAccumulator(object):
    """Averages logged values over batches, weighted by batch size.

    The values stay engine scalars until `averages()`, which stacks them, all batches of all
    values, into one `(values, batches)` tensor read back in one copy (an engine op per batch
    would cost more than a small model's evaluation step on jax, and a read per value would
    wait for the device once per metric).
    """

    def __init__(self):
        self.batches = []
        self.sizes = []

    def add(self, values, size):
        self.batches.append(values)
        self.sizes.append(size)

    def averages(self, last=()):
        """The averages of the values, in order; those at the positions in `last` (stateful
        metrics) are the last batch's values instead."""
        if not self.batches:
            return []
        table = kernels.to_numpy(stack_for_reading(
            [stack_in_chunks([kernels.convert_to_tensor(v) for v in column])
             for column in zip(*self.batches)]))
        # The columns are padded (see `stack_in_chunks`): zero sizes there.
        table = table.reshape(table.shape[0], -1)
        sizes = np.zeros(table.shape[1])
        sizes[:len(self.sizes)] = self.sizes
        # As Keras 2 averaged: the sum of each batch's value times its size, in float64,
        # divided by the number of samples, so that 8608 right answers in 10000 read 0.8608
        # (weighting by the fractions `size / samples` would give 0.8608000000000001).
        num_samples = float(sum(self.sizes))
        averages = [float(total) / num_samples
                    for total in np.dot(table.astype(np.float64), sizes)]
        for index in last:
            averages[index] = float(table[index, len(self.sizes) - 1])
        return averages


def fit_loop(model, data, callbacks, out_labels, batch_size, epochs, verbose, shuffle,
             initial_epoch, steps_per_epoch, val_data, validation_steps, val_arrays=None):
    """Trains `model` on `data` (an `ArrayBatches`); returns its History.

    `val_arrays` (see `callback_validation_data`) are handed to callbacks as
    `validation_data`, as Keras 2 did.
    """
    trainer = model._trainer
    num_samples = data.num_samples
    do_validation = val_data is not None
    parallel = process_group.current()
    if parallel is not None:
        parallel.check_batch_size(batch_size)
        parallel.begin_fit(model)
        if not parallel.is_chief:
            verbose = 0
    callback_metrics = list(out_labels)
    if do_validation:
        callback_metrics += ['val_' + n for n in out_labels]
    if verbose and do_validation and steps_per_epoch is None:
        print('Train on %d samples, validate on %d samples' % (num_samples,
                                                               val_data.num_samples))
    callbacks.set_model(model)
    callbacks.set_params({'batch_size': batch_size, 'epochs': epochs,
                          'steps': steps_per_epoch, 'samples': num_samples,
                          'verbose': verbose, 'do_validation': do_validation,
                          'metrics': callback_metrics})
    model.stop_training = False
    for cbk in callbacks.callbacks:
        cbk.validation_data = val_arrays
    index_array = np.arange(num_samples)
    # A `stop_training` that one process's callbacks may set during an epoch is shared after
    # every batch, so that every process stops at the same one.
    watch_batches = parallel is not None and parallel.watches_batches(callbacks.callbacks)
    # The longest a short batch may be padded to (with `steps_per_epoch`, each step takes
    # the whole data: never padded).
    limit = batch_size if steps_per_epoch is None else num_samples
    # Several batches may run in one engine call where nothing needs the model between them
    # (see `_group_count`); how many is decided at the first batch.
    groupable = parallel is None and steps_per_epoch is None and \
        trainer.steps_per_call != 1 and callbacks.batch_hooks_only_read()
    group = None
    callbacks.on_train_begin()
    try:
        with K.learning_phase_scope(1):
            for epoch in range(initial_epoch, epochs):
                reset_metric_states(model)
                callbacks.on_epoch_begin(epoch)
                epoch_logs = Logs()
                if steps_per_epoch is not None:
                    batches = [(0, num_samples)] * steps_per_epoch
                    order = None
                else:
                    if shuffle == 'batch':
                        order = training_utils.batch_shuffle(index_array, batch_size)
                    elif shuffle:
                        np.random.shuffle(index_array)
                        order = index_array
                    else:
                        order = None
                    batches = training_utils.make_batches(num_samples, batch_size)
                    if order is not None:
                        if parallel is not None:
                            order = parallel.shared_order(order)
                        order = trainer.row_order(order)
                # Streamed data copies ahead the rows this process takes of each batch.
                data.expect(batches if parallel is None else
                            [parallel.local_index(pair)[0] for pair in batches], order)
                stopped = False
                batch_index = 0
                while batch_index < len(batches):
                    if group is None:
                        group = trainer.steps_per_group(data, batch_size) if groupable else 1
                    count = _group_count(trainer, batches, batch_index, group, batch_size) \
                        if group > 1 else 0
                    if count:
                        chosen = batches[batch_index:batch_index + count]
                        start, stop = chosen[0][0], chosen[-1][1]
                        index = (start, stop) if order is None else order[start:stop]
                        outs = trainer.train_steps(data, index, count, batch_size, group)
                        if outs is not None:
                            _report_steps(callbacks, out_labels, outs, batch_index,
                                          [end - begin for begin, end in chosen])
                            batch_index += count
                            continue
                        group = 1
                    start, stop = batches[batch_index]
                    batch_logs = Logs(batch=batch_index, size=stop - start)
                    callbacks.on_batch_begin(batch_index, batch_logs)
                    index = (start, stop) if order is None else order[start:stop]
                    if parallel is None:
                        outs = trainer.train_rows(data, index, limit)
                    else:
                        index, share = parallel.local_index(index)
                        trainer.set_share(share)
                        with process_group.step_scope(share):
                            outs = trainer.train_rows(data, index, limit)
                    for label, value in zip(out_labels, outs):
                        batch_logs[label] = value
                    callbacks.on_batch_end(batch_index, batch_logs)
                    batch_index += 1
                    if watch_batches:
                        model.stop_training = parallel.any_flag(model.stop_training)
                    if model.stop_training:
                        stopped = True
                        break
                if parallel is not None:
                    parallel.average_statistics(model)
                # As in Keras 2, validation runs after the last batch unless training was
                # stopped during the epoch.
                if do_validation and not stopped:
                    val_outs = test_loop(model, val_data, batch_size=batch_size,
                                         verbose=0, steps=validation_steps)
                    for label, value in zip(out_labels, val_outs):
                        epoch_logs['val_' + label] = value
                callbacks.on_epoch_end(epoch, epoch_logs)
                if parallel is not None:
                    # A decision taken in one process only (a callback acting there
                    # alone) holds for every process.
                    model.stop_training = parallel.any_flag(model.stop_training)
                if model.stop_training:
                    break
    finally:
        callbacks.on_train_end()
    return model.history


def _group_count(trainer, batches, first, group, batch_size):
    """How many batches from `first` on the next grouped engine call trains on (see
    `Trainer.steps_per_group`; the callbacks' batch hooks only read the logs, so nothing
    needs the model between them, and the hooks are called once the batches have run, with
    each batch's own values): up to `group` of them, the epoch's last, shorter batch included
    where the step may pad it (`Trainer.pads_training_batches`); 0 for that batch
    otherwise, which then runs on its own."""
    count = min(group, len(batches) - first)
    start, stop = batches[first + count - 1]
    if stop - start != batch_size and not trainer.pads_training_batches():
        count -= 1
    return count


def _report_steps(callbacks, out_labels, outs, first, sizes):
    """The batch hooks of steps run together (`Trainer.train_steps`), one batch at a time,
    each with its own size and logged values: entries of the group's vectors, left on the
    device (`StepValue`; read on the host only if a hook reads them)."""
    columns = [StepValues(values) for values in outs]
    for offset, size in enumerate(sizes):
        batch_index = first + offset
        batch_logs = Logs(batch=batch_index, size=size)
        callbacks.on_batch_begin(batch_index, batch_logs)
        for label, values in zip(out_labels, columns):
            batch_logs[label] = StepValue(values, offset)
        callbacks.on_batch_end(batch_index, batch_logs)


def test_loop(model, data, batch_size=32, verbose=0, steps=None):
    """Evaluates `model` on `data` (an `ArrayBatches`); returns the averaged logged values."""
    from .._common.generic_utils import Progbar
    trainer = model._trainer
    num_samples = data.num_samples
    parallel = process_group.current()
    first = 0
    if parallel is not None and not parallel.is_chief:
        verbose = 0
    if parallel is not None and steps is None:
        # Each process evaluates a contiguous shard; the averages are combined by rows.
        first, last = parallel.bounds(num_samples)
        num_samples = last - first
    if steps is not None:
        batches = [(0, num_samples)] * steps
    else:
        batches = [(first + start, first + stop)
                   for start, stop in training_utils.make_batches(num_samples, batch_size)]
    progbar = Progbar(target=len(batches) if steps is not None else num_samples) \
        if verbose == 1 else None
    accumulator = EpochAccumulator()
    limit = batch_size if steps is None else num_samples
    data.expect(batches)
    reset_metric_states(model)
    with K.learning_phase_scope(0):
        for batch_index, (start, stop) in enumerate(batches):
            accumulator.add(trainer.test_rows(data, (start, stop), limit), stop - start)
            if progbar is not None:
                progbar.update(batch_index + 1 if steps is not None else stop - first)
    if parallel is not None and steps is None:
        return parallel.combine_averages(accumulator.averages(), num_samples,
                                          len(model.metrics_names))
    return accumulator.averages(last=stateful_metric_indices(model))
