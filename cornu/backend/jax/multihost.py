"""A data-parallel model's arrays when its mesh spans several processes (JAX only; see
`cornu.backend.jax.data_parallel` for how such a run starts).

In a multi-process JAX run every process runs the same script, and a jitted step on a mesh
over the devices of every process takes global arrays: each process supplies the parts that
live on its own devices. Here:

- the state (weights, optimizer accumulators, PRNG key) is replicated from process 0's values
  the first time it is placed (and after `set_weights`), so that the replicas start equal
  even when each process initialised its weights with its own random numbers;
- the training, validation and prediction data stay on the host, whole in every process (an
  unchanged Keras 2 script loads the same arrays everywhere); each process copies to its
  devices only its own rows of each batch (`jax.make_array_from_process_local_data`), and a
  batch the mesh cannot split evenly (an epoch's last) goes whole to every device;
- an epoch's shuffled row order is process 0's, so that every process takes the same batches.

Logged values and predictions come out of the steps replicated: every process reads the
values of the whole batch.
"""
import numpy as np
import jax
from jax.experimental import multihost_utils
from jax.sharding import NamedSharding, PartitionSpec

__all__ = ['spans_processes', 'replicate', 'host_arrays', 'global_batch', 'agreed']


def spans_processes(mesh):
    """Whether `mesh` (or `None`) has devices of other processes."""
    return mesh is not None and mesh.is_multi_process


def _placed(value, sharding):
    return isinstance(value, jax.Array) and value.sharding == sharding


def replicate(tree, mesh):
    """`tree` (a pytree of arrays) replicated on every device of the multi-process `mesh`;
    arrays that are not there yet take process 0's values (one broadcast for all of them)."""
    sharding = NamedSharding(mesh, PartitionSpec())
    leaves, structure = jax.tree_util.tree_flatten(tree)
    missing = [i for i, leaf in enumerate(leaves) if not _placed(leaf, sharding)]
    if missing:
        values = multihost_utils.broadcast_one_to_all([np.asarray(leaves[i])
                                                       for i in missing])
        for i, value in zip(missing, values):
            value = np.asarray(value)
            leaves[i] = jax.make_array_from_process_local_data(sharding, value, value.shape)
    return jax.tree_util.tree_unflatten(structure, leaves)


def host_arrays(groups):
    """Every array of `groups` (lists that may hold `None`) as a NumPy array on the host."""
    return tuple([None if a is None else np.asarray(a) for a in group] for group in groups)


_local_slices = {}


def _local_rows(sharding, count):
    """The slice of a batch of `count` rows split over `sharding` that this process's devices
    hold (one contiguous run: the mesh lists each process's devices together)."""
    key = (sharding, count)
    found = _local_slices.get(key)
    if found is None:
        slices = [index[0] for index in
                  sharding.addressable_devices_indices_map((count,)).values()]
        start = min(s.start or 0 for s in slices)
        stop = max(count if s.stop is None else s.stop for s in slices)
        covered = sum((count if s.stop is None else s.stop) - (s.start or 0) for s in slices)
        if covered != stop - start:
            raise ValueError('The devices of process %d do not hold one run of rows of the '
                             'batch: build the mesh with each process\'s devices together.'
                             % jax.process_index())
        found = _local_slices[key] = slice(start, stop)
    return found


def global_batch(groups, rows, mesh):
    """The rows `rows` of the host arrays in `groups` as global arrays on `mesh`.

    # Arguments
        groups: lists of NumPy (or local) arrays holding every row, or `None`s.
        rows: the batch's row indices (NumPy), or `None` for every row.
        mesh: a multi-process mesh with one axis, `'batch'`.

    # Returns
        `groups` with each array replaced by its batch: split along axis 0 over the mesh
        (this process supplies the rows of its own devices), or replicated whole when the
        mesh cannot split it evenly.
    """
    arrays = [a for group in groups for a in group if a is not None]
    if not arrays:
        return groups
    count = len(arrays[0]) if rows is None else len(rows)
    if count and count % mesh.size == 0:
        sharding = NamedSharding(mesh, PartitionSpec('batch'))
        local = _local_rows(sharding, count)
        mine = np.arange(count)[local] if rows is None else np.asarray(rows)[local]
    else:
        sharding = NamedSharding(mesh, PartitionSpec())
        mine = np.arange(count) if rows is None else np.asarray(rows)

    def batch_of(array):
        if array is None:
            return None
        local_rows = np.asarray(array)[mine]
        return jax.make_array_from_process_local_data(sharding, local_rows,
                                                      (count,) + local_rows.shape[1:])

    return tuple([batch_of(a) for a in group] for group in groups)


def agreed(order):
    """An epoch's row order as process 0 drew it (every process takes the same batches)."""
    return np.asarray(multihost_utils.broadcast_one_to_all(np.asarray(order)))
