"""The `Sequence` interface and the enqueuers of `cornu.utils.data_utils` (where they are
imported from, as in Keras 2.2.4): batches of a `Sequence` or a generator prepared ahead of
use by worker threads or processes.

Beyond Keras 2.2.4, exceptions raised in any worker (thread or process), in
`on_epoch_end` or in the feeder thread are re-raised in the consumer, every blocking loop
watches the stop signal, and `stop()` joins every thread and process it started.
"""
import concurrent.futures
import itertools
import multiprocessing
import pickle
import queue
import random
import threading
import warnings
from abc import abstractmethod

import numpy as np

from ..backend import kernels
from ..backend.engine_choice import ENGINE

# How often blocked enqueuer loops look at their stop signal, in seconds.
_POLL = 0.1

# `get()` skips a `None` batch, as Keras 2 does, but gives up after this many in a row (or a
# whole pass over a shorter Sequence): a source that yields only `None` would otherwise keep
# the consumer waiting for ever.
MAX_SKIPPED_BATCHES = 100


def not_a_batch(output, repeats=1):
    """The `ValueError` for an `output` of a generator or `Sequence` that is no batch.

    # Arguments
        output: what the generator or Sequence gave.
        repeats: how many times in a row it gave it (more than one: `None` batches the
            enqueuers skipped).
    """
    message = ('Output of generator should be a tuple `(x, y, sample_weight)` or `(x, y)`. '
               'Found: ' + str(output))
    if repeats > 1:
        message += (' (' + str(repeats) + ' times in a row: the workers skip a None batch, '
                    'but not without end)')
    return ValueError(message + '.' if repeats > 1 else message)


# ------------------------------------------------------------------------------------------
# Sequence
# ------------------------------------------------------------------------------------------

class Sequence(object):
    """Base class for a dataset read batch by batch, such as files on disk.

    A subclass implements `__getitem__` (the complete batch at a position) and `__len__`
    (the number of batches), and optionally `on_epoch_end` to change the data between
    epochs (e.g. reshuffle). Unlike a generator, a `Sequence` can be read by several workers
    at once while each batch is still seen exactly once per epoch, which makes it the safe
    choice for `use_multiprocessing=True`.

    # Example

    ```python
        class ArraySequence(Sequence):

            def __init__(self, x, y, batch_size):
                self.x, self.y, self.batch_size = x, y, batch_size

            def __len__(self):
                return int(np.ceil(len(self.x) / float(self.batch_size)))

            def __getitem__(self, idx):
                batch = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
                return self.x[batch], self.y[batch]
    ```
    """

    # Marks objects that follow this interface without inheriting from the class.
    use_sequence_api = True

    @abstractmethod
    def __getitem__(self, index):
        """Returns the batch at position `index` (a complete batch)."""
        raise NotImplementedError

    @abstractmethod
    def __len__(self):
        """Returns the number of batches in the Sequence."""
        raise NotImplementedError

    def on_epoch_end(self):
        """Called at the end of every epoch; does nothing unless overridden."""
        pass

    def __iter__(self):
        """Yields the batches in order, once."""
        for i in range(len(self)):
            yield self[i]


# ------------------------------------------------------------------------------------------
# Helpers run inside workers
# ------------------------------------------------------------------------------------------

# Sequences (or generators) being read by enqueuers, by enqueuer uid. Worker processes get
# their own copy through `init_pool` / `init_pool_generator`.
_SHARED_SEQUENCES = {}
_UID_COUNTER = itertools.count()
_UID_LOCK = threading.Lock()


def _next_uid():
    with _UID_LOCK:
        return next(_UID_COUNTER)


def init_pool(seqs):
    """Worker-process initializer: installs the dictionary `{uid: sequence}` to read from."""
    global _SHARED_SEQUENCES
    _SHARED_SEQUENCES = seqs


def _init_sequence_worker(seqs):
    """`init_pool`, plus fresh random seeds: a forked worker would otherwise replay the
    parent's NumPy random stream, giving every worker, and every epoch (each has a new
    pool), the same "random" augmentations (a Keras 2 pitfall)."""
    init_pool(seqs)
    np.random.seed(None)
    random.seed()


