"""Batches read from arrays that stay on the host, for data too large to copy whole.

`ArrayBatches` (`training_arrays.py`) copies small arrays to the device once; for the others
(larger than `cornu.backend.streaming.streaming_threshold()`, or an `np.memmap` or an
`HDF5Matrix` of any size) it hands out batches from a `StreamedBatches`, which gathers a
batch's rows on the host, converts them to the dtype the model is fed (only the batch: a
`uint8` memmap is never converted whole) and copies them to the device.

While the device runs a step, the copy of the next batch is under way: the loops announce an
epoch's batches (`expect`), and taking one batch starts the copy of the one after it. Where
the device is the host's own memory a copy is no work to overlap, so nothing is prefetched
(and at most one converted batch exists at a time). A batch asked for out of the announced
order is copied when asked for.

The host must not run far ahead of the device either (JAX, and CUDA, queue steps and return
at once; every queued step holds its batch): the trainer reports each step it ran on
streamed data (`ran`), and taking a batch first waits for the step before the last one
(with prefetching: one step may run while the next batch is copied and the one after is
prepared), or for the last one (without: at most one batch is on the device), and releases
the batch that step read.
"""
from collections import deque
import math

import numpy as np

from .. import backend as K
from ..backend import kernels
from ..backend import streaming


def is_host_only(array):
    """Whether `array` must stay on the host: an `np.memmap` (never read whole) or an
    array-like that reads rows on demand, such as `HDF5Matrix` or a `scipy.sparse`
    matrix."""
    if array is None:
        return False
    return isinstance(array, np.memmap) or not (isinstance(array, np.ndarray)
                                                or K.is_tensor(array))


def _itemsize(dtype, array):
    name = getattr(dtype, 'name', dtype)
    if name is None:
        return array.dtype.itemsize
    if name == 'bfloat16':
        return 2
    return np.dtype(str(name)).itemsize


def should_stream(arrays, dtypes):
    """Whether the arrays (NumPy or array-likes, perhaps `None`) are fed batch by batch from
    the host: some must stay there, or together they exceed the streaming threshold once
    converted to `dtypes`."""
    present = [(a, d) for a, d in zip(arrays, dtypes) if a is not None]
    if any(is_host_only(a) for a, _ in present):
        return True
    if any(K.is_tensor(a) and not isinstance(a, np.ndarray) for a, _ in present):
        return False  # already engine tensors
    # Python integers: exact for any size, and cheaper than a NumPy reduction per array.
    size = sum(math.prod(int(n) for n in a.shape) * _itemsize(d, a) for a, d in present)
    return size > streaming.streaming_threshold()


class StreamedBatches(object):
    """Batches of host arrays, copied to the device one at a time, the next one ahead.

    # Arguments
        arrays: the host arrays (NumPy arrays, memmaps or array-likes such as `HDF5Matrix`;
            `None`s stay `None`). They are only read.
        dtypes: the engine dtype of each array's batches.
        prefetch: start the copy of the next expected batch when one is taken (default:
            unless the device is the host's memory).
        check: a function of each batch's host arrays, called before they are copied, that
            raises on values the model cannot take (see `cornu.engine.data_checks`), or
            `None`.
    """

    def __init__(self, arrays, dtypes, prefetch=None, check=None):
        self.arrays = list(arrays)
        self.check = check
        self.dtypes = list(dtypes)
        self.prefetch = (not streaming.device_is_host()) if prefetch is None else prefetch
        # HDF5 reads want increasing indices; then every array reads its rows in that order,
        # so that inputs and targets stay aligned.
        self.sorted_reads = any(a is not None and not isinstance(a, np.ndarray)
                                for a in self.arrays)
        self._expected = iter(())
        self._ahead = None  # (rows, pending copy) of the next expected batch
        self._running = deque()  # (marker, batch) of the steps that may still be running
        self._handed = None  # the batch last taken, until its step is reported
        self._steps_ahead = 2 if self.prefetch else 1

    def expect(self, batches, order=None):
        """Announces the batches that will be taken next, in order.

        # Arguments
            batches: `(start, stop)` pairs.
            order: the epoch's row order (indices, NumPy or engine), whose slices
                `order[start:stop]` are the rows taken; `None`: the rows `start:stop`.
        """
        if order is not None and not isinstance(order, np.ndarray):
            order = kernels.to_numpy(order)
        self._expected = (slice(start, stop) if order is None else order[start:stop]
                          for start, stop in batches)
        self._ahead = None
        if self.prefetch:
            self._start_next()

    def take(self, index):
        """The device arrays of one batch: the rows `index`, a `(start, stop)` pair or
        indices (NumPy or engine)."""
        rows = self._rows(index)
        while len(self._running) >= self._steps_ahead:
            marker, batch = self._running.popleft()
            streaming.wait_for(marker)
            streaming.release(batch, marker)
        ahead, self._ahead = self._ahead, None
        if ahead is not None and _same_rows(ahead[0], rows):
            pending = ahead[1]
        else:
            pending = self._start(rows)
        if self.prefetch:
            self._start_next()
        self._handed = streaming.finish_copy(pending)
        return self._handed

    def ran(self, outputs):
        """Reports a step that ran on a batch of this data (its `outputs`); returns them."""
        marker = streaming.step_marker(outputs)
        if marker is not None and self._handed is not None:
            self._running.append((marker, self._handed))
        self._handed = None
        return outputs

    def _rows(self, index):
        if isinstance(index, tuple):
            return slice(index[0], index[1])
        if isinstance(index, slice):
            return index
        return index if isinstance(index, np.ndarray) else kernels.to_numpy(index)

    def _start_next(self):
        rows = next(self._expected, None)
        if rows is not None:
            self._ahead = (rows, self._start(rows))

    def _start(self, rows):
        if self.sorted_reads and not isinstance(rows, slice):
            rows = np.sort(rows)
        batch = [_read_rows(a, rows, d) for a, d in zip(self.arrays, self.dtypes)]
        if self.check is not None:
            self.check(batch)
        return streaming.start_copy(batch, self.dtypes)


def _read_rows(array, rows, dtype):
    """The rows of `array` as a new, contiguous NumPy array in native byte order: in `dtype`
    when that is no wider than the array's type (a float64 memmap fed as float32 is
    narrowed here), else in the array's type (the engine widens it, on the device when
    there is one: a uint8 batch is a quarter of the bytes to copy)."""
    if array is None:
        return None
    if isinstance(array, np.ndarray):
        source = array.dtype
        target = _host_dtype(dtype, source)
        if isinstance(rows, slice):
            return np.array(array[rows], dtype=target)  # the only copy of a slice
        taken = array[rows]
    else:  # HDF5Matrix and the like read rows on demand
        taken = array[rows] if isinstance(rows, slice) else array[rows.tolist()]
        # A `scipy.sparse` matrix gives a sparse matrix of the rows: fed dense, as Keras 2
        # fed it to a dense input.
        taken = taken.toarray() if hasattr(taken, 'toarray') else np.asarray(taken)
        target = _host_dtype(dtype, taken.dtype)
    if taken.dtype != target:
        taken = taken.astype(target)
    return np.ascontiguousarray(taken)


def _host_dtype(dtype, source):
    name = str(getattr(dtype, 'name', dtype))
    try:
        target = np.dtype(name)
    except TypeError:  # bfloat16: the engine converts
        target = source
    if target.itemsize > source.itemsize:
        target = source
    return target.newbyteorder('=') if not target.isnative else target


def _same_rows(a, b):
    if isinstance(a, slice) or isinstance(b, slice):
        return a == b
    return a.shape == b.shape and np.array_equal(a, b)
