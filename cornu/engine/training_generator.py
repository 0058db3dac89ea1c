"""The loops over generators and `Sequence`s behind `fit_generator` and friends."""
import itertools
import math
import warnings

import numpy as np

from .. import backend as K
from ..backend import kernels
from ..backend import steps as engine_steps
from .._common.enqueuers import not_a_batch
from .._common.generic_utils import Progbar, to_list, unpack_singleton
from ..callbacks.logs import Logs, stack_for_reading
from . import argument_checks
from . import process_group
from . import training_utils
from .stateful_metrics import reset_metric_states, stateful_metric_indices
from .callback_data import callback_validation_data


def _is_sequence(obj):
    from .._common.enqueuers import Sequence
    return isinstance(obj, Sequence)


def _batch_stream(generator, workers, max_queue_size, use_multiprocessing, shuffle=False):
    """`(iterator, enqueuer_or_None)`: batches from a generator or `Sequence`, loaded by
    `workers` threads/processes when `workers > 0`."""
    from .._common.enqueuers import OrderedEnqueuer, GeneratorEnqueuer
    if workers > 0:
        if _is_sequence(generator):
            enqueuer = OrderedEnqueuer(generator, use_multiprocessing=use_multiprocessing,
                                       shuffle=shuffle)
        else:
            enqueuer = GeneratorEnqueuer(generator, use_multiprocessing=use_multiprocessing,
                                         wait_time=0.01)
        enqueuer.start(workers=workers, max_queue_size=max_queue_size)
        return enqueuer.get(), enqueuer
    if _is_sequence(generator):
        return training_utils.iter_sequence_infinite(generator), None
    return generator, None


def _unpack_generator_output(output):
    if not hasattr(output, '__len__') or isinstance(output, np.ndarray) and output.ndim == 0:
        raise not_a_batch(output)
    if len(output) == 2:
        return output[0], output[1], None
    if len(output) == 3:
        return output
    raise not_a_batch(output)


def _batch_size_of(x):
    if x is None or (hasattr(x, '__len__') and len(x) == 0):
        return 1
    if isinstance(x, list):
        return x[0].shape[0]
    if isinstance(x, dict):
        return list(x.values())[0].shape[0]
    return x.shape[0]


