"""`Callback`, the base class of everything called during training, and `CallbackList`, which
dispatches each training event to a list of callbacks.
"""
import threading
import time
import warnings
from collections import OrderedDict, deque

import numpy as np

from .. import backend as K
from ..backend import distributed, kernels
from .logs import CHUNK, StepValue, alias_of, stack_for_reading, to_python

# A callback hook slower than this (median over the last few batches), and slower than the
# batch itself, earns Keras 2's "is slow compared to the batch update" warning.
_SLOW_HOOK_SECONDS = 0.1


def monitored_value(logs, name):
    """The value logged under `name`, also found under its `acc`/`accuracy` twin; else `None`.

    `Logs` answers both spellings itself; plain dicts (from user code) get the same courtesy.
    """
    value = logs.get(name)
    if value is None:
        other = alias_of(name)
        if other is not None:
            value = logs.get(other)
    return value


class _WeightedSums(object):
    """`total + sum(terms * weights)` for engine scalars of one dtype, in one call: on JAX one
    compiled function (its eager ops, a stack, a constant, a product, a sum and an add, each
    cost a dispatch of their own, about six times the compiled call), shared by every running
    sum of the process and compiled once per dtype."""

    # How many weight vectors `_weights_tensor` keeps: a fit's folds all weigh full batches
    # alike, and the last fold of each epoch is the same from epoch to epoch.
    _KEPT_WEIGHTS = 16

    def __init__(self):
        self._run = None
        self._zeros = {}
        self._weights = OrderedDict()
        self._lock = threading.Lock()

    def _weights_tensor(self, weights, dtype):
        """`weights` as an engine tensor of `dtype`, made once for the same weights: a
        constant costs an engine op (on JAX an eager dispatch, more than the fold's compiled
        call)."""
        key = (dtype, tuple(tuple(row) if isinstance(row, list) else row for row in weights))
        tensor = self._weights.get(key)
        if tensor is None:
            tensor = self._weights[key] = K.constant(weights, dtype=dtype)
            if len(self._weights) > self._KEPT_WEIGHTS:
                self._weights.popitem(last=False)
        else:
            self._weights.move_to_end(key)
        return tensor

    @staticmethod
    def _sum_into(values):
        # values: the padded terms, then their weights, then the total so far.
        terms, weights, total = values[:-2], values[-2], values[-1]
        return [total + K.sum(K.stack(terms) * weights)]

    def add(self, total, terms, weights, size):
        """`total` (`None` for none yet) plus the weighted `terms`, padded to `size` terms
        with zeros of zero weight: every call has the same signature. The terms are engine
        scalars of one dtype, weighted by numbers, or engine vectors of one dtype and
        length (the values of grouped steps, `StepValues`), weighted by lists as long."""
        first = terms[0]
        dtype = K.dtype(first)
        with self._lock:
            if self._run is None:
                self._run = kernels.compile_function(self._sum_into)
            key = (dtype, K.int_shape(first))
            zero = self._zeros.get(key)
            if zero is None:
                zero = self._zeros[key] = K.constant(np.zeros(key[1]), dtype=dtype)
            padding = size - len(terms)
            padded = list(terms) + [zero] * padding
            blank = [0.] * len(weights[0]) if isinstance(weights[0], list) else 0.
            weights = self._weights_tensor(list(weights) + [blank] * padding, dtype)
            if total is None:
                total = self._zeros.get((dtype, ()))
                if total is None:
                    total = self._zeros[(dtype, ())] = K.constant(0., dtype=dtype)
            return self._run(padded + [weights, total])[0]


_weighted_sums = _WeightedSums()


def _kind(value):
    return type(value), getattr(value, 'dtype', None), getattr(value, 'shape', None)