def get_index(uid, i):
    """Returns batch `i` of the Sequence of enqueuer `uid` (run inside a worker).

    Several Sequences can be read at once (e.g. training and validation), each under the uid
    of its enqueuer.
    """
    return _SHARED_SEQUENCES[uid][i]


def init_pool_generator(gens, random_seed=None):
    """Worker-process initializer for generators: installs `{uid: generator}` and reseeds the
    global NumPy and Python random generators, so that workers forked from the same parent
    do not all draw the same random numbers.

    # Arguments
        gens: dictionary `{uid: generator}`.
        random_seed: base seed; each worker uses `random_seed + its process id`. `None`
            seeds from the operating system.
    """
    global _SHARED_SEQUENCES
    _SHARED_SEQUENCES = gens
    if random_seed is None:
        np.random.seed(None)
        random.seed()
    else:
        seed = (random_seed + multiprocessing.current_process().pid) % (2 ** 32)
        np.random.seed(seed)
        random.seed(seed)


def next_sample(uid):
    """Returns the next item of the generator of enqueuer `uid` (run inside a worker)."""
    return next(_SHARED_SEQUENCES[uid])


def _worker_processes():
    """`(context, reason)`: the multiprocessing context that starts worker processes, and
    why it does not fork them (`None` when it does).

    Forked workers need nothing pickled (Sequences and generators defined in a script work
    as they are) and start at once, so they are used wherever the platform can fork and the
    engine allows it (`kernels.WORKERS_MAY_FORK`: not JAX, whose threads a forked process
    may deadlock on). Otherwise each worker is a new interpreter (`spawn`): the Sequence is
    pickled to it, and it imports the script's main module, so a script's training code
    must sit under `if __name__ == '__main__':` (as on Windows and macOS). `forkserver`
    would not help: its server imports the main module too (hence the engine) and forks the
    workers from there; measured, both cost a worker about one import of cornu to start.
    """
    if 'fork' not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context(), 'this platform cannot fork processes'
    if not kernels.WORKERS_MAY_FORK:
        return multiprocessing.get_context('spawn'), (
            'processes forked from the ' + ENGINE + ' engine, which runs threads of its '
            'own, may deadlock')
    return multiprocessing.get_context('fork'), None


def _pickling_error(obj):
    """Why `obj` cannot be pickled, or `None` when it can."""
    try:
        pickle.dumps(obj)
    except Exception as e:  # pickling raises many types (PicklingError, TypeError, ...)
        return type(e).__name__ + ': ' + str(e)
    return None


class _Resolved(object):
    """A queue item already holding its value (same interface as a Future)."""
    __slots__ = ('value',)

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value

    def cancel(self):
        return False


class _Failure(object):
    """A queue item that re-raises an exception caught in a worker or a feeder thread."""
    __slots__ = ('error',)

    def __init__(self, error):
        self.error = error

    def result(self):
        raise self.error

    def cancel(self):
        return False


# Queue item marking the end of a finite generator.
_END = _Resolved(None)


# ------------------------------------------------------------------------------------------
# Enqueuers
# ------------------------------------------------------------------------------------------

class SequenceEnqueuer(object):
    """Base class of the enqueuers, which use parallelism to prepare batches ahead of use.

    # Example

    ```python
        enqueuer = OrderedEnqueuer(sequence)
        enqueuer.start(workers=4, max_queue_size=10)
        batches = enqueuer.get()
        for batch in batches:
            ...  # train, evaluate or predict; break when done
        enqueuer.stop()
    ```

    `get()` is an endless stream of batches (for Sequences; a finite generator ends it).
    """

    @abstractmethod
    def is_running(self):
        """Returns whether the workers are running (started and not stopped)."""
        raise NotImplementedError

    @abstractmethod
    def start(self, workers=1, max_queue_size=10):
        """Starts the workers.

        # Arguments
            workers: number of worker threads or processes.
            max_queue_size: maximum number of batches prepared ahead.
        """
        raise NotImplementedError

    @abstractmethod
    def stop(self, timeout=None):
        """Stops the workers and waits for them (at most `timeout` seconds)."""
        raise NotImplementedError

    @abstractmethod
    def get(self):
        """Returns a generator over the prepared batches."""
        raise NotImplementedError