def fit_generator(model, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                  validation_data=None, validation_steps=None, class_weight=None,
                  max_queue_size=10, workers=1, use_multiprocessing=False, shuffle=True,
                  initial_epoch=0):
    """Trains `model` on batches from a generator or a `cornu.utils.Sequence`.

    # Arguments
        generator: yields `(x, y)` or `(x, y, sample_weight)` batches forever, or a
            `Sequence` (then `steps_per_epoch` defaults to its length, and batches come in
            order, shuffled between epochs when `shuffle`).
        steps_per_epoch: batches per epoch.
        epochs, verbose, callbacks, class_weight, initial_epoch: as in `fit`.
        validation_data: a generator, a `Sequence` or a tuple `(x, y[, sample_weight])`.
        validation_steps: batches drawn from a validation generator per epoch.
        max_queue_size: batches buffered ahead.
        workers: threads (or processes) loading batches; 0 loads in the training thread.
        use_multiprocessing: load with processes instead of threads.

    # Returns
        A `History` object.

    # Raises
        ValueError: for arguments outside their domain (say `steps_per_epoch=0`), or
            batches that do not fit the model.
        TypeError: for arguments of the wrong type, or batches that do not hold numbers.
    """
    argument_checks.check_steps(steps_per_epoch, 'steps_per_epoch')
    argument_checks.check_steps(validation_steps, 'validation_steps')
    argument_checks.check_epochs(epochs, initial_epoch)
    argument_checks.check_verbose(verbose)
    if model._is_graph_network or not model._can_build_later():
        model._ensure_graph()
        model._require_compiled()
    do_validation = bool(validation_data)
    is_sequence = _is_sequence(generator)
    parallel = process_group.current()
    if parallel is not None:
        # A Sequence is shared out by batch; a generator is drawn from in every process.
        if is_sequence:
            # As alone, batches are shuffled only when read by workers (the enqueuer).
            generator = process_group.shard_sequence(parallel, generator,
                                                     shuffle=bool(shuffle) and workers > 0)
            shuffle = False
        if _is_sequence(validation_data):
            validation_data = process_group.shard_sequence(parallel, validation_data)
        if not parallel.is_chief:
            verbose = 0
    if not is_sequence and use_multiprocessing and workers > 1:
        warnings.warn(UserWarning('Using a generator with `use_multiprocessing=True` and '
                                  'multiple workers may duplicate your data. Please consider '
                                  'using the `cornu.utils.Sequence` class.'))
    if steps_per_epoch is None:
        if is_sequence:
            steps_per_epoch = len(generator)
        else:
            raise ValueError('`steps_per_epoch=None` is only valid for a generator based on '
                             'the `cornu.utils.Sequence` class. Please specify '
                             '`steps_per_epoch` or use the `cornu.utils.Sequence` class.')
    steps_per_epoch = _whole_steps(steps_per_epoch)
    validation_steps = _whole_steps(validation_steps)
    val_gen = (hasattr(validation_data, 'next') or hasattr(validation_data, '__next__') or
               _is_sequence(validation_data))
    if val_gen and not _is_sequence(validation_data) and not validation_steps:
        raise ValueError('`validation_steps=None` is only valid for a generator based on the '
                         '`cornu.utils.Sequence` class. Please specify `validation_steps` or '
                         'use the `cornu.utils.Sequence` class.')

    enqueuer = val_enqueuer = None
    callback_list = None
    model.stop_training = False
    try:
        stream, enqueuer = _batch_stream(generator, workers, max_queue_size,
                                         use_multiprocessing, shuffle=shuffle)
        stream = _build_from_first_batch(model, stream)
        model._require_compiled()
        out_labels = list(model.metrics_names)
        callback_metrics = out_labels + (['val_' + n for n in out_labels]
                                         if do_validation else [])
        callback_list = model._make_callbacks(callbacks, verbose, 'steps')
        callback_list.set_model(model)
        callback_list.set_params({'epochs': epochs, 'steps': steps_per_epoch,
                                  'verbose': verbose, 'do_validation': do_validation,
                                  'metrics': callback_metrics})
        if parallel is not None:
            parallel.begin_fit(model)
        # As in `fit`: a stop one process's callbacks may decide mid-epoch is shared.
        watch_batches = parallel is not None and \
            parallel.watches_batches(callback_list.callbacks)
        callback_list.on_train_begin()
        val_stream = None
        if do_validation:
            if val_gen:
                if _is_sequence(validation_data):
                    validation_steps = validation_steps or len(validation_data)
                val_stream, val_enqueuer = _batch_stream(validation_data, workers,
                                                         max_queue_size, use_multiprocessing)
            else:
                if len(validation_data) not in (2, 3):
                    raise ValueError('`validation_data` should be a tuple `(val_x, val_y, '
                                     'val_sample_weight)` or `(val_x, val_y)`. Found: ' +
                                     str(validation_data))
                val_x, val_y = validation_data[0], validation_data[1]
                val_sw = validation_data[2] if len(validation_data) == 3 else None
                # Checked now, so that a mistake fails before the first epoch; callbacks
                # see the checked arrays, as with `fit`.
                val_data = callback_validation_data(
                    model, *model._standardize_user_data(val_x, val_y, val_sw))
                for callback in callback_list.callbacks:
                    callback.validation_data = val_data
        epoch = initial_epoch
        with K.learning_phase_scope(1):
            while epoch < epochs:
                reset_metric_states(model)
                callback_list.on_epoch_begin(epoch)
                epoch_logs = Logs()
                stopped = False
                for batch_index in range(steps_per_epoch):
                    item = next(stream)
                    has_rows = not isinstance(item, process_group.NoRows)
                    x, y, sample_weight = _unpack_generator_output(
                        item if has_rows else item.batch)
                    size, share = _batch_size_of(x), None
                    if parallel is not None:
                        # Each process's batch counts by its rows in the global batch.
                        rows = size if has_rows else 0
                        size = parallel.sum_counts([rows])[0]
                        share = rows / size
                        model._trainer.set_share(share)
                    batch_logs = Logs(batch=batch_index, size=size)
                    callback_list.on_batch_begin(batch_index, batch_logs)
                    with process_group.step_scope(share):
                        outs = model._train_batch_values(x, y, sample_weight, class_weight)
                    for label, value in zip(out_labels, outs):
                        batch_logs[label] = value
                    callback_list.on_batch_end(batch_index, batch_logs)
                    if watch_batches:
                        model.stop_training = parallel.any_flag(model.stop_training)
                    if model.stop_training:
                        stopped = True
                        break
                if parallel is not None:
                    parallel.average_statistics(model)
                if do_validation and not stopped:
                    if val_gen:
                        val_outs = _evaluate_stream(model, val_stream, validation_steps,
                                                    parallel=parallel)
                    else:
                        val_outs = model.evaluate(val_x, val_y,
                                                  batch_size=_batch_size_of(x),
                                                  sample_weight=val_sw, verbose=0)
                    for label, value in zip(out_labels, to_list(val_outs)):
                        epoch_logs['val_' + label] = value
                callback_list.on_epoch_end(epoch, epoch_logs)
                epoch += 1
                if parallel is not None:
                    model.stop_training = parallel.any_flag(model.stop_training)
                if model.stop_training:
                    break
    finally:
        try:
            if enqueuer is not None:
                enqueuer.stop()
        finally:
            if val_enqueuer is not None:
                val_enqueuer.stop()
        if callback_list is not None:
            callback_list.on_train_end()
    return model.history


