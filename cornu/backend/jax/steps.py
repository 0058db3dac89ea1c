"""What the JAX engine supplies to the training step (`cornu.engine.trainer`).

The step is written once, engine-neutrally; an engine provides how its gradients are taken
(`value_and_grad`), how a step function is run (`compile_step`) and how a batch's rows are
picked (`take_rows` and friends). On JAX every step is a `TracedStep` (`tracing.py`): one
`jax.jit`-compiled pure function of the variables' values, compiled once per input signature;
a training step donates its state, so XLA updates the weights in place.

In-memory arrays stay NumPy on the host (`hold`): each batch's rows are gathered there with
NumPy and handed to the step (`feed`), so that a step's compiled signature is the batch's
shape, never the length of the data. A short batch (an epoch's last; `predict` or
`predict_on_batch` on a few rows) is padded, repeating its last row, to the next power of two
(at most the loop's batch size), and the number of real rows goes to the step as a traced
`int32`: the step leaves the padding rows out of the losses and metrics
(`StepLogic.real_rows`), and the predictions are trimmed on the host (`trim`). At most
`log2(batch_size) + 1` shapes are then compiled per step, whatever the lengths. The trainer
asks for padding only where it is exact (`StepLogic.pads_exactly`); other short batches run
at their exact size. Outputs are joined on the host (`to_host`), since a device
concatenation would compile per combination of batch lengths.

A data-parallel model (`multi_gpu_model`, whose `replica_devices` name several devices) runs
its steps on a mesh of those devices (`placement`): the state is replicated on each, and each
batch is copied split along its rows over them (`jax.device_put` with the mesh's row sharding;
padded batches to a multiple of the device count), so that XLA runs a share of the batch on
each device and sums the gradients. A mesh over the devices of several processes (a
multi-process run, `cornu.distribute.DataParallel`) takes global arrays instead: each process
feeds its own rows of each batch (see `multihost`).
"""
import numpy as np
import jax
from jax.sharding import NamedSharding, PartitionSpec

from . import core
from . import multihost
from . import tracing

__all__ = ['prepare_trainable', 'value_and_grad', 'known_gradients', 'compile_step',
           'placement', 'hold', 'place', 'place_arrays', 'row_order', 'batch_rows', 'feed',
           'take_rows', 'trim', 'to_host']


def prepare_trainable(params):
    """Nothing to do on JAX: any variable can be differentiated."""


def value_and_grad(fn, params, keep_graph=False, jit_compile=False, name='a step',
                   data_parallel=False):
    """A function computing `fn(*args)` and the gradients of its loss, inside a traced step.

    # Arguments
        fn: a function of the step's arguments returning `(loss, aux)`; it may assign
            variables.
        params: the variables to differentiate with respect to.
        keep_graph, jit_compile, name: unused on JAX (every step is traced and compiled;
            the gradients a Keras 2-style `get_updates` asks for are `known_gradients`).
        data_parallel: not supported by this engine's loops across processes: JAX spreads
            a batch over devices inside the compiled step instead.

    # Returns
        A callable: `(*args) -> (loss, aux, grads)`, `grads` aligned with `params`.

    # Raises
        NotImplementedError: for `data_parallel=True`.
    """
    if data_parallel:
        raise NotImplementedError(
            'Training with several processes through the data-parallel loops is implemented '
            'for the torch engine; on JAX, spread a batch over devices with a device mesh.')
    params = list(params)

    def loss_aux_and_grads(*args):
        return tracing.value_and_grad(lambda: fn(*args), params)

    return loss_aux_and_grads


def known_gradients(loss, params, grads):
    """Within it, `K.gradients(loss, params)` returns `grads`."""
    return tracing.known_gradients(loss, params, grads)


def compile_step(body, variables, training, placement=None):
    """`body` as a `TracedStep`.

    # Arguments
        body: the step, a function of the batch returning the logged values or outputs.
        variables: the variables (or objects holding them, such as an optimizer) it reads
            and assigns; more are found while tracing.
        training: a training step donates its state (XLA updates it in place).
        placement: a mesh from `placement`, or `None`.

    # Returns
        A callable taking `body`'s arguments.
    """
    return tracing.TracedStep(body, tracing.state_of(*variables), donate=training,
                              mesh=placement)


