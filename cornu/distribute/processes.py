"""The processes that train one model together (data parallelism under `torchrun`).

A Keras 2 script runs unchanged under `torchrun --nproc_per_node=N script.py`: the first
`fit`, `evaluate` or `predict` joins the processes (`initialize`), and from then on each
process trains on its share of every batch, with the gradients summed over the processes
(see `cornu.engine.process_group` for what changes in the loops). `batch_size` is the global
batch: it must be divisible by the number of processes.

On PyTorch the processes use `torch.distributed` (NCCL on CUDA, each process on the GPU its
`LOCAL_RANK` names; Gloo on CPU); a process group the script started itself is used as it
is. BatchNormalization keeps each process's own moving statistics during an epoch; they are
averaged over the processes at its end. Only process 0 prints progress and writes files
(`ModelCheckpoint`, `CSVLogger`, `TensorBoard`, `RemoteMonitor`, `model.save`,
`model.save_weights`); every other callback runs in every process on the same, global logs,
so decisions such as `EarlyStopping`'s are the same everywhere (`model.stop_training` is
also sent from process 0 at the end of each epoch).

`evaluate` and `predict` run each process on a contiguous shard and give every process the
whole result; a `Sequence` is shared out by batch index (its length must be the same in every
process); a plain generator is drawn from in every process. `train_on_batch` gives each
process's batch an equal share of the update. A process that raises ends the run (`torchrun`
stops the others).

Alone (no `torchrun`), a process has rank 0 in a world of 1, and nothing changes. On JAX the
loops do not split batches over processes: JAX spreads a batch over the devices of a mesh.
"""
from ..backend import distributed

__all__ = ['initialize', 'rank', 'world_size', 'local_rank', 'is_chief']


def initialize(timeout=None):
    """Joins the processes started by `torchrun` (done by the first `fit`, `evaluate` or
    `predict` when not called before; nothing to do when the process runs alone or a process
    group is running already).

    # Arguments
        timeout: seconds a collective waits for the other processes before failing
            (default: the `CORNU_DISTRIBUTED_TIMEOUT` environment variable, else 600).
    """
    distributed.initialize(timeout)


def rank():
    """This process's index among the processes training together (0 when alone)."""
    return distributed.rank()


def world_size():
    """How many processes train together (1 when alone)."""
    return distributed.world_size()


def local_rank():
    """This process's index among the processes of its machine (0 when alone)."""
    return distributed.local_rank()


def is_chief():
    """Whether this process is process 0, the one that prints and writes files."""
    return distributed.rank() == 0
