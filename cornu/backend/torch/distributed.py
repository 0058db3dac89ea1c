"""Processes training together on PyTorch: `torch.distributed`, for the data-parallel loops.

Under `torchrun` (the environment names `WORLD_SIZE` > 1, `RANK` and `MASTER_ADDR`), the
process group is started on first use with NCCL when CUDA is present (each process on the GPU
its `LOCAL_RANK` names) and Gloo otherwise; a group the user started is used as it is. The
collectives here take and return NumPy arrays: the loops exchange little (a shuffled order, a
few logged values, the weights once per `fit`); the gradients of a training step go through
`GradientReducer`, on the engine's tensors, overlapped with the backward pass.

`cornu.backend.jax.distributed` has the same names.
"""
import atexit
import datetime
import os

import numpy as np
import torch
import torch.distributed as dist

from . import core

__all__ = ['launched', 'initialize', 'is_initialized', 'rank', 'world_size', 'local_rank',
           'all_reduce_sum', 'broadcast', 'all_gather', 'barrier', 'GradientReducer',
           'separate_random_streams', 'LOOPS_DATA_PARALLEL']

# The loops' data-parallel mode (`cornu.engine.process_group`) runs on this engine: its
# training step sums the gradients over the processes (`GradientReducer`).
LOOPS_DATA_PARALLEL = True

# How long a collective waits for the other processes before failing (seconds). A process that
# raises ends the run sooner: torchrun stops the others when one exits with an error.
_DEFAULT_TIMEOUT = 600


def launched():
    """Whether this process was started by `torchrun` with other processes (or belongs to a
    process group of several that is already running)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size() > 1
    env = os.environ
    return int(env.get('WORLD_SIZE', '1')) > 1 and 'RANK' in env and 'MASTER_ADDR' in env


def initialize(timeout=None):
    """Starts the process group from the `torchrun` environment (nothing to do when it runs
    already, or when the process was not launched with others).

    # Arguments
        timeout: seconds a collective waits for the others (default: the
            `CORNU_DISTRIBUTED_TIMEOUT` environment variable, else 600).
    """
    if is_initialized() or not launched():
        return
    if timeout is None:
        timeout = float(os.environ.get('CORNU_DISTRIBUTED_TIMEOUT', _DEFAULT_TIMEOUT))
    use_cuda = core.DEVICE.type == 'cuda'
    if use_cuda:
        visible = torch.cuda.device_count()
        if core.DEVICE.index is not None and core.DEVICE.index >= visible:
            raise ValueError(
                'This process has LOCAL_RANK=%d, but only %d GPU(s) are visible: torchrun '
                'starts one process per GPU, so give `--nproc_per_node` at most %d (or set '
                'CORNU_DEVICE=cpu to train on the CPU with Gloo).'
                % (core.DEVICE.index, visible, visible))
        torch.cuda.set_device(core.DEVICE)
    dist.init_process_group('nccl' if use_cuda else 'gloo',
                            timeout=datetime.timedelta(seconds=timeout))
    # A group still alive when the interpreter tears down aborts the process (its threads
    # are destroyed running): the group cornu started ends with the script.
    atexit.register(_end_process_group)


def _end_process_group():
    if dist.is_initialized():
        dist.destroy_process_group()


def is_initialized():
    """Whether a process group is running."""
    return dist.is_available() and dist.is_initialized()


def rank():
    """This process's index among the processes (0 when alone)."""
    if is_initialized():
        return dist.get_rank()
    return int(os.environ.get('RANK', '0')) if launched() else 0


def world_size():
    """How many processes train together (1 when alone)."""
    if is_initialized():
        return dist.get_world_size()
    return int(os.environ.get('WORLD_SIZE', '1')) if launched() else 1


def local_rank():
    """This process's index among the processes of its machine (0 when alone)."""
    return int(os.environ.get('LOCAL_RANK', '0')) if launched() else 0


def _collective_device():
    # NCCL moves only CUDA tensors; Gloo takes CPU tensors.
    return core.DEVICE if dist.get_backend() == 'nccl' else torch.device('cpu')


def _to_tensor(array):
    return torch.from_numpy(np.array(array, copy=True)).to(_collective_device())


def all_reduce_sum(array):
    """The element-wise sum of `array` over the processes (same shape on every process)."""
    if not is_initialized():
        return np.asarray(array)
    tensor = _to_tensor(array)
    dist.all_reduce(tensor)
    return tensor.cpu().numpy()


def broadcast(array, root=0):
    """`array` as process `root` holds it (every process passes one of the same shape)."""
    if not is_initialized():
        return np.asarray(array)
    tensor = _to_tensor(array)
    dist.broadcast(tensor, root)
    return tensor.cpu().numpy()


