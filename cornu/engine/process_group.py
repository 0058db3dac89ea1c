"""What the loops do differently when several processes train one model together.

Under `torchrun` every process runs the same script; `fit`, `evaluate` and `predict` then
split the work (engine-neutral; the collectives come from `cornu.backend.distributed`):

- `fit`: `batch_size` is the global batch. The weights are broadcast from process 0 at the
  start (and the processes' Dropout masks made to differ), process 0 draws each epoch's shuffle and sends it to the others, and each global
  batch's rows are split contiguously over the processes. Every process's gradients count in
  proportion to its rows, so their sum (taken while the backward pass runs) is the gradient
  of the global batch's mean loss, and the logged values are the global batch's averages,
  the same in every process. A process left without rows in a last, short batch still takes
  part in the step with one row and a weight of zero (leaving its BatchNormalization
  statistics alone).
- BatchNormalization's moving statistics (every non-trainable float weight) are each
  process's own during an epoch and averaged over the processes at its end, before
  validation and the callbacks' `on_epoch_end` (as tf.keras's `MirroredStrategy` does).
- `evaluate` runs each process on a contiguous shard and combines the averages weighted by
  rows; `predict` gathers every shard's predictions, so every process returns them all.

Alone, a process gets `None` from `current()` and the loops run as they always did.
"""
import contextlib

import numpy as np

from .. import backend as K
from .._common.enqueuers import Sequence
from ..backend import distributed
from ..callbacks.control import LambdaCallback
from ..backend.run_context import run_context


def wanted():
    """Whether the loops run data-parallel: the process was launched with others, and the
    engine's training step can sum gradients over processes (PyTorch)."""
    return distributed.LOOPS_DATA_PARALLEL and distributed.launched()


def current():
    """The `ProcessGroup` of this process, starting the process group on first use, or
    `None` when the process trains alone (or the engine spreads batches its own way)."""
    if not wanted():
        return None
    distributed.initialize()
    return ProcessGroup()


class ProcessGroup:
    """The loops' side of data-parallel training (see the module's docstring)."""

    def __init__(self):
        self.rank = distributed.rank()
        self.world_size = distributed.world_size()

    @property
    def is_chief(self):
        return self.rank == 0

    def check_batch_size(self, batch_size):
        """Raises a `ValueError` unless `batch_size` splits evenly over the processes."""
        if batch_size is not None and batch_size % self.world_size:
            raise ValueError('batch_size=%d is the global batch, split over %d processes '
                             '(world size %d): it must be divisible by the world size.'
                             % (batch_size, self.world_size, self.world_size))

    def bounds(self, count):
        """`(start, stop)` of this process's contiguous share of `count` rows."""
        base, extra = divmod(count, self.world_size)
        start = self.rank * base + min(self.rank, extra)
        return start, start + base + (self.rank < extra)

    def local_index(self, index):
        """This process's share of a global batch, and its weight.

        # Arguments
            index: a `(start, stop)` pair or a slice of the epoch's row order.

        # Returns
            `(index, share)`: the rows this process runs (of the same kind), and the fraction
            of the global batch they are (0 for a process left without rows, which runs the
            batch's first row so that it takes part in the step).
        """
        if isinstance(index, tuple):
            start, stop = index
            count = stop - start
            first, last = self.bounds(count)
            if first == last:
                return (start, start + 1), 0.
            return (start + first, start + last), (last - first) / count
        count = len(index)
        first, last = self.bounds(count)
        if first == last:
            return index[:1], 0.
        return index[first:last], (last - first) / count

    def shared_order(self, order):
        """Process 0's shuffled row order (NumPy), in every process."""
        return distributed.broadcast(np.asarray(order, dtype=np.int64), root=0)

    def any_flag(self, flag):
        """Whether `flag` (a bool) is set in any process; the same answer in every process
        (a `stop_training` set by one process stops them all at the same point)."""
        return bool(distributed.all_reduce_sum(np.asarray([int(bool(flag))],
                                                          dtype=np.int64))[0] > 0)

    def watches_batches(self, callbacks):
        """Whether `stop_training` must be shared after every batch, and not only at each
        epoch's end: when some callback may set it during an epoch from what only its
        process sees, i.e. user code at batch level (a callback class of the script's own
        that overrides a batch hook, or a `LambdaCallback`). Every other callback decides
        from the logs, which are global, so alike in every process, and costs no exchange.

        # Arguments
            callbacks: the `Callback`s of the run.
        """
        return any(_may_stop_during_an_epoch(callback) for callback in callbacks)

    def begin_fit(self, model):
        """Gives every process process 0's weights (trainable and not), as DDP does when it
        wraps a model: processes whose weights were drawn unseeded then start equal. Their
        Dropout masks are made to differ, also where every process seeded alike."""
        distributed.separate_random_streams(self.rank)
        weights = model.weights
        values = K.batch_get_value(weights)
        shared = [distributed.broadcast(value) for value in _packed(values)]
        K.batch_set_value(list(zip(weights, _unpacked(shared, values))))

    def average_statistics(self, model):
        """Averages the non-trainable float weights (BatchNormalization's moving
        statistics) over the processes, so that every process ends an epoch with the
        same."""
        weights = [w for w in model.non_trainable_weights if 'float' in K.dtype(w)]
        if not weights:
            return
        values = K.batch_get_value(weights)
        summed = [distributed.all_reduce_sum(value) for value in _packed(values)]
        averaged = [value / self.world_size for value in _unpacked(summed, values)]
        K.batch_set_value(list(zip(weights, averaged)))

    def combine_averages(self, averages, rows, count):
        """The average over every process of per-process `averages` (`count` values, or
        none when the process had no rows) of `rows` rows each."""
        local = np.zeros(count + 1, dtype=np.float64)
        if rows:
            local[:count] = np.asarray(averages, dtype=np.float64) * rows
        local[count] = rows
        total = distributed.all_reduce_sum(local)
        if total[count] == 0:
            return [float('nan')] * count
        return [float(v) for v in total[:count] / total[count]]

    def gather(self, array):
        """Every process's `array`, concatenated in rank order along the first axis."""
        return distributed.all_gather(array)

    def sum_counts(self, counts):
        """The sum over the processes of integer `counts` (a list)."""
        return [int(c) for c in distributed.all_reduce_sum(np.asarray(counts, np.int64))]

    def all_counts(self, count):
        """Every process's integer `count`, in rank order."""
        return [int(c) for c in distributed.all_gather(np.asarray([count], np.int64))]