class LazyWeightedSum(object):
    """A running sum of `value * weight` whose values may stay engine tensors on the device.

    Adding a term only remembers it (no engine op, no copy to the host): a callback called
    after every batch then costs next to nothing. The terms are summed on the device in one
    call when `pending` of them have gathered or when the sum is read, and copied to the host
    once, by `result()`. The values of grouped steps (`StepValue`) are gathered by group, and
    each group's vector is summed with its weights in the same way.
    """

    __slots__ = ('_values', '_weights', '_columns', '_device_total', '_host_total')

    # Folds of a fixed length, padded: one compiled call on JAX whatever the number of batches.
    pending = CHUNK
    # How many groups' vectors a fold sums at once (padded likewise).
    pending_columns = 8

    def __init__(self):
        self._values = []
        self._weights = []
        # [StepValues, weight per entry] per group, in order.
        self._columns = []
        self._device_total = None
        self._host_total = 0.

    def add(self, value, weight):
        if isinstance(value, StepValue):
            columns = self._columns
            if not columns or columns[-1][0] is not value.values:
                if len(columns) >= self.pending_columns:
                    self._fold_columns()
                    columns = self._columns
                columns.append([value.values, [0.] * len(value.values.tensor)])
            columns[-1][1][value.offset] += weight
            return
        if isinstance(value, (float, np.floating)):
            # Already on the host: summed there.
            self._host_total = self._host_total + float(value) * weight
            return
        self._values.append(value)
        self._weights.append(weight)
        if len(self._values) >= self.pending:
            self._fold()

    def _fold_columns(self):
        columns, self._columns = self._columns, []
        vectors = [values.tensor for values, _ in columns]
        kind = _kind(vectors[0])
        if all(_kind(v) == kind for v in vectors):
            self._device_total = _weighted_sums.add(
                self._device_total, vectors, [weights for _, weights in columns],
                self.pending_columns)
            return
        for values, weights in columns:
            self._host_total = self._host_total + float(np.dot(values.host(), weights))

    def _fold(self):
        values, weights = self._values, self._weights
        self._values, self._weights = [], []
        first = values[0]
        # (Compared by type, dtype and shape attributes, which both engines' tensors have: K's
        # functions per term would cost more than the fold.)
        kind = _kind(first)
        if K.is_tensor(first) and K.ndim(first) == 0 and all(_kind(v) == kind for v in values):
            self._device_total = _weighted_sums.add(self._device_total, values, weights,
                                                    self.pending)
            return
        # Terms of mixed shapes or types: each on its own, on the host.
        for value, weight in zip(values, weights):
            self._host_total = self._host_total + np.asarray(to_python(value)) * weight

    def result(self):
        """The sum: a Python float for scalar terms (a NumPy array for array terms)."""
        return results([self])[0]


def results(sums):
    """The `result()` of every `LazyWeightedSum` in `sums`, read from the device together.

    The device totals that are scalars are stacked and copied to the host in one read: a
    progress bar showing the loss and three metrics waits for the device once per refresh,
    not four times.
    """
    device_scalars = []
    for total in sums:
        if total._values:
            total._fold()
        if total._columns:
            total._fold_columns()
        device_total = total._device_total
        if device_total is not None and K.ndim(device_total) == 0:
            device_scalars.append(device_total)
    read = iter(to_python(stack_for_reading(device_scalars)).tolist()) if device_scalars else None
    values = []
    for total in sums:
        value = total._host_total
        device_total = total._device_total
        if device_total is not None:
            value = value + (next(read) if K.ndim(device_total) == 0
                             else to_python(device_total))
        values.append(to_python(value))
    return values


class Callback(object):
    """Abstract base class of the callbacks called during training.

    # Properties
        params: dict, the training parameters (`batch_size`, `epochs`, `steps`, `samples`,
            `verbose`, `do_validation`, `metrics`).
        model: the `Model` being trained.
        validation_data: the validation arrays, when the training loop provides them.

    The `logs` dictionary handed to each hook holds the quantities of the moment:

        on_epoch_end: `loss` and the compiled metrics (e.g. `acc`), averaged over the
            epoch, plus `val_loss`, `val_acc`, ... when validating.
        on_batch_begin: `batch` and `size`, the number of samples in the batch.
        on_batch_end: `loss` and the compiled metrics for the batch.

    During `fit` the logs are `cornu.callbacks.logs.Logs`: reading a value gives a Python
    float; `logs.raw(key)` gives the engine tensor without copying it off the device.

    When several processes train together (under `torchrun`), every callback runs in each
    of them and sees the same, global logs, except those whose class sets `_chief_only`
    (the ones that print or write: `ProgbarLogger`, `ModelCheckpoint`, `CSVLogger`,
    `TensorBoard`, `RemoteMonitor`), which act in process 0 only.
    """

    # Whether the callback acts only in process 0 when several processes train together.
    _chief_only = False

    def __init__(self):
        self.validation_data = None
        self.model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass


class _HookTimes(object):
    """The last `maxlen` durations of one batch hook, with a cheap test for a slow median.

    Keras 2 takes the median of the window after every batch; counting the slow entries
    first means the median is only computed when it can exceed the threshold.
    """

    def __init__(self, maxlen):
        self.durations = deque([], maxlen=maxlen)
        self.slow_count = 0

    def add(self, duration):
        """Records `duration`; returns whether the window holds any slow one."""
        durations = self.durations
        if len(durations) == durations.maxlen and durations[0] > _SLOW_HOOK_SECONDS:
            self.slow_count -= 1
        durations.append(duration)
        if duration > _SLOW_HOOK_SECONDS:
            self.slow_count += 1
        return self.slow_count > 0

    def slow_median(self, batch_time):
        """The median duration if it is slow and slower than the batch itself, else `None`."""
        if batch_time <= 0. or 2 * self.slow_count < len(self.durations):
            return None
        median = float(np.median(self.durations))
        if median > _SLOW_HOOK_SECONDS and median > 0.95 * batch_time:
            return median
        return None