def all_gather(array):
    """The arrays of every process, concatenated in rank order along the first axis, which
    may differ from process to process."""
    array = np.asarray(array)
    if not is_initialized():
        return array
    sizes = all_reduce_sum(np.eye(world_size(), dtype=np.int64)[rank()] * array.shape[0])
    longest = int(sizes.max())
    padded = np.zeros((longest,) + array.shape[1:], dtype=array.dtype)
    padded[:array.shape[0]] = array
    tensor = _to_tensor(padded)
    parts = [torch.empty_like(tensor) for _ in range(world_size())]
    dist.all_gather(parts, tensor)
    return np.concatenate([part.cpu().numpy()[:size] for part, size in zip(parts, sizes)])


def barrier():
    """Waits until every process gets here."""
    if is_initialized():
        dist.barrier()


def separate_random_streams(rank):
    """Makes the random draws without a seed (Dropout masks) differ between processes, also
    when every process seeded its generators alike: torch's global generator is seeded again
    from a number drawn from it, offset by `rank` (each call draws anew, so successive `fit`s
    do not repeat their masks)."""
    seed = int(torch.randint(0, 2 ** 62, (1,)).item())
    torch.manual_seed((seed + rank * 1000003) % 2 ** 63)


class GradientReducer:
    """Sums gradients over the processes while the backward pass still runs, as DDP does.

    The parameters are grouped in buckets of about `bucket_bytes`, in reverse order (the
    order in which a backward pass usually finishes them); the first bucket holds about
    `first_bucket_bytes` only, so that summing starts early in the backward pass (as DDP
    does). A hook on each parameter collects
    its gradient; a bucket whose gradients are all in is flattened and its all-reduce started
    (asynchronously) as soon as every earlier bucket has been started, so that every process
    starts them in the same order. `finish` gives zeros to the parameters the loss did not
    reach, starts the remaining buckets, waits for all and returns the summed gradients.

    # Arguments
        params: the variables trained (each with `requires_grad`).
        bucket_bytes: the size of a bucket.
        first_bucket_bytes: the size of the first bucket (default: `bucket_bytes`, or
            1 MiB when that is smaller).
    """

    def __init__(self, params, bucket_bytes=25 * 2 ** 20, first_bucket_bytes=None):
        self.params = list(params)
        self.buckets = []
        self.bucket_of = [0] * len(self.params)
        if first_bucket_bytes is None:
            first_bucket_bytes = min(bucket_bytes, 2 ** 20)
        current, size = [], 0
        for index in reversed(range(len(self.params))):
            param = self.params[index]
            limit = bucket_bytes if self.buckets else first_bucket_bytes
            if current and (size + param.numel() * param.element_size() > limit
                            or param.dtype != self.params[current[0]].dtype):
                self.buckets.append(current)
                current, size = [], 0
            current.append(index)
            size += param.numel() * param.element_size()
        if current:
            self.buckets.append(current)
        for number, bucket in enumerate(self.buckets):
            for index in bucket:
                self.bucket_of[index] = number
        self.collecting = False
        self._reset()
        # A parameter that cannot have a gradient gets zeros in `finish`.
        self.handles = [param.register_hook(self._hook_for(index))
                        for index, param in enumerate(self.params) if param.requires_grad]

    def _reset(self):
        self.grads = [None] * len(self.params)
        self.missing = [len(bucket) for bucket in self.buckets]
        self.started = []

    def _hook_for(self, index):
        def collect(grad):
            if self.collecting:
                self.grads[index] = grad
                bucket = self.bucket_of[index]
                self.missing[bucket] -= 1
                if self.missing[bucket] == 0:
                    self._start_ready()
            return grad
        return collect

    def _start_ready(self):
        while len(self.started) < len(self.buckets) and \
                self.missing[len(self.started)] == 0:
            bucket = self.buckets[len(self.started)]
            flat = torch.cat([self.grads[i].reshape(-1) for i in bucket])
            self.started.append((flat, dist.all_reduce(flat, async_op=True)))

    def begin(self):
        """Starts collecting the gradients of one backward pass."""
        self._reset()
        self.collecting = True

    def finish(self, extra=None):
        """Waits for the sums; returns the gradients aligned with `params` (and the sum of
        `extra`, a 1-D tensor reduced alongside them, or `None`)."""
        self.collecting = False
        for index, grad in enumerate(self.grads):
            if grad is None:
                self.grads[index] = torch.zeros_like(self.params[index])
                self.missing[self.bucket_of[index]] -= 1
        self._start_ready()
        extra_work = dist.all_reduce(extra, async_op=True) if extra is not None else None
        summed = [None] * len(self.params)
        for bucket, (flat, work) in zip(self.buckets, self.started):
            work.wait()
            offset = 0
            for index in bucket:
                grad = self.grads[index]
                summed[index] = flat[offset:offset + grad.numel()].view_as(grad)
                offset += grad.numel()
        if extra_work is not None:
            extra_work.wait()
        self._reset()
        return summed, extra