class _QueuedEnqueuer(SequenceEnqueuer):
    """Shared machinery: a bounded queue of results (futures or resolved values) read in
    order by `get()`, a stop signal checked by every blocking loop, and exceptions from
    workers re-raised in the consumer."""

    # Seconds between two looks at the stop signal while `get()` waits for the queue.
    _poll_interval = _POLL

    def _init_queue_state(self):
        self.workers = 0
        self.queue = None
        self.stop_signal = None

    def is_running(self):
        return self.stop_signal is not None and not self.stop_signal.is_set()

    def _check_start_args(self, workers, max_queue_size):
        if self.is_running():
            raise RuntimeError('%s is already running: call stop() before start().'
                               % type(self).__name__)
        workers = int(workers)
        if workers < 1:
            raise ValueError('`workers` must be at least 1, got %d.' % workers)
        self.workers = workers
        self.queue = queue.Queue(max(0, int(max_queue_size)))
        self.stop_signal = threading.Event()
        # How many items the consumer has asked for, and a signal of each request.
        self._requests = 0
        self._asked = threading.Event()

    def _put(self, item):
        """Puts `item` in the queue, waiting for room; returns False if stopped meanwhile."""
        while not self.stop_signal.is_set():
            try:
                self.queue.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def _clear_queue(self):
        with self.queue.mutex:
            for item in self.queue.queue:
                item.cancel()
            self.queue.queue.clear()
            self.queue.unfinished_tasks = 0
            self.queue.not_full.notify_all()
            self.queue.all_tasks_done.notify_all()

    def _next_item(self):
        """Blocks for the next queue item; returns None once stopped."""
        self._requests += 1
        self._asked.set()
        while self.is_running():
            try:
                return self.queue.get(timeout=self._poll_interval)
            except queue.Empty:
                continue
        return None

    def _task_done(self):
        try:
            self.queue.task_done()
        except ValueError:
            pass  # stop() emptied the queue meanwhile

    def _skip_limit(self):
        """How many `None` batches in a row `get()` skips before it refuses them."""
        return MAX_SKIPPED_BATCHES

    def get(self):
        """Yields the prepared batches, in order; re-raises any exception from a worker.

        A `None` batch is skipped, as in Keras 2, but not without end.

        # Raises
            ValueError: after `MAX_SKIPPED_BATCHES` `None` batches in a row (or, from a
                shorter `Sequence`, one pass over it), as the loops do for the first `None`
                batch they read themselves (`workers=0`).
        """
        skipped, limit = 0, self._skip_limit()
        try:
            while True:
                item = self._next_item()
                if item is None:
                    return
                try:
                    if item is _END:
                        self.stop()
                        return
                    value = item.result()
                except concurrent.futures.CancelledError:
                    if not self.is_running():
                        return
                    raise
                except StopIteration:
                    # The generator of a worker process ran out.
                    self.stop()
                    return
                finally:
                    self._task_done()
                if value is None:
                    skipped += 1
                    if skipped >= limit:
                        raise not_a_batch(None, skipped)
                    continue
                skipped = 0
                yield value
        except Exception:
            self.stop()
            raise