def _whole_steps(steps):
    """The number of batches to draw for `steps`, which may be a float (Keras 2.2.4's own
    docstrings suggest `steps_per_epoch=len(x) / 32`): as many as Keras 2.2.4's
    `while steps_done < steps` loop draws, i.e. `steps` rounded up."""
    if steps is None:
        return None
    return int(math.ceil(steps))


def _build_from_first_batch(model, stream, with_targets=True):
    """Builds a model that is built from data (a Sequential without an input shape, a
    subclassed model) from the inputs of the stream's first batch; returns the stream, that
    batch still first. Batches hold targets unless `with_targets` is False (then a batch may
    be the inputs alone, or a tuple that starts with them)."""
    if model._is_graph_network or not model._can_build_later():
        return stream
    first = next(stream)
    batch = first.batch if isinstance(first, process_group.NoRows) else first
    x = _unpack_generator_output(batch)[0] if with_targets or isinstance(batch, tuple) \
        else batch
    model._ensure_graph(x)
    return itertools.chain([first], stream)


def _evaluate_stream(model, stream, steps, progbar=None, parallel=None):
    totals, sizes, last = None, [], None
    reset_metric_states(model)
    with K.learning_phase_scope(0):
        for step in range(steps):
            item = next(stream)
            if isinstance(item, process_group.NoRows):
                continue  # a process without a batch on a sharded Sequence's last step
            x, y, sample_weight = _unpack_generator_output(item)
            outs = model._test_batch_values(x, y, sample_weight)
            size = _batch_size_of(x)
            if size == 0:
                raise ValueError('Received an empty batch. Batches should contain at least one '
                                 'item.')
            last = outs
            weighted = [o * size for o in outs]
            totals = weighted if totals is None else [t + w for t, w in zip(totals, weighted)]
            sizes.append(size)
            if progbar is not None:
                progbar.update(step + 1)
    if parallel is not None:
        # Every process's averages, combined by their rows.
        count = sum(sizes)
        averages = [float(kernels.to_numpy(t)) / count for t in totals] if count else []
        return unpack_singleton(parallel.combine_averages(averages, count,
                                                          len(model.metrics_names)))
    if totals is None:
        raise ValueError('No batches were evaluated (steps=' + str(steps) + ').')
    count = float(sum(sizes))
    # The sums are read from the device together, in one copy.
    sums = kernels.to_numpy(stack_for_reading([kernels.convert_to_tensor(t) for t in totals]))
    averages = [float(total) / count for total in sums]
    # Stateful metrics report their value after the last batch.
    for index in stateful_metric_indices(model):
        averages[index] = float(kernels.to_numpy(kernels.convert_to_tensor(last[index])))
    return unpack_singleton(averages)


def evaluate_generator(model, generator, steps=None, max_queue_size=10, workers=1,
                       use_multiprocessing=False, verbose=0):
    """Evaluates `model` on batches from a generator or `Sequence` (weighted by batch size)."""
    argument_checks.check_steps(steps, 'steps')
    argument_checks.check_verbose(verbose)
    if not model._can_build_later():
        model._ensure_graph()
        model._require_compiled()
    parallel = process_group.current()
    if parallel is not None:
        # A Sequence is shared out by batch; a generator is drawn from in every process.
        if _is_sequence(generator):
            generator = process_group.shard_sequence(parallel, generator)
        if not parallel.is_chief:
            verbose = 0
    if steps is None:
        if _is_sequence(generator):
            steps = len(generator)
        else:
            raise ValueError('`steps=None` is only valid for a generator based on the '
                             '`cornu.utils.Sequence` class. Please specify `steps` or use the '
                             '`cornu.utils.Sequence` class.')
    steps = _whole_steps(steps)
    stream, enqueuer = _batch_stream(generator, workers, max_queue_size, use_multiprocessing)
    try:
        stream = _build_from_first_batch(model, stream)
        model._require_compiled()
        progbar = Progbar(target=steps) if verbose == 1 else None
        return _evaluate_stream(model, stream, steps, progbar, parallel)
    finally:
        if enqueuer is not None:
            enqueuer.stop()


