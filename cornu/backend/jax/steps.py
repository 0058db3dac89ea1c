"""What the JAX engine supplies to the training step (`cornu.engine.trainer`).

The step is written once, engine-neutrally; an engine provides how its gradients are taken
(`value_and_grad`), how a step function is run (`compile_step`) and how a batch's rows are
picked (`take_rows` and friends). On JAX every step is a `TracedStep` (`tracing.py`): one
`jax.jit`-compiled pure function of the variables' values, compiled once per input signature;
a training step donates its state, so XLA updates the weights in place.

The loops over in-memory arrays hand a step the whole (device) arrays and the batch's rows as
a NumPy array: the rows are gathered inside the compiled step, since indexing a jax array
outside `jit` dispatches a dozen small ops per array and would cost more than a small model's
whole step.

A data-parallel model (`multi_gpu_model`, whose `replica_devices` name several devices) runs
its steps on a mesh of those devices (`placement`): the arrays and the state are replicated on
each, and the rows of a batch are split over them inside the step, so that XLA runs a share of
the batch on each device and sums the gradients. A mesh over the devices of several processes
(a multi-process run, `cornu.distribute.DataParallel`) takes global arrays instead: the data
stays on the host and each process feeds its own rows of each batch (`feed`, see
`multihost`).
"""
import numpy as np

from . import multihost
from . import tracing

__all__ = ['prepare_trainable', 'value_and_grad', 'known_gradients', 'compile_step',
           'placement', 'place', 'place_arrays', 'row_order', 'batch_rows', 'feed',
           'take_rows']


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


def place(values, placement):
    """`values` (a list of arrays) copied to every device of the mesh, if there is one; on a
    mesh over several processes, kept on the host for `feed`."""
    if placement is None:
        return values
    if multihost.spans_processes(placement):
        return multihost.host_arrays((values,))[0]
    return tracing.replicate(values, placement)


def place_arrays(data, placement):
    """The input, target and weight arrays of `data` (an `ArrayBatches`); with a mesh, copied
    to its devices once (kept on `data`, so the copies go with it) rather than by every
    step."""
    if placement is None:
        return data.inputs, data.targets, data.weights
    placed = getattr(data, 'replicated', None)
    if placed is None or placed[0] is not placement:
        groups = (data.inputs, data.targets, data.weights)
        if multihost.spans_processes(placement):
            # On the host: `feed` copies each process's rows of a batch.
            groups = multihost.host_arrays(groups)
        else:
            groups = tracing.replicate(groups, placement)
        placed = data.replicated = (placement, groups)
    return placed[1]


def row_order(order, placement=None):
    """An epoch's shuffled row order stays NumPy: rows are gathered inside the step. On a mesh
    over several processes, every process takes process 0's order."""
    if multihost.spans_processes(placement):
        return multihost.agreed(order)
    return order


def batch_rows(index):
    """The rows of one batch as NumPy indices, from a `(start, stop)` pair or indices."""
    if isinstance(index, tuple):
        return np.arange(index[0], index[1])
    return index


def feed(groups, rows, placement):
    """The arrays a step is called with, and the rows it takes from them.

    # Arguments
        groups: lists of arrays (that may hold `None`): whole arrays with `rows`, or a batch.
        rows: NumPy row indices (`batch_rows`), or `None`.
        placement: the step's mesh, or `None`.

    # Returns
        `(groups, rows)`: unchanged, except on a mesh over several processes, where the
        groups become the batch as global arrays (`multihost.global_batch`) and `rows` is
        `None`.
    """
    if multihost.spans_processes(placement):
        return multihost.global_batch(groups, rows, placement), None
    return groups, rows


def take_rows(groups, rows, placement=None):
    """Traced: every array in `groups` (lists that may hold `None`) at `rows` (`None`: all),
    split over the mesh's devices if there is one."""
    if rows is not None:
        groups = tuple([None if a is None else a[rows] for a in group] for group in groups)
    if placement is not None:
        groups = tracing.shard_rows(groups, placement)
    return groups