class OrderedEnqueuer(_QueuedEnqueuer):
    """Reads the batches of a `Sequence` with several workers and yields them in order.

    A feeder thread submits batch indices to a pool of `workers` threads (or processes, with
    `use_multiprocessing=True`), keeping at most `max_queue_size` batches ahead; `get()`
    yields them in index order. After each epoch it waits until the consumer has taken every
    batch, calls `sequence.on_epoch_end()`, and starts over, forever, when the consumer asks
    for the next epoch's first batch: no batch is read for an epoch that is never run (a
    `Sequence` is read exactly once per batch per epoch, as the `validation_data` of `fit`
    over its epochs, say). With processes, a new pool is started each epoch so that workers
    see the changes `on_epoch_end` made; where workers are not forked (see
    `_worker_processes`: on the JAX engine, or on Windows) and cost a start of their own, a
    Sequence that keeps `Sequence.on_epoch_end` (nothing changes between epochs) is read by
    one pool for all its epochs.

    # Arguments
        sequence: a `keras.utils.Sequence`.
        use_multiprocessing: use processes instead of threads. Where workers are not forked,
            the Sequence is pickled to them; one that cannot be pickled is read by threads,
            with a warning.
        shuffle: whether to read the batches of each epoch in a random order.
    """

    def __init__(self, sequence, use_multiprocessing=False, shuffle=False):
        self.sequence = sequence
        self.use_multiprocessing = use_multiprocessing
        self.shuffle = shuffle
        self.uid = _next_uid()
        self.executor_fn = None
        self.run_thread = None
        self._init_queue_state()

    def start(self, workers=1, max_queue_size=10):
        """Starts the feeder thread and its pool.

        # Arguments
            workers: number of worker threads or processes.
            max_queue_size: maximum number of batches read ahead of the consumer.
        """
        self._check_start_args(workers, max_queue_size)
        workers = self.workers
        context, not_forked = _worker_processes() if self.use_multiprocessing else (None, None)
        # A pool per epoch, unless its workers are slow to start and nothing changes.
        self._pool_per_epoch = not not_forked or \
            type(self.sequence).on_epoch_end is not Sequence.on_epoch_end
        if context is not None and not_forked:
            error = _pickling_error(self.sequence)
            if error is not None:
                warnings.warn('The Sequence given with `use_multiprocessing=True` is read by '
                              'threads: worker processes are not forked here (' + not_forked +
                              ') and get it pickled, but it cannot be pickled (' + error +
                              ').', stacklevel=2)
                context = None
        if context is not None:
            def executor_fn(seqs):
                return concurrent.futures.ProcessPoolExecutor(
                    workers, mp_context=context, initializer=_init_sequence_worker,
                    initargs=(seqs,))
        else:
            def executor_fn(_):
                return concurrent.futures.ThreadPoolExecutor(
                    workers, thread_name_prefix='cornu-sequence-worker')
        self.executor_fn = executor_fn
        self.run_thread = threading.Thread(target=self._run, name='cornu-ordered-enqueuer',
                                           daemon=True)
        self.run_thread.start()

    def _send_sequence(self):
        _SHARED_SEQUENCES[self.uid] = self.sequence

    def _wait_queue(self):
        """Waits until the consumer has taken every batch put so far (or a stop)."""
        with self.queue.all_tasks_done:
            while self.queue.unfinished_tasks and not self.stop_signal.is_set():
                self.queue.all_tasks_done.wait(_POLL)

    def _wait_for_request(self, served):
        """Waits until the consumer asks for more than the `served` batches (or a stop)."""
        while not self.stop_signal.is_set():
            self._asked.clear()
            if self._requests > served:
                return
            self._asked.wait(_POLL)

    def _skip_limit(self):
        # A whole pass over a short Sequence that gave no batch is enough.
        return max(1, min(MAX_SKIPPED_BATCHES, len(self.sequence)))

    def _run(self):
        put = 0
        executor = None
        try:
            self._send_sequence()
            while not self.stop_signal.is_set():
                indices = list(range(len(self.sequence)))
                if not indices:
                    raise ValueError('The Sequence given to OrderedEnqueuer is empty '
                                     '(len(sequence) == 0): there is no batch to yield.')
                if self.shuffle:
                    random.shuffle(indices)
                if executor is None:
                    executor = self.executor_fn({self.uid: self.sequence})
                try:
                    for i in indices:
                        if not self._put(executor.submit(get_index, self.uid, i)):
                            return
                        put += 1
                    self._wait_queue()
                finally:
                    if self._pool_per_epoch or self.stop_signal.is_set():
                        executor.shutdown(wait=True, cancel_futures=True)
                        executor = None
                if self.stop_signal.is_set():
                    return
                self.sequence.on_epoch_end()
                self._send_sequence()
                self._wait_for_request(put)
        except BaseException as e:  # reported to the consumer, never lost in this thread
            self._put(_Failure(e))
        finally:
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)

    def stop(self, timeout=None):
        """Stops the feeder thread and joins its pool (waiting at most `timeout` seconds
        for the feeder thread).

        Batches being read finish first; batches not started are cancelled.
        """
        if self.stop_signal is None:
            return
        self.stop_signal.set()
        self._clear_queue()
        if self.run_thread is not None and self.run_thread is not threading.current_thread():
            self.run_thread.join(timeout)
        _SHARED_SEQUENCES.pop(self.uid, None)