def predict_generator(model, generator, steps=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, verbose=0):
    """Predicts for the input batches of a generator or `Sequence` (which may yield `x`,
    `(x, y)` or `(x, y, sample_weight)`).

    When several processes run together, a `Sequence` is shared out by batch and every
    process returns all the predictions, in order; a generator is drawn from in each process,
    which returns the predictions of its own batches."""
    argument_checks.check_steps(steps, 'steps')
    argument_checks.check_verbose(verbose)
    if not model._can_build_later():
        model._ensure_graph()
    parallel = process_group.current()
    sharded = None
    if parallel is not None:
        if _is_sequence(generator):
            generator = sharded = process_group.shard_sequence(parallel, generator)
        if not parallel.is_chief:
            verbose = 0
    if steps is None:
        if _is_sequence(generator):
            steps = len(generator)
        else:
            raise ValueError('`steps=None` is only valid for a generator based on the '
                             '`cornu.utils.Sequence` class. Please specify `steps` or use the '
                             '`cornu.utils.Sequence` class.')
    steps = _whole_steps(steps)
    stream, enqueuer = _batch_stream(generator, workers, max_queue_size, use_multiprocessing)
    # A subclass's own `predict_on_batch` is called for each batch, as Keras 2 did.
    # Otherwise the outputs stay on the device and are copied to the host together, every
    # `_BATCHES_PER_COPY` batches: one wait for the device per copy, not per batch, and at
    # most that many batches of outputs held on the device.
    custom = _overrides_predict_on_batch(model)
    collected = None
    pending = []
    try:
        stream = _build_from_first_batch(model, stream, with_targets=False)
        progbar = Progbar(target=steps) if verbose == 1 else None
        positions = []
        for step in range(steps):
            output = next(stream)
            if isinstance(output, process_group.NoRows):
                continue
            if isinstance(output, tuple) and len(output) in (2, 3):
                x = output[0]
            else:
                x = output
            if x is None:
                raise not_a_batch(output)
            if sharded is not None:
                positions.append(np.full(_batch_size_of(x), step * sharded.world_size +
                                         sharded.rank, dtype=np.int64))
            if custom:
                outs = to_list(model.predict_on_batch(x))
            else:
                pending.append(model._predict_batch_values(x))
                outs = _to_host(pending) if len(pending) == _BATCHES_PER_COPY else None
            if outs is not None:
                if collected is None:
                    collected = [[] for _ in outs]
                for bucket, out in zip(collected, outs):
                    bucket.append(out)
            if progbar is not None:
                progbar.update(step + 1)
        if pending:
            outs = _to_host(pending)
            if collected is None:
                collected = [[] for _ in outs]
            for bucket, out in zip(collected, outs):
                bucket.append(out)
    finally:
        if enqueuer is not None:
            enqueuer.stop()
    if sharded is not None:
        return unpack_singleton(_gathered_in_order(parallel, collected, positions))
    if collected is None:
        return []
    return unpack_singleton([np.concatenate(parts) for parts in collected])


def _gathered_in_order(parallel, collected, positions):
    """Every process's predictions of a sharded `Sequence`, in the order of its batches."""
    if collected is None:
        raise ValueError('predict_generator on a Sequence shared out among processes needs '
                         'at least one batch in every process; got none in process %d.'
                         % parallel.rank)
    order = np.argsort(parallel.gather(np.concatenate(positions)), kind='stable')
    return [parallel.gather(np.concatenate(parts))[order] for parts in collected]


# How many batches of `predict_generator`'s outputs are copied to the host at once.
_BATCHES_PER_COPY = 32


def _overrides_predict_on_batch(model):
    """Whether `model`'s class has a `predict_on_batch` of its own, not `Model`'s."""
    method = type(model).predict_on_batch
    return (method.__module__, method.__qualname__) != (__name__.rsplit('.', 1)[0] + '.training',
                                                         'Model.predict_on_batch')


def _to_host(pending):
    """The outputs of the batches in `pending` (lists of engine tensors, one per output),
    concatenated on the device and copied to the host, one NumPy array per output;
    `pending` is emptied."""
    outs = [engine_steps.to_host(parts) for parts in zip(*pending)]
    del pending[:]
    return outs
