"""Copying streamed batches to the JAX device (`cornu.backend.streaming`).

Input data too large to copy to the device whole stays on the host; the engine-neutral
feeder (`cornu.engine.streamed_batches`) gathers each batch's rows there and hands them
here. `jax.device_put` is asynchronous: issued for the next batch before the current step
runs, the copy overlaps the step. A streamed batch has the batch's shape, so a step is
compiled once per batch shape, whatever the length of the data.

Dispatch is asynchronous too: without a bound, the host would run through the whole epoch
while the device works, every batch in between held by a queued step. `step_marker` and
`wait_for` let the feeder wait for a step before it reads more batches, and `release` frees
the batch that step read.
"""
import numpy as np
import jax

from .core import DEVICE
from .dtypes import standardize_dtype

__all__ = ['free_device_memory', 'device_is_host', 'start_copy', 'finish_copy', 'step_marker',
           'wait_for', 'release']


def free_device_memory():
    """Free bytes of memory on the engine's device, or `None` where the device does not say
    (the CPU)."""
    try:
        stats = DEVICE.memory_stats()
    except (AttributeError, NotImplementedError, RuntimeError):
        return None
    if not stats or 'bytes_limit' not in stats:
        return None
    return int(stats['bytes_limit'] - stats.get('bytes_in_use', 0))


def device_is_host():
    """Whether the engine's device is the host's memory (then prefetching gains nothing)."""
    return DEVICE.platform == 'cpu'


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
    return [None if a is None else _to_device(a, standardize_dtype(d))
            for a, d in zip(arrays, dtypes)]


def _to_device(array, dtype):
    # The batch crosses over in its host type (a narrow type is fewer bytes to copy) and is
    # converted on the device, where the conversion is one more queued op.
    placed = jax.device_put(array, DEVICE)
    return placed if placed.dtype == dtype else placed.astype(dtype)


def finish_copy(pending):
    """The batch's device arrays (JAX orders the copy before the step that reads them)."""
    return pending


def step_marker(outputs):
    """Something `wait_for` can wait on until the step that produced `outputs` has run: the
    outputs themselves."""
    return outputs


def wait_for(marker):
    """Blocks until the step behind `marker` (from `step_marker`) has run."""
    if marker is not None:
        jax.block_until_ready(marker)


def release(batch, marker):
    """Frees the device arrays of a batch whose step (`marker`) has run, now rather than
    when JAX's deferred deletion gets to them (which would let two batches overlap in
    memory); an array the step handed back as an output is kept."""
    kept = {id(leaf) for leaf in jax.tree_util.tree_leaves(marker)}
    for array in batch:
        if array is not None and id(array) not in kept and not array.is_deleted():
            array.delete()