class GeneratorEnqueuer(_QueuedEnqueuer):
    """Reads a Python generator with several workers.

    With threads (default), the workers share the generator and call `next()` on it under a
    lock, so a generator that is not thread-safe still works and items keep their order.
    With `use_multiprocessing=True`, each worker process gets its own copy of the generator
    (forked): items come from all copies, so they repeat unless the generator is written
    for it (e.g. random augmentation). Generators cannot be sent to processes that are
    not forked (Windows; the JAX engine, see `_worker_processes`): threads are used there,
    with a warning.

    A finite generator ends `get()` when it runs out.

    # Arguments
        generator: a generator (or any iterator) yielding batches.
        use_multiprocessing: use processes instead of threads.
        wait_time: seconds between two checks of the stop signal while `get()` waits for
            an item (default 0.05).
        seed: base random seed of the worker processes (NumPy and `random`); `None` seeds
            each one from the operating system.
    """

    def __init__(self, generator, use_multiprocessing=False, wait_time=None, seed=None,
                 **kwargs):
        if 'random_seed' in kwargs and seed is None:  # later Keras 2 name
            seed = kwargs.pop('random_seed')
        if kwargs:
            raise TypeError('Unrecognized keyword arguments: ' + str(kwargs))
        self._generator = generator
        self.wait_time = 0.05 if wait_time is None else wait_time
        self._poll_interval = self.wait_time
        not_forked = _worker_processes()[1] if use_multiprocessing else None
        if not_forked:
            warnings.warn('Using a generator with `use_multiprocessing=True` needs worker '
                          'processes started by fork (generators cannot be sent to other '
                          'processes), but here ' + not_forked + '. Using threads instead '
                          '(a `keras.utils.Sequence` can be read by processes).', stacklevel=2)
            use_multiprocessing = False
        self._use_multiprocessing = use_multiprocessing
        self.seed = seed
        self.uid = _next_uid()
        self._threads = []
        self._genlock = threading.Lock()
        self._exhausted = False
        self._run_thread = None
        self._init_queue_state()

    def start(self, workers=1, max_queue_size=10):
        """Starts the worker threads (or the feeder thread and its process pool).

        # Arguments
            workers: number of worker threads or processes.
            max_queue_size: maximum number of items read ahead of the consumer.
        """
        self._check_start_args(workers, max_queue_size)
        self._exhausted = False
        if self._use_multiprocessing:
            self._run_thread = threading.Thread(target=self._run_processes,
                                                name='cornu-generator-enqueuer', daemon=True)
            self._threads = [self._run_thread]
        else:
            self._threads = [threading.Thread(target=self._thread_worker, daemon=True,
                                              name='cornu-generator-worker-%d' % i)
                             for i in range(self.workers)]
        for thread in self._threads:
            thread.start()

    def _thread_worker(self):
        while not self.stop_signal.is_set():
            if not self._genlock.acquire(timeout=_POLL):
                continue
            try:
                if self._exhausted or self.stop_signal.is_set():
                    return
                try:
                    value = next(self._generator)
                except StopIteration:
                    self._exhausted = True
                    self._put(_END)
                    return
                except Exception as e:
                    # A generator that raised is finished: no worker may call it again.
                    self._exhausted = True
                    self._put(_Failure(e))
                    return
                # Put while holding the lock, so items stay in the generator's order.
                if not self._put(_Resolved(value)):
                    return
            finally:
                self._genlock.release()

    def _run_processes(self):
        try:
            executor = concurrent.futures.ProcessPoolExecutor(
                self.workers, mp_context=_worker_processes()[0],
                initializer=init_pool_generator,
                initargs=({self.uid: self._generator}, self.seed))
            try:
                while not self.stop_signal.is_set():
                    if not self._put(executor.submit(next_sample, self.uid)):
                        return
            finally:
                executor.shutdown(wait=True, cancel_futures=True)
        except BaseException as e:
            self._put(_Failure(e))

    def stop(self, timeout=None):
        """Stops the workers and waits for them (each at most `timeout` seconds)."""
        if self.stop_signal is None:
            return
        self.stop_signal.set()
        self._clear_queue()
        current = threading.current_thread()
        for thread in self._threads:
            if thread is not current:
                thread.join(timeout)
        self._threads = []
        self._run_thread = None
