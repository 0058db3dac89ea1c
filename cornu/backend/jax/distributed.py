"""Processes training together on JAX: `jax.distributed`, for the data-parallel loops.

Several processes exist when `jax.distributed.initialize` ran (`jax.process_count() > 1`);
the collectives then go through `jax.experimental.multihost_utils`; alone, they return their
argument. They take and return NumPy arrays.

`cornu.backend.torch.distributed` has the same names.
"""
import numpy as np
import jax

__all__ = ['launched', 'initialize', 'is_initialized', 'rank', 'world_size', 'local_rank',
           'all_reduce_sum', 'broadcast', 'all_gather', 'barrier', 'GradientReducer',
           'separate_random_streams', 'LOOPS_DATA_PARALLEL']

# The loops' data-parallel mode (`cornu.engine.process_group`) is not this engine's way:
# JAX spreads a batch over the devices of a mesh inside the compiled step.
LOOPS_DATA_PARALLEL = False


def launched():
    """Whether this process trains with others (`jax.distributed` ran with several)."""
    return jax.process_count() > 1


def initialize(timeout=None):
    """Nothing to do: on JAX the processes are joined by `jax.distributed.initialize`,
    which must run before any other JAX call (`timeout` is unused)."""


def is_initialized():
    """Whether several processes were joined."""
    return jax.process_count() > 1


def rank():
    """This process's index among the processes (0 when alone)."""
    return jax.process_index()


def world_size():
    """How many processes train together (1 when alone)."""
    return jax.process_count()


def local_rank():
    """This process's index on its machine: JAX runs one process per machine (0)."""
    return 0


def all_reduce_sum(array):
    """The element-wise sum of `array` over the processes (same shape on every process)."""
    array = np.asarray(array)
    if not is_initialized():
        return array
    from jax.experimental import multihost_utils
    return np.asarray(multihost_utils.process_allgather(array)).sum(axis=0).astype(array.dtype)


def broadcast(array, root=0):
    """`array` as process `root` holds it (every process passes one of the same shape)."""
    array = np.asarray(array)
    if not is_initialized():
        return array
    from jax.experimental import multihost_utils
    return np.asarray(multihost_utils.process_allgather(array))[root]


def all_gather(array):
    """The arrays of every process, concatenated in rank order along the first axis, which
    may differ from process to process."""
    array = np.asarray(array)
    if not is_initialized():
        return array
    from jax.experimental import multihost_utils
    sizes = all_reduce_sum(np.eye(world_size(), dtype=np.int64)[rank()] * array.shape[0])
    padded = np.zeros((int(sizes.max()),) + array.shape[1:], dtype=array.dtype)
    padded[:array.shape[0]] = array
    parts = np.asarray(multihost_utils.process_allgather(padded))
    return np.concatenate([part[:size] for part, size in zip(parts, sizes)])


def barrier():
    """Waits until every process gets here."""
    if is_initialized():
        from jax.experimental import multihost_utils
        multihost_utils.sync_global_devices('cornu barrier')


def separate_random_streams(rank):
    """Nothing to do: the loops do not split batches over processes on JAX (the random key
    of a step is the model's own)."""


class GradientReducer:
    """Not used on JAX: gradients are summed inside the compiled step over a device mesh.

    # Raises
        NotImplementedError: always.
    """

    def __init__(self, params, bucket_bytes=25 * 2 ** 20, first_bucket_bytes=None):
        raise NotImplementedError('On JAX, gradients are summed over a device mesh inside the '
                                  'compiled step, not by a reducer of the loops.')