def placement(devices):
    """The mesh a data-parallel model's batches are split over (`None`: one device)."""
    return tracing.replica_mesh(devices)


def hold(array, dtype):
    """An in-memory array as the loops keep it: on JAX, a NumPy array on the host, of the
    engine dtype `dtype` (converted once, here; `feed` copies each batch to the device)."""
    if array is None:
        return None
    if type(array) is np.ndarray and array.dtype is _NUMPY_DTYPES.get(dtype):
        return array  # what `host_array` gives back for an array of that native-order type
    return core.host_array(array, dtype)


_NUMPY_DTYPES = {name: np.dtype(name) for name in
                 ('float16', 'float32', 'float64', 'int8', 'int16', 'int32', 'int64', 'uint8',
                  'bool')}


def place(values, placement):
    """`values` (a list of arrays) where the predict loop keeps them: on the host (`feed`
    copies each batch)."""
    return values


def place_arrays(data, placement):
    """The input, target and weight arrays of `data` (an `ArrayBatches`): NumPy arrays on
    the host (`hold`), of which `feed` copies one batch at a time."""
    return data.inputs, data.targets, data.weights


def row_order(order, placement=None):
    """An epoch's shuffled row order stays NumPy: rows are gathered on the host. On a mesh
    over several processes, every process takes process 0's order."""
    if multihost.spans_processes(placement):
        return multihost.agreed(order)
    return order


def batch_rows(index):
    """The rows of one batch: a `(start, stop)` pair as a slice (a NumPy view, copied once,
    to the device), indices as they are."""
    if isinstance(index, tuple):
        return slice(index[0], index[1])
    return index


def _bucket(count, limit, devices):
    """The padded length of a batch of `count` rows: the next power of two, at most `limit`
    (the loop's batch size; `None`: no cap), a multiple of `devices`."""
    size = 1 << max(count - 1, 0).bit_length()
    if limit is not None:
        size = min(size, max(limit, count))
    if size % devices:
        size += devices - size % devices
    return size


def _count(groups, rows):
    if rows is None:
        for group in groups:
            for array in group:
                if array is not None:
                    return len(array)
        return 0
    if isinstance(rows, slice):
        return rows.stop - rows.start
    return len(rows)


def _on_host(groups):
    for group in groups:  # (loops, not a generator: this runs for every predicted batch)
        for array in group:
            if array is not None and not isinstance(array, np.ndarray):
                return False
    return True


def _gather(array, rows):
    """The rows `rows` (a slice, or row indices) of the NumPy array `array`: a slice is a
    view; indices are taken with `take`, a few times faster than indexing with them for a
    batch's rows, and the same rows."""
    if isinstance(rows, slice):
        return array[rows]
    return array.take(rows, axis=0)


# The counts of real rows as device scalars, made once each.
_real_count = tracing.int32_scalar


