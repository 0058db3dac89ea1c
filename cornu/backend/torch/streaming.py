"""Copying streamed batches to the PyTorch device (`cornu.backend.streaming`).

Input data too large to copy to the device whole stays on the host; the engine-neutral
feeder (`cornu.engine.streamed_batches`) gathers each batch's rows there and hands them
here. On CUDA a batch is put in a pinned (page-locked) host buffer and copied with
`non_blocking=True` on a side stream, so that the copy of the next batch overlaps the step
running on the current stream; `finish_copy` makes the current stream wait for the copy's
event and tells the caching allocator that the current stream uses the tensors. On the CPU
the batch is the engine tensor itself (converted when the model is fed a wider type): there
is nothing to copy. `step_marker` and `wait_for` let the feeder keep the host from running
more than a step or two ahead of the device, which would hold every batch queued in
between.
"""
import numpy as np
import torch

from .core import DEVICE, standardize_dtype

__all__ = ['free_device_memory', 'device_is_host', 'start_copy', 'finish_copy', 'step_marker',
           'wait_for', 'release']

_COPY_STREAMS = {}


def free_device_memory():
    """Free bytes of memory on the engine's device, or `None` on the CPU."""
    if DEVICE.type != 'cuda':
        return None
    free, _ = torch.cuda.mem_get_info(DEVICE)
    return int(free)


def device_is_host():
    """Whether the engine's device is the host's memory (then prefetching gains nothing)."""
    return DEVICE.type == 'cpu'


def _host_tensor(array):
    """`array` (a new, contiguous NumPy array, the feeder's own) as a tensor sharing its
    memory."""
    try:
        return torch.from_numpy(array)
    except TypeError:  # a NumPy type torch does not share (e.g. uint32): a converted copy
        return torch.as_tensor(array.astype(np.int64 if array.dtype.kind in 'ui'
                                            else np.float32))


def _copy_stream():
    stream = _COPY_STREAMS.get(DEVICE)
    if stream is None:
        stream = _COPY_STREAMS[DEVICE] = torch.cuda.Stream(DEVICE)
    return stream


class _PendingCopy:
    """Device tensors being written on the copy stream, and the event that marks the end."""

    __slots__ = ('tensors', 'event')

    def __init__(self, tensors, event):
        self.tensors = tensors
        self.event = event


def start_copy(arrays, dtypes):
    """Starts copying one batch to the device.

    # Arguments
        arrays: new, contiguous NumPy arrays (or `None`s) that the engine may keep: the
            batch's rows as gathered on the host, already narrowed to `dtypes` where those
            are smaller; a wider `dtype` (uint8 images fed as float32) is converted here.
        dtypes: the engine dtype of each.

    # Returns
        What `finish_copy` takes.
    """
    if DEVICE.type != 'cuda':
        return [None if a is None else _host_tensor(a).to(standardize_dtype(d))
                for a, d in zip(arrays, dtypes)]
    stream = _copy_stream()
    tensors = []
    with torch.cuda.stream(stream):
        for array, dtype in zip(arrays, dtypes):
            tensors.append(None if array is None else _copy_to_device(array, dtype))
        event = torch.cuda.Event()
        event.record(stream)
    return _PendingCopy(tensors, event)


def _copy_to_device(array, dtype):
    """Runs on the copy stream: the batch crosses over in its host type (a narrow type is
    fewer bytes to copy) and is converted on the device. The pinned buffer is freed when
    this returns; the host allocator keeps it until the copy that reads it has run
    (non_blocking copies record that event)."""
    pinned = _host_tensor(array).pin_memory()
    return pinned.to(DEVICE, non_blocking=True).to(standardize_dtype(dtype))


def finish_copy(pending):
    """The batch's device tensors, ready for work queued on the current stream."""
    if not isinstance(pending, _PendingCopy):
        return pending
    current = torch.cuda.current_stream(DEVICE)
    current.wait_event(pending.event)
    for tensor in pending.tensors:
        if tensor is not None:
            # Allocated on the copy stream but used on this one: the allocator must not
            # reuse the memory before this stream's work on it is done.
            tensor.record_stream(current)
    return pending.tensors


def step_marker(outputs):
    """Something `wait_for` can wait on until the step that produced `outputs` has run: an
    event on the current CUDA stream; `None` on the CPU, where steps run as they are
    called."""
    if DEVICE.type != 'cuda':
        return None
    event = torch.cuda.Event()
    event.record(torch.cuda.current_stream(DEVICE))
    return event


def wait_for(marker):
    """Blocks until the step behind `marker` (from `step_marker`) has run."""
    if marker is not None:
        marker.synchronize()


def release(batch, marker):
    """Nothing to do on PyTorch: a batch's memory returns to the allocator with its last
    reference (on CUDA, once the streams that used it are done: `record_stream`)."""