def _overrides(callback, hook):
    """Whether `callback` does something in `hook`: a class of its own defines it, or the
    instance was given one (`LambdaCallback`)."""
    return hook in getattr(callback, '__dict__', ()) or \
        getattr(type(callback), hook, None) is not getattr(Callback, hook)


def _hook_only_reads(callback, hook):
    """Whether `callback`'s `hook` does nothing, or only reads the logs (the loggers of this
    package mark their classes with `_batch_hooks_only_read`); a subclass that defines the
    hook anew, or an instance given one (`LambdaCallback`), is not assumed to."""
    if hook in getattr(callback, '__dict__', ()):
        return False
    for klass in type(callback).__mro__:
        if hook in vars(klass):
            return klass is Callback or vars(klass).get('_batch_hooks_only_read', False) is True
    return True


class CallbackList(object):
    """A list of callbacks, called one after another for each training event.

    # Arguments
        callbacks: list of `Callback` instances.
        queue_length: number of batches over which hook durations are watched, to warn when
            callbacks take longer than the batches themselves.
    """

    def __init__(self, callbacks=None, queue_length=10):
        self.callbacks = []
        for callback in callbacks or []:
            self.append(callback)
        self.queue_length = queue_length
        self._reset_timing()

    def _reset_timing(self):
        # The callbacks with a batch hook of their own, worked out again each epoch.
        self._batch_begin_hooks = self._batch_end_hooks = None
        self._delta_t_batch = 0.
        self._batch_begin_times = _HookTimes(self.queue_length)
        self._batch_end_times = _HookTimes(self.queue_length)
        self._t_enter_batch = None

    def append(self, callback):
        # Printing and writing happen once, in process 0, when several processes train.
        if getattr(callback, '_chief_only', False) and distributed.rank() != 0:
            return
        self.callbacks.append(callback)
        self._batch_begin_hooks = self._batch_end_hooks = None

    def batch_hooks_only_read(self):
        """Whether every callback's batch hooks do nothing or only read the logs (Keras'
        own loggers): then no callback can change the model or stop training between two
        batches, and their hooks may be called after several batches have run together."""
        return all(_hook_only_reads(callback, hook) for callback in self.callbacks
                   for hook in ('on_batch_begin', 'on_batch_end'))

    def set_params(self, params):
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        for callback in self.callbacks:
            callback.set_model(model)

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch.

        # Arguments
            epoch: integer, index of the epoch.
            logs: dictionary of logs.
        """
        if logs is None:
            logs = {}
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)
        self._reset_timing()

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch.

        # Arguments
            epoch: integer, index of the epoch.
            logs: dictionary of logs; the first callbacks (`BaseLogger`) fill in the epoch
                averages that the later ones read.
        """
        if logs is None:
            logs = {}
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        """Called right before a batch is processed.

        # Arguments
            batch: integer, index of the batch within the epoch.
            logs: dictionary of logs.
        """
        hooks = self._batch_begin_hooks
        if hooks is None:
            hooks = self._batch_begin_hooks = [
                callback for callback in self.callbacks
                if _overrides(callback, 'on_batch_begin')]
        if not hooks:
            # Keras 2's default callbacks do nothing here: nothing to call or to time.
            self._t_enter_batch = time.time()
            return
        if logs is None:
            logs = {}
        start = time.time()
        for callback in hooks:
            callback.on_batch_begin(batch, logs)
        self._t_enter_batch = time.time()
        if self._batch_begin_times.add(self._t_enter_batch - start):
            self._warn_if_slow('on_batch_begin', self._batch_begin_times)

    def on_batch_end(self, batch, logs=None):
        """Called at the end of a batch.

        # Arguments
            batch: integer, index of the batch within the epoch.
            logs: dictionary of logs.
        """
        hooks = self._batch_end_hooks
        if hooks is None:
            hooks = self._batch_end_hooks = [
                callback for callback in self.callbacks
                if _overrides(callback, 'on_batch_end')]
        if not hooks:
            return
        if logs is None:
            logs = {}
        start = time.time()
        if self._t_enter_batch is None:
            self._t_enter_batch = start
        self._delta_t_batch = start - self._t_enter_batch
        for callback in hooks:
            callback.on_batch_end(batch, logs)
        if self._batch_end_times.add(time.time() - start):
            self._warn_if_slow('on_batch_end', self._batch_end_times)

    def _warn_if_slow(self, hook, times):
        median = times.slow_median(self._delta_t_batch)
        if median is not None:
            warnings.warn('Method %s() is slow compared to the batch update (%f). '
                          'Check your callbacks.' % (hook, median))

    def on_train_begin(self, logs=None):
        """Called at the beginning of training.

        # Arguments
            logs: dictionary of logs.
        """
        if logs is None:
            logs = {}
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs=None):
        """Called at the end of training.

        # Arguments
            logs: dictionary of logs.
        """
        if logs is None:
            logs = {}
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def __iter__(self):
        return iter(self.callbacks)