def feed(groups, rows, placement, limit=None, pad=False):
    """The batch a step is called with: the rows `rows` of the host arrays in `groups`,
    gathered with NumPy. On one device the NumPy batch is the step's argument (the jitted
    call copies it to the device); on a mesh it is copied with `jax.device_put`, split over
    the devices. Both are asynchronous: the copy overlaps the step before it.

    A step is compiled once per batch shape, whatever the length of the data. With `pad`,
    a batch shorter than `limit` is padded, by repeating its last row, to a bounded set of
    lengths (powers of two, at most `limit`; on a mesh, multiples of its size), and the
    number of real rows is passed along: at most `log2(limit) + 1` shapes are compiled.

    # Arguments
        groups: lists of arrays (that may hold `None`): NumPy arrays holding every row, with
            `rows`, or the batch itself (`rows` `None`; NumPy or engine arrays).
        rows: a slice or NumPy row indices (`batch_rows`), or `None`.
        placement: the step's mesh, or `None`.
        limit: the loop's batch size (`None`: any length is padded to a power of two).
        pad: whether the step may be given padded rows (it then weighs them out).

    # Returns
        `(groups, rows, valid)`: the batch (NumPy arrays for one device; device arrays split
        over a mesh's devices, global arrays on a mesh over several processes), `rows` `None`,
        and `valid`, the number of real rows as an `int32` scalar (`None` without `pad`):
        NumPy, or for a full batch a device scalar made once per count.
        Batches already on the device (streamed data) are not padded.
    """
    if placement is None and rows is not None:
        # The loops' usual batch: rows of host arrays, for one device, not padded (a full
        # batch, or padding not asked for): gathered and handed over as they are.
        count = rows.stop - rows.start if isinstance(rows, slice) else len(rows)
        if not pad or count == limit:
            return (tuple([None if a is None else _gather(a, rows) for a in group]
                          for group in groups), None, _real_count(count) if pad else None)
    count = _count(groups, rows)
    if placement is None and rows is None and (not pad or (count & (count - 1)) == 0 and
                                               (limit is None or count <= limit)):
        # A whole batch for one device whose length needs no padding (a power of two, as a
        # one-sample `predict_on_batch` is): handed over as it is.
        return groups, None, np.int32(count) if pad else None
    # A streamed batch (already on the device, copied by `streamed_batches`) runs as it is:
    # padding it would gather a second copy there.
    size = _bucket(count, limit, 1 if placement is None else placement.size) \
        if pad and count and _on_host(groups) else count
    if size != count:
        real = np.arange(count) if rows is None else \
            (np.arange(rows.start, rows.stop) if isinstance(rows, slice) else np.asarray(rows))
        rows = np.concatenate([real, np.repeat(real[-1:], size - count)])
    valid = np.int32(count) if pad else None
    if multihost.spans_processes(placement):
        if isinstance(rows, slice):
            rows = np.arange(rows.start, rows.stop)
        return multihost.global_batch(groups, rows, placement), None, valid
    if rows is not None:
        groups = tuple([None if a is None else _gather(a, rows) for a in group]
                       for group in groups)
    if placement is None:
        # NumPy arrays go to the jitted step as they are: its C++ dispatch copies them to the
        # device for a fraction of what `jax.device_put`'s Python path costs per call (about
        # 25 against 140 microseconds for a small model's three arrays).
        return groups, None, valid
    if size and size % placement.size == 0:
        where = NamedSharding(placement, PartitionSpec('batch'))
    else:
        where = NamedSharding(placement, PartitionSpec())
    return jax.device_put(tuple(groups), where), None, valid


def take_rows(groups, rows, placement=None):
    """Traced: the batch as `feed` gave it (`rows` is `None` on JAX): already split over the
    mesh's devices, if there is one."""
    return groups


def trim(outputs, valid):
    """The outputs of a batch that `feed` padded, without the padding rows, as NumPy arrays
    (`valid`: the number of real rows, or `None`): slicing on the host compiles nothing,
    where a jax slice to each new length would be compiled anew. Unpadded outputs stay on
    the device."""
    # A count on the device comes with a batch that was not padded (`feed` makes those for
    # full batches only); it is not read back.
    if valid is None or not outputs or isinstance(valid, jax.Array) or \
            outputs[0].shape[0] == valid:
        return outputs
    return [output[:valid] for output in _fetched(outputs)]


def to_host(parts):
    """The outputs of several batches of one output (device or NumPy arrays) as one NumPy
    array, joined on the host: one transfer for all, and no concatenation compiled per
    combination of batch lengths."""
    if len(parts) > 1:
        return np.concatenate([_host_values(part) for part in _fetched(parts)], axis=0)
    # One batch, read with `np.asarray` as `_fetched` reads one array. The host view of a
    # device buffer is read-only; the caller gets an ordinary array it may write into, as
    # the concatenation above gives for several batches.
    host = _host_values(parts[0])
    return host if host.flags.writeable else host.copy()


def _fetched(arrays):
    """`arrays` (device or NumPy arrays) read on the host: several with one
    `jax.device_get` (their copies overlap, one wait for the device); one alone with
    `np.asarray`, whose read of the buffer costs a few microseconds where `device_get`'s
    pytree walk costs tens (much of a one-sample `predict`). With `to_host`'s read of a single
    batch, the only places where this module reads device values."""
    if len(arrays) == 1:
        return [np.asarray(arrays[0])]
    return jax.device_get(list(arrays))


def _host_values(array):
    # bfloat16 outputs are read as float32, as `to_numpy` reads them.
    array = np.asarray(array)
    return array.astype(np.float32) if array.dtype == core._DTYPES['bfloat16'] else array