def _may_stop_during_an_epoch(callback):
    if isinstance(callback, LambdaCallback):
        return True  # it may run the script's functions at every batch
    cls = type(callback)
    if cls.__module__.startswith('cornu.'):
        return False
    base = [klass for klass in cls.__mro__ if klass.__module__.startswith('cornu.')][0]
    return any(getattr(cls, hook) is not getattr(base, hook)
               for hook in ('on_batch_begin', 'on_batch_end'))


def step_scope(share):
    """The context of a training step that runs a share `share` of the global batch: a
    process without rows (share 0) runs one row only to take part, and leaves its moving
    statistics (BatchNormalization) as they are (`share=None`: training alone)."""
    return run_context(frozen=True) if share == 0 else contextlib.nullcontext()


def _packed(values):
    """One flat array per dtype: one collective per dtype rather than per weight."""
    groups = {}
    for value in values:
        value = np.asarray(value)
        groups.setdefault(value.dtype.str, []).append(value.reshape(-1))
    return [np.concatenate(groups[key]) for key in sorted(groups)]


def _unpacked(packed, like):
    """The arrays of `_packed(like)` split back into `like`'s shapes."""
    keys = sorted({np.asarray(value).dtype.str for value in like})
    flats = dict(zip(keys, packed))
    offsets = dict.fromkeys(keys, 0)
    result = []
    for value in like:
        value = np.asarray(value)
        key = value.dtype.str
        result.append(flats[key][offsets[key]:offsets[key] + value.size].reshape(value.shape))
        offsets[key] += value.size
    return result


class NoRows(object):
    """A batch that a process runs with a weight of zero (a sharded `Sequence` has no batch
    left for it on the last step): it still takes part in the step's collectives."""

    __slots__ = ('batch',)

    def __init__(self, batch):
        self.batch = batch

    def __getstate__(self):
        return self.batch

    def __setstate__(self, batch):
        self.batch = batch


class ShardedSequence(Sequence):
    """Process `rank`'s batches of a `Sequence`: the positions `rank`, `rank + world_size`,
    ... of each epoch's order, so that the processes read every batch once per epoch.

    # Arguments
        sequence: the `Sequence`, the same length in every process.
        rank, world_size: this process's index and the number of processes.
        shuffle: whether each epoch reads the batches in a new random order.
        seed: the seed of those orders, the same in every process (drawn by process 0).
    """

    def __init__(self, sequence, rank, world_size, shuffle=False, seed=0):
        self.sequence = sequence
        self.rank, self.world_size = rank, world_size
        self.length = len(sequence)
        self.shuffle, self.seed, self.epoch = shuffle, seed, 0
        self.order = self._order()

    def _order(self):
        if not self.shuffle:
            return np.arange(self.length)
        return np.random.RandomState((self.seed + self.epoch) % 2 ** 32).permutation(
            self.length)

    def __len__(self):
        return -(-self.length // self.world_size)

    def position(self, step):
        """The batch of the underlying `Sequence` read at `step` (`None`: none is left)."""
        position = step * self.world_size + self.rank
        return int(self.order[position]) if position < self.length else None

    def __getitem__(self, step):
        index = self.position(step)
        if index is None:
            return NoRows(self.sequence[int(self.order[0])])
        return self.sequence[index]

    def on_epoch_end(self):
        self.epoch += 1
        self.order = self._order()
        self.sequence.on_epoch_end()


def shard_sequence(parallel, sequence, shuffle=False):
    """`sequence` as a `ShardedSequence` for this process, after checking that its length is
    the same in every process.

    # Raises
        ValueError: when the lengths differ.
    """
    lengths = parallel.all_counts(len(sequence))
    if len(set(lengths)) > 1:
        raise ValueError('A Sequence shared out among processes must have the same length in '
                         'every process, but its len() differs: %s (in rank order).'
                         % lengths)
    seed = int(distributed.broadcast(np.asarray([np.random.randint(2 ** 31)], np.int64))[0]) \
        if shuffle else 0
    return ShardedSequence(sequence, parallel.rank, parallel.world_size, shuffle, seed)
